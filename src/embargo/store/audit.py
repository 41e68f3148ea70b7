"""The audit log: append-only, every record chained to the one before by a hash.

Each record's hash covers its own content and the previous record's hash, and a one-row
``audit_head`` holds the hash and id of the last record. Editing a record breaks its hash;
deleting one breaks the next record's link (and leaves a gap in the ids); reordering breaks
the links; cutting records off the end no longer agrees with the head. ``verify`` finds each.

Records are written inside the caller's transaction, so an action and its audit record commit
or roll back together. Appends are serialised through the head row (a row lock on PostgreSQL;
SQLite serialises writers anyway), so concurrent writers cannot fork the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Integer, String, Table, select, update
from sqlalchemy.engine import Connection, Engine

from embargo.store.tables import metadata

GENESIS = "0" * 64

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(100), nullable=False),
    Column("subject_type", String(50), nullable=False),
    Column("subject_id", String(255), nullable=False),
    Column("details", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("last_id", Integer, nullable=False),
    Column("last_hash", String(64), nullable=False),
)


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    details: dict[str, Any]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "details": self.details,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass
class VerifyResult:
    ok: bool
    records: int
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "records": self.records, "problems": self.problems}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _at_text(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def record_hash(
    record_id: int,
    at: datetime,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    details: dict[str, Any],
    prev_hash: str,
) -> str:
    body = _canonical(
        {
            "id": record_id,
            "at": _at_text(at),
            "actor": actor,
            "action": action,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "details": details,
            "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def append(
    conn: Connection,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    details: dict[str, Any] | None = None,
) -> AuditRecord:
    """Append one record inside the caller's transaction."""
    details = json.loads(_canonical(details or {}))  # what is stored is what is hashed
    head_query = select(audit_head).where(audit_head.c.id == 1)
    if conn.dialect.name == "postgresql":
        head_query = head_query.with_for_update()
    head = conn.execute(head_query).first()
    if head is None:
        conn.execute(audit_head.insert().values(id=1, last_id=0, last_hash=GENESIS))
        head = conn.execute(head_query).one()
    record_id = head.last_id + 1
    at = datetime.now(UTC)
    digest = record_hash(
        record_id, at, actor, action, subject_type, subject_id, details, head.last_hash
    )
    conn.execute(
        audit_log.insert().values(
            id=record_id,
            at=at,
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=str(subject_id),
            details=details,
            prev_hash=head.last_hash,
            hash=digest,
        )
    )
    conn.execute(
        update(audit_head).where(audit_head.c.id == 1).values(last_id=record_id, last_hash=digest)
    )
    return AuditRecord(
        record_id, at, actor, action, subject_type, str(subject_id), details, head.last_hash, digest
    )


def _row(row: Any) -> AuditRecord:
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
    return AuditRecord(
        row.id,
        at,
        row.actor,
        row.action,
        row.subject_type,
        row.subject_id,
        dict(row.details or {}),
        row.prev_hash,
        row.hash,
    )


def records(
    engine: Engine,
    *,
    since_id: int = 0,
    actor: str | None = None,
    action: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[AuditRecord]:
    query = select(audit_log).where(audit_log.c.id > since_id)
    if actor:
        query = query.where(audit_log.c.actor == actor)
    if action:
        query = query.where(audit_log.c.action == action)
    if subject_type:
        query = query.where(audit_log.c.subject_type == subject_type)
    if subject_id:
        query = query.where(audit_log.c.subject_id == subject_id)
    query = query.order_by(audit_log.c.id.desc() if newest_first else audit_log.c.id)
    if limit:
        query = query.limit(limit)
    with engine.connect() as conn:
        return [_row(r) for r in conn.execute(query)]


def _iter_rows(engine: Engine) -> Iterator[Any]:
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=5000).execute(
            select(audit_log).order_by(audit_log.c.id)
        )
        yield from result


def verify(engine: Engine) -> VerifyResult:
    """Recompute the chain; report every edited, missing or reordered record."""
    problems: list[str] = []
    prev_hash = GENESIS
    expected_id = 1
    count = 0
    last_id = 0
    for row in _iter_rows(engine):
        count += 1
        rec = _row(row)
        if rec.id > expected_id:
            gap = (
                f"{expected_id}" if rec.id - 1 == expected_id else f"{expected_id} to {rec.id - 1}"
            )
            problems.append(f"record {gap} missing (deleted?)")
        elif rec.id < expected_id:
            problems.append(f"record {rec.id} out of order")
        if rec.prev_hash != prev_hash:
            problems.append(
                f"record {rec.id} does not follow the record before it "
                "(a record was deleted, inserted or reordered)"
            )
        digest = record_hash(
            rec.id,
            rec.at,
            rec.actor,
            rec.action,
            rec.subject_type,
            rec.subject_id,
            rec.details,
            rec.prev_hash,
        )
        if digest != rec.hash:
            problems.append(f"record {rec.id} was altered (its content no longer matches its hash)")
        prev_hash = rec.hash
        expected_id = rec.id + 1
        last_id = rec.id
    with engine.connect() as conn:
        head = conn.execute(select(audit_head).where(audit_head.c.id == 1)).first()
    if head is not None:
        if head.last_id != last_id or head.last_hash != prev_hash:
            problems.append(
                f"the log ends at record {last_id} but its head says {head.last_id} "
                "(records were removed from the end, or the head was altered)"
            )
    elif count:
        problems.append("the audit head is missing")
    return VerifyResult(not problems, count, problems)


__all__ = ["AuditRecord", "VerifyResult", "append", "audit_head", "audit_log", "records", "verify"]
