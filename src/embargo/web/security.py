"""Who is using the web pages, and what they may do.

The API's authentication middleware leaves ``/ui`` alone, so that a browser gets pages
rather than JSON errors: every page calls ``require`` (sign-in and role) and every form
handler ``check_form`` (the CSRF token). An unauthenticated page request goes to the
sign-in page with ``next`` set; a role too low gets a 403 page saying which role is needed.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import HTTPException, Request

from embargo.auth import Role, User
from embargo.auth import deps as auth_deps

# The login form has no session yet: its token is a random value kept in a cookie and echoed
# in the form (double submit), so that another site cannot sign a browser in as someone else.
LOGIN_CSRF_COOKIE = "embargo_login_csrf"
PASSWORD_PATH = "/ui/password"
LOGIN_PATH = "/ui/login"


class LoginRequired(Exception):
    """The page needs a signed-in user; ``next`` is where to come back to."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class PasswordChangeRequired(Exception):
    """The user must choose a new password before using any other page."""


class Forbidden(Exception):
    """The signed-in user may not do this (role too low, or a bad form token)."""

    def __init__(self, message: str, user: User | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.user = user


def auth_enabled(request: Request) -> bool:
    return auth_deps.auth_enabled(request)


def current_user(request: Request) -> User | None:
    """The signed-in user (a local admin when the server runs without authentication)."""
    user: User | None = auth_deps.optional_user(request)
    return user


def role_of(user: User) -> Role:
    return user.role if isinstance(user.role, Role) else Role(str(user.role))


def require(request: Request, role: Role = Role.VIEWER) -> User:
    """The signed-in user if they hold at least ``role``; otherwise the sign-in redirect,
    the forced password change, or a 403 page."""
    user = current_user(request)
    if user is None or not getattr(user, "active", True):
        raise LoginRequired(here(request))
    if getattr(user, "must_change_password", False) and request.url.path != PASSWORD_PATH:
        raise PasswordChangeRequired()
    if role_of(user) < role:
        raise Forbidden(
            f"This needs the {role.value} role; you are signed in as "
            f"{user.name} ({role_of(user).value}).",
            user,
        )
    return user


def may(user: User | None, role: Role) -> bool:
    return user is not None and role_of(user) >= role


def here(request: Request) -> str:
    """The path and query of this request, to come back to after signing in."""
    url = request.url.path
    if request.url.query:
        url += "?" + request.url.query
    return url


def login_url(next_url: str) -> str:
    return f"{LOGIN_PATH}?next={quote(next_url, safe='/')}"


def safe_next(value: str | None) -> str:
    """Only a path on this server (never another site: an open redirect would let a link
    in a phishing mail land the user anywhere after a genuine sign-in)."""
    if not value:
        return "/ui"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return "/ui"
    if "\\" in value:
        return "/ui"
    return value


def csrf_token(request: Request) -> str | None:
    token: str | None = auth_deps.csrf_token(request)
    return token


def check_form(request: Request, form: Any) -> None:
    """The form's ``csrf_token`` must be the session's; otherwise a 403 page."""
    submitted = form.get("csrf_token") if form is not None else None
    try:
        auth_deps.check_csrf(request, submitted if isinstance(submitted, str) else None)
    except HTTPException:
        raise Forbidden(
            "The form's security token is missing or out of date. Go back, reload the page "
            "and try again.",
            current_user(request),
        ) from None


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def actor_of(request: Request, user: User) -> str:
    """The name the audit log and four-eyes know this user by (the authentication layer's
    when it sets one, so that the API and the pages agree)."""
    named = getattr(request.state, "actor", None)
    if isinstance(named, str) and named.strip():
        return named.strip()
    return str(user.name)


__all__ = [
    "LOGIN_CSRF_COOKIE",
    "Forbidden",
    "LoginRequired",
    "PasswordChangeRequired",
    "actor_of",
    "auth_enabled",
    "check_form",
    "csrf_token",
    "current_user",
    "login_url",
    "may",
    "require",
    "safe_next",
]
