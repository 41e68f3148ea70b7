"""Monitoring benchmark: one list update of 500 changed entities against a book of 1M customers.

    .venv/bin/python -m bench.monitor                       # 1,000,000 customers, temp SQLite
    .venv/bin/python -m bench.monitor --customers 50000     # a quick run
    .venv/bin/python -m bench.monitor --db postgresql+psycopg://postgres@127.0.0.1:5432/bench

Steps (each timed; peak memory per step):

1. *lists*: every list file in ``--data`` (default ``../shared/data/official``) is loaded with
   ``embargo.update.load_path``: the active versions are list version 1;
2. *book*: a customer file of ``--customers`` rows (the same generator as ``bench.batch``:
   Faker names in ten locales, birth dates and countries on part of the rows, and a small
   share — a few hundred rows — of listed names as published and lightly varied) is imported
   with ``Workflow.import_customers`` (no screening), which also fills the customer key table;
3. *initial screening* against version 1: every customer is screened by the matcher in
   ``--jobs`` forked processes; the customers with a match are recorded through
   ``Workflow.record_screenings`` (full scope: the workflow's alert rules), the others are
   marked screened (a shortcut: recording a million no-hit screenings one by one would take
   hours and changes nothing that monitoring reads). Reviewers then decide some alerts:
   false positives (whitelisted) and true matches (four-eyes: decided by one user, confirmed
   by another), and a first ``run_monitor`` records version 1 as the baseline;
4. *version 2*: ``--changes`` entities (500) are edited and saved with ``Store.save_version``:
   new entities (some designating customers of the book, some listed elsewhere already),
   added names and aliases, changed and added birth dates and identifiers, removals — some of
   them on the decided pairs, so that whitelisted pairs alert again and confirmed matches are
   delisted;
5. *monitor*: ``run_monitor(update=False)`` in a fresh process (its peak memory is its own);
6. *full re-screen*: every customer is screened again against version 2 by the matcher
   (``--jobs`` processes, index built first and timed apart), and the customers with a match
   are recorded through ``Workflow.record_screenings`` on the same database, *after* the
   monitoring run. A full re-screen raises no new alert then exactly when monitoring missed
   none, and every monitoring alert must be among the full re-screen's matches: the two sets
   of alerts are compared both ways;
7. *product full re-screen*: ``Workflow.screen_customers`` (what ``embargo screen-customers``
   runs: one process, every screening recorded) on ``--sample`` customers, extrapolated to the
   book. This is the figure the speed-up is reported against too.

Writes ``bench/results/monitor.json`` and prints Markdown. Targets (issue 5): the monitoring run
takes <= 60 s and is >= 20x faster than a full re-screen of the book, with the same alerts.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    DEFAULT_DATA,
    RESULTS,
    PeakTracker,
    busy_warning,
    log,
    machine_info,
    machine_line,
    md_table,
    peak_mb,
    run_worker,
    verdict,
    write_json,
)

TARGET_MONITOR_S = 60.0
TARGET_SPEEDUP = 20.0
ACTOR = "bench"


# -- helpers ---------------------------------------------------------------------------------


def _settings(url: str, data_dir: Path) -> Any:
    from embargo.settings import Settings

    return Settings(data_dir=data_dir, database_url=url)


def _workflow(url: str, data_dir: Path) -> Any:
    from embargo.store import Store
    from embargo.workflow import Workflow, WorkflowConfig

    store = Store.open(url)
    wf = Workflow(store, None, _settings(url, data_dir), config=WorkflowConfig())
    wf._owns_store = True  # close() closes the store too
    return wf


# The monitoring run's own module: a prepared book (``--prepared``) stays valid across its edits.
MONITOR_MODULE = "workflow/monitor.py"


def index_path(url: str, data_dir: Path) -> Path:
    """Where Embargo saves the match index of the store at ``url``."""
    from embargo.screening import _safe

    return data_dir / "index" / f"{_safe(url)}.pickle"


def code_digest(*, exclude: tuple[str, ...] = ()) -> str:
    """A digest of Embargo's source: the runs compared must all run the same code (other
    developers edit the tree while benchmarks run). ``exclude``: paths (relative to the
    package) left out."""

    import embargo

    root = Path(embargo.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).as_posix() not in exclude:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def snapshot_and_rerun(args: argparse.Namespace, argv: list[str]) -> int:
    """Run the benchmark on a copy of Embargo's source taken now, so that edits made to the
    tree while it runs (hours, for a million customers) cannot mix two versions of the
    matcher into one comparison."""
    from bench.common import REPO

    work = args.work or Path(tempfile.mkdtemp(prefix="embargo-bench-monitor-"))
    work.mkdir(parents=True, exist_ok=True)
    snap = work / "snapshot"
    shutil.rmtree(snap, ignore_errors=True)
    shutil.copytree(
        REPO / "src" / "embargo", snap / "embargo", ignore=shutil.ignore_patterns("__pycache__")
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(snap), str(REPO), os.environ.get("PYTHONPATH", "")]),
        "EMBARGO_BENCH_SNAPSHOT": str(snap),
    }
    cmd = [sys.executable, "-m", "bench.monitor", *argv, "--work", str(work)]
    if args.work is None:
        cmd.append("--remove-work")
    return subprocess.run(cmd, cwd=REPO, env=env, check=False).returncode


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (forked scoring workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class Timer:
    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = _cpu()

    def done(self) -> dict[str, float]:
        return {
            "wall_s": round(time.perf_counter() - self.wall, 2),
            "cpu_s": round(_cpu() - self.cpu, 2),
        }


def _customer_ranges(url: str, jobs: int) -> list[tuple[int, int]]:
    from sqlalchemy import create_engine, func, select

    from embargo.workflow.tables import customers

    engine = create_engine(url)
    with engine.connect() as conn:
        lo, hi = conn.execute(select(func.min(customers.c.id), func.max(customers.c.id))).one()
    engine.dispose()
    if lo is None:
        return []
    step = (hi - lo + jobs) // jobs
    return [(lo + i * step, min(hi, lo + (i + 1) * step - 1)) for i in range(jobs)]


# Set in the parent before forking: the workers inherit the built index.
_SCREENER: Any = None


def _screen_range(args: tuple[str, int, int, float, int]) -> tuple[list[str], int, float]:
    """Worker: screen customers with ids in [lo, hi]; the refs with a match at or above the
    threshold, how many were screened, and CPU seconds."""
    url, lo, hi, threshold, limit = args
    from sqlalchemy import and_, create_engine, select

    from embargo.errors import EmbargoError
    from embargo.workflow.tables import customer_versions, customers

    start = _cpu()
    engine = create_engine(url)
    hits: list[str] = []
    count = 0
    last = lo - 1
    while True:
        with engine.connect() as conn:
            rows = conn.execute(
                select(customers.c.id, customers.c.ref, customer_versions.c.data)
                .join(
                    customer_versions,
                    and_(
                        customer_versions.c.customer_id == customers.c.id,
                        customer_versions.c.version == customers.c.version,
                    ),
                )
                .where(customers.c.id > last)
                .where(customers.c.id <= hi)
                .order_by(customers.c.id)
                .limit(5000)
            ).all()
        if not rows:
            break
        for r in rows:
            count += 1
            try:
                found = _SCREENER.screen(r.data, limit=limit, threshold=threshold)
            except EmbargoError:
                continue
            if any(m.score >= threshold for m in found):
                hits.append(r.ref)
        last = rows[-1].id
    engine.dispose()
    return hits, count, _cpu() - start


def matcher_pass(wf: Any, url: str, jobs: int) -> dict[str, Any]:
    """Screen the whole book with the workflow's screener in ``jobs`` forked processes.

    Returns the refs with a match, and the timings: building the index (``index``) and the
    screening itself (``screen``, wall and CPU summed over the workers).
    """
    global _SCREENER
    t = Timer()
    gc.disable()  # a big heap of small objects: the collector would rescan it over and over
    screener = wf.screener
    screener.refresh()
    gc.freeze()
    gc.enable()
    index_t = t.done()
    _SCREENER = screener
    ranges = _customer_ranges(url, jobs)
    threshold, limit = wf.threshold, wf.config.limit
    t = Timer()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(len(ranges)) as pool:
        parts = pool.map(_screen_range, [(url, lo, hi, threshold, limit) for lo, hi in ranges])
    wall = time.perf_counter() - t.wall
    hits = sorted({ref for refs, _n, _c in parts for ref in refs})
    screened = sum(n for _r, n, _c in parts)
    cpu = sum(c for _r, _n, c in parts)
    return {
        "hits": hits,
        "screened": screened,
        "index": index_t,
        "screen": {
            "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2),
            "per_customer_ms": round(cpu / max(screened, 1) * 1000, 3),
        },
    }


def record_hits(wf: Any, refs: Sequence[str], trigger: str) -> Any:
    """Screen ``refs`` again in this process (to get the matches themselves) and record them
    as full screenings: the workflow decides alert, whitelisted, already under review..."""
    screener = wf.screener
    threshold, limit = wf.threshold, wf.config.limit
    results = []
    for customer in wf.iter_customers(refs):
        matches = screener.screen(customer.data, limit=limit, threshold=threshold)
        results.append((customer.ref, [m for m in matches if m.score >= threshold]))
    return wf.record_screenings(results, actor=ACTOR, trigger=trigger, scope={"kind": "full"})


def mark_screened(wf: Any) -> int:
    """The bench shortcut of step 3: customers without a match count as screened in full."""
    from sqlalchemy import or_, update

    from embargo.workflow.tables import customers

    with wf.store.engine.begin() as conn:
        done = conn.execute(
            update(customers)
            .where(
                or_(
                    customers.c.screened_version.is_(None),
                    customers.c.screened_version < customers.c.version,
                )
            )
            .values(screened_version=customers.c.version, screened_at=datetime.now(UTC))
        )
    return int(done.rowcount or 0)


# -- the book --------------------------------------------------------------------------------


def make_book(work: Path, url: str, customers: int, seed: int) -> tuple[Path, dict[str, Any]]:
    from bench.batch import generate_input, listed_names

    path = work / f"book-{customers}-{seed}.csv"
    listed = listed_names(url, 200_000)
    # A few hundred rows of listed names as published or lightly varied, whatever the size.
    share = min(0.02, 600 / max(customers, 1))
    if path.exists():
        return path, {"cached": True, "path": str(path)}
    work.mkdir(parents=True, exist_ok=True)
    info = generate_input(path, customers, seed, listed, share)
    return path, info


# -- version 2 -------------------------------------------------------------------------------


def _plan(total: int) -> dict[str, int]:
    """How the changes split up (about 500 in all)."""
    plan = {
        "new_customer_names": total * 6 // 100,
        "new_listed_elsewhere": total * 24 // 100,
        "alias_added": total * 20 // 100,
        "alias_from_book": total * 6 // 100,
        "birth_date_changed": total * 14 // 100,
        "identifier_added": total * 10 // 100,
    }
    plan["removed"] = total - sum(plan.values())
    return plan


def derive_version(
    wf: Any,
    *,
    changes: int,
    seed: int,
    focus: dict[str, list[str]],
) -> dict[str, Any]:
    """Edit ``changes`` entities of the active lists and save the edited sources as new
    versions. ``focus``: entity ids to prefer for some edits (``realert``: entities of
    false-positive decisions, to gain an alias or a birth date; ``delist``: confirmed
    matches, to be removed)."""
    import msgspec

    from embargo.model import BirthDate, Entity, Identifier, IdType, Name, NameKind, Schema
    from embargo.model.values import make_name

    rng = random.Random(seed)
    store = wf.store
    by_source: dict[str, dict[str, Entity]] = {}
    versions = {v.source: v for v in store.active_versions()}
    for source, v in versions.items():
        by_source[source] = {e.id: e for e in store.iter_entities(v.id)}
    everything = [e for ents in by_source.values() for e in ents.values()]
    people = [e for e in everything if e.schema is Schema.PERSON and e.names]
    # Sources big enough to edit: the designating lists, not the tiny samples.
    targets = [s for s, ents in by_source.items() if len(ents) >= 400]
    touched: set[str] = set()
    edits: dict[str, int] = {}
    examples: dict[str, list[str]] = {}

    def note(kind: str, text: str) -> None:
        edits[kind] = edits.get(kind, 0) + 1
        if len(examples.setdefault(kind, [])) < 3:
            examples[kind].append(text)

    def pick(pool: Sequence[Entity]) -> Entity:
        for _ in range(1000):
            e = rng.choice(pool)
            if e.id not in touched and e.source in targets:
                touched.add(e.id)
                return e
        raise SystemExit("bench: ran out of entities to edit")

    def name(text: str, kind: NameKind = NameKind.ALIAS) -> Name:
        made = make_name(text, kind)
        assert made is not None
        return made

    plan = _plan(changes)
    realert = [i for i in focus.get("realert", []) if any(i in ents for ents in by_source.values())]
    delist = [i for i in focus.get("delist", []) if any(i in ents for ents in by_source.values())]
    lookup = {e.id: e for e in everything}

    # Whitelisted pairs: the listed side gains a name or a birth date.
    for i, eid in enumerate(realert):
        e = lookup[eid]
        touched.add(eid)
        if i % 2 == 0:
            alias = e.names[0].full + " Jr"
            by_source[e.source][eid] = msgspec.structs.replace(e, names=[*e.names, name(alias)])
            note("alias_added", f"{eid}: + {alias!r}")
            plan["alias_added"] -= 1
        else:
            year = 1950 + rng.randrange(50)
            bd = BirthDate(text=str(year), year=year)
            by_source[e.source][eid] = msgspec.structs.replace(e, birth_dates=[*e.birth_dates, bd])
            note("birth_date_changed", f"{eid}: + {year}")
            plan["birth_date_changed"] -= 1
    for eid in delist:
        e = lookup[eid]
        touched.add(eid)
        del by_source[e.source][eid]
        note("removed", f"{eid} ({e.caption})")
        plan["removed"] -= 1

    # Names of customers of the book: new designations and new aliases that must alert.
    book_names = wf.list_customers(limit=5000, offset=rng.randrange(1000))
    book_people = [c for c in book_names if c.schema == "Person"]
    rng.shuffle(book_people)
    for _ in range(max(plan["new_customer_names"], 0)):
        c = book_people.pop()
        source = rng.choice(targets)
        eid = f"{source}-bench-new-{len(touched)}"
        touched.add(eid)
        props = c.data["properties"]
        births = [BirthDate(text=d, year=int(d[:4])) for d in props.get("birthDate", [])[:1]]
        by_source[source][eid] = Entity(
            id=eid,
            schema=Schema.PERSON,
            source=source,
            source_id=eid,
            names=[name(c.caption, NameKind.PRIMARY)],
            birth_dates=births,
            nationalities=list(props.get("nationality", props.get("country", [])))[:1],
            listings=list(rng.choice(list(by_source[source].values())).listings[:1]),
        )
        note("new_customer_names", f"{eid}: {c.caption!r} (customer {c.ref})")
    for _ in range(max(plan["alias_from_book"], 0)):
        c = book_people.pop()
        e = pick(people)
        by_source[e.source][e.id] = msgspec.structs.replace(e, names=[*e.names, name(c.caption)])
        note("alias_from_book", f"{e.id}: + {c.caption!r} (customer {c.ref})")
    for _ in range(max(plan["new_listed_elsewhere"], 0)):
        other = rng.choice(everything)
        source = rng.choice([s for s in targets if s != other.source])
        eid = f"{source}-bench-{other.id}"
        if eid in by_source[source]:
            continue
        touched.add(eid)
        by_source[source][eid] = msgspec.structs.replace(other, id=eid, source=source)
        note("new_listed_elsewhere", f"{eid}: {other.caption!r}")
    for _ in range(max(plan["alias_added"], 0)):
        e = pick(everything)
        words = e.names[0].full.split()
        alias = " ".join(reversed(words)) if len(words) > 1 else words[0] + "a"
        by_source[e.source][e.id] = msgspec.structs.replace(e, names=[*e.names, name(alias)])
        note("alias_added", f"{e.id}: + {alias!r}")
    for _ in range(max(plan["birth_date_changed"], 0)):
        e = pick(people)
        year = 1940 + rng.randrange(60)
        bd = BirthDate(text=f"{year}-0{rng.randrange(1, 10)}-1{rng.randrange(10)}", year=year)
        by_source[e.source][e.id] = msgspec.structs.replace(e, birth_dates=[bd])
        note("birth_date_changed", f"{e.id}: → {bd.text}")
    for _ in range(max(plan["identifier_added"], 0)):
        e = pick(everything)
        number = f"X{rng.randrange(10**8):08d}"
        ident = Identifier(
            type=IdType.PASSPORT if e.schema is Schema.PERSON else IdType.REGISTRATION, value=number
        )
        by_source[e.source][e.id] = msgspec.structs.replace(e, identifiers=[*e.identifiers, ident])
        note("identifier_added", f"{e.id}: + {number}")
    for _ in range(max(plan["removed"], 0)):
        e = pick(everything)
        del by_source[e.source][e.id]
        note("removed", f"{e.id} ({e.caption})")

    saved = []
    for source, ents in by_source.items():
        v = versions[source]
        before = {e.id for e in store.iter_entities(v.id)}
        if not (touched & (set(ents) | before)):
            continue
        digest = hashlib.sha256(f"bench-v2:{seed}:{source}:{v.content_hash}".encode()).hexdigest()
        result = store.save_version(
            source=source,
            format=v.format,
            publisher_date=datetime.now(UTC).date().isoformat(),
            content_hash=digest,
            origin=f"bench.monitor: version {v.id} with edits",
            report={"skipped": [], "warnings": []},
            entities=list(ents.values()),
            actor=ACTOR,
        )
        saved.append(
            {"source": source, "from": v.id, "to": result.version.id, "active": result.activated}
        )
    return {"edits": edits, "total": sum(edits.values()), "examples": examples, "versions": saved}


# -- the monitoring run, in a fresh process --------------------------------------------------


def monitor_worker(args: argparse.Namespace) -> dict[str, Any]:
    from embargo.workflow.monitor import run_monitor

    if args.code and args.code != code_digest():
        raise SystemExit("bench: Embargo's source changed during the benchmark; run it again")

    t = Timer()
    wf = _workflow(args.db, args.data_dir)
    opened = t.done()
    t = Timer()
    run = run_monitor(wf, actor=ACTOR, update=False)
    done = t.done()
    out = {
        "open": opened,
        "run": done,
        "peak_rss_mb": peak_mb(),
        "summary": run.summary(),
        "alerts": [[a.customer_ref, a.entity_id, round(a.score, 4), a.reason] for a in run.alerts],
        "notices": [[n.customer_ref, n.entity_id, n.kind] for n in run.notices],
    }
    wf.close()
    return out


# -- the benchmark ---------------------------------------------------------------------------


def decide_some(wf: Any, seed: int, fp: int, tm: int) -> dict[str, list[str]]:
    """Reviewers decide some of the initial alerts: ``fp`` false positives (one reviewer) and
    ``tm`` true matches (four-eyes: decided by alice, confirmed by bob)."""
    rng = random.Random(seed)
    open_alerts = wf.list_alerts(status="open", limit=None)
    rng.shuffle(open_alerts)
    seen: set[str] = set()
    realert: list[str] = []
    delist: list[str] = []
    for a in open_alerts:
        if a.entity_id in seen:
            continue
        seen.add(a.entity_id)
        if len(realert) < fp:
            wf.decide(a.id, "false_positive", "bench: not the listed party", actor="alice")
            realert.append(a.entity_id)
        elif len(delist) < tm:
            wf.decide(a.id, "true_match", "bench: the listed party", actor="alice")
            wf.confirm(a.id, actor="bob")
            delist.append(a.entity_id)
        else:
            break
    return {"realert": realert, "delist": delist}


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    res: dict[str, Any] = {
        "benchmark": "monitor",
        "customers": args.customers,
        "seed": args.seed,
        "code": code_digest(),
    }
    url = args.db or f"sqlite:///{work / 'embargo.db'}"
    res["database"] = "PostgreSQL (--db)" if args.db else "temp SQLite"
    data_dir = work / "data"
    peaks = PeakTracker()
    if args.prepared is not None and (args.prepared / PREPARED_JSON).exists():
        full = reuse_prepared(args, res, work)
    else:
        full = prepare(args, res, url, data_dir, peaks)
        if args.prepared is not None:
            save_prepared(args, res, full, work)
    if args.prepare_only:
        return res
    return measure(args, res, full, url, data_dir, peaks)


PREPARED_JSON = "prepared.json"


def reuse_prepared(args: argparse.Namespace, res: dict[str, Any], work: Path) -> dict[str, Any]:
    """Steps 1-4 and the full re-screen's matcher pass, as a ``--prepared`` directory holds
    them: valid only for the same book and the same code outside the monitoring module."""
    saved = json.loads((args.prepared / PREPARED_JSON).read_text())
    digest = code_digest(exclude=(MONITOR_MODULE,))
    if saved["prepared_code"] != digest:
        raise SystemExit(
            f"bench: {args.prepared} was prepared by other code ({saved['prepared_code']}, "
            f"now {digest}); prepare it again (remove the directory)"
        )
    if (saved["customers"], saved["seed"]) != (args.customers, args.seed):
        raise SystemExit(f"bench: {args.prepared} holds another book; give --customers/--seed")
    log(f"1-4. reusing the book prepared in {args.prepared} ({saved['prepared_at']}) ...")
    shutil.copyfile(args.prepared / "embargo.db", work / "embargo.db")
    url = f"sqlite:///{work / 'embargo.db'}"
    index = index_path(url, work / "data")
    index.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(args.prepared / "index-v1.pickle", index)
    for step in ("lists", "book", "import", "initial", "version2", "prepared_at"):
        res[step] = saved[step]
    res["prepared"] = {"from": str(args.prepared), "at": saved["prepared_at"]}
    return dict(saved["full_matcher"])


def save_prepared(
    args: argparse.Namespace, res: dict[str, Any], full: dict[str, Any], work: Path
) -> None:
    if args.db:
        raise SystemExit("bench: --prepared keeps a SQLite file; it cannot be used with --db")
    args.prepared.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(work / "embargo.db", args.prepared / "embargo.db")
    shutil.copyfile(work / "index-v1.pickle", args.prepared / "index-v1.pickle")
    saved = {
        **{k: res[k] for k in ("customers", "seed", "lists", "book", "import", "initial")},
        "version2": res["version2"],
        "prepared_at": res["prepared_at"],
        "prepared_code": code_digest(exclude=(MONITOR_MODULE,)),
        "full_matcher": full,
    }
    write_json(args.prepared / PREPARED_JSON, saved)
    log(f"   prepared book kept in {args.prepared}")


def prepare(
    args: argparse.Namespace, res: dict[str, Any], url: str, data_dir: Path, peaks: PeakTracker
) -> dict[str, Any]:
    """Steps 1-4, then the full re-screen's matcher pass over version 2 (it only reads: it
    does not depend on the monitoring run, which is measured on the state before it)."""
    from embargo.update import load_path

    work = data_dir.parent
    log("1. loading the lists ...")
    wf = _workflow(url, data_dir)
    if wf.store.active_versions():
        raise SystemExit("bench: the database already has lists; give an empty one")
    t = Timer()
    report = load_path(wf.store, args.data, _settings(url, data_dir), actor=ACTOR)
    res["lists"] = {
        **t.done(),
        "files": len(report.outcomes),
        "active_entities": sum(v.entity_count for v in wf.store.active_versions()),
        "peak_mb": peaks.phase(),
    }

    log(f"2. generating and importing {args.customers:,} customers ...")
    from embargo.batch.io import ColumnMapping

    t = Timer()
    book, info = make_book(work if not args.cache else args.cache, url, args.customers, args.seed)
    res["book"] = {**info, **t.done()}
    mapping = ColumnMapping(
        ref="ref", name="name", birth_date="birth_date", country="country", schema="schema"
    )
    t = Timer()
    summary = wf.import_customers(book, mapping, ACTOR, screen=False)
    from sqlalchemy import func, select

    from embargo.workflow.monitor_tables import customer_keys

    with wf.store.engine.connect() as conn:
        key_rows = int(conn.execute(select(func.count()).select_from(customer_keys)).scalar_one())
    res["import"] = {
        **t.done(),
        "created": summary.created,
        "errors": len(summary.errors),
        "key_rows": key_rows,
        "peak_mb": peaks.phase(),
    }
    log(f"   {res['import']}")

    log("3. initial screening against version 1 ...")
    initial = matcher_pass(wf, url, args.jobs)
    t = Timer()
    recorded = record_hits(wf, initial["hits"], "bench-initial")
    marked = mark_screened(wf)
    focus = decide_some(wf, args.seed, fp=60, tm=20)
    from embargo.workflow.monitor import run_monitor

    baseline = run_monitor(wf, actor=ACTOR, update=False)
    # The saved index of version 1, as the screenings left it: the monitoring run finds it
    # there (and reuses its name analyses), not one of version 2 built by the bench.
    index_v1 = work / "index-v1.pickle"
    shutil.copyfile(index_path(url, data_dir), index_v1)
    res["initial"] = {
        "index": initial["index"],
        "screen": initial["screen"],
        "customers_with_matches": len(initial["hits"]),
        "alerts": len(recorded.alerts),
        "record": t.done(),
        "marked_screened": marked,
        "decided": {"false_positive": len(focus["realert"]), "true_match": len(focus["delist"])},
        "baseline_run": baseline.summary(),
        "peak_mb": peaks.phase(),
    }
    log(f"   {len(initial['hits']):,} customers with matches, {len(recorded.alerts):,} alerts")

    log(f"4. deriving version 2 with {args.changes} changed entities ...")
    t = Timer()
    res["version2"] = {
        **derive_version(wf, changes=args.changes, seed=args.seed, focus=focus),
        **t.done(),
    }
    log(f"   {res['version2']['edits']}")
    res["prepared_at"] = datetime.now(UTC).isoformat(timespec="seconds")

    log("6a. full re-screen against version 2: the matcher pass ...")
    full = matcher_pass(wf, url, args.jobs)
    full["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    wf.close()
    shutil.copyfile(index_v1, index_path(url, data_dir))
    return full


def measure(
    args: argparse.Namespace,
    res: dict[str, Any],
    full: dict[str, Any],
    url: str,
    data_dir: Path,
    peaks: PeakTracker,
) -> dict[str, Any]:
    """Steps 5-7 on the prepared store: the monitoring run, the full re-screen's alerts
    recorded after it and compared both ways, and ``screen_customers`` on a sample."""
    log("5. monitoring run (fresh process) ...")
    mon = run_worker(
        "bench.monitor",
        ["monitor", "--db", url, "--data-dir", str(data_dir), "--code", res["code"]],
    )
    res["monitor"] = mon
    log(f"   {mon['run']} — {mon['summary']['alerts']} alerts, {mon['summary']['notices']} notices")

    log("6b. full re-screen against version 2: its alerts recorded after the run ...")
    wf = _workflow(url, data_dir)
    t = Timer()
    rescreen = record_hits(wf, full["hits"], "bench-full")
    record_t = t.done()
    monitor_pairs = {(c, e) for c, e, _s, _r in mon["alerts"]}
    full_pairs: set[tuple[str, str]] = set()
    for s in wf.screenings(limit=None):
        if s.trigger != "bench-full":
            continue
        for o in s.outcomes:
            if o.outcome in ("alert", "active_alert"):
                full_pairs.add((s.customer_ref, o.entity_id))
    missed = [(a.customer_ref, a.entity_id) for a in map(wf.get_alert, rescreen.alerts)]
    extra = sorted(monitor_pairs - full_pairs)
    # What the differences are. A miss on an entity that did not change (nor did any
    # customer) is drift: the whole lists' index retrieves the pair now because a changed
    # neighbour moved its relative cutoff. An extra is explained when the full index finds
    # the pair given room for more candidates.
    changed_ids: set[str] = set()
    for v in res["version2"]["versions"]:
        d = wf.store.diff(v["source"], v["from"], v["to"])
        changed_ids |= {i for i, _c in d.added} | {c.entity_id for c in d.changed}
    screener = wf.screener
    explained = []
    for ref, entity_id in extra:
        (customer,) = wf.iter_customers([ref])
        roomy = screener.screen(customer.data, limit=500, candidates=500, cutoff=0.0)
        if any(m.entity_id == entity_id and m.score >= wf.threshold for m in roomy):
            explained.append((ref, entity_id))
    missed_changed = [p for p in missed if p[1] in changed_ids]
    res["full"] = {
        "index": full["index"],
        "screen": full["screen"],
        "customers_with_matches": len(full["hits"]),
        "record": record_t,
        "monitor_alerts": len(monitor_pairs),
        "missed_by_monitor": missed[:50],
        "missed_count": len(missed),
        "missed_on_changed_entities": len(missed_changed),
        "missed_drift": len(missed) - len(missed_changed),
        "extra_in_monitor": extra[:50],
        "extra_count": len(extra),
        "extra_explained": len(explained),
        "same_alerts": not missed and not extra,
        "same_up_to_drift": not missed_changed and len(explained) == len(extra),
        "peak_mb": peaks.phase(),
    }
    log(f"   missed {len(missed)}, extra {len(extra)}")

    log(f"7. Workflow.screen_customers on {args.sample:,} customers ...")
    refs = [c.ref for c in wf.list_customers(limit=args.sample, offset=0)]
    t = Timer()
    sample_run = wf.screen_customers(refs, actor=ACTOR, trigger="bench-sample")
    sample_t = t.done()
    per = sample_t["wall_s"] / max(sample_run.screened, 1)
    res["product_full"] = {
        "sample": sample_run.screened,
        **sample_t,
        "per_customer_ms": round(per * 1000, 3),
        "extrapolated_book_s": round(per * args.customers, 1),
    }
    verify = wf.store.verify_audit()
    res["audit"] = {"ok": verify.ok, "records": verify.records, "problems": verify.problems[:5]}
    wf.close()
    res["peak_total_mb"] = peaks.total()
    if code_digest() != res["code"]:
        raise SystemExit("bench: Embargo's source changed during the benchmark; run it again")
    return res


def analyse(res: dict[str, Any]) -> dict[str, Any]:
    monitor_s = res["monitor"]["run"]["wall_s"]
    matcher_full_s = res["full"]["index"]["wall_s"] + res["full"]["screen"]["wall_s"]
    product_s = res["product_full"]["extrapolated_book_s"]
    return {
        "monitor_s": monitor_s,
        "matcher_full_s": round(matcher_full_s, 1),
        "product_full_s": product_s,
        "speedup_vs_matcher": round(matcher_full_s / monitor_s, 1),
        "speedup_vs_product": round(product_s / monitor_s, 1),
        "monitor_ok": monitor_s <= TARGET_MONITOR_S,
        "speedup_ok": matcher_full_s / monitor_s >= TARGET_SPEEDUP,
        "same_alerts": res["full"]["same_alerts"],
    }


def report_markdown(res: dict[str, Any]) -> str:
    a = res["analysis"]
    mon = res["monitor"]
    s = mon["summary"]
    lines = [
        f"### Monitoring: {res['customers']:,} customers, {res['version2']['total']} changed "
        f"entities ({res['database']})",
        "",
        machine_line(res["machine"]),
        "",
    ]
    warn = busy_warning(res["machine"])
    if warn:
        lines += [warn, ""]
    rows = [
        [
            "lists loaded (version 1)",
            res["lists"]["wall_s"],
            res["lists"]["cpu_s"],
            res["lists"]["peak_mb"],
            f"{res['lists']['active_entities']:,} active entities",
        ],
        [
            "import customers (+ key table)",
            res["import"]["wall_s"],
            res["import"]["cpu_s"],
            res["import"]["peak_mb"],
            f"{res['import']['created']:,} customers, {res['import']['key_rows']:,} key rows",
        ],
        [
            "initial screening: index",
            res["initial"]["index"]["wall_s"],
            res["initial"]["index"]["cpu_s"],
            None,
            "",
        ],
        [
            "initial screening: matcher",
            res["initial"]["screen"]["wall_s"],
            res["initial"]["screen"]["cpu_s"],
            res["initial"]["peak_mb"],
            f"{res['initial']['customers_with_matches']:,} customers with matches, {res['initial']['alerts']:,} alerts",
        ],
        [
            "**monitoring run**",
            mon["run"]["wall_s"],
            mon["run"]["cpu_s"],
            mon["peak_rss_mb"],
            f"{s['changed_entities']} changed entities, {s['candidates']:,} candidate customers scored, {s['alerts']} alerts, {s['notices']} notices",
        ],
        [
            "full re-screen: index",
            res["full"]["index"]["wall_s"],
            res["full"]["index"]["cpu_s"],
            None,
            "",
        ],
        [
            "full re-screen: matcher",
            res["full"]["screen"]["wall_s"],
            res["full"]["screen"]["cpu_s"],
            res["full"]["peak_mb"],
            f"{res['full']['screen']['per_customer_ms']} ms CPU per customer",
        ],
        [
            f"`screen_customers` on {res['product_full']['sample']:,}",
            res["product_full"]["wall_s"],
            res["product_full"]["cpu_s"],
            None,
            f"{res['product_full']['per_customer_ms']} ms per customer → {res['product_full']['extrapolated_book_s']:,.0f} s for the book (extrapolated)",
        ],
    ]
    lines.append(md_table(["step", "wall s", "CPU s", "peak MiB", ""], rows, "lrrrl"))
    lines += [
        "",
        md_table(
            ["target", "result", ""],
            [
                [
                    "monitoring run ≤ 60 s",
                    f"{a['monitor_s']} s",
                    verdict(a["monitor_s"], TARGET_MONITOR_S),
                ],
                [
                    "≥ 20× faster than a full re-screen (matcher, 2 processes)",
                    f"{a['speedup_vs_matcher']}×",
                    verdict(a["speedup_vs_matcher"], TARGET_SPEEDUP, higher_is_better=True),
                ],
                [
                    "… than `screen_customers` (extrapolated)",
                    f"{a['speedup_vs_product']}×",
                    verdict(a["speedup_vs_product"], TARGET_SPEEDUP, higher_is_better=True),
                ],
                [
                    "same alerts as the full re-screen",
                    f"missed {res['full']['missed_count']}, extra {res['full']['extra_count']}",
                    "ok" if a["same_alerts"] else "**differ**",
                ],
            ],
            "lll",
        ),
        "",
        f"Monitoring timings: {s['timings']}. Edits: {res['version2']['edits']}. "
        f"Audit chain: {'verifies' if res['audit']['ok'] else 'BROKEN'} ({res['audit']['records']:,} records).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--changes", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2, help="processes for the full matcher passes")
    ap.add_argument("--sample", type=int, default=5000, help="customers for screen_customers")
    ap.add_argument("--db", help="an empty database (default: SQLite in a temp dir)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="list files (version 1)")
    ap.add_argument("--work", type=Path, help="work dir to keep (default: a temp dir, removed)")
    ap.add_argument("--cache", type=Path, help="where to keep the generated customer file")
    ap.add_argument("--out", type=Path, default=RESULTS / "monitor.json")
    ap.add_argument(
        "--prepared",
        type=Path,
        help="keep the prepared book (steps 1-4 and the full matcher pass) in this directory, "
        "or reuse it if it is there: to measure the monitoring run again without hours of setup",
    )
    ap.add_argument("--prepare-only", action="store_true", help="stop after preparing the book")
    ap.add_argument("worker", nargs="?", choices=("monitor",), help=argparse.SUPPRESS)
    ap.add_argument("--worker", dest="is_worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--code", help=argparse.SUPPRESS)
    ap.add_argument("--remove-work", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.prepare_only and args.prepared is None:
        ap.error("--prepare-only needs --prepared DIR")
    if not args.is_worker and not os.environ.get("EMBARGO_BENCH_SNAPSHOT"):
        return snapshot_and_rerun(args, list(sys.argv[1:] if argv is None else argv))
    if args.is_worker:
        write_json(args.result, monitor_worker(args))
        return 0
    if not args.data.is_dir():
        raise SystemExit(f"bench: no list data at {args.data}")
    info = machine_info()
    work = args.work or Path(tempfile.mkdtemp(prefix="embargo-bench-monitor-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        res = run(args, work)
    finally:
        if args.remove_work:
            shutil.rmtree(work, ignore_errors=True)
    res["machine"] = {**info, "load_average_after": [round(x, 2) for x in os.getloadavg()]}
    if args.prepare_only:
        log(f"prepared in {args.prepared}; measure with the same flags without --prepare-only")
        return 0
    res["analysis"] = analyse(res)
    write_json(args.out, res)
    print(report_markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
