"""The HTTP API application: one FastAPI app for ``embargo serve``, the tests, and the routers
other parts of Embargo add (web UI, authentication).

    uvicorn embargo.api.app:app_factory --factory      # settings from EMBARGO_* variables

To add a router, append it to ``ROUTERS``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from embargo import __version__
from embargo.api import workflow as workflow_api
from embargo.api.deps import json_response
from embargo.api.limits import MAX_BODY_BYTES
from embargo.api.middleware import BodySizeLimit
from embargo.api.routers import catalog, health, match, search, text
from embargo.api.state import ApiState, NotReady
from embargo.auth import routes as auth_routes
from embargo.auth.middleware import AuthMiddleware
from embargo.auth.service import AuthService
from embargo.errors import ConfigError, EmbargoError, NotFoundError, QueryError, StoreError
from embargo.screening import Screener
from embargo.settings import Settings
from embargo.store import Store
from embargo.web import routes as web_routes
from embargo.workflow.service import Workflow

log = logging.getLogger(__name__)

# Every router of the API, in the order their paths are matched.
ROUTERS: list[APIRouter] = [
    match.router,
    search.router,
    text.router,
    catalog.router,
    health.router,
    workflow_api.router,
    auth_routes.router,
    web_routes.router,
]

DESCRIPTION = """
Screen people, companies, vessels and aircraft against the official sanctions and
export-control lists, loaded straight from their publishers.

* `POST /match/{dataset}`: screening by example, **compatible with yente's `/match`**
  (OpenSanctions' API): existing yente clients work unchanged. Each result adds an
  `embargo` block with every listing, what its measure means, and why the score is what it is.
* `GET /search/{dataset}`: text search with filters and paging.
* `GET /entities/{id}`: one entity with its listings and list history.
* `POST /screen/text`: listed parties mentioned in a document.
* `GET /catalog`: the lists, their active versions and collections.

Send an API key with every call: `Authorization: Bearer emb_...` (or `X-API-Key: emb_...`);
create one with `embargo users keys create NAME`. Each route needs a role (viewer, analyst,
reviewer, admin); a missing or invalid key is a 401, a role too low a 403, too many calls a 429.

Every screening call is written to the hash-chained audit log before it is answered.
Errors are JSON: `{"detail": "..."}`.
"""


def create_app(
    settings: Settings | None = None,
    *,
    screener: Screener | None = None,
    store: Store | None = None,
    auth: bool | None = None,
) -> FastAPI:
    """The API application.

    Without ``screener`` the app builds one from the store at start-up (in the background:
    ``/readyz`` says 503 until it is loaded) and rebuilds it when the active list versions
    change. A given ``screener`` is used as it is; one made with ``Screener.from_entities``
    has no store, so pass ``store`` to have the audit log and catalog (without any store,
    screening calls are not audited).

    ``auth`` (default: on, unless ``EMBARGO_AUTH=off``): every route but the health checks
    and the documentation needs an API key or a web session with a high enough role (see
    ``embargo.auth.roles``); users and keys live in the store, so authentication needs one.
    Off, every request acts as the local administrator ``local``.
    """
    if auth is None:
        auth = auth_from_env()
    if auth and store is None and screener is not None and screener.store is None:
        raise ConfigError(
            "authentication needs a store (users and keys live there): pass store=, or auth=False"
        )
    state = ApiState(settings, screener=screener, store=store)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await state.start()
        if auth and app.state.auth is None and state.store is not None:
            app.state.auth = AuthService(state.store)
        try:
            yield
        finally:
            await state.stop()

    app = FastAPI(
        title="Embargo",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.embargo = state
    app.state.workflow = _workflow_provider(state)
    # The AuthService (None with authentication off; made at start-up when the store is
    # opened then).
    app.state.auth = AuthService(state.store) if auth and state.store is not None else None
    for router in ROUTERS:
        app.include_router(router)
    _add_error_handlers(app)
    web_routes.install(app)  # the web UI's static files and its sign-in redirects
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)
    # Added last, so outermost: a request is refused before its body is read.
    app.add_middleware(AuthMiddleware, enabled=auth)
    if auth:
        _document_security(app)
    return app


def auth_from_env() -> bool:
    """``EMBARGO_AUTH``: on (the default) or off (``embargo serve --no-auth``)."""
    raw = (os.environ.get("EMBARGO_AUTH") or "on").strip().lower()
    if raw in ("on", "true", "1", "yes"):
        return True
    if raw in ("off", "false", "0", "no"):
        return False
    raise ConfigError(f"EMBARGO_AUTH must be on or off, got {raw!r}")


def _document_security(app: FastAPI) -> None:
    """Declare the API key in the OpenAPI document, so that /docs offers to send one."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = plain()
            schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
            schemes["apiKey"] = {"type": "http", "scheme": "bearer", "bearerFormat": "emb_..."}
            schemes["apiKeyHeader"] = {"type": "apiKey", "in": "header", "name": "X-API-Key"}
            schema["security"] = [{"apiKey": []}, {"apiKeyHeader": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _workflow_provider(state: ApiState) -> Callable[[], Workflow | None]:
    """The workflow over the store and the screener currently installed: one ``Workflow`` per
    screener, so that a list refresh is picked up and requests share it in between."""
    made: dict[int, Workflow] = {}
    lock = threading.Lock()

    def screener() -> Screener:
        if state.screener is None:
            raise NotReady(state.not_ready_reason())
        return state.screener

    def provide() -> Workflow | None:
        if state.store is None:
            return None  # the routes answer 503: no store, no workflow
        key = id(state.screener)
        with lock:
            wf = made.get(key)
            if wf is None:
                made.clear()
                wf = made[key] = Workflow(state.store, state.screener or screener, state.settings)
        return wf

    return provide


def app_factory() -> FastAPI:
    """For ``uvicorn --factory`` (and ``embargo serve --workers N``): settings from the
    environment (``EMBARGO_DATABASE_URL``, ``EMBARGO_DATA_DIR``, ...)."""
    return create_app(Settings.from_env())


# -- errors --------------------------------------------------------------------------------


_BODY_EXAMPLES = {
    "/match": '{"queries": {"q1": {"schema": "Person", "properties": {"name": ["..."]}}}}',
    "/screen/text": '{"text": "..."}',
}


def _describe(errors: list[Any], path: str = "") -> tuple[str, list[dict[str, Any]]]:
    """A readable message and a trimmed error list (never echoing the input back: it may be
    megabytes long)."""
    items = []
    messages = []
    for err in errors[:20]:
        raw = [str(part) for part in err.get("loc", ())]
        kind = str(err.get("type", ""))
        msg = str(err.get("msg", "invalid"))
        if raw[:1] == ["body"] and len(raw) == 1:
            # The body as a whole: missing, or not a JSON object.
            msg = (
                "the request body is empty"
                if kind == "missing"
                else "the request body must be a JSON object"
            ) + " (Content-Type: application/json)"
            example = next((v for k, v in _BODY_EXAMPLES.items() if path.startswith(k)), None)
            if example:
                msg += f", e.g. {example}"
            text = msg
        elif raw[:1] in (["query"], ["path"]) and len(raw) > 1:
            text = f"{raw[0]} parameter {'.'.join(raw[1:])}: {msg}"
        else:
            text = ".".join(p for p in raw if p != "body") + ": " + msg
        items.append({"loc": [p for p in raw if p != "body"], "msg": msg, "type": kind})
        messages.append(text)
    text = "; ".join(dict.fromkeys(messages))
    if len(errors) > 20:
        text += f"; and {len(errors) - 20} more"
    return text or "invalid request", items


def _add_error_handlers(app: FastAPI) -> None:
    async def validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            first = next(e for e in errors if e.get("type") == "json_invalid")
            where = first.get("loc", ("body", "?"))[-1]
            reason = (first.get("ctx") or {}).get("error", "invalid JSON")
            return json_response(
                {"detail": f"the request body is not valid JSON: {reason} (at character {where})"},
                400,
            )
        detail, items = _describe(errors, request.url.path)
        return json_response({"detail": detail, "errors": items}, 422)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers) if exc.headers else None
        return json_response({"detail": str(exc.detail)}, exc.status_code, headers)

    async def embargo_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, NotFoundError):
            status = 404
        elif isinstance(exc, NotReady | StoreError):
            status = 503
        elif isinstance(exc, QueryError | ConfigError):
            status = 400
        else:
            status = 400
        return json_response({"detail": str(exc)}, status)

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return json_response(
            {"detail": f"internal error ({type(exc).__name__}); it has been logged"}, 500
        )

    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(EmbargoError, embargo_error)
    app.add_exception_handler(Exception, unexpected)
