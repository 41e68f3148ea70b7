"""The API's audit writer: group commits that keep the hash chain intact, also when several
worker processes append to one SQLite database at once (``embargo serve --workers 2``)."""

from __future__ import annotations

import asyncio
import multiprocessing
from pathlib import Path

from embargo.api.audit import AuditWriter
from embargo.store import Store


async def _write_many(writer: AuditWriter, label: str, n: int) -> list[int]:
    return list(
        await asyncio.gather(
            *(
                writer.record(f"{label}-{i}", {"endpoint": "/match/default", "i": i}, actor=label)
                for i in range(n)
            )
        )
    )


async def _rounds(url: str, label: str, n: int, rounds: int) -> AuditWriter:
    store = Store.open(url)
    writer = AuditWriter(store)
    try:
        for r in range(rounds):
            await _write_many(writer, f"{label}-{r}" if rounds > 1 else label, n)
    finally:
        await writer.aclose()
        store.close()
    return writer


def _worker(url: str, label: str, n: int, rounds: int) -> None:
    asyncio.run(_rounds(url, label, n, rounds))


def test_group_commit_in_one_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    writer = asyncio.run(_rounds(url, "a", 200, 1))
    store = Store.open(url)
    ids = [r.id for r in store.audit_records(action="screen")]
    assert ids == list(range(1, 201))
    assert writer.commits < 200  # requests waiting together were committed together
    records = store.audit_records(action="screen")
    assert [r.subject_id for r in records][:3] == ["a-0", "a-1", "a-2"]
    assert records[5].details == {"endpoint": "/match/default", "i": 5}
    assert records[5].subject_type == "query" and records[5].actor == "a"
    assert store.verify_audit().ok
    store.close()


def test_processes_appending_at_once_keep_one_chain(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    Store.open(url).audit("list.load", "list_version", "1")  # a record from elsewhere first
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(url, name, 5, 60)) for name in ("w1", "w2")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    store = Store.open(url)
    records = store.audit_records()
    assert len(records) == 1 + 2 * 5 * 60
    assert [r.id for r in records] == list(range(1, len(records) + 1))
    result = store.verify_audit()
    assert result.ok, result.problems
    store.close()
