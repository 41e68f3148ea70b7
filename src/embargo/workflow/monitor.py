"""Ongoing monitoring: when a list changes, screen only what the change can affect.

One run (``run_monitor``, ``embargo monitor``):

1. updates the lists (unless told not to) — the same ``update_sources`` as ``embargo update``;
2. brings the customer key table up to date for customers written without it (normally
   none: the workflow keeps it in step with every import; see ``monitor_tables``);
3. for every source, compares its active list version with the version the last run got to
   (``monitor_state``): added, changed and removed entities (``Store.diff``). With no state
   yet, the baseline is the list versions the *least recently* screened customer was last
   screened against in full, so no customer misses a change;
4. screens customers that are new or changed since their last full screening against the
   whole lists (``Workflow.screen_customers``);
5. screens the new and changed listed entities against the rest of the book *in reverse*:
   their names' candidate keys are looked up in the customer key table (keys shared by very
   many customers are skipped when a name has rarer ones, as the list index does), and only
   the customers found are screened, with the normal matcher, against an index of just the
   changed entities. The customers matched there are then screened as a full screening
   does, against the whole lists' index (``confirm_forward``), keeping their matches on
   changed entities; these go through ``Workflow.record_screenings``: the same whitelist
   ("what changed" re-alerts), duplicate and confirmed-match rules as a full screening, so
   the alerts are the ones a full re-screen would raise;
6. for removed entities: a confirmed true match that is delisted produces a *notice*, and so
   does an alert still under review whose listed entity was removed;
7. records the run (``monitor_runs``) and audits it (``monitor.run``, ``monitor.notice``),
   emits the new alerts and notices as JSON lines and, if configured, POSTs them to a
   webhook. A delivery that fails is audited and retried by the next run: nothing is lost,
   the alerts are in the store either way.

How it compares with a full re-screen of the book. The reverse step scores exactly like a
screening (same analysis, same ``score_entity``). A customer is scored against a changed
entity when their names share rare keys on two of the name's parts (one part for a one-word
customer name, or with the entity's exact birth date or an identifier as well): sharing one
word of a longer name cannot reach the threshold. Differences that remain, and that the
benchmark (``bench/monitor.py``) and the tests count:

- *more*: none. A full screening keeps only the best candidates of the whole lists (30,
  and those within a fraction of the best); the reverse step, with no competition for
  places, can score a pair above the threshold that a full screening would cut. The
  forward confirmation drops such pairs, as a full re-screen would;
- *fewer*: a match that rests on one shared word while the other word matches only
  loosely — a spelling with no candidate key in common ("Katherina Barrios" ~ "Katherine
  Harris"), an initial ("Safura" ~ "S."), or a word so common in the book that its keys are
  not looked up — is left to the next full re-screen, which should still run from time to
  time (``embargo screen-customers``);
- *drift*: an unchanged customer and an unchanged entity are not re-screened, but a full
  re-screen can newly retrieve such a pair when a changed entity near the customer moved
  that relative cutoff. No list change touched the pair itself.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from embargo.errors import EmbargoError, StoreError
from embargo.match.index import MatchIndex, name_keys, signature_of
from embargo.match.names import NameForm
from embargo.model import Entity
from embargo.store import ListVersion, Store
from embargo.store import audit as auditlog
from embargo.workflow.errors import WorkflowError
from embargo.workflow.monitor_tables import (
    customer_data,
    customer_key_state,
    customer_keys,
    evidence_keys,
    key_hash,
    monitor_notices,
    monitor_run_owners,
    monitor_runs,
    monitor_state,
    stale_customers,
    sync_customer_keys,
)
from embargo.workflow.tables import ACTIVE_STATUSES, alerts, customers, screenings, whitelist

if TYPE_CHECKING:
    from embargo.match.matcher import Match
    from embargo.settings import Settings
    from embargo.workflow.model import Alert
    from embargo.workflow.service import Workflow

log = logging.getLogger(__name__)

_CHUNK = 900
KEY_BATCH = 1000  # customers keyed per transaction when catching up
SCORE_BATCH = 2000  # customers read and scored at a time in the reverse step
# A "running" run is taken to have died when its process is gone (same host), when its
# heartbeat is older than HEARTBEAT_STALE_S (another host), or — a run recorded before runs
# had owners — when it started more than STALE_RUN_HOURS ago.
STALE_RUN_HOURS = 6
HEARTBEAT_S = 30.0
HEARTBEAT_STALE_S = 600.0


def utcnow() -> datetime:
    return datetime.now(UTC)


def _utc(at: datetime | None) -> datetime | None:
    if at is None:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


class MonitorBusyError(WorkflowError):
    """Another monitoring run is in progress on this database."""


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceChange:
    """What changed in one source since the last run."""

    source: str
    from_version: ListVersion | None
    to_version: ListVersion
    added: int
    changed: int
    removed: int
    baseline: str  # state | screenings | none: where the "from" version came from

    def to_dict(self) -> dict[str, Any]:
        def brief(v: ListVersion | None) -> dict[str, Any] | None:
            if v is None:
                return None
            return {
                "version_id": v.id,
                "publisher_date": v.publisher_date,
                "content_hash": v.content_hash,
            }

        return {
            "source": self.source,
            "from": brief(self.from_version),
            "to": brief(self.to_version),
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "baseline": self.baseline,
        }


@dataclass(frozen=True)
class Notice:
    id: int
    run_id: int
    kind: str  # delisted_confirmed_match | alert_on_delisted_entity
    customer_ref: str
    entity_id: str
    entity_caption: str
    source: str
    alert_id: int | None
    from_version_id: int | None
    to_version_id: int | None
    message: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "notice",
            "id": self.id,
            "run_id": self.run_id,
            "kind": self.kind,
            "customer_ref": self.customer_ref,
            "entity_id": self.entity_id,
            "entity_caption": self.entity_caption,
            "source": self.source,
            "alert_id": self.alert_id,
            "from_version_id": self.from_version_id,
            "to_version_id": self.to_version_id,
            "message": self.message,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class Delivery:
    """The outcome of POSTing a run's events to the webhook."""

    ok: bool
    url: str  # without credentials or query string
    attempts: int
    status_code: int | None
    error: str | None
    alerts: int
    notices: int
    runs: tuple[int, ...]  # the runs whose events were in the POST (earlier failed ones too)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "url": self.url,
            "attempts": self.attempts,
            "status_code": self.status_code,
            "error": self.error,
            "alerts": self.alerts,
            "notices": self.notices,
            "runs": list(self.runs),
        }


@dataclass
class MonitorRun:
    id: int
    started_at: datetime
    actor: str
    finished_at: datetime | None = None
    status: str = "running"
    update: list[dict[str, Any]] = field(default_factory=list)
    lists: list[SourceChange] = field(default_factory=list)
    customers_keyed: int = 0
    customers_screened_in_full: int = 0
    changed_entities: int = 0
    candidates: int = 0
    reverse: dict[str, int] = field(default_factory=dict)  # key lookup statistics
    screened: int = 0
    alerts: list[Alert] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    delivery: Delivery | None = None
    timings: dict[str, float] = field(default_factory=dict)
    # Runs found dead and closed ("aborted") when this one started, and how many of the
    # alerts below they had recorded without handing them over.
    took_over: list[int] = field(default_factory=list)
    adopted: int = 0
    # Events earlier runs recorded but never handed over (killed after recording): emitted
    # by this run, before its own.
    earlier_events: list[dict[str, Any]] = field(default_factory=list)
    alert_floor: int = 0

    @property
    def exit_code(self) -> int:
        """0: nothing new; 1: new alerts or notices; 2: something failed (a list update,
        the webhook) — the alerts are stored and emitted all the same."""
        if self.errors or (self.delivery is not None and not self.delivery.ok):
            return 2
        return 1 if self.alerts or self.notices or self.earlier_events else 0

    def summary(self) -> dict[str, Any]:
        return {
            "run_id": self.id,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "actor": self.actor,
            "status": self.status,
            "update": self.update,
            "lists": [c.to_dict() for c in self.lists],
            "customers_keyed": self.customers_keyed,
            "customers_screened_in_full": self.customers_screened_in_full,
            "changed_entities": self.changed_entities,
            "candidates": self.candidates,
            "reverse": self.reverse,
            "screened": self.screened,
            "alerts": len(self.alerts),
            "notices": len(self.notices),
            "took_over": self.took_over,
            "adopted_alerts": self.adopted,
            "earlier_events": len(self.earlier_events),
            "errors": self.errors,
            "timings": self.timings,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "alerts": [alert_event(a, self.id) for a in self.alerts],
            "notices": [n.to_dict() for n in self.notices],
            "delivery": self.delivery.to_dict() if self.delivery else None,
        }

    def events(self) -> list[dict[str, Any]]:
        """The JSON lines: those earlier runs did not hand over, then one per new alert, then
        one per notice."""
        own = [alert_event(a, self.id) for a in self.alerts] + [n.to_dict() for n in self.notices]
        return [*self.earlier_events, *own]


def alert_event(alert: Alert, run_id: int | None) -> dict[str, Any]:
    return {
        "type": "alert",
        "run_id": run_id,
        **alert.to_dict(evidence=False),
        "explanation": alert.explanation.get("summary"),
    }


# -- webhook ----------------------------------------------------------------------------------


def redact_url(url: str) -> str:
    """The URL without user info or query string (tokens live there): safe to log and audit."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


@dataclass(frozen=True)
class Webhook:
    """Where to POST each run's new alerts and notices (JSON), with retries and a timeout.

    A 2xx answer is a delivery; connection errors, timeouts and other answers are retried
    ``retries`` times with exponential backoff, then reported as a failure.
    """

    url: str
    timeout: float = 10.0
    retries: int = 3
    backoff: float = 1.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise EmbargoError(f"--webhook: {self.url!r} is not an http(s) URL")
        if self.timeout <= 0:
            raise EmbargoError("--webhook-timeout: must be positive")
        if self.retries < 0:
            raise EmbargoError("--webhook-retries: must be 0 or more")

    def post(self, payload: dict[str, Any]) -> tuple[bool, int, int | None, str | None]:
        """(ok, attempts, last status code, last error)."""
        import httpx

        from embargo import __version__

        body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"embargo/{__version__} monitor",
        }
        attempts = 0
        status: int | None = None
        error: str | None = None
        with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
            for attempt in range(self.retries + 1):
                attempts += 1
                try:
                    response = client.post(self.url, content=body, headers=headers)
                except httpx.HTTPError as exc:
                    status, error = None, f"{type(exc).__name__}: {exc}"
                else:
                    status = response.status_code
                    if 200 <= status < 300:
                        return True, attempts, status, None
                    error = f"HTTP {status}: {response.text[:200].strip()}"
                if attempt < self.retries:
                    time.sleep(self.backoff * (2**attempt))
        return False, attempts, status, error


# -- the run ----------------------------------------------------------------------------------


@dataclass
class _Changes:
    lists: list[SourceChange]
    entities: list[Entity]  # added and changed, as in the active versions
    removed: dict[str, tuple[str, str, int | None, int]]  # id -> caption, source, from, to


def run_monitor(
    wf: Workflow,
    *,
    actor: str,
    update: bool = True,
    sources: Sequence[str] | None = None,
    webhook: Webhook | None = None,
    emit: Callable[[dict[str, Any]], None] | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> MonitorRun:
    """One monitoring run (see the module doc). ``emit`` gets each JSON event (new alert,
    notice) once the run is recorded; ``progress`` gets one line per step; ``workers``:
    processes scoring candidate customers (default: up to 4, one per core)."""
    say = progress or (lambda _msg: None)
    store = wf.store
    run = _start_run(store, actor)
    for old in run.took_over:
        say(f"monitoring run {old} had died mid-way: closed it, and its work is done again")
    t0 = time.perf_counter()
    heartbeat = _Heartbeat(store, run.id)
    try:
        if update:
            from embargo.update import update_sources

            say("updating the lists")
            report = update_sources(store, wf.settings, sources or None, actor=actor)
            for o in report.outcomes:
                run.update.append(
                    {"source": o.source, "status": o.status, "version_id": o.version_id}
                )
                if not o.ok:
                    run.errors.append(f"{o.source}: {o.message}")
            run.timings["update_s"] = round(time.perf_counter() - t0, 3)
        t = time.perf_counter()
        run.customers_keyed = catch_up_keys(store)
        run.timings["keys_s"] = round(time.perf_counter() - t, 3)
        if run.customers_keyed:
            say(f"keyed {run.customers_keyed:,} customer(s) for reverse screening")

        t = time.perf_counter()
        changes = _list_changes(store)
        run.lists = changes.lists
        run.changed_entities = len(changes.entities)
        run.timings["diff_s"] = round(time.perf_counter() - t, 3)
        for c in changes.lists:
            say(
                f"{c.source}: version {c.from_version.id if c.from_version else 'none'} → "
                f"{c.to_version.id}: {c.added} added, {c.changed} changed, {c.removed} removed"
            )

        alert_ids: list[int] = []
        t = time.perf_counter()
        pending = wf.customers_to_screen()
        fully: set[str] = set()
        if pending:
            say(f"screening {len(pending):,} new or changed customer(s) against the whole lists")
            full = wf.screen_customers(pending, actor=actor, trigger="monitor")
            fully = set(pending)
            run.customers_screened_in_full = full.screened
            alert_ids += full.alerts
            run.errors += [e.error for e in full.errors]
        run.timings["changed_customers_s"] = round(time.perf_counter() - t, 3)

        t = time.perf_counter()
        if changes.entities:
            say(
                f"screening {len(changes.entities):,} new or changed listed entities against "
                "the customer book"
            )
            # The whole lists' index, which the confirmation needs, is built meanwhile.
            prebuild = IndexPrebuild.start(wf)
            scope = {
                "kind": "list_changes",
                "monitor_run": run.id,
                "lists": [c.to_dict() for c in changes.lists if c.added or c.changed],
            }
            # With the index built on a core of its own, the candidates are scored on the
            # others (the default scorers: one per core).
            scorers = workers
            if prebuild is not None and scorers is None:
                scorers = max(1, _workers(None, PARALLEL_MIN) - 1)
            found = reverse_screen(wf, changes.entities, exclude_refs=fully, workers=scorers)
            run.candidates = found.scored
            run.reverse = found.stats
            if prebuild is not None:
                run.timings["index_wait_s"] = prebuild.wait()
            if found:
                t_confirm = time.perf_counter()
                confirmed = confirm_forward(wf, found.results, {e.id for e in changes.entities})
                run.timings["confirm_s"] = round(time.perf_counter() - t_confirm, 3)
                run.reverse.update(confirmed.stats)
                recorded = wf.record_screenings(
                    confirmed.results, actor=actor, trigger="monitor", scope=scope
                )
                run.screened = recorded.screened
                alert_ids += recorded.alerts
                run.errors += [e.error for e in recorded.errors]
        run.timings["reverse_s"] = round(time.perf_counter() - t, 3)

        t = time.perf_counter()
        # Alerts that runs which died (or failed) after recording them never handed over:
        # this run reports them as its own (they are in the store once, whoever reports them).
        adopted = unclaimed_alerts(store, run.alert_floor, exclude=alert_ids)
        run.adopted = len(adopted)
        run.alerts = [wf.get_alert(a) for a in [*adopted, *alert_ids]]
        _finish(wf, run, changes, deliver_later=webhook is not None)
        run.timings["record_s"] = round(time.perf_counter() - t, 3)
    except BaseException as exc:
        heartbeat.stop()
        _fail(store, run, exc)
        raise
    heartbeat.stop()
    run.timings["total_s"] = round(time.perf_counter() - t0, 3)
    # At least once: the events of earlier runs that were recorded but not handed over (a
    # kill between the two), then this run's; marked handed over only afterwards.
    run.earlier_events, earlier_runs = unemitted_events(wf, before=run.id)
    if emit is not None:
        for event in run.events():
            emit(event)
    _mark_emitted(store, [*earlier_runs, run.id])
    if webhook is not None:
        run.delivery = deliver(wf, run, webhook)
    _store_delivery(store, run)
    return run


@dataclass(frozen=True)
class _Owner:
    """The process that runs a monitoring run."""

    host: str
    pid: int
    process_start: str | None
    token: str

    @classmethod
    def current(cls) -> _Owner:
        pid = os.getpid()
        return cls(socket.gethostname()[:255], pid, _process_start(pid), secrets.token_hex(16))


def _process_start(pid: int) -> str | None:
    """When the process started (clock ticks since boot, from /proc): a pid that was reused
    by another process has another start time. None where /proc is not available."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: count after it.
    fields = stat[stat.rfind(b")") + 2 :].split()
    return fields[19].decode() if len(fields) > 19 else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    except OSError:
        return True
    return True


def _dead_because(row: Any, now: datetime) -> str | None:
    """Why a "running" run (a ``monitor_runs`` row outer-joined with its owner) is dead, or
    None while it may be alive."""
    started = _utc(row.started_at)
    assert started is not None
    if row.host is None:  # recorded before runs had owners: only its age tells
        if (now - started).total_seconds() >= STALE_RUN_HOURS * 3600:
            return f"started {started.isoformat(timespec='seconds')}, over {STALE_RUN_HOURS} h ago"
        return None
    if row.host == socket.gethostname()[:255]:
        if not _pid_alive(row.pid):
            return f"its process {row.pid} on {row.host} is gone"
        current = _process_start(row.pid)
        if row.process_start and current and current != row.process_start:
            return f"its process {row.pid} on {row.host} is gone (the pid is another process's)"
        return None
    beat = _utc(row.heartbeat_at)
    assert beat is not None
    if (now - beat).total_seconds() >= HEARTBEAT_STALE_S:
        return (
            f"no heartbeat from {row.host} (process {row.pid}) since "
            f"{beat.isoformat(timespec='seconds')}"
        )
    return None


def _start_run(store: Store, actor: str) -> MonitorRun:
    """Record a new run, refusing while another one is running (two runs would compare and
    record the same changes twice). A "running" run whose process is dead is closed as
    "aborted" (audited) and this run does its work again. The check and the insert hold the
    write lock (SQLite) or a lock on ``monitor_runs`` (PostgreSQL): of two runs starting at
    once, one waits for the other's decision."""
    now = utcnow()
    owner = _Owner.current()
    owners = monitor_run_owners
    with store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("LOCK TABLE monitor_runs IN SHARE ROW EXCLUSIVE MODE")
        busy = conn.execute(
            select(
                monitor_runs.c.id,
                monitor_runs.c.started_at,
                monitor_runs.c.actor,
                owners.c.host,
                owners.c.pid,
                owners.c.process_start,
                owners.c.heartbeat_at,
            )
            .select_from(monitor_runs.outerjoin(owners, owners.c.run_id == monitor_runs.c.id))
            .where(monitor_runs.c.status == "running")
            .order_by(monitor_runs.c.id.desc())
        ).all()
        dead: list[tuple[int, str]] = []
        for row in busy:
            reason = _dead_because(row, now)
            if reason is None:
                conn.rollback()
                started = _utc(row.started_at)
                assert started is not None
                where = f" (process {row.pid} on {row.host})" if row.host else ""
                raise MonitorBusyError(
                    f"monitoring run {row.id} by {row.actor} has been running since "
                    f"{started.isoformat(timespec='seconds')}{where}; wait for it to finish"
                )
            dead.append((int(row.id), reason))
        for run_id, reason in dead:
            # Its process died without saying so: close it so that monitoring goes on.
            conn.execute(
                update(monitor_runs)
                .where(monitor_runs.c.id == run_id)
                .values(status="aborted", finished_at=now)
            )
            auditlog.append(
                conn,
                actor=actor,
                action="monitor.aborted",
                subject_type="monitor_run",
                subject_id=str(run_id),
                details={"reason": reason},
            )
        # Where this run's alerts start; lower when the last run did not finish: the alerts
        # it recorded are then this run's to hand over.
        top = conn.execute(select(func.max(alerts.c.id))).scalar()
        floor = int(top or 0)
        last = conn.execute(
            select(monitor_runs.c.status, owners.c.alert_floor)
            .select_from(monitor_runs.join(owners, owners.c.run_id == monitor_runs.c.id))
            .order_by(monitor_runs.c.id.desc())
            .limit(1)
        ).first()
        if last is not None and last.status != "ok":
            floor = min(floor, int(last.alert_floor))
        key = conn.execute(
            monitor_runs.insert().values(
                started_at=now,
                actor=actor,
                status="running",
                summary={},
                alerts=[],
                notices=[],
            )
        ).inserted_primary_key
        assert key is not None
        run_id = int(key[0])
        conn.execute(
            owners.insert().values(
                run_id=run_id,
                host=owner.host,
                pid=owner.pid,
                process_start=owner.process_start,
                token=owner.token,
                heartbeat_at=now,
                alert_floor=floor,
                emitted=False,
            )
        )
        conn.commit()
    return MonitorRun(
        id=run_id,
        started_at=now,
        actor=actor,
        took_over=[run_id for run_id, _r in dead],
        alert_floor=floor,
    )


class _Heartbeat:
    """Refreshes the run's heartbeat every ``HEARTBEAT_S`` from a thread, so that a run on
    another host can tell this one is alive. Not on SQLite: a SQLite database is on this
    host, where the process itself is checked (and a write there would wait for the
    run's own transactions)."""

    def __init__(self, store: Store, run_id: int) -> None:
        self.store = store
        self.run_id = run_id
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if store.dialect != "sqlite":
            self._thread = threading.Thread(
                target=self._loop, name=f"embargo-monitor-heartbeat-{run_id}", daemon=True
            )
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            try:
                with self.store.engine.begin() as conn:
                    conn.execute(
                        update(monitor_run_owners)
                        .where(monitor_run_owners.c.run_id == self.run_id)
                        .values(heartbeat_at=utcnow())
                    )
            except Exception:  # the next beat tries again
                log.warning("monitoring run %s: heartbeat failed", self.run_id, exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None


def unclaimed_alerts(store: Store, floor: int, *, exclude: Iterable[int] = ()) -> list[int]:
    """Ids of alerts raised by monitoring above ``floor`` that no finished run reported:
    those of runs that died or failed after recording them (see ``_start_run``)."""
    skip = set(exclude)
    with store.engine.connect() as conn:
        ids = conn.execute(
            select(alerts.c.id)
            .join(screenings, screenings.c.id == alerts.c.screening_id)
            .where(alerts.c.id > floor)
            .where(screenings.c.trigger == "monitor")
            .order_by(alerts.c.id)
        ).scalars()
        return [int(i) for i in ids if int(i) not in skip]


def unemitted_events(wf: Workflow, *, before: int) -> tuple[list[dict[str, Any]], list[int]]:
    """The events (alerts, then notices, per run) of finished runs before run ``before``
    that were never handed over, and those runs' ids."""
    store = wf.store
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(monitor_runs.c.id, monitor_runs.c.alerts, monitor_runs.c.notices)
            .join(monitor_run_owners, monitor_run_owners.c.run_id == monitor_runs.c.id)
            .where(monitor_run_owners.c.emitted.is_(False))
            .where(monitor_runs.c.status == "ok")
            .where(monitor_runs.c.id < before)
            .order_by(monitor_runs.c.id)
        ).all()
    events: list[dict[str, Any]] = []
    for r in rows:
        for alert_id in r.alerts or []:
            try:
                events.append(alert_event(wf.get_alert(int(alert_id)), int(r.id)))
            except EmbargoError:
                continue
        events += [n.to_dict() for n in load_notices(store, ids=r.notices or [])]
    return events, [int(r.id) for r in rows]


def _mark_emitted(store: Store, run_ids: Sequence[int]) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            update(monitor_run_owners)
            .where(monitor_run_owners.c.run_id.in_(list(run_ids)))
            .values(emitted=True)
        )


def _fail(store: Store, run: MonitorRun, exc: BaseException) -> None:
    run.status = "failed"
    run.finished_at = utcnow()
    run.errors.append(f"{type(exc).__name__}: {exc}")
    try:
        with store.engine.begin() as conn:
            conn.execute(
                update(monitor_runs)
                .where(monitor_runs.c.id == run.id)
                .where(monitor_runs.c.status == "running")  # not one another run closed
                .values(status="failed", finished_at=run.finished_at, summary=run.summary())
            )
            auditlog.append(
                conn,
                actor=run.actor,
                action="monitor.failed",
                subject_type="monitor_run",
                subject_id=str(run.id),
                details={"error": run.errors[-1], "lists": [c.to_dict() for c in run.lists]},
            )
    except Exception:  # the original error matters more than this one
        log.exception("could not record the failure of monitoring run %s", run.id)


# -- keys -------------------------------------------------------------------------------------


def catch_up_keys(store: Store, *, batch: int = KEY_BATCH) -> int:
    """Key the customers whose keys are missing or out of date; how many were keyed."""
    with store.engine.connect() as conn:
        stale = stale_customers(conn)
    done = 0
    for start in range(0, len(stale), batch):
        ids = [cid for cid, _v in stale[start : start + batch]]
        with store.engine.begin() as conn:
            rows = customer_data(conn, ids)
            sync_customer_keys(conn, [(cid, version, data) for cid, _ref, version, data in rows])
        done += len(ids)
    return done


# -- what changed in the lists ----------------------------------------------------------------


def _baseline_versions(conn: Connection) -> dict[str, int] | None:
    """Per source, the list version the least recently screened customer was last screened
    against in full; None when no customer was ever screened in full."""
    row = conn.execute(
        select(screenings.c.list_versions)
        .join(customers, customers.c.id == screenings.c.customer_id)
        .where(customers.c.screened_at.is_not(None))
        .where(screenings.c.at == customers.c.screened_at)
        .order_by(customers.c.screened_at, screenings.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return {str(v["source"]): int(v["version_id"]) for v in (row.list_versions or [])}


def _list_changes(store: Store) -> _Changes:
    active = store.active_versions()
    with store.engine.connect() as conn:
        state = {r.source: r for r in conn.execute(select(monitor_state))}
        baseline = _baseline_versions(conn) if len(state) < len(active) else None
    lists: list[SourceChange] = []
    hashes: list[str] = []
    removed: dict[str, tuple[str, str, int | None, int]] = {}
    for version in active:
        source = version.source
        how = "state"
        from_id: int | None
        if source in state:
            from_id = int(state[source].version_id)
        elif baseline is None:
            # Nothing was ever screened in full: the customers' first full screening (new
            # customers, step 4) covers this version; there is nothing to compare yet.
            from_id, how = version.id, "none"
        else:
            from_id, how = baseline.get(source), "screenings"
        if from_id == version.id:
            if how != "state":
                lists.append(SourceChange(source, version, version, 0, 0, 0, how))
            continue
        after = store.version_hashes(version.id)
        before: dict[str, tuple[str, str]] = {}
        from_version: ListVersion | None = None
        if from_id is not None:
            try:
                from_version = store.get_version(from_id)
                before = store.version_hashes(from_id)
            except StoreError:  # the baseline version was deleted: treat all as new
                from_version, before = None, {}
        added = [i for i in after if i not in before]
        changed = [i for i in after if i in before and before[i][0] != after[i][0]]
        gone = [i for i in before if i not in after]
        hashes += [after[i][0] for i in added + changed]
        for i in gone:
            removed[i] = (
                before[i][1],
                source,
                from_version.id if from_version else None,
                version.id,
            )
        lists.append(
            SourceChange(source, from_version, version, len(added), len(changed), len(gone), how)
        )
    blobs = store.load_blobs(hashes)
    entities = [blobs[h] for h in dict.fromkeys(hashes)]
    return _Changes(lists, entities, removed)


# -- reverse screening ------------------------------------------------------------------------


@dataclass
class ReverseResult:
    results: list[tuple[str, list[Match]]]  # (customer ref, matches at or above the threshold)
    scored: int  # customers scored
    stats: dict[str, int]  # how the candidates were found

    def __bool__(self) -> bool:
        return bool(self.results)


def key_caps(customers_total: int) -> tuple[int, int]:
    """(rare, common): a key shared by at most ``rare`` customers leads to them; a name with
    no such key falls back to its two rarest keys shared by at most ``common``. The same
    proportions as the list index's (1/400 and 1/50 of its names), with floors."""
    return max(250, customers_total // 400), max(2500, customers_total // 50)


# Key kinds that stand for part of a word only (a prefix, a suffix): meeting a name by one of
# them alone is too little for a one-word customer name.
_PARTIAL_KEYS = ("b", "e")
_STRONG = 1 << 63  # flag bit: the key stands for a whole word (or more)


def form_key_parts(form: NameForm) -> tuple[dict[int, int], int]:
    """Key hash -> bit mask of the name parts the key comes from, plus ``_STRONG`` for keys
    of whole words; and how many parts have keys. A key of two adjacent parts, or of the
    whole name, has two bits: it meets two parts at once. A word repeated in the name
    ("Maung Maung") counts once: one word of the customer's meets it. Made with
    ``name_keys`` itself, part by part, so it follows whatever keys the list index uses."""
    whole = name_keys(form)
    owner: dict[str, int] = {}
    for i, part in enumerate(form.parts):
        sub = NameForm(form.text, (part,), kind=form.kind, person=form.person)
        for k in name_keys(sub) & whole:
            owner.setdefault(k, 1 << min(i, 62))
    keyed = 0
    for mask in owner.values():
        keyed |= mask
    out: dict[int, int] = {}
    for k in whole:
        mask = owner.get(k, 0b11)
        if not k.startswith(_PARTIAL_KEYS):
            mask |= _STRONG
        out[key_hash(k)] = mask
    return out, keyed.bit_count()


def candidate_customers(
    conn: Connection, index: MatchIndex, customers_total: int
) -> tuple[dict[int, set[int]], dict[str, int]]:
    """Customer id -> the changed entities (positions in ``index``) worth scoring for it.

    A customer is paired with a changed entity when its keys meet one of the entity's names
    on two of the name's parts — on one part, when the customer's name has only one, or when
    the customer also has the entity's exact birth date or one of its identifiers. Sharing
    one word of a longer name is not enough otherwise: the name cannot then reach the
    threshold (a conflict on the other part), which is what a screening would find too.
    Keys shared by very many customers are not looked up when the name has rarer ones.
    """
    forms = [form_key_parts(form) for form in index.name_forms]
    wanted = sorted({k for keys, _n in forms for k in keys})
    df = _key_counts(conn, wanted)
    rare_cap, common_cap = key_caps(customers_total)
    one_part = {
        int(c)
        for c in conn.execute(
            select(customer_key_state.c.customer_id).where(customer_key_state.c.parts <= 1)
        ).scalars()
    }
    by_entity: dict[int, list[int]] = {}
    for ni, owner in enumerate(index.name_owner):
        by_entity.setdefault(owner, []).append(ni)
    pairs: dict[int, set[int]] = {}
    stats = {
        "names": len(forms),
        "keys": len(wanted),
        "keys_in_book": len(df),
        "keys_used": 0,
        "keys_skipped": 0,
        "rows": 0,
        "pairs": 0,
        "rare_cap": rare_cap,
        "common_cap": common_cap,
    }
    for ei, names in by_entity.items():
        entity = index.entities[ei]
        chosen: dict[int, list[tuple[int, int]]] = {}  # key -> [(name, part mask)]
        for ni in names:
            keys, _nparts = forms[ni]
            present = [k for k in keys if k in df]
            rare = [k for k in present if df[k] <= rare_cap]
            if not rare:
                # Only common keys (a one-word name, say): its rarest ones, as the list
                # index does.
                rare = sorted((k for k in present if df[k] <= common_cap), key=df.__getitem__)
                rare = rare[:2]
            stats["keys_skipped"] += len(present) - len(rare)
            for k in rare:
                chosen.setdefault(k, []).append((ni, keys[k]))
        if not chosen:
            continue
        stats["keys_used"] += len(chosen)
        hits: dict[tuple[int, int], int] = {}
        for key, cid in _key_rows(conn, list(chosen)):
            stats["rows"] += 1
            for ni, mask in chosen[key]:
                pair = (cid, ni)
                hits[pair] = hits.get(pair, 0) | mask
        evidence = {
            key_hash(k)
            for k in evidence_keys(entity.birth_dates, [i.value for i in entity.identifiers])
        }
        backed = {cid for _k, cid in _key_rows(conn, sorted(evidence))} if evidence else set()
        for (cid, _ni), mask in hits.items():
            found = (mask & ~_STRONG).bit_count()
            strong = bool(mask & _STRONG)
            if found >= 2 or (found and cid in backed) or (found and strong and cid in one_part):
                pairs.setdefault(cid, set()).add(ei)
    stats["pairs"] = sum(len(v) for v in pairs.values())
    stats["candidates"] = len(pairs)
    return pairs, stats


def _key_counts(conn: Connection, keys: Sequence[int]) -> dict[int, int]:
    df: dict[int, int] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        for key, count in conn.execute(
            select(customer_keys.c.key, func.count())
            .where(customer_keys.c.key.in_(chunk))
            .group_by(customer_keys.c.key)
        ):
            df[int(key)] = int(count)
    return df


def _key_rows(conn: Connection, keys: Sequence[int]) -> Iterable[tuple[int, int]]:
    """(key, customer id) for every customer holding one of ``keys``. Millions of rows for a
    big book: read through the driver's own cursor, as plain tuples (building a result row
    object per row took longer than the query). The keys are integers, written into the
    statement as such."""
    quote = conn.dialect.identifier_preparer.quote
    table, key_col, cid_col = (
        quote(customer_keys.name),
        quote(customer_keys.c.key.name),
        quote(customer_keys.c.customer_id.name),
    )
    cursor = conn.connection.cursor()
    try:
        for start in range(0, len(keys), _CHUNK):
            listed = ",".join(str(int(k)) for k in keys[start : start + _CHUNK])
            cursor.execute(
                f"SELECT {key_col}, {cid_col} FROM {table} WHERE {key_col} IN ({listed})"
            )
            yield from cursor.fetchall()
    finally:
        cursor.close()


def reverse_screen(
    wf: Workflow,
    entities: Sequence[Entity],
    *,
    exclude_refs: Iterable[str] = (),
    workers: int | None = None,
) -> ReverseResult:
    """Screen the customers that could match these listed entities against them alone: the
    customers with at least one match at or above the threshold, with those matches.

    Each candidate customer is analysed and scored exactly as a screening would: its names
    as query forms, candidate names from an index of the changed entities (the best names
    of each entity that its keys meet), ``score_entity`` — restricted to the entities it
    was paired with. Unlike a screening of the whole lists, no other listed entity competes
    for the candidate places, so nothing is cut for want of room. Many candidates are scored
    in ``workers`` forked processes (default: up to 4, one per core).
    """
    from embargo.match.matcher import get_algorithm

    store = wf.store
    versions = store.active_versions()
    signature = signature_of((v.source, v.id, v.content_hash) for v in versions)
    index = MatchIndex.build(entities, signature=signature)
    algorithm = get_algorithm(wf.algorithm)
    threshold = wf.threshold
    excluded = set(exclude_refs)
    ids = [e.id for e in entities]
    with store.engine.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(customer_key_state)).scalar_one())
        pairs, stats = candidate_customers(conn, index, total)
        # A false positive on a changed entity is looked at again whatever the keys say: the
        # change may be the very thing that lapses it.
        for start in range(0, len(ids), _CHUNK):
            for cid, eid in conn.execute(
                select(whitelist.c.customer_id, whitelist.c.entity_id)
                .where(whitelist.c.entity_id.in_(ids[start : start + _CHUNK]))
                .where(whitelist.c.active.is_(True))
            ):
                pos = index.by_id.get(eid)
                if pos is not None:
                    pairs.setdefault(int(cid), set()).add(pos)
    log.info("reverse screening: %s", stats)
    wanted = sorted(pairs)
    job = _ScoreJob(store, pairs, index, algorithm, threshold, excluded)
    procs = _workers(workers, len(wanted))
    if procs > 1:
        import multiprocessing

        global _JOB
        _JOB = job
        try:
            with multiprocessing.get_context("fork").Pool(procs) as pool:
                found = pool.map(_score_in_child, [wanted[k::procs] for k in range(procs)])
        finally:
            _JOB = None
        # Matches do not cross process boundaries; the few customers that matched are
        # scored again here, against the entities they matched only.
        job.pairs = {cid: hit for part, _n in found for cid, hit in part}
        results, _n = job.score(sorted(job.pairs))
        scored = sum(n for _part, n in found)
    else:
        results, scored = job.score(wanted)
    results.sort(key=lambda r: r[0])
    stats["scored"] = scored
    stats["workers"] = procs
    return ReverseResult(results, scored, stats)


class IndexPrebuild:
    """The whole lists' index of the new versions, built and saved by a forked process while
    this one looks up and scores candidate customers (one core is enough for that), so that
    the forward confirmation only loads it. Without ``fork``, or with the index saved
    already, nothing is started and the confirmation builds it as usual; a prebuild that
    fails changes nothing either."""

    def __init__(self, proc: Any) -> None:
        self.proc = proc

    @classmethod
    def start(cls, wf: Workflow) -> IndexPrebuild | None:
        import multiprocessing

        from embargo.screening import Screener

        # Only for the screener the workflow opens itself, over its store and data dir (one
        # handed to it, over entities in memory, say, has no saved index to prepare).
        if wf._screener_factory != wf._open_screener:
            return None
        current = wf._screener
        if current is not None and current.index.signature == Screener._signature(wf.store):
            return None
        if "fork" not in multiprocessing.get_all_start_methods():
            return None
        if Screener.index_saved(wf.store, wf.settings):
            return None
        # rigour's name tagger takes seconds to load on first use; this process needs it
        # next anyway, and loaded before the fork, the child has it too.
        from embargo.match.names import analyze
        from embargo.model import Schema

        analyze("Vladimir Putin", Schema.PERSON)
        analyze("Rosoboronexport", Schema.COMPANY)
        proc = multiprocessing.get_context("fork").Process(
            target=_prebuild_in_child, args=(wf.store, wf.settings), daemon=True
        )
        proc.start()
        return cls(proc)

    def wait(self) -> float:
        """Wait for the build to end; the seconds waited."""
        t = time.perf_counter()
        self.proc.join()
        if self.proc.exitcode != 0:
            log.warning("building the index ahead failed (exit %s)", self.proc.exitcode)
        return round(time.perf_counter() - t, 3)


def _prebuild_in_child(store: Store, settings: Settings) -> None:
    from embargo.screening import Screener

    # The parent's pooled connections must not be shared: this process opens its own.
    store.engine.dispose(close=False)
    Screener.prepare_index(store, settings)


@dataclass
class Confirmed:
    results: list[tuple[str, list[Match]]]  # (customer ref, matches on changed entities)
    stats: dict[str, int]


def confirm_forward(
    wf: Workflow, found: Sequence[tuple[str, Sequence[Match]]], changed: set[str]
) -> Confirmed:
    """The customers the reverse step matched, screened again as a full screening does —
    against the whole lists' index, best candidates first, limited as configured — keeping
    the matches on changed entities: the alerts a full re-screen raises for them. A pair
    the reverse step scored above the threshold but that a full screening would not
    retrieve (its candidate places taken by better names) is dropped; a match on another
    changed entity that the reverse step did not pair is added.

    The whole index is the new list versions' own, which a screening needs next anyway: it
    is built once (reusing the saved index's name analyses) and saved.
    """
    screener, _lists = wf._ready_screener()
    threshold, limit = wf.threshold, wf.config.limit
    wanted = {ref: {m.entity_id for m in matches} for ref, matches in found}
    results: list[tuple[str, list[Match]]] = []
    stats = {"confirmed": 0, "dropped": 0, "added": 0}
    for customer in wf.iter_customers(list(wanted)):
        try:
            matches = screener.screen(customer.data, limit=limit, threshold=threshold)
        except EmbargoError:  # cannot happen for a customer the reverse step matched
            matches = []
        kept = [m for m in matches if m.score >= threshold and m.entity_id in changed]
        got = {m.entity_id for m in kept}
        before = wanted[customer.ref]
        stats["confirmed"] += len(got & before)
        stats["dropped"] += len(before - got)
        stats["added"] += len(got - before)
        if kept:
            results.append((customer.ref, kept))
    return Confirmed(results, stats)


PARALLEL_MIN = 4000  # fewer candidates than this are scored in the calling process


def _workers(wanted: int | None, candidates: int) -> int:
    import multiprocessing
    import os

    if candidates < PARALLEL_MIN or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if wanted is not None:
        return max(1, wanted)
    return max(1, min(4, os.cpu_count() or 1))


@dataclass
class _ScoreJob:
    store: Store
    pairs: dict[int, set[int]]
    index: MatchIndex
    algorithm: Any
    threshold: float
    excluded: set[str]
    refs: dict[int, str] = field(default_factory=dict)  # customer id -> ref, of those scored

    def score(self, ids: Sequence[int]) -> tuple[list[tuple[str, list[Match]]], int]:
        """Score these candidate customers against the entities each was paired with."""
        from embargo.match.matcher import NameMemo, score_entity
        from embargo.match.query import parse_query
        from embargo.screening import query_forms

        index = self.index
        everything = max(len(index), 1)
        results: list[tuple[str, list[Match]]] = []
        scored = 0
        for start in range(0, len(ids), SCORE_BATCH):
            with self.store.engine.connect() as conn:
                rows = customer_data(conn, ids[start : start + SCORE_BATCH])
            for cid, ref, _version, data in rows:
                if ref in self.excluded:
                    continue
                scored += 1
                self.refs[cid] = ref
                try:
                    query = parse_query(data)
                    forms = query_forms(query)
                except EmbargoError:  # no name left to match on: it cannot match anything
                    continue
                allowed = self.pairs[cid]
                memo: NameMemo = {}
                kept: list[Match] = []
                for cand in index.candidates(forms, limit=everything, cutoff=0.0):
                    if cand.entity not in allowed:
                        continue
                    names = [index.name_forms[ni] for ni in cand.names]
                    match = score_entity(
                        self.algorithm,
                        query,
                        forms,
                        index.entities[cand.entity],
                        names,
                        self.threshold,
                        memo,
                    )
                    if match is not None and match.score >= self.threshold:
                        kept.append(match)
                if kept:
                    kept.sort(key=lambda m: (-m.score, m.entity_id))
                    results.append((ref, kept))
        return results, scored


_JOB: _ScoreJob | None = None  # set for the forked scoring processes, which inherit it


def _score_in_child(ids: list[int]) -> tuple[list[tuple[int, set[int]]], int]:
    """(customer id, entities it matched) for the candidates that matched, and how many
    candidates were scored."""
    job = _JOB
    assert job is not None
    # The parent's pooled connections must not be shared: this process opens its own.
    job.store.engine.dispose(close=False)
    results, scored = job.score(ids)
    ids_of = {ref: cid for cid, ref in job.refs.items()}
    return [
        (ids_of[ref], {job.index.by_id[m.entity_id] for m in matches}) for ref, matches in results
    ], scored


# -- finishing: notices, state, audit ---------------------------------------------------------


def _finish(
    wf: Workflow, run: MonitorRun, changes: _Changes, *, deliver_later: bool = False
) -> None:
    """Record the run's notices, the monitoring state and the run itself in one transaction.
    ``deliver_later``: a webhook is to get the events; until it did, the run counts as not
    delivered (so that a kill before the POST leaves it to the next run)."""
    now = utcnow()
    removed = changes.removed
    with wf.store.engine.begin() as conn:
        # Still this run's to finish? (A run taken for dead and closed by another must not
        # record what that one records again.)
        mine = conn.execute(
            update(monitor_runs)
            .where(monitor_runs.c.id == run.id)
            .where(monitor_runs.c.status == "running")
            .values(finished_at=now)
        )
        if not mine.rowcount:
            raise MonitorBusyError(
                f"monitoring run {run.id} was closed by another run while it ran; its alerts "
                "are stored and that run reports them"
            )
        notice_rows: list[dict[str, Any]] = []
        if removed:
            ids = sorted(removed)
            seen: set[tuple[int, str]] = set()
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                rows = conn.execute(
                    select(alerts, customers.c.ref)
                    .join(customers, customers.c.id == alerts.c.customer_id)
                    .where(alerts.c.entity_id.in_(chunk))
                    .where(
                        (alerts.c.decision == "true_match") | alerts.c.status.in_(ACTIVE_STATUSES)
                    )
                    .order_by(alerts.c.id.desc())
                ).all()
                for a in rows:
                    caption, source, from_id, to_id = removed[a.entity_id]
                    where = _where_removed(wf.store, source, from_id, to_id)
                    if a.decision == "true_match":
                        pair = (a.customer_id, a.entity_id)
                        if pair in seen:
                            continue  # the latest confirmation of the pair says it
                        seen.add(pair)
                        kind = "delisted_confirmed_match"
                        who = a.decided_by + (
                            f", confirmed by {a.confirmed_by}" if a.confirmed_by else ""
                        )
                        message = (
                            f"{caption} ({a.entity_id}) was removed from {where}; customer "
                            f"{a.ref} was confirmed a true match for it on alert {a.id} ({who}). "
                            "Review whether the restrictions on this customer still apply "
                            "(the party may still be listed elsewhere)."
                        )
                    else:
                        kind = "alert_on_delisted_entity"
                        message = (
                            f"alert {a.id} on customer {a.ref} is {a.status}, but its listed "
                            f"entity {caption} ({a.entity_id}) was removed from {where}."
                        )
                    notice_rows.append(
                        {
                            "run_id": run.id,
                            "kind": kind,
                            "customer_id": a.customer_id,
                            "customer_ref": a.ref,
                            "entity_id": a.entity_id,
                            "entity_caption": caption,
                            "source": source,
                            "alert_id": a.id,
                            "from_version_id": from_id,
                            "to_version_id": to_id,
                            "message": message,
                            "created_at": now,
                        }
                    )
        notice_rows.sort(key=lambda r: (r["customer_ref"], r["entity_id"], r["alert_id"]))
        for row in notice_rows:
            key = conn.execute(monitor_notices.insert().values(**row)).inserted_primary_key
            assert key is not None
            run.notices.append(
                Notice(
                    id=int(key[0]),
                    run_id=run.id,
                    kind=row["kind"],
                    customer_ref=row["customer_ref"],
                    entity_id=row["entity_id"],
                    entity_caption=row["entity_caption"],
                    source=row["source"],
                    alert_id=row["alert_id"],
                    from_version_id=row["from_version_id"],
                    to_version_id=row["to_version_id"],
                    message=row["message"],
                    created_at=now,
                )
            )
            auditlog.append(
                conn,
                actor=run.actor,
                action="monitor.notice",
                subject_type="notice",
                subject_id=str(key[0]),
                details={
                    "customer": row["customer_ref"],
                    "kind": row["kind"],
                    "entity_id": row["entity_id"],
                    "alert_id": row["alert_id"],
                    "source": row["source"],
                    "to_version_id": row["to_version_id"],
                    "monitor_run": run.id,
                },
            )
        for c in changes.lists:
            values = {
                "version_id": c.to_version.id,
                "content_hash": c.to_version.content_hash,
                "publisher_date": c.to_version.publisher_date,
                "run_id": run.id,
                "monitored_at": now,
            }
            done = conn.execute(
                update(monitor_state).where(monitor_state.c.source == c.source).values(**values)
            )
            if not done.rowcount:
                conn.execute(monitor_state.insert().values(source=c.source, **values))
        run.status = "ok"
        run.finished_at = now
        conn.execute(
            update(monitor_runs)
            .where(monitor_runs.c.id == run.id)
            .values(
                status="ok",
                finished_at=now,
                summary=run.summary(),
                alerts=[a.id for a in run.alerts],
                notices=[n.id for n in run.notices],
                delivered=False if deliver_later else None,
            )
        )
        conn.execute(
            update(monitor_run_owners)
            .where(monitor_run_owners.c.run_id == run.id)
            .values(heartbeat_at=now)
        )
        auditlog.append(
            conn,
            actor=run.actor,
            action="monitor.run",
            subject_type="monitor_run",
            subject_id=str(run.id),
            details={
                "lists": [c.to_dict() for c in run.lists],
                "update": run.update,
                "customers_keyed": run.customers_keyed,
                "customers_screened_in_full": run.customers_screened_in_full,
                "changed_entities": run.changed_entities,
                "candidates": run.candidates,
                "screened": run.screened,
                "alerts": [a.id for a in run.alerts],
                "notices": [n.id for n in run.notices],
                "errors": run.errors,
            },
        )


def _where_removed(store: Store, source: str, from_id: int | None, to_id: int) -> str:
    try:
        to = store.get_version(to_id)
    except StoreError:
        return source
    date = f", published {to.publisher_date}" if to.publisher_date else ""
    return f"{source} (list version {from_id} → {to_id}{date})"


# -- delivery ---------------------------------------------------------------------------------


def deliver(wf: Workflow, run: MonitorRun, webhook: Webhook) -> Delivery | None:
    """POST this run's events, and those of earlier runs whose delivery failed, in one JSON
    document. Nothing to send (and nothing pending): no request."""
    store = wf.store
    with store.engine.connect() as conn:
        earlier = conn.execute(
            select(monitor_runs.c.id, monitor_runs.c.alerts, monitor_runs.c.notices)
            .where(monitor_runs.c.delivered.is_(False))
            .where(monitor_runs.c.id != run.id)
            .order_by(monitor_runs.c.id)
        ).all()
    alert_events = [alert_event(a, run.id) for a in run.alerts]
    notice_events = [n.to_dict() for n in run.notices]
    runs = [run.id]
    for r in earlier:
        runs.append(int(r.id))
        for alert_id in r.alerts or []:
            try:
                alert_events.append(alert_event(wf.get_alert(int(alert_id)), int(r.id)))
            except EmbargoError:
                continue
        notice_events += [n.to_dict() for n in load_notices(store, ids=r.notices or [])]
    if not alert_events and not notice_events:
        return None
    payload = {
        "event": "embargo.monitor",
        "run": run.summary(),
        "alerts": alert_events,
        "notices": notice_events,
        "redelivered_runs": runs[1:],
    }
    ok, attempts, status, error = webhook.post(payload)
    delivery = Delivery(
        ok,
        redact_url(webhook.url),
        attempts,
        status,
        error,
        len(alert_events),
        len(notice_events),
        tuple(runs),
    )
    with store.engine.begin() as conn:
        if ok and len(runs) > 1:
            conn.execute(
                update(monitor_runs).where(monitor_runs.c.id.in_(runs[1:])).values(delivered=True)
            )
        auditlog.append(
            conn,
            actor=run.actor,
            action="monitor.webhook_delivered" if ok else "monitor.webhook_failed",
            subject_type="monitor_run",
            subject_id=str(run.id),
            details=delivery.to_dict(),
        )
    if not ok:
        run.errors.append(
            f"webhook {delivery.url}: delivery failed after {attempts} attempt(s): {error}; "
            "the alerts are stored and the next run will send them again"
        )
    return delivery


def _store_delivery(store: Store, run: MonitorRun) -> None:
    if run.delivery is None:
        delivered: bool | None = None
        delivery = None
    else:
        delivered = run.delivery.ok
        delivery = run.delivery.to_dict()
    with store.engine.begin() as conn:
        conn.execute(
            update(monitor_runs)
            .where(monitor_runs.c.id == run.id)
            .values(delivered=delivered, delivery=delivery, summary=run.summary())
        )


# -- reading ----------------------------------------------------------------------------------


def _notice(r: Any) -> Notice:
    created = _utc(r.created_at)
    assert created is not None
    return Notice(
        id=r.id,
        run_id=r.run_id,
        kind=r.kind,
        customer_ref=r.customer_ref,
        entity_id=r.entity_id,
        entity_caption=r.entity_caption,
        source=r.source,
        alert_id=r.alert_id,
        from_version_id=r.from_version_id,
        to_version_id=r.to_version_id,
        message=r.message,
        created_at=created,
    )


def load_notices(
    store: Store, *, ref: str | None = None, ids: Iterable[int] | None = None
) -> list[Notice]:
    """Notices, oldest first (of one customer, or these ids)."""
    query = select(monitor_notices).order_by(monitor_notices.c.id)
    if ref is not None:
        query = query.where(monitor_notices.c.customer_ref == ref)
    if ids is not None:
        wanted = [int(i) for i in ids]
        if not wanted:
            return []
        query = query.where(monitor_notices.c.id.in_(wanted))
    with store.engine.connect() as conn:
        return [_notice(r) for r in conn.execute(query)]


def monitor_runs_since(store: Store, since: datetime | None = None) -> list[dict[str, Any]]:
    """Finished monitoring runs (since a time), oldest first, as stored."""
    query = select(monitor_runs).where(monitor_runs.c.status == "ok").order_by(monitor_runs.c.id)
    if since is not None:
        query = query.where(monitor_runs.c.started_at >= since)
    with store.engine.connect() as conn:
        out = []
        for r in conn.execute(query):
            started, finished = _utc(r.started_at), _utc(r.finished_at)
            out.append(
                {
                    "id": r.id,
                    "started_at": started.isoformat() if started else None,
                    "finished_at": finished.isoformat() if finished else None,
                    "actor": r.actor,
                    "summary": dict(r.summary or {}),
                    "alerts": list(r.alerts or []),
                    "notices": list(r.notices or []),
                    "delivered": r.delivered,
                }
            )
        return out


__all__ = [
    "Delivery",
    "MonitorBusyError",
    "MonitorRun",
    "Notice",
    "ReverseResult",
    "SourceChange",
    "Webhook",
    "alert_event",
    "candidate_customers",
    "catch_up_keys",
    "deliver",
    "key_caps",
    "load_notices",
    "monitor_runs_since",
    "redact_url",
    "reverse_screen",
    "run_monitor",
    "unclaimed_alerts",
    "unemitted_events",
]
