"""The ``embargo`` command: a thin layer over the library.

Exit codes: 0 success (no match), 1 a match was found (screening commands), 2 an error.
Every command takes ``--json`` for output a script can read.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click
import msgspec
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from embargo.errors import EmbargoError
from embargo.model import Entity
from embargo.settings import Settings
from embargo.store import ListVersion, Store

if TYPE_CHECKING:
    from embargo.match.matcher import Match
    from embargo.screening import Screener

console = Console(stderr=False)
err_console = Console(stderr=True)


def cli_actor() -> str:
    """Who is acting, for the audit log: the operating-system user running the command."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli:unknown"


class Context:
    def __init__(self, db: str | None) -> None:
        self.settings = Settings.from_env(database_url=db)
        self._store: Store | None = None
        self._screener: Screener | None = None

    @property
    def screener(self) -> Screener:
        if self._screener is None:
            from embargo.screening import Screener

            if not self.store.active_versions():
                raise EmbargoError(
                    "no lists are loaded yet: run `embargo update` (or `embargo update --from PATH`)"
                )
            self._screener = Screener.open(settings=self.settings)
        return self._screener

    @property
    def store(self) -> Store:
        if self._store is None:
            from embargo.update import default_store

            self._store = default_store(self.settings)
        return self._store


pass_ctx = click.make_pass_decorator(Context)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@contextmanager
def errors_exit() -> Iterator[None]:
    try:
        yield
    except EmbargoError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)


class EmbargoGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        with errors_exit():
            return super().invoke(ctx)


@click.group(cls=EmbargoGroup)
@click.option(
    "--db",
    metavar="URL",
    help="Database URL (default: EMBARGO_DATABASE_URL, else SQLite in the user data dir).",
)
@click.version_option(package_name="embargo")
@click.pass_context
def main(ctx: click.Context, db: str | None) -> None:
    """Embargo: screen people, companies, vessels and aircraft against sanctions lists."""
    ctx.obj = Context(db)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} entities"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


@main.command()
@click.option(
    "--source", "sources", multiple=True, metavar="NAME", help="Only these sources (repeatable)."
)
@click.option(
    "--from",
    "from_path",
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="Load a local file or folder instead of downloading (offline / air-gapped use).",
)
@click.option(
    "--format", "fmt", metavar="FORMAT", help="The file format, when it cannot be detected."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_ctx
def update(
    obj: Context, sources: tuple[str, ...], from_path: Path | None, fmt: str | None, as_json: bool
) -> None:
    """Fetch the official lists (or load them from PATH) and store new versions."""
    from embargo.update import load_path, update_sources

    show = not as_json and err_console.is_terminal
    with _progress() if show else _null_progress() as progress:
        tasks: dict[str, Any] = {}

        def on_progress(label: str, n: int) -> None:
            if progress is None:
                return
            if label not in tasks:
                tasks[label] = progress.add_task(label, total=None)
            progress.update(tasks[label], completed=n)

        if from_path is not None:
            if len(sources) > 1:
                raise click.UsageError("--from loads into at most one --source")
            report = load_path(
                obj.store,
                from_path,
                obj.settings,
                format=fmt,
                source=sources[0] if sources else None,
                progress=on_progress,
            )
        else:
            report = update_sources(obj.store, obj.settings, sources or None, progress=on_progress)
    if as_json:
        emit_json(report.to_dict())
    else:
        for o in report.outcomes:
            colour = {
                "loaded": "green",
                "unchanged": "dim",
                "not-modified": "dim",
                "stored-inactive": "yellow",
                "failed": "red",
            }[o.status]
            console.print(f"[{colour}]{o.status:>15}[/] {o.message}", highlight=False)
            if o.skipped:
                console.print(f"{'':>16}{len(o.skipped)} record(s) skipped:", highlight=False)
                for s in o.skipped[:10]:
                    console.print(f"{'':>18}{s['where']}: {s['reason']}", highlight=False)
                if len(o.skipped) > 10:
                    console.print(
                        f"{'':>18}... (all of them: embargo update --json)", highlight=False
                    )
            for w in o.warnings[:5]:
                console.print(f"{'':>16}[yellow]warning:[/] {w}", highlight=False)
        for path, reason in report.ignored:
            console.print(f"[dim]{'not loaded':>15} {path}: {reason}[/]", highlight=False)
    if not report.ok:
        sys.exit(2)


@contextmanager
def _null_progress() -> Iterator[None]:
    yield None


def _age_days(version: ListVersion) -> int:
    """Days since the publisher dated the list (since it was loaded, if undated)."""
    if version.publisher_date and len(version.publisher_date) == 10:
        published = date.fromisoformat(version.publisher_date)
        return (datetime.now(UTC).date() - published).days
    return (datetime.now(UTC) - version.fetched_at).days


@main.command("lists")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def lists_cmd(obj: Context, as_json: bool) -> None:
    """Show each source, its active version, counts and age (stale lists are flagged)."""
    from embargo.sources.registry import SOURCES

    active = {v.source: v for v in obj.store.active_versions()}
    names = sorted(set(SOURCES) | set(active))
    rows: list[dict[str, Any]] = []
    for name in names:
        spec = SOURCES.get(name)
        v = active.get(name)
        age = _age_days(v) if v else None
        rows.append(
            {
                "source": name,
                "title": spec.title if spec else "imported list",
                "version": v.id if v else None,
                "format": v.format if v else None,
                "publisher_date": v.publisher_date if v else None,
                "loaded_at": v.fetched_at.isoformat(timespec="seconds") if v else None,
                "entities": v.entity_count if v else 0,
                "counts": v.counts if v else {},
                "age_days": age,
                "stale": bool(v and age is not None and age > obj.settings.stale_days),
                "note": spec.note if spec else None,
            }
        )
    if as_json:
        emit_json(rows)
        return
    table = Table(title="Lists")
    for col in ("source", "version", "published", "loaded", "entities", "age"):
        table.add_column(col)
    for r in rows:
        if r["version"] is None:
            table.add_row(r["source"], "[dim]not loaded[/]", "", "", "", "")
            continue
        age_text = f"{r['age_days']} d" + (" [bold red]STALE[/]" if r["stale"] else "")
        table.add_row(
            r["source"],
            str(r["version"]),
            r["publisher_date"] or "?",
            r["loaded_at"],
            f"{r['entities']:,}",
            age_text,
        )
    console.print(table)
    stale = [r["source"] for r in rows if r["stale"]]
    if stale:
        console.print(
            f"[yellow]warning:[/] {', '.join(stale)} older than {obj.settings.stale_days} days; "
            "run `embargo update`.",
            highlight=False,
        )


@main.command()
@click.argument("source")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def versions(obj: Context, source: str, as_json: bool) -> None:
    """Show the stored versions (history) of one source."""
    history = obj.store.versions(source)
    if not history:
        raise EmbargoError(f"no versions of {source!r} are stored")
    if as_json:
        emit_json([v.to_dict() for v in history])
        return
    table = Table(title=f"Versions of {source}")
    for col in ("id", "status", "format", "published", "loaded", "entities", "hash"):
        table.add_column(col)
    for v in history:
        table.add_row(
            str(v.id),
            v.status,
            v.format,
            v.publisher_date or "?",
            v.fetched_at.isoformat(timespec="seconds"),
            f"{v.entity_count:,}",
            v.content_hash[:12],
        )
    console.print(table)


@main.command()
@click.argument("source")
@click.option(
    "--from",
    "from_id",
    type=int,
    metavar="V",
    help="Older version id (default: the one before --to).",
)
@click.option(
    "--to", "to_id", type=int, metavar="V", help="Newer version id (default: the active one)."
)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def diff(obj: Context, source: str, from_id: int | None, to_id: int | None, as_json: bool) -> None:
    """Entities added, removed and changed between two versions of a list."""
    d = obj.store.diff(source, from_id, to_id)
    if as_json:
        emit_json(d.to_dict())
        return
    frm = f"version {d.from_version.id}" if d.from_version else "nothing"
    console.print(
        f"[bold]{source}[/]: {frm} → version {d.to_version.id}: "
        f"{len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed",
        highlight=False,
    )
    for i, caption in d.added:
        console.print(f"[green]+ {i}[/] {caption}", highlight=False)
    for i, caption in d.removed:
        console.print(f"[red]- {i}[/] {caption}", highlight=False)
    for ch in d.changed:
        console.print(f"[yellow]~ {ch.entity_id}[/] {ch.caption}", highlight=False)
        for key, (before, after) in ch.changes.items():
            for value in before:
                console.print(f"    {key}: [red]- {_short(value)}[/]", highlight=False)
            for value in after:
                console.print(f"    {key}: [green]+ {_short(value)}[/]", highlight=False)


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items() if v not in (None, [], ""))
    return str(value)


@main.command()
@click.argument("entity_id")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def show(obj: Context, entity_id: str, as_json: bool) -> None:
    """Everything about one listed entity: names, listings and measures, ids, link."""
    entity = obj.store.get_entity(entity_id)
    history = obj.store.entity_versions(entity_id)
    data = msgspec.to_builtins(entity)
    data["caption"] = entity.caption
    data["active"] = any(v.status == "active" for v in history)
    data["versions"] = [
        {"id": v.id, "source": v.source, "publisher_date": v.publisher_date, "status": v.status}
        for v in history
    ]
    if as_json:
        emit_json(data)
        return
    print_entity(entity, active=data["active"])


def print_entity(entity: Entity, *, active: bool = True) -> None:
    console.print(
        f"[bold]{entity.caption}[/]  ({entity.schema.value}, {entity.id})"
        + ("" if active else "  [red]no longer on an active list version[/]"),
        highlight=False,
    )
    for listing in entity.listings:
        console.print(
            f"  [bold]{listing.authority} — {listing.list}[/]: [magenta]{listing.measure.value}[/]"
            + (f"  programs: {', '.join(listing.programs)}" if listing.programs else "")
            + (f"  listed {listing.listed_on}" if listing.listed_on else ""),
            highlight=False,
        )
        console.print(f"    {listing.summary}", highlight=False)
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="dim")
    table.add_column()
    for name in entity.names:
        extra = f" [{name.script}]" if name.script else ""
        table.add_row(f"name ({name.kind.value})", name.full + extra)
    rows: list[tuple[str, list[str]]] = [
        ("birth date", [b.text for b in entity.birth_dates]),
        ("birth place", entity.birth_places),
        ("nationality", entity.nationalities),
        ("citizenship", entity.citizenships),
        ("country", entity.countries),
        ("gender", [entity.gender] if entity.gender else []),
        ("title", entity.titles),
        ("position", entity.positions),
        ("address", [a.full for a in entity.addresses]),
        (
            "identifier",
            [
                f"{i.type.value}: {i.value}"
                + (f" ({i.country})" if i.country else "")
                + (f" [{i.label}]" if i.label else "")
                for i in entity.identifiers
            ],
        ),
        ("related", [f"{r.kind}: {r.target}" for r in entity.relations]),
        ("remarks", entity.remarks),
    ]
    rows.extend((k, v) for k, v in entity.extra.items())
    rows.append(("source", [f"{entity.source} record {entity.source_id}"]))
    if entity.source_url:
        rows.append(("link", [entity.source_url]))
    for label, values in rows:
        for value in values:
            table.add_row(label, value)
    console.print(table)


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["ftm", "csv"]), default="ftm", show_default=True
)
@click.option(
    "--out", type=click.Path(path_type=Path, dir_okay=False), help="Output file (default: stdout)."
)
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only these sources.")
@pass_ctx
def export(obj: Context, fmt: str, out: Path | None, sources: tuple[str, ...]) -> None:
    """Export the active list versions as FollowTheMoney JSON lines or CSV."""
    entities = obj.store.iter_active_entities(sources or None)
    fh: TextIO
    with out.open("w", encoding="utf-8", newline="") if out else _stdout() as fh:
        count = _EXPORTERS[fmt](entities, fh)
    if out:
        err_console.print(f"{count:,} entities written to {out}", highlight=False)


@contextmanager
def _stdout() -> Iterator[TextIO]:
    yield sys.stdout


def _export_ftm(entities: Iterator[Entity], fh: TextIO) -> int:
    from embargo.sources.ftm import write_ftm

    return int(write_ftm(entities, fh))


CSV_COLUMNS = (
    "id",
    "schema",
    "name",
    "aliases",
    "birth_dates",
    "countries",
    "identifiers",
    "authorities",
    "lists",
    "programs",
    "measures",
    "source",
    "source_id",
    "source_url",
)


def _export_csv(entities: Iterator[Entity], fh: TextIO) -> int:
    writer = csv.writer(fh)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for e in entities:
        writer.writerow(
            [
                e.id,
                e.schema.value,
                e.caption,
                "; ".join(n.full for n in e.names if n.full != e.caption),
                "; ".join(b.iso or b.text for b in e.birth_dates),
                "; ".join(e.all_countries),
                "; ".join(f"{i.type.value}:{i.value}" for i in e.identifiers),
                "; ".join(dict.fromkeys(lst.authority for lst in e.listings)),
                "; ".join(dict.fromkeys(lst.list for lst in e.listings)),
                "; ".join(dict.fromkeys(p for lst in e.listings for p in lst.programs)),
                "; ".join(dict.fromkeys(lst.measure.value for lst in e.listings)),
                e.source,
                e.source_id,
                e.source_url or "",
            ]
        )
        count += 1
    return count


_EXPORTERS: dict[str, Callable[[Iterator[Entity], TextIO], int]] = {
    "ftm": _export_ftm,
    "csv": _export_csv,
}


@main.group()
def audit() -> None:
    """The hash-chained audit log: verify it, read it."""


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def audit_verify(obj: Context, as_json: bool) -> None:
    """Check that no audit record was edited, deleted or reordered. Exit code 1 if one was."""
    result = obj.store.verify_audit()
    if as_json:
        emit_json(result.to_dict())
    elif result.ok:
        console.print(
            f"[green]audit log intact[/]: {result.records:,} records, chain verified.",
            highlight=False,
        )
    else:
        console.print(
            f"[bold red]audit log TAMPERED[/]: {len(result.problems)} problem(s) in "
            f"{result.records:,} records",
            highlight=False,
        )
        for problem in result.problems:
            console.print(f"  {problem}", highlight=False)
    sys.exit(0 if result.ok else 1)


@audit.command("log")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--action", help="Only this action (e.g. list.load, screen).")
@click.option("--actor", help="Only this actor.")
@click.option("--subject", help="Only this subject id.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def audit_log(
    obj: Context,
    limit: int,
    action: str | None,
    actor: str | None,
    subject: str | None,
    as_json: bool,
) -> None:
    """The newest audit records, newest first."""
    rows = obj.store.audit_records(
        limit=limit, action=action, actor=actor, subject_id=subject, newest_first=True
    )
    if as_json:
        emit_json([r.to_dict() for r in rows])
        return
    table = Table(title="Audit log")
    for col in ("id", "at", "actor", "action", "subject", "details"):
        table.add_column(col, overflow="fold")
    for r in rows:
        details = ", ".join(f"{k}={v}" for k, v in r.details.items() if v not in (None, "", []))
        table.add_row(
            str(r.id),
            r.at.isoformat(timespec="seconds"),
            r.actor,
            r.action,
            f"{r.subject_type} {r.subject_id}",
            details[:200],
        )
    console.print(table)


def _query_dict(
    name: str,
    schema: str,
    birth_dates: tuple[str, ...],
    countries: tuple[str, ...],
    ids: tuple[str, ...],
) -> dict[str, Any]:
    props: dict[str, list[str]] = {"name": [name]}
    if birth_dates:
        props["birthDate"] = list(birth_dates)
    if countries:
        props["country"] = list(countries)
    if ids:
        props["idNumber"] = list(ids)
    return {"schema": schema, "properties": props}


_SCHEMA_CHOICE = click.Choice(
    ["Person", "Organization", "Company", "Vessel", "Aircraft", "LegalEntity"], case_sensitive=False
)


@main.command()
@click.argument("name")
@click.option(
    "--schema",
    type=_SCHEMA_CHOICE,
    default="LegalEntity",
    show_default=True,
    help="What kind of party the name is.",
)
@click.option(
    "--birth-date", "birth_dates", multiple=True, metavar="DATE", help="YYYY-MM-DD or YYYY."
)
@click.option(
    "--country", "countries", multiple=True, metavar="COUNTRY", help="Nationality or country."
)
@click.option(
    "--id", "ids", multiple=True, metavar="ID", help="Passport, tax, registration, IMO ... number."
)
@click.option(
    "--threshold", type=click.FloatRange(0, 1), help="Match threshold (default: the algorithm's)."
)
@click.option("--limit", type=click.IntRange(1, 100), default=5, show_default=True)
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only these lists.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def screen(
    obj: Context,
    name: str,
    schema: str,
    birth_dates: tuple[str, ...],
    countries: tuple[str, ...],
    ids: tuple[str, ...],
    threshold: float | None,
    limit: int,
    sources: tuple[str, ...],
    as_json: bool,
) -> None:
    """Screen one name against the active lists. Exit code 1 when there is a match."""
    query = _query_dict(name, schema, birth_dates, countries, ids)
    screener = obj.screener
    matches = screener.screen(query, limit=limit, threshold=threshold, sources=sources or None)
    hit = any(m.match for m in matches)
    if as_json:
        emit_json(
            {
                "query": query,
                "algorithm": screener.algorithm.name,
                "threshold": screener.algorithm.threshold if threshold is None else threshold,
                "match": hit,
                "results": [m.to_dict(include_entity=False) for m in matches],
            }
        )
    else:
        _print_matches(matches, screener.algorithm.threshold if threshold is None else threshold)
    sys.exit(1 if hit else 0)


def _print_matches(matches: list[Match], threshold: float) -> None:
    shown = [m for m in matches if m.match] or matches[:3]
    if not any(m.match for m in matches):
        console.print(f"[green]No match[/] at threshold {threshold:.2f}.", highlight=False)
        if shown:
            console.print("[dim]Closest names:[/]", highlight=False)
    table = Table(show_lines=True)
    for col in ("score", "matched name", "entity", "lists and measures", "why"):
        table.add_column(col, overflow="fold")
    for m in shown:
        name = m.explanation.name
        lists = "\n".join(
            f"{lst.authority} {lst.list}: [bold]{lst.measure.value}[/]"
            + (f" ({', '.join(lst.programs)})" if lst.programs else "")
            for lst in m.entity.listings
        )
        why_parts = []
        if name is not None:
            why_parts.append(
                f"{name.query_name!r} ~ {name.matched_name!r} ({name.kind.value}): "
                + ", ".join(
                    f"{p.query}={p.candidate} {p.how}"
                    if p.query and p.candidate
                    else f"{p.query or p.candidate} {p.how}"
                    for p in name.parts
                )
            )
        why_parts += [f"{f.reason} ({f.delta:+.1f})" for f in m.explanation.features]
        style = "bold red" if m.match else "dim"
        table.add_row(
            f"[{style}]{m.score:.2f}[/]",
            m.entity.caption,
            f"{m.entity_id}\n{m.entity.schema.value}",
            lists,
            "\n".join(why_parts),
        )
    if shown:
        console.print(table)


@main.command()
@click.argument("name1")
@click.argument("name2")
@click.option("--schema", type=_SCHEMA_CHOICE, default="LegalEntity", show_default=True)
@click.option("--threshold", type=click.FloatRange(0, 1))
@click.option("--json", "as_json", is_flag=True)
def compare(name1: str, name2: str, schema: str, threshold: float | None, as_json: bool) -> None:
    """Score two names against each other (no lists needed). Exit code 1 when they match."""
    from embargo.screening import Screener

    screener = Screener.from_entities([])
    result = screener.compare(
        {"schema": schema, "properties": {"name": [name1]}},
        {"schema": schema, "properties": {"name": [name2]}},
        threshold=threshold,
    )
    if as_json:
        emit_json(result.to_dict())
    else:
        verdict = "[bold red]match[/]" if result.match else "[green]no match[/]"
        console.print(f"{verdict}  score {result.score:.3f}", highlight=False)
        console.print(result.explanation.summary, highlight=False)
    sys.exit(1 if result.match else 0)


@main.command()
@click.argument("file", type=click.File("r", encoding="utf-8", errors="strict"))
@click.option("--threshold", type=click.FloatRange(0, 1), help="Match threshold for mentions.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def text(obj: Context, file: TextIO, threshold: float | None, as_json: bool) -> None:
    """Find listed parties mentioned in a text FILE (or - for standard input)."""
    from embargo.text import TEXT_THRESHOLD

    try:
        content = file.read()
    except UnicodeDecodeError as exc:
        raise EmbargoError(
            f"{file.name}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    mentions = obj.screener.screen_text(content, threshold=threshold or TEXT_THRESHOLD)
    if as_json:
        emit_json({"mentions": [m.to_dict() for m in mentions]})
    elif not mentions:
        console.print("[green]No listed party mentioned.[/]", highlight=False)
    else:
        for m in mentions:
            measures = ", ".join(sorted({lst.measure.value for lst in m.match.entity.listings}))
            lists = "; ".join(f"{lst.authority} {lst.list}" for lst in m.match.entity.listings)
            console.print(
                f"[bold red]{m.start}-{m.end}[/] {m.text!r} → {m.caption} ({m.entity_id}) "
                f"score {m.score:.2f}; {lists}: {measures}"
                + (f"; also at {', '.join(f'{a}-{b}' for a, b in m.also_at)}" if m.also_at else ""),
                highlight=False,
            )
    sys.exit(1 if mentions else 0)


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    "output",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Results file; .csv, .xlsx, .parquet or .jsonl chooses the format.",
)
@click.option("--ref-column", metavar="COL", help="The row's own reference, carried to the output.")
@click.option("--name-column", metavar="COL", help="The name to screen (default: name).")
@click.option(
    "--birth-date-column", metavar="COL", help="Birth date (YYYY-MM-DD, DD/MM/YYYY, YYYY)."
)
@click.option("--country-column", metavar="COL", help="Country or nationality; several with ';'.")
@click.option("--id-column", metavar="COL", help="Passport, tax, registration ... number(s).")
@click.option("--schema-column", metavar="COL", help="Person, Company, Organization, Vessel ...")
@click.option("--schema", type=_SCHEMA_CHOICE, help="Schema of rows without a schema column value.")
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A JSON (or 'key: column' lines) column mapping; the column options override it.",
)
@click.option("--threshold", type=click.FloatRange(0, 1), help="Match threshold.")
@click.option(
    "--limit",
    type=click.IntRange(1, 100),
    default=5,
    show_default=True,
    help="At most this many matches per row.",
)
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="Dask scheduler (default: local).")
@click.option(
    "--workers",
    type=click.IntRange(1, 1024),
    help="Worker processes (default: all cores; Dask local cluster: 2).",
)
@click.option("--chunk-size", type=click.IntRange(1, 100_000), hidden=True)
@click.option("--no-resume", is_flag=True, help="Start over even if an interrupted run exists.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_ctx
def batch(
    obj: Context,
    input_path: Path,
    output: Path,
    ref_column: str | None,
    name_column: str | None,
    birth_date_column: str | None,
    country_column: str | None,
    id_column: str | None,
    schema_column: str | None,
    schema: str | None,
    mapping_file: Path | None,
    threshold: float | None,
    limit: int,
    engine: str,
    scheduler: str | None,
    workers: int | None,
    chunk_size: int | None,
    no_resume: bool,
    as_json: bool,
) -> None:
    """Screen every row of INPUT (CSV, XLSX, Parquet, JSON lines) into --out.

    One output row per match (or one 'no-match' / 'error' row), in input order. An
    interrupted run continues where it stopped when run again. Exit code 0: no match and
    every row screened; 1: some match; 2: an error, or rows that could not be screened.
    """
    import dataclasses

    from embargo.batch import ColumnMapping, run_batch
    from embargo.batch.console import print_summary, progress_bar

    if scheduler and engine != "dask":
        raise click.UsageError("--scheduler needs --engine dask")
    mapping = ColumnMapping.from_file(mapping_file) if mapping_file else ColumnMapping()
    overrides = {
        "ref": ref_column,
        "name": name_column,
        "birth_date": birth_date_column,
        "country": country_column,
        "id": id_column,
        "schema": schema_column,
        "default_schema": schema,
    }
    mapping = dataclasses.replace(mapping, **{k: v for k, v in overrides.items() if v})

    def open_screener() -> Screener:
        from embargo.screening import Screener

        if not obj.store.active_versions():
            raise EmbargoError(
                "no lists are loaded yet: run `embargo update` (or `embargo update --from PATH`)"
            )
        # Not cached on the context: with Dask the parent frees its copy once shipped.
        return Screener.open(settings=obj.settings)

    show = not as_json and err_console.is_terminal
    with progress_bar(err_console, "screening") if show else _null_progress() as progress:
        summary = run_batch(
            input_path,
            output,
            mapping,
            screener_factory=open_screener,
            engine=engine,
            workers=workers,
            scheduler=scheduler,
            threshold=threshold,
            limit=limit,
            chunk_size=chunk_size,
            progress=progress,
            resume=not no_resume,
        )
    if as_json:
        emit_json(summary.to_dict())
    else:
        print_summary(console, summary)
    sys.exit(1 if summary.matched else 2 if summary.errors else 0)


# -- ownership and the 50% rule --------------------------------------------------------------

_RULE_CHOICE = click.Choice(["ofac_50", "eu_uk_control", "look_through_50"])


@main.group()
def ownership() -> None:
    """Ownership links and the 50% rule: import links, check a party, list who is blocked."""


@ownership.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "ftm"]),
    help="csv (owner,owned,percentage,source) or ftm (FtM entities with Ownership); "
    "default: by the file name.",
)
@click.option("--source", help="Source name for the links of an FtM file (default ftm_<dataset>).")
@click.option(
    "--replace",
    is_flag=True,
    help="Also remove stored links of the file's sources it no longer has.",
)
@click.option("--skip-bad", is_flag=True, help="Import the good rows when some rows are bad.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def ownership_import(
    obj: Context,
    file: Path,
    fmt: str | None,
    source: str | None,
    replace: bool,
    skip_bad: bool,
    as_json: bool,
) -> None:
    """Import ownership links from FILE. Exit code 2, nothing imported, when a row is bad."""
    from embargo.ownership.store import OwnershipImportError, OwnershipStore

    owners = OwnershipStore(obj.store)
    try:
        result = owners.import_file(
            file, fmt, source=source, replace=replace, skip_bad=skip_bad, actor=cli_actor()
        )
    except OwnershipImportError as exc:
        if not as_json:
            raise
        emit_json({"path": exc.path, "applied": False, "bad": [b.to_dict() for b in exc.bad]})
        sys.exit(2)
    if as_json:
        emit_json({"applied": True, **result.to_dict()})
        return
    console.print(
        f"[green]{file.name}[/]: {result.links:,} link(s) from {result.records:,} record(s) — "
        f"{result.inserted:,} new, {result.updated:,} updated, {result.unchanged:,} unchanged"
        + (f", {result.removed:,} removed" if replace else "")
        + f" (sources: {', '.join(result.sources) or 'none'})",
        highlight=False,
    )
    for item in result.skipped:
        console.print(f"  [dim]skipped {item}[/]", highlight=False)
    for item in result.bad:
        console.print(f"  [yellow]bad row left out, {item}[/]", highlight=False)
    for warning in result.warnings:
        console.print(f"  [yellow]warning:[/] {warning}", highlight=False)


@ownership.command("check")
@click.argument("party")
@click.option("--rule", type=_RULE_CHOICE, default="ofac_50", show_default=True)
@click.option(
    "--authority",
    "authorities",
    multiple=True,
    metavar="NAME",
    help="Only listings by this authority make a party blocked (e.g. 'US OFAC'); repeatable.",
)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def ownership_check(
    obj: Context, party: str, rule: str, authorities: tuple[str, ...], as_json: bool
) -> None:
    """Is PARTY (an id or a name) blocked by ownership, and why? Exit code 1 when blocked."""
    from embargo.ownership.store import OwnershipStore

    result = OwnershipStore(obj.store).check(
        party, rule, authorities=authorities or None, actor=cli_actor()
    )
    if as_json:
        emit_json(result.to_dict())
    else:
        if result.by_ownership:
            word = "FROZEN" if rule == "eu_uk_control" else "BLOCKED"
            verdict = f"[bold red]{result.name}: {word} by ownership[/]"
        elif result.blocked:
            verdict = f"[bold red]{result.name}: listed itself[/]"
        else:
            verdict = f"[green]{result.name}: not blocked by ownership[/]"
        console.print(verdict, highlight=False)
        console.print(result.explanation, highlight=False, soft_wrap=True)
        for caution in result.cautions:
            console.print(f"  [yellow]caution:[/] {caution}", highlight=False)
    sys.exit(1 if result.blocked else 0)


@ownership.command("list")
@click.option("--rule", type=_RULE_CHOICE, default="ofac_50", show_default=True)
@click.option("--authority", "authorities", multiple=True, metavar="NAME")
@click.option("--links", "show_links", is_flag=True, help="List the stored links instead.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def ownership_list(
    obj: Context, rule: str, authorities: tuple[str, ...], show_links: bool, as_json: bool
) -> None:
    """The parties blocked by ownership under a rule (or, with --links, the stored links)."""
    from embargo.ownership.store import OwnershipStore

    owners = OwnershipStore(obj.store)
    if show_links:
        links = owners.links()
        if as_json:
            emit_json([link.to_dict() for link in links])
            return
        table = Table(title=f"Ownership links ({len(links):,})")
        for col in ("owner", "owned", "%", "control", "source"):
            table.add_column(col, overflow="fold")
        for link in links:
            table.add_row(
                f"{link.owner_name}\n[dim]{link.owner}[/]",
                f"{link.owned_name}\n[dim]{link.owned}[/]",
                "?" if link.percentage is None else f"{link.percentage:g}",
                "yes" if link.control else "",
                link.source,
            )
        console.print(table)
        return
    analysis = owners.analyse(rule, authorities=authorities or None)
    if as_json:
        emit_json(analysis.to_dict())
        return
    blocked = analysis.blocked_by_ownership
    table = Table(title=f"Blocked by ownership under {analysis.rule.title} ({len(blocked):,})")
    for col in ("party", "share", "why"):
        table.add_column(col, overflow="fold")
    for agg in blocked:
        table.add_row(
            f"{agg.name}\n[dim]{agg.party}[/]",
            f"{agg.share * 100:.4g}%" + (" + control" if agg.control else ""),
            "\n".join(agg.path_sentences[:3])
            + (f"\n[dim]… {len(agg.paths) - 3} more[/]" if len(agg.paths) > 3 else ""),
        )
    console.print(table)
    for warning in analysis.warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes; each holds its own copy of the index (about 1.2 GB for all lists).",
)
@click.option(
    "--access-log/--no-access-log",
    default=False,
    show_default=True,
    help="Log every request (screening calls are in the audit log either way).",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
)
@click.option(
    "--no-auth",
    is_flag=True,
    help="Serve without authentication, every request acting as a local administrator "
    "(only on a loopback address: 127.0.0.1, ::1, localhost).",
)
@pass_ctx
def serve(
    obj: Context,
    host: str,
    port: int,
    workers: int,
    access_log: bool,
    log_level: str,
    no_auth: bool,
) -> None:
    """Run the HTTP API: yente-compatible /match, /search, /entities, /catalog, /screen/text.

    OpenAPI documentation at /docs. /readyz answers 503 until the index is loaded. Every
    other route needs an API key (`embargo users keys create`) or a web session; on first
    start an `admin` user is created with a one-time password printed here.
    """
    import os

    from embargo.auth.serve import prepare_auth

    prepare_auth(obj.store, host=host, enabled=not no_auth, console=console)

    try:
        import uvicorn
    except ImportError:
        raise EmbargoError(
            "the HTTP API needs FastAPI and uvicorn: pip install fastapi 'uvicorn[standard]'"
        ) from None
    settings = obj.settings
    if not obj.store.active_versions():
        err_console.print(
            "[yellow]warning:[/] no lists are loaded yet; the API answers 503 until "
            "`embargo update` loads some (it picks them up without a restart).",
            highlight=False,
        )
    # Worker processes build their app from the environment: hand them these settings.
    if settings.database_url:
        os.environ["EMBARGO_DATABASE_URL"] = settings.database_url
    os.environ["EMBARGO_DATA_DIR"] = str(settings.data_dir)
    common: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level,
        "access_log": access_log,
    }
    import inspect

    if "timeout_worker_healthcheck" in inspect.signature(uvicorn.Config).parameters:
        # Loading a saved index holds the interpreter lock for seconds, during which a worker
        # cannot answer the supervisor's 5-second health check and would be restarted.
        common["timeout_worker_healthcheck"] = 600
    os.environ["EMBARGO_AUTH"] = "off" if no_auth else "on"
    if workers == 1:
        from embargo.api.app import create_app

        uvicorn.run(create_app(settings, auth=not no_auth), **common)
    else:
        uvicorn.run("embargo.api.app:app_factory", factory=True, workers=workers, **common)


# -- the compliance workflow: customers, alerts, review --------------------------------------

if TYPE_CHECKING:
    from embargo.workflow import Workflow
    from embargo.workflow.model import Alert, ImportSummary, ScreeningRun


def _workflow(obj: Context) -> Workflow:
    from embargo.workflow import Workflow

    # The screener (and so the lists) is only needed by commands that screen.
    return Workflow(obj.store, lambda: obj.screener, obj.settings)


def _print_run(run: ScreeningRun) -> None:
    colour = "bold red" if run.alerts else "green"
    console.print(
        f"[{colour}]{run.screened:,} customer(s) screened[/]: {run.hits:,} match(es) at or above "
        f"the threshold, {len(run.alerts):,} new alert(s)"
        + (f" ({', '.join(str(a) for a in run.alerts[:20])}" if run.alerts else "")
        + (", ...)" if len(run.alerts) > 20 else ")" if run.alerts else ""),
        highlight=False,
    )
    for e in run.errors:
        console.print(f"  [yellow]{e.error}[/]", highlight=False)


def _print_import(summary: ImportSummary) -> None:
    console.print(
        f"[bold]{summary.source}[/]: {summary.rows:,} row(s) — {summary.created:,} created, "
        f"{summary.updated:,} updated, {summary.unchanged:,} unchanged, "
        f"{len(summary.errors):,} bad",
        highlight=False,
    )
    for e in summary.errors[:50]:
        console.print(f"  [yellow]{e.error}[/]", highlight=False)
    if len(summary.errors) > 50:
        console.print(
            f"  ... {len(summary.errors) - 50:,} more (all of them: --json)", highlight=False
        )
    if summary.screening is not None:
        _print_run(summary.screening)


@main.group()
def customers() -> None:
    """The customer book: import it, show a customer and its history, list customers."""


@customers.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--ref-column", metavar="COL", help="The customer's own reference (required).")
@click.option("--name-column", metavar="COL", help="The name to screen (default: name).")
@click.option(
    "--birth-date-column", metavar="COL", help="Birth date (YYYY-MM-DD, DD/MM/YYYY, YYYY)."
)
@click.option("--country-column", metavar="COL", help="Country or nationality; several with ';'.")
@click.option("--id-column", metavar="COL", help="Passport, tax, registration ... number(s).")
@click.option("--schema-column", metavar="COL", help="Person, Company, Organization, Vessel ...")
@click.option("--schema", type=_SCHEMA_CHOICE, help="Schema of rows without a schema column value.")
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A JSON (or 'key: column' lines) column mapping; the column options override it.",
)
@click.option("--no-screen", is_flag=True, help="Only store the customers; do not screen them.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def customers_import(
    obj: Context,
    file: Path,
    ref_column: str | None,
    name_column: str | None,
    birth_date_column: str | None,
    country_column: str | None,
    id_column: str | None,
    schema_column: str | None,
    schema: str | None,
    mapping_file: Path | None,
    no_screen: bool,
    as_json: bool,
) -> None:
    """Import the customer book FILE (CSV, XLSX, Parquet, JSON lines) and screen what changed.

    New customers are created, changed ones get a new version (history is kept), unchanged
    ones are left alone; bad rows are reported with their row numbers. Exit code 1 when new
    alerts were raised, 2 when rows were bad, else 0.
    """
    import dataclasses

    from embargo.batch.io import ColumnMapping

    mapping = ColumnMapping.from_file(mapping_file) if mapping_file else ColumnMapping()
    overrides = {
        "ref": ref_column,
        "name": name_column,
        "birth_date": birth_date_column,
        "country": country_column,
        "id": id_column,
        "schema": schema_column,
        "default_schema": schema,
    }
    mapping = dataclasses.replace(mapping, **{k: v for k, v in overrides.items() if v})
    wf = _workflow(obj)
    summary = wf.import_customers(file, mapping, cli_actor(), screen=not no_screen)
    if as_json:
        emit_json(summary.to_dict())
    else:
        _print_import(summary)
    alerts_raised = bool(summary.screening and summary.screening.alerts)
    sys.exit(1 if alerts_raised else 2 if summary.errors else 0)


@customers.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def customers_show(obj: Context, ref: str, as_json: bool) -> None:
    """One customer: current data, every version, screenings, alerts and whitelist."""
    wf = _workflow(obj)
    customer = wf.get_customer(ref)
    screened = wf.screenings(ref, limit=20)
    found = wf.list_alerts(ref=ref, limit=None)
    entries = wf.whitelist(ref, active=None)
    if as_json:
        emit_json(
            {
                **customer.to_dict(),
                "screenings": [s.to_dict() for s in screened],
                "alerts": [a.to_dict(evidence=False) for a in found],
                "whitelist": [e.to_dict() for e in entries],
            }
        )
        return
    console.print(
        f"[bold]{customer.caption}[/]  ({customer.schema}, ref {customer.ref}, "
        f"version {customer.version})",
        highlight=False,
    )
    for key, values in customer.data.get("properties", {}).items():
        console.print(f"  [dim]{key}[/] {'; '.join(values)}", highlight=False)
    console.print("[bold]History[/]", highlight=False)
    for v in customer.history:
        changes = ", ".join(
            f"{k}: " + ", ".join([*(f"-{x}" for x in d["removed"]), *(f"+{x}" for x in d["added"])])
            for k, d in v.changes.items()
        )
        console.print(
            f"  v{v.version} {v.at.isoformat(timespec='seconds')} {v.actor} ({v.origin})"
            + (f": {changes}" if changes else ""),
            highlight=False,
        )
    console.print(f"[bold]Screenings[/] (newest {len(screened)})", highlight=False)
    for s in screened:
        console.print(
            f"  #{s.id} {s.at.isoformat(timespec='seconds')} {s.trigger} by {s.actor}: "
            f"{s.hits} hit(s), alerts {s.alert_ids or 'none'}",
            highlight=False,
        )
    if found:
        console.print("[bold]Alerts[/]", highlight=False)
        _alerts_table(found)
    for e in entries:
        state = "active" if e.active else f"ended: {e.ended_reason}"
        console.print(
            f"  whitelisted {e.entity_id} (alert {e.alert_id}, {e.created_by}) — {state}",
            highlight=False,
        )


@customers.command("list")
@click.option("--search", metavar="TEXT", help="Only references or names containing TEXT.")
@click.option("--limit", type=click.IntRange(1, 1_000_000), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def customers_list(obj: Context, search: str | None, limit: int, as_json: bool) -> None:
    """The customers, by reference."""
    found = _workflow(obj).list_customers(limit=limit, search=search)
    if as_json:
        emit_json([c.to_dict() for c in found])
        return
    table = Table(title="Customers")
    for col in ("ref", "name", "schema", "version", "screened"):
        table.add_column(col)
    for c in found:
        table.add_row(
            c.ref,
            c.caption,
            c.schema,
            str(c.version),
            c.screened_at.isoformat(timespec="seconds") if c.screened_at else "[yellow]never[/]",
        )
    console.print(table)


@main.command("screen-customers")
@click.option("--ref", "refs", multiple=True, metavar="REF", help="Only these customers.")
@click.option(
    "--changed", is_flag=True, help="Only customers new or changed since their last screening."
)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def screen_customers(obj: Context, refs: tuple[str, ...], changed: bool, as_json: bool) -> None:
    """Screen the customer book (or some customers) against the active lists.

    Raises an alert per match at or above the threshold unless the pair is whitelisted,
    already under review or a confirmed match. Exit code 1 when new alerts were raised.
    """
    wf = _workflow(obj)
    wanted: list[str] | None = list(refs) if refs else None
    if changed:
        pending = wf.customers_to_screen()
        wanted = [r for r in pending if r in set(refs)] if refs else pending
    run = wf.screen_customers(wanted, actor=cli_actor())
    if as_json:
        emit_json(run.to_dict())
    else:
        _print_run(run)
    sys.exit(1 if run.alerts else 2 if run.errors else 0)


@main.group()
def alerts() -> None:
    """Alerts raised by screening customers: list, show, assign, decide (four-eyes)."""


_STATUS_CHOICE = click.Choice(
    ["active", "open", "pending_second_review", "escalated", "closed", "all"]
)


def _alerts_table(found: list[Alert]) -> None:
    table = Table(title="Alerts")
    for col in ("id", "status", "customer", "listed entity", "source", "score", "assignee", "age"):
        table.add_column(col, overflow="fold")
    now = datetime.now(UTC)
    for a in found:
        status = a.status
        if a.decision:
            status += f" ({a.decision})"
        elif a.pending_decision:
            status += f" ({a.pending_decision} by {a.pending_by})"
        table.add_row(
            str(a.id),
            status,
            a.customer_ref,
            f"{a.entity_caption}\n{a.entity_id}",
            f"{a.source}\n{', '.join(a.measures)}",
            f"{a.score:.2f}",
            a.assignee or "",
            f"{(now - a.created_at).days} d",
        )
    console.print(table)


@alerts.command("list")
@click.option("--status", type=_STATUS_CHOICE, default="active", show_default=True)
@click.option("--source", metavar="NAME", help="Only alerts on this list.")
@click.option("--measure", metavar="MEASURE", help="Only listings with this measure (blocking...).")
@click.option("--min-score", type=click.FloatRange(0, 1), help="Only scores at least this.")
@click.option("--assignee", metavar="USER", help="Only alerts assigned to USER ('none': nobody).")
@click.option("--customer", metavar="REF", help="Only this customer's alerts.")
@click.option("--older-than", type=click.FloatRange(0), metavar="DAYS", help="Only older alerts.")
@click.option("--limit", type=click.IntRange(1, 1_000_000), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def alerts_list(
    obj: Context,
    status: str,
    source: str | None,
    measure: str | None,
    min_score: float | None,
    assignee: str | None,
    customer: str | None,
    older_than: float | None,
    limit: int,
    as_json: bool,
) -> None:
    """Alerts, oldest first (active ones by default)."""
    from datetime import timedelta

    found = _workflow(obj).list_alerts(
        status=None if status == "all" else status,
        source=source,
        measure=measure,
        min_score=min_score,
        assignee=assignee,
        ref=customer,
        older_than=timedelta(days=older_than) if older_than is not None else None,
        limit=limit,
    )
    if as_json:
        emit_json([a.to_dict(evidence=False) for a in found])
    elif not found:
        console.print("[green]No alerts.[/]", highlight=False)
    else:
        _alerts_table(found)


@alerts.command("show")
@click.argument("alert_id", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def alerts_show(obj: Context, alert_id: int, as_json: bool) -> None:
    """One alert with its evidence: the customer and the listed entity as screened, the score
    and why, every decision and assignment."""
    alert = _workflow(obj).get_alert(alert_id)
    if as_json:
        emit_json(alert.to_dict())
        return
    state = alert.status + (f" ({alert.decision})" if alert.decision else "")
    console.print(
        f"[bold]Alert {alert.id}[/]: {state}; customer {alert.customer_ref} (version "
        f"{alert.customer_version}) ~ {alert.entity_id}, score {alert.score:.2f} "
        f"(threshold {alert.threshold:.2f}, {alert.algorithm})",
        highlight=False,
    )
    console.print(f"  {alert.reason}", highlight=False, soft_wrap=True)
    if alert.pending_decision:
        console.print(
            f"  [yellow]awaiting a second reviewer:[/] {alert.pending_decision} by "
            f"{alert.pending_by}",
            highlight=False,
        )
    console.print("[bold]Customer as screened[/]", highlight=False)
    for key, values in alert.customer_snapshot.get("properties", {}).items():
        console.print(f"  [dim]{key}[/] {'; '.join(values)}", highlight=False)
    console.print(
        f"[bold]Listed entity as in list version {alert.list_version_id}[/]", highlight=False
    )
    print_entity(msgspec.convert(alert.entity_snapshot, Entity))
    console.print(
        f"[bold]Why[/]: {alert.explanation.get('summary', '')}", highlight=False, soft_wrap=True
    )
    for d in alert.decisions:
        console.print(
            f"  {d.at.isoformat(timespec='seconds')} {d.actor}: {d.decision} ({d.stage}) — "
            f"{d.reason}",
            highlight=False,
        )
    for a in alert.assignments:
        console.print(
            f"  {a.at.isoformat(timespec='seconds')} {a.actor} assigned it to "
            f"{a.assignee or 'nobody'}",
            highlight=False,
        )


_AS_USER = click.option(
    "--as", "as_user", metavar="USER", help="Who is acting (default: cli:<os user>)."
)


@alerts.command("assign")
@click.argument("alert_id", metavar="ID", type=int)
@click.argument("user")
@_AS_USER
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def alerts_assign(
    obj: Context, alert_id: int, user: str, as_user: str | None, as_json: bool
) -> None:
    """Assign alert ID to USER ('-' unassigns it)."""
    alert = _workflow(obj).assign(alert_id, None if user == "-" else user, as_user or cli_actor())
    if as_json:
        emit_json(alert.to_dict(evidence=False))
    else:
        console.print(f"alert {alert.id} assigned to {alert.assignee or 'nobody'}", highlight=False)


@alerts.command("decide")
@click.argument("alert_id", metavar="ID", type=int)
@click.argument("decision", type=click.Choice(["true_match", "false_positive", "escalate"]))
@click.option("--reason", required=True, metavar="TEXT", help="Why (kept in the audit log).")
@_AS_USER
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def alerts_decide(
    obj: Context,
    alert_id: int,
    decision: str,
    reason: str,
    as_user: str | None,
    as_json: bool,
) -> None:
    """Decide alert ID. Under four-eyes the decision waits for a second reviewer
    (`embargo alerts confirm`); a final false_positive whitelists the pair."""
    result = _workflow(obj).decide(alert_id, decision, reason, as_user or cli_actor())
    if as_json:
        emit_json(result.to_dict())
    elif result.final:
        console.print(
            f"alert {alert_id}: {decision} — {result.alert.status}"
            + (" (pair whitelisted)" if result.whitelist else ""),
            highlight=False,
        )
    else:
        console.print(
            f"alert {alert_id}: {decision} recorded; [yellow]four-eyes[/]: a second, different "
            f"reviewer must confirm it (embargo alerts confirm {alert_id})",
            highlight=False,
        )


@alerts.command("confirm")
@click.argument("alert_id", metavar="ID", type=int)
@click.option("--reason", metavar="TEXT", help="Why (optional).")
@_AS_USER
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def alerts_confirm(
    obj: Context, alert_id: int, reason: str | None, as_user: str | None, as_json: bool
) -> None:
    """Four-eyes: confirm the decision awaiting a second review on alert ID."""
    result = _workflow(obj).confirm(alert_id, as_user or cli_actor(), reason)
    if as_json:
        emit_json(result.to_dict())
    else:
        console.print(
            f"alert {alert_id}: {result.decision.decision} confirmed — {result.alert.status}"
            + (" (pair whitelisted)" if result.whitelist else ""),
            highlight=False,
        )


@alerts.command("reject")
@click.argument("alert_id", metavar="ID", type=int)
@click.option("--reason", required=True, metavar="TEXT", help="Why (kept in the audit log).")
@_AS_USER
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def alerts_reject(
    obj: Context, alert_id: int, reason: str, as_user: str | None, as_json: bool
) -> None:
    """Four-eyes: reject the decision awaiting a second review; the alert is decided again."""
    result = _workflow(obj).reject(alert_id, as_user or cli_actor(), reason)
    if as_json:
        emit_json(result.to_dict())
    else:
        console.print(
            f"alert {alert_id}: {result.decision.decision} rejected — back to "
            f"{result.alert.status}",
            highlight=False,
        )


# Monitoring and evidence live beside the workflow they drive.
from embargo.workflow.commands import evidence, monitor  # noqa: E402

main.add_command(monitor)
main.add_command(evidence)

# Users, roles and API keys of the HTTP API.
from embargo.auth.commands import users  # noqa: E402

main.add_command(users)

if __name__ == "__main__":  # pragma: no cover
    main()
