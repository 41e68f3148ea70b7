"""The ``embargo`` command line, announcing on standard error when it enters the phases that
the crash-safety tests aim their SIGKILLs at.

    python -m tests.hardening.crash_runner [embargo arguments...]

Each announcement is one line, ``PHASE <name> <monotonic seconds>``, flushed at once:
``parse`` (a list file is being parsed), ``store`` (its version is being written, inside
the store's one transaction) and ``stored`` (committed); for ``embargo monitor``,
``reverse``/``reversed`` (changed entities screened against the book), ``record``/``recorded``
(their alerts written) and ``finish``/``finished`` (the run's state recorded). The hooks
only print; the command runs as ``embargo`` does. ``embargo monitor`` is registered here when
``embargo.cli`` does not (yet) register it.

One setting for the batch kills: ``EMBARGO_CRASH_COMMIT_INTERVAL_S`` sets how often ``embargo
batch`` writes its checkpoint (normally about once a second), so that on a fast machine too a
kill can be aimed at a row count: the checkpoint and resume code are the same.

And one for a kill that must not be outrun: ``EMBARGO_CRASH_HOLD_AT=<phase>`` makes the
process wait (until it is killed) right after announcing that phase, so a test can act while
a run is certainly alive in it, however fast the machine.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import time
from collections.abc import Callable
from typing import Any


def announce(name: str) -> None:
    sys.stderr.write(f"PHASE {name} {time.monotonic():.6f}\n")
    sys.stderr.flush()
    if os.environ.get("EMBARGO_CRASH_HOLD_AT") == name:
        while True:  # held for the test's kill
            time.sleep(60)


def _around(owner: Any, attr: str, before: str, after: str | None = None) -> None:
    original: Callable[..., Any] = getattr(owner, attr)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        announce(before)
        result = original(*args, **kwargs)
        if after:
            announce(after)
        return result

    setattr(owner, attr, wrapper)


def install() -> None:
    import embargo.update
    from embargo.store.store import Store

    interval = os.environ.get("EMBARGO_CRASH_COMMIT_INTERVAL_S")
    if interval:
        import embargo.batch.runner

        embargo.batch.runner.COMMIT_INTERVAL_S = float(interval)

    _around(embargo.update, "parse_input", "parse")
    _around(Store, "save_version", "store", "stored")
    with contextlib.suppress(ImportError):  # the workflow is not needed by every command
        import embargo.workflow.monitor as monitor
        from embargo.workflow.service import Workflow

        _around(monitor, "reverse_screen", "reverse", "reversed")
        _around(Workflow, "record_screenings", "record", "recorded")
        _around(monitor, "_finish", "finish", "finished")


def main() -> None:
    install()
    from embargo.cli import main as cli

    if "monitor" not in cli.commands:
        from embargo.workflow.commands import monitor

        cli.add_command(monitor)
    cli(prog_name="embargo")


if __name__ == "__main__":
    main()
