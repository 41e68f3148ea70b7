"""The analyst pages under ``/ui``: server-rendered HTML over the same screener, workflow and
store calls the API's routes make.

Reading pages need the viewer role; deciding and assigning alerts the analyst role;
confirming or rejecting a decision under four-eyes the reviewer role (the workflow itself
refuses a reviewer confirming their own decision). Every form posts a CSRF token.
"""

from __future__ import annotations

import asyncio
import functools
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from embargo.api import deps
from embargo.api.routers.search import _find as find_entity
from embargo.api.scan import Filters, audit_query, parse_example, run_query
from embargo.api.state import age_days
from embargo.api.workflow import get_workflow
from embargo.auth import Role, User
from embargo.auth import deps as auth_deps
from embargo.errors import EmbargoError, NotFoundError, QueryError
from embargo.model import Entity, Measure, Schema
from embargo.sources.registry import SOURCES
from embargo.store import ListVersion, Store
from embargo.web import dashboard
from embargo.web.security import (
    LOGIN_CSRF_COOKIE,
    PASSWORD_PATH,
    Forbidden,
    LoginRequired,
    PasswordChangeRequired,
    actor_of,
    auth_enabled,
    check_form,
    csrf_token,
    current_user,
    here,
    login_url,
    may,
    new_login_token,
    require,
    safe_next,
)
from embargo.web.views import (
    DECISION_WORDS,
    STATUS_WORDS,
    entity_from_snapshot,
    explanation_view,
    measure_words,
    prop_label,
    query_from_form,
    when,
)
from embargo.workflow.errors import WorkflowError
from embargo.workflow.service import Workflow

router = APIRouter(include_in_schema=False)

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"

PAGE_SIZE = 25
AUDIT_PAGE_SIZE = 50
# Offered as suggestions in the audit page's action filter (any action may be typed).
AUDIT_ACTIONS = (
    "screen",
    "screening",
    "alert.create",
    "alert.assign",
    "alert.decide",
    "alert.confirm",
    "alert.reject",
    "whitelist.add",
    "whitelist.remove",
    "customer.create",
    "customer.update",
    "list.load",
    "auth.login",
    "auth.login_failed",
    "user.create",
    "user.password",
    "key.create",
    "key.revoke",
    "config.change",
)
MAX_FORM_BYTES = 64 * 1024
SCHEMAS = [s.value for s in Schema]
NAV = (
    ("/ui", "Dashboard", "d"),
    ("/ui/screen", "Screen", "s"),
    ("/ui/alerts", "Alerts", "a"),
    ("/ui/customers", "Customers", "c"),
    ("/ui/lists", "Lists", "l"),
    ("/ui/audit", "Audit", "u"),
)

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES_DIR)),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["when"] = when
_env.filters["measure_words"] = measure_words
_env.filters["prop_label"] = prop_label
_env.filters["decision_words"] = lambda d: DECISION_WORDS.get(str(d), str(d)) if d else ""
_env.filters["status_words"] = lambda s: STATUS_WORDS.get(str(s), str(s))
_env.filters["pct"] = lambda v: "" if v is None else f"{float(v) * 100:.0f}%"
_env.filters["score"] = lambda v: "" if v is None else f"{float(v):.2f}"
_env.filters["signed"] = lambda v: f"{float(v):+.1f}"
_env.filters["source_title"] = lambda s: SOURCES[s].title if s in SOURCES else s


@functools.cache
def _asset_version() -> str:
    """Changes with the static files, so that browsers fetch new ones after an upgrade."""
    latest = max((p.stat().st_mtime for p in STATIC_DIR.iterdir()), default=0.0)
    return str(int(latest))


# Pages show compliance data: keep them out of caches, frames and other sites' referrers, and
# let the browser load nothing that is not served here.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    try:
        user = current_user(request)
    except Exception:  # an error page must render even when the session cannot be read
        user = None
    page = _env.get_template(template).render(
        request=request,
        user=user,
        csrf=csrf_token(request) if user is not None else None,
        nav=NAV,
        path=request.url.path,
        auth_enabled=auth_enabled(request),
        asset_version=_asset_version(),
        may=lambda role: may(user, Role(role)),
        **context,
    )
    return HTMLResponse(page, status_code=status_code, headers=SECURITY_HEADERS)


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    return render(request, "error.html", status, title=title, message=message, status=status)


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (the only kind these forms send)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise HTTPException(413, "the form is too large")
    parsed = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {k: v[-1] for k, v in parsed.items()}


def _workflow(request: Request) -> Workflow | None:
    try:
        return get_workflow(request)
    except HTTPException:
        return None


def _store(request: Request) -> Store | None:
    return deps.get_state(request).store


def _page_links(request: Request, page: int, more: bool) -> dict[str, str | None]:
    params = dict(request.query_params)

    def at(n: int) -> str:
        params["page"] = str(n)
        return f"{request.url.path}?{urlencode(params)}"

    return {"prev": at(page - 1) if page > 1 else None, "next": at(page + 1) if more else None}


def _int(value: str | None, default: int, low: int = 1) -> int:
    try:
        return max(int(value or default), low)
    except ValueError:
        return default


def _float(value: str | None) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


# -- home, sign-in ---------------------------------------------------------------------------


@router.get("/")
def root() -> Response:
    return RedirectResponse("/ui", status_code=303)


@router.get("/ui")
def home(request: Request) -> Response:
    require(request)
    wf = _workflow(request)
    store = _store(request)
    alerts = wf.list_alerts(status=None, newer_than=timedelta(days=90), limit=None) if wf else []
    versions = store.versions() if store is not None else []
    active = store.active_versions() if store is not None else []
    stale_days = deps.get_state(request).settings.stale_days
    open_alerts = [a for a in alerts if a.status != "closed"]
    charts = dashboard.charts(alerts, versions, datetime.now(UTC).date())
    return render(
        request,
        "home.html",
        charts=[(c.key, Markup(c.svg), c.empty) for c in charts],
        counts={
            "open": sum(a.status == "open" for a in open_alerts),
            "pending": sum(a.status == "pending_second_review" for a in open_alerts),
            "escalated": sum(a.status == "escalated" for a in open_alerts),
            "lists": len(active),
            "stale": sum(age_days(v) > stale_days for v in active),
        },
    )


@router.get("/ui/login")
def login_page(request: Request, next: str | None = None) -> Response:
    target = safe_next(next)
    if not auth_enabled(request) or current_user(request) is not None:
        return RedirectResponse(target, status_code=303)
    return _login_form(request, target, None, 200)


def _login_form(request: Request, target: str, error: str | None, status: int) -> Response:
    token = new_login_token()
    response = render(request, "login.html", status, next=target, error=error, login_token=token)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/ui/login",
        secure=request.url.scheme == "https",
        max_age=3600,
    )
    return response


@router.post("/ui/login")
async def login(request: Request) -> Response:
    form = await read_form(request)
    target = safe_next(form.get("next"))
    auth = auth_deps.auth_service(request)
    if auth is None:
        return RedirectResponse(target, status_code=303)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not cookie or form.get("csrf_token") != cookie:
        raise Forbidden("The sign-in form expired. Reload the page and sign in again.")
    name, password = form.get("username", "").strip(), form.get("password", "")
    user = await asyncio.to_thread(auth.authenticate, name, password) if name and password else None
    if user is None:
        wait = await asyncio.to_thread(auth.retry_after, name) if name else 0.0
        message = (
            f"Too many failed attempts: try again in {math.ceil(wait)} seconds."
            if wait > 0
            else "Unknown user name or wrong password."
        )
        return _login_form(request, target, message, 401)
    session_id, _csrf = await asyncio.to_thread(auth.create_session, user)
    if user.must_change_password:
        target = "/ui/password?next=" + target
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        auth_deps.SESSION_COOKIE,
        session_id,
        httponly=True,
        samesite="strict",
        path="/",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/ui/login")
    return response


@router.post("/ui/logout")
async def logout(request: Request) -> Response:
    form = await read_form(request)
    require(request)
    check_form(request, form)
    auth = auth_deps.auth_service(request)
    session_id = request.cookies.get(auth_deps.SESSION_COOKIE)
    if auth is not None and session_id:
        await asyncio.to_thread(auth.end_session, session_id)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(auth_deps.SESSION_COOKIE, path="/")
    return response


@router.get("/ui/password")
def password_page(request: Request, next: str | None = None) -> Response:
    user = require(request)
    return render(request, "password.html", next=safe_next(next), error=None, forced=_forced(user))


def _forced(user: User) -> bool:
    return bool(getattr(user, "must_change_password", False))


@router.post("/ui/password")
async def change_password(request: Request) -> Response:
    form = await read_form(request)
    user = require(request)
    check_form(request, form)
    target = safe_next(form.get("next"))
    auth = auth_deps.auth_service(request)
    if auth is None:
        return error_page(request, 400, "No passwords", "This server runs without authentication.")
    current, new, again = (
        form.get("current_password", ""),
        form.get("new_password", ""),
        form.get("confirm_password", ""),
    )
    error = None
    if await asyncio.to_thread(auth.authenticate, user.name, current) is None:
        error = "Your current password is not right."
    elif new != again:
        error = "The two new passwords differ."
    elif new == current:
        error = "Choose a password different from the current one."
    if error is None:
        try:
            await asyncio.to_thread(auth.change_password, user.name, new, actor=user.name)
        except (EmbargoError, ValueError) as exc:
            error = str(exc)
    if error is not None:
        return render(request, "password.html", 400, next=target, error=error, forced=_forced(user))
    return RedirectResponse(target, status_code=303)


# -- screening -------------------------------------------------------------------------------


@dataclass
class ResultRow:
    entity_id: str
    caption: str
    schema: str
    score: float
    match: bool
    listings: list[Any]
    explanation: Any


@router.get("/ui/screen")
def screen_form(request: Request) -> Response:
    require(request)
    form = dict.fromkeys(("name", "birth_date", "country", "identifier", "threshold"), "")
    form["schema"] = "LegalEntity"
    return render(request, "screen.html", form=form, schemas=SCHEMAS, results=None, error=None)


@router.post("/ui/screen")
async def screen(request: Request) -> Response:
    """Screen the form's party. A POST, like the API's ``/match``: the names and birth dates
    screened stay out of URLs, and so out of access logs and browser history."""
    posted = await read_form(request)
    require(request)
    check_form(request, posted)
    name = posted.get("name", "")
    threshold = posted.get("threshold", "")
    birth_date, country, identifier = (
        posted.get("birth_date", ""),
        posted.get("country", ""),
        posted.get("identifier", ""),
    )
    schema = posted.get("schema", "LegalEntity")
    form = {
        "name": name,
        "schema": schema if schema in SCHEMAS else "LegalEntity",
        "birth_date": birth_date,
        "country": country,
        "identifier": identifier,
        "threshold": threshold,
    }
    context: dict[str, Any] = {"form": form, "schemas": SCHEMAS, "results": None, "error": None}
    if not name.strip():
        context["error"] = "Enter a name to screen."
        return render(request, "screen.html", 400, **context)
    limit = _float(threshold)
    if threshold.strip() and (limit is None or not 0.0 <= limit <= 1.0):
        context["error"] = "The threshold is a number between 0 and 1 (e.g. 0.7)."
        return render(request, "screen.html", 400, **context)
    state = deps.get_state(request)
    try:
        screener, _renderer = state.current()
    except EmbargoError as exc:
        return error_page(request, 503, "Screening is not available", str(exc))
    example = query_from_form(name, form["schema"], birth_date, country, identifier)
    try:
        query = parse_example("ui", example["schema"], example["properties"])
        results, total = await asyncio.to_thread(
            run_query, screener, query, limit=10, threshold=limit, filters=Filters(cutoff=0.3)
        )
        rows = await asyncio.to_thread(_result_rows, results)
    except QueryError as exc:
        context["error"] = str(exc)
        return render(request, "screen.html", 400, **context)
    used = screener.algorithm.threshold if limit is None else limit
    rid = deps.request_id()
    audit_id = await deps.audit(
        request,
        rid,
        {
            "endpoint": "/ui/screen",
            "algorithm": screener.algorithm.name,
            "threshold": used,
            "matched": any(r.match for r in rows),
            "queries": [audit_query("ui", query, results, total)],
        },
    )
    context.update(results=rows, total=total, threshold_used=used, audit_id=audit_id)
    return render(request, "screen.html", **context)


def _result_rows(results: list[Any]) -> list[ResultRow]:
    return [
        ResultRow(
            m.entity_id,
            m.caption,
            m.entity.schema.value,
            m.score,
            m.match,
            list(m.listings),
            explanation_view(m.explanation.to_dict()),
        )
        for m in results
    ]


# -- entities --------------------------------------------------------------------------------


@router.get("/ui/entities/{entity_id}")
def entity_page(request: Request, entity_id: str) -> Response:
    require(request)
    try:
        entity, active, _renderer = find_entity(request, entity_id)
    except HTTPException as exc:
        return error_page(request, exc.status_code, "No such entity", str(exc.detail))
    store = _store(request)
    versions = store.entity_versions(entity.id) if store is not None else []
    owners, owned = _ownership(store, entity)
    return render(
        request,
        "entity.html",
        entity=entity,
        active=active,
        versions=versions,
        owners=owners,
        owned=owned,
        birth_dates=[b.text for b in entity.birth_dates],
    )


def _ownership(store: Store | None, entity: Entity) -> tuple[list[Any], list[Any]]:
    if store is None:
        return [], []
    from embargo.ownership.store import OwnershipStore

    try:
        links = OwnershipStore(store).links()
    except EmbargoError:
        return [], []
    owners = [link for link in links if link.owned == entity.id]
    owned = [link for link in links if link.owner == entity.id]
    return owners, owned


# -- alerts ----------------------------------------------------------------------------------

ALERT_STATUSES = ("active", "open", "pending_second_review", "escalated", "closed", "all")


@router.get("/ui/alerts")
def alerts_page(
    request: Request,
    status: str = "active",
    source: str = "",
    measure: str = "",
    min_score: str = "",
    age: str = "",
    assignee: str = "",
    page: str = "1",
) -> Response:
    require(request)
    wf = _workflow(request)
    if wf is None:
        return error_page(request, 503, "No workflow", "This server has no store.")
    status = status if status in ALERT_STATUSES else "active"
    number = _int(page, 1)
    score = _float(min_score)
    days = _float(age)
    found = wf.list_alerts(
        status=None if status == "all" else status,
        source=source or None,
        measure=measure or None,
        min_score=score if score is not None and 0 <= score <= 1 else None,
        assignee=assignee.strip() or None,
        older_than=timedelta(days=days) if days is not None and days >= 0 else None,
        limit=PAGE_SIZE + 1,
        offset=(number - 1) * PAGE_SIZE,
    )
    store = _store(request)
    sources = sorted({v.source for v in store.versions()}) if store is not None else []
    return render(
        request,
        "alerts.html",
        alerts=found[:PAGE_SIZE],
        filters={
            "status": status,
            "source": source,
            "measure": measure,
            "min_score": min_score,
            "age": age,
            "assignee": assignee,
        },
        statuses=ALERT_STATUSES,
        sources=sources,
        measures=[m.value for m in Measure],
        page=number,
        links=_page_links(request, number, len(found) > PAGE_SIZE),
        now=datetime.now(UTC),
    )


@router.get("/ui/alerts/{alert_id}")
def alert_page(request: Request, alert_id: int, message: str = "", error: str = "") -> Response:
    user = require(request)
    wf = _workflow(request)
    if wf is None:
        return error_page(request, 503, "No workflow", "This server has no store.")
    try:
        alert = wf.get_alert(alert_id)
    except NotFoundError as exc:
        return error_page(request, 404, "No such alert", str(exc))
    return _alert_view(request, wf, alert, user, message=message, error=error)


def _alert_view(
    request: Request,
    wf: Workflow,
    alert: Any,
    user: User,
    *,
    message: str = "",
    error: str = "",
    status: int = 200,
) -> Response:
    snapshot = dict(alert.customer_snapshot)
    entity = entity_from_snapshot(alert.entity_snapshot)
    actor = actor_of(request, user)
    return render(
        request,
        "alert.html",
        status,
        alert=alert,
        customer=snapshot,
        customer_props=snapshot.get("properties", {}),
        entity=entity,
        explanation=explanation_view(alert.explanation),
        review=wf.review_settings(),
        own_pending=alert.pending_by == actor,
        message=message,
        error=error,
    )


async def _act(request: Request, alert_id: int, role: Role, action: str) -> Response:
    form = await read_form(request)
    user = require(request, role)
    check_form(request, form)
    wf = _workflow(request)
    if wf is None:
        return error_page(request, 503, "No workflow", "This server has no store.")
    actor = actor_of(request, user)
    reason = form.get("reason", "").strip()

    def run() -> str:
        if action == "decide":
            result = wf.decide(alert_id, form.get("decision", ""), reason, actor)
            if result.final:
                return f"Decision recorded: {DECISION_WORDS.get(result.decision.decision)}."
            return (
                f"Decision recorded: {DECISION_WORDS.get(result.decision.decision)}. "
                "Four-eyes: it awaits confirmation by a different reviewer."
            )
        if action == "confirm":
            result = wf.confirm(alert_id, actor, reason or None)
            return f"Confirmed: {DECISION_WORDS.get(result.decision.decision)} is final."
        if action == "reject":
            wf.reject(alert_id, actor, reason)
            return "Rejected: the alert is back in the queue to be decided again."
        wf.assign(alert_id, form.get("assignee", "").strip() or None, actor)
        return "Assignment saved."

    try:
        message = await asyncio.to_thread(run)
    except NotFoundError as exc:
        return error_page(request, 404, "No such alert", str(exc))
    except WorkflowError as exc:
        # The workflow refused (four-eyes, already decided): show why on the alert itself.
        alert = await asyncio.to_thread(wf.get_alert, alert_id)
        return _alert_view(request, wf, alert, user, error=str(exc), status=409)
    except (QueryError, EmbargoError) as exc:
        alert = await asyncio.to_thread(wf.get_alert, alert_id)
        return _alert_view(request, wf, alert, user, error=str(exc), status=400)
    return RedirectResponse(
        f"/ui/alerts/{alert_id}?{urlencode({'message': message})}", status_code=303
    )


@router.post("/ui/alerts/{alert_id}/decide")
async def decide(request: Request, alert_id: int) -> Response:
    return await _act(request, alert_id, Role.ANALYST, "decide")


@router.post("/ui/alerts/{alert_id}/assign")
async def assign(request: Request, alert_id: int) -> Response:
    return await _act(request, alert_id, Role.ANALYST, "assign")


@router.post("/ui/alerts/{alert_id}/confirm")
async def confirm(request: Request, alert_id: int) -> Response:
    return await _act(request, alert_id, Role.REVIEWER, "confirm")


@router.post("/ui/alerts/{alert_id}/reject")
async def reject(request: Request, alert_id: int) -> Response:
    return await _act(request, alert_id, Role.REVIEWER, "reject")


# -- customers -------------------------------------------------------------------------------


@router.get("/ui/customers")
def customers_page(request: Request, q: str = "", page: str = "1") -> Response:
    require(request)
    wf = _workflow(request)
    if wf is None:
        return error_page(request, 503, "No workflow", "This server has no store.")
    number = _int(page, 1)
    found = wf.list_customers(
        limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE, search=q.strip() or None
    )
    return render(
        request,
        "customers.html",
        customers=found[:PAGE_SIZE],
        q=q,
        total=wf.count_customers(),
        page=number,
        links=_page_links(request, number, len(found) > PAGE_SIZE),
    )


@router.get("/ui/customers/{ref}")
def customer_page(request: Request, ref: str) -> Response:
    require(request)
    wf = _workflow(request)
    if wf is None:
        return error_page(request, 503, "No workflow", "This server has no store.")
    try:
        customer = wf.get_customer(ref)
    except NotFoundError as exc:
        return error_page(request, 404, "No such customer", str(exc))
    return render(
        request,
        "customer.html",
        customer=customer,
        history=list(reversed(customer.history)),
        screenings=wf.screenings(ref, limit=50),
        alerts=wf.list_alerts(ref=ref, limit=None),
    )


# -- lists -----------------------------------------------------------------------------------


@dataclass
class VersionRow:
    version: ListVersion
    added: int | None
    removed: int | None
    changed: int | None
    active: bool


# Versions never change once stored, so their diff counts are kept (bounded; keyed by the
# database too, so that two stores in one process never mix).
_diffs: dict[tuple[str, int, int], tuple[int, int, int]] = {}


def _diff_counts(store: Store, source: str, from_id: int, to_id: int) -> tuple[int, int, int]:
    """Added, removed and changed entities between two versions of a source."""
    key = (store.url, from_id, to_id)
    found = _diffs.get(key)
    if found is None:
        diff = store.diff(source, from_id, to_id)
        if len(_diffs) >= 512:
            _diffs.clear()
        found = _diffs[key] = (len(diff.added), len(diff.removed), len(diff.changed))
    return found


@router.get("/ui/lists")
def lists_page(request: Request) -> Response:
    require(request)
    store = _store(request)
    if store is None:
        return error_page(request, 503, "No store", "This server has no store.")
    stale_days = deps.get_state(request).settings.stale_days
    active = {v.source: v for v in store.active_versions()}
    sources = []
    for source in sorted({v.source for v in store.versions()} | set(active)):
        history = store.versions(source)
        rows: list[VersionRow] = []
        previous: ListVersion | None = None
        for v in history:
            counts: tuple[int, int, int] | None = None
            if previous is not None and v.status != "failed":
                try:
                    counts = _diff_counts(store, source, previous.id, v.id)
                except EmbargoError:
                    counts = None
            elif previous is None:
                counts = (v.entity_count, 0, 0)
            a = active.get(source)
            rows.append(
                VersionRow(
                    v,
                    counts[0] if counts else None,
                    counts[1] if counts else None,
                    counts[2] if counts else None,
                    a is not None and a.id == v.id,
                )
            )
            previous = v
        current = active.get(source)
        age = age_days(current) if current is not None else None
        sources.append(
            {
                "name": source,
                "title": SOURCES[source].title if source in SOURCES else source,
                "publisher": SOURCES[source].authority if source in SOURCES else None,
                "active": current,
                "age": age,
                "stale": age is not None and age > stale_days,
                "history": list(reversed(rows)),
            }
        )
    return render(request, "lists.html", sources=sources, stale_days=stale_days)


# -- audit -----------------------------------------------------------------------------------


@router.get("/ui/audit")
def audit_page(request: Request, action: str = "", actor: str = "", page: str = "1") -> Response:
    require(request)
    store = _store(request)
    if store is None:
        return error_page(request, 503, "No store", "This server has no store.")
    number = _int(page, 1)
    # The store reads newest first up to a limit; deeper pages read the ones before them too.
    wanted = number * AUDIT_PAGE_SIZE + 1
    records = store.audit_records(
        action=action.strip() or None,
        actor=actor.strip() or None,
        limit=wanted,
        newest_first=True,
    )
    shown = records[(number - 1) * AUDIT_PAGE_SIZE : number * AUDIT_PAGE_SIZE]
    verified = store.verify_audit()
    broken_at = None
    if not verified.ok and verified.problems:
        broken_at = verified.problems[0]
    return render(
        request,
        "audit.html",
        known_actions=AUDIT_ACTIONS,
        records=shown,
        action=action,
        actor=actor,
        verified=verified,
        broken_at=broken_at,
        page=number,
        links=_page_links(request, number, len(records) >= wanted),
    )


# -- wiring --------------------------------------------------------------------------------


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    # After signing in the browser comes back with a GET: a form's target cannot be one.
    target = exc.next_url if request.method == "GET" else "/ui"
    return RedirectResponse(login_url(target), status_code=303)


async def _password_change(request: Request, exc: Exception) -> Response:
    target = here(request) if request.method == "GET" else "/ui"
    return RedirectResponse(f"{PASSWORD_PATH}?next={quote(target, safe='/')}", status_code=303)


async def _forbidden(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Forbidden)
    return error_page(request, 403, "Not allowed", exc.message)


def install(app: FastAPI) -> None:
    """Serve the static files and handle the pages' redirects and refusals."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(PasswordChangeRequired, _password_change)
    app.add_exception_handler(Forbidden, _forbidden)


__all__ = ["SECURITY_HEADERS", "STATIC_DIR", "TEMPLATES_DIR", "install", "render", "router"]
