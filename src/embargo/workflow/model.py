"""What the workflow returns: customers, screenings, alerts, decisions, whitelist entries.

Plain frozen dataclasses with ``to_dict()`` (JSON-ready: datetimes as ISO strings), so the
CLI, the HTTP API, monitoring and the evidence report all read the same shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


@dataclass(frozen=True)
class CustomerVersion:
    version: int
    data: dict[str, Any]  # the query dict screened for this version
    content_hash: str
    actor: str
    at: datetime
    origin: str  # where the change came from: "import book.csv row 12", "api", ...
    changes: dict[str, dict[str, list[str]]]  # property -> {"removed", "added"} vs the previous

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "data": self.data,
            "content_hash": self.content_hash,
            "actor": self.actor,
            "at": _iso(self.at),
            "origin": self.origin,
            "changes": self.changes,
        }


@dataclass(frozen=True)
class Customer:
    id: int  # Embargo's stable id
    ref: str  # the customer's own reference
    schema: str
    caption: str
    version: int  # the current version
    content_hash: str
    data: dict[str, Any]  # the current version's data
    created_at: datetime
    updated_at: datetime
    screened_version: int | None  # the version last screened against the whole lists
    screened_at: datetime | None
    history: tuple[CustomerVersion, ...] = ()  # oldest first (filled by ``get_customer``)

    @property
    def needs_screening(self) -> bool:
        return self.screened_version is None or self.screened_version < self.version

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "ref": self.ref,
            "schema": self.schema,
            "caption": self.caption,
            "version": self.version,
            "content_hash": self.content_hash,
            "data": self.data,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "screened_version": self.screened_version,
            "screened_at": _iso(self.screened_at),
        }
        if self.history:
            out["history"] = [v.to_dict() for v in self.history]
        return out


@dataclass(frozen=True)
class CustomerChange:
    """The outcome of creating or updating one customer."""

    ref: str
    customer_id: int
    version: int
    status: str  # created | updated | unchanged
    changes: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    row: int | None = None  # the input row, for imports

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "customer_id": self.customer_id,
            "version": self.version,
            "status": self.status,
            "changes": self.changes,
            "row": self.row,
        }


@dataclass(frozen=True)
class RowError:
    row: int | None
    ref: str | None
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "ref": self.ref, "error": self.error}


@dataclass(frozen=True)
class MatchOutcome:
    """What a screening did with one match at or above the threshold."""

    entity_id: str
    caption: str
    source: str
    score: float
    # alert: a new alert was raised; whitelisted: a false-positive decision still holds;
    # active_alert: the pair already has an alert under review; confirmed_match: the pair
    # was already confirmed a true match; same_entity: another match of this screening has
    # the same entity id (the same party in two datasets) and speaks for it.
    outcome: str
    alert_id: int | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity_id,
            "caption": self.caption,
            "source": self.source,
            "score": round(self.score, 4),
            "outcome": self.outcome,
            "alert_id": self.alert_id,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Screening:
    id: int
    customer_ref: str
    customer_version: int
    at: datetime
    actor: str
    trigger: str  # import | manual | api | monitor | ...
    query: dict[str, Any]
    scope: dict[str, Any]
    list_versions: list[dict[str, Any]]  # source, version_id, content_hash, publisher_date
    index_signature: str
    algorithm: str
    threshold: float
    software_version: str
    hits: int
    outcomes: tuple[MatchOutcome, ...]

    @property
    def alert_ids(self) -> list[int]:
        return [o.alert_id for o in self.outcomes if o.outcome == "alert" and o.alert_id]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "customer_ref": self.customer_ref,
            "customer_version": self.customer_version,
            "at": _iso(self.at),
            "actor": self.actor,
            "trigger": self.trigger,
            "query": self.query,
            "scope": self.scope,
            "list_versions": self.list_versions,
            "index_signature": self.index_signature,
            "algorithm": self.algorithm,
            "threshold": self.threshold,
            "software_version": self.software_version,
            "hits": self.hits,
            "alerts": self.alert_ids,
            "results": [o.to_dict() for o in self.outcomes],
        }


@dataclass
class ScreeningRun:
    """The outcome of screening several customers."""

    screened: int = 0
    hits: int = 0
    alerts: list[int] = field(default_factory=list)
    screenings: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "screened": self.screened,
            "hits": self.hits,
            "alerts": self.alerts,
            "screenings": len(self.screenings),
            "errors": [e.to_dict() for e in self.errors],
        }


@dataclass
class ImportSummary:
    source: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    changed_refs: list[str] = field(default_factory=list)  # created or updated, in file order
    screening: ScreeningRun | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [e.to_dict() for e in self.errors],
            "screening": self.screening.to_dict() if self.screening else None,
        }


@dataclass(frozen=True)
class Decision:
    id: int
    alert_id: int
    decision: str  # true_match | false_positive | escalate
    reason: str
    actor: str
    at: datetime
    stage: str  # single | first | confirm | reject

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "alert_id": self.alert_id,
            "decision": self.decision,
            "reason": self.reason,
            "actor": self.actor,
            "at": _iso(self.at),
            "stage": self.stage,
        }


@dataclass(frozen=True)
class Assignment:
    id: int
    alert_id: int
    assignee: str | None
    actor: str
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "alert_id": self.alert_id,
            "assignee": self.assignee,
            "actor": self.actor,
            "at": _iso(self.at),
        }


@dataclass(frozen=True)
class Alert:
    id: int
    customer_id: int
    customer_ref: str
    customer_version: int
    customer_hash: str
    screening_id: int
    entity_id: str
    entity_caption: str
    entity_schema: str
    source: str
    list_version_id: int | None
    entity_hash: str
    measures: tuple[str, ...]
    score: float
    threshold: float
    algorithm: str
    software_version: str
    explanation: dict[str, Any]
    customer_snapshot: dict[str, Any]
    entity_snapshot: dict[str, Any]
    reason: str
    changes: list[dict[str, Any]]
    previous_alert_id: int | None
    status: str
    decision: str | None
    decided_by: str | None
    confirmed_by: str | None
    decided_at: datetime | None
    pending_decision: str | None
    pending_by: str | None
    assignee: str | None
    assigned_at: datetime | None
    created_at: datetime
    updated_at: datetime
    decisions: tuple[Decision, ...] = ()  # filled by ``get_alert``
    assignments: tuple[Assignment, ...] = ()

    @property
    def active(self) -> bool:
        return self.status != "closed"

    def to_dict(self, *, evidence: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "customer_ref": self.customer_ref,
            "customer_version": self.customer_version,
            "entity_id": self.entity_id,
            "entity_caption": self.entity_caption,
            "entity_schema": self.entity_schema,
            "source": self.source,
            "list_version_id": self.list_version_id,
            "entity_hash": self.entity_hash,
            "measures": list(self.measures),
            "score": round(self.score, 4),
            "threshold": self.threshold,
            "algorithm": self.algorithm,
            "software_version": self.software_version,
            "reason": self.reason,
            "changes": self.changes,
            "previous_alert_id": self.previous_alert_id,
            "status": self.status,
            "decision": self.decision,
            "decided_by": self.decided_by,
            "confirmed_by": self.confirmed_by,
            "decided_at": _iso(self.decided_at),
            "pending_decision": self.pending_decision,
            "pending_by": self.pending_by,
            "assignee": self.assignee,
            "assigned_at": _iso(self.assigned_at),
            "screening_id": self.screening_id,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }
        if evidence:
            out["customer_hash"] = self.customer_hash
            out["explanation"] = self.explanation
            out["customer_snapshot"] = self.customer_snapshot
            out["entity_snapshot"] = self.entity_snapshot
            out["decisions"] = [d.to_dict() for d in self.decisions]
            out["assignments"] = [a.to_dict() for a in self.assignments]
        return out


@dataclass(frozen=True)
class WhitelistEntry:
    id: int
    customer_id: int
    customer_ref: str
    entity_id: str
    customer_version: int
    customer_hash: str
    entity_hash: str
    entity_key: dict[str, list[str]]  # the names, birth dates and ids decided on
    list_version_id: int | None
    alert_id: int
    decision_id: int
    created_by: str
    created_at: datetime
    active: bool
    ended_at: datetime | None
    ended_by: str | None
    ended_reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "customer_ref": self.customer_ref,
            "entity_id": self.entity_id,
            "customer_version": self.customer_version,
            "customer_hash": self.customer_hash,
            "entity_hash": self.entity_hash,
            "entity_key": self.entity_key,
            "list_version_id": self.list_version_id,
            "alert_id": self.alert_id,
            "decision_id": self.decision_id,
            "created_by": self.created_by,
            "created_at": _iso(self.created_at),
            "active": self.active,
            "ended_at": _iso(self.ended_at),
            "ended_by": self.ended_by,
            "ended_reason": self.ended_reason,
        }


@dataclass(frozen=True)
class DecisionResult:
    alert: Alert
    decision: Decision
    final: bool  # False: the decision awaits a second reviewer
    whitelist: WhitelistEntry | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "alert": self.alert.to_dict(evidence=False),
            "decision": self.decision.to_dict(),
            "final": self.final,
            "whitelist": self.whitelist.to_dict() if self.whitelist else None,
        }


__all__ = [
    "Alert",
    "Assignment",
    "Customer",
    "CustomerChange",
    "CustomerVersion",
    "Decision",
    "DecisionResult",
    "ImportSummary",
    "MatchOutcome",
    "RowError",
    "Screening",
    "ScreeningRun",
    "WhitelistEntry",
]
