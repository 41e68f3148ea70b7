"""``embargo users``: users, roles and keys from the command line, audited, exit code 2 with a
message on errors. Run in process (``CliRunner``) against a real store on both backends."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner, Result

from embargo.auth import AuthService, Role
from embargo.cli import main
from embargo.store import Store

PASSWORD = "a long enough password"


@pytest.fixture
def run(store_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> object:
    monkeypatch.setenv("EMBARGO_DATA_DIR", str(tmp_path))
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return runner.invoke(main, ["--db", store_url, "users", *args], input=stdin)

    return invoke


def test_create_list_and_change_users(run, store_url: str) -> None:  # type: ignore[no-untyped-def]
    made = run("create", "alice", "--role", "analyst")
    assert made.exit_code == 0, made.output
    password = made.output.split("login): ", 1)[1].strip()
    assert len(password) >= 20
    given = run("create", "bob", "--role", "reviewer", "--password-stdin", stdin=PASSWORD + "\n")
    assert given.exit_code == 0 and "one-time" not in given.output
    listed = run("list", "--json")
    users = {u["name"]: u for u in json.loads(listed.output)}
    assert users["alice"]["role"] == "analyst" and users["alice"]["must_change_password"]
    assert users["bob"]["role"] == "reviewer" and not users["bob"]["must_change_password"]
    assert "alice" in run("list").output
    assert run("set-role", "alice", "admin").exit_code == 0
    assert run("disable", "bob").exit_code == 0
    store = Store.open(store_url)
    try:
        auth = AuthService(store)
        assert auth.get_user("alice").role is Role.admin
        assert auth.authenticate("bob", PASSWORD) is None  # disabled
        assert run("enable", "bob").exit_code == 0
        assert auth.authenticate("bob", PASSWORD) is not None
        assert auth.authenticate("alice", password) is not None
        changed = run("passwd", "alice", "--password-stdin", stdin="another long password\n")
        assert changed.exit_code == 0, changed.output
        assert auth.authenticate("alice", "another long password") is not None
        reset = run("passwd", "bob")
        one_time = reset.output.rsplit(": ", 1)[1].strip()
        user = auth.authenticate("bob", one_time)
        assert user is not None and user.must_change_password
        actions = [r.action for r in store.audit_records() if r.actor.startswith("cli:")]
        assert actions[:2] == ["user.create", "user.create"]
        assert {"user.set_role", "user.disable", "user.enable", "user.password"} <= set(actions)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("create", "carol", "--role", "boss"), None, "'boss' is not one of"),
        (("create", "carol", "--role", "viewer", "--password-stdin"), "short\n", "at least 12"),
        (("create", "local", "--role", "viewer"), None, "reserved"),
        (("set-role", "nobody", "admin"), None, "no user named 'nobody'"),
        (("disable", "nobody"), None, "no user named"),
        (("passwd", "nobody"), None, "no user named"),
        (("keys", "create", "nobody"), None, "no user named"),
        (("keys", "revoke", "emb_nothing"), None, "no API key"),
    ],
)
def test_errors_exit_2_with_a_message(run, args, stdin, message) -> None:  # type: ignore[no-untyped-def]
    done = run(*args, stdin=stdin)
    assert done.exit_code == 2, done.output
    assert message in done.output


def test_duplicate_user_exits_2(run) -> None:  # type: ignore[no-untyped-def]
    assert run("create", "dan", "--role", "viewer").exit_code == 0
    dup = run("create", "dan", "--role", "admin")
    assert dup.exit_code == 2 and "already exists" in dup.output


def test_keys(run, store_url: str) -> None:  # type: ignore[no-untyped-def]
    assert run("create", "erin", "--role", "reviewer").exit_code == 0
    made = run(
        "keys", "create", "erin", "--role", "viewer", "--rate-limit", "30",
        "--expires-days", "7", "--label", "nightly batch",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    key = made.output.splitlines()[0].strip()
    assert key.startswith("emb_") and len(key) > 40
    too_high = run("keys", "create", "erin", "--role", "admin")
    assert too_high.exit_code == 2 and "higher role" in too_high.output
    as_json = json.loads(run("keys", "create", "erin", "--json").output)
    assert as_json["key"].startswith("emb_") and as_json["role"] is None
    listed = json.loads(run("keys", "list", "erin", "--json").output)
    assert [k["label"] for k in listed] == ["nightly batch", ""]
    assert (
        listed[0]["rate_limit"] == 30 and listed[0]["expires_at"] and listed[0]["role"] == "viewer"
    )
    assert key not in run("keys", "list").output  # only the prefix is ever shown again
    assert key[:12] in run("keys", "list").output
    store = Store.open(store_url)
    try:
        auth = AuthService(store, key_cache_seconds=0)
        identity = auth.authenticate_key(key)
        assert identity is not None and identity.user.role is Role.viewer
        revoked = run("keys", "revoke", key[:12])
        assert revoked.exit_code == 0 and "revoked" in revoked.output
        assert auth.authenticate_key(key) is None
        by_id = run("keys", "revoke", str(as_json["id"]))
        assert by_id.exit_code == 0
        assert auth.authenticate_key(as_json["key"]) is None
        records = store.audit_records(action="key.revoke")
        assert len(records) == 2 and all(r.actor.startswith("cli:") for r in records)
    finally:
        store.close()
