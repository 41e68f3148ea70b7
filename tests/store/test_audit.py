"""The audit log detects edits, deletions, reordering and truncation (SQLite and PostgreSQL)."""

from __future__ import annotations

from itertools import pairwise

from sqlalchemy import select, text, update

from embargo.store import Store
from embargo.store.audit import audit_log


def fill(store: Store, n: int = 5) -> None:
    for i in range(n):
        store.audit(
            "screen", "query", f"q{i}", {"name": f"Person {i}", "hits": i % 2}, actor="alice"
        )


def test_intact_chain(store: Store) -> None:
    fill(store)
    result = store.verify_audit()
    assert result.ok and result.records == 5 and result.problems == []
    records = store.audit_records()
    assert [r.id for r in records] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in pairwise(records))
    assert store.audit_records(subject_id="q3")[0].details == {"name": "Person 3", "hits": 1}


def test_edited_record(store: Store) -> None:
    fill(store)
    with store.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.id == 3).values(actor="mallory"))
    result = store.verify_audit()
    assert not result.ok
    assert any("record 3 was altered" in p for p in result.problems)


def test_edited_details(store: Store) -> None:
    fill(store)
    with store.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.id == 2).values(details={"hits": 0}))
    assert any("record 2 was altered" in p for p in store.verify_audit().problems)


def test_deleted_record(store: Store) -> None:
    fill(store)
    with store.engine.begin() as conn:
        conn.execute(audit_log.delete().where(audit_log.c.id == 2))
    problems = store.verify_audit().problems
    assert any("record 2 missing" in p for p in problems)
    assert any("record 3 does not follow" in p for p in problems)


def test_reordered_records(store: Store) -> None:
    fill(store)
    # Swap the contents of records 2 and 4, keeping their ids: a reordering of the history.
    with store.engine.begin() as conn:
        rows = {r.id: r for r in conn.execute(select(audit_log).where(audit_log.c.id.in_([2, 4])))}
        for target, source in ((2, 4), (4, 2)):
            r = rows[source]
            conn.execute(
                update(audit_log)
                .where(audit_log.c.id == target)
                .values(
                    at=r.at,
                    actor=r.actor,
                    action=r.action,
                    subject_type=r.subject_type,
                    subject_id=r.subject_id,
                    details=r.details,
                    prev_hash=r.prev_hash,
                    hash=r.hash,
                )
            )
    result = store.verify_audit()
    assert not result.ok
    assert any("does not follow" in p for p in result.problems)


def test_truncated_tail(store: Store) -> None:
    fill(store)
    with store.engine.begin() as conn:
        conn.execute(audit_log.delete().where(audit_log.c.id == 5))
    assert any("head says 5" in p for p in store.verify_audit().problems)


def test_rolled_back_action_leaves_no_record(store: Store) -> None:
    fill(store, 2)
    from embargo.store.audit import append

    try:
        with store.engine.begin() as conn:
            append(conn, actor="bob", action="decide", subject_type="alert", subject_id="1")
            conn.execute(text("SELECT no_such_column FROM audit_log"))
    except Exception:
        pass
    result = store.verify_audit()
    assert result.ok and result.records == 2


def test_list_loads_are_audited(store: Store, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from embargo.update import load_path

    fixture = Path(__file__).parent.parent / "fixtures/sources/ofac_xml/sdn.xml"
    load_path(store, fixture, settings, actor="cli:alice")
    load_path(store, fixture, settings, actor="cli:alice")
    bad = tmp_path / "sdn.xml"
    bad.write_bytes(fixture.read_bytes()[:300])
    load_path(store, bad, settings, format="ofac-xml", actor="cli:bob")
    actions = [(r.actor, r.action) for r in store.audit_records()]
    assert actions == [
        ("cli:alice", "list.load"),
        ("cli:alice", "list.unchanged"),
        ("cli:bob", "list.load_failed"),
    ]
    assert store.verify_audit().ok
