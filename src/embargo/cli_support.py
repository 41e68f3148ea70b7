"""What command groups defined outside ``embargo.cli`` share with it: the ``embargo`` group's
context and the error convention (a message and exit code 2 for any Embargo error).

``embargo.cli`` imports those groups at its top, so they cannot import it at theirs: the
context class is looked up when a command runs.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click


def pass_root_context(f: Any) -> Any:
    """Pass the ``embargo`` group's context (``--db``) as the first argument; outside the group
    (tests, other groups) the default one, as ``embargo`` without ``--db`` would make."""

    @click.pass_context
    def wrapper(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        # The root's object, not ``find_object(Context)``: run as ``python -m embargo.cli``,
        # the group's context is an instance of ``__main__.Context``, another class.
        obj = ctx.find_root().obj
        if obj is None or not hasattr(obj, "settings"):
            from embargo.cli import Context

            obj = Context(None)
        return ctx.invoke(f, obj, *args, **kwargs)

    return functools.update_wrapper(wrapper, f)


@contextmanager
def exit_on_error() -> Iterator[None]:
    """Exit code 2 with the message for any Embargo error."""
    from embargo.errors import EmbargoError

    try:
        yield
    except EmbargoError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
