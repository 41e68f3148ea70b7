"""What ``embargo batch`` shows at a terminal: a progress bar with rate and ETA, and a summary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from embargo.batch.runner import BatchSummary, ProgressCallback


class RateColumn(ProgressColumn):
    """Rows per second over the last few seconds."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if speed is None:
            return Text("- rows/s", style="progress.data.speed")
        return Text(f"{speed:,.0f} rows/s", style="progress.data.speed")


@contextmanager
def progress_bar(console: Console, label: str) -> Iterator[ProgressCallback]:
    """A ``progress(done, total)`` callback drawing a bar on ``console`` while in the block."""
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        speed_estimate_period=10.0,
    )
    task_id = bar.add_task(label, total=None)

    def update(done: int, total: int | None) -> None:
        if total is not None and total < done:
            total = done  # the estimate (a line count) was low: multi-line CSV values
        bar.update(task_id, completed=done, total=total)

    with bar:
        yield update


def print_summary(console: Console, summary: BatchSummary) -> None:
    table = Table(title="Batch screening", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    rows = [
        ("rows read", f"{summary.rows_read:,}"),
        ("screened", f"{summary.screened:,}"),
        ("matched", f"[bold red]{summary.matched:,}[/]" if summary.matched else "0"),
        ("match records", f"{summary.matches:,}"),
        ("no match", f"{summary.no_match:,}"),
        ("errors", f"[yellow]{summary.errors:,}[/]" if summary.errors else "0"),
        ("elapsed", f"{summary.elapsed_s:,.1f} s"),
        ("rate", f"{summary.rate:,.0f} rows/s ({summary.screen_rate:,.0f} once started)"),
        ("workers", f"{summary.workers} ({summary.engine})"),
        ("threshold", f"{summary.threshold:.2f} ({summary.algorithm})"),
    ]
    if summary.resumed_from:
        rows.insert(1, ("resumed after", f"{summary.resumed_from:,}"))
    for label, value in rows:
        table.add_row(label, value)
    console.print(table)
    console.print(
        f"{summary.output_rows:,} result rows written to {summary.output}", highlight=False
    )
    for note in summary.notes:
        console.print(f"[dim]note: {note}[/]", highlight=False)
    if summary.error_rows:
        console.print(
            f"[yellow]{summary.errors:,} row(s) could not be screened[/] "
            "(status 'error' in the output):",
            highlight=False,
        )
        for _row, reason in summary.error_rows[:10]:
            console.print(f"  {reason}", highlight=False, soft_wrap=True)
        if summary.errors > 10:
            console.print(f"  ... ({summary.errors - 10:,} more in the output)", highlight=False)
