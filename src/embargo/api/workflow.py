"""HTTP API of the compliance workflow: customers, screenings, alerts, review, whitelist.

The app wires it in by including ``router`` and putting a ``Workflow`` on its state::

    from embargo.api import workflow as workflow_api
    app.state.workflow = Workflow(store, screener_or_factory, settings)
    app.include_router(workflow_api.router)

``get_workflow`` (the dependency every route uses) reads ``request.app.state.workflow``; a
callable there is called once per request instead (so an app can hand out the Workflow over its
current screener), and a missing one is a 503. The routes are plain functions: FastAPI runs them
in its thread pool, and the ``Workflow`` is safe to share between threads.

Who is acting (the audit log's actor, four-eyes' "different reviewer") is the authenticated
user (``request.state.user``, set by ``embargo.auth``'s enforcement); in an app without that
authentication, ``request.state.actor`` or else the ``X-Embargo-User`` header (as
``api:<user>``), which only identifies a reviewer as far as the network in front of the API
can be trusted. Writes without either are refused with 401.

Errors are ``{"detail": "..."}``: 400 bad input, 401 no actor, 404 no such customer or alert,
409 a review conflict (already decided, four-eyes refusal, closed alert), 413 too large.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from embargo.errors import ConfigError, EmbargoError, NotFoundError, QueryError, StoreError
from embargo.workflow.errors import WorkflowError
from embargo.workflow.service import Workflow

# Ids and offsets as the databases store them (64-bit): a larger number is a 422, not an
# overflow deep in the database driver.
MAX_ROW = 2**63 - 1
RowId = Annotated[int, PathParam(ge=1, le=MAX_ROW)]

router = APIRouter(tags=["Compliance workflow"])

USER_HEADER = "X-Embargo-User"
MAX_IMPORT_BYTES = 50 * 1024 * 1024
_SUFFIX = {"csv": ".csv", "xlsx": ".xlsx", "parquet": ".parquet", "jsonl": ".jsonl"}


def get_workflow(request: Request) -> Workflow:
    """The app's ``Workflow`` (``app.state.workflow``: an instance, or a function making one)."""
    found = getattr(request.app.state, "workflow", None)
    if found is not None and not isinstance(found, Workflow) and callable(found):
        found = found()
    if not isinstance(found, Workflow):
        raise HTTPException(503, "the compliance workflow is not configured on this server")
    return found


def get_actor(request: Request) -> str:
    """Who is acting: the authenticated user, else the ``X-Embargo-User`` header; else 401.

    With an authenticated user this is the user's name, whichever credential was used (a
    session or any of their API keys), so that four-eyes compares people, not keys. The
    header is only read by an app without Embargo's authentication (``app.state.auth``
    absent): once a server authenticates, a header naming someone proves nothing.
    """
    user = getattr(request.state, "user", None)
    name = getattr(user, "name", None)
    if isinstance(name, str) and name:
        return name
    named = getattr(request.state, "actor", None)
    if isinstance(named, str) and named.strip():
        return named.strip()
    header = (request.headers.get(USER_HEADER) or "").strip()
    if header and not hasattr(request.app.state, "auth"):
        return f"api:{header}"
    raise HTTPException(
        401, f"say who is acting: sign in, or send the {USER_HEADER} header with your user name"
    )


WorkflowDep = Annotated[Workflow, Depends(get_workflow)]
ActorDep = Annotated[str, Depends(get_actor)]


@contextmanager
def _errors() -> Iterator[None]:
    """Embargo's errors as HTTP statuses."""
    try:
        yield
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    except WorkflowError as exc:
        raise HTTPException(409, str(exc)) from None
    except StoreError as exc:
        raise HTTPException(503, str(exc)) from None
    except (QueryError, ConfigError, EmbargoError) as exc:
        raise HTTPException(400, str(exc)) from None


# -- bodies ----------------------------------------------------------------------------------


class CustomerBody(BaseModel):
    """A customer's data, as a FollowTheMoney-style query."""

    schema_: str = Field("LegalEntity", alias="schema")
    properties: dict[str, Any]

    def query(self) -> dict[str, Any]:
        return {"schema": self.schema_, "properties": self.properties}


class AssignBody(BaseModel):
    assignee: str | None = Field(None, description="The reviewer; null unassigns.")


class DecideBody(BaseModel):
    decision: Literal["true_match", "false_positive", "escalate"]
    reason: str = Field(..., min_length=1, max_length=4000)


class ConfirmBody(BaseModel):
    reason: str | None = Field(None, max_length=4000)


class ReasonBody(BaseModel):
    reason: str = Field(..., min_length=1, max_length=4000)


# -- customers -------------------------------------------------------------------------------


@router.post("/customers/import", summary="Import a customer book (the file is the body)")
async def import_customers(
    request: Request,
    wf: WorkflowDep,
    actor: ActorDep,
    ref_column: Annotated[str, Query(description="The customer's own reference column.")],
    name_column: str = "name",
    birth_date_column: str | None = None,
    country_column: str | None = None,
    id_column: str | None = None,
    schema_column: str | None = None,
    schema: str = "LegalEntity",
    format: Literal["csv", "xlsx", "parquet", "jsonl"] | None = None,
    filename: str | None = Query(
        None, description="The file's name (its extension tells the format)."
    ),
    screen: bool = True,
) -> dict[str, Any]:
    """The request body is the file (CSV, XLSX, Parquet or JSON lines), mapped with the same
    columns as `embargo batch`. Creates and updates customers (history kept), reports bad rows
    by row number, and screens the created and updated ones unless `screen=false`."""
    import asyncio

    from embargo.batch.io import BatchError, ColumnMapping

    body = await request.body()
    if len(body) > MAX_IMPORT_BYTES:
        raise HTTPException(413, f"the file is larger than {MAX_IMPORT_BYTES // 2**20} MB")
    if not body:
        raise HTTPException(400, "the request body is empty: send the customer file as the body")
    try:
        mapping = ColumnMapping(
            ref=ref_column,
            name=name_column,
            birth_date=birth_date_column,
            country=country_column,
            id=id_column,
            schema=schema_column,
            default_schema=schema,
        )
    except BatchError as exc:
        raise HTTPException(400, str(exc)) from None
    suffix = _SUFFIX.get(format or "", Path(filename).suffix if filename else "")
    name = Path(filename).name if filename else f"upload{suffix}"

    def run() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="embargo-import-") as folder:
            path = Path(folder) / (name if Path(name).suffix else f"{name}{suffix}")
            path.write_bytes(body)
            with _errors():
                summary = wf.import_customers(path, mapping, actor, format=format, screen=screen)
            out = summary.to_dict()
            out["source"] = name
            return out

    return await asyncio.to_thread(run)


@router.put("/customers/{ref}", summary="Create or update one customer")
def upsert_customer(
    ref: str, body: CustomerBody, wf: WorkflowDep, actor: ActorDep, screen: bool = True
) -> dict[str, Any]:
    """Unchanged data is a no-op; changed data is a new customer version. With `screen`
    (default) a created or changed customer is screened at once."""
    with _errors():
        change = wf.upsert_customer(ref, body.query(), actor, origin="api")
        screening = None
        if screen and change.status != "unchanged":
            screening = wf.screen_customer(ref, actor, trigger="api").to_dict()
    return {"change": change.to_dict(), "screening": screening}


@router.get("/customers", summary="Customers by reference")
def list_customers(
    wf: WorkflowDep,
    search: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ROW)] = 0,
) -> dict[str, Any]:
    with _errors():
        found = wf.list_customers(limit=limit, offset=offset, search=search)
    return {"results": [c.to_dict() for c in found], "limit": limit, "offset": offset}


@router.get("/customers/{ref}", summary="One customer: data, history, screenings, alerts")
def get_customer(ref: str, wf: WorkflowDep) -> dict[str, Any]:
    with _errors():
        customer = wf.get_customer(ref)
        return {
            **customer.to_dict(),
            "screenings": [s.to_dict() for s in wf.screenings(ref, limit=50)],
            "alerts": [a.to_dict(evidence=False) for a in wf.list_alerts(ref=ref, limit=None)],
            "whitelist": [e.to_dict() for e in wf.whitelist(ref, active=None)],
        }


@router.post("/customers/{ref}/screen", summary="Screen one customer now")
def screen_customer(ref: str, wf: WorkflowDep, actor: ActorDep) -> dict[str, Any]:
    with _errors():
        return wf.screen_customer(ref, actor, trigger="api").to_dict()


# -- alerts ----------------------------------------------------------------------------------


@router.get("/alerts", summary="Alerts, filtered")
def list_alerts(
    wf: WorkflowDep,
    status: Literal[
        "active", "open", "pending_second_review", "escalated", "closed", "all"
    ] = "active",
    source: str | None = None,
    measure: str | None = None,
    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
    assignee: str | None = Query(None, description="A reviewer, or 'none' for unassigned."),
    customer: str | None = Query(None, description="Only this customer's alerts (its ref)."),
    older_than_days: Annotated[float | None, Query(ge=0, le=36_500)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ROW)] = 0,
) -> dict[str, Any]:
    with _errors():
        found = wf.list_alerts(
            status=None if status == "all" else status,
            source=source,
            measure=measure,
            min_score=min_score,
            assignee=assignee,
            ref=customer,
            older_than=timedelta(days=older_than_days) if older_than_days is not None else None,
            limit=limit,
            offset=offset,
        )
    return {"results": [a.to_dict(evidence=False) for a in found], "limit": limit, "offset": offset}


@router.get("/alerts/{alert_id}", summary="One alert with its evidence and decisions")
def get_alert(alert_id: RowId, wf: WorkflowDep) -> dict[str, Any]:
    with _errors():
        return wf.get_alert(alert_id).to_dict()


@router.post("/alerts/{alert_id}/assign", summary="Assign an alert to a reviewer")
def assign_alert(
    alert_id: RowId, body: AssignBody, wf: WorkflowDep, actor: ActorDep
) -> dict[str, Any]:
    with _errors():
        return wf.assign(alert_id, body.assignee, actor).to_dict(evidence=False)


@router.post("/alerts/{alert_id}/decide", summary="Decide an alert")
def decide_alert(
    alert_id: RowId, body: DecideBody, wf: WorkflowDep, actor: ActorDep
) -> dict[str, Any]:
    """`true_match`, `false_positive` or `escalate`, with a reason. Under four-eyes the result
    has `final: false` and the alert waits in `pending_second_review` for `/confirm` by a
    different reviewer. 409 when the alert was already decided."""
    with _errors():
        return wf.decide(alert_id, body.decision, body.reason, actor).to_dict()


@router.post("/alerts/{alert_id}/confirm", summary="Four-eyes: confirm the pending decision")
def confirm_alert(
    alert_id: RowId, body: ConfirmBody, wf: WorkflowDep, actor: ActorDep
) -> dict[str, Any]:
    """409 when the confirming reviewer made the first decision, or it is already confirmed."""
    with _errors():
        return wf.confirm(alert_id, actor, body.reason).to_dict()


@router.post("/alerts/{alert_id}/reject", summary="Four-eyes: reject the pending decision")
def reject_alert(
    alert_id: RowId, body: ReasonBody, wf: WorkflowDep, actor: ActorDep
) -> dict[str, Any]:
    with _errors():
        return wf.reject(alert_id, actor, body.reason).to_dict()


# -- whitelist -------------------------------------------------------------------------------


@router.get("/whitelist", summary="Whitelisted (customer, listed entity) pairs")
def list_whitelist(
    wf: WorkflowDep,
    customer: str | None = None,
    entity_id: str | None = None,
    include_ended: bool = False,
) -> dict[str, Any]:
    with _errors():
        found = wf.whitelist(customer, entity_id=entity_id, active=None if include_ended else True)
    return {"results": [e.to_dict() for e in found]}


@router.post("/whitelist/{entry_id}/remove", summary="End a whitelist entry")
def remove_whitelist(
    entry_id: RowId, body: ReasonBody, wf: WorkflowDep, actor: ActorDep
) -> dict[str, Any]:
    with _errors():
        return wf.remove_whitelist(entry_id, actor, body.reason).to_dict()


__all__ = ["USER_HEADER", "get_actor", "get_workflow", "router"]
