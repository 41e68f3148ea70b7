"""``embargo monitor`` and ``embargo evidence``: click commands for the ``embargo`` group.

Registered in ``embargo.cli`` with ``main.add_command(monitor)`` and
``main.add_command(evidence)``; they take the shared context (``--db``) like its commands.
``embargo.cli`` is imported when a command runs, not when this module is imported, so that
``cli`` can import this module at its top without a cycle.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from embargo.cli_support import exit_on_error, pass_root_context

if TYPE_CHECKING:
    from embargo.cli import Context
    from embargo.workflow import Workflow
    from embargo.workflow.monitor import MonitorRun


def _workflow(obj: Context) -> Workflow:
    from embargo.workflow import Workflow

    # The whole lists' index is opened only if a customer needs a full screening.
    return Workflow(obj.store, lambda: obj.screener, obj.settings)


def _actor(as_user: str | None) -> str:
    from embargo.cli import cli_actor

    return as_user or cli_actor()


# -- monitor ----------------------------------------------------------------------------------


def _print_run(run: MonitorRun) -> None:
    out = sys.stderr
    for c in run.lists:
        frm = c.from_version.id if c.from_version else "none"
        if c.added or c.changed or c.removed:
            click.echo(
                f"  {c.source}: version {frm} → {c.to_version.id}: {c.added} added, "
                f"{c.changed} changed, {c.removed} removed",
                file=out,
            )
    click.echo(
        f"monitoring run {run.id}: {run.changed_entities:,} new or changed listed entities "
        f"checked against {run.candidates:,} candidate customer(s), "
        f"{run.customers_screened_in_full:,} new or changed customer(s) screened in full; "
        f"{len(run.alerts):,} new alert(s), {len(run.notices):,} notice(s) "
        f"({run.timings.get('total_s', 0):.1f} s)",
        file=out,
    )
    if run.delivery is not None:
        d = run.delivery
        state = "delivered" if d.ok else f"FAILED after {d.attempts} attempt(s): {d.error}"
        click.echo(f"  webhook {d.url}: {state}", file=out)
    for e in run.errors:
        click.echo(f"  error: {e}", file=out)


@click.command("monitor")
@click.option(
    "--interval",
    type=click.FloatRange(min=1.0),
    metavar="SECONDS",
    help="Run again every SECONDS until interrupted (default: one run).",
)
@click.option(
    "--no-update",
    is_flag=True,
    help="Do not fetch the lists: monitor the list versions already loaded (e.g. by "
    "`embargo update --from`).",
)
@click.option(
    "--source", "sources", multiple=True, metavar="NAME", help="Update only these sources."
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Append the JSON lines to FILE instead of standard output.",
)
@click.option("--webhook", metavar="URL", help="POST each run's new alerts and notices here.")
@click.option("--webhook-timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True)
@click.option("--webhook-retries", type=click.IntRange(0, 10), default=3, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Processes scoring candidate customers (default: one per core, up to 4).",
)
@click.option("--as", "as_user", metavar="USER", help="Who runs it, for the audit log.")
@click.option("--runs", type=click.IntRange(min=1), hidden=True, help="Stop after N runs.")
@pass_root_context
def monitor(
    obj: Context,
    interval: float | None,
    no_update: bool,
    sources: tuple[str, ...],
    out_path: Path | None,
    webhook: str | None,
    webhook_timeout: float,
    webhook_retries: int,
    workers: int | None,
    as_user: str | None,
    runs: int | None,
) -> None:
    """Watch the lists: update them, and screen only what changed since the last run.

    New and changed listed entities are screened against the whole customer book, new and
    changed customers against the whole lists; a delisted confirmed match (or a delisted
    entity with an open alert) produces a notice. New alerts and notices are written as JSON
    lines (standard output, or --out FILE) and POSTed to --webhook if given (retried; a
    failed delivery is audited and sent again by the next run).

    Exit code: 0 nothing new, 1 new alerts or notices, 2 an error (a list that failed to
    update, a webhook that failed; the alerts are stored all the same).
    """
    from embargo.workflow.monitor import Webhook, run_monitor

    with exit_on_error():
        hook = (
            Webhook(webhook, timeout=webhook_timeout, retries=webhook_retries) if webhook else None
        )
        actor = _actor(as_user)
        wf = _workflow(obj)
        fh: IO[str] | None = None
        if out_path is not None:
            out_path.parent.mkdir(parents=True, exist_ok=True)
            fh = out_path.open("a", encoding="utf-8")
        stream = fh if fh is not None else sys.stdout

        def emit(event: dict[str, Any]) -> None:
            stream.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
            stream.flush()

        def say(message: str) -> None:
            click.echo(message, err=True)

        code = 0
        done = 0
        try:
            while True:
                try:
                    run = run_monitor(
                        wf,
                        actor=actor,
                        update=not no_update,
                        sources=sources or None,
                        webhook=hook,
                        emit=emit,
                        progress=say if interval is None else None,
                        workers=workers,
                    )
                    _print_run(run)
                    code = run.exit_code
                except Exception as exc:
                    from embargo.errors import EmbargoError

                    if interval is None or not isinstance(exc, EmbargoError):
                        raise
                    # Looping: report and try again at the next tick.
                    click.echo(f"error: {exc}", err=True)
                    code = 2
                done += 1
                if interval is None or (runs is not None and done >= runs):
                    break
                time.sleep(interval)
        except KeyboardInterrupt:
            pass
        finally:
            if fh is not None:
                fh.close()
            wf.close()
    sys.exit(code)


# -- evidence ---------------------------------------------------------------------------------


@click.command("evidence")
@click.argument("customer_ref")
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The report file: .html, .pdf (or .json for the data).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "pdf", "json"]),
    help="Override the format the extension implies.",
)
@click.option("--no-verify", is_flag=True, help="Skip verifying the whole audit chain (faster).")
@click.option("--as", "as_user", metavar="USER", help="Who asks for it, for the audit log.")
@pass_root_context
def evidence(
    obj: Context,
    customer_ref: str,
    out_path: Path,
    fmt: str | None,
    no_verify: bool,
    as_user: str | None,
) -> None:
    """Write the evidence report for CUSTOMER_REF: its data and history, every screening
    (when, by whom, against which list versions), every alert with its evidence and every
    decision, whitelist entries, notices and its audit records with the chain's verification.

    HTML or PDF by the --out file's extension. The export itself is audited. Exit code 0, or
    2 on an error (unknown customer, unwritable file).
    """
    from embargo.workflow.evidence import build_evidence, output_format, write_report

    with exit_on_error():
        chosen = output_format(out_path, fmt)
        actor = _actor(as_user)
        wf = _workflow(obj)
        try:
            data = build_evidence(wf, customer_ref, verify_chain=not no_verify, actor=actor)
            written = write_report(data, out_path, format=chosen)
            wf.store.audit(
                "evidence.export",
                "customer",
                customer_ref,
                {
                    "customer": customer_ref,
                    "format": written,
                    "file": out_path.name,
                    "digest": data["digest"],
                    "audit_chain_ok": data["audit"]["chain"].get("ok"),
                },
                actor=actor,
            )
        finally:
            wf.close()
        chain = data["audit"]["chain"]
        click.echo(
            f"{out_path}: evidence for {customer_ref} ({written}): "
            f"{data['summary']['screenings']} screening(s), {data['summary']['alerts']} "
            f"alert(s); audit chain "
            + (
                "not verified"
                if not chain.get("verified")
                else "verified"
                if chain.get("ok")
                else "BROKEN: " + "; ".join(chain.get("problems", []))
            ),
            err=True,
        )


__all__ = ["evidence", "monitor"]
