"""Batch screening benchmark: ``embargo batch`` on a large generated customer file.

    .venv/bin/python -m bench.batch                            # 1M rows, loads ../shared/data/official
    .venv/bin/python -m bench.batch --rows 100000 --db sqlite:////tmp/x/embargo.db --data-dir /tmp/x
    .venv/bin/python -m bench.batch --rows 200000 --no-dask --profile

Steps:

1. (without ``--db``) every list file in ``--data`` is loaded into a temp SQLite database with
   ``embargo update --from`` (``embargo.update.load_path``), and one ``embargo screen`` builds
   and caches the match index, as a deployment does once per list update;
2. a customer file of ``--rows`` rows (CSV: ref, name, schema, birth date, country) is
   generated: person and company names combined from pools of Faker names in ten locales
   (Latin, Cyrillic, Arabic, Chinese, Turkish ...; syllable tables without Faker), with
   birth dates and countries on part of the rows, mixed with a small share of listed names
   as published and lightly varied (a typo, words reordered). It is cached under the work dir;
3. *matcher*: ``Screener.screen`` alone, one process, on the file's first ``--sample`` rows:
   the per-query cost the pipeline cannot go below;
4. *pipeline*: ``run_batch`` with a screener that answers instantly, on 2 workers: what
   reading, chunking, inter-process transfer and writing cost per row on their own;
5. *local*: ``embargo batch INPUT --out OUT.csv`` (local engine, all cores), timed from the
   outside, with the peak memory of the whole process tree sampled every 0.5 s (RSS summed
   over processes, and PSS, which counts pages shared by the forked workers once);
6. *dask*: the same through ``--engine dask`` (a LocalCluster of 2 worker processes); its
   output is compared with the local engine's byte for byte;
7. ``--profile``: py-spy samples a local run (parent and workers) and the samples are split
   into matching, reading, writing, inter-process transfer and waiting.

Writes ``bench/results/batch.json`` and prints Markdown. Targets (issue 4): >= 5,000 names/s
on 2 cores (1M rows in <= 4 minutes) and <= 2 GB of memory.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    DEFAULT_DATA,
    REPO,
    RESULTS,
    log,
    machine_info,
    machine_line,
    md_table,
    verdict,
    write_json,
)

TARGET_ROWS_PER_S = 5000.0
TARGET_MEMORY_MB = 2048.0
EMBARGO = [sys.executable, "-m", "embargo.cli"]
LOCALES = (
    "en_US",
    "en_GB",
    "de_DE",
    "fr_FR",
    "es_ES",
    "it_IT",
    "tr_TR",
    "ru_RU",
    "ar_AA",
    "zh_CN",
)
COMPANY_WORDS = (
    "Holdings",
    "Trading",
    "Logistics",
    "Shipping",
    "Industries",
    "Group",
    "Partners",
    "Capital",
    "Technologies",
    "Foods",
    "Textiles",
    "Engineering",
)
LEGAL_FORMS = ("Ltd", "LLC", "GmbH", "S.A.", "SARL", "AG", "Inc.", "OOO", "JSC", "Pte Ltd", "")
COUNTRIES = ("us", "gb", "de", "fr", "es", "it", "tr", "ru", "ae", "cn", "ir", "in", "ng", "br")
SYLLABLES = ("ka", "to", "mi", "ra", "sen", "lo", "vik", "dar", "bel", "an", "gri", "mun", "es")

# -- input -----------------------------------------------------------------------------------


class NamePools:
    """First names, last names and company names to combine, from Faker when installed."""

    def __init__(self, rng: random.Random, per_locale: int = 1500) -> None:
        self.first: list[str] = []
        self.last: list[str] = []
        self.company: list[str] = []
        try:
            from faker import Faker
        except ImportError:
            self._syllables(rng)
            self.source = "syllable tables"
            return
        for locale in LOCALES:
            fake = Faker(locale)
            fake.seed_instance(rng.randrange(1 << 30))
            self.first += list({fake.first_name() for _ in range(per_locale)})
            self.last += list({fake.last_name() for _ in range(per_locale)})
            self.company += list({fake.company() for _ in range(per_locale // 3)})
        self.source = f"Faker ({len(LOCALES)} locales)"

    def _syllables(self, rng: random.Random) -> None:
        def word(n: int) -> str:
            return "".join(rng.choice(SYLLABLES) for _ in range(n)).title()

        self.first = [word(2) for _ in range(3000)]
        self.last = [word(3) for _ in range(6000)]
        self.company = [f"{word(3)} {rng.choice(COMPANY_WORDS)}" for _ in range(3000)]


def _typo(rng: random.Random, name: str) -> str:
    if len(name) < 5:
        return name
    i = rng.randrange(1, len(name) - 1)
    op = rng.randrange(3)
    if op == 0:
        return name[:i] + name[i + 1 :]
    if op == 1:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name[:i] + name[i] + name[i:]


def _variant(rng: random.Random, name: str) -> str:
    words = name.split()
    if len(words) > 1 and rng.random() < 0.5:
        rng.shuffle(words)
        return " ".join(words)
    return _typo(rng, name)


def listed_names(db_url: str, limit: int = 50_000) -> list[tuple[str, str]]:
    """(name, schema) of active listed entities, as published."""
    from embargo.store import Store

    store = Store.open(db_url)
    out = []
    for entity in store.iter_active_entities():
        out.append((entity.caption, entity.schema.value))
        if len(out) >= limit:
            break
    store.close()
    return out


def generate_input(
    path: Path, rows: int, seed: int, listed: list[tuple[str, str]], listed_share: float
) -> dict[str, Any]:
    rng = random.Random(seed)
    started = time.perf_counter()
    pools = NamePools(rng)
    kinds: Counter[str] = Counter()
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["ref", "name", "schema", "birth_date", "country"])
        for i in range(rows):
            r = rng.random()
            dob = country = ""
            if listed and r < listed_share:
                name, schema = rng.choice(listed)
                if r < listed_share / 2:
                    kinds["listed"] += 1
                else:
                    name = _variant(rng, name)
                    kinds["listed-variant"] += 1
            elif r < 0.62:
                schema = "Person"
                name = f"{rng.choice(pools.first)} {rng.choice(pools.last)}"
                if rng.random() < 0.3:
                    name = f"{rng.choice(pools.first)} {name}"
                if rng.random() < 0.5:
                    dob = f"{rng.randint(1940, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                if rng.random() < 0.5:
                    country = rng.choice(COUNTRIES)
                kinds["person"] += 1
            elif r < 0.95:
                schema = "Company"
                if rng.random() < 0.5:
                    name = rng.choice(pools.company)
                else:
                    name = f"{rng.choice(pools.last)} {rng.choice(COMPANY_WORDS)} {rng.choice(LEGAL_FORMS)}"
                if rng.random() < 0.4:
                    country = rng.choice(COUNTRIES)
                kinds["company"] += 1
            else:
                schema = "LegalEntity"
                name = f"{rng.choice(pools.last)} {rng.choice(COMPANY_WORDS)}"
                kinds["other"] += 1
            w.writerow([f"C{i:08d}", name.strip(), schema, dob, country])
    return {
        "rows": rows,
        "seed": seed,
        "names_from": pools.source,
        "mix": dict(kinds),
        "bytes": path.stat().st_size,
        "generate_s": round(time.perf_counter() - started, 2),
    }


# -- process-tree memory ---------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    """Every descendant, whichever thread started it (Dask starts its workers from its event
    loop thread, so ``task/PID/children`` alone misses them)."""
    out: list[int] = []
    kids: list[str] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            kids += (task / "children").read_text().split()
    except OSError:
        return out
    for kid in kids:
        out.append(int(kid))
        out.extend(_children(int(kid)))
    return out


def _mem_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB; (0, 0) once it is gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    rss = pss = 0
    for line in text.splitlines():
        if line.startswith("Rss:"):
            rss = int(line.split()[1])
        elif line.startswith("Pss:"):
            pss = int(line.split()[1])
    return rss, pss


class TreeSampler(threading.Thread):
    """Samples the memory of a process and all its descendants every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_rss_mb = 0.0
        self.peak_pss_mb = 0.0
        self.peak_processes = 0
        self.samples = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            pids = [self.pid, *_children(self.pid)]
            rss = pss = 0
            for pid in pids:
                r, p = _mem_kb(pid)
                rss += r
                pss += p
            self.peak_rss_mb = max(self.peak_rss_mb, rss / 1024)
            self.peak_pss_mb = max(self.peak_pss_mb, pss / 1024)
            self.peak_processes = max(self.peak_processes, len(pids))
            self.samples += 1
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def run_measured(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``cmd``; wall time, CPU time of the tree, peak tree memory, and its JSON stdout."""
    before = os.times()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, text=True)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    stdout, _ = proc.communicate()
    wall = time.perf_counter() - started
    sampler.stop()
    after = os.times()
    if proc.returncode not in (0, 1) or not stdout.strip().startswith("{"):
        raise SystemExit(f"failed (exit {proc.returncode}): {' '.join(cmd)}")
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "peak_tree_rss_mb": round(sampler.peak_rss_mb, 1),
        "peak_tree_pss_mb": round(sampler.peak_pss_mb, 1),
        "processes": sampler.peak_processes,
        "summary": json.loads(stdout) if stdout.strip() else None,
    }


# -- in-process workers ----------------------------------------------------------------------


class NullIndex:
    signature = "null-index"
    entities: tuple[Any, ...] = ()


class NullScreener:
    """Answers every query instantly with no match: what the pipeline costs on its own."""

    def __init__(self) -> None:
        from embargo.match.matcher import get_algorithm

        self.algorithm = get_algorithm(None)
        self.index = NullIndex()

    def screen(self, query: Any, limit: int = 10, **kw: Any) -> list[Any]:
        return []


def worker_matcher(args: argparse.Namespace) -> dict[str, Any]:
    from embargo.batch import ColumnMapping, read_rows
    from embargo.screening import Screener
    from embargo.settings import Settings

    started = time.perf_counter()
    screener = Screener.open(settings=Settings.from_env())
    open_s = time.perf_counter() - started
    mapping = ColumnMapping(ref="ref", schema="schema", birth_date="birth_date", country="country")
    queries = []
    for row in read_rows(args.input, mapping):
        if row.query is not None:
            queries.append(row.query)
        if len(queries) >= args.sample + 200:
            break
    for q in queries[:200]:  # warm-up: the person-name tagger and caches
        screener.screen(q, limit=5)
    measured = queries[200:]
    t0 = time.perf_counter()
    c0 = time.process_time()
    for q in measured:
        screener.screen(q, limit=5)
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return {
        "open_s": round(open_s, 2),
        "queries": len(measured),
        "wall_s": round(elapsed, 3),
        "cpu_s": round(cpu, 3),
        "ms_per_query": round(1000 * elapsed / len(measured), 4),
        "cpu_ms_per_query": round(1000 * cpu / len(measured), 4),
        "queries_per_s_one_core": round(len(measured) / elapsed, 1),
    }


def worker_pipeline(args: argparse.Namespace) -> dict[str, Any]:
    from embargo.batch import ColumnMapping, run_batch

    mapping = ColumnMapping(ref="ref", schema="schema", birth_date="birth_date", country="country")
    out: dict[str, Any] = {}
    for workers in (1, 2):
        target = args.work / f"pipeline-{workers}.csv"
        before = os.times()
        s = run_batch(
            args.input,
            target,
            mapping,
            screener_factory=NullScreener,  # type: ignore[arg-type,return-value]
            workers=workers,
            resume=False,
        )
        after = os.times()
        cpu = sum(after[:4]) - sum(before[:4])  # this process and its (joined) workers
        out[f"workers_{workers}"] = {
            "rows": s.rows_read,
            "wall_s": round(s.elapsed_s, 2),
            "cpu_s": round(cpu, 2),
            "rows_per_s": round(s.rate, 1),
            "us_per_row": round(1e6 * s.elapsed_s / s.rows_read, 2),
            "cpu_us_per_row": round(1e6 * cpu / s.rows_read, 2),
        }
        target.unlink(missing_ok=True)
    return out


def run_in_worker(kind: str, args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="embargo-bench-") as tmp:
        result = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "bench.batch", "--worker", kind, "--input", str(args.input)]
        cmd += ["--work", str(args.work), "--sample", str(args.sample), "--result", str(result)]
        proc = subprocess.run(cmd, cwd=REPO, env=env, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"benchmark worker {kind} failed (exit {proc.returncode})")
        data: dict[str, Any] = json.loads(result.read_text())
        return data


# -- profile ---------------------------------------------------------------------------------

_MATCHING = ("embargo/match/", "screening.py", "rigour", "rapidfuzz", "jellyfish")
_IPC = ("multiprocessing/", "concurrent/futures/", "pickle")


def _activity(role: str, frames: list[str]) -> str:
    def has(*needles: str) -> bool:
        return any(n in f for f in frames for n in needles)

    if role == "workers":
        if has(*_MATCHING):
            return "matching"
        if has("screen_query", "ChunkScreener"):
            return "formatting results"
        if has(*_IPC):
            return "inter-process transfer"
        return "other"
    if has("_open_screener", "_warm_up", "_make_engine"):
        return "start-up (index load, tagger, warm-up, fork)"
    if has("batch/io.py"):
        return "reading input"
    if has("batch/output.py"):
        return "writing output"
    if has("_output_lock", "input_fingerprint", "estimate_rows", "list_signature"):
        return "checks"
    if has(*_IPC):
        return "inter-process transfer"
    if has("<module>", "_find_and_load"):
        return "imports"
    return "other"


def profile_run(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any] | None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        log("py-spy not installed (pip install py-spy): no profile")
        return None
    rows = args.profile_rows
    small = args.work / f"profile-{rows}.csv"
    with args.input.open(encoding="utf-8") as src, small.open("w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i > rows:
                break
            dst.write(line)
    raw = args.work / "profile.txt"
    cmd = [spy, "record", "--subprocesses", "--format", "raw", "--rate", "200", "-o", str(raw)]
    cmd += ["--", *EMBARGO, "batch", str(small), "--out", str(args.work / "profile-out.csv")]
    cmd += ["--ref-column", "ref", "--schema-column", "schema", "--birth-date-column"]
    cmd += ["birth_date", "--country-column", "country", "--no-resume", "--json"]
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1) or not raw.exists():
        log(f"py-spy failed: {proc.stderr[-2000:]}")
        return None
    return summarise_profile(raw)


def summarise_profile(raw: Path) -> dict[str, Any]:
    """Split py-spy's collapsed stacks by process (parent / workers) and by what the leaf
    frames are doing."""
    roles: Counter[str] = Counter()
    buckets: dict[str, Counter[str]] = {"parent": Counter(), "workers": Counter()}
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        role = "workers" if any("_process_worker" in f for f in frames) else "parent"
        roles[role] += count
        buckets[role][_activity(role, frames)] += count
    total = sum(roles.values()) or 1
    return {
        "samples": total,
        "by_process": {k: round(100 * v / total, 1) for k, v in roles.items()},
        "by_activity": {
            role: {k: round(100 * v / total, 1) for k, v in counts.most_common()}
            for role, counts in buckets.items()
        },
    }


# -- main ------------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def batch_cmd(
    args: argparse.Namespace, out: Path, *extra: str, input: Path | None = None
) -> list[str]:
    cmd = [*EMBARGO, "batch", str(input or args.input), "--out", str(out), "--ref-column", "ref"]
    cmd += ["--schema-column", "schema", "--birth-date-column", "birth_date"]
    cmd += ["--country-column", "country", "--no-resume", "--json", *extra]
    return cmd


def engine_result(measured: dict[str, Any], rows: int, startup: dict[str, Any]) -> dict[str, Any]:
    s = measured["summary"] or {}
    wall = measured["wall_s"]
    return {
        # CPU seconds of the whole process tree per row once started: unlike wall time, not
        # inflated by other work on a shared machine.
        "cpu_ms_per_row_after_start": round(
            1000 * (measured["cpu_s"] - startup["cpu_s"]) / rows, 4
        ),
        **{k: v for k, v in measured.items() if k != "summary"},
        "rows": rows,
        "rows_per_s": round(rows / wall, 1),
        "screen_rows_per_s": s.get("screen_rate_rows_per_s"),
        "start_s": round(wall - (s.get("screen_s") or 0), 2),
        "matched_rows": s.get("matched"),
        "match_records": s.get("matches"),
        "errors": s.get("errors"),
        "workers": s.get("workers"),
        "minutes_per_million": round(1e6 / (rows / wall) / 60, 1),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMBARGO_")}
    result: dict[str, Any] = {"benchmark": "batch", "machine": machine_info()}
    data_dir = args.data_dir or work / "data"
    env["EMBARGO_DATA_DIR"] = str(data_dir)
    if args.db:
        env["EMBARGO_DATABASE_URL"] = args.db
        result["database"] = args.db
    else:
        db = work / "embargo.db"
        env["EMBARGO_DATABASE_URL"] = f"sqlite:///{db}"
        if not db.exists():
            log(f"loading {args.data} ...")
            t0 = time.perf_counter()
            subprocess.run(
                [*EMBARGO, "update", "--from", str(args.data), "--json"],
                env=env,
                cwd=REPO,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            result["load_s"] = round(time.perf_counter() - t0, 2)
        result["database"] = f"temp SQLite loaded from `{args.data}`"
    log("building / loading the match index ...")
    t0 = time.perf_counter()
    subprocess.run(
        [*EMBARGO, "screen", "Index Warmup", "--json"],
        env=env,
        cwd=REPO,
        check=False,
        stdout=subprocess.DEVNULL,
    )
    result["index_s"] = round(time.perf_counter() - t0, 2)

    args.input = work / f"customers-{args.rows}-{args.seed}.csv"
    if not args.input.exists():
        log(f"generating {args.rows:,} rows ...")
        listed = listed_names(env["EMBARGO_DATABASE_URL"])
        result["input"] = generate_input(
            args.input, args.rows, args.seed, listed, args.listed_share
        )
        (work / f"{args.input.name}.json").write_text(json.dumps(result["input"]))
    else:
        result["input"] = json.loads((work / f"{args.input.name}.json").read_text())
    log(f"input: {result['input']}")

    log("matcher alone (one process) ...")
    result["matcher"] = run_in_worker("matcher", args, env)
    log(f"  {result['matcher']}")
    log("pipeline alone (instant screener) ...")
    result["pipeline"] = run_in_worker("pipeline", args, env)
    log(f"  {result['pipeline']}")

    log("start-up: embargo batch on 100 rows ...")
    tiny = work / "tiny.csv"
    with args.input.open(encoding="utf-8") as src, tiny.open("w", encoding="utf-8") as dst:
        dst.writelines(line for _, line in zip(range(101), src, strict=False))
    startup = run_measured(batch_cmd(args, work / "tiny-out.csv", input=tiny), env)
    result["startup"] = {k: v for k, v in startup.items() if k != "summary"}
    log(f"  {result['startup']}")

    local_out = work / "out-local.csv"
    log("embargo batch, local engine ...")
    local = run_measured(batch_cmd(args, local_out), env)
    result["local"] = engine_result(local, args.rows, startup)
    result["local"]["summary"] = local["summary"]
    log(f"  {result['local']}")
    if not args.no_dask:
        dask_out = work / "out-dask.csv"
        log("embargo batch, Dask LocalCluster (2 workers) ...")
        dsk = run_measured(batch_cmd(args, dask_out, "--engine", "dask"), env)
        result["dask"] = engine_result(dsk, args.rows, startup)
        result["dask"]["summary"] = dsk["summary"]
        result["dask"]["identical_to_local"] = sha256(dask_out) == sha256(local_out)
        result["dask"]["overhead_vs_local"] = round(dsk["wall_s"] / local["wall_s"] - 1, 3)
        log(f"  {result['dask']}")
        dask_out.unlink(missing_ok=True)
    local_out.unlink(missing_ok=True)
    if args.profile:
        log(f"profiling a local run of {args.profile_rows:,} rows with py-spy ...")
        result["profile"] = profile_run(args, env)
        log(f"  {result['profile']}")
    result["analysis"] = analyse(result)
    result["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return result


def analyse(res: dict[str, Any]) -> dict[str, Any]:
    """What the pipeline adds on top of the matcher."""
    m = res["matcher"]
    local = res["local"]
    cores = res["machine"]["usable_cores"] or 1
    ideal = cores * m["queries_per_s_one_core"]
    pipeline_us = res["pipeline"]["workers_2"]["us_per_row"]
    pipe_cpu_us = res["pipeline"]["workers_2"]["cpu_us_per_row"]
    matcher_cpu_ms = m["cpu_ms_per_query"]
    batch_cpu_ms = local["cpu_ms_per_row_after_start"]
    return {
        "matcher_cpu_ms_per_query": matcher_cpu_ms,
        "batch_cpu_ms_per_row": batch_cpu_ms,
        # Not all pipeline: contention and each worker's own first decoding of entities count
        # here too; the py-spy profile splits a run's samples by activity.
        "pipeline_cpu_share": round(1 - matcher_cpu_ms / batch_cpu_ms, 3) if batch_cpu_ms else None,
        "pipeline_cpu_us_per_row_null_screener": pipe_cpu_us,
        "cpu_bound_rows_per_s": round(cores * 1000 / batch_cpu_ms, 1) if batch_cpu_ms else None,
        "ideal_rows_per_s": round(ideal, 1),
        "local_vs_ideal": round(local["screen_rows_per_s"] / ideal, 3)
        if local.get("screen_rows_per_s")
        else None,
        "pipeline_us_per_row": pipeline_us,
        "matcher_us_per_row_per_core": round(1e6 / m["queries_per_s_one_core"], 1),
        "needed_matcher_ms_for_target": round(cores / TARGET_ROWS_PER_S * 1000, 3),
    }


def report_markdown(res: dict[str, Any]) -> str:
    local = res["local"]
    lines = [
        f"Machine: {machine_line(res['machine'])}",
        f"Lists: {res.get('database')}; input: {res['input']['rows']:,} rows "
        f"({res['input']['names_from']}; mix {res['input']['mix']}).",
        "",
    ]
    rows = [
        [
            "local",
            local["workers"],
            local["wall_s"],
            local["rows_per_s"],
            local["screen_rows_per_s"],
            local["start_s"],
            local["peak_tree_pss_mb"],
            local["peak_tree_rss_mb"],
            verdict(local["rows_per_s"], TARGET_ROWS_PER_S, higher_is_better=True),
        ]
    ]
    if "dask" in res:
        d = res["dask"]
        rows.append(
            [
                "dask (LocalCluster)",
                d["workers"],
                d["wall_s"],
                d["rows_per_s"],
                d["screen_rows_per_s"],
                d["start_s"],
                d["peak_tree_pss_mb"],
                d["peak_tree_rss_mb"],
                f"{100 * d['overhead_vs_local']:+.0f}% wall vs local; identical output: "
                f"{'yes' if d['identical_to_local'] else '**no**'}",
            ]
        )
    lines.append(
        md_table(
            [
                "engine",
                "workers",
                "wall s",
                "rows/s (wall)",
                "rows/s (screening)",
                "start-up s",
                "peak PSS MB (tree)",
                "peak RSS MB (tree, summed)",
                "note",
            ],
            rows,
            "lrrrrrrrl",
        )
    )
    m, p, a = res["matcher"], res["pipeline"], res["analysis"]
    lines += [
        "",
        f"Matcher alone, one process: {m['ms_per_query']} ms/query "
        f"({m['queries_per_s_one_core']:,.0f} queries/s); ideal on "
        f"{res['machine']['usable_cores']} cores {a['ideal_rows_per_s']:,.0f} rows/s; the local "
        f"engine reaches {a['local_vs_ideal']} of it while screening. The {TARGET_ROWS_PER_S:,.0f}"
        f" rows/s target needs <= {a['needed_matcher_ms_for_target']} ms per query per core.",
        f"Pipeline alone (instant screener): {p['workers_1']['rows_per_s']:,.0f} rows/s in one "
        f"process, {p['workers_2']['rows_per_s']:,.0f} rows/s with 2 workers "
        f"({p['workers_2']['us_per_row']} µs per row of reading, transfer and writing).",
    ]
    lines.append(
        f"CPU per row once started (whole process tree): {a['batch_cpu_ms_per_row']} ms; the "
        f"matcher alone, in one process, {a['matcher_cpu_ms_per_query']} ms per query "
        f"({100 * (a['pipeline_cpu_share'] or 0):.0f}% less; the pipeline with an instant "
        f"screener costs {a['pipeline_cpu_us_per_row_null_screener']} µs CPU per row, and "
        "the profile, if run, gives its share of a real run). CPU-bound on "
        f"{res['machine']['usable_cores']} idle cores that is {a['cpu_bound_rows_per_s']:,.0f} "
        f"rows/s. Start-up (100 rows): {res['startup']['wall_s']} s wall, "
        f"{res['startup']['cpu_s']} s CPU."
    )
    prof = res.get("profile")
    if prof:
        lines.append(
            f"py-spy profile ({prof['samples']:,} samples): by process {prof['by_process']}; "
            f"parent {prof['by_activity'].get('parent')}; workers "
            f"{prof['by_activity'].get('workers')} (% of all samples)."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--listed-share", type=float, default=0.03)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="list files to load")
    ap.add_argument("--db", help="a database URL with lists already loaded")
    ap.add_argument("--data-dir", type=Path, help="EMBARGO_DATA_DIR (index cache)")
    ap.add_argument(
        "--work",
        type=Path,
        default=Path(tempfile.gettempdir()) / "embargo-bench-batch",
        help="work folder (database, generated input, outputs); kept between runs",
    )
    ap.add_argument("--sample", type=int, default=5000, help="queries timed for the matcher")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--profile", action="store_true", help="py-spy profile of a local run")
    ap.add_argument("--profile-rows", type=int, default=50_000)
    ap.add_argument("--json", type=Path, help="result file (default bench/results/batch.json)")
    ap.add_argument("--worker", choices=("matcher", "pipeline"), help=argparse.SUPPRESS)
    ap.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker = worker_matcher if args.worker == "matcher" else worker_pipeline
        write_json(args.result, worker(args))
        return 0
    res = run(args)
    out = args.json or RESULTS / "batch.json"
    write_json(out, res)
    print(report_markdown(res))
    log(f"results written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
