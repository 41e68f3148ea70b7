"""Who may open which page: every route of the web UI against every role, in-process.

The table below is the intended access of each route. A route the app has that the table
lacks fails the test, so that no page is added without deciding who may use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from embargo.api.app import create_app
from embargo.auth import Role
from embargo.auth.service import AuthService
from embargo.screening import Screener
from embargo.settings import Settings
from embargo.store import Store
from embargo.update import load_path
from embargo.web.security import LOGIN_CSRF_COOKIE
from embargo.workflow import Workflow

viewer, analyst, reviewer, admin = Role.viewer, Role.analyst, Role.reviewer, Role.admin
PUBLIC = None
# (method, path) -> the lowest role allowed; PUBLIC for pages anyone may open.
EXPECTED: dict[tuple[str, str], Role | None] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/ui/login"): PUBLIC,
    ("POST", "/ui/login"): PUBLIC,
    ("POST", "/ui/logout"): viewer,
    ("GET", "/ui/password"): viewer,
    ("POST", "/ui/password"): viewer,
    ("GET", "/ui"): viewer,
    ("GET", "/ui/screen"): viewer,
    ("POST", "/ui/screen"): viewer,
    ("GET", "/ui/entities/{entity_id}"): viewer,
    ("GET", "/ui/alerts"): viewer,
    ("GET", "/ui/alerts/{alert_id}"): viewer,
    ("POST", "/ui/alerts/{alert_id}/decide"): analyst,
    ("POST", "/ui/alerts/{alert_id}/assign"): analyst,
    ("POST", "/ui/alerts/{alert_id}/confirm"): reviewer,
    ("POST", "/ui/alerts/{alert_id}/reject"): reviewer,
    ("GET", "/ui/customers"): viewer,
    ("GET", "/ui/customers/{ref}"): viewer,
    ("GET", "/ui/lists"): viewer,
    ("GET", "/ui/audit"): viewer,
}
ROLES = (viewer, analyst, reviewer, admin)
PASSWORD = "a-long-enough-password"


@dataclass
class Site:
    client: TestClient
    auth: AuthService
    users: dict[Role, Any]
    alert_id: int
    app: Any


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, fixtures: Path) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("webauth")
    settings = Settings(data_dir=tmp / "data", database_url=f"sqlite:///{tmp / 'e.db'}")
    store = Store.open(settings.db_url)
    load_path(store, fixtures / "sources" / "ofac_xml" / "sdn.xml", settings)
    screener = Screener.open(settings=settings)
    wf = Workflow(store, screener, settings)
    putin = {"schema": "Person", "properties": {"name": ["Vladimir Putin"]}}
    wf.upsert_customer("C1", putin, "test", origin="test")
    alert_id = wf.screen_customer("C1", "test").alert_ids[0]
    auth = AuthService(store)
    users = {
        role: auth.create_user(f"user-{role.value}", role, PASSWORD, actor="test")[0]
        for role in ROLES
    }
    app = create_app(settings, screener=screener, store=store, auth=True)
    with TestClient(app, follow_redirects=False) as client:
        yield Site(client, auth, users, alert_id, app)
    store.close()


def ui_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path template) of every page route of the app, included routers and all."""
    found = set()
    for route in iter_route_contexts(app.routes):
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        if not isinstance(path, str) or not methods:
            continue
        if path == "/" or path == "/ui" or path.startswith("/ui/"):
            found.update((m, path) for m in methods if m != "HEAD")
    return found


def concrete(path: str, site: Site) -> str:
    return (
        path.replace("{entity_id}", "us_ofac_sdn-35096")
        .replace("{alert_id}", str(site.alert_id))
        .replace("{ref}", "C1")
    )


def call(site: Site, method: str, path: str, role: Role | None, *, csrf: bool = True) -> Any:
    """One request as a fresh session of ``role`` (None: not signed in), with the form's
    CSRF token unless told otherwise."""
    headers: dict[str, str] = {}
    data: dict[str, str] = {}
    cookies: list[str] = []
    if role is not None:
        session_id, token = site.auth.create_session(site.users[role])
        cookies.append(f"embargo_session={session_id}")
        if csrf:
            data["csrf_token"] = token
    if path == "/ui/login" and method == "POST":
        # The sign-in form's own token (there is no session yet).
        cookies.append(f"{LOGIN_CSRF_COOKIE}=login-token")
        data["csrf_token"] = "login-token" if csrf else ""
        data.update(username="nobody", password="wrong")
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    url = concrete(path, site)
    if method == "GET":
        return site.client.get(url, headers=headers)
    if path.endswith("/decide"):
        data.update(decision="escalate", reason="needs a closer look")
    elif path.endswith("/reject"):
        data.update(reason="not convinced")
    return site.client.post(url, data=data, headers=headers)


def is_login_redirect(resp: Any) -> bool:
    return resp.status_code == 303 and resp.headers["location"].startswith("/ui/login?next=")


def test_every_ui_route_is_in_the_table(site: Site) -> None:
    routes = ui_routes(site.app)
    assert routes - EXPECTED.keys() == set(), "routes without an intended role"
    assert EXPECTED.keys() - routes == set(), "the table names routes the app lacks"


@pytest.mark.parametrize(("method", "path"), sorted(EXPECTED))
def test_not_signed_in(site: Site, method: str, path: str) -> None:
    resp = call(site, method, path, None)
    if EXPECTED[(method, path)] is PUBLIC:
        assert resp.status_code < 400 or (path == "/ui/login" and resp.status_code == 401)
        assert not is_login_redirect(resp) or path == "/"
    else:
        assert is_login_redirect(resp), (resp.status_code, resp.text[:300])


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
@pytest.mark.parametrize(("method", "path"), sorted(EXPECTED))
def test_role(site: Site, method: str, path: str, role: Role) -> None:
    needed = EXPECTED[(method, path)]
    resp = call(site, method, path, role)
    assert not is_login_redirect(resp), "a signed-in user was sent to sign in"
    if needed is not None and role < needed:
        assert resp.status_code == 403, (resp.status_code, resp.text[:300])
        assert f"needs the {needed.value} role" in resp.text
    else:
        assert resp.status_code != 403, resp.text[:500]
        assert resp.status_code < 500


@pytest.mark.parametrize(("method", "path"), sorted(k for k in EXPECTED if k[0] == "POST"))
def test_post_without_csrf_token_is_refused(site: Site, method: str, path: str) -> None:
    resp = call(site, method, path, admin, csrf=False)
    assert resp.status_code == 403, resp.text[:300]


def test_static_files_need_no_sign_in(site: Site) -> None:
    for name in ("embargo.css", "embargo.js", "favicon.svg"):
        resp = site.client.get(f"/static/{name}")
        assert resp.status_code == 200 and resp.content


def test_sign_in_never_redirects_off_site(site: Site) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "ui"):
        user = site.users[viewer]
        session_id, _ = site.auth.create_session(user)
        resp = site.client.get(
            "/ui/login",
            params={"next": target},
            headers={"Cookie": f"embargo_session={session_id}"},
        )
        assert resp.status_code == 303 and resp.headers["location"] == "/ui", target


def test_pages_are_not_cached_or_framed(site: Site) -> None:
    resp = call(site, "GET", "/ui/alerts", viewer)
    assert resp.status_code == 200
    assert resp.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]
    # No page refers to anything off this server.
    assert not re.search(r"""(src|href)=["']https?://""", resp.text)


def test_a_new_password_is_forced_before_anything_else(site: Site) -> None:
    user, _password = site.auth.create_user("newcomer", analyst, actor="test")
    assert user.must_change_password
    session_id, _token = site.auth.create_session(user)
    cookie = {"Cookie": f"embargo_session={session_id}"}
    resp = site.client.get("/ui/alerts", headers=cookie)
    assert resp.status_code == 303 and resp.headers["location"] == "/ui/password?next=/ui/alerts"
    page = site.client.get("/ui/password", headers=cookie)
    assert page.status_code == 200 and "must choose a new password" in page.text
