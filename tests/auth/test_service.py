"""``AuthService`` over a real store, on SQLite and PostgreSQL: users, login throttling,
sessions, API keys, and the audit records of each change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from embargo.auth import AuthError, AuthService, Role
from embargo.auth.tables import auth_keys, auth_sessions, auth_users
from embargo.errors import NotFoundError, QueryError
from embargo.store import Store

PASSWORD = "a long enough password"


@pytest.fixture
def auth(store: Store) -> AuthService:
    return AuthService(store)


def test_roles_are_ordered_by_rank() -> None:
    assert Role.viewer < Role.analyst < Role.reviewer < Role.admin
    assert Role.reviewer >= Role.analyst and not Role.analyst >= Role.reviewer
    assert Role("admin") is Role.admin and Role.ADMIN is Role.admin
    assert max(Role.viewer, Role.admin, Role.analyst) is Role.admin
    with pytest.raises(AuthError, match="unknown role 'boss'"):
        Role.parse("boss")


def test_create_user_stores_only_a_hash(auth: AuthService, store: Store) -> None:
    user, password = auth.create_user("alice", "analyst", PASSWORD, actor="cli:ops")
    assert (user.name, user.role, user.active, user.must_change_password) == (
        "alice",
        Role.analyst,
        True,
        False,
    )
    assert password == PASSWORD
    with store.engine.connect() as conn:
        row = conn.execute(select(auth_users).where(auth_users.c.name == "alice")).one()
    assert PASSWORD not in str(tuple(row))
    assert row.password_hash.startswith("scrypt$n=16384,r=8,p=1$")
    (record,) = store.audit_records(action="user.create")
    assert (record.actor, record.subject_id, record.details) == (
        "cli:ops",
        "alice",
        {"role": "analyst"},
    )
    assert PASSWORD not in str(record.to_dict())


def test_generated_password_must_be_changed(auth: AuthService) -> None:
    user, password = auth.create_user("bob", Role.viewer, actor="t")
    assert user.must_change_password and len(password) >= 20
    logged_in = auth.authenticate("bob", password)
    assert logged_in is not None and logged_in.must_change_password
    auth.change_password("bob", "a brand new password", actor="bob")
    assert auth.authenticate("bob", password) is None
    again = auth.authenticate("bob", "a brand new password")
    assert again is not None and not again.must_change_password


@pytest.mark.parametrize(
    ("name", "role", "password", "message"),
    [
        ("", "viewer", PASSWORD, "user name"),
        ("has space", "viewer", PASSWORD, "user name"),
        ("local", "admin", PASSWORD, "reserved"),
        ("carol", "boss", PASSWORD, "unknown role"),
        ("carol", "viewer", "short", "at least 12"),
    ],
)
def test_bad_users_are_refused_with_the_reason(
    auth: AuthService, name: str, role: str, password: str, message: str
) -> None:
    with pytest.raises(QueryError, match=message):
        auth.create_user(name, role, password, actor="t")


def test_duplicate_names_and_unknown_users(auth: AuthService) -> None:
    auth.create_user("dave", "viewer", PASSWORD, actor="t")
    with pytest.raises(AuthError, match="already exists"):
        auth.create_user("dave", "admin", PASSWORD, actor="t")
    with pytest.raises(NotFoundError, match="no user named 'nobody'"):
        auth.set_role("nobody", "admin", actor="t")
    with pytest.raises(QueryError, match="at least 12"):
        auth.change_password("dave", "too short", actor="t")


def test_wrong_passwords_unknown_and_disabled_users(auth: AuthService, store: Store) -> None:
    auth.create_user("erin", "reviewer", PASSWORD, actor="t")
    assert auth.authenticate("erin", "wrong password here") is None
    assert auth.authenticate("nobody", PASSWORD) is None
    user = auth.authenticate("erin", PASSWORD)
    assert user is not None and user.role is Role.reviewer
    assert auth.get_user("erin").last_login is not None
    auth.set_active("erin", False, actor="admin")
    assert auth.authenticate("erin", PASSWORD) is None
    reasons = [r.details["reason"] for r in store.audit_records(action="auth.login_failed")]
    assert reasons == ["wrong password", "unknown user", "user is disabled"]
    assert [r.actor for r in store.audit_records(action="auth.login")] == ["erin"]
    assert [r.actor for r in store.audit_records(action="user.disable")] == ["admin"]


def test_login_throttling_after_five_failures(store: Store) -> None:
    now = [datetime(2026, 1, 1, 12, 0, tzinfo=UTC)]
    auth = AuthService(store, clock=lambda: now[0])
    auth.create_user("frank", "viewer", PASSWORD, actor="t")
    for _ in range(4):
        assert auth.authenticate("frank", "not the password") is None
    assert auth.retry_after("frank") == 0
    assert auth.authenticate("frank", "not the password") is None  # the fifth
    assert auth.retry_after("frank") == pytest.approx(30)
    # Even the right password is refused while the wait lasts, without being checked.
    assert auth.authenticate("frank", PASSWORD) is None
    assert (
        store.audit_records(action="auth.login_failed")[-1]
        .details["reason"]
        .startswith("too many failed attempts")
    )
    now[0] += timedelta(seconds=31)
    assert auth.authenticate("frank", "still not it") is None  # the sixth: a longer wait
    assert auth.retry_after("frank") == pytest.approx(60)
    now[0] += timedelta(seconds=61)
    assert auth.authenticate("frank", PASSWORD) is not None
    assert auth.retry_after("frank") == 0  # success clears the count
    assert auth.authenticate("frank", "wrong once more") is None
    assert auth.retry_after("frank") == 0
    # Failures far apart are forgiven: four now and one two hours later make no wait.
    for _ in range(3):
        assert auth.authenticate("frank", "wrong again") is None
    now[0] += timedelta(hours=2)
    assert auth.authenticate("frank", "wrong again") is None
    assert auth.retry_after("frank") == 0


def test_sessions_expire_idle_out_and_end(store: Store) -> None:
    now = [datetime(2026, 1, 1, 12, 0, tzinfo=UTC)]
    auth = AuthService(
        store,
        clock=lambda: now[0],
        session_lifetime=timedelta(hours=2),
        idle_timeout=timedelta(minutes=30),
    )
    user, _ = auth.create_user("gina", "analyst", PASSWORD, actor="t")
    session_id, csrf = auth.create_session(user)
    assert len(session_id) >= 40 and len(csrf) >= 40 and session_id != csrf
    with store.engine.connect() as conn:
        stored = conn.execute(select(auth_sessions)).one()
    assert stored.id_hash != session_id and session_id not in str(tuple(stored))
    found = auth.session(session_id)
    assert found is not None and found[0].name == "gina" and found[1] == csrf
    assert auth.session("made-up") is None
    # Active use keeps it alive past the idle timeout, up to the lifetime.
    for _ in range(3):
        now[0] += timedelta(minutes=25)
        assert auth.session(session_id) is not None
    now[0] += timedelta(minutes=50)  # 125 minutes after the start: past the lifetime
    assert auth.session(session_id) is None
    # Idle too long.
    second, _ = auth.create_session(user)
    now[0] += timedelta(minutes=31)
    assert auth.session(second) is None
    # Ended, and ended by disabling the user.
    third, _ = auth.create_session(user)
    auth.end_session(third)
    assert auth.session(third) is None
    fourth, _ = auth.create_session(user)
    auth.set_active("gina", False, actor="t")
    assert auth.session(fourth) is None


def test_role_changes_apply_to_live_sessions(auth: AuthService) -> None:
    user, _ = auth.create_user("hal", "viewer", PASSWORD, actor="t")
    session_id, _ = auth.create_session(user)
    auth.set_role("hal", "reviewer", actor="admin")
    found = auth.session(session_id)
    assert found is not None and found[0].role is Role.reviewer


def test_keys_are_stored_as_hashes_and_act_as_their_owner(auth: AuthService, store: Store) -> None:
    auth.create_user("ivy", "reviewer", PASSWORD, actor="t")
    info, key = auth.create_key("ivy", label="batch job", actor="cli:ops")
    assert key.startswith("emb_") and len(key) >= 40
    assert info.prefix == key[:12] and info.user == "ivy" and info.role is None
    assert info.rate_limit == 600
    with store.engine.connect() as conn:
        row = conn.execute(select(auth_keys)).one()
    assert key not in str(tuple(row)) and len(row.key_hash) == 64
    identity = auth.authenticate_key(key)
    assert identity is not None
    assert (identity.user.name, identity.user.role) == ("ivy", Role.reviewer)
    assert identity.actor == f"ivy (key {key[:12]}…)"
    assert auth.authenticate_key(key + "x") is None
    assert auth.authenticate_key("emb_" + "A" * 43) is None
    assert auth.authenticate_key("not a key") is None
    (record,) = store.audit_records(action="key.create")
    assert record.actor == "cli:ops" and key not in str(record.to_dict())
    assert auth.list_keys("ivy")[0].last_used is not None


def test_a_key_role_can_only_lower_the_owner_and_follows_demotion(auth: AuthService) -> None:
    auth.create_user("jack", "analyst", PASSWORD, actor="t")
    with pytest.raises(AuthError, match="cannot have the higher role admin"):
        auth.create_key("jack", role="admin", actor="t")
    _, viewer_key = auth.create_key("jack", role="viewer", actor="t")
    _, own_key = auth.create_key("jack", actor="t")
    assert auth.authenticate_key(viewer_key).user.role is Role.viewer  # type: ignore[union-attr]
    auth.set_role("jack", "viewer", actor="t")
    assert auth.authenticate_key(own_key).user.role is Role.viewer  # type: ignore[union-attr]
    auth.set_role("jack", "admin", actor="t")
    assert auth.authenticate_key(viewer_key).user.role is Role.viewer  # type: ignore[union-attr]
    auth.set_active("jack", False, actor="t")
    assert auth.authenticate_key(own_key) is None


def test_revoked_and_expired_keys_stop_working(store: Store) -> None:
    now = [datetime(2026, 1, 1, 12, 0, tzinfo=UTC)]
    auth = AuthService(store, clock=lambda: now[0])
    auth.create_user("kim", "viewer", PASSWORD, actor="t")
    revoked, key1 = auth.create_key("kim", actor="t")
    expiring, key2 = auth.create_key("kim", expires_days=1, actor="t")
    assert expiring.expires_at == now[0] + timedelta(days=1)
    assert auth.authenticate_key(key1) and auth.authenticate_key(key2)
    done = auth.revoke_key(revoked.prefix, actor="admin")
    assert done.revoked_at is not None
    assert auth.authenticate_key(key1) is None  # at once in this process (cache dropped)
    now[0] += timedelta(days=1, seconds=1)
    assert auth.authenticate_key(key2) is None
    # Revoking by id, and again (no second record), and an unknown key.
    auth.revoke_key(str(expiring.id), actor="admin")
    auth.revoke_key(str(expiring.id), actor="admin")
    assert len(store.audit_records(action="key.revoke")) == 2
    with pytest.raises(NotFoundError):
        auth.revoke_key("emb_nothere", actor="admin")


def test_key_options_are_checked(auth: AuthService) -> None:
    auth.create_user("lee", "viewer", PASSWORD, actor="t")
    with pytest.raises(AuthError, match="rate limit"):
        auth.create_key("lee", rate_limit=0, actor="t")
    with pytest.raises(AuthError, match="expires days"):
        auth.create_key("lee", expires_days=-1, actor="t")
    with pytest.raises(NotFoundError):
        auth.create_key("nobody", actor="t")


def test_first_start_creates_one_admin(auth: AuthService, store: Store) -> None:
    password = auth.ensure_admin()
    assert password is not None
    admin = auth.get_user("admin")
    assert admin.role is Role.admin and admin.must_change_password
    assert auth.ensure_admin() is None  # users exist: nothing more
    assert auth.authenticate("admin", password) is not None


def test_cached_keys_are_rechecked_after_a_few_seconds(store: Store) -> None:
    # Another process (the CLI) revokes the key: this one notices when its cache lapses.
    auth = AuthService(store, key_cache_seconds=0.0)
    other = AuthService(store)
    auth.create_user("mo", "viewer", PASSWORD, actor="t")
    info, key = auth.create_key("mo", actor="t")
    assert auth.authenticate_key(key) is not None
    other.revoke_key(info.id, actor="t")
    assert auth.authenticate_key(key) is None
    with store.engine.begin() as conn:  # and the database is the truth: un-revoke
        conn.execute(update(auth_keys).values(revoked_at=None))
    assert auth.authenticate_key(key) is not None
