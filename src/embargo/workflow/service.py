"""``Workflow``: customers, screenings, alerts, review (with four-eyes) and the whitelist.

The one place front ends (CLI, HTTP API, monitoring, the evidence report) call::

    wf = Workflow.open()                                   # the user's store and lists
    wf.import_customers(Path("book.csv"), ColumnMapping(ref="id", name="name"), actor="alice")
    for alert in wf.list_alerts(status="open"):
        wf.decide(alert.id, "false_positive", "different birth date", actor="alice")

Every write commits together with its audit records (same transaction). Writes touching one
customer are serialised: on PostgreSQL by row locks (``SELECT ... FOR UPDATE`` on the customer,
then the alert), on SQLite by ``BEGIN IMMEDIATE``, so a check ("is this alert still open?")
and the write that depends on it can never interleave with another reviewer's.

Review: ``decide`` records a decision. Under four-eyes (``WorkflowConfig``) a decision that
needs a second reviewer puts the alert in ``pending_second_review``; a *different* reviewer
then ``confirm``s it (or ``reject``s it back). A final ``false_positive`` whitelists the
(customer, listed entity) pair: later screenings do not alert on it again until either side
changes in a way that matters (see ``embargo.workflow.changes``); then they alert again and
the alert says what changed. A confirmed ``true_match`` is not alerted again either (it is
reported in the screening's results as ``confirmed_match``). ``escalate`` is not final: the
alert stays active (status ``escalated``) for a decision by someone more senior.

Hooks for monitoring: ``record_screenings`` takes matches computed elsewhere (a reverse index
of the customer book, say) and applies exactly the same whitelist / duplicate / audit logic;
``iter_customers``, ``customers_to_screen`` and ``confirmed_matches`` give it what it needs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import msgspec
from sqlalchemy import and_, bindparam, func, inspect, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.sql import Select

from embargo.errors import ConfigError, NotFoundError, QueryError, StoreError
from embargo.match.index import signature_of
from embargo.match.matcher import Match, get_algorithm
from embargo.model import Entity, entity_to_json
from embargo.settings import Settings
from embargo.store import ListVersion, Store
from embargo.store import audit as auditlog
from embargo.store.store import entity_hash as hash_json
from embargo.store.tables import entity_blobs, metadata, version_entities
from embargo.workflow.changes import (
    customer_caption,
    customer_changes,
    customer_hash,
    describe_customer_changes,
    describe_entity_changes,
    entity_changes_matter,
    entity_key,
    entity_key_changes,
    normalize_customer,
)
from embargo.workflow.config import WorkflowConfig
from embargo.workflow.errors import AlreadyDecidedError, FourEyesError, WorkflowError
from embargo.workflow.model import (
    Alert,
    Assignment,
    Customer,
    CustomerChange,
    CustomerVersion,
    Decision,
    DecisionResult,
    ImportSummary,
    MatchOutcome,
    RowError,
    Screening,
    ScreeningRun,
    WhitelistEntry,
)
from embargo.workflow.monitor_tables import MONITOR_TABLES, sync_customer_keys
from embargo.workflow.tables import (
    ACTIVE_STATUSES,
    CLOSED,
    ESCALATED,
    OPEN,
    PENDING,
    WORKFLOW_TABLES,
    alert_assignments,
    alerts,
    customer_versions,
    customers,
    decisions,
    screenings,
    whitelist,
    workflow_settings,
)

if TYPE_CHECKING:
    from embargo.batch.io import ColumnMapping
    from embargo.screening import Screener

log = logging.getLogger(__name__)

DECISIONS = ("true_match", "false_positive", "escalate")
IMPORT_CHUNK = 1000
SCREEN_BATCH = 100
MAX_REASON = 4000


def utcnow() -> datetime:
    return datetime.now(UTC)


def _utc(at: datetime | None) -> datetime | None:
    if at is None:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)  # SQLite drops the zone


def _req_utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _software_version() -> str:
    from embargo import __version__

    return __version__


@dataclass(frozen=True)
class CustomerInput:
    """One customer to create or update: the customer's reference and a query dict."""

    ref: str | None
    data: Mapping[str, Any] | None
    row: int | None = None
    error: str | None = None  # the reader's reason the row cannot be used


class _Audit(NamedTuple):
    actor: str
    action: str
    subject_type: str
    subject_id: str
    details: dict[str, Any]


@dataclass(frozen=True)
class _Lists:
    """The active list versions a screening ran against."""

    signature: str
    versions: list[ListVersion]
    by_source: dict[str, ListVersion]

    def describe(self) -> list[dict[str, Any]]:
        return [
            {
                "source": v.source,
                "version_id": v.id,
                "content_hash": v.content_hash,
                "publisher_date": v.publisher_date,
            }
            for v in self.versions
        ]


@dataclass
class _Item:
    """One customer's matches, waiting to be recorded."""

    customer_id: int
    ref: str
    version: int
    content_hash: str
    data: dict[str, Any]
    matches: list[Match]


def _check_actor(actor: str) -> str:
    if not isinstance(actor, str) or not actor.strip():
        raise QueryError("actor: say who is acting (a user name)")
    actor = actor.strip()
    if len(actor) > 200:
        raise QueryError("actor: at most 200 characters")
    return actor


def _check_decision(decision: str) -> str:
    value = (decision or "").strip().lower().replace("-", "_").replace(" ", "_")
    if value not in DECISIONS:
        raise QueryError(f"decision: {decision!r} is not one of {', '.join(DECISIONS)}")
    return value


def _check_reason(reason: str | None, *, required: bool = True) -> str:
    text = " ".join((reason or "").split())
    if required and not text:
        raise QueryError("reason: a decision needs a reason")
    if len(text) > MAX_REASON:
        raise QueryError(f"reason: at most {MAX_REASON} characters")
    return text


def _check_ref(ref: object) -> str:
    if not isinstance(ref, str) or not ref.strip():
        raise QueryError("ref: a customer needs a non-empty reference")
    text = ref.strip()
    if len(text) > 255:
        raise QueryError("ref: at most 255 characters")
    return text


def _measures_text(measures: Iterable[str]) -> str:
    values = list(dict.fromkeys(measures))
    return "," + ",".join(values) + "," if values else ""


def _measures_of(text: str) -> tuple[str, ...]:
    return tuple(m for m in (text or "").split(",") if m)


def _canonical(details: dict[str, Any]) -> dict[str, Any]:
    # What is stored is what is hashed: the same normalisation as ``audit.append``.
    body = json.dumps(
        details, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    result: dict[str, Any] = json.loads(body)
    return result


class Workflow:
    """Customers, screenings, alerts, review and whitelist over one ``Store``.

    ``screener`` may be a ``Screener``, a function returning one (made on first use: reading
    alerts or importing without screening needs no lists), or None to open the store's.
    """

    def __init__(
        self,
        store: Store,
        screener: Screener | Callable[[], Screener] | None = None,
        settings: Settings | None = None,
        *,
        config: WorkflowConfig | None = None,
    ) -> None:
        self.store = store
        # ``store.url`` hides the password: the engine's own URL is the one to reconnect with.
        url = store.engine.url.render_as_string(hide_password=False)
        self.settings = settings or Settings.from_env(database_url=url)
        self.config = config if config is not None else WorkflowConfig.from_env()
        self._screener: Screener | None = None
        self._screener_factory: Callable[[], Screener] | None = None
        if screener is None:
            self._screener_factory = self._open_screener
        elif callable(screener) and not hasattr(screener, "screen"):
            self._screener_factory = screener
        else:
            self._screener = screener  # type: ignore[assignment]
        self._config_checked = False
        self._owns_store = False
        _ensure_tables(store)

    @classmethod
    def open(
        cls, settings: Settings | None = None, *, config: WorkflowConfig | None = None
    ) -> Workflow:
        """The workflow over the configured database (``EMBARGO_DATABASE_URL`` or the default)."""
        settings = settings or Settings.from_env()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        wf = cls(Store.open(settings.db_url), None, settings, config=config)
        wf._owns_store = True
        return wf

    def close(self) -> None:
        own = self._screener.store if self._screener is not None else None
        if own is not None and own is not self.store:
            own.close()
        if self._owns_store:
            self.store.close()

    def _open_screener(self) -> Screener:
        from embargo.screening import Screener

        url = self.store.engine.url.render_as_string(hide_password=False)
        return Screener.open(settings=replace(self.settings, database_url=url))

    @property
    def screener(self) -> Screener:
        if self._screener is None:
            assert self._screener_factory is not None
            self._screener = self._screener_factory()
        return self._screener

    @property
    def algorithm(self) -> str:
        if self._screener is not None:
            return self._screener.algorithm.name
        return get_algorithm(None).name

    @property
    def threshold(self) -> float:
        """The score at or above which a screening raises an alert."""
        if self.config.threshold is not None:
            return self.config.threshold
        if self._screener is not None:
            return self._screener.algorithm.threshold
        return get_algorithm(None).threshold

    # -- transactions ------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction; on SQLite it takes the write lock at once (BEGIN IMMEDIATE)
        so that what it reads cannot change before it writes."""
        try:
            with self.store.engine.connect() as conn:
                if conn.dialect.name == "sqlite":
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.rollback()
                    raise
                conn.commit()
        except OperationalError as exc:
            raise StoreError(f"the database refused the change: {exc.orig}") from exc

    @staticmethod
    def _locked(conn: Connection, query: Select[Any]) -> Select[Any]:
        return query.with_for_update() if conn.dialect.name == "postgresql" else query

    def _lock_customers(self, conn: Connection, ids: Sequence[int]) -> None:
        # Always in id order, so that two transactions locking overlapping sets cannot deadlock.
        if conn.dialect.name != "postgresql" or not ids:
            return
        for start in range(0, len(ids), 1000):
            chunk = sorted(ids)[start : start + 1000]
            conn.execute(
                select(customers.c.id)
                .where(customers.c.id.in_(chunk))
                .order_by(customers.c.id)
                .with_for_update()
            ).all()

    @staticmethod
    def _audit(conn: Connection, records: Sequence[_Audit]) -> None:
        """Append audit records inside the caller's transaction, chained in order."""
        if not records:
            return
        if len(records) == 1:
            r = records[0]
            auditlog.append(
                conn,
                actor=r.actor,
                action=r.action,
                subject_type=r.subject_type,
                subject_id=r.subject_id,
                details=r.details,
            )
            return
        # Many records (an import chunk, a batch of screenings): the same chain as
        # ``audit.append`` builds one at a time, written with one statement.
        head_query = select(auditlog.audit_head).where(auditlog.audit_head.c.id == 1)
        if conn.dialect.name == "postgresql":
            head_query = head_query.with_for_update()
        head = conn.execute(head_query).first()
        if head is None:
            conn.execute(auditlog.audit_head.insert().values(id=1, last_id=0, last_hash="0" * 64))
            head = conn.execute(head_query).one()
        last_id, last_hash = int(head.last_id), str(head.last_hash)
        rows = []
        for r in records:
            details = _canonical(r.details)
            record_id = last_id + 1
            at = utcnow()
            digest = auditlog.record_hash(
                record_id, at, r.actor, r.action, r.subject_type, r.subject_id, details, last_hash
            )
            rows.append(
                {
                    "id": record_id,
                    "at": at,
                    "actor": r.actor,
                    "action": r.action,
                    "subject_type": r.subject_type,
                    "subject_id": r.subject_id,
                    "details": details,
                    "prev_hash": last_hash,
                    "hash": digest,
                }
            )
            last_id, last_hash = record_id, digest
        conn.execute(auditlog.audit_log.insert(), rows)
        conn.execute(
            update(auditlog.audit_head)
            .where(auditlog.audit_head.c.id == 1)
            .values(last_id=last_id, last_hash=last_hash)
        )

    def _ensure_config(self, actor: str) -> None:
        """Audit a change of the review settings (four-eyes, threshold, ...) once per process:
        the settings in force are compared with the ones last recorded."""
        if self._config_checked:
            return
        current = {**self.config.to_dict(), "threshold": self.threshold}
        try:
            self._record_config(actor, current)
        except IntegrityError:  # another process recorded the settings first: compare again
            self._record_config(actor, current)
        self._config_checked = True

    def _record_config(self, actor: str, current: dict[str, Any]) -> None:
        with self._write() as conn:
            row = conn.execute(
                self._locked(
                    conn, select(workflow_settings).where(workflow_settings.c.key == "review")
                )
            ).first()
            before = dict(row.value) if row is not None else None
            if before != current:
                now = utcnow()
                if row is None:
                    conn.execute(
                        workflow_settings.insert().values(
                            key="review", value=current, updated_at=now, updated_by=actor
                        )
                    )
                else:
                    conn.execute(
                        update(workflow_settings)
                        .where(workflow_settings.c.key == "review")
                        .values(value=current, updated_at=now, updated_by=actor)
                    )
                self._audit(
                    conn,
                    [
                        _Audit(
                            actor,
                            "config.change",
                            "config",
                            "review",
                            {"before": before, "after": current},
                        )
                    ],
                )

    def review_settings(self) -> dict[str, Any]:
        """The review settings in force (four-eyes, high-risk sources/measures, threshold)."""
        return {**self.config.to_dict(), "threshold": self.threshold, "algorithm": self.algorithm}

    # -- customers ---------------------------------------------------------------------------

    def upsert_customer(
        self,
        ref: str,
        data: Mapping[str, Any],
        actor: str,
        *,
        origin: str = "api",
    ) -> CustomerChange:
        """Create a customer or update its data. Unchanged data is a no-op; a change is a new
        customer version (the old ones are kept). Raises ``QueryError`` for bad data."""
        actor = _check_actor(actor)
        ref = _check_ref(ref)
        clean = normalize_customer(data)
        self._ensure_config(actor)
        (change,) = self._upsert_chunk(
            [(None, ref, clean, customer_hash(clean))], actor, lambda _row: origin
        )
        return change

    def upsert_customers(
        self,
        inputs: Iterable[CustomerInput],
        actor: str,
        *,
        origin: str = "api",
        screen: bool = False,
        trigger: str = "import",
    ) -> ImportSummary:
        """Create or update many customers (chunked transactions); bad ones are reported with
        their row, never dropped silently. Optionally screens what changed."""
        actor = _check_actor(actor)
        self._ensure_config(actor)
        summary = ImportSummary(source=origin)
        seen: dict[str, int | None] = {}
        pending: list[tuple[int | None, str, dict[str, Any], str]] = []

        def where(row: int | None) -> str:
            return f"{origin} row {row}" if row is not None else origin

        def flush() -> None:
            if not pending:
                return
            for ch in self._upsert_chunk(pending, actor, where):
                if ch.status == "created":
                    summary.created += 1
                elif ch.status == "updated":
                    summary.updated += 1
                else:
                    summary.unchanged += 1
                if ch.status != "unchanged":
                    summary.changed_refs.append(ch.ref)
            pending.clear()

        for item in inputs:
            summary.rows += 1
            prefix = f"row {item.row}: " if item.row is not None else ""
            if item.error:
                summary.errors.append(RowError(item.row, item.ref, item.error))
                continue
            if not item.ref or not str(item.ref).strip():
                summary.errors.append(
                    RowError(item.row, None, f"{prefix}no customer reference (the ref is empty)")
                )
                continue
            try:
                ref = _check_ref(item.ref)
                clean = normalize_customer(item.data)
            except QueryError as exc:
                summary.errors.append(RowError(item.row, item.ref, f"{prefix}{exc}"))
                continue
            if ref in seen:
                first = seen[ref]
                summary.errors.append(
                    RowError(
                        item.row,
                        ref,
                        f"{prefix}the reference {ref!r} appears again"
                        + (f" (first on row {first})" if first is not None else "")
                        + "; only the first is used",
                    )
                )
                continue
            seen[ref] = item.row
            pending.append((item.row, ref, clean, customer_hash(clean)))
            if len(pending) >= IMPORT_CHUNK:
                flush()
        flush()
        if screen and summary.changed_refs:
            summary.screening = self.screen_customers(
                summary.changed_refs, actor=actor, trigger=trigger
            )
        return summary

    def import_customers(
        self,
        path: Path,
        mapping: ColumnMapping,
        actor: str,
        *,
        format: str | None = None,
        screen: bool = True,
    ) -> ImportSummary:
        """Import a customer book (CSV, XLSX, Parquet, JSON lines; the same column mapping as
        ``embargo batch``; ``mapping.ref`` names the customer reference column).

        Creates customers, updates those whose data changed (a new version; history kept),
        leaves unchanged ones alone, and reports bad rows with their row numbers. With
        ``screen`` (the default) the created and updated customers are screened at once.
        """
        from embargo.batch.io import read_rows

        if not mapping.ref:
            raise ConfigError(
                "customers import needs the column holding each customer's own reference "
                "(--ref-column)"
            )
        rows = (
            CustomerInput(r.ref, r.query, r.row, r.error)
            for r in read_rows(path, mapping, format=format)
        )
        summary = self.upsert_customers(
            rows, actor, origin=f"import {path.name}", screen=screen, trigger="import"
        )
        summary.source = str(path)
        return summary

    def _upsert_chunk(
        self,
        entries: Sequence[tuple[int | None, str, dict[str, Any], str]],
        actor: str,
        origin: Callable[[int | None], str],
    ) -> list[CustomerChange]:
        for attempt in range(3):
            try:
                with self._write() as conn:
                    return self._upsert_in(conn, entries, actor, origin)
            except IntegrityError:
                # Another writer created one of these references between our read and our
                # insert (PostgreSQL); the retry sees it and updates instead.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _upsert_in(
        self,
        conn: Connection,
        entries: Sequence[tuple[int | None, str, dict[str, Any], str]],
        actor: str,
        origin: Callable[[int | None], str],
    ) -> list[CustomerChange]:
        refs = [ref for _row, ref, _d, _h in entries]
        existing: dict[str, Any] = {}
        for start in range(0, len(refs), 900):
            chunk = refs[start : start + 900]
            for r in conn.execute(
                self._locked(
                    conn,
                    select(customers).where(customers.c.ref.in_(chunk)).order_by(customers.c.id),
                )
            ):
                existing[r.ref] = r
        changed_ids = [
            existing[ref].id
            for _row, ref, _d, h in entries
            if ref in existing and existing[ref].content_hash != h
        ]
        previous: dict[int, dict[str, Any]] = {}
        for start in range(0, len(changed_ids), 900):
            chunk = changed_ids[start : start + 900]
            for r in conn.execute(
                select(customer_versions.c.customer_id, customer_versions.c.data)
                .join(
                    customers,
                    and_(
                        customers.c.id == customer_versions.c.customer_id,
                        customers.c.version == customer_versions.c.version,
                    ),
                )
                .where(customers.c.id.in_(chunk))
            ):
                previous[r.customer_id] = dict(r.data)
        now = utcnow()
        out: list[CustomerChange] = []
        new_rows: list[dict[str, Any]] = []
        new_entries: list[tuple[int | None, str, dict[str, Any], str]] = []
        version_rows: list[dict[str, Any]] = []
        update_rows: list[dict[str, Any]] = []
        records: list[_Audit] = []
        for row, ref, data, digest in entries:
            cur = existing.get(ref)
            if cur is None:
                new_rows.append(
                    {
                        "ref": ref,
                        "schema": data["schema"],
                        "caption": customer_caption(data),
                        "version": 1,
                        "content_hash": digest,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                new_entries.append((row, ref, data, digest))
                continue
            if cur.content_hash == digest:
                out.append(CustomerChange(ref, cur.id, cur.version, "unchanged", {}, row))
                continue
            version = cur.version + 1
            changes = customer_changes(previous.get(cur.id), data)
            version_rows.append(
                {
                    "customer_id": cur.id,
                    "version": version,
                    "data": data,
                    "content_hash": digest,
                    "actor": actor,
                    "at": now,
                    "origin": origin(row),
                    "changes": changes,
                }
            )
            update_rows.append(
                {
                    "b_id": cur.id,
                    "b_version": version,
                    "b_hash": digest,
                    "b_schema": data["schema"],
                    "b_caption": customer_caption(data),
                    "b_at": now,
                }
            )
            out.append(CustomerChange(ref, cur.id, version, "updated", changes, row))
            records.append(
                _Audit(
                    actor,
                    "customer.update",
                    "customer",
                    ref,
                    {
                        "customer_id": cur.id,
                        "version": version,
                        "content_hash": digest,
                        "previous_hash": cur.content_hash,
                        "changes": changes,
                        "origin": origin(row),
                    },
                )
            )
        if new_rows:
            created = conn.execute(
                customers.insert().returning(customers.c.id, customers.c.ref), new_rows
            ).all()
            ids = {r.ref: r.id for r in created}
            for row, ref, data, digest in new_entries:
                cid = ids[ref]
                version_rows.append(
                    {
                        "customer_id": cid,
                        "version": 1,
                        "data": data,
                        "content_hash": digest,
                        "actor": actor,
                        "at": now,
                        "origin": origin(row),
                        "changes": {},
                    }
                )
                out.append(CustomerChange(ref, cid, 1, "created", {}, row))
                records.append(
                    _Audit(
                        actor,
                        "customer.create",
                        "customer",
                        ref,
                        {
                            "customer_id": cid,
                            "version": 1,
                            "content_hash": digest,
                            "origin": origin(row),
                        },
                    )
                )
        if update_rows:
            conn.execute(
                update(customers)
                .where(customers.c.id == bindparam("b_id"))
                .values(
                    version=bindparam("b_version"),
                    content_hash=bindparam("b_hash"),
                    schema=bindparam("b_schema"),
                    caption=bindparam("b_caption"),
                    updated_at=bindparam("b_at"),
                ),
                update_rows,
            )
        if version_rows:
            conn.execute(customer_versions.insert(), version_rows)
            # Monitoring's reverse index of the book (see ``monitor_tables``), kept in step
            # with the customer data in the same transaction.
            data_of = {ref: data for _row, ref, data, _h in entries}
            keyed = [(ch.customer_id, ch.version, data_of[ch.ref], ch.status) for ch in out]
            sync_customer_keys(
                conn, [(c, v, d) for c, v, d, st in keyed if st == "created"], new=True
            )
            sync_customer_keys(conn, [(c, v, d) for c, v, d, st in keyed if st == "updated"])
        self._audit(conn, records)
        order = {ref: i for i, (_r, ref, _d, _h) in enumerate(entries)}
        out.sort(key=lambda ch: order[ch.ref])
        return out

    def get_customer(self, ref: str, *, history: bool = True) -> Customer:
        """A customer, its current data and (by default) every version, oldest first."""
        with self.store.engine.connect() as conn:
            row = conn.execute(select(customers).where(customers.c.ref == ref)).first()
            if row is None:
                raise NotFoundError(f"no customer with reference {ref!r}")
            query = select(customer_versions).where(customer_versions.c.customer_id == row.id)
            if not history:
                query = query.where(customer_versions.c.version == row.version)
            versions = conn.execute(query.order_by(customer_versions.c.version)).all()
        hist = tuple(_version(v) for v in versions)
        current = next(v for v in hist if v.version == row.version)
        return _customer(row, current.data, hist if history else ())

    def list_customers(
        self, *, limit: int | None = 100, offset: int = 0, search: str | None = None
    ) -> list[Customer]:
        """Customers by reference (without history); ``search`` matches ref or name."""
        query = (
            select(customers, customer_versions.c.data)
            .join(
                customer_versions,
                and_(
                    customer_versions.c.customer_id == customers.c.id,
                    customer_versions.c.version == customers.c.version,
                ),
            )
            .order_by(customers.c.ref)
            .offset(offset)
        )
        if search:
            like = f"%{search.lower()}%"
            query = query.where(
                or_(
                    func.lower(customers.c.ref).like(like),
                    func.lower(customers.c.caption).like(like),
                )
            )
        if limit is not None:
            query = query.limit(limit)
        with self.store.engine.connect() as conn:
            return [_customer(r, dict(r.data)) for r in conn.execute(query)]

    def count_customers(self) -> int:
        with self.store.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(customers)).scalar_one())

    def iter_customers(
        self, refs: Iterable[str] | None = None, *, batch: int = 5000
    ) -> Iterator[Customer]:
        """Every customer (or those named) with its current data, in id order, streamed."""
        base = select(customers, customer_versions.c.data).join(
            customer_versions,
            and_(
                customer_versions.c.customer_id == customers.c.id,
                customer_versions.c.version == customers.c.version,
            ),
        )
        if refs is not None:
            wanted = list(dict.fromkeys(refs))
            for start in range(0, len(wanted), 900):
                chunk = wanted[start : start + 900]
                with self.store.engine.connect() as conn:
                    rows = conn.execute(
                        base.where(customers.c.ref.in_(chunk)).order_by(customers.c.id)
                    ).all()
                yield from (_customer(r, dict(r.data)) for r in rows)
            return
        last = 0
        while True:
            with self.store.engine.connect() as conn:
                rows = conn.execute(
                    base.where(customers.c.id > last).order_by(customers.c.id).limit(batch)
                ).all()
            if not rows:
                return
            yield from (_customer(r, dict(r.data)) for r in rows)
            last = rows[-1].id

    def customers_to_screen(self) -> list[str]:
        """References of customers whose current version was never screened in full (new or
        changed since their last full screening)."""
        with self.store.engine.connect() as conn:
            return list(
                conn.execute(
                    select(customers.c.ref)
                    .where(
                        or_(
                            customers.c.screened_version.is_(None),
                            customers.c.screened_version < customers.c.version,
                        )
                    )
                    .order_by(customers.c.id)
                ).scalars()
            )

    # -- screening ---------------------------------------------------------------------------

    def _lists(self) -> _Lists:
        versions = self.store.active_versions()
        signature = signature_of((v.source, v.id, v.content_hash) for v in versions)
        return _Lists(signature, versions, {v.source: v for v in versions})

    def _ready_screener(self) -> tuple[Screener, _Lists]:
        screener = self.screener
        lists = self._lists()
        if not lists.versions:
            raise WorkflowError(
                "no lists are loaded yet: run `embargo update` (or `embargo update --from PATH`)"
            )
        if screener.index.signature != lists.signature and screener.refresh():
            lists = self._lists()
        return screener, lists

    def screen_customer(self, ref: str, actor: str, *, trigger: str = "manual") -> Screening:
        """Screen one customer against the active lists, record the screening (a no-hit too)
        and raise an alert per match at or above the threshold that is not whitelisted,
        confirmed already, or under review already."""
        self.get_customer(ref, history=False)  # NotFoundError for an unknown reference
        run = self.screen_customers([ref], actor=actor, trigger=trigger)
        if not run.screenings:
            raise QueryError(run.errors[0].error if run.errors else f"{ref}: not screened")
        return self.get_screening(run.screenings[0])

    def screen_customers(
        self,
        refs: Iterable[str] | None = None,
        *,
        actor: str,
        trigger: str = "manual",
        batch: int = SCREEN_BATCH,
        progress: Callable[[int], None] | None = None,
    ) -> ScreeningRun:
        """Screen the whole book (``refs=None``) or the customers named, in batches (one
        transaction per batch). Unknown references are reported in ``errors``."""
        actor = _check_actor(actor)
        self._ensure_config(actor)
        screener, lists = self._ready_screener()
        run = ScreeningRun()
        wanted: list[str] | None = None
        if refs is not None:
            wanted = list(dict.fromkeys(refs))
        found: set[str] = set()
        items: list[_Item] = []
        for customer in self.iter_customers(wanted):
            found.add(customer.ref)
            try:
                matches = screener.screen(
                    customer.data, limit=self.config.limit, threshold=self.threshold
                )
            except QueryError as exc:  # e.g. a name that is nothing but a legal form
                run.errors.append(RowError(None, customer.ref, f"{customer.ref}: {exc}"))
                continue
            items.append(
                _Item(
                    customer.id,
                    customer.ref,
                    customer.version,
                    customer.content_hash,
                    customer.data,
                    [m for m in matches if m.score >= self.threshold],
                )
            )
            if len(items) >= batch:
                self._record(items, actor, trigger, {"kind": "full"}, screener, lists, run)
                items = []
                if progress is not None:
                    progress(run.screened)
        if items:
            self._record(items, actor, trigger, {"kind": "full"}, screener, lists, run)
            if progress is not None:
                progress(run.screened)
        if wanted is not None:
            for ref in wanted:
                if ref not in found:
                    run.errors.append(RowError(None, ref, f"no customer with reference {ref!r}"))
        return run

    def record_screenings(
        self,
        results: Iterable[tuple[str, Sequence[Match]]],
        *,
        actor: str,
        trigger: str = "monitor",
        scope: Mapping[str, Any] | None = None,
        batch: int = SCREEN_BATCH,
        screener: Screener | None = None,
    ) -> ScreeningRun:
        """Record screenings whose matches were computed elsewhere (monitoring screens only
        the changed entities against the book): ``(customer ref, matches)`` pairs, matches
        scored against the customer's *current* data by the active lists' index.

        Matches below the threshold are ignored; the rest go through the same whitelist,
        duplicate and confirmed-match checks as ``screen_customers``. ``scope`` says what was
        screened (default ``{"kind": "full"}``; only a full screening marks the customer
        version as screened). ``screener``: the one that computed the matches (an index of
        just the changed entities, say), recorded as the algorithm and index used; default
        the workflow's own (which needs the whole lists' index).
        """
        actor = _check_actor(actor)
        self._ensure_config(actor)
        if screener is None:
            screener, lists = self._ready_screener()
        else:
            lists = self._lists()
            if not lists.versions:
                raise WorkflowError(
                    "no lists are loaded yet: run `embargo update` (or `embargo update --from PATH`)"
                )
        run = ScreeningRun()
        scope_dict = dict(scope) if scope is not None else {"kind": "full"}
        pending: dict[str, list[Match]] = {}
        for ref, matches in results:
            pending.setdefault(ref, []).extend(m for m in matches if m.score >= self.threshold)
        refs = list(pending)
        items: list[_Item] = []
        found: set[str] = set()
        for customer in self.iter_customers(refs):
            found.add(customer.ref)
            best: dict[str, Match] = {}
            for m in pending[customer.ref]:
                if m.entity_id not in best or m.score > best[m.entity_id].score:
                    best[m.entity_id] = m
            items.append(
                _Item(
                    customer.id,
                    customer.ref,
                    customer.version,
                    customer.content_hash,
                    customer.data,
                    sorted(best.values(), key=lambda m: (-m.score, m.entity_id)),
                )
            )
            if len(items) >= batch:
                self._record(items, actor, trigger, scope_dict, screener, lists, run)
                items = []
        if items:
            self._record(items, actor, trigger, scope_dict, screener, lists, run)
        for ref in refs:
            if ref not in found:
                run.errors.append(RowError(None, ref, f"no customer with reference {ref!r}"))
        return run

    def _entity_records(
        self, conn: Connection, items: Sequence[_Item], lists: _Lists
    ) -> dict[tuple[int, str], tuple[str, dict[str, Any]]]:
        """(list version id, entity id) -> (content hash, the entity exactly as stored)."""
        wanted: dict[int, set[str]] = {}
        for it in items:
            for m in it.matches:
                version = lists.by_source.get(m.entity.source)
                if version is not None:
                    wanted.setdefault(version.id, set()).add(m.entity_id)
        out: dict[tuple[int, str], tuple[str, dict[str, Any]]] = {}
        for version_id, ids in wanted.items():
            id_list = sorted(ids)
            for start in range(0, len(id_list), 900):
                rows = conn.execute(
                    select(
                        version_entities.c.entity_id, version_entities.c.hash, entity_blobs.c.data
                    )
                    .join(entity_blobs, entity_blobs.c.hash == version_entities.c.hash)
                    .where(version_entities.c.version_id == version_id)
                    .where(version_entities.c.entity_id.in_(id_list[start : start + 900]))
                )
                for r in rows:
                    out[(version_id, r.entity_id)] = (r.hash, json.loads(r.data))
        return out

    def _record(
        self,
        items: Sequence[_Item],
        actor: str,
        trigger: str,
        scope: dict[str, Any],
        screener: Screener,
        lists: _Lists,
        run: ScreeningRun,
    ) -> None:
        threshold = self.threshold
        algorithm = screener.algorithm.name
        software = _software_version()
        described = lists.describe()
        signature = screener.index.signature or lists.signature
        full = scope.get("kind") == "full"
        with self._write() as conn:
            ids = sorted({it.customer_id for it in items})
            self._lock_customers(conn, ids)
            current = {
                r.id: r
                for r in conn.execute(
                    select(customers.c.id, customers.c.version, customers.c.screened_version).where(
                        customers.c.id.in_(ids)
                    )
                )
            }
            active: dict[tuple[int, str], Any] = {}
            confirmed: dict[tuple[int, str], Any] = {}
            for r in conn.execute(
                select(
                    alerts.c.id,
                    alerts.c.customer_id,
                    alerts.c.entity_id,
                    alerts.c.status,
                    alerts.c.decision,
                    alerts.c.decided_by,
                )
                .where(alerts.c.customer_id.in_(ids))
                .where(or_(alerts.c.status.in_(ACTIVE_STATUSES), alerts.c.decision == "true_match"))
                .order_by(alerts.c.id)
            ):
                key = (r.customer_id, r.entity_id)
                if r.status in ACTIVE_STATUSES:
                    active[key] = r
                else:
                    confirmed[key] = r
            entries = {
                (r.customer_id, r.entity_id): r
                for r in conn.execute(
                    select(whitelist)
                    .where(whitelist.c.customer_id.in_(ids))
                    .where(whitelist.c.active.is_(True))
                )
            }
            records = self._entity_records(conn, items, lists)
            now = utcnow()
            audit: list[_Audit] = []
            screened_rows: list[dict[str, Any]] = []
            for it in items:
                outcomes: list[MatchOutcome] = []
                raise_alerts: list[tuple[Match, str, list[dict[str, Any]], Any]] = []
                # FollowTheMoney datasets keep their own entity ids, and two of them may carry
                # the same party under the same id: one alert (on the best match) covers both.
                first_of: dict[str, Match] = {}
                for m in it.matches:
                    pair = (it.customer_id, m.entity_id)
                    base = (m.entity_id, m.entity.caption, m.entity.source, m.score)
                    first = first_of.setdefault(m.entity_id, m)
                    if first is not m:
                        outcomes.append(
                            MatchOutcome(
                                *base,
                                "same_entity",
                                None,
                                f"the same entity id as the match on {first.entity.source}, "
                                "which this screening's alert covers",
                            )
                        )
                        continue
                    if pair in active:
                        a = active[pair]
                        outcomes.append(
                            MatchOutcome(
                                *base, "active_alert", a.id, f"alert {a.id} is already {a.status}"
                            )
                        )
                        continue
                    if pair in confirmed:
                        a = confirmed[pair]
                        outcomes.append(
                            MatchOutcome(
                                *base,
                                "confirmed_match",
                                a.id,
                                f"confirmed a true match on alert {a.id} by {a.decided_by}",
                            )
                        )
                        continue
                    entry = entries.get(pair)
                    if entry is None:
                        raise_alerts.append((m, f"new match: {self._describe_match(m)}", [], None))
                        continue
                    entity_diff = entity_key_changes(dict(entry.entity_key), entity_key(m.entity))
                    entity_moved = entity_changes_matter(entity_diff)
                    customer_moved = entry.customer_hash != it.content_hash
                    if not entity_moved and not customer_moved:
                        outcomes.append(
                            MatchOutcome(
                                *base,
                                "whitelisted",
                                entry.alert_id,
                                f"decided a false positive on alert {entry.alert_id}; neither "
                                "side has changed in a way that matters since",
                            )
                        )
                        continue
                    changes: list[dict[str, Any]] = []
                    lines: list[str] = []
                    if entity_moved:
                        for field, diff in entity_diff.items():
                            changes.append({"side": "entity", "field": field, **diff})
                        lines += describe_entity_changes(entity_diff)
                    if customer_moved:
                        old = self._customer_data(conn, it.customer_id, entry.customer_version)
                        cdiff = customer_changes(old, it.data)
                        for field, diff in cdiff.items():
                            changes.append(
                                {
                                    "side": "customer",
                                    "field": field,
                                    "from_version": entry.customer_version,
                                    "to_version": it.version,
                                    **diff,
                                }
                            )
                        lines += describe_customer_changes(cdiff) or [
                            f"the customer's data changed (version {entry.customer_version} "
                            f"→ {it.version})"
                        ]
                    reason = (
                        f"alert again: the false-positive decision on alert {entry.alert_id} "
                        f"no longer holds because {'; '.join(lines)}"
                    )
                    raise_alerts.append((m, reason, changes, entry))
                result_alerts: list[int] = []
                item_audit: list[_Audit] = []
                inserted = conn.execute(
                    screenings.insert().values(
                        customer_id=it.customer_id,
                        customer_version=it.version,
                        at=now,
                        actor=actor,
                        trigger=trigger,
                        query=it.data,
                        scope=scope,
                        list_versions=described,
                        index_signature=signature,
                        algorithm=algorithm,
                        threshold=threshold,
                        software_version=software,
                        hits=len(it.matches),
                        alerts=len(raise_alerts),
                        result=[o.to_dict() for o in outcomes],
                    )
                ).inserted_primary_key
                assert inserted is not None
                screening_id = int(inserted[0])
                for m, reason, changes, entry in raise_alerts:
                    version = lists.by_source.get(m.entity.source)
                    stored = records.get((version.id, m.entity_id)) if version else None
                    if stored is not None:
                        entity_hash, snapshot = stored
                        list_version_id: int | None = version.id if version else None
                    else:  # a screener not built from this store (tests, one-off lists)
                        data = entity_to_json(m.entity)
                        entity_hash, snapshot = hash_json(data), json.loads(data)
                        list_version_id = None
                    measures = [lst.measure.value for lst in m.entity.listings]
                    alert_row = conn.execute(
                        alerts.insert().values(
                            customer_id=it.customer_id,
                            customer_version=it.version,
                            customer_hash=it.content_hash,
                            screening_id=screening_id,
                            entity_id=m.entity_id,
                            entity_caption=m.entity.caption,
                            entity_schema=m.entity.schema.value,
                            source=m.entity.source,
                            list_version_id=list_version_id,
                            entity_hash=entity_hash,
                            measures=_measures_text(measures),
                            score=m.score,
                            threshold=threshold,
                            algorithm=m.explanation.algorithm,
                            software_version=software,
                            explanation=m.explanation.to_dict(),
                            customer_snapshot={"ref": it.ref, "version": it.version, **it.data},
                            entity_snapshot=snapshot,
                            reason=reason,
                            changes=changes,
                            previous_alert_id=entry.alert_id if entry is not None else None,
                            status=OPEN,
                            created_at=now,
                            updated_at=now,
                        )
                    ).inserted_primary_key
                    assert alert_row is not None
                    alert_id = int(alert_row[0])
                    result_alerts.append(alert_id)
                    outcomes.append(
                        MatchOutcome(
                            m.entity_id,
                            m.entity.caption,
                            m.entity.source,
                            m.score,
                            "alert",
                            alert_id,
                            reason,
                        )
                    )
                    item_audit.append(
                        _Audit(
                            actor,
                            "alert.create",
                            "alert",
                            str(alert_id),
                            {
                                "customer": it.ref,
                                "customer_version": it.version,
                                "customer_hash": it.content_hash,
                                "entity_id": m.entity_id,
                                "source": m.entity.source,
                                "list_version_id": list_version_id,
                                "entity_hash": entity_hash,
                                "score": round(m.score, 4),
                                "algorithm": m.explanation.algorithm,
                                "screening_id": screening_id,
                                "reason": reason,
                            },
                        )
                    )
                    if entry is not None:
                        conn.execute(
                            update(whitelist)
                            .where(whitelist.c.id == entry.id)
                            .values(active=False, ended_at=now, ended_by=actor, ended_reason=reason)
                        )
                        item_audit.append(
                            _Audit(
                                actor,
                                "whitelist.lapse",
                                "whitelist",
                                str(entry.id),
                                {
                                    "customer": it.ref,
                                    "entity_id": m.entity_id,
                                    "alert_id": alert_id,
                                    "reason": reason,
                                },
                            )
                        )
                if result_alerts:
                    order = {o.entity_id: i for i, o in enumerate(outcomes)}
                    ranked = sorted(outcomes, key=lambda o: (-o.score, order[o.entity_id]))
                    conn.execute(
                        update(screenings)
                        .where(screenings.c.id == screening_id)
                        .values(result=[o.to_dict() for o in ranked])
                    )
                audit.append(
                    _Audit(
                        actor,
                        "screening",
                        "screening",
                        str(screening_id),
                        {
                            "customer": it.ref,
                            "customer_version": it.version,
                            "customer_hash": it.content_hash,
                            "trigger": trigger,
                            "scope": scope,
                            "list_versions": [
                                [v["source"], v["version_id"], v["content_hash"]] for v in described
                            ],
                            "algorithm": algorithm,
                            "threshold": threshold,
                            "hits": len(it.matches),
                            "alerts": result_alerts,
                            "results": [
                                [o.entity_id, round(o.score, 4), o.outcome, o.alert_id]
                                for o in outcomes
                            ],
                        },
                    )
                )
                audit.extend(item_audit)
                cur = current.get(it.customer_id)
                if full and cur is not None and (cur.screened_version or 0) <= it.version:
                    screened_rows.append({"b_id": it.customer_id, "b_v": it.version, "b_at": now})
                run.screened += 1
                run.hits += len(it.matches)
                run.alerts.extend(result_alerts)
                run.screenings.append(screening_id)
            if screened_rows:
                conn.execute(
                    update(customers)
                    .where(customers.c.id == bindparam("b_id"))
                    .values(screened_version=bindparam("b_v"), screened_at=bindparam("b_at")),
                    screened_rows,
                )
            self._audit(conn, audit)

    @staticmethod
    def _describe_match(m: Match) -> str:
        lists = ", ".join(
            dict.fromkeys(
                (lst.list if lst.list.startswith(lst.authority) else f"{lst.authority} {lst.list}")
                + f" ({lst.measure.value})"
                for lst in m.entity.listings
            )
        )
        return f"{m.entity.caption} ({m.entity_id}) scored {m.score:.2f}" + (
            f" on {lists}" if lists else ""
        )

    @staticmethod
    def _customer_data(conn: Connection, customer_id: int, version: int) -> dict[str, Any] | None:
        row = conn.execute(
            select(customer_versions.c.data)
            .where(customer_versions.c.customer_id == customer_id)
            .where(customer_versions.c.version == version)
        ).first()
        return dict(row.data) if row is not None else None

    def get_screening(self, screening_id: int) -> Screening:
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(screenings, customers.c.ref)
                .join(customers, customers.c.id == screenings.c.customer_id)
                .where(screenings.c.id == screening_id)
            ).first()
        if row is None:
            raise NotFoundError(f"no screening {screening_id}")
        return _screening(row)

    def screenings(self, ref: str | None = None, *, limit: int | None = None) -> list[Screening]:
        """Screenings, newest first (of one customer with ``ref``)."""
        query = (
            select(screenings, customers.c.ref)
            .join(customers, customers.c.id == screenings.c.customer_id)
            .order_by(screenings.c.id.desc())
        )
        if ref is not None:
            query = query.where(customers.c.ref == ref)
        if limit is not None:
            query = query.limit(limit)
        with self.store.engine.connect() as conn:
            return [_screening(r) for r in conn.execute(query)]

    # -- alerts ------------------------------------------------------------------------------

    def list_alerts(
        self,
        *,
        status: str | Sequence[str] | None = None,
        source: str | None = None,
        measure: str | None = None,
        min_score: float | None = None,
        assignee: str | None = None,
        ref: str | None = None,
        entity_id: str | None = None,
        older_than: timedelta | None = None,
        newer_than: timedelta | None = None,
        decision: str | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[Alert]:
        """Alerts, oldest first, filtered. ``status`` is one status, several, or ``"active"``
        (open, pending second review, escalated); ``assignee="none"`` finds unassigned ones;
        ``older_than`` / ``newer_than`` filter on the alert's age."""
        query = _alert_select()
        if status is not None:
            wanted = [status] if isinstance(status, str) else list(status)
            expanded: list[str] = []
            for s in wanted:
                expanded.extend(ACTIVE_STATUSES if s == "active" else [s])
            unknown = set(expanded) - {*ACTIVE_STATUSES, CLOSED}
            if unknown:
                raise QueryError(
                    f"status: unknown status {sorted(unknown)[0]!r}; use active, "
                    f"{', '.join(ACTIVE_STATUSES)} or {CLOSED}"
                )
            query = query.where(alerts.c.status.in_(expanded))
        if source:
            query = query.where(alerts.c.source == source)
        if measure:
            query = query.where(alerts.c.measures.like(f"%,{measure.strip().lower()},%"))
        if min_score is not None:
            query = query.where(alerts.c.score >= min_score)
        if assignee is not None:
            if assignee.lower() == "none":
                query = query.where(alerts.c.assignee.is_(None))
            else:
                query = query.where(alerts.c.assignee == assignee)
        if ref is not None:
            query = query.where(customers.c.ref == ref)
        if entity_id is not None:
            query = query.where(alerts.c.entity_id == entity_id)
        if decision is not None:
            query = query.where(alerts.c.decision == _check_decision(decision))
        now = utcnow()
        if older_than is not None:
            query = query.where(alerts.c.created_at <= now - older_than)
        if newer_than is not None:
            query = query.where(alerts.c.created_at >= now - newer_than)
        query = query.order_by(alerts.c.id).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self.store.engine.connect() as conn:
            return [_alert(r) for r in conn.execute(query)]

    def get_alert(self, alert_id: int) -> Alert:
        """One alert with its evidence, every decision and every assignment."""
        with self.store.engine.connect() as conn:
            row = conn.execute(_alert_select().where(alerts.c.id == alert_id)).first()
            if row is None:
                raise NotFoundError(f"no alert {alert_id}")
            decs = conn.execute(
                select(decisions).where(decisions.c.alert_id == alert_id).order_by(decisions.c.id)
            ).all()
            assigns = conn.execute(
                select(alert_assignments)
                .where(alert_assignments.c.alert_id == alert_id)
                .order_by(alert_assignments.c.id)
            ).all()
        return _alert(
            row, tuple(_decision(d) for d in decs), tuple(_assignment(a) for a in assigns)
        )

    def confirmed_matches(self, entity_ids: Iterable[str] | None = None) -> list[Alert]:
        """Alerts closed as confirmed true matches (of these listed entities)."""
        query = _alert_select().where(alerts.c.decision == "true_match").order_by(alerts.c.id)
        if entity_ids is None:
            with self.store.engine.connect() as conn:
                return [_alert(r) for r in conn.execute(query)]
        wanted = sorted(set(entity_ids))
        out: list[Alert] = []
        with self.store.engine.connect() as conn:
            for start in range(0, len(wanted), 900):
                chunk = wanted[start : start + 900]
                out.extend(
                    _alert(r) for r in conn.execute(query.where(alerts.c.entity_id.in_(chunk)))
                )
        out.sort(key=lambda a: a.id)
        return out

    def _lock_alert(self, conn: Connection, alert_id: int) -> Any:
        """Lock the alert's customer, then the alert (that order everywhere), and read it."""
        found = conn.execute(select(alerts.c.customer_id).where(alerts.c.id == alert_id)).first()
        if found is None:
            raise NotFoundError(f"no alert {alert_id}")
        self._lock_customers(conn, [found.customer_id])
        query = _alert_select().where(alerts.c.id == alert_id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(of=alerts)
        return conn.execute(query).one()

    def assign(self, alert_id: int, assignee: str | None, actor: str) -> Alert:
        """Give an active alert to a reviewer (``None`` or "" unassigns it)."""
        actor = _check_actor(actor)
        who = assignee.strip() if assignee and assignee.strip() else None
        if who is not None and len(who) > 200:
            raise QueryError("assignee: at most 200 characters")
        self._ensure_config(actor)
        with self._write() as conn:
            row = self._lock_alert(conn, alert_id)
            if row.status == CLOSED:
                raise WorkflowError(
                    f"alert {alert_id} is closed ({row.decision}); only active alerts are assigned"
                )
            now = utcnow()
            conn.execute(
                update(alerts)
                .where(alerts.c.id == alert_id)
                .values(assignee=who, assigned_at=now if who else None, updated_at=now)
            )
            conn.execute(
                alert_assignments.insert().values(
                    alert_id=alert_id, assignee=who, actor=actor, at=now
                )
            )
            self._audit(
                conn,
                [
                    _Audit(
                        actor,
                        "alert.assign",
                        "alert",
                        str(alert_id),
                        {"customer": row.ref, "assignee": who, "previous": row.assignee},
                    )
                ],
            )
        return self.get_alert(alert_id)

    def decide(self, alert_id: int, decision: str, reason: str, actor: str) -> DecisionResult:
        """Decide an open (or escalated) alert: ``true_match``, ``false_positive`` or
        ``escalate``, with a reason.

        If four-eyes applies, the decision waits for a second, different reviewer
        (``confirm``/``reject``); otherwise it is final: a ``false_positive`` whitelists the
        pair, a ``true_match`` closes the alert, ``escalate`` marks it escalated. Raises
        ``AlreadyDecidedError`` when someone decided it first.
        """
        decision = _check_decision(decision)
        reason = _check_reason(reason)
        actor = _check_actor(actor)
        self._ensure_config(actor)
        entry: WhitelistEntry | None = None
        with self._write() as conn:
            row = self._lock_alert(conn, alert_id)
            if row.status == CLOSED:
                raise AlreadyDecidedError(
                    f"alert {alert_id} was already decided: {row.decision} by {row.decided_by}"
                    + (f", confirmed by {row.confirmed_by}" if row.confirmed_by else "")
                    + f" at {_req_utc(row.decided_at).isoformat(timespec='seconds')}"
                )
            if row.status == PENDING:
                raise AlreadyDecidedError(
                    f"alert {alert_id} was already decided: {row.pending_decision} by "
                    f"{row.pending_by}, awaiting a second reviewer (confirm or reject it)"
                )
            if row.status == ESCALATED and decision == "escalate":
                raise AlreadyDecidedError(f"alert {alert_id} is already escalated")
            now = utcnow()
            second = self.config.needs_second_review(
                decision, row.source, _measures_of(row.measures)
            )
            stage = "first" if second else "single"
            decision_id = self._insert_decision(conn, alert_id, decision, reason, actor, now, stage)
            records = [
                _Audit(
                    actor,
                    "alert.decide",
                    "alert",
                    str(alert_id),
                    {
                        "customer": row.ref,
                        "entity_id": row.entity_id,
                        "decision": decision,
                        "reason": reason,
                        "stage": stage,
                        "decision_id": decision_id,
                        "awaiting_second_review": second,
                    },
                )
            ]
            if second:
                conn.execute(
                    update(alerts)
                    .where(alerts.c.id == alert_id)
                    .values(
                        status=PENDING,
                        pending_decision=decision,
                        pending_by=actor,
                        pending_from=row.status,
                        updated_at=now,
                    )
                )
            else:
                entry = self._finalize(conn, row, decision, actor, None, decision_id, now, records)
            self._audit(conn, records)
        alert = self.get_alert(alert_id)
        return DecisionResult(alert, alert.decisions[-1], not second, entry)

    def confirm(self, alert_id: int, actor: str, reason: str | None = None) -> DecisionResult:
        """Four-eyes: a second reviewer, not the first, confirms the decision awaiting review;
        it becomes final. ``FourEyesError`` if ``actor`` made the first decision."""
        actor = _check_actor(actor)
        reason = _check_reason(reason, required=False)
        self._ensure_config(actor)
        with self._write() as conn:
            row = self._lock_alert(conn, alert_id)
            self._check_pending(conn, row)
            if row.pending_by == actor:
                raise FourEyesError(
                    f"four-eyes: {actor} made the decision on alert {alert_id} "
                    f"({row.pending_decision}); a different reviewer must confirm it"
                )
            decision = str(row.pending_decision)
            now = utcnow()
            text = reason or f"confirms the {decision} decision by {row.pending_by}"
            decision_id = self._insert_decision(
                conn, alert_id, decision, text, actor, now, "confirm"
            )
            records = [
                _Audit(
                    actor,
                    "alert.confirm",
                    "alert",
                    str(alert_id),
                    {
                        "customer": row.ref,
                        "entity_id": row.entity_id,
                        "decision": decision,
                        "first_reviewer": row.pending_by,
                        "reason": text,
                        "decision_id": decision_id,
                    },
                )
            ]
            entry = self._finalize(
                conn, row, decision, str(row.pending_by), actor, decision_id, now, records
            )
            self._audit(conn, records)
        alert = self.get_alert(alert_id)
        return DecisionResult(alert, alert.decisions[-1], True, entry)

    def reject(self, alert_id: int, actor: str, reason: str) -> DecisionResult:
        """Four-eyes: the second reviewer rejects the decision awaiting review; the alert goes
        back to the status it had (open or escalated) to be decided again. The first reviewer
        may withdraw their own decision the same way."""
        actor = _check_actor(actor)
        reason = _check_reason(reason)
        self._ensure_config(actor)
        with self._write() as conn:
            row = self._lock_alert(conn, alert_id)
            self._check_pending(conn, row)
            decision = str(row.pending_decision)
            back = row.pending_from or OPEN
            now = utcnow()
            decision_id = self._insert_decision(
                conn, alert_id, decision, reason, actor, now, "reject"
            )
            conn.execute(
                update(alerts)
                .where(alerts.c.id == alert_id)
                .values(
                    status=back,
                    pending_decision=None,
                    pending_by=None,
                    pending_from=None,
                    updated_at=now,
                )
            )
            self._audit(
                conn,
                [
                    _Audit(
                        actor,
                        "alert.reject",
                        "alert",
                        str(alert_id),
                        {
                            "customer": row.ref,
                            "entity_id": row.entity_id,
                            "decision": decision,
                            "first_reviewer": row.pending_by,
                            "withdrawn": row.pending_by == actor,
                            "reason": reason,
                            "status": back,
                            "decision_id": decision_id,
                        },
                    )
                ],
            )
        alert = self.get_alert(alert_id)
        return DecisionResult(alert, alert.decisions[-1], False, None)

    def _check_pending(self, conn: Connection, row: Any) -> None:
        if row.status == PENDING:
            return
        last = conn.execute(
            select(decisions)
            .where(decisions.c.alert_id == row.id)
            .order_by(decisions.c.id.desc())
            .limit(1)
        ).first()
        if last is not None and last.stage in ("confirm", "reject"):
            verb = "confirmed" if last.stage == "confirm" else "rejected"
            raise AlreadyDecidedError(
                f"alert {row.id}: the {last.decision} decision was already {verb} by {last.actor}"
                f" (the alert is now {row.status})"
            )
        if row.status == CLOSED:
            raise AlreadyDecidedError(
                f"alert {row.id} was already decided: {row.decision} by {row.decided_by}"
            )
        raise WorkflowError(
            f"alert {row.id} has no decision awaiting a second review (it is {row.status})"
        )

    @staticmethod
    def _insert_decision(
        conn: Connection,
        alert_id: int,
        decision: str,
        reason: str,
        actor: str,
        at: datetime,
        stage: str,
    ) -> int:
        key = conn.execute(
            decisions.insert().values(
                alert_id=alert_id, decision=decision, reason=reason, actor=actor, at=at, stage=stage
            )
        ).inserted_primary_key
        assert key is not None
        return int(key[0])

    def _finalize(
        self,
        conn: Connection,
        row: Any,
        decision: str,
        decided_by: str,
        confirmed_by: str | None,
        decision_id: int,
        now: datetime,
        records: list[_Audit],
    ) -> WhitelistEntry | None:
        """Make a decision take effect: escalate, or close (and whitelist a false positive)."""
        if decision == "escalate":
            conn.execute(
                update(alerts)
                .where(alerts.c.id == row.id)
                .values(
                    status=ESCALATED,
                    pending_decision=None,
                    pending_by=None,
                    pending_from=None,
                    updated_at=now,
                )
            )
            return None
        conn.execute(
            update(alerts)
            .where(alerts.c.id == row.id)
            .values(
                status=CLOSED,
                decision=decision,
                decided_by=decided_by,
                confirmed_by=confirmed_by,
                decided_at=now,
                pending_decision=None,
                pending_by=None,
                pending_from=None,
                updated_at=now,
            )
        )
        if decision != "false_positive":
            return None
        actor = confirmed_by or decided_by
        ended = conn.execute(
            update(whitelist)
            .where(whitelist.c.customer_id == row.customer_id)
            .where(whitelist.c.entity_id == row.entity_id)
            .where(whitelist.c.active.is_(True))
            .values(
                active=False,
                ended_at=now,
                ended_by=actor,
                ended_reason=f"replaced by the decision on alert {row.id}",
            )
            .returning(whitelist.c.id)
        ).all()
        key = entity_key(msgspec.convert(row.entity_snapshot, Entity))
        values: dict[str, Any] = {
            "customer_id": row.customer_id,
            "entity_id": row.entity_id,
            "customer_version": row.customer_version,
            "customer_hash": row.customer_hash,
            "entity_hash": row.entity_hash,
            "entity_key": key,
            "list_version_id": row.list_version_id,
            "alert_id": row.id,
            "decision_id": decision_id,
            "created_by": actor,
            "created_at": now,
            "active": True,
        }
        inserted = conn.execute(whitelist.insert().values(**values)).inserted_primary_key
        assert inserted is not None
        entry_id = int(inserted[0])
        records.append(
            _Audit(
                actor,
                "whitelist.add",
                "whitelist",
                str(entry_id),
                {
                    "customer": row.ref,
                    "customer_version": row.customer_version,
                    "customer_hash": row.customer_hash,
                    "entity_id": row.entity_id,
                    "entity_hash": row.entity_hash,
                    "entity_key": key,
                    "alert_id": row.id,
                    "decision_id": decision_id,
                    "replaces": [r.id for r in ended],
                },
            )
        )
        return WhitelistEntry(
            id=entry_id,
            customer_ref=row.ref,
            ended_at=None,
            ended_by=None,
            ended_reason=None,
            **values,
        )

    # -- whitelist ---------------------------------------------------------------------------

    def whitelist(
        self, ref: str | None = None, *, entity_id: str | None = None, active: bool | None = True
    ) -> list[WhitelistEntry]:
        """Whitelist entries (active ones by default; ``active=None`` for all, history too)."""
        query = (
            select(whitelist, customers.c.ref)
            .join(customers, customers.c.id == whitelist.c.customer_id)
            .order_by(whitelist.c.id)
        )
        if ref is not None:
            query = query.where(customers.c.ref == ref)
        if entity_id is not None:
            query = query.where(whitelist.c.entity_id == entity_id)
        if active is not None:
            query = query.where(whitelist.c.active.is_(active))
        with self.store.engine.connect() as conn:
            return [_entry(r) for r in conn.execute(query)]

    def remove_whitelist(self, entry_id: int, actor: str, reason: str) -> WhitelistEntry:
        """End a whitelist entry by hand: the pair alerts again at its next screening."""
        actor = _check_actor(actor)
        reason = _check_reason(reason)
        self._ensure_config(actor)
        with self._write() as conn:
            row = conn.execute(select(whitelist).where(whitelist.c.id == entry_id)).first()
            if row is None:
                raise NotFoundError(f"no whitelist entry {entry_id}")
            self._lock_customers(conn, [row.customer_id])
            row = conn.execute(
                self._locked(conn, select(whitelist).where(whitelist.c.id == entry_id))
            ).one()
            if not row.active:
                raise WorkflowError(f"whitelist entry {entry_id} already ended: {row.ended_reason}")
            now = utcnow()
            conn.execute(
                update(whitelist)
                .where(whitelist.c.id == entry_id)
                .values(active=False, ended_at=now, ended_by=actor, ended_reason=reason)
            )
            ref = conn.execute(
                select(customers.c.ref).where(customers.c.id == row.customer_id)
            ).scalar_one()
            self._audit(
                conn,
                [
                    _Audit(
                        actor,
                        "whitelist.remove",
                        "whitelist",
                        str(entry_id),
                        {"customer": ref, "entity_id": row.entity_id, "reason": reason},
                    )
                ],
            )
        (entry,) = [e for e in self.whitelist(active=None) if e.id == entry_id]
        return entry

    # -- evidence ----------------------------------------------------------------------------

    def evidence(self, ref: str, *, verify_chain: bool = True) -> dict[str, Any]:
        """Everything a regulator needs about one customer, JSON-ready: data and history,
        every screening with the list versions it used, alerts with their evidence and
        decisions, whitelist entries, monitoring notices and the customer's audit records
        with the audit chain's verification (see ``embargo.workflow.evidence``)."""
        from embargo.workflow.evidence import build_evidence

        return build_evidence(self, ref, verify_chain=verify_chain)


def _ensure_tables(store: Store) -> None:
    """Create the workflow's tables if this database lacks them (one query when it has them:
    ``Store.open`` normally created them already)."""
    try:
        existing = set(inspect(store.engine).get_table_names())
        missing = [t for t in (*WORKFLOW_TABLES, *MONITOR_TABLES) if t.name not in existing]
        if missing:
            metadata.create_all(store.engine, tables=missing)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot create the workflow tables in {store.url}: {exc}") from exc


# -- row mapping ------------------------------------------------------------------------------


def _alert_select() -> Select[Any]:
    return select(alerts, customers.c.ref).join(customers, customers.c.id == alerts.c.customer_id)


def _version(r: Any) -> CustomerVersion:
    return CustomerVersion(
        version=r.version,
        data=dict(r.data),
        content_hash=r.content_hash,
        actor=r.actor,
        at=_req_utc(r.at),
        origin=r.origin,
        changes=dict(r.changes or {}),
    )


def _customer(r: Any, data: dict[str, Any], history: tuple[CustomerVersion, ...] = ()) -> Customer:
    return Customer(
        id=r.id,
        ref=r.ref,
        schema=r.schema,
        caption=r.caption,
        version=r.version,
        content_hash=r.content_hash,
        data=data,
        created_at=_req_utc(r.created_at),
        updated_at=_req_utc(r.updated_at),
        screened_version=r.screened_version,
        screened_at=_utc(r.screened_at),
        history=history,
    )


def _screening(r: Any) -> Screening:
    outcomes = tuple(
        MatchOutcome(
            o["entity_id"],
            o["caption"],
            o["source"],
            float(o["score"]),
            o["outcome"],
            o.get("alert_id"),
            o.get("detail", ""),
        )
        for o in (r.result or [])
    )
    return Screening(
        id=r.id,
        customer_ref=r.ref,
        customer_version=r.customer_version,
        at=_req_utc(r.at),
        actor=r.actor,
        trigger=r.trigger,
        query=dict(r.query),
        scope=dict(r.scope or {}),
        list_versions=list(r.list_versions or []),
        index_signature=r.index_signature,
        algorithm=r.algorithm,
        threshold=float(r.threshold),
        software_version=r.software_version,
        hits=r.hits,
        outcomes=outcomes,
    )


def _alert(r: Any, decs: tuple[Decision, ...] = (), assigns: tuple[Assignment, ...] = ()) -> Alert:
    return Alert(
        id=r.id,
        customer_id=r.customer_id,
        customer_ref=r.ref,
        customer_version=r.customer_version,
        customer_hash=r.customer_hash,
        screening_id=r.screening_id,
        entity_id=r.entity_id,
        entity_caption=r.entity_caption,
        entity_schema=r.entity_schema,
        source=r.source,
        list_version_id=r.list_version_id,
        entity_hash=r.entity_hash,
        measures=_measures_of(r.measures),
        score=float(r.score),
        threshold=float(r.threshold),
        algorithm=r.algorithm,
        software_version=r.software_version,
        explanation=dict(r.explanation or {}),
        customer_snapshot=dict(r.customer_snapshot or {}),
        entity_snapshot=dict(r.entity_snapshot or {}),
        reason=r.reason,
        changes=list(r.changes or []),
        previous_alert_id=r.previous_alert_id,
        status=r.status,
        decision=r.decision,
        decided_by=r.decided_by,
        confirmed_by=r.confirmed_by,
        decided_at=_utc(r.decided_at),
        pending_decision=r.pending_decision,
        pending_by=r.pending_by,
        assignee=r.assignee,
        assigned_at=_utc(r.assigned_at),
        created_at=_req_utc(r.created_at),
        updated_at=_req_utc(r.updated_at),
        decisions=decs,
        assignments=assigns,
    )


def _decision(r: Any) -> Decision:
    return Decision(r.id, r.alert_id, r.decision, r.reason, r.actor, _req_utc(r.at), r.stage)


def _assignment(r: Any) -> Assignment:
    return Assignment(r.id, r.alert_id, r.assignee, r.actor, _req_utc(r.at))


def _entry(r: Any) -> WhitelistEntry:
    return WhitelistEntry(
        id=r.id,
        customer_id=r.customer_id,
        customer_ref=r.ref,
        entity_id=r.entity_id,
        customer_version=r.customer_version,
        customer_hash=r.customer_hash,
        entity_hash=r.entity_hash,
        entity_key=dict(r.entity_key or {}),
        list_version_id=r.list_version_id,
        alert_id=r.alert_id,
        decision_id=r.decision_id,
        created_by=r.created_by,
        created_at=_req_utc(r.created_at),
        active=bool(r.active),
        ended_at=_utc(r.ended_at),
        ended_by=r.ended_by,
        ended_reason=r.ended_reason,
    )


__all__ = ["DECISIONS", "CustomerInput", "Workflow"]
