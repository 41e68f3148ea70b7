"""Screening speed benchmark: index build, cached start-up, single-name throughput, memory.

    .venv/bin/python -m bench.speed                    # loads ../shared/data/official first
    .venv/bin/python -m bench.speed --db sqlite:////path/embargo.db -n 50000 --profile

Steps, each in a fresh Python process so start-up costs and peaks are its own:

1. (without ``--db``) load every list file into a temp SQLite database with ``bench.load``;
2. *build*: ``Screener.open`` on an empty data dir (``use_cache``) reads the active entities,
   analyses every name, builds the candidate index and pickles it. rigour's person-name
   tagger is initialised first, with one ``analyze`` call timed on its own, so the build
   time is the index's and the tagger's cost is reported beside it;
3. *query*: a second ``Screener.open`` loads the persisted index; the first query (which pays
   for the tagger) is timed on its own; then 500 warm-up queries and N measured
   ``Screener.screen`` calls, one at a time, timed with ``time.perf_counter``.

The query mix is fixed by ``--seed``: listed names as published (a random name of a random
active entity), the same lightly varied (one typo, or the words reordered), and names that
are not listed (person and company names built from syllable tables). The build process makes
it from the store's entities (after its measurements) and hands it to the query process in a
file. Writes
``bench/results/speed.json`` and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    DEFAULT_DATA,
    RESULTS,
    GcTimer,
    PeakTracker,
    busy_warning,
    log,
    machine_info,
    machine_line,
    md_table,
    profile_summary,
    rss_mb,
    run_worker,
    verdict,
    write_json,
)

TARGETS = {
    "queries_per_s": 2000.0,
    "p50_ms": 0.5,
    "p99_ms": 5.0,
    "build_s": 20.0,
    "rss_mb": 1024.0,
}
MIX = (("listed", 0.3), ("varied", 0.3), ("unlisted", 0.4))
GC_THRESHOLDS = (100_000, 50, 100)  # the what-if's; CPython's defaults are (700, 10, 10)
FIRST_QUERY = {"schema": "Person", "properties": {"name": ["Maria Gonzalez"]}}

# -- query mix -----------------------------------------------------------------------------

_ONSETS = [*"bcdfghjklmnprstvz", "br", "dr", "kr", "pr", "st", "tr", "sh", "ch", "kh", "th", "zh"]
_VOWELS = [*"aeiou", *"aeio", "ai", "ia", "ou", "ei"]
_CODAS = ["", "", "", "n", "r", "s", "l", "m", "k", "t", "nd", "rt", "v"]
_COMPANY_WORDS = (
    "Trading",
    "Holdings",
    "Logistics",
    "Shipping",
    "Industries",
    "Technologies",
    "Energy",
    "Capital",
    "Foods",
    "Textiles",
    "Consulting",
)
_COMPANY_FORMS = ("LLC", "Ltd", "Limited", "GmbH", "SA", "Co.", "Inc.", "JSC", "S.R.L.", "")


def _word(rng: random.Random, syllables: int) -> str:
    parts = [rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables)]
    return ("".join(parts) + rng.choice(_CODAS)).capitalize()


def unlisted_query(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.7:
        words = [_word(rng, rng.choice((1, 2, 2, 3)))]
        if rng.random() < 0.25:
            words.append(_word(rng, 2))
        words.append(_word(rng, rng.choice((2, 2, 3))))
        return {"schema": "Person", "properties": {"name": [" ".join(words)]}}
    words = [_word(rng, rng.choice((2, 3)))]
    if rng.random() < 0.5:
        words.append(rng.choice(_COMPANY_WORDS))
    form = rng.choice(_COMPANY_FORMS)
    if form:
        words.append(form)
    return {"schema": "Company", "properties": {"name": [" ".join(words)]}}


def typo(rng: random.Random, name: str) -> str:
    """One edit (delete, substitute, transpose or insert) inside a word of 4+ letters."""
    words = name.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 4]
    if not long_words:
        return name + name[-1] if name else name
    wi = rng.choice(long_words)
    w = words[wi]
    pos = rng.randrange(1, len(w) - 1)  # keep the first letter: typos there are rarer
    op = rng.choice(("delete", "substitute", "transpose", "insert"))
    letters = [c for c in name if c.isalpha()] or ["e"]
    if op == "delete":
        w = w[:pos] + w[pos + 1 :]
    elif op == "substitute":
        w = w[:pos] + rng.choice(letters).lower() + w[pos + 1 :]
    elif op == "transpose":
        w = w[:pos] + w[pos + 1] + w[pos] + w[pos + 2 :]
    else:
        w = w[:pos] + rng.choice(letters).lower() + w[pos:]
    words[wi] = w
    return " ".join(words)


def reorder(rng: random.Random, name: str) -> str:
    words = name.split()
    if len(words) < 2:
        return typo(rng, name)
    if len(words) == 2 or rng.random() < 0.5:
        return " ".join(reversed(words))
    return " ".join([words[-1], *words[:-1]])  # "Putin Vladimir Vladimirovich" style


def make_queries(
    entities: list[Any], n: int, seed: int
) -> list[tuple[str, str | None, dict[str, Any]]]:
    """``n`` queries as (category, id of the entity the name came from, query dict)."""
    rng = random.Random(seed)
    pool = sorted(entities, key=lambda e: e.id)  # independent of store order
    cats = [c for c, _ in MIX]
    weights = [w for _, w in MIX]
    out: list[tuple[str, str | None, dict[str, Any]]] = []
    for _ in range(n):
        cat = rng.choices(cats, weights)[0]
        if cat == "unlisted":
            out.append((cat, None, unlisted_query(rng)))
            continue
        entity = rng.choice(pool)
        name = rng.choice(entity.names).full
        if cat == "varied":
            name = typo(rng, name) if rng.random() < 0.5 else reorder(rng, name)
        query = {"schema": entity.schema.value, "properties": {"name": [name]}}
        out.append((cat, entity.id, query))
    return out


# -- statistics ----------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def latency_stats(latencies_s: list[float]) -> dict[str, float]:
    ms = sorted(x * 1000 for x in latencies_s)
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "mean_ms": round(sum(ms) / len(ms), 4),
        "p50_ms": round(percentile(ms, 50), 4),
        "p90_ms": round(percentile(ms, 90), 4),
        "p99_ms": round(percentile(ms, 99), 4),
        "p99_9_ms": round(percentile(ms, 99.9), 4),
        "max_ms": round(ms[-1], 4),
    }


# -- workers (fresh processes) -------------------------------------------------------------


def open_screener(db_url: str, settings: Any, gc_tuned: bool) -> Any:
    """``Screener.open``; with ``gc_tuned`` the what-if of the report's GC suggestion.

    The index is millions of long-lived objects that the cyclic collector re-scans on every
    full collection; collecting is pointless while building or unpickling them, and
    ``gc.freeze()`` afterwards moves them out of the collector's sight. Freezing alone makes
    full collections more frequent (they are triggered relative to the unfrozen heap, which
    the per-query caches then dominate), hence the higher thresholds.
    """
    import gc

    from embargo.screening import Screener

    if not gc_tuned:
        return Screener.open(db_url, settings=settings, use_cache=True)
    gc.disable()
    try:
        screener = Screener.open(db_url, settings=settings, use_cache=True)
    finally:
        gc.enable()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    return screener


def queries_file(data_dir: Path) -> Path:
    return data_dir / "bench-queries.json"


def build_worker(
    db_url: str,
    data_dir: Path,
    profile: Path | None,
    n: int,
    warmup: int,
    seed: int,
    gc_tuned: bool = False,
) -> dict[str, Any]:
    started = time.perf_counter()
    tracker = PeakTracker()
    gct = GcTimer()
    from embargo.match.index import MatchIndex
    from embargo.match.names import analyze
    from embargo.model import Schema
    from embargo.screening import Screener
    from embargo.settings import Settings

    import_s = time.perf_counter() - started
    rss_import = rss_mb()
    # rigour builds its person-name tagger on the first person name it analyses.
    t = time.perf_counter()
    analyze("Maria Gonzalez", Schema.PERSON)
    tagger_person_s = time.perf_counter() - t
    t = time.perf_counter()
    analyze("Pedro Alvarez", Schema.PERSON)
    person_second_s = time.perf_counter() - t
    t = time.perf_counter()
    analyze("Acme Trading LLC", Schema.COMPANY)
    tagger_org_s = time.perf_counter() - t
    t = time.perf_counter()
    analyze("Zenith Shipping Ltd", Schema.COMPANY)
    org_second_s = time.perf_counter() - t
    rss_tagger = rss_mb()
    peak_before = tracker.phase()

    settings = Settings.from_env(database_url=db_url, data_dir=data_dir)
    profiler = None
    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    gc0 = gct.snapshot()
    c = time.process_time()
    t = time.perf_counter()
    screener = open_screener(db_url, settings, gc_tuned)
    open_s = time.perf_counter() - t
    open_cpu_s = time.process_time() - c
    open_gc = gct.since(gc0)
    if profiler is not None and profile is not None:
        profiler.disable()
        profiler.dump_stats(str(profile))
    rss_built = rss_mb()
    peak_build = tracker.phase()
    index = screener.index
    pickles = sorted((data_dir / "index").glob("*.pickle"))
    pickle_bytes = sum(p.stat().st_size for p in pickles)
    names = len(index.name_forms)
    n_entities = len(index)
    keys = len(index.postings)
    postings = sum(len(v) for v in index.postings.values())

    # Where the build time goes: the same steps again, one at a time (peaks already taken).
    assert screener.store is not None
    store = screener.store
    t = time.perf_counter()
    signature = Screener._signature(store)
    signature_s = time.perf_counter() - t
    # The first index is dropped so that the repeat runs on a heap like the first one's.
    del screener, index
    steps: dict[str, Any] = {}
    gc0 = gct.snapshot()
    t = time.perf_counter()
    entities = list(store.iter_active_entities())
    read_s = time.perf_counter() - t
    steps["read_decode"] = gct.since(gc0)
    # The query mix is made here, from the store's entities, so that the query process
    # neither spends time on it nor touches the index (which may decode entities lazily).
    mix = {
        "queries": make_queries(entities, n, seed),
        "warmup": make_queries(entities, warmup, seed + 1),
    }
    queries_file(data_dir).write_text(json.dumps(mix, ensure_ascii=False))
    gc0 = gct.snapshot()
    t = time.perf_counter()
    rebuilt = MatchIndex.build(entities, signature=signature)
    analyse_s = time.perf_counter() - t
    steps["analyse_index"] = gct.since(gc0)
    tmp = data_dir / "bench-index.pickle"
    gc0 = gct.snapshot()
    t = time.perf_counter()
    rebuilt.save(tmp)
    save_s = time.perf_counter() - t
    steps["pickle_save"] = gct.since(gc0)
    gc0 = gct.snapshot()
    t = time.perf_counter()
    MatchIndex.load(tmp, signature)
    load_warm_s = time.perf_counter() - t
    steps["pickle_load_warm"] = gct.since(gc0)
    tmp.unlink()
    return {
        "import_s": round(import_s, 3),
        "tagger_person_first_s": round(tagger_person_s, 3),
        "person_second_call_s": round(person_second_s, 5),
        "tagger_org_first_s": round(tagger_org_s, 3),
        "org_second_call_s": round(org_second_s, 5),
        "open_build_s": round(open_s, 3),
        "open_build_cpu_s": round(open_cpu_s, 3),
        "open_build_gc": open_gc,
        "rss_after_import_mb": rss_import,
        "rss_after_tagger_mb": rss_tagger,
        "rss_after_build_mb": rss_built,
        "peak_before_build_mb": peak_before,
        "peak_build_mb": peak_build,
        "peak_total_mb": tracker.total(),
        "entities": n_entities,
        "names": names,
        "keys": keys,
        "postings": postings,
        "pickle_bytes": pickle_bytes,
        "breakdown": {
            "signature_s": round(signature_s, 3),
            "read_decode_s": round(read_s, 3),
            "analyse_index_s": round(analyse_s, 3),
            "pickle_save_s": round(save_s, 3),
            "pickle_load_warm_s": round(load_warm_s, 3),
            "gc": steps,
        },
    }


def query_worker(
    db_url: str,
    data_dir: Path,
    n: int,
    warmup: int,
    seed: int,
    profile: Path | None,
    gc_tuned: bool = False,
) -> dict[str, Any]:
    started = time.perf_counter()
    tracker = PeakTracker()
    gct = GcTimer()
    import embargo.screening  # noqa: F401  (imported here to time the import)
    from embargo.match.index import MatchIndex
    from embargo.settings import Settings

    import_s = time.perf_counter() - started
    builds: list[int] = []
    original_build = MatchIndex.build.__func__

    def counting_build(cls: type[MatchIndex], *args: Any, **kwargs: Any) -> MatchIndex:
        builds.append(1)
        result: MatchIndex = original_build(cls, *args, **kwargs)
        return result

    MatchIndex.build = classmethod(counting_build)
    settings = Settings.from_env(database_url=db_url, data_dir=data_dir)
    gc0 = gct.snapshot()
    t = time.perf_counter()
    screener = open_screener(db_url, settings, gc_tuned)
    open_s = time.perf_counter() - t
    open_gc = gct.since(gc0)
    MatchIndex.build = classmethod(original_build)
    rss_open = rss_mb()
    peak_open = tracker.phase()

    mix = json.loads(queries_file(data_dir).read_text())
    queries: list[tuple[str, str | None, dict[str, Any]]] = [tuple(q) for q in mix["queries"]]
    warm = mix["warmup"]
    if len(queries) != n or len(warm) != warmup:
        raise SystemExit("the query mix file does not match -n/--warmup; rerun the build step")

    t = time.perf_counter()
    screener.screen(FIRST_QUERY)
    first_s = time.perf_counter() - t
    t = time.perf_counter()
    screener.screen({"schema": "Person", "properties": {"name": ["Pedro Alvarez"]}})
    second_s = time.perf_counter() - t
    for _, _, q in warm:
        screener.screen(q)
    rss_warm = rss_mb()

    profiler = None
    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    latencies: list[float] = []
    cpu_latencies: list[float] = []
    results: list[tuple[int, bool, int]] = []  # (results, any .match, rank of source entity)
    clock = time.perf_counter
    cpu = time.thread_time
    screen = screener.screen
    gc0 = gct.snapshot()
    cpu_start = time.process_time()
    loop_start = clock()
    for _, source_id, q in queries:
        t0 = clock()
        c0 = cpu()
        found = screen(q)
        c1 = cpu()
        latencies.append(clock() - t0)
        cpu_latencies.append(c1 - c0)
        rank = next((i for i, m in enumerate(found) if m.entity_id == source_id), -1)
        results.append((len(found), any(m.match for m in found), rank))
    loop_s = clock() - loop_start
    loop_cpu_s = time.process_time() - cpu_start
    loop_gc = gct.since(gc0)
    if profiler is not None and profile is not None:
        profiler.disable()
        profiler.dump_stats(str(profile))
    rss_end = rss_mb()
    peak_queries = tracker.phase()

    by_cat: dict[str, dict[str, Any]] = {}
    for cat, _ in MIX:
        idx = [i for i, (c, _, _) in enumerate(queries) if c == cat]
        stats: dict[str, Any] = latency_stats([latencies[i] for i in idx])
        if idx:
            stats["queries_per_s"] = round(len(idx) / sum(latencies[i] for i in idx), 1)
            cpu_stats = latency_stats([cpu_latencies[i] for i in idx])
            stats["cpu_p50_ms"] = cpu_stats["p50_ms"]
            stats["cpu_p99_ms"] = cpu_stats["p99_ms"]
            stats["alert_rate"] = round(sum(results[i][1] for i in idx) / len(idx), 4)
            stats["mean_results"] = round(sum(results[i][0] for i in idx) / len(idx), 2)
            if cat != "unlisted":
                stats["source_top1"] = round(sum(results[i][2] == 0 for i in idx) / len(idx), 4)
                stats["source_in_results"] = round(
                    sum(results[i][2] >= 0 for i in idx) / len(idx), 4
                )
        by_cat[cat] = stats
    slowest = sorted(range(len(queries)), key=lambda i: -latencies[i])[:15]
    return {
        "import_s": round(import_s, 3),
        "open_cached_s": round(open_s, 3),
        "open_cached_gc": open_gc,
        "index_builds_during_open": len(builds),
        "first_query_s": round(first_s, 3),
        "second_query_s": round(second_s, 5),
        "n": n,
        "warmup": warmup,
        "seed": seed,
        "loop_s": round(loop_s, 3),
        "loop_cpu_s": round(loop_cpu_s, 3),
        "loop_gc": loop_gc,
        "queries_per_s": round(n / loop_s, 1),
        "latency": latency_stats(latencies),
        # CPU time of the screening thread per query: what a query costs when it has a core
        # to itself, unaffected by other processes on a busy machine.
        "cpu_latency": latency_stats(cpu_latencies),
        "queries_per_cpu_s": round(n / sum(cpu_latencies), 1),
        "by_category": by_cat,
        "slowest": [
            {
                "ms": round(latencies[i] * 1000, 3),
                "cpu_ms": round(cpu_latencies[i] * 1000, 3),
                "category": queries[i][0],
                "schema": queries[i][2]["schema"],
                "name": queries[i][2]["properties"]["name"][0],
                "results": results[i][0],
            }
            for i in slowest
        ],
        "entities": len(screener.index),
        "rss_after_open_mb": rss_open,
        "rss_after_warmup_mb": rss_warm,
        "rss_after_queries_mb": rss_end,
        "peak_open_mb": peak_open,
        "peak_queries_mb": peak_queries,
        "peak_total_mb": tracker.total(),
    }


# -- report --------------------------------------------------------------------------------


def report_markdown(res: dict[str, Any]) -> str:
    b, q = res["build"], res["query"]
    lat = q["latency"]
    cl = q["cpu_latency"]
    rss = max(b["rss_after_build_mb"], q["rss_after_queries_mb"])
    # The build process's peak up to the end of the build (the breakdown re-runs come after).
    build_peak = max(b["peak_before_build_mb"], b["peak_build_mb"])
    cold = b["import_s"] + b["tagger_person_first_s"] + b["tagger_org_first_s"] + b["open_build_s"]
    warm_start = q["import_s"] + q["open_cached_s"] + q["first_query_s"]
    summary = md_table(
        ["measure", "value", "target", ""],
        [
            [
                "index build: `Screener.open`, empty data dir (tagger already initialised)",
                f"{b['open_build_s']:.2f} s",
                f"≤ {TARGETS['build_s']:.0f} s",
                verdict(b["open_build_s"], TARGETS["build_s"]),
            ],
            [
                "rigour tagger init: first `analyze` of a person / an org name",
                f"{b['tagger_person_first_s']:.2f} / {b['tagger_org_first_s']:.2f} s",
                "",
                "",
            ],
            ["cold start without cache: import + tagger + build", f"{cold:.2f} s", "", ""],
            [
                "cached start-up: `Screener.open` loading the persisted index",
                f"{q['open_cached_s']:.2f} s",
                "",
                "ok" if q["index_builds_during_open"] == 0 else "**rebuilt, cache missed**",
            ],
            [
                "first query after cached start (pays the tagger init)",
                f"{q['first_query_s']:.2f} s",
                "",
                "",
            ],
            [
                "time to first answer, cached: import + open + first query",
                f"{warm_start:.2f} s",
                "",
                "",
            ],
            [
                f"throughput, {q['n']:,} queries one at a time",
                f"{q['queries_per_s']:,.0f} q/s",
                f"≥ {TARGETS['queries_per_s']:,.0f} q/s",
                verdict(q["queries_per_s"], TARGETS["queries_per_s"], higher_is_better=True),
            ],
            [
                "latency p50",
                f"{lat['p50_ms']:.3f} ms",
                f"≤ {TARGETS['p50_ms']} ms",
                verdict(lat["p50_ms"], TARGETS["p50_ms"]),
            ],
            ["latency p90", f"{lat['p90_ms']:.3f} ms", "", ""],
            [
                "latency p99",
                f"{lat['p99_ms']:.3f} ms",
                f"≤ {TARGETS['p99_ms']} ms",
                verdict(lat["p99_ms"], TARGETS["p99_ms"]),
            ],
            ["latency max", f"{lat['max_ms']:.1f} ms", "", ""],
            [
                "CPU time per query: q per CPU-second; p50 / p90 / p99 / max",
                f"{q['queries_per_cpu_s']:,.0f} q/s; {cl['p50_ms']:.3f} / {cl['p90_ms']:.3f} / "
                f"{cl['p99_ms']:.3f} / {cl['max_ms']:.1f} ms",
                f"≥ {TARGETS['queries_per_s']:,.0f} q/s; p50 ≤ {TARGETS['p50_ms']}, "
                f"p99 ≤ {TARGETS['p99_ms']} ms",
                "ok"
                if q["queries_per_cpu_s"] >= TARGETS["queries_per_s"]
                and cl["p50_ms"] <= TARGETS["p50_ms"]
                and cl["p99_ms"] <= TARGETS["p99_ms"]
                else "**misses target**",
            ],
            [
                "RSS after build / after cached open + queries",
                f"{b['rss_after_build_mb']:.0f} / {q['rss_after_queries_mb']:.0f} MiB",
                f"≤ {TARGETS['rss_mb']:.0f} MiB",
                verdict(rss, TARGETS["rss_mb"]),
            ],
            [
                "peak RSS: build process / query process",
                f"{build_peak:.0f} / {q['peak_total_mb']:.0f} MiB",
                f"≤ {TARGETS['rss_mb']:.0f} MiB",
                verdict(max(build_peak, q["peak_total_mb"]), TARGETS["rss_mb"]),
            ],
            [
                "RSS after import / after tagger init",
                f"{b['rss_after_import_mb']:.0f} / {b['rss_after_tagger_mb']:.0f} MiB",
                "",
                "",
            ],
            [
                "CPU time / wall time: build, query loop (≈ 1 when uncontended)",
                f"{b['open_build_cpu_s'] / b['open_build_s']:.2f}, "
                f"{q['loop_cpu_s'] / q['loop_s']:.2f}",
                "",
                "",
            ],
            [
                "CPU time in the cyclic GC: build / cached open / query loop",
                f"{b['open_build_gc']['gc_s']:.2f} / {q['open_cached_gc']['gc_s']:.2f} / "
                f"{q['loop_gc']['gc_s']:.2f} s",
                "",
                "",
            ],
            [
                "index: entities / names / keys / postings",
                f"{b['entities']:,} / {b['names']:,} / {b['keys']:,} / {b['postings']:,}",
                "",
                "",
            ],
            ["persisted index (pickle)", f"{b['pickle_bytes'] / 1024 / 1024:.1f} MiB", "", ""],
        ],
        align="lrrl",
    )
    bd = b["breakdown"]
    breakdown = md_table(
        ["build step (repeated in the same process, warm)", "s"],
        [
            ["signature of the active versions", bd["signature_s"]],
            ["read + decode active entities from the store", bd["read_decode_s"]],
            ["analyse names + build postings (`MatchIndex.build`)", bd["analyse_index_s"]],
            ["pickle save", bd["pickle_save_s"]],
            ["pickle load (warm process)", bd["pickle_load_warm_s"]],
        ],
        align="lr",
    )
    cat_rows = []
    for cat, s in q["by_category"].items():
        if not s.get("n"):
            continue
        cat_rows.append(
            [
                cat,
                s["n"],
                s["queries_per_s"],
                s["p50_ms"],
                s["p90_ms"],
                s["p99_ms"],
                s["max_ms"],
                s["cpu_p50_ms"],
                s["cpu_p99_ms"],
                s["mean_results"],
                f"{s['alert_rate']:.1%}",
                f"{s['source_top1']:.1%}" if "source_top1" in s else "–",
                f"{s['source_in_results']:.1%}" if "source_in_results" in s else "–",
            ]
        )
    cats = md_table(
        [
            "queries",
            "n",
            "q/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms",
            "CPU p50 ms",
            "CPU p99 ms",
            "results",
            "any match=True",
            "source entity 1st",
            "source in results",
        ],
        cat_rows,
        align="lrrrrrrrrrrrr",
    )
    slow = md_table(
        ["ms", "CPU ms", "category", "schema", "name", "results"],
        [
            [s["ms"], s.get("cpu_ms"), s["category"], s["schema"], s["name"], s["results"]]
            for s in q["slowest"][:8]
        ],
        align="rrlllr",
    )
    lines: list[str] = [
        "## Screening speed benchmark",
        "",
        f"Machine: {machine_line(res['machine'])}",
        f"Database: {res['database']}",
    ]
    busy = busy_warning(res["machine"])
    if busy:
        lines += ["", busy, ""]
    if res.get("load"):
        ld = res["load"]
        lines.append(
            f"Loaded first with bench.load: {ld['active_entities']:,} active entities in "
            f"{ld['load_path_s']:.1f} s."
        )
    lines += [
        f"Query mix: {q['n']:,} queries, seed {q['seed']}, "
        + ", ".join(f"{c} {w:.0%}" for c, w in MIX)
        + f"; warm-up {q['warmup']} queries.",
        "",
        summary,
        "",
        breakdown,
        "",
        cats,
        "",
        "(The last three columns are a sanity check that the benchmark exercises real matching, "
        "not an accuracy measure: the listed entity a query was made from may share its name "
        "with other listed entities.)",
        "",
        "Slowest queries:",
        "",
        slow,
    ]
    if res.get("what_if_gc"):
        lines += ["", what_if_markdown(res)]
    return "\n".join(lines)


def what_if_markdown(res: dict[str, Any]) -> str:
    w = res["what_if_gc"]
    rows = []
    for label, get in (
        ("index build (`Screener.open`, empty data dir), s", lambda b, q: b["open_build_s"]),
        ("  CPU time, s", lambda b, q: b["open_build_cpu_s"]),
        ("  of which in the cyclic GC, s", lambda b, q: b["open_build_gc"]["gc_s"]),
        ("cached start-up (`Screener.open`), s", lambda b, q: q["open_cached_s"]),
        ("  of which in the cyclic GC, s", lambda b, q: q["open_cached_gc"]["gc_s"]),
        ("throughput, q/s", lambda b, q: q["queries_per_s"]),
        ("query loop CPU time, s", lambda b, q: q["loop_cpu_s"]),
        ("  of which in the cyclic GC, s", lambda b, q: q["loop_gc"]["gc_s"]),
        ("throughput by CPU time, q per CPU-second", lambda b, q: q["queries_per_cpu_s"]),
        ("latency p50, ms", lambda b, q: q["latency"]["p50_ms"]),
        ("latency p99, ms", lambda b, q: q["latency"]["p99_ms"]),
        ("latency max, ms", lambda b, q: q["latency"]["max_ms"]),
        (
            "CPU latency p99 / max, ms",
            lambda b, q: f"{q['cpu_latency']['p99_ms']:.2f} / {q['cpu_latency']['max_ms']:.1f}",
        ),
        ("RSS after build, MiB", lambda b, q: b["rss_after_build_mb"]),
        ("RSS after queries, MiB", lambda b, q: q["rss_after_queries_mb"]),
        (
            "peak RSS build / query process, MiB",
            lambda b, q: (
                f"{max(b['peak_before_build_mb'], b['peak_build_mb']):.0f} / "
                f"{q['peak_total_mb']:.0f}"
            ),
        ),
    ):
        rows.append([label, get(res["build"], res["query"]), get(w["build"], w["query"])])
    table = md_table(
        ["measure", "as is", f"GC off in open, then gc.freeze() + thresholds {GC_THRESHOLDS}"],
        rows,
        "lrr",
    )
    return "\n".join(
        [
            "### What-if: garbage-collector tuning (measured, not in the code)",
            "",
            table,
        ]
    )


# -- main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--db", help="database URL with lists loaded (default: load --data first)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder to load without --db")
    ap.add_argument(
        "--with-modules",
        default="",
        metavar="MOD,...",
        help="passed to bench.load: also load with these unregistered format modules",
    )
    ap.add_argument("-n", "--queries", type=int, default=20_000, help="measured queries")
    ap.add_argument("--warmup", type=int, default=500)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--json", type=Path, help="result file (default bench/results/speed.json)")
    ap.add_argument(
        "--profile",
        action="store_true",
        help="afterwards, rerun build and queries under cProfile (results/speed-*.prof[.txt])",
    )
    ap.add_argument(
        "--what-if-gc",
        action="store_true",
        help="also run build and queries with the collector off while the index is built or "
        "loaded, then gc.freeze() and higher gc thresholds (the GC suggestion), to compare",
    )
    ap.add_argument("--worker", choices=("build", "query"), help=argparse.SUPPRESS)
    ap.add_argument("--gc-tuned", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker == "build":
        built = build_worker(
            args.db,
            args.data_dir,
            args.profile_to,
            args.queries,
            args.warmup,
            args.seed,
            args.gc_tuned,
        )
        write_json(args.result, built)
        return 0
    if args.worker == "query":
        out = query_worker(
            args.db,
            args.data_dir,
            args.queries,
            args.warmup,
            args.seed,
            args.profile_to,
            args.gc_tuned,
        )
        write_json(args.result, out)
        return 0

    info = machine_info()
    tmp = Path(tempfile.mkdtemp(prefix="embargo-bench-speed-"))
    try:
        res = run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    res["machine"] = {**info, "load_average_after": [round(x, 2) for x in os.getloadavg()]}
    path = args.json or RESULTS / "speed.json"
    write_json(path, res)
    print(report_markdown(res))
    print(f"\n(results: {path})")
    return 0


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    load_summary = None
    if args.db:
        db_url = args.db
        database = db_url
    else:
        from bench.load import _modules, load_into

        db_url = f"sqlite:///{tmp / 'embargo.db'}"
        log(f"loading {args.data} into a temp SQLite database ...")
        loaded = load_into(db_url, args.data.resolve(), extra_modules=_modules(args.with_modules))
        load_summary = loaded["summary"]
        database = f"temp SQLite, loaded from `{args.data.resolve()}`"

    def worker(
        kind: str, data_dir: Path, profile: Path | None = None, gc_tuned: bool = False
    ) -> dict[str, Any]:
        extra = ["--db", db_url, "--data-dir", str(data_dir)]
        if gc_tuned:
            extra.append("--gc-tuned")
        extra += ["-n", str(args.queries), "--warmup", str(args.warmup), "--seed", str(args.seed)]
        if profile is not None:
            extra += ["--profile-to", str(profile)]
        result: dict[str, Any] = run_worker("bench.speed", [kind, *extra])
        return result

    data_dir = tmp / "data"
    log("building the index (fresh process, empty data dir) ...")
    build = worker("build", data_dir)
    log(f"  built in {build['open_build_s']:.2f} s; screening {args.queries:,} queries ...")
    query = worker("query", data_dir)
    log(f"  {query['queries_per_s']:,.0f} queries/s, p50 {query['latency']['p50_ms']:.3f} ms")
    what_if = None
    if args.what_if_gc:
        log("what-if: the same with GC off during build/load, then gc.freeze() + thresholds ...")
        gc_dir = tmp / "data-gc"
        what_if = {
            "build": worker("build", gc_dir, gc_tuned=True),
            "query": worker("query", gc_dir, gc_tuned=True),
        }
    profiles = {}
    if args.profile:
        RESULTS.mkdir(parents=True, exist_ok=True)
        log("profiling the build and the queries (separate runs; timings discarded) ...")
        for kind in ("build", "query"):
            prof = RESULTS / f"speed-{kind}.prof"
            # The build needs an empty data dir; the queries reuse the cached index.
            worker(kind, tmp / "profile-build" if kind == "build" else data_dir, prof)
            profile_summary(prof, prof.with_suffix(".prof.txt"))
            profiles[kind] = str(prof)
    return {
        "benchmark": "speed",
        "database": database,
        "targets": TARGETS,
        "mix": dict(MIX),
        "load": load_summary,
        "build": build,
        "query": query,
        "what_if_gc": what_if,
        "profiles": profiles,
    }


if __name__ == "__main__":
    sys.exit(main())
