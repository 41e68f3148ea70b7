"""Load benchmark: every list file in a folder into a fresh database, as ``embargo update --from``.

    .venv/bin/python -m bench.load                         # SQLite in a temp dir
    .venv/bin/python -m bench.load --postgres              # scratch DB on the default server
    .venv/bin/python -m bench.load --postgres URL --data DIR --profile

The load runs in a fresh Python process (so its peak memory is its own) through
``embargo.update.load_path``. To time each file, that process wraps the module's
``load_input`` (which ``load_path`` calls once per discovered file); the progress callback's
last call for a file marks the end of parsing, so each file's time splits into parse (check,
read, clean, dedupe) and store (serialise, hash, insert, commit). The per-file peak is the
VmHWM high-water mark, reset before each file.

Writes ``bench/results/load.json`` (``load-postgres.json`` for PostgreSQL) and prints a
Markdown table. Targets (issue): <= 30 s and <= 1 GiB peak RSS for all files, 2 cores.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    DEFAULT_DATA,
    MB,
    PG_DEFAULT,
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

TARGET_SECONDS = 30.0
TARGET_PEAK_MB = 1024.0


# -- the worker (fresh process) ------------------------------------------------------------


def worker(
    data: Path, db_url: str, result: Path, profile: Path | None, extra_modules: list[str]
) -> None:
    started = time.perf_counter()
    tracker = PeakTracker()
    gct = GcTimer()
    import embargo.update as update

    if extra_modules:
        # Preview of format modules not yet registered: extend this process's sniffing list
        # only (``formats()`` reads it on every call); nothing in the tree changes.
        from embargo.sources import registry

        registry._FORMAT_MODULES = (*registry._FORMAT_MODULES, *extra_modules)
    from embargo.settings import Settings
    from embargo.store import Store

    import_s = time.perf_counter() - started
    rss_after_import = rss_mb()
    settings = Settings.from_env(database_url=db_url)
    store = Store.open(db_url)
    files: list[dict[str, Any]] = []
    first_call: list[float] = []
    original = update.load_input

    def timed_load_input(
        store: Store, inp: update.ListInput, settings: Settings, **kwargs: Any
    ) -> update.LoadOutcome:
        # Keyword arguments pass through untouched (the signature grows: origin, actor, ...);
        # only the progress callback is wrapped.
        progress: update.Progress | None = kwargs.pop("progress", None)
        parsed_at: list[float] = []

        def on_progress(label: str, count: int) -> None:
            # parse_input reports every 500 entities and once more when the file is done,
            # so the last call marks the end of parsing.
            parsed_at.append(time.perf_counter())
            if progress is not None:
                progress(label, count)

        tracker.phase()  # close the phase before this file (discovery, previous file)
        gc0 = gct.snapshot()
        c0 = time.process_time()
        t0 = time.perf_counter()
        if not first_call:
            first_call.append(t0)
        outcome = original(store, inp, settings, progress=on_progress, **kwargs)
        t1 = time.perf_counter()
        cpu = time.process_time() - c0
        peak = tracker.phase()
        parse_end = parsed_at[-1] if parsed_at and outcome.ok else t1
        set_files = inp.format.files(inp.path)
        size = sum(f.stat().st_size for f in set_files)
        row = {
            "file": _relative(inp.path, data),
            "set_files": len(set_files),
            "bytes": size,
            "format": inp.format.name,
            "source": inp.source,
            "status": outcome.status,
            "entities": outcome.entities,
            "records": outcome.records,
            "skipped": len(outcome.skipped),
            "warnings": len(outcome.warnings),
            "parse_s": round(parse_end - t0, 3),
            "store_s": round(t1 - parse_end, 3),
            "total_s": round(t1 - t0, 3),
            "cpu_s": round(cpu, 3),
            "gc_s": gct.since(gc0)["gc_s"],
            "peak_rss_mb": peak,
            "rss_after_mb": rss_mb(),
            "message": outcome.message,
        }
        files.append(row)
        log(
            f"  [{len(files)}] {row['file']}: {outcome.status}, {outcome.entities:,} entities, "
            f"parse {row['parse_s']:.2f} s + store {row['store_s']:.2f} s, peak {peak:.0f} MiB"
        )
        return outcome

    update.load_input = timed_load_input
    profiler = None
    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
    gc_start = gct.snapshot()
    c_start = time.process_time()
    t_start = time.perf_counter()
    try:
        if profiler is not None:
            profiler.enable()
        report = update.load_path(store, data, settings)
        if profiler is not None:
            profiler.disable()
    finally:
        update.load_input = original
    load_s = time.perf_counter() - t_start
    load_cpu_s = time.process_time() - c_start
    load_gc = gct.since(gc_start)
    if profiler is not None and profile is not None:
        profiler.dump_stats(str(profile))
    discover_s = (first_call[0] if first_call else time.perf_counter()) - t_start
    peak_overall = tracker.total()
    rss_after_load = rss_mb()
    active = {v.source: v.entity_count for v in store.active_versions()}
    tables, db_bytes, db_files = _database_size(store, db_url)
    store.close()
    if db_url.startswith("sqlite"):
        db_bytes, db_files = _sqlite_files(db_url)
    summary = {
        "load_path_s": round(load_s, 3),
        "load_path_cpu_s": round(load_cpu_s, 3),
        "load_path_gc": load_gc,
        "discover_s": round(discover_s, 3),
        "import_s": round(import_s, 3),
        "files_loaded": sum(1 for f in files if f["status"] != "failed"),
        "files_failed": sum(1 for f in files if f["status"] == "failed"),
        "entities_read": sum(f["entities"] for f in files),
        "active_entities": sum(active.values()),
        "active_by_source": active,
        "bytes_read": sum(f["bytes"] for f in files),
        "peak_rss_mb": peak_overall,
        "rss_after_import_mb": rss_after_import,
        "rss_after_load_mb": rss_after_load,
        "db_bytes": db_bytes,
        "db_files": db_files,
        "ok": report.ok,
    }
    write_json(
        result,
        {
            "summary": summary,
            "files": files,
            "ignored": [{"path": _relative(Path(p), data), "reason": r} for p, r in report.ignored],
            "tables": tables,
        },
    )


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def _sqlite_path(db_url: str) -> Path:
    return Path(db_url.split("///", 1)[1])


def _sqlite_files(db_url: str) -> tuple[int, dict[str, int]]:
    main = _sqlite_path(db_url)
    sizes = {}
    for suffix in ("", "-wal", "-shm"):
        p = Path(str(main) + suffix)
        if p.exists():
            sizes[p.name] = p.stat().st_size
    return sum(sizes.values()), sizes


def _database_size(
    store: Any, db_url: str
) -> tuple[dict[str, dict[str, int]], int, dict[str, int]]:
    """Rows and bytes per table (SQLite: dbstat incl. indexes; PostgreSQL: total relation)."""
    from sqlalchemy import text

    tables: dict[str, dict[str, int]] = {}
    names = ("list_versions", "entity_blobs", "version_entities", "active_versions")
    with store.engine.connect() as conn:
        for name in names:
            tables[name] = {
                "rows": int(conn.execute(text(f"SELECT count(*) FROM {name}")).scalar())
            }
        if store.dialect == "postgresql":
            for name in names:
                tables[name]["bytes"] = int(
                    conn.execute(text(f"SELECT pg_total_relation_size('{name}')")).scalar()
                )
            size = int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar())
            return tables, size, {"database": size}
        try:
            # Pages of each table and of the indexes on it (dbstat names both).
            rows = conn.execute(
                text(
                    "SELECT coalesce(m.tbl_name, s.name) AS t, sum(s.pgsize) FROM dbstat s "
                    "LEFT JOIN sqlite_master m ON m.name = s.name GROUP BY t"
                )
            ).all()
            for tbl, size in rows:
                if tbl in tables:
                    tables[tbl]["bytes"] = int(size)
        except Exception:  # dbstat is an optional SQLite build feature
            pass
    return tables, 0, {}


# -- PostgreSQL scratch database -----------------------------------------------------------


@contextmanager
def postgres_scratch(url: str) -> Iterator[str]:
    """Create an empty database next to the one ``url`` names; drop it afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"embargo_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- parent --------------------------------------------------------------------------------


def load_into(
    db_url: str, data: Path, *, profile: Path | None = None, extra_modules: Sequence[str] = ()
) -> dict[str, Any]:
    """Load every list file in ``data`` into ``db_url`` in a fresh process; its measurements."""
    args = ["--data", str(data), "--db", db_url]
    if extra_modules:
        args += ["--with-modules", ",".join(extra_modules)]
    if profile is not None:
        args += ["--profile-to", str(profile)]
    result: dict[str, Any] = run_worker("bench.load", args)
    return result


def report_markdown(res: dict[str, Any]) -> str:
    s = res["summary"]
    rows = [
        [
            f["file"],
            f["format"],
            f["source"],
            f["status"],
            f["entities"],
            round(f["bytes"] / MB, 2),
            f["parse_s"],
            f["store_s"],
            f["total_s"],
            f["cpu_s"],
            round(f["entities"] / f["total_s"]) if f["total_s"] else None,
            f["peak_rss_mb"],
        ]
        for f in res["files"]
    ]
    rows.append(
        [
            "**all files**",
            "",
            "",
            f"{s['files_loaded']} ok, {s['files_failed']} failed",
            s["entities_read"],
            round(s["bytes_read"] / MB, 2),
            round(sum(f["parse_s"] for f in res["files"]), 3),
            round(sum(f["store_s"] for f in res["files"]), 3),
            s["load_path_s"],
            s["load_path_cpu_s"],
            round(s["entities_read"] / s["load_path_s"]) if s["load_path_s"] else None,
            s["peak_rss_mb"],
        ]
    )
    files_table = md_table(
        [
            "file",
            "format",
            "source",
            "status",
            "entities",
            "MiB",
            "parse s",
            "store s",
            "total s",
            "CPU s",
            "entities/s",
            "peak RSS MiB",
        ],
        rows,
        align="lllllrrrrrrr",
    )
    summary = md_table(
        ["measure", "value", "target", ""],
        [
            [
                "load_path wall time (discover + parse + store)",
                f"{s['load_path_s']:.2f} s",
                f"≤ {TARGET_SECONDS:.0f} s",
                verdict(s["load_path_s"], TARGET_SECONDS),
            ],
            ["  of which discovery (sniffing every file)", f"{s['discover_s']:.2f} s", "", ""],
            [
                "  CPU time of this process in it (lower than wall: waiting for disk or cores)",
                f"{s['load_path_cpu_s']:.2f} s",
                "",
                "",
            ],
            ["import embargo (worker)", f"{s['import_s']:.2f} s", "", ""],
            ["worker process wall time", f"{res.get('process_wall_s', 0):.2f} s", "", ""],
            [
                "peak RSS (high-water mark, whole process)",
                f"{s['peak_rss_mb']:.0f} MiB",
                f"≤ {TARGET_PEAK_MB:.0f} MiB",
                verdict(s["peak_rss_mb"], TARGET_PEAK_MB),
            ],
            [
                "RSS after import / after load",
                f"{s['rss_after_import_mb']:.0f} / {s['rss_after_load_mb']:.0f} MiB",
                "",
                "",
            ],
            ["database size", f"{s['db_bytes'] / MB:.1f} MiB", "", ""],
            ["active entities (all sources)", f"{s['active_entities']:,}", "", ""],
        ],
        align="lrrl",
    )
    table_rows = [
        [name, t["rows"], round(t["bytes"] / MB, 2) if "bytes" in t else None]
        for name, t in res["tables"].items()
    ]
    tables = md_table(["table", "rows", "MiB (incl. indexes)"], table_rows, align="lrr")
    ignored = res["ignored"]
    not_lists = [
        i for i in ignored if "companion" not in i["reason"] and "together" not in i["reason"]
    ]
    lines: list[str] = [
        f"## Load benchmark — {res['backend']}",
        "",
        f"Machine: {machine_line(res['machine'])}",
        f"Data: `{res['data']}`",
    ]
    busy = busy_warning(res["machine"])
    if busy:
        lines += ["", busy, ""]
    if res.get("unregistered_modules_added"):
        lines += [
            "Preview: also sniffing with unregistered format modules "
            + ", ".join(f"`{m}`" for m in res["unregistered_modules_added"]),
        ]
    lines += [
        "",
        summary,
        "",
        files_table,
        "",
        tables,
        "",
        f"Passed over: {len(ignored)} files ({len(ignored) - len(not_lists)} companion files read "
        f"with their set, {len(not_lists)} in no registered format):",
    ]
    lines += [f"- `{i['path']}`: {i['reason']}" for i in not_lists]
    failed = [f for f in res["files"] if f["status"] == "failed"]
    if failed:
        lines += ["", "Failed:"] + [f"- `{f['file']}`: {f['message']}" for f in failed]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of list files")
    ap.add_argument(
        "--postgres",
        nargs="?",
        const=PG_DEFAULT,
        metavar="URL",
        help=f"load into a scratch database on this PostgreSQL server (default {PG_DEFAULT})",
    )
    ap.add_argument("--json", type=Path, help="result file (default bench/results/load.json)")
    ap.add_argument("--keep", action="store_true", help="keep the SQLite database, print its path")
    ap.add_argument(
        "--profile", action="store_true", help="cProfile the load; writes results/load.prof(.txt)"
    )
    ap.add_argument(
        "--with-modules",
        default="",
        metavar="MOD,...",
        help="preview: also sniff with these embargo.sources modules not yet in the registry "
        "(e.g. uk_ofsi,uk_fcdo,us_csl,opensanctions,ftm); patched in the worker process only",
    )
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        worker(args.data, args.db, args.result, args.profile_to, _modules(args.with_modules))
        return 0

    data: Path = args.data.resolve()
    if not data.is_dir():
        raise SystemExit(f"{data}: no such folder (use --data)")
    backend = "PostgreSQL" if args.postgres else "SQLite"
    extra = _modules(args.with_modules)
    suffix = ("-postgres" if args.postgres else "") + ("-preview" if extra else "")
    out = args.json or RESULTS / f"load{suffix}.json"
    prof = RESULTS / f"load{suffix}.prof" if args.profile else None
    if prof is not None:
        prof.parent.mkdir(parents=True, exist_ok=True)
    info = machine_info()
    log(f"loading {data} into a fresh {backend} database ...")
    tmp = Path(tempfile.mkdtemp(prefix="embargo-bench-load-"))
    try:
        if args.postgres:
            with postgres_scratch(args.postgres) as url:
                res = load_into(url, data, profile=prof, extra_modules=extra)
                res["database"] = url.rsplit("/", 1)[1] + " (scratch, dropped)"
                res["server"] = _pg_version(url)
        else:
            res = load_into(
                f"sqlite:///{tmp / 'embargo.db'}", data, profile=prof, extra_modules=extra
            )
            res["database"] = str(tmp / "embargo.db")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    res = {
        "benchmark": "load",
        "backend": backend,
        "data": str(data),
        "machine": {**info, "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "targets": {"load_s": TARGET_SECONDS, "peak_rss_mb": TARGET_PEAK_MB},
        "unregistered_modules_added": extra,
        **res,
    }
    write_json(out, res)
    print(report_markdown(res))
    print(f"\n(results: {out})")
    if prof is not None:
        profile_summary(prof, prof.with_suffix(".prof.txt"))
        print(f"(profile: {prof}, summary {prof.with_suffix('.prof.txt')})")
    if args.keep and not args.postgres:
        print(f"(database kept: {tmp / 'embargo.db'})")
    return 0


def _modules(text: str) -> list[str]:
    return [m.strip() for m in text.split(",") if m.strip()]


def _pg_version(url: str) -> str | None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar())
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
