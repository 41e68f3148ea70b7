"""Monitoring's own tables, and the customer key table that lets it screen in reverse.

customer_keys         (key, customer id): the candidate keys of each customer's names
customer_key_state    which customer version (and key format) the keys were made from
monitor_state         per source, the list version the last monitoring run got to
monitor_runs          every run: what it compared, what it found, whether the webhook got it
monitor_run_owners    which process runs (ran) each run, its heartbeat, and what it hands over
monitor_notices       delistings of confirmed matches, alerts left open on delisted entities

The customer key table is the reverse of the list index: the same candidate keys
(``embargo.match.index.name_keys`` of the customer's analysed names, exactly the keys a
screening of that customer looks up), each stored as a 64-bit hash next to the customer id,
with the key first in the primary key so that "which customers have key K" is one index range.
A monitoring run looks up the keys of the few hundred listed entities that changed and scores
only the customers they lead to, instead of screening the whole book.

The keys are kept current as customers are written: ``Workflow`` calls ``sync_customer_keys``
in the transaction that creates or updates a customer. ``stale_customers`` finds any customer
whose keys are missing or older than its current version (written by an older release, or
made with another key format) so that a monitoring run can catch up first.

Importing this module only touches ``embargo.store.tables``: the store may import it while
it is still loading itself. The matching code is imported when keys are made.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    or_,
    select,
)
from sqlalchemy.engine import Connection

from embargo.store.tables import metadata

# Bumped whenever the way keys are made changes (together with the list index's own format):
# customers keyed in another format are keyed again before they are used.
KEY_FORMAT_VERSION = 2

customer_keys = Table(
    "customer_keys",
    metadata,
    Column("key", BigInteger, primary_key=True, autoincrement=False),
    Column("customer_id", Integer, primary_key=True, autoincrement=False),
    Index("ix_customer_keys_customer", "customer_id"),
    # SQLite: the table *is* the (key, customer) index, no separate rowid b-tree.
    sqlite_with_rowid=False,
)

customer_key_state = Table(
    "customer_key_state",
    metadata,
    Column("customer_id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),  # the customer version the keys come from
    Column("keys", Integer, nullable=False),  # how many keys (0: no name to match on)
    # The most name parts (words that are not titles, particles or legal forms) of any of
    # the customer's names: a one-word name can match on one word.
    Column("parts", Integer, nullable=False),
    Column("format", String(40), nullable=False),
    Index("ix_customer_key_state_parts", "parts"),
)

monitor_state = Table(
    "monitor_state",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("version_id", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("publisher_date", String(10)),
    Column("run_id", Integer),
    Column("monitored_at", DateTime(timezone=True), nullable=False),
)

monitor_runs = Table(
    "monitor_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("actor", String(200), nullable=False),
    Column("status", String(20), nullable=False),  # running | ok | failed
    Column("summary", JSON, nullable=False),  # what was compared and found, with timings
    Column("alerts", JSON, nullable=False),  # ids of the alerts the run raised
    Column("notices", JSON, nullable=False),  # ids of the notices it emitted
    # None: no webhook configured; False: delivery failed (sent again by the next run).
    Column("delivered", Boolean),
    Column("delivery", JSON),
    Index("ix_monitor_runs_delivered", "delivered"),
)

# One row per run since this table exists (older runs have none). The owner tells a live run
# from a dead one: on the same host its process (pid, and the process's start time so that a
# reused pid does not pass for it) is alive; from another host its heartbeat is recent.
# ``alert_floor``: monitoring alerts with a higher id are this run's, or those of the runs it
# took over (killed, failed) that never handed theirs over. ``emitted``: its events (new
# alerts and notices) were handed over as JSON lines; until then the next run emits them.
monitor_run_owners = Table(
    "monitor_run_owners",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("process_start", String(40)),  # Linux: /proc/PID/stat start time; else None
    Column("token", String(32), nullable=False),  # random, per run
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
    Column("alert_floor", Integer, nullable=False),
    Column("emitted", Boolean, nullable=False),
    Index("ix_monitor_run_owners_emitted", "emitted"),
)

monitor_notices = Table(
    "monitor_notices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, nullable=False),
    # delisted_confirmed_match | alert_on_delisted_entity
    Column("kind", String(40), nullable=False),
    Column("customer_id", Integer, nullable=False),
    Column("customer_ref", String(255), nullable=False),
    Column("entity_id", String(255), nullable=False),
    Column("entity_caption", Text, nullable=False),
    Column("source", String(100), nullable=False),
    Column("alert_id", Integer),
    Column("from_version_id", Integer),
    Column("to_version_id", Integer),
    Column("message", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_monitor_notices_customer", "customer_id", "id"),
)

MONITOR_TABLES = (
    customer_keys,
    customer_key_state,
    monitor_state,
    monitor_runs,
    monitor_run_owners,
    monitor_notices,
)

_CHUNK = 900  # ids per IN (...) list: under SQLite's variable limit everywhere


def key_format() -> str:
    """The format tag stored with each customer's keys: this module's and the list index's."""
    from embargo.match.index import INDEX_FORMAT

    return f"{KEY_FORMAT_VERSION}.{INDEX_FORMAT}"


def key_hash(key: str) -> int:
    """A key as a signed 64-bit integer. A collision only adds a spurious candidate, which
    the matcher then scores like any other: it can cost a comparison, never a match."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


# Besides name keys, "evidence" keys: a full birth date and each identifier. They do not find
# candidates on their own (screening retrieves by name), but a customer sharing one word of a
# listed name *and* its exact birth date or an identifier can still reach the threshold.
BIRTH_KEY = "#d"
ID_KEY = "#i"


def evidence_keys(birth_dates: Iterable[Any], identifiers: Iterable[str]) -> set[str]:
    """Evidence keys of full birth dates (``BirthDate`` values) and identifier strings."""
    from embargo.match.features import normalize_id

    keys = {f"{BIRTH_KEY}{b.iso}" for b in birth_dates if b.day is not None and b.iso}
    for value in identifiers:
        ident = normalize_id(value)
        if len(ident) >= 4:  # as the matcher: shorter ones prove nothing
            keys.add(f"{ID_KEY}{ident}")
    return keys


def customer_key_strings(data: Mapping[str, Any]) -> tuple[set[str], int]:
    """The candidate keys a screening of this customer looks up in the list index (plus its
    evidence keys), and the most name parts of any of its names.

    The same analysis as ``Screener.screen``: every name (and its slash alternatives)
    analysed as a query, then ``name_keys`` of each form. Empty when the data has no name
    that can be matched on (such a customer cannot match anything either).
    """
    from embargo.errors import QueryError
    from embargo.match.index import name_keys
    from embargo.match.names import LEGAL, STOP, TITLE
    from embargo.match.query import parse_query
    from embargo.screening import query_forms

    try:
        query = parse_query(data)
        forms = query_forms(query)
    except QueryError:
        return set(), 0
    keys: set[str] = set()
    parts = 0
    for form in forms:
        keys |= name_keys(form, query=True)
        parts = max(parts, sum(1 for p in form.parts if p.tag not in (STOP, TITLE, LEGAL)))
    keys |= evidence_keys(query.birth_dates, query.identifiers)
    return keys, parts


def customer_key_hashes(data: Mapping[str, Any]) -> tuple[set[int], int]:
    keys, parts = customer_key_strings(data)
    return {key_hash(k) for k in keys}, parts


def sync_customer_keys(
    conn: Connection,
    rows: Sequence[tuple[int, int, Mapping[str, Any]]],
    *,
    new: bool = False,
) -> int:
    """Replace the keys of these customers, ``(customer id, version, data)``, inside the
    caller's transaction. ``new``: the customers were just created (nothing to delete).
    Returns the number of key rows written."""
    if not rows:
        return 0
    fmt = key_format()
    ids = sorted({cid for cid, _v, _d in rows})
    if not new:
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            conn.execute(customer_keys.delete().where(customer_keys.c.customer_id.in_(chunk)))
            conn.execute(
                customer_key_state.delete().where(customer_key_state.c.customer_id.in_(chunk))
            )
    key_rows: list[dict[str, int]] = []
    state_rows: list[dict[str, Any]] = []
    for cid, version, data in rows:
        hashes, parts = customer_key_hashes(data)
        key_rows.extend({"key": h, "customer_id": cid} for h in hashes)
        state_rows.append(
            {
                "customer_id": cid,
                "version": version,
                "keys": len(hashes),
                "parts": parts,
                "format": fmt,
            }
        )
    # In key order: consecutive inserts land on the same b-tree pages.
    key_rows.sort(key=lambda r: (r["key"], r["customer_id"]))
    for start in range(0, len(key_rows), 20_000):
        conn.execute(customer_keys.insert(), key_rows[start : start + 20_000])
    conn.execute(customer_key_state.insert(), state_rows)
    return len(key_rows)


def stale_customers(conn: Connection) -> list[tuple[int, int]]:
    """(customer id, current version) of customers whose keys are missing, were made from an
    older version of the customer, or in another key format."""
    from embargo.workflow.tables import customers

    state = customer_key_state
    query = (
        select(customers.c.id, customers.c.version)
        .select_from(customers.outerjoin(state, state.c.customer_id == customers.c.id))
        .where(
            or_(
                state.c.customer_id.is_(None),
                state.c.version != customers.c.version,
                state.c.format != key_format(),
            )
        )
        .order_by(customers.c.id)
    )
    return [(int(r.id), int(r.version)) for r in conn.execute(query)]


def customer_data(
    conn: Connection, ids: Iterable[int]
) -> list[tuple[int, str, int, dict[str, Any]]]:
    """(id, ref, version, current data) of these customers, in id order."""
    from embargo.workflow.tables import customer_versions, customers

    wanted = sorted(set(ids))
    out: list[tuple[int, str, int, dict[str, Any]]] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows = conn.execute(
            select(customers.c.id, customers.c.ref, customers.c.version, customer_versions.c.data)
            .join(
                customer_versions,
                and_(
                    customer_versions.c.customer_id == customers.c.id,
                    customer_versions.c.version == customers.c.version,
                ),
            )
            .where(customers.c.id.in_(chunk))
            .order_by(customers.c.id)
        )
        out.extend((int(r.id), str(r.ref), int(r.version), dict(r.data)) for r in rows)
    return out


__all__ = [
    "BIRTH_KEY",
    "ID_KEY",
    "KEY_FORMAT_VERSION",
    "MONITOR_TABLES",
    "customer_data",
    "customer_key_hashes",
    "customer_key_state",
    "customer_key_strings",
    "customer_keys",
    "evidence_keys",
    "key_format",
    "key_hash",
    "monitor_notices",
    "monitor_run_owners",
    "monitor_runs",
    "monitor_state",
    "stale_customers",
    "sync_customer_keys",
]
