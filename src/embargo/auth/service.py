"""``AuthService``: users, passwords, API keys, web sessions and login throttling, over the
store. Every change is written to the audit log with the acting party.

One service is shared by the API's threads; the database is the shared truth between
worker processes, and the service only caches verified API keys for a few seconds (so a
revoked or disabled key stops working within ``key_cache_seconds`` everywhere).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from embargo.auth import passwords
from embargo.auth.model import (
    ApiKeyInfo,
    AuthError,
    KeyIdentity,
    Role,
    User,
    UserInfo,
    check_password,
    check_user_name,
)
from embargo.auth.tables import auth_keys, auth_login_failures, auth_sessions, auth_users
from embargo.errors import NotFoundError, StoreError
from embargo.store import Store

KEY_PREFIX = "emb_"
KEY_VISIBLE = 12  # characters of a key kept to identify it: "emb_" and 8 of the random part
DEFAULT_RATE_LIMIT = 600  # requests per minute per key
MAX_RATE_LIMIT = 1_000_000
# Failed logins count towards the wait while each follows the last within this window.
FAILURE_WINDOW = timedelta(hours=1)


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes for timezone-aware columns; they were stored in UTC.
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _inserted_id(conn: Any, statement: Any) -> int:
    key = conn.execute(statement).inserted_primary_key
    assert key is not None
    return int(key[0])


def _user(row: Any) -> User:
    return User(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        active=bool(row.active),
        must_change_password=bool(row.must_change_password),
    )


def _user_info(row: Any) -> UserInfo:
    created = _aware(row.created_at)
    updated = _aware(row.updated_at)
    assert created is not None and updated is not None
    return UserInfo(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        active=bool(row.active),
        must_change_password=bool(row.must_change_password),
        created_at=created,
        updated_at=updated,
        last_login=_aware(row.last_login),
    )


def _key_info(row: Any, user_name: str) -> ApiKeyInfo:
    created = _aware(row.created_at)
    assert created is not None
    return ApiKeyInfo(
        id=row.id,
        prefix=row.prefix,
        user=user_name,
        role=Role(row.role) if row.role else None,
        label=row.label,
        rate_limit=row.rate_limit,
        created_at=created,
        expires_at=_aware(row.expires_at),
        revoked_at=_aware(row.revoked_at),
        last_used=_aware(row.last_used),
    )


class AuthService:
    """Users, keys and sessions in ``store``."""

    def __init__(
        self,
        store: Store,
        *,
        session_lifetime: timedelta = timedelta(hours=12),
        idle_timeout: timedelta = timedelta(minutes=30),
        key_cache_seconds: float = 2.0,
        max_failures: int = 5,
        lockout: timedelta = timedelta(seconds=30),
        max_lockout: timedelta = timedelta(minutes=15),
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.store = store
        self.session_lifetime = session_lifetime
        self.idle_timeout = idle_timeout
        self.key_cache_seconds = key_cache_seconds
        self.max_failures = max_failures
        self.lockout = lockout
        self.max_lockout = max_lockout
        self.clock = clock
        self._lock = threading.Lock()
        self._key_cache: dict[str, tuple[float, KeyIdentity]] = {}
        self._last_used_written: dict[int, float] = {}

    # -- users -------------------------------------------------------------------------------

    def _row(self, name: str) -> Any:
        with self.store.engine.connect() as conn:
            return conn.execute(select(auth_users).where(auth_users.c.name == name)).first()

    def get_user(self, name: str) -> UserInfo:
        row = self._row(name)
        if row is None:
            raise NotFoundError(f"no user named {name!r}")
        return _user_info(row)

    def count_users(self) -> int:
        with self.store.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(auth_users)).scalar_one())

    def list_users(self) -> list[UserInfo]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(auth_users).order_by(auth_users.c.name)).all()
        return [_user_info(row) for row in rows]

    def create_user(
        self,
        name: str,
        role: Role | str,
        password: str | None = None,
        *,
        actor: str,
        must_change_password: bool | None = None,
    ) -> tuple[User, str]:
        """Create a user; returns the user and the password (generated when none is given;
        a generated password must be changed at the first login)."""
        name = check_user_name(name)
        role = Role.parse(role)
        if password is None:
            password = passwords.generate_password()
            must_change = True if must_change_password is None else must_change_password
        else:
            check_password(password)
            must_change = bool(must_change_password)
        now = self.clock()
        try:
            with self.store.engine.begin() as conn:
                if conn.execute(select(auth_users.c.id).where(auth_users.c.name == name)).first():
                    raise AuthError(f"user {name!r} already exists")
                user_id = _inserted_id(
                    conn,
                    auth_users.insert().values(
                        name=name,
                        role=role.value,
                        password_hash=passwords.hash_password(password),
                        active=True,
                        must_change_password=must_change,
                        created_at=now,
                        updated_at=now,
                    ),
                )
                self._audit(
                    conn, "user.create", name, {"role": role.value}, actor=actor, user_id=user_id
                )
        except IntegrityError:
            raise AuthError(f"user {name!r} already exists") from None
        user = User(user_id, name, role, True, must_change)
        return user, password

    def ensure_admin(self, name: str = "admin", *, actor: str = "system") -> str | None:
        """On first start (no users at all): create ``name`` as an administrator with a
        one-time password, and return that password; None when users exist already."""
        if self.count_users():
            return None
        try:
            _, password = self.create_user(name, Role.admin, actor=actor)
        except AuthError:
            return None  # another process created it at the same moment
        return password

    def set_role(self, name: str, role: Role | str, *, actor: str) -> UserInfo:
        role = Role.parse(role)
        before = self.get_user(name)
        self._update_user(
            name,
            {"role": role.value},
            actor,
            "user.set_role",
            {"from": before.role.value, "to": role.value},
        )
        return self.get_user(name)

    def set_active(self, name: str, active: bool, *, actor: str) -> UserInfo:
        self.get_user(name)
        self._update_user(
            name, {"active": active}, actor, "user.enable" if active else "user.disable", {}
        )
        if not active:
            self._end_sessions_of(name)
        return self.get_user(name)

    def change_password(
        self,
        user_name: str,
        new_password: str,
        *,
        actor: str,
        must_change_password: bool = False,
    ) -> None:
        """Set a new password (and, by default, clear ``must_change_password``)."""
        check_password(new_password)
        self.get_user(user_name)
        self._update_user(
            user_name,
            {
                "password_hash": passwords.hash_password(new_password),
                "must_change_password": must_change_password,
            },
            actor,
            "user.password",
            {"must_change_password": must_change_password},
        )

    def reset_password(self, user_name: str, *, actor: str) -> str:
        """A new generated one-time password (to be changed at the next login)."""
        password = passwords.generate_password()
        self.change_password(user_name, password, actor=actor, must_change_password=True)
        return password

    def _update_user(
        self, name: str, values: dict[str, Any], actor: str, action: str, details: dict[str, Any]
    ) -> None:
        with self.store.engine.begin() as conn:
            result = conn.execute(
                update(auth_users)
                .where(auth_users.c.name == name)
                .values(**values, updated_at=self.clock())
            )
            if result.rowcount == 0:
                raise NotFoundError(f"no user named {name!r}")
            self._audit(conn, action, name, details, actor=actor)
        self._forget_keys()

    # -- passwords and login -----------------------------------------------------------------

    def retry_after(self, name: str) -> float:
        """Seconds before ``name`` may try to log in again (0: now)."""
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(auth_login_failures).where(auth_login_failures.c.name == name[:255])
            ).first()
        locked = _aware(row.locked_until) if row is not None else None
        if locked is None:
            return 0.0
        return max(0.0, (locked - self.clock()).total_seconds())

    def authenticate(self, name: str, password: str) -> User | None:
        """The user with this name and password, or None (wrong password, unknown or disabled
        user, or too many recent failures for this name). Audited either way."""
        name = (name or "").strip()[:255]
        if self.retry_after(name) > 0:
            self._login_failed(name, "too many failed attempts; try again later", count=False)
            return None
        row = self._row(name) if name else None
        stored = row.password_hash if row is not None else passwords.DUMMY_HASH
        matches = passwords.verify_password(password or "", stored)
        if row is None or not matches:
            self._login_failed(name, "unknown user" if row is None else "wrong password")
            return None
        if not row.active:
            self._login_failed(name, "user is disabled")
            return None
        now = self.clock()
        with self.store.engine.begin() as conn:
            values: dict[str, Any] = {"last_login": now}
            if passwords.needs_rehash(row.password_hash):
                values["password_hash"] = passwords.hash_password(password)
            conn.execute(update(auth_users).where(auth_users.c.id == row.id).values(**values))
            conn.execute(delete(auth_login_failures).where(auth_login_failures.c.name == name))
            self._audit(conn, "auth.login", name, {"method": "password"}, actor=name)
        return _user(row)

    def _login_failed(self, name: str, reason: str, *, count: bool = True) -> None:
        try:
            self._record_failure(name, reason, count)
        except IntegrityError:
            # Another worker counted a first failure for this name at the same moment.
            self._record_failure(name, reason, count)

    def _record_failure(self, name: str, reason: str, count: bool) -> None:
        now = self.clock()
        with self.store.engine.begin() as conn:
            if count:
                row = conn.execute(
                    select(auth_login_failures).where(auth_login_failures.c.name == name)
                ).first()
                failures = 1
                last = _aware(row.last_failure) if row is not None else None
                if row is not None and last is not None and now - last < FAILURE_WINDOW:
                    failures = row.failures + 1  # older failures are forgiven
                locked = None
                if failures >= self.max_failures:
                    # Doubling waits: 30 s after the fifth failure, a minute after the sixth...
                    factor = 2 ** min(failures - self.max_failures, 16)
                    locked = now + min(self.lockout * factor, self.max_lockout)
                values = {"failures": failures, "last_failure": now, "locked_until": locked}
                if row is None:
                    conn.execute(auth_login_failures.insert().values(name=name, **values))
                else:
                    conn.execute(
                        update(auth_login_failures)
                        .where(auth_login_failures.c.name == name)
                        .values(**values)
                    )
            self._audit(
                conn, "auth.login_failed", name or "-", {"reason": reason}, actor=name or "-"
            )

    # -- sessions ----------------------------------------------------------------------------

    def create_session(self, user: User) -> tuple[str, str]:
        """A new session for ``user``: (session id for the cookie, CSRF token)."""
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = self.clock()
        with self.store.engine.begin() as conn:
            conn.execute(
                auth_sessions.insert().values(
                    id_hash=_sha256(session_id),
                    user_id=user.id,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=now + self.session_lifetime,
                    last_seen=now,
                )
            )
            # Expired sessions of anyone are dropped here rather than by a separate job.
            conn.execute(delete(auth_sessions).where(auth_sessions.c.expires_at < now))
        return session_id, csrf

    def session(self, session_id: str | None) -> tuple[User, str] | None:
        """The user and CSRF token of a live session; None if unknown, expired, idle too
        long, or the user is disabled."""
        if not session_id or len(session_id) > 256:
            return None
        id_hash = _sha256(session_id)
        now = self.clock()
        query = (
            select(auth_sessions, auth_users)
            .join(auth_users, auth_users.c.id == auth_sessions.c.user_id)
            .where(auth_sessions.c.id_hash == id_hash)
        )
        with self.store.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        expires = _aware(row.expires_at)
        last_seen = _aware(row.last_seen)
        assert expires is not None and last_seen is not None
        if now >= expires or now - last_seen >= self.idle_timeout or not row.active:
            self.end_session(session_id)
            return None
        if now - last_seen > timedelta(seconds=60):
            # The idle clock only needs minute precision: spare a write per request.
            with self.store.engine.begin() as conn:
                conn.execute(
                    update(auth_sessions)
                    .where(auth_sessions.c.id_hash == id_hash)
                    .values(last_seen=now)
                )
        user = User(
            id=row.user_id,
            name=row.name,
            role=Role(row.role),
            active=bool(row.active),
            must_change_password=bool(row.must_change_password),
        )
        return user, str(row.csrf_token)

    def end_session(self, session_id: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(
                delete(auth_sessions).where(auth_sessions.c.id_hash == _sha256(session_id))
            )

    def _end_sessions_of(self, name: str) -> None:
        with self.store.engine.begin() as conn:
            user_id = select(auth_users.c.id).where(auth_users.c.name == name).scalar_subquery()
            conn.execute(delete(auth_sessions).where(auth_sessions.c.user_id == user_id))

    # -- API keys ----------------------------------------------------------------------------

    def create_key(
        self,
        user_name: str,
        *,
        role: Role | str | None = None,
        rate_limit: int = DEFAULT_RATE_LIMIT,
        expires_days: float | None = None,
        label: str | None = None,
        actor: str,
    ) -> tuple[ApiKeyInfo, str]:
        """A new API key for ``user_name``: its stored record and the key itself (shown once,
        never stored). ``role`` may only lower the owner's role."""
        owner = self.get_user(user_name)
        key_role = Role.parse(role) if role is not None else None
        if key_role is not None and key_role > owner.role:
            raise AuthError(
                f"role: a key of {owner.name} ({owner.role.value}) cannot have the higher "
                f"role {key_role.value}"
            )
        if not 1 <= rate_limit <= MAX_RATE_LIMIT:
            raise AuthError(f"rate limit: must be 1 to {MAX_RATE_LIMIT:,} requests per minute")
        if expires_days is not None and not 0 < expires_days <= 3650:
            raise AuthError("expires days: must be more than 0 and at most 3650")
        label = (label or "").strip()
        if len(label) > 200:
            raise AuthError("label: at most 200 characters")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        now = self.clock()
        expires = now + timedelta(days=expires_days) if expires_days is not None else None
        with self.store.engine.begin() as conn:
            key_id = _inserted_id(
                conn,
                auth_keys.insert().values(
                    user_id=owner.id,
                    prefix=key[:KEY_VISIBLE],
                    key_hash=_sha256(key),
                    role=key_role.value if key_role else None,
                    label=label,
                    rate_limit=rate_limit,
                    created_at=now,
                    created_by=actor,
                    expires_at=expires,
                ),
            )
            row = conn.execute(select(auth_keys).where(auth_keys.c.id == key_id)).one()
            self._audit(
                conn,
                "key.create",
                owner.name,
                {
                    "key_id": key_id,
                    "prefix": key[:KEY_VISIBLE],
                    "role": key_role.value if key_role else None,
                    "rate_limit": rate_limit,
                    "expires_at": expires.isoformat() if expires else None,
                    "label": label,
                },
                actor=actor,
            )
        return _key_info(row, owner.name), key

    def list_keys(self, user_name: str | None = None) -> list[ApiKeyInfo]:
        query = select(auth_keys, auth_users.c.name.label("owner")).join(
            auth_users, auth_users.c.id == auth_keys.c.user_id
        )
        if user_name is not None:
            self.get_user(user_name)
            query = query.where(auth_users.c.name == user_name)
        with self.store.engine.connect() as conn:
            rows = conn.execute(query.order_by(auth_keys.c.id)).all()
        return [_key_info(row, row.owner) for row in rows]

    def _find_key(self, prefix_or_id: str | int) -> ApiKeyInfo:
        text = str(prefix_or_id).strip()
        keys = self.list_keys()
        if text.isdigit():
            found = [k for k in keys if k.id == int(text)]
        else:
            if text.startswith(KEY_PREFIX) and len(text) > KEY_VISIBLE:
                text = text[:KEY_VISIBLE]  # the whole key was given: its prefix identifies it
            found = [k for k in keys if k.prefix == text] or [
                k for k in keys if k.prefix.startswith(text) and len(text) >= 6
            ]
        if not found:
            raise NotFoundError(f"no API key with id or prefix {prefix_or_id!r}")
        if len(found) > 1:
            raise AuthError(
                f"{prefix_or_id!r} matches {len(found)} keys; give the key id "
                f"({', '.join(str(k.id) for k in found)})"
            )
        return found[0]

    def revoke_key(self, prefix_or_id: str | int, *, actor: str) -> ApiKeyInfo:
        """Revoke a key by its id or visible prefix (``emb_ab12cd34``)."""
        key = self._find_key(prefix_or_id)
        if key.revoked_at is None:
            with self.store.engine.begin() as conn:
                conn.execute(
                    update(auth_keys)
                    .where(auth_keys.c.id == key.id)
                    .values(revoked_at=self.clock())
                )
                self._audit(
                    conn,
                    "key.revoke",
                    key.user,
                    {"key_id": key.id, "prefix": key.prefix},
                    actor=actor,
                )
        self._forget_keys()
        return self._find_key(key.id)

    def cached_key(self, key: str) -> KeyIdentity | None:
        """The identity of a key verified in the last ``key_cache_seconds``, without touching
        the database; None when it is not cached (call ``authenticate_key``)."""
        if not key.startswith(KEY_PREFIX) or len(key) > 200:
            return None
        with self._lock:
            cached = self._key_cache.get(_sha256(key))
        if cached is None or cached[0] <= time.monotonic():
            return None
        identity = cached[1]
        if identity.key.expires_at is not None and self.clock() >= identity.key.expires_at:
            return None
        return identity

    def authenticate_key(self, key: str) -> KeyIdentity | None:
        """Who a presented API key acts as; None for an unknown, revoked or expired key or a
        disabled owner."""
        if not key.startswith(KEY_PREFIX) or len(key) > 200:
            return None
        cached = self.cached_key(key)
        if cached is not None:
            return cached
        key_hash = _sha256(key)
        now_mono = time.monotonic()
        query = (
            select(
                auth_keys,
                auth_users.c.name.label("owner"),
                auth_users.c.role.label("owner_role"),
                auth_users.c.active,
                auth_users.c.must_change_password,
            )
            .join(auth_users, auth_users.c.id == auth_keys.c.user_id)
            .where(auth_keys.c.key_hash == key_hash)
        )
        with self.store.engine.connect() as conn:
            row = conn.execute(query).first()
        # The lookup is by hash; comparing the hashes again in constant time costs nothing and
        # keeps the decision itself free of early exits.
        if row is None or not hmac.compare_digest(row.key_hash, key_hash):
            return None
        info = _key_info(row, row.owner)
        if not row.active or not info.active_at(self.clock()):
            return None
        owner_role = Role(row.owner_role)
        # A key never acts above its owner's current role (the owner may have been demoted).
        role = min(owner_role, info.role) if info.role is not None else owner_role
        user = User(row.user_id, row.owner, role, True, bool(row.must_change_password))
        identity = KeyIdentity(user, info)
        with self._lock:
            if len(self._key_cache) > 10_000:
                self._key_cache.clear()
            self._key_cache[key_hash] = (now_mono + self.key_cache_seconds, identity)
        self._touch(info.id, now_mono)
        return identity

    def _touch(self, key_id: int, now_mono: float) -> None:
        # ``last_used`` to the minute: one write per key per minute, not one per request.
        with self._lock:
            last = self._last_used_written.get(key_id)
            if last is not None and now_mono - last < 60:
                return
            self._last_used_written[key_id] = now_mono
        try:
            with self.store.engine.begin() as conn:
                conn.execute(
                    update(auth_keys).where(auth_keys.c.id == key_id).values(last_used=self.clock())
                )
        except SQLAlchemyError:
            pass  # bookkeeping only: a busy database must not refuse the request

    def _forget_keys(self) -> None:
        with self._lock:
            self._key_cache.clear()

    # -- audit -------------------------------------------------------------------------------

    def _audit(
        self,
        conn: Any,
        action: str,
        subject: str,
        details: dict[str, Any],
        *,
        actor: str,
        user_id: int | None = None,
    ) -> None:
        from embargo.store import audit as auditlog

        try:
            auditlog.append(
                conn,
                actor=actor,
                action=action,
                subject_type="user",
                subject_id=subject,
                details=details,
            )
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot write the audit record of {action}: {exc}") from exc
