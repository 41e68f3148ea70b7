"""The analyst web UI: server-rendered pages under ``/ui`` over the data the API returns.

``embargo serve`` includes it; open ``http://127.0.0.1:8000/ui``. The app adds ``router`` with
the API's routers and calls ``install(app)``, which serves ``/static`` (stylesheet, script,
icon: nothing is loaded from elsewhere) and turns the pages' sign-in redirects and refusals
into responses.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from embargo.web.routes import STATIC_DIR, TEMPLATES_DIR, error_page, router
from embargo.web.security import (
    PASSWORD_PATH,
    Forbidden,
    LoginRequired,
    PasswordChangeRequired,
    here,
    login_url,
)


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


__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "install", "router"]
