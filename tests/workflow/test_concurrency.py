"""Concurrent reviewers in separate processes (real separate connections): every alert is
decided exactly once, no decision is lost, and the losers get a clear "already decided".

Run on PostgreSQL (row locks) and on SQLite (``BEGIN IMMEDIATE``) alike."""

from __future__ import annotations

import multiprocessing
from collections import Counter, defaultdict
from pathlib import Path

from sqlalchemy import select

from embargo.store import Store
from embargo.workflow import Workflow
from embargo.workflow.tables import decisions
from tests.workflow.workers import review

WORKERS = 4
ALERTS = 12


def test_concurrent_reviewers_never_lose_or_double_a_decision(
    wf: Workflow, store: Store, store_url: str, tmp_path: Path
) -> None:
    for i in range(ALERTS):
        wf.upsert_customer(
            f"K{i}", {"schema": "Person", "properties": {"name": ["Ivan Petrov"]}}, "x"
        )
    run = wf.screen_customers(actor="loader")
    alert_ids = sorted(run.alerts)
    assert len(alert_ids) == ALERTS

    # Forked children open their own engine and connections (nothing of the parent's pool is
    # used); fork only saves the seconds a spawned interpreter spends importing Embargo.
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    start, between = ctx.Barrier(WORKERS), ctx.Barrier(WORKERS)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=review,
            args=(store_url, str(tmp_path / "data"), w, alert_ids, start, between, results),
        )
        for w in range(WORKERS)
    ]
    for p in procs:
        p.start()
    outcomes = dict(results.get(timeout=180) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    crashes = [o for out in outcomes.values() for o in out if o[0] == "crash"]
    assert not crashes, crashes[0][3]

    # Round 1: each alert decided by exactly one reviewer; every other got "already decided".
    winners: dict[int, int] = {}
    for worker, out in outcomes.items():
        for step, aid, kind, message in out:
            if step != "decide":
                continue
            if kind == "ok":
                assert aid not in winners, f"alert {aid} decided twice"
                winners[aid] = worker
            else:
                assert kind == "already" and f"alert {aid} was already decided" in message
    assert sorted(winners) == alert_ids
    # The reviewers really ran at the same time: each started before any of them was done.
    timings = [
        (float(a), float(b)) for out in outcomes.values() for s, _, a, b in out if s == "timing"
    ]
    assert len(timings) == WORKERS
    assert max(began for began, _ in timings) < min(done for _, done in timings)
    attempts = Counter(
        aid for out in outcomes.values() for step, aid, *_ in out if step == "decide"
    )
    assert set(attempts.values()) == {WORKERS}

    # Round 2: each pending true match confirmed by exactly one reviewer other than the first.
    confirmers: dict[int, list[int]] = defaultdict(list)
    for worker, out in outcomes.items():
        for step, aid, kind, message in out:
            if step != "confirm":
                continue
            if kind == "ok":
                confirmers[aid].append(worker)
            elif kind == "four-eyes":
                assert worker == winners[aid] and "a different reviewer must confirm" in message
            else:
                assert kind == "already" and "already" in message
    odd = [a for a in alert_ids if a % 2]
    assert sorted(confirmers) == odd
    for aid in odd:
        (confirmer,) = confirmers[aid]
        assert confirmer != winners[aid]

    # The database agrees: one first/single decision per alert, one confirmation per pending.
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(decisions.c.alert_id, decisions.c.stage, decisions.c.actor)
        ).all()
    stages = Counter((r.alert_id, r.stage) for r in rows)
    for aid in alert_ids:
        if aid % 2:
            assert stages[(aid, "first")] == 1 and stages[(aid, "confirm")] == 1
        else:
            assert stages[(aid, "single")] == 1
    assert len(rows) == ALERTS + len(odd)
    for alert in wf.list_alerts(limit=None):
        assert alert.status == "closed"
        assert alert.decided_by == f"reviewer-{winners[alert.id]}"
        if alert.id % 2:
            assert alert.decision == "true_match"
            assert alert.confirmed_by == f"reviewer-{confirmers[alert.id][0]}"
        else:
            assert alert.decision == "false_positive" and alert.confirmed_by is None
    assert len(wf.whitelist()) == ALERTS - len(odd)
    assert len(store.audit_records(action="alert.decide")) == ALERTS
    assert len(store.audit_records(action="alert.confirm")) == len(odd)
    assert store.verify_audit().ok
