"""Authentication and authorisation: users with ordered roles, API keys, web sessions.

``from embargo.auth import AuthService, Role, User``. ``AuthService`` is loaded on first use:
``embargo.store`` imports ``embargo.auth.tables`` so that ``Store.open`` creates the tables,
and the service must not be imported while the store package itself is still loading.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from embargo.auth.model import (
    LOCAL_USER,
    ApiKeyInfo,
    AuthError,
    KeyIdentity,
    Role,
    User,
    UserInfo,
)

if TYPE_CHECKING:
    from embargo.auth.roles import ROUTE_ROLES
    from embargo.auth.service import AuthService

_LAZY = {"AuthService": "embargo.auth.service", "ROUTE_ROLES": "embargo.auth.roles"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'embargo.auth' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "LOCAL_USER",
    "ROUTE_ROLES",
    "ApiKeyInfo",
    "AuthError",
    "AuthService",
    "KeyIdentity",
    "Role",
    "User",
    "UserInfo",
]
