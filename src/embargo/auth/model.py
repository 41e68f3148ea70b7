"""Who may do what: roles, users, API keys, and the errors of authentication.

Kept free of database imports so that the web UI, the API and the CLI can use these types
without loading the store.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from embargo.errors import QueryError


class AuthError(QueryError):
    """A user, role, password or key request is invalid (unknown user, short password, ...)."""


class Role(enum.StrEnum):
    """Ordered roles: each can do everything the roles below it can.

    ``viewer`` reads; ``analyst`` also manages customers and makes first decisions;
    ``reviewer`` also gives four-eyes second decisions and ends whitelist entries; ``admin``
    also manages users and keys and reloads the lists.
    """

    viewer = "viewer"
    analyst = "analyst"
    reviewer = "reviewer"
    admin = "admin"
    # Upper-case aliases (the same members), for code that spells constants that way.
    VIEWER = "viewer"
    ANALYST = "analyst"
    REVIEWER = "reviewer"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def parse(cls, value: str | Role) -> Role:
        if isinstance(value, Role):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise AuthError(
                f"role: unknown role {value!r}; use one of {', '.join(r.value for r in cls)}"
            ) from None

    # Comparison by rank, not by the alphabetical order of the string values.
    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Role):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Role):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Role):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Role):
            return NotImplemented
        return self.rank >= other.rank


_RANK = {Role.viewer: 0, Role.analyst: 1, Role.reviewer: 2, Role.admin: 3}


@dataclass(frozen=True)
class User:
    """A person (or, in ``--no-auth`` mode, the local operator) acting on Embargo."""

    id: int
    name: str
    role: Role
    active: bool
    must_change_password: bool

    def can(self, role: Role) -> bool:
        """Whether this user's role is at least ``role``."""
        return self.active and self.role >= role


@dataclass(frozen=True)
class UserInfo(User):
    """A user with the bookkeeping the listings show."""

    created_at: datetime
    updated_at: datetime
    last_login: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role.value,
            "active": self.active,
            "must_change_password": self.must_change_password,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "last_login": self.last_login.isoformat() if self.last_login else None,
        }


@dataclass(frozen=True)
class ApiKeyInfo:
    """An API key as stored: never the key itself, only its visible prefix."""

    id: int
    prefix: str
    user: str
    role: Role | None  # None: the owner's role, whatever it is at the time of use
    label: str
    rate_limit: int  # requests per minute
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used: datetime | None

    def active_at(self, now: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at

    def to_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "prefix": self.prefix,
            "user": self.user,
            "role": self.role.value if self.role else None,
            "label": self.label,
            "rate_limit": self.rate_limit,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "revoked_at": iso(self.revoked_at),
            "last_used": iso(self.last_used),
        }


@dataclass(frozen=True)
class KeyIdentity:
    """Who an API key acts as: the owner with the key's (possibly lower) role."""

    user: User
    key: ApiKeyInfo

    @property
    def actor(self) -> str:
        return f"{self.user.name} (key {self.key.prefix}…)"


# The user of ``embargo serve --no-auth``: every request acts as this local administrator.
LOCAL_USER = User(id=0, name="local", role=Role.admin, active=True, must_change_password=False)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
RESERVED_NAMES = frozenset({"local", "system"})
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


def check_user_name(name: str) -> str:
    name = name.strip()
    if not _NAME.match(name):
        raise AuthError(
            f"user name {name!r}: use 1-64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    if name.lower() in RESERVED_NAMES:
        raise AuthError(f"user name {name!r} is reserved")
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"password: must be at least {MIN_PASSWORD_LENGTH} characters long")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AuthError(f"password: must be at most {MAX_PASSWORD_LENGTH} characters long")
    return password
