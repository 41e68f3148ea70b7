"""The public name-pair benchmark: labelled pairs scored with ``Screener.compare``.

``../shared/data/benchmarks/nomenklatura_name_bench/cases.csv`` holds 826 labelled name pairs
(persons, companies, organisations, vessels; typos, transliteration, legal forms, initials,
nicknames, word order, tricky non-matches), each with the strength of its label (STRONG,
MEDIUM, WEAK). This script scores every pair the way a user would compare two records
(``Screener.compare``, no lists needed) and reports, at the algorithm's default threshold:

* precision, recall and F1 — beside the field's reference matcher, whose frozen scores on the
  same cases ship with the benchmark (``logicv2-frozen.csv``);
* every STRONG case right (they must never fail);
* calibration: mean scores per label class, which should fall monotonically from STRONG match
  to STRONG non-match, and a reliability table (share of true matches per score bin);
* F1 over a range of thresholds, and the worst errors with their explanations.

Nothing here is fitted to the cases: the matcher's weights come from the lists and its own
tests. Run::

    python bench/name_bench.py [--data DIR] [--out FILE] [--threshold T]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from embargo.screening import Screener  # noqa: E402

DEFAULT_DATA = Path(os.environ.get("EMBARGO_SHARED_DATA", ROOT.parent / "shared" / "data"))
# Label classes from the surest match to the surest non-match: mean scores should fall.
ORDER = [
    (True, "STRONG"),
    (True, "MEDIUM"),
    (True, "WEAK"),
    (False, "WEAK"),
    (False, "MEDIUM"),
    (False, "STRONG"),
]
# The benchmark's schemas as the matcher knows them (a plain "Organization" party stays so).
SCHEMAS = {"LegalEntity": "LegalEntity", "Organisation": "Organization"}


@dataclass
class Case:
    group: str
    schema: str
    name1: str
    name2: str
    is_match: bool
    quality: str
    category: str
    score: float = 0.0
    reference: float | None = None
    why: str = ""


def read_cases(folder: Path) -> list[Case]:
    cases = []
    with (folder / "cases.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            cases.append(
                Case(
                    group=row["case_group"],
                    schema=row["schema"],
                    name1=row["name1"],
                    name2=row["name2"],
                    is_match=row["is_match"].strip().lower() == "true",
                    quality=row["quality"].strip().upper(),
                    category=row.get("category") or "",
                )
            )
    reference = folder / "logicv2-frozen.csv"
    if reference.exists():
        # The frozen file leaves some cases out, repeats some pairs and names some groups
        # differently: pair rows up by schema, names and label, in file order.
        scores: dict[tuple[str, str, str, bool], list[float]] = defaultdict(list)
        with reference.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row.get("score"):
                    truth = row["is_match"].strip().lower() == "true"
                    key = (row["schema"], row["name1"], row["name2"], truth)
                    scores[key].append(float(row["score"]))
        for case in cases:
            found = scores.get((case.schema, case.name1, case.name2, case.is_match))
            case.reference = found.pop(0) if found else None
    return cases


def score_cases(cases: list[Case], screener: Screener) -> float:
    started = time.process_time()
    for case in cases:
        schema = SCHEMAS.get(case.schema, case.schema)
        result = screener.compare(
            {"schema": schema, "properties": {"name": [case.name1]}},
            {"schema": schema, "properties": {"name": [case.name2]}},
        )
        case.score = result.score
        case.why = result.explanation.summary if result.explanation else ""
    return time.process_time() - started


def prf(pairs: list[tuple[bool, bool]]) -> dict[str, float]:
    tp = sum(1 for truth, pred in pairs if truth and pred)
    fp = sum(1 for truth, pred in pairs if pred and not truth)
    fn = sum(1 for truth, pred in pairs if truth and not pred)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def evaluate(cases: list[Case], threshold: float) -> dict[str, Any]:
    ours = prf([(c.is_match, c.score >= threshold) for c in cases])
    scored = [c for c in cases if c.reference is not None]
    ours_same_rows = prf([(c.is_match, c.score >= threshold) for c in scored])
    reference = prf([(c.is_match, (c.reference or 0.0) >= 0.7) for c in scored])
    strong = [c for c in cases if c.quality == "STRONG"]
    strong_wrong = [c for c in strong if (c.score >= threshold) != c.is_match]
    means = []
    for is_match, quality in ORDER:
        group = [c.score for c in cases if c.is_match == is_match and c.quality == quality]
        ref = [
            c.reference
            for c in cases
            if c.is_match == is_match and c.quality == quality and c.reference is not None
        ]
        means.append(
            {
                "class": f"{'match' if is_match else 'non-match'} {quality}",
                "n": len(group),
                "mean": sum(group) / len(group) if group else None,
                "reference_mean": sum(ref) / len(ref) if ref else None,
            }
        )
    values = [m["mean"] for m in means if m["mean"] is not None]
    monotonic = all(a >= b for a, b in pairwise(values))
    bins: dict[int, list[bool]] = defaultdict(list)
    for c in cases:
        bins[min(int(c.score * 10), 9)].append(c.is_match)
    reliability = [
        {
            "bin": f"{b / 10:.1f}-{(b + 1) / 10:.1f}",
            "n": len(bins[b]),
            "share_true_matches": sum(bins[b]) / len(bins[b]),
        }
        for b in sorted(bins)
    ]
    sweep = [
        {"threshold": t / 100, **prf([(c.is_match, c.score >= t / 100) for c in cases])}
        for t in range(50, 91, 5)
    ]
    by_category: dict[str, list[Case]] = defaultdict(list)
    for c in cases:
        by_category[c.category or c.group].append(c)
    categories = {
        name: {
            "n": len(group),
            "accuracy": sum((c.score >= threshold) == c.is_match for c in group) / len(group),
        }
        for name, group in sorted(by_category.items())
    }
    errors = sorted(
        (c for c in cases if (c.score >= threshold) != c.is_match),
        key=lambda c: -abs(c.score - threshold),
    )
    return {
        "threshold": threshold,
        "cases": len(cases),
        "embargo": ours,
        "embargo_on_reference_rows": ours_same_rows,
        "reference_rows": len(scored),
        "reference": reference,
        "strong_cases": len(strong),
        "strong_wrong": [_case(c) for c in strong_wrong],
        "means": means,
        "monotonic": monotonic,
        "reliability": reliability,
        "sweep": sweep,
        "categories": categories,
        "worst_errors": [_case(c) for c in errors[:25]],
    }


def _case(c: Case) -> dict[str, Any]:
    return {
        "schema": c.schema,
        "name1": c.name1,
        "name2": c.name2,
        "is_match": c.is_match,
        "quality": c.quality,
        "score": round(c.score, 4),
        "reference_score": c.reference,
        "why": c.why,
    }


def markdown(result: dict[str, Any]) -> str:
    e, r, s = result["embargo"], result["reference"], result["embargo_on_reference_rows"]
    lines = [
        f"name_bench: {result['cases']} labelled pairs, threshold {result['threshold']}",
        "",
        "| matcher | rows | precision | recall | F1 |",
        "|---|---:|---:|---:|---:|",
        f"| Embargo | {result['cases']} | {e['precision']:.3f} | {e['recall']:.3f} | "
        f"**{e['f1']:.3f}** |",
        f"| Embargo, the reference's rows | {result['reference_rows']} | "
        f"{s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} |",
        f"| reference matcher (frozen scores, 0.7) | {result['reference_rows']} | "
        f"{r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} |",
        "",
        f"STRONG cases wrong: {len(result['strong_wrong'])} of {result['strong_cases']}",
        "",
        "| label class | n | mean score | reference mean |",
        "|---|---:|---:|---:|",
    ]
    for m in result["means"]:
        mean = "–" if m["mean"] is None else f"{m['mean']:.3f}"
        ref = "–" if m["reference_mean"] is None else f"{m['reference_mean']:.3f}"
        lines.append(f"| {m['class']} | {m['n']} | {mean} | {ref} |")
    lines += [
        "",
        f"mean scores monotonic from STRONG match to STRONG non-match: {result['monotonic']}",
        "",
        "| score bin | pairs | share true matches |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| {b['bin']} | {b['n']} | {b['share_true_matches']:.2f} |" for b in result["reliability"]
    ]
    lines += ["", "| threshold | precision | recall | F1 |", "|---:|---:|---:|---:|"]
    lines += [
        f"| {t['threshold']:.2f} | {t['precision']:.3f} | {t['recall']:.3f} | {t['f1']:.3f} |"
        for t in result["sweep"]
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "name_bench.json")
    parser.add_argument("--threshold", type=float, default=None)
    args = parser.parse_args(argv)
    folder = args.data / "benchmarks" / "nomenklatura_name_bench"
    if not (folder / "cases.csv").exists():
        print(f"name_bench not found at {folder}", file=sys.stderr)
        return 2
    cases = read_cases(folder)
    screener = Screener.from_entities([])
    threshold = screener.algorithm.threshold if args.threshold is None else args.threshold
    cpu = score_cases(cases, screener)
    result = evaluate(cases, threshold)
    result["algorithm"] = screener.algorithm.name
    result["cpu_seconds"] = round(cpu, 2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    print(markdown(result))
    print(f"\n{len(cases)} pairs in {cpu:.1f} s CPU; JSON: {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
