"""The enforcement in process (``TestClient`` on the real app over a real store): every route
of the API against every role, credentials, CSRF, rate limits, no-auth mode, and the audit
log's record of who did what."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from embargo.api import create_app
from embargo.auth import ROUTE_ROLES, AuthService, Role
from embargo.auth.deps import SESSION_COOKIE
from embargo.auth.middleware import app_routes
from embargo.auth.roles import is_ui_path
from embargo.auth.tables import auth_sessions
from embargo.screening import Screener
from embargo.settings import Settings
from embargo.store import Store
from embargo.update import load_path
from tests.auth.conftest import COMPANY_QUERY, PASSWORD, ROLES, People, make_people

PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/docs"),
    ("GET", "/openapi.json"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
}


@pytest.fixture
def sqlite_store(tmp_path: Path, companies_file: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'auth.db'}")
    load_path(s, companies_file, Settings(data_dir=tmp_path / "data"))  # the workflow needs it
    yield s
    s.close()


@pytest.fixture
def people(sqlite_store: Store) -> People:
    return make_people(AuthService(sqlite_store))


@pytest.fixture
def app(company_screener: Screener, sqlite_store: Store, people: People) -> FastAPI:
    return create_app(screener=company_screener, store=sqlite_store, auth=True)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def test_every_route_has_a_declared_role(app: FastAPI) -> None:
    routes = [(m, p) for m, p in app_routes(app) if not is_ui_path(m, p)]
    assert len(routes) >= 30
    missing = [r for r in routes if r not in ROUTE_ROLES]
    assert not missing, f"routes without a role in ROUTE_ROLES: {missing}"
    public = {r for r in routes if ROUTE_ROLES[r] is None}
    assert public <= PUBLIC
    # And the table names no route the app does not have (a typo would leave one open).
    stale = set(ROUTE_ROLES) - set(routes)
    assert not stale, stale


def test_a_route_missing_from_the_table_is_refused(
    company_screener: Screener, sqlite_store: Store, people: People
) -> None:
    app = create_app(screener=company_screener, store=sqlite_store, auth=True)

    @app.get("/undeclared")
    def undeclared() -> dict[str, str]:
        return {"secret": "yes"}

    with TestClient(app) as client:
        assert client.get("/undeclared").status_code == 401
        resp = client.get("/undeclared", headers=people.headers(Role.admin))
        assert resp.status_code == 403 and "no declared role" in resp.json()["detail"]
        # An unknown path is still a 404 for a signed-in caller, and a 401 for others.
        assert client.get("/nothing-here", headers=people.headers(Role.admin)).status_code == 404
        assert client.get("/nothing-here").status_code == 401


def _fill(template: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "1"), template)


def _request(role: Role | None, method: str, template: str, ids: dict[str, str]) -> dict[str, Any]:
    """Arguments for a call of the route that gets past validation where it can."""
    tag = role.value if role else "anon"
    path = _fill(template, ids)
    kwargs: dict[str, Any] = {}
    if template == "/match/{dataset}":
        kwargs["json"] = {"queries": {"q": COMPANY_QUERY}}
    elif template == "/screen/text":
        # Past the gate, and refused by validation: a real text would load the person-name
        # tagger (seconds) in this process; the served test screens real text.
        kwargs["json"] = {"text": ""}
    elif template == "/search/{dataset}":
        kwargs["params"] = {"schema": "Company"}  # no q: a text query loads the name tagger
    elif template == "/customers/import":
        kwargs["content"] = f"ref,name\nIMP-{tag},Someone Unlisted\n".encode()
        kwargs["params"] = {
            "ref_column": "ref",
            "filename": "book.csv",
            "screen": "false",
            "schema": "Company",  # a person's name would load the name tagger (seconds)
        }
    elif method == "PUT" and template == "/customers/{ref}":
        path = f"/customers/NEW-{tag}"
        kwargs["json"] = {"schema": "Company", "properties": {"name": ["Unlisted Widgets"]}}
        kwargs["params"] = {"screen": "false"}
    elif template.endswith("/assign"):
        kwargs["json"] = {"assignee": "reviewer"}
    elif template.endswith("/decide"):
        kwargs["json"] = {"decision": "escalate", "reason": f"checked by {tag}"}
    elif template.endswith(("/reject", "/remove")):
        kwargs["json"] = {"reason": "not right"}
    elif template.endswith("/confirm"):
        kwargs["json"] = {}
    elif method == "POST" and template == "/admin/users":
        kwargs["json"] = {"name": f"made-by-{tag}", "role": "viewer"}
    elif method == "PATCH":
        kwargs["json"] = {"role": "analyst"}
    elif template == "/admin/users/{name}/keys":
        kwargs["json"] = {"label": f"by {tag}"}
    return {"method": method, "url": path, **kwargs}


def test_authorisation_matrix(client: TestClient, people: People) -> None:
    """Every route of the app, without credentials and as each role: exactly the roles the
    table allows get past authorisation, the others get 403, nobody gets a 500."""
    admin = people.headers(Role.admin)
    put = client.put(
        "/customers/C1",
        json={"schema": "Company", "properties": {"name": ["Acme Rocket Trading"]}},
        headers=admin,
    )
    assert put.status_code == 200, put.text
    alert_id = client.get("/alerts", params={"customer": "C1"}, headers=admin).json()["results"]
    ids = {
        "dataset": "default",
        "entity_id": "gamma-0",
        "ref": "C1",
        "alert_id": str(alert_id[0]["id"]),
        "entry_id": "999",
        "name": "target",
        "key": "999",
    }
    routes = [(m, p) for m, p in app_routes(client.app) if not is_ui_path(m, p)]  # type: ignore[arg-type]
    seen: dict[tuple[str, str], dict[str, int]] = {}
    for method, template in routes:
        required = ROUTE_ROLES[(method, template)]
        statuses = {}
        anon = client.request(**_request(None, method, template, ids))
        statuses["anon"] = anon.status_code
        if required is None:
            assert anon.status_code not in (401, 403, 500), (method, template, anon.text)
            continue
        assert anon.status_code == 401, (method, template, anon.status_code, anon.text)
        assert anon.headers["www-authenticate"].startswith("Bearer")
        for role in ROLES:
            resp = client.request(
                **_request(role, method, template, ids), headers=people.headers(role)
            )
            statuses[role.value] = resp.status_code
            assert resp.status_code != 500, (method, template, role, resp.text)
            assert resp.headers["content-type"].startswith("application/json"), resp.text
            if role >= required:
                assert resp.status_code not in (401, 403), (method, template, role, resp.text)
            else:
                assert resp.status_code == 403, (method, template, role, resp.text)
                assert required.value in resp.json()["detail"]
        seen[(method, template)] = statuses
    # The calls did real work, not just pass the gate: spot checks.
    assert seen[("POST", "/match/{dataset}")]["viewer"] == 200
    assert seen[("PUT", "/customers/{ref}")]["analyst"] == 200
    assert seen[("POST", "/alerts/{alert_id}/decide")]["analyst"] == 200
    assert seen[("POST", "/admin/users")]["admin"] == 200
    assert seen[("GET", "/admin/users")]["admin"] == 200


def test_unknown_revoked_and_malformed_credentials_are_401(
    client: TestClient, people: People
) -> None:
    cases = [
        {"Authorization": "Bearer emb_" + "x" * 43},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"X-API-Key": "not-a-key"},
        {"Cookie": f"{SESSION_COOKIE}=made-up"},
    ]
    for headers in cases:
        resp = client.get("/catalog", headers=headers)
        assert resp.status_code == 401, (headers, resp.text)
        assert resp.headers["www-authenticate"].startswith("Bearer")
        assert resp.json()["detail"]
    key = people.keys[Role.viewer]
    assert client.get("/catalog", headers={"X-API-Key": key}).status_code == 200
    # Revoked through the app's own service (another process's revocation is seen within
    # the service's few seconds of key caching: see test_service).
    client.app.state.auth.revoke_key(key[:12], actor="test")  # type: ignore[attr-defined]
    resp = client.get("/catalog", headers={"X-API-Key": key})
    assert resp.status_code == 401 and "revoked" in resp.json()["detail"]


def test_rate_limit_answers_429_with_retry_after(client: TestClient, people: People) -> None:
    _, key = people.auth.create_key("viewer", rate_limit=3, actor="test")
    headers = {"X-API-Key": key}
    assert [client.get("/catalog", headers=headers).status_code for _ in range(3)] == [200] * 3
    resp = client.get("/catalog", headers=headers)
    assert resp.status_code == 429
    assert int(resp.headers["retry-after"]) >= 1 and "3/minute" in resp.json()["detail"]
    # Another key of the same user has its own bucket.
    assert client.get("/catalog", headers=people.headers(Role.viewer)).status_code == 200


def _sign_in(client: TestClient, auth: AuthService, name: str) -> str:
    user = auth.authenticate(name, PASSWORD)
    assert user is not None
    session_id, csrf = auth.create_session(user)
    client.cookies.set(SESSION_COOKIE, session_id)
    return csrf


def test_session_cookie_and_csrf(client: TestClient, people: People, sqlite_store: Store) -> None:
    csrf = _sign_in(client, people.auth, "analyst")
    me = client.get("/auth/me")
    assert (
        me.status_code == 200 and me.json()["name"] == "analyst" and me.json()["via"] == "session"
    )
    body = {"schema": "Company", "properties": {"name": ["Unlisted Widgets"]}}
    params = {"screen": "false"}
    missing = client.put("/customers/S1", json=body, params=params)
    assert missing.status_code == 403 and "CSRF" in missing.json()["detail"]
    wrong = client.put("/customers/S1", json=body, params=params, headers={"X-CSRF-Token": "x"})
    assert wrong.status_code == 403
    right = client.put("/customers/S1", json=body, params=params, headers={"X-CSRF-Token": csrf})
    assert right.status_code == 200, right.text
    # A form post carries the token as a field; the route then sees the body intact.
    form = client.post(
        "/alerts/999/decide",
        data={"csrf_token": csrf, "decision": "escalate", "reason": "x"},
    )
    assert form.status_code not in (401, 403), form.text
    bad_form = client.post("/alerts/999/decide", data={"csrf_token": "nope"})
    assert bad_form.status_code == 403
    # The role still applies to a session.
    confirm = client.post("/alerts/1/confirm", json={}, headers={"X-CSRF-Token": csrf})
    assert confirm.status_code == 403 and "reviewer" in confirm.json()["detail"]
    # An API key needs no CSRF token, even with a session cookie beside it.
    keyed = client.put(
        "/customers/S2", json=body, params=params, headers=people.headers(Role.analyst)
    )
    assert keyed.status_code == 200
    (record,) = sqlite_store.audit_records(action="customer.create", subject_id="S1")
    assert record.actor == "analyst"


def test_expired_session_is_401(client: TestClient, people: People, sqlite_store: Store) -> None:
    _sign_in(client, people.auth, "viewer")
    assert client.get("/alerts").status_code == 200
    with sqlite_store.engine.begin() as conn:
        conn.execute(update(auth_sessions).values(expires_at=datetime.now(UTC) - timedelta(1)))
    resp = client.get("/alerts")
    assert resp.status_code == 401 and "expired" in resp.json()["detail"]


def test_a_session_that_must_change_its_password_is_refused(
    client: TestClient, people: People
) -> None:
    _, password = people.auth.create_user("newbie", Role.analyst, actor="test")
    user = people.auth.authenticate("newbie", password)
    assert user is not None and user.must_change_password
    session_id, _ = people.auth.create_session(user)
    client.cookies.set(SESSION_COOKIE, session_id)
    resp = client.get("/alerts")
    assert resp.status_code == 403 and "change your password" in resp.json()["detail"]


def test_the_user_header_is_not_trusted(
    client: TestClient, people: People, sqlite_store: Store
) -> None:
    resp = client.put(
        "/customers/H1",
        json={"schema": "Company", "properties": {"name": ["Unlisted Widgets"]}},
        params={"screen": "false"},
        headers={**people.headers(Role.analyst), "X-Embargo-User": "someone-else"},
    )
    assert resp.status_code == 200
    (record,) = sqlite_store.audit_records(action="customer.create", subject_id="H1")
    assert record.actor == "analyst"
    # Without credentials the header alone gets nowhere.
    alone = client.get("/alerts", headers={"X-Embargo-User": "admin"})
    assert alone.status_code == 401


def test_four_eyes_compares_people_not_keys(client: TestClient, people: People) -> None:
    """A reviewer deciding with one key and confirming with another is still one person."""
    admin = people.headers(Role.admin)
    client.put(
        "/customers/F1",
        json={"schema": "Company", "properties": {"name": ["Globex Shipping"]}},
        headers=admin,
    )
    (alert,) = client.get("/alerts", params={"customer": "F1"}, headers=admin).json()["results"]
    first = client.post(
        f"/alerts/{alert['id']}/decide",
        json={"decision": "true_match", "reason": "same company"},
        headers=people.headers(Role.reviewer),
    )
    assert first.status_code == 200, first.text
    _, second_key = people.auth.create_key("reviewer", actor="test")
    again = client.post(
        f"/alerts/{alert['id']}/confirm", json={}, headers={"X-API-Key": second_key}
    )
    assert again.status_code == 409, again.text
    other = client.post(f"/alerts/{alert['id']}/confirm", json={}, headers=admin)
    assert other.status_code == 200, other.text


def test_user_and_key_management_over_http(
    client: TestClient, people: People, sqlite_store: Store
) -> None:
    admin = people.headers(Role.admin)
    made = client.post("/admin/users", json={"name": "nina", "role": "analyst"}, headers=admin)
    assert made.status_code == 200, made.text
    assert made.json()["user"]["must_change_password"] and len(made.json()["password"]) >= 20
    dup = client.post("/admin/users", json={"name": "nina", "role": "viewer"}, headers=admin)
    assert dup.status_code == 400 and "already exists" in dup.json()["detail"]
    bad = client.post("/admin/users", json={"name": "x", "role": "boss"}, headers=admin)
    assert bad.status_code == 422 and "role" in bad.json()["detail"]
    key = client.post(
        "/admin/users/nina/keys", json={"role": "viewer", "rate_limit": 60}, headers=admin
    )
    assert key.status_code == 200 and key.json()["key"].startswith("emb_")
    nina = {"X-API-Key": key.json()["key"]}
    assert client.get("/auth/me", headers=nina).json()["role"] == "viewer"
    listed = client.get("/admin/keys", params={"user": "nina"}, headers=admin).json()["keys"]
    assert [k["prefix"] for k in listed] == [key.json()["prefix"]]
    assert "key" not in listed[0]
    changed = client.patch("/admin/users/nina", json={"active": False}, headers=admin)
    assert changed.status_code == 200 and changed.json()["user"]["active"] is False
    assert client.get("/auth/me", headers=nina).status_code == 401
    revoked = client.post(f"/admin/keys/{key.json()['prefix']}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert (
        client.patch("/admin/users/ghost", json={"active": True}, headers=admin).status_code == 404
    )
    actions = {(r.action, r.actor) for r in sqlite_store.audit_records()}
    admin_actor = f"admin (key {people.keys[Role.admin][:12]}…)"
    for action in ("user.create", "key.create", "user.disable", "key.revoke"):
        assert (action, admin_actor) in actions, action


def test_every_write_is_audited_with_the_user(
    client: TestClient, people: People, sqlite_store: Store
) -> None:
    admin = people.headers(Role.admin)
    analyst = people.headers(Role.analyst)
    client.post("/match/default", json={"queries": {"q": COMPANY_QUERY}}, headers=analyst)
    client.put(
        "/customers/W1",
        json={"schema": "Company", "properties": {"name": ["Acme Rocket Trading"]}},
        headers=analyst,
    )
    client.post("/admin/refresh", headers=admin)
    by_action = {r.action: r.actor for r in sqlite_store.audit_records()}
    analyst_actor = f"analyst (key {people.keys[Role.analyst][:12]}…)"
    assert by_action["screen"] == analyst_actor  # screenings carry the key used
    assert by_action["customer.create"] == "analyst"  # workflow actions, the person
    assert by_action["admin.refresh"] == f"admin (key {people.keys[Role.admin][:12]}…)"
    assert sqlite_store.verify_audit().ok


def test_no_auth_mode_acts_as_the_local_admin(
    company_screener: Screener, sqlite_store: Store
) -> None:
    app = create_app(screener=company_screener, store=sqlite_store, auth=False)
    assert app.state.auth is None
    with TestClient(app) as client:
        me = client.get("/auth/me").json()
        assert (me["name"], me["role"], me["via"]) == ("local", "admin", "local")
        put = client.put(
            "/customers/L1",
            json={"schema": "Company", "properties": {"name": ["Unlisted Widgets"]}},
            params={"screen": "false"},
        )
        assert put.status_code == 200
        # A page of another web site cannot drive the API through the local user's browser.
        foreign = client.post(
            "/admin/refresh", headers={"Origin": "https://evil.example", "Host": "testserver"}
        )
        assert foreign.status_code == 403 and "cross-origin" in foreign.json()["detail"]
        same = client.post("/admin/refresh", headers={"Origin": "http://testserver"})
        assert same.status_code == 200
        users = client.get("/admin/users")
        assert users.status_code == 503 and "--no-auth" in users.json()["detail"]
    (record,) = sqlite_store.audit_records(action="customer.create")
    assert record.actor == "local"


def test_auth_needs_a_store(company_screener: Screener) -> None:
    from embargo.errors import ConfigError

    with pytest.raises(ConfigError, match="needs a store"):
        create_app(screener=company_screener, auth=True)


def test_environment_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    from embargo.api.app import auth_from_env
    from embargo.errors import ConfigError

    monkeypatch.delenv("EMBARGO_AUTH", raising=False)
    assert auth_from_env() is True
    monkeypatch.setenv("EMBARGO_AUTH", "off")
    assert auth_from_env() is False
    monkeypatch.setenv("EMBARGO_AUTH", "maybe")
    with pytest.raises(ConfigError, match="EMBARGO_AUTH"):
        auth_from_env()


def test_openapi_declares_the_key(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    assert {"apiKey": []} in spec["security"]
