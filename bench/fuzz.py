"""Long fuzzing run of every list parser: the nightly-style companion of the fuzz tests.

    python bench/fuzz.py --examples 200000            # per format, on 2 processes
    python bench/fuzz.py --format eu-fsf-xml --examples 50000 --seed 7
    python bench/fuzz.py --format ofac-xml --replay 1234   # input 1234 again, with its traceback

Each input is a mutation of a small seed cut from the test fixtures (see
``tests/hardening/fuzzkit.py``), reproducible from ``(seed, format, index)``. An input
passes when ``parse_input`` returns storable entities or raises an ``EmbargoError`` and no
format's ``sniff`` raises. Failures are grouped by exception and place; the first inputs of
each group are written under ``--failures`` (default ``bench/results/fuzz-failures``) for a
developer to load again. Results go to ``--out`` (JSON) and a summary to standard output.
Exit code 1 when any input failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# Run as a script, bench/ itself comes first on the path, where bench/http.py would shadow the
# standard library's http package: import from the repository root instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.hardening import fuzzkit  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=200_000, help="inputs per format")
    parser.add_argument("--format", dest="formats", action="append", help="only this format")
    parser.add_argument("--seed", type=int, default=1, help="base seed (default 1)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--memory-mb", type=int, default=1024, help="address space per worker")
    parser.add_argument("--replay", type=int, help="run one input again and show its outcome")
    parser.add_argument("--out", type=Path, default=REPO / "bench/results/fuzz.json")
    parser.add_argument("--failures", type=Path, default=REPO / "bench/results/fuzz-failures")
    args = parser.parse_args(argv)

    chosen = args.formats or sorted(fuzzkit.formats())
    unknown = set(chosen) - set(fuzzkit.formats())
    if unknown:
        parser.error(f"unknown format(s) {sorted(unknown)}; known: {sorted(fuzzkit.formats())}")
    if args.replay is not None:
        return replay(chosen, args.seed, args.replay)

    results: dict[str, Any] = {"seed": args.seed, "examples": args.examples, "formats": {}}
    failed = 0
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="embargo-fuzz-", dir=_scratch()) as work:
        for fmt in chosen:
            r = fuzzkit.run_parallel(
                fmt,
                args.seed,
                args.examples,
                Path(work),
                jobs=args.jobs,
                memory_limit_mb=args.memory_mb,
            )
            failed += len(r.failures)
            saved = [str(f.save(args.failures)) for f in r.failures]
            results["formats"][fmt] = {
                "inputs": r.inputs,
                "outcomes": r.outcomes,
                "seconds": round(r.seconds, 1),
                "slowest_s": round(r.slowest, 3),
                "slowest_input": r.slowest_how,
                "max_rss_mb": round(r.max_rss_mb),
                "rss_growth_mb": round(r.rss_growth_mb),
                "failures": [
                    {"index": f.index, "input": f.how, "error": f.error, "saved": s}
                    for f, s in zip(r.failures, saved, strict=True)
                ],
            }
            print(
                f"{fmt:22} {r.inputs:>8,} inputs {r.seconds:7.1f} s  "
                f"ok {r.outcomes.get('ok', 0):>7,}  "
                f"ParseError {r.outcomes.get('ParseError', 0):>7,}  "
                f"failed {r.outcomes.get('FAILED', 0):>5,}  "
                f"slowest {r.slowest:5.2f} s  rss {r.max_rss_mb:5.0f} MB "
                f"(+{r.rss_growth_mb:.0f})",
                flush=True,
            )
            for f in r.failures:
                print(f"    FAILED #{f.index} {f.how}: {f.error}", flush=True)
    results["seconds"] = round(time.perf_counter() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"{len(chosen)} formats, {results['seconds']} s; results in {args.out}")
    return 1 if failed else 0


def replay(chosen: list[str], seed: int, index: int) -> int:
    status = 0
    with tempfile.TemporaryDirectory(prefix="embargo-fuzz-") as work:
        for fmt in chosen:
            case = fuzzkit.generate(seed, fmt, index)
            print(f"{fmt} #{index}: {case.how}")
            try:
                outcome = fuzzkit.check_case(fuzzkit.formats()[fmt], case, Path(work) / fmt)
            except Exception:
                import traceback

                traceback.print_exc()
                status = 1
            else:
                print(f"  outcome: {outcome}")
    return status


def _scratch() -> str | None:
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() else None


if __name__ == "__main__":
    sys.exit(main())
