"""The compliance workflow's tables, on the store's one shared ``metadata``.

customers ─< customer_versions          every change of a customer's data is a new version
customers ─< screenings                 every screening, a no-hit too, with the list versions
customers ─< alerts ─< decisions        an alert per match; reviewers' decisions, by stage
alerts ─< alert_assignments             who an alert was given to, and by whom
customers ─< whitelist                  false positives that suppress later alerts on the pair
workflow_settings                       the review settings last in force (changes are audited)

Importing this module is enough for ``Store.open`` (``metadata.create_all``) to create them.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from embargo.store.tables import metadata

# Alert statuses. An alert is *active* until a final true_match / false_positive closes it.
OPEN = "open"
PENDING = "pending_second_review"
ESCALATED = "escalated"
CLOSED = "closed"
ACTIVE_STATUSES = (OPEN, PENDING, ESCALATED)
_ACTIVE_SQL = "status IN ('open', 'pending_second_review', 'escalated')"

customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ref", String(255), nullable=False, unique=True),  # the customer's own reference
    Column("schema", String(20), nullable=False),
    Column("caption", Text, nullable=False),
    Column("version", Integer, nullable=False),  # the current customer version
    Column("content_hash", String(64), nullable=False),  # of the current version's data
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The customer version last screened against the whole of the active lists, and when:
    # a customer whose version is newer than this still needs a full screening.
    Column("screened_version", Integer),
    Column("screened_at", DateTime(timezone=True)),
)

customer_versions = Table(
    "customer_versions",
    metadata,
    Column("customer_id", Integer, ForeignKey("customers.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("data", JSON, nullable=False),  # a FollowTheMoney-style query dict
    Column("content_hash", String(64), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("origin", Text, nullable=False),  # "import customers.csv row 12", "api", ...
    Column("changes", JSON, nullable=False),  # field -> {"removed": [...], "added": [...]}
)

screenings = Table(
    "screenings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("customer_version", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("trigger", String(30), nullable=False),  # import | manual | api | monitor
    Column("query", JSON, nullable=False),  # what was screened
    # What it was screened against: {"kind": "full"} or e.g. {"kind": "entities", ...}.
    Column("scope", JSON, nullable=False),
    Column("list_versions", JSON, nullable=False),  # [{source, version_id, content_hash, ...}]
    Column("index_signature", String(64), nullable=False),
    Column("algorithm", String(50), nullable=False),
    Column("threshold", Float, nullable=False),
    Column("software_version", String(30), nullable=False),
    Column("hits", Integer, nullable=False),  # matches at or above the threshold
    Column("alerts", Integer, nullable=False),  # alerts raised by this screening
    Column("result", JSON, nullable=False),  # per match: entity, score, outcome, alert id
    Index("ix_screenings_customer", "customer_id", "id"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("customer_version", Integer, nullable=False),
    Column("customer_hash", String(64), nullable=False),
    Column("screening_id", Integer, ForeignKey("screenings.id"), nullable=False),
    Column("entity_id", String(255), nullable=False),
    Column("entity_caption", Text, nullable=False),
    Column("entity_schema", String(20), nullable=False),
    Column("source", String(100), nullable=False),
    Column("list_version_id", Integer, ForeignKey("list_versions.id")),
    Column("entity_hash", String(64), nullable=False),
    # The listing measures, wrapped in commas (",blocking,sectoral,") so that one LIKE finds
    # a measure on either database.
    Column("measures", String(200), nullable=False),
    Column("score", Float, nullable=False),
    Column("threshold", Float, nullable=False),
    Column("algorithm", String(50), nullable=False),
    Column("software_version", String(30), nullable=False),
    Column("explanation", JSON, nullable=False),
    # The evidence, frozen: the customer's data and the listed entity exactly as screened.
    Column("customer_snapshot", JSON, nullable=False),
    Column("entity_snapshot", JSON, nullable=False),
    Column("reason", Text, nullable=False),  # why this alert was raised (what changed)
    Column("changes", JSON, nullable=False),  # structured "what changed" for a re-alert
    Column("previous_alert_id", Integer),  # the false-positive alert a re-alert follows
    Column("status", String(30), nullable=False),
    Column("decision", String(30)),  # the final decision, once closed
    Column("decided_by", String(200)),
    Column("confirmed_by", String(200)),  # the second reviewer, under four-eyes
    Column("decided_at", DateTime(timezone=True)),
    Column("pending_decision", String(30)),  # awaiting a second reviewer
    Column("pending_by", String(200)),
    Column("pending_from", String(30)),  # the status a rejection returns the alert to
    Column("assignee", String(200)),
    Column("assigned_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_alerts_status", "status", "created_at"),
    Index("ix_alerts_customer", "customer_id", "entity_id"),
    Index("ix_alerts_entity", "entity_id"),
    # At most one active alert per (customer, listed entity), enforced by the database too.
    Index(
        "uq_alerts_active_pair",
        "customer_id",
        "entity_id",
        unique=True,
        sqlite_where=text(_ACTIVE_SQL),
        postgresql_where=text(_ACTIVE_SQL),
    ),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", Integer, ForeignKey("alerts.id"), nullable=False),
    Column("decision", String(30), nullable=False),  # true_match | false_positive | escalate
    Column("reason", Text, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    # single: final on its own; first: awaits a second reviewer; confirm / reject: the second
    # reviewer's verdict on the first decision.
    Column("stage", String(20), nullable=False),
    Index("ix_decisions_alert", "alert_id", "id"),
)

whitelist = Table(
    "whitelist",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("entity_id", String(255), nullable=False),
    Column("customer_version", Integer, nullable=False),
    Column("customer_hash", String(64), nullable=False),  # the data the decision was made on
    Column("entity_hash", String(64), nullable=False),
    Column("entity_key", JSON, nullable=False),  # names, birth dates, ids decided on
    Column("list_version_id", Integer),
    Column("alert_id", Integer, ForeignKey("alerts.id"), nullable=False),
    Column("decision_id", Integer, ForeignKey("decisions.id"), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("ended_by", String(200)),
    Column("ended_reason", Text),
    Index(
        "uq_whitelist_active_pair",
        "customer_id",
        "entity_id",
        unique=True,
        sqlite_where=text("active"),
        postgresql_where=text("active"),
    ),
)

alert_assignments = Table(
    "alert_assignments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", Integer, ForeignKey("alerts.id"), nullable=False),
    Column("assignee", String(200)),  # None: unassigned
    Column("actor", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_alert_assignments_alert", "alert_id", "id"),
)

workflow_settings = Table(
    "workflow_settings",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(200), nullable=False),
)

WORKFLOW_TABLES = (
    customers,
    customer_versions,
    screenings,
    alerts,
    decisions,
    whitelist,
    alert_assignments,
    workflow_settings,
)

__all__ = [
    "ACTIVE_STATUSES",
    "CLOSED",
    "ESCALATED",
    "OPEN",
    "PENDING",
    "WORKFLOW_TABLES",
    "alert_assignments",
    "alerts",
    "customer_versions",
    "customers",
    "decisions",
    "screenings",
    "whitelist",
    "workflow_settings",
]
