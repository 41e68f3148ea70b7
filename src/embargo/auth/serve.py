"""What ``embargo serve`` does about authentication before it starts listening."""

from __future__ import annotations

import ipaddress
from typing import Any

from embargo.errors import ConfigError
from embargo.store import Store


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def prepare_auth(store: Store, *, host: str, enabled: bool, console: Any) -> str | None:
    """Refuse ``--no-auth`` off the loopback interface; say that authentication is off; on
    first start with authentication, create the ``admin`` user and print its one-time
    password (returned too)."""
    if not enabled:
        if not is_loopback(host):
            raise ConfigError(
                f"--no-auth serves without authentication and is only allowed on a loopback "
                f"address (127.0.0.1, ::1, localhost), not --host {host}"
            )
        console.print(
            "[bold yellow]AUTHENTICATION IS OFF[/] (--no-auth): every request acts as the "
            f"local administrator 'local'; listening on {host} only.",
            highlight=False,
        )
        return None
    from embargo.auth.service import AuthService

    password = AuthService(store).ensure_admin(actor="system:first-start")
    if password is not None:
        console.print(
            "[bold]First start:[/] created user [bold]admin[/] (role admin) with the one-time "
            f"password [bold]{password}[/]\nIt is shown only now. Sign in to the web UI to set "
            "a new one, or run `embargo users passwd admin`; create API keys with "
            "`embargo users keys create NAME`.",
            highlight=False,
        )
    return password
