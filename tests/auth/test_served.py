"""Authentication on a real ``embargo serve`` process on 127.0.0.1: users and keys made with
the ``embargo users`` commands, a representative part of the authorisation matrix, the first
start's administrator, and ``--no-auth``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from embargo.auth import AuthService, Role
from embargo.auth.serve import is_loopback
from embargo.settings import Settings
from embargo.store import Store
from tests.api.conftest import Server, start_server
from tests.auth.conftest import COMPANY_QUERY, ROLES


def cli(
    settings: Settings, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EMBARGO_DATA_DIR": str(settings.data_dir)}
    env.pop("EMBARGO_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "embargo.cli", "--db", settings.db_url, *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def wait_up(server: Server, path: str = "/healthz", timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"the server exited:\n{server.log_text()}")
        try:
            if httpx.get(f"{server.url}{path}", timeout=10).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{path} did not answer 200 in time:\n{server.log_text()}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[Role, str]]]:
    """A server over a store with users but no lists: it starts in seconds (no index to
    build), and the screening routes answer 503 behind the gate, which is past authorisation
    all the same. The API suite (tests/api) screens for real through a key."""
    tmp = tmp_path_factory.mktemp("served")
    settings = Settings(data_dir=tmp / "data", database_url=f"sqlite:///{tmp / 'e.db'}")
    store = Store.open(settings.db_url)
    auth = AuthService(store)  # the commands themselves are tested in test_commands
    keys = {}
    for role in ROLES:
        auth.create_user(role.value, role, actor="test")
        keys[role] = auth.create_key(role.value, rate_limit=100_000, actor="test")[1]
    store.close()
    server = start_server(settings, tmp / "server.log")
    try:
        wait_up(server)
        yield server, keys
    finally:
        server.stop()


# (method, path, body, lowest role) for a representative part of the matrix: a read, a
# screening, each step of the workflow, and administration.
SAMPLE: list[tuple[str, str, dict | None, Role]] = [  # type: ignore[type-arg]
    ("GET", "/catalog", None, Role.viewer),
    ("POST", "/match/default", {"queries": {"q": COMPANY_QUERY}}, Role.viewer),
    ("POST", "/screen/text", {"text": "Wire to Acme Rocket Trading, Riga."}, Role.viewer),
    ("GET", "/alerts", None, Role.viewer),
    (
        "PUT",
        "/customers/S-{role}?screen=false",
        {"schema": "Company", "properties": {"name": ["Zeta Ltd"]}},
        Role.analyst,
    ),
    ("POST", "/alerts/999/decide", {"decision": "escalate", "reason": "x"}, Role.analyst),
    ("POST", "/alerts/999/confirm", {}, Role.reviewer),
    ("POST", "/whitelist/999/remove", {"reason": "x"}, Role.reviewer),
    ("POST", "/admin/refresh", None, Role.admin),
    ("GET", "/admin/users", None, Role.admin),
]


def test_served_matrix(served: tuple[Server, dict[Role, str]]) -> None:
    server, keys = served
    with httpx.Client(base_url=server.url, timeout=60) as client:
        assert client.get("/healthz").status_code == 200
        for method, path, body, required in SAMPLE:
            anon = client.request(method, path.format(role="anon"), json=body)
            assert anon.status_code == 401, (method, path, anon.text)
            assert anon.headers["www-authenticate"].startswith("Bearer")
            for role in ROLES:
                resp = client.request(
                    method,
                    path.format(role=role.value),
                    json=body,
                    headers={"Authorization": f"Bearer {keys[role]}"},
                )
                assert resp.status_code != 500, (method, path, role, resp.text)
                if role >= required:
                    assert resp.status_code not in (401, 403), (method, path, role, resp.text)
                else:
                    assert resp.status_code == 403, (method, path, role, resp.text)
        store = Store.open(server.settings.db_url)
        try:
            (record,) = store.audit_records(action="customer.create", subject_id="S-analyst")
            assert record.actor == "analyst"
            refresh = store.audit_records(action="admin.refresh")
            assert [r.actor for r in refresh] == [f"admin (key {keys[Role.admin][:12]}…)"]
            assert store.verify_audit().ok
        finally:
            store.close()


def test_a_key_revoked_with_the_cli_stops_working(served: tuple[Server, dict[Role, str]]) -> None:
    server, _ = served
    made = cli(server.settings, "users", "keys", "create", "viewer", "--label", "short-lived")
    key = made.stdout.strip()
    headers = {"X-API-Key": key}
    assert httpx.get(f"{server.url}/catalog", headers=headers, timeout=60).status_code == 200
    done = cli(server.settings, "users", "keys", "revoke", key[:12])
    assert done.returncode == 0 and "revoked" in done.stdout
    deadline = time.monotonic() + 10  # the server rechecks a cached key within seconds
    while httpx.get(f"{server.url}/catalog", headers=headers, timeout=60).status_code != 401:
        assert time.monotonic() < deadline, "the revoked key still works"
        time.sleep(0.25)


def _empty_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'e.db'}")


def test_first_start_creates_the_admin_with_a_one_time_password(tmp_path: Path) -> None:
    settings = _empty_settings(tmp_path)
    server = start_server(settings, tmp_path / "server.log")
    try:
        wait_up(server)
        log = server.log_text()
    finally:
        server.stop()
    assert "created user admin" in log, log
    password = log.split("one-time password", 1)[1].split()[0]
    store = Store.open(settings.db_url)
    try:
        auth = AuthService(store)
        user = auth.authenticate("admin", password)
        assert user is not None and user.role is Role.admin and user.must_change_password
        (record,) = store.audit_records(action="user.create")
        assert record.actor == "system:first-start" and password not in str(record.to_dict())
    finally:
        store.close()


def test_loopback_addresses() -> None:
    for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "LOCALHOST"):
        assert is_loopback(host), host
    for host in (
        "0.0.0.0",
        "::",
        "192.168.1.10",
        "10.0.0.1",
        "example.com",
        "",
        "127.0.0.1.nip.io",
    ):
        assert not is_loopback(host), host


def test_no_auth_refuses_a_public_address(tmp_path: Path) -> None:
    done = cli(_empty_settings(tmp_path), "serve", "--no-auth", "--host", "0.0.0.0")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "--no-auth" in done.stderr and "loopback" in done.stderr


def test_no_auth_serves_on_loopback_with_a_banner(tmp_path: Path) -> None:
    settings = _empty_settings(tmp_path)
    server = start_server(settings, tmp_path / "server.log", "--no-auth")
    try:
        wait_up(server)
        me = httpx.get(f"{server.url}/auth/me", timeout=60)
        assert me.status_code == 200 and me.json()["name"] == "local"
        assert httpx.get(f"{server.url}/catalog", timeout=60).status_code == 200
        log = server.log_text()
    finally:
        server.stop()
    assert "AUTHENTICATION IS OFF" in log and "created user admin" not in log
