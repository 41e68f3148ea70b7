"""Mixed-traffic load benchmark: screening, search, entity pages and alert decisions at once,
against ``embargo serve`` with authentication on, driven by ``wrk`` on loopback.

    .venv/bin/python -m bench.mixed                       # loads ../shared/data/official
    .venv/bin/python -m bench.mixed --seconds 60 --workers 2 --db sqlite:////tmp/x.db

Steps:

1. (without ``--db``) load every list file in ``--data`` into a temporary SQLite database;
2. an analyst user and its API key (the server authenticates every request; the key's rate
   limit is set above what the run can reach, so the limiter is exercised but never refuses);
3. a customer book of ``--customers`` rows, names taken from the lists (as published), is
   imported and screened through the workflow, which raises the alerts the run will decide;
4. request files: single-query ``POST /match/default`` bodies (listed, varied and unlisted
   names, as ``bench/http.py``), ``GET /search/default?q=`` with listed names and fragments,
   ``GET /entities/{id}`` of random listed entities, and ``POST /alerts/{id}/decide``
   (false positive, with a reason) for every open alert, each decided once;
5. ``embargo serve --workers N`` on a free loopback port; when every worker is ready, one
   ``wrk`` process per route runs at the same time for ``--seconds`` (closed loop, the
   connections per route given by ``--mix``), so each route's latency is measured under the
   load of all the others;
6. per route: requests/s, p50/p90/p99/max latency, errors (socket errors, non-2xx answers);
   afterwards the audit log must hold a record for every decision and every screening call,
   and its hash chain must verify.

Writes ``bench/results/mixed.json`` and prints Markdown. The issue's bar: 0 errors, p99
stated per route.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    BENCH_DIR,
    DEFAULT_DATA,
    RESULTS,
    log,
    machine_info,
    machine_line,
    md_table,
    write_json,
)
from bench.http import (
    cpu_seconds,
    free_port,
    load_lists,
    start_server,
    wait_ready,
    worker_pids,
    write_bodies,
)

LUA = BENCH_DIR / "mixed.lua"
ROUTES = ("match", "search", "entity", "decide")
DEFAULT_MIX = "match=3,search=2,entity=2,decide=1"


def analyst_key(db_url: str) -> str:
    """An analyst (deciding alerts needs one) and its key."""
    import secrets

    from embargo.auth import AuthService
    from embargo.store import Store

    store = Store.open(db_url)
    try:
        auth = AuthService(store)
        name = f"bench-analyst-{secrets.token_hex(3)}"
        auth.create_user(name, "analyst", actor="bench")
        return auth.create_key(name, rate_limit=1_000_000, label="bench/mixed.py", actor="bench")[1]
    finally:
        store.close()


def make_alerts(db_url: str, data_dir: Path, work: Path, customers: int, seed: int) -> list[int]:
    """Import a book of customers named as listed parties; the open alerts screening raised."""
    from embargo.batch.io import ColumnMapping
    from embargo.settings import Settings
    from embargo.store import Store
    from embargo.workflow import Workflow

    store = Store.open(db_url)
    rng = random.Random(seed)
    names: list[tuple[str, str]] = []
    for entity in store.iter_active_entities():
        if entity.schema.value in ("Person", "Organization", "Company") and entity.names:
            names.append((entity.schema.value, entity.names[0].full))
    rng.shuffle(names)
    book = work / "book.csv"
    with book.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["ref", "name", "schema"])
        for i, (schema, name) in enumerate(names[:customers]):
            out.writerow([f"BENCH-{i:06d}", name, schema])
    settings = Settings(data_dir=data_dir, database_url=db_url)
    wf = Workflow(store, None, settings)
    mapping = ColumnMapping(ref="ref", name="name", schema="schema")
    started = time.perf_counter()
    summary = wf.import_customers(book, mapping, "bench", screen=True)
    log(f"  imported and screened {customers:,} customers in {time.perf_counter() - started:.0f} s")
    del summary
    ids = [a.id for a in wf.list_alerts(status="open", limit=None)]
    store.close()
    return ids


def write_requests(
    db_url: str, work: Path, bodies: Path, alert_ids: list[int], seed: int
) -> dict[str, Path]:
    from embargo.store import Store

    rng = random.Random(seed)
    store = Store.open(db_url)
    entities = [(e.id, e.names[0].full) for e in store.iter_active_entities() if e.names]
    store.close()
    rng.shuffle(entities)
    files = {route: work / f"{route}.tsv" for route in ROUTES}
    with files["match"].open("w", encoding="utf-8") as fh:
        for line in bodies.read_text(encoding="utf-8").splitlines():
            fh.write(f"POST\t/match/default?limit=5\t{line}\n")
    with files["search"].open("w", encoding="utf-8") as fh:
        for _, name in entities[:5000]:
            words = name.split()
            q = " ".join(words[: rng.randint(1, len(words))])
            fh.write(f"GET\t/search/default?{urllib.parse.urlencode({'q': q, 'limit': 10})}\n")
    with files["entity"].open("w", encoding="utf-8") as fh:
        for entity_id, _ in entities[5000:15000]:
            fh.write(f"GET\t/entities/{urllib.parse.quote(entity_id, safe='')}\n")
    reason = json.dumps({"decision": "false_positive", "reason": "bench: different party"})
    with files["decide"].open("w", encoding="utf-8") as fh:
        for alert_id in alert_ids:
            fh.write(f"POST\t/alerts/{alert_id}/decide\t{reason}\n")
    return files


def start_wrk(
    base: str, requests: Path, connections: int, seconds: int, key: str, once: bool
) -> subprocess.Popen[str]:
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-H",
        f"Authorization: Bearer {key}",
        "-s",
        str(LUA),
        base,
        "--",
        str(requests),
        "once" if once else "rotate",
        "1",
    ]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wrk_result(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate()
    for line in out.splitlines():
        if line.startswith("WRK_RESULT "):
            data: dict[str, Any] = json.loads(line.removeprefix("WRK_RESULT "))
            return data
    raise SystemExit(f"wrk failed ({proc.returncode}):\n{out}\n{err}")


def route_summary(raw: dict[str, Any], connections: int) -> dict[str, Any]:
    seconds = raw["duration_us"] / 1e6
    lat = raw["latency_us"]
    socket_errors = sum(v for k, v in raw["errors"].items() if k != "status")
    return {
        "connections": connections,
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / seconds, 1),
        "p50_ms": round(lat["p50"] / 1000, 2),
        "p90_ms": round(lat["p90"] / 1000, 2),
        "p99_ms": round(lat["p99"] / 1000, 2),
        "max_ms": round(lat["max"] / 1000, 2),
        "errors": socket_errors + raw["non_2xx"],
        "non_2xx": raw["non_2xx"],
        "exhausted": raw.get("exhausted", 0),
    }


def audit_check(db_url: str) -> dict[str, Any]:
    from embargo.store import Store

    store = Store.open(db_url)
    try:
        decisions = len(store.audit_records(action="alert.decide", limit=None))
        verified = store.verify_audit()
        return {"decisions_audited": decisions, "chain_ok": verified.ok}
    finally:
        store.close()


def parse_mix(text: str) -> dict[str, int]:
    mix = {}
    for item in text.split(","):
        route, _, count = item.partition("=")
        if route.strip() not in ROUTES or not count.strip().isdigit():
            raise SystemExit(f"--mix: expected route=connections with routes {ROUTES}: {item!r}")
        mix[route.strip()] = int(count)
    return mix


def report_markdown(res: dict[str, Any]) -> str:
    rows = [
        [
            route,
            r["connections"],
            f"{r['requests']:,}",
            r["requests_per_s"],
            r["p50_ms"],
            r["p90_ms"],
            r["p99_ms"],
            r["max_ms"],
            r["errors"],
        ]
        for route, r in res["routes"].items()
    ]
    table = md_table(
        ["route", "conn.", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors"],
        rows,
    )
    total = res["total"]
    return "\n".join(
        [
            f"Mixed load, {res['seconds']} s, {res['workers']} worker(s), authentication on "
            f"({machine_line(res['machine'])})",
            "",
            table,
            "",
            f"total {total['requests']:,} requests, {total['requests_per_s']} req/s, "
            f"{total['errors']} errors; server CPU {res['server_cpu_s']} s; "
            f"decisions audited {res['audit']['decisions_audited']:,}, "
            f"audit chain {'verifies' if res['audit']['chain_ok'] else 'BROKEN'}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--db", help="a database with lists loaded (default: load --data into a temp one)"
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--mix", default=DEFAULT_MIX, help=f"connections per route ({DEFAULT_MIX})")
    ap.add_argument("--customers", type=int, default=1500)
    ap.add_argument("--names", type=int, default=5000, help="distinct /match bodies")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=RESULTS / "mixed.json")
    args = ap.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("bench: wrk not found (Debian: apt-get install wrk)")
    mix = parse_mix(args.mix)
    work = Path(tempfile.mkdtemp(prefix="embargo-bench-mixed-"))
    data_dir = work / "data"
    data_dir.mkdir()
    db_url = args.db or f"sqlite:///{work / 'embargo.db'}"
    res: dict[str, Any] = {"machine": machine_info(), "seconds": args.seconds}
    res["workers"] = args.workers
    proc = None
    try:
        if not args.db:
            if not args.data.is_dir():
                raise SystemExit(f"bench: no list data at {args.data}")
            log("1. loading the lists ...")
            res["lists"] = load_lists(db_url, data_dir, args.data)
        log("2. an analyst and its key ...")
        key = analyst_key(db_url)
        log(f"3. importing and screening {args.customers:,} customers ...")
        alerts = make_alerts(db_url, data_dir, work, args.customers, args.seed)
        res["open_alerts"] = len(alerts)
        log(f"  {len(alerts):,} open alerts")
        bodies = work / "bodies.jsonl"
        write_bodies(db_url, bodies, args.names, args.seed)
        files = write_requests(db_url, work, bodies, alerts, args.seed)
        log(f"4. starting embargo serve --workers {args.workers} ...")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server_log = work / "server.log"
        proc = start_server(db_url, data_dir, port, args.workers, server_log)
        res["ready_s"] = round(wait_ready(base, proc, args.workers, server_log), 1)
        pids = worker_pids(proc.pid)
        log(f"5. mixed load for {args.seconds} s: {mix}")
        cpu_before = cpu_seconds(pids)
        running = {
            route: start_wrk(base, files[route], n, args.seconds, key, once=route == "decide")
            for route, n in mix.items()
            if n > 0
        }
        res["routes"] = {
            route: route_summary(wrk_result(p), mix[route]) for route, p in running.items()
        }
        res["server_cpu_s"] = round(cpu_seconds(pids) - cpu_before, 1)
        requests = sum(r["requests"] for r in res["routes"].values())
        res["total"] = {
            "requests": requests,
            "requests_per_s": round(requests / args.seconds, 1),
            "errors": sum(r["errors"] for r in res["routes"].values()),
        }
        if res["routes"].get("decide", {}).get("exhausted"):
            log("  note: every alert was decided before the end; raise --customers")
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    res["audit"] = audit_check(db_url)
    write_json(args.out, res)
    print(report_markdown(res))
    shutil.rmtree(work, ignore_errors=True)
    return 0 if res["total"]["errors"] == 0 and res["audit"]["chain_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
