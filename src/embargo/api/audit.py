"""Audit records for API screening calls, written in group commits.

Every screening request (``/match``, ``/search``, ``/screen/text``) gets one audit record
(action ``screen``, subject type ``query``, subject id the request id), a no-hit too.

Records wait in a list on the worker's event loop; one flush at a time hands everything
waiting to a single database thread, which appends it all in one transaction. Under load a
commit carries many requests; an idle server commits each at once. The hand-off to the
thread happens once per batch, not per request: each hand-off is a thread wake-up and a
contest for the interpreter lock with the requests being answered.

A request waits until its record is committed before it answers: a screening result is never
handed out without its audit record. If the database refuses the write, the request fails
with 503 and nothing is returned.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from embargo.api.limits import AUDIT_MAX_BATCH, AUDIT_TIMEOUT_SECONDS
from embargo.store import Store
from embargo.store import audit as auditlog

log = logging.getLogger(__name__)
_ATTEMPTS = 5
ACTION = "screen"
SUBJECT_TYPE = "query"


class AuditUnavailable(Exception):
    """The audit record could not be written; the screening must not be answered."""


@dataclass
class _Pending:
    actor: str
    subject_id: str
    details: dict[str, Any]
    future: asyncio.Future[int]


# The statements of a group commit, built once (SQLAlchemy caches their compiled form, but
# building the expressions per commit showed in profiles).
_HEAD = auditlog.audit_head
_LOCK_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(last_id=_HEAD.c.last_id)
_READ_HEAD = select(_HEAD.c.last_id, _HEAD.c.last_hash).where(_HEAD.c.id == 1)
_INSERT = auditlog.audit_log.insert()
_SET_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(last_id=bindparam("new_id"), last_hash=bindparam("new_hash"))
)

_Job = tuple[list[_Pending], "asyncio.Future[list[int]]", asyncio.AbstractEventLoop]


def _settle(
    future: asyncio.Future[list[int]], ids: list[int] | None, error: BaseException | None
) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        assert ids is not None
        future.set_result(ids)


class AuditWriter:
    """Appends ``screen`` records to the store's hash-chained audit log in group commits.

    Used from one event loop (a worker's); the database work runs on one thread of its own.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pending: list[_Pending] = []
        self._flush: asyncio.Task[None] | None = None
        self._closed = False
        # A plain thread and queue rather than an executor: a queue put is one C call, where
        # an executor's submit and future chaining cost a few percent of a busy worker.
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="embargo-audit", daemon=True)
        self._thread.start()
        self.written = 0
        self.commits = 0

    async def record(self, subject_id: str, details: dict[str, Any], *, actor: str) -> int:
        """Append one record and wait for its commit; the audit record id."""
        if self._closed:
            raise AuditUnavailable("the audit writer is shut down")
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(actor, subject_id, details, future))
        if self._flush is None or self._flush.done():
            self._flush = asyncio.create_task(self._flush_all())
        # Settled by the flush, which bounds the wait (per batch rather than per request).
        return await future

    async def _flush_all(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            batch = self._pending[:AUDIT_MAX_BATCH]
            del self._pending[: len(batch)]
            done: asyncio.Future[list[int]] = loop.create_future()
            self._jobs.put((batch, done, loop))
            try:
                ids = await asyncio.wait_for(done, AUDIT_TIMEOUT_SECONDS)
            except Exception as exc:  # any database failure: every waiting request fails closed
                if isinstance(exc, TimeoutError):
                    why = f"no commit within {AUDIT_TIMEOUT_SECONDS:g} s"
                else:
                    why = str(exc)
                log.error("audit log write failed for %d records: %s", len(batch), why)
                error = AuditUnavailable(f"the audit log could not be written: {why}")
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(error)
                continue
            self.written += len(batch)
            self.commits += 1
            for item, record_id in zip(batch, ids, strict=True):
                if not item.future.done():
                    item.future.set_result(record_id)

    async def aclose(self) -> None:
        """Write what is waiting, then stop the database thread."""
        self._closed = True
        if self._flush is not None:
            await asyncio.wait_for(asyncio.shield(self._flush), AUDIT_TIMEOUT_SECONDS)
        self._jobs.put(None)
        await asyncio.to_thread(self._thread.join, AUDIT_TIMEOUT_SECONDS)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            batch, done, loop = job
            try:
                ids = self._write(batch)
            except Exception as exc:  # handed to the waiting flush, which fails the batch
                loop.call_soon_threadsafe(_settle, done, None, exc)
            else:
                loop.call_soon_threadsafe(_settle, done, ids, None)

    def _write(self, batch: list[_Pending]) -> list[int]:
        """Append the batch (on the database thread), retrying when another writer won."""
        for attempt in range(_ATTEMPTS):
            try:
                return self._append_all(batch)
            except (IntegrityError, OperationalError):
                # Another writer (a CLI command, a process without the lock taken in
                # ``_append_all``) took the next record id or held the lock too long:
                # nothing was written; read the new head and try again.
                if attempt == _ATTEMPTS - 1:
                    raise
                time.sleep(0.005 * (attempt + 1))
        raise AssertionError("unreachable")

    def _append_all(self, batch: list[_Pending]) -> list[int]:
        """Append the batch to the chain in one transaction; the new record ids.

        The records are exactly what ``embargo.store.audit.append`` writes (same hash, same
        chaining, verified by ``embargo audit verify``), but inserted in one statement with one
        update of the head: ``append`` costs three statements and two JSON round trips per
        record, which at a thousand requests a second is a quarter of a core.
        """
        with self.store.engine.begin() as conn:
            # Take the write lock before reading the chain's head. On SQLite the driver only
            # opens a transaction at the first write, so a head read first would be outside
            # it and two processes (``--workers 2``) could both extend the same record; a
            # no-op update of the head row makes the read and the appends one atomic step
            # (on PostgreSQL it is the row lock ``append`` takes with FOR UPDATE).
            conn.execute(_LOCK_HEAD)
            head = conn.execute(_READ_HEAD).first()
            items = batch
            ids: list[int] = []
            if head is None:  # the very first record: ``append`` creates the head row
                first = items[0]
                rec = auditlog.append(
                    conn,
                    actor=first.actor,
                    action=ACTION,
                    subject_type=SUBJECT_TYPE,
                    subject_id=first.subject_id,
                    details=first.details,
                )
                ids.append(rec.id)
                last_id, last_hash = rec.id, rec.hash
                items = items[1:]
            else:
                last_id, last_hash = int(head.last_id), str(head.last_hash)
            rows = []
            for item in items:
                last_id += 1
                at = datetime.now(UTC)
                digest = auditlog.record_hash(
                    last_id,
                    at,
                    item.actor,
                    ACTION,
                    SUBJECT_TYPE,
                    item.subject_id,
                    item.details,
                    last_hash,
                )
                rows.append(
                    {
                        "id": last_id,
                        "at": at,
                        "actor": item.actor,
                        "action": ACTION,
                        "subject_type": SUBJECT_TYPE,
                        "subject_id": item.subject_id,
                        "details": item.details,
                        "prev_hash": last_hash,
                        "hash": digest,
                    }
                )
                ids.append(last_id)
                last_hash = digest
            if rows:
                conn.execute(_INSERT, rows)
                conn.execute(_SET_HEAD, {"new_id": last_id, "new_hash": last_hash})
        return ids
