"""``embargo users``: users, roles and API keys, from the command line.

Registered in ``embargo.cli`` with ``main.add_command(users)``; takes the shared context
(``--db``). Every change is audited with the operating-system user as the actor. Exit code
2 with a message for any error (unknown user, bad role, duplicate name, short password).
"""

from __future__ import annotations

import functools
import json
import sys
from typing import TYPE_CHECKING, Any

import click

from embargo.auth.model import Role
from embargo.cli_support import exit_on_error, pass_root_context

if TYPE_CHECKING:
    from embargo.auth.service import AuthService
    from embargo.cli import Context

ROLES = click.Choice([r.value for r in Role], case_sensitive=False)


def _pass_ctx(f: Any) -> Any:
    """The ``embargo`` group's context, with any Embargo error turned into exit code 2."""

    @pass_root_context
    @functools.wraps(f)
    def wrapper(obj: Context, *args: Any, **kwargs: Any) -> Any:
        with exit_on_error():
            return f(obj, *args, **kwargs)

    return wrapper


def _service(obj: Context) -> AuthService:
    from embargo.auth.service import AuthService

    return AuthService(obj.store)


def _actor() -> str:
    from embargo.cli import cli_actor

    return cli_actor()


def _read_password() -> str:
    return sys.stdin.readline().rstrip("\r\n")


def _emit(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@click.group("users")
def users() -> None:
    """Users, roles (viewer < analyst < reviewer < admin) and API keys of the HTTP API."""


@users.command("create")
@click.argument("name")
@click.option("--role", type=ROLES, required=True, help="viewer, analyst, reviewer or admin.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password (12+ characters) from the first line of standard input; "
    "default: generate a one-time password, to be changed at the first login.",
)
@_pass_ctx
def create(obj: Context, name: str, role: str, password_stdin: bool) -> None:
    """Create user NAME with ROLE."""
    password = _read_password() if password_stdin else None
    user, made = _service(obj).create_user(name, role, password, actor=_actor())
    click.echo(f"created user {user.name} ({user.role.value})")
    if password is None:
        click.echo(f"one-time password (shown once; must be changed at first login): {made}")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@_pass_ctx
def list_(obj: Context, as_json: bool) -> None:
    """List the users."""
    found = _service(obj).list_users()
    if as_json:
        _emit([u.to_dict() for u in found])
        return
    for u in found:
        flags = []
        if not u.active:
            flags.append("disabled")
        if u.must_change_password:
            flags.append("must change password")
        last = u.last_login.strftime("%Y-%m-%d %H:%M") if u.last_login else "never"
        extra = f" [{', '.join(flags)}]" if flags else ""
        click.echo(f"{u.name:<24} {u.role.value:<9} last login {last}{extra}")


@users.command("set-role")
@click.argument("name")
@click.argument("role", type=ROLES)
@_pass_ctx
def set_role(obj: Context, name: str, role: str) -> None:
    """Give user NAME the role ROLE."""
    user = _service(obj).set_role(name, role, actor=_actor())
    click.echo(f"{user.name} is now {user.role.value}")


@users.command("disable")
@click.argument("name")
@_pass_ctx
def disable(obj: Context, name: str) -> None:
    """Disable user NAME: their sessions end and their keys stop working."""
    _service(obj).set_active(name, False, actor=_actor())
    click.echo(f"{name} is disabled")


@users.command("enable")
@click.argument("name")
@_pass_ctx
def enable(obj: Context, name: str) -> None:
    """Enable user NAME again."""
    _service(obj).set_active(name, True, actor=_actor())
    click.echo(f"{name} is enabled")


@users.command("passwd")
@click.argument("name")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the new password from the first line of standard input; default: generate "
    "a one-time password, to be changed at the next login.",
)
@_pass_ctx
def passwd(obj: Context, name: str, password_stdin: bool) -> None:
    """Set a new password for user NAME."""
    service = _service(obj)
    if password_stdin:
        service.change_password(name, _read_password(), actor=_actor())
        click.echo(f"password of {name} changed")
    else:
        made = service.reset_password(name, actor=_actor())
        click.echo(f"one-time password for {name} (shown once; must be changed at login): {made}")


@users.group("keys")
def keys() -> None:
    """API keys: `Authorization: Bearer <key>` or `X-API-Key: <key>` on every request."""


@keys.command("create")
@click.argument("name")
@click.option("--role", type=ROLES, help="A lower role than the user's (default: theirs).")
@click.option(
    "--rate-limit",
    type=click.IntRange(1, 1_000_000),
    default=600,
    show_default=True,
    help="Requests per minute (per server process).",
)
@click.option("--expires-days", type=click.FloatRange(min=0, min_open=True, max=3650))
@click.option("--label", help="What the key is for (e.g. the system that uses it).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@_pass_ctx
def keys_create(
    obj: Context,
    name: str,
    role: str | None,
    rate_limit: int,
    expires_days: float | None,
    label: str | None,
    as_json: bool,
) -> None:
    """Create an API key for user NAME; the key is printed once and never stored."""
    info, key = _service(obj).create_key(
        name,
        role=role,
        rate_limit=rate_limit,
        expires_days=expires_days,
        label=label,
        actor=_actor(),
    )
    if as_json:
        _emit({"key": key, **info.to_dict()})
        return
    click.echo(key)
    role_text = info.role.value if info.role else "the user's role"
    expiry = f", expires {info.expires_at:%Y-%m-%d %H:%M} UTC" if info.expires_at else ""
    click.echo(
        f"key {info.id} ({info.prefix}…) for {info.user}, acting as {role_text}, "
        f"{info.rate_limit}/minute{expiry}; store it now: it is not shown again",
        err=True,
    )


@keys.command("list")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@_pass_ctx
def keys_list(obj: Context, name: str | None, as_json: bool) -> None:
    """List API keys (of user NAME, or everyone's), never the keys themselves."""
    found = _service(obj).list_keys(name)
    if as_json:
        _emit([k.to_dict() for k in found])
        return
    for k in found:
        if k.revoked_at:
            status = f"revoked {k.revoked_at:%Y-%m-%d}"
        elif k.expires_at:
            status = f"expires {k.expires_at:%Y-%m-%d}"
        else:
            status = "active"
        used = f"{k.last_used:%Y-%m-%d %H:%M}" if k.last_used else "never"
        role = k.role.value if k.role else "(user's)"
        click.echo(
            f"{k.id:>4} {k.prefix}…  {k.user:<20} {role:<9} {k.rate_limit:>6}/min  "
            f"{status:<18} used {used}  {k.label}"
        )


@keys.command("revoke")
@click.argument("key")
@_pass_ctx
def keys_revoke(obj: Context, key: str) -> None:
    """Revoke an API key, given by its id or its prefix (emb_ab12cd34)."""
    info = _service(obj).revoke_key(key, actor=_actor())
    click.echo(f"key {info.id} ({info.prefix}…) of {info.user} is revoked")
