"""The enforcement: one ASGI middleware in front of every route of the API.

For each request it finds the route (the path template, e.g. ``/alerts/{alert_id}``), looks
up the lowest role allowed in ``ROUTE_ROLES`` (a route missing there is refused), checks the
credentials (an API key, else the web session cookie), the key's rate limit and, for a
cookie on an unsafe method, the CSRF token; then hands on with ``request.state.user`` and
``request.state.actor`` set. Being middleware rather than a per-route dependency, it covers
routes added later by any router, and refuses before a request body is read.

Paths of the web UI (``/ui``, ``/static``, ``GET /``) are passed on with the user set when
credentials are present: the UI decides itself (it redirects to its login page).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.exc import SQLAlchemyError
from starlette.routing import compile_path

from embargo.auth.deps import (
    API_KEY_HEADER,
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    UNSAFE_METHODS,
    local_csrf,
    presented_key,
)
from embargo.auth.model import LOCAL_USER, KeyIdentity, User
from embargo.auth.ratelimit import RateLimiter
from embargo.auth.roles import is_ui_path, required_role
from embargo.errors import EmbargoError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_FORM_BYTES = 1024 * 1024  # a form posted with a session cookie, read for its CSRF field


class Refused(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def _unauthenticated(detail: str, error: str | None = None) -> Refused:
    challenge = 'Bearer realm="embargo"' + (f', error="{error}"' if error else "")
    return Refused(401, detail, {"WWW-Authenticate": challenge})


class AuthMiddleware:
    """Authenticate and authorise every request of the app (see the module doc).

    ``enabled=False`` (``embargo serve --no-auth``): every request acts as the local
    administrator; unsafe requests from another web origin are still refused, so that a web
    page open in the local user's browser cannot drive the API.
    """

    def __init__(self, app: ASGIApp, *, enabled: bool = True) -> None:
        self.app = app
        self.enabled = enabled
        self.limiter = RateLimiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            receive = await self._check(scope, receive)
        except Refused as exc:
            await _reply(send, exc.status, exc.detail, exc.headers)
            return
        await self.app(scope, receive, send)

    async def _check(self, scope: Scope, receive: Receive) -> Receive:
        method: str = scope["method"]
        path: str = scope["path"]
        headers = _Headers(scope)
        state = scope.setdefault("state", {})
        ui = is_ui_path(method, path)
        template = None if ui else _template(scope)
        if template is not None:
            declared, role = required_role(method, template)
            if declared and role is None:
                return receive  # public
        else:
            declared, role = False, None
        if not self.enabled:
            if method in UNSAFE_METHODS:
                _same_origin(headers)
            _set(state, LOCAL_USER, LOCAL_USER.name, "local", local_csrf(scope["app"]))
            state["auth_resolved"] = True
            return receive
        service = getattr(scope["app"].state, "auth", None)
        if service is None:
            raise Refused(503, "authentication is on but not configured on this server")
        try:
            user, via = await self._authenticate(scope, headers, state, service, ui)
        except (SQLAlchemyError, EmbargoError) as exc:
            raise Refused(503, f"cannot check the credentials: the store failed ({exc})") from None
        if ui:
            return receive
        if user is None:
            raise _unauthenticated(
                "sign in or send an API key (Authorization: Bearer <key>, or "
                f"{API_KEY_HEADER}: <key>)"
            )
        if via == "key":
            identity: KeyIdentity = state["api_identity"]
            wait = self.limiter.take(identity.key.id, identity.key.rate_limit)
            if wait > 0:
                raise Refused(
                    429,
                    f"rate limit of key {identity.key.prefix}… "
                    f"({identity.key.rate_limit}/minute) exceeded; retry in {wait:.1f} s",
                    {"Retry-After": RateLimiter.retry_after_header(wait)},
                )
        if via == "session":
            if user.must_change_password:
                raise Refused(403, "change your password first (sign in to the web UI)")
            if method in UNSAFE_METHODS:
                receive = await _check_csrf(scope, receive, headers, state.get("csrf"))
        if template is None:
            return receive  # no such route: the app answers 404 or 405
        if not declared:
            raise Refused(403, f"{method} {template} has no declared role; refused")
        assert role is not None
        if not user.can(role):
            raise Refused(
                403,
                f"{method} {template} needs the {role.value} role; "
                f"{user.name} acts as {user.role.value}",
            )
        return receive

    async def _authenticate(
        self, scope: Scope, headers: _Headers, state: dict[str, Any], service: Any, ui: bool
    ) -> tuple[User | None, str | None]:
        state["auth_resolved"] = True
        _set(state, None, None, None, None)
        key = headers.key()
        if key is not None:
            identity = service.cached_key(key) if key else None
            if identity is None and key:
                identity = await asyncio.to_thread(service.authenticate_key, key)
            if identity is None:
                if ui:
                    return None, None
                raise _unauthenticated(
                    "the API key is unknown, revoked or expired", "invalid_token"
                )
            _set(state, identity.user, identity.actor, "key", None)
            state["api_key"] = identity.key
            state["api_identity"] = identity
            return identity.user, "key"
        session_id = headers.cookie(SESSION_COOKIE)
        if session_id is None:
            return None, None
        found = await asyncio.to_thread(service.session, session_id)
        if found is None:
            if ui:
                return None, None
            raise _unauthenticated("the session has expired or was ended; sign in again")
        user, csrf = found
        _set(state, user, user.name, "session", csrf)
        return user, "session"


def _set(
    state: dict[str, Any], user: User | None, actor: str | None, via: str | None, csrf: str | None
) -> None:
    state["user"] = user
    state["auth_via"] = via
    state["csrf"] = csrf
    if actor is not None:
        state["actor"] = actor


def _template(scope: Scope) -> str | None:
    """The path template of the route that will answer (``/alerts/{alert_id}``), the prefix of
    a mounted app, or None when no route has this path (the app answers 404, or 405 for a
    path whose route takes other methods)."""
    method = "GET" if scope["method"] == "HEAD" else scope["method"]
    path = scope["path"]
    for methods, template, regex in route_table(scope["app"]):
        if methods is None:  # a mounted app: everything below its prefix
            if path == template or path.startswith(template.rstrip("/") + "/"):
                return template
        elif regex.match(path) and (method in methods or scope["method"] in methods):
            return template
    return None


def route_table(app: Any) -> list[tuple[frozenset[str] | None, str, re.Pattern[str]]]:
    """Every route of ``app`` as (methods, path template, compiled path); None for the
    methods of a mount. Read once (and again if the app's routes change)."""
    routes = list(app.routes)
    cached = getattr(app.state, "_auth_routes", None)
    if cached is not None and cached[0] == len(routes):
        return cached[1]  # type: ignore[no-any-return]
    table: list[tuple[frozenset[str] | None, str, re.Pattern[str]]] = []
    for route in _flatten(routes):
        template = getattr(route, "path", None)
        if not isinstance(template, str):
            continue
        methods = getattr(route, "methods", None)
        if methods is None and getattr(route, "app", None) is not None:
            table.append((None, template, re.compile(re.escape(template))))
            continue
        if methods:
            regex = compile_path(template)[0]
            table.append((frozenset(m.upper() for m in methods), template, regex))
    app.state._auth_routes = (len(routes), table)
    return table


def _flatten(routes: list[Any]) -> list[Any]:
    try:  # FastAPI with included routers kept as such: their routes, with full paths
        from fastapi.routing import iter_route_contexts
    except ImportError:
        return routes
    return list(iter_route_contexts(routes))


def app_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path template) of every route of ``app`` (mounts as ("*", prefix))."""
    found = []
    for methods, template, _ in route_table(app):
        if methods is None:
            found.append(("*", template))
        else:
            found += [(m, template) for m in sorted(methods) if m != "HEAD"]
    return found


class _Headers:
    def __init__(self, scope: Scope) -> None:
        self._headers: dict[str, str] = {}
        for name, value in scope.get("headers", ()):
            key = name.decode("latin-1").lower()
            if key in self._headers and key == "cookie":
                self._headers[key] += "; " + value.decode("latin-1")
            else:
                self._headers.setdefault(key, value.decode("latin-1"))

    def get(self, name: str) -> str | None:
        return self._headers.get(name.lower())

    def key(self) -> str | None:
        return presented_key(self)

    def cookie(self, name: str) -> str | None:
        raw = self._headers.get("cookie")
        if not raw:
            return None
        for part in raw.split(";"):
            key, _, value = part.strip().partition("=")
            if key == name:
                return value.strip().strip('"')
        return None


def _same_origin(headers: _Headers) -> None:
    """Without authentication (hence without CSRF tokens), refuse an unsafe request a browser
    sent from a page of another origin: any web page the local user opens could otherwise
    drive the API on 127.0.0.1. Browsers send ``Origin`` on such requests; scripts and
    command-line clients send none."""
    origin = headers.get("origin")
    if not origin or origin == "null":
        if origin == "null":
            raise Refused(403, "cross-origin request refused (Origin: null)")
        return
    host = headers.get("host") or ""
    if urlsplit(origin).netloc.lower() != host.lower():
        raise Refused(403, f"cross-origin request refused (Origin {origin} is not this server)")


async def _check_csrf(
    scope: Scope, receive: Receive, headers: _Headers, expected: str | None
) -> Receive:
    """The CSRF token of a cookie-authenticated unsafe request: the header, or the form's
    ``csrf_token`` field (the body is read here and replayed to the app)."""
    submitted = headers.get(CSRF_HEADER)
    replay = receive
    if submitted is None and (headers.get("content-type") or "").startswith(
        "application/x-www-form-urlencoded"
    ):
        body, replay = await _buffer(receive)
        values = parse_qs(body.decode("utf-8", "replace")).get(CSRF_FIELD)
        submitted = values[0] if values else None
    if (
        not expected
        or not submitted
        or not hmac.compare_digest(submitted.encode(), expected.encode())
    ):
        raise Refused(
            403,
            f"CSRF check failed: send the session's token in the {CSRF_HEADER} header "
            f"(or the {CSRF_FIELD} form field)",
        )
    return replay


async def _buffer(receive: Receive) -> tuple[bytes, Receive]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            raise Refused(413, f"form body is larger than {MAX_FORM_BYTES:,} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _reply(send: Send, status: int, detail: str, headers: dict[str, str]) -> None:
    body = json.dumps({"detail": detail}).encode()
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
