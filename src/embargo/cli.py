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


if __name__ == "__main__":  # pragma: no cover
    main()
