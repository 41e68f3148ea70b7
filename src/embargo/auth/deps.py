"""What a request handler (the API's and the web UI's) asks about the caller.

``request.app.state.auth`` is the app's ``AuthService``, or None when authentication is off
(``embargo serve --no-auth``), in which case every request acts as the local administrator.
The enforcement middleware fills ``request.state`` (``user``, ``actor``, ``auth_via``,
``csrf``) before a handler runs; these helpers fall back to reading the credentials
themselves, for apps or paths the middleware leaves alone (the web UI's).
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException, Request

from embargo.auth.model import LOCAL_USER, KeyIdentity, User

if TYPE_CHECKING:
    from embargo.auth.service import AuthService

SESSION_COOKIE = "embargo_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
API_KEY_HEADER = "X-API-Key"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_MISSING = object()


def auth_service(request: Request) -> AuthService | None:
    """The app's ``AuthService``; None when authentication is off."""
    found: Any = getattr(request.app.state, "auth", None)
    return found  # type: ignore[no-any-return]


def auth_enabled(request: Request) -> bool:
    """False only for an app that says so (``app.state.auth`` set to None); an app that has
    not been told anything counts as authenticated-only."""
    return getattr(request.app.state, "auth", _MISSING) is not None


def presented_key(headers: Any) -> str | None:
    """The API key of a request: ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``."""
    header = headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return str(value.strip())
        return ""  # some other scheme: a credential was sent, and it is not a key we accept
    key = headers.get(API_KEY_HEADER.lower()) or headers.get(API_KEY_HEADER)
    if key is not None:
        return str(key.strip())
    return None


def _remember(
    request: Request, user: User | None, actor: str | None, via: str | None, csrf: str | None
) -> None:
    request.state.user = user
    request.state.auth_via = via
    request.state.csrf = csrf
    if actor is not None:
        request.state.actor = actor


def resolve(request: Request) -> User | None:
    """Read the request's credentials (once per request) and remember the result."""
    state = request.state
    if getattr(state, "auth_resolved", False):
        return getattr(state, "user", None)
    state.auth_resolved = True
    if not auth_enabled(request):
        _remember(request, LOCAL_USER, LOCAL_USER.name, "local", local_csrf(request.app))
        return LOCAL_USER
    service = auth_service(request)
    if service is None:
        _remember(request, None, None, None, None)
        return None
    key = presented_key(request.headers)
    if key is not None:
        identity: KeyIdentity | None = service.authenticate_key(key) if key else None
        if identity is None:
            _remember(request, None, None, None, None)
            return None
        _remember(request, identity.user, identity.actor, "key", None)
        state.api_key = identity.key
        return identity.user
    found = service.session(request.cookies.get(SESSION_COOKIE))
    if found is None:
        _remember(request, None, None, None, None)
        return None
    user, csrf = found
    _remember(request, user, user.name, "session", csrf)
    return user


def optional_user(request: Request) -> User | None:
    """The signed-in user (by API key or session cookie), None if there is none; in no-auth
    mode the local administrator."""
    return resolve(request)


def csrf_token(request: Request) -> str | None:
    """The CSRF token forms must send back (the session's; in no-auth mode, the app's)."""
    resolve(request)
    token = getattr(request.state, "csrf", None)
    return token if isinstance(token, str) else None


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse (403) an unsafe request made with a session cookie whose CSRF token is missing
    or wrong. ``submitted`` is the form's ``csrf_token`` field (the ``X-CSRF-Token`` header
    is used when it is None). Requests made with an API key need no token."""
    resolve(request)
    if getattr(request.state, "auth_via", None) == "key":
        return
    expected = getattr(request.state, "csrf", None)
    if submitted is None:
        submitted = request.headers.get(CSRF_HEADER)
    if not isinstance(expected, str) or not expected:
        raise HTTPException(403, "CSRF check failed: not signed in")
    if not submitted or not hmac.compare_digest(submitted.encode(), expected.encode()):
        raise HTTPException(
            403,
            f"CSRF check failed: the {CSRF_HEADER} header or {CSRF_FIELD} field is missing "
            "or wrong; reload the page and try again",
        )


def require_user(request: Request) -> User:
    """The user, or 401 (for handlers outside the middleware's reach)."""
    user = resolve(request)
    if user is None:
        raise HTTPException(401, "sign in or send an API key", {"WWW-Authenticate": "Bearer"})
    return user


def local_csrf(app: Any) -> str:
    """The CSRF token of an app without authentication. Without sessions, the web UI's forms
    still carry a token only pages of this server can read: one per app, made when first
    needed."""
    token = getattr(app.state, "local_csrf", None)
    if not isinstance(token, str):
        import secrets

        token = secrets.token_urlsafe(32)
        app.state.local_csrf = token
    return token
