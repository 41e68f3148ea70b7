"""Getting lists in: find list files, parse them whole, store each as a list version.

A file is parsed completely before anything is written, and stored in one transaction, so a
truncated, malformed or oversized file never becomes (part of) the active version.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from embargo.errors import ConfigError, EmbargoError, ParseError
from embargo.model import Entity
from embargo.settings import Settings
from embargo.sources.base import (
    COMPANION,
    FormatSpec,
    ParseReport,
    check_file,
    content_hash,
    read_head,
)
from embargo.sources.registry import SOURCES, Download, formats, get_format, get_source
from embargo.store import SaveResult, Store

Progress = Callable[[str, int], None]  # (file label, entities read so far)


@dataclass(frozen=True)
class ListInput:
    path: Path
    format: FormatSpec
    source: str


@dataclass
class LoadOutcome:
    path: str
    source: str
    format: str
    status: str  # "loaded" | "unchanged" | "stored-inactive" | "failed" | "not-modified"
    message: str
    version_id: int | None = None
    entities: int = 0
    records: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "source": self.source,
            "format": self.format,
            "status": self.status,
            "message": self.message,
            "version_id": self.version_id,
            "entities": self.entities,
            "records": self.records,
            "skipped": self.skipped,
            "warnings": self.warnings,
        }


@dataclass
class UpdateReport:
    outcomes: list[LoadOutcome] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (path, why not loaded)

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "outcomes": [o.to_dict() for o in self.outcomes],
            "ignored": [{"path": p, "reason": r} for p, r in self.ignored],
        }


def sniff_file(path: Path, fmt: FormatSpec | None = None) -> tuple[FormatSpec, str] | None:
    """The format and source of a file, or None when no format recognises it."""
    head = read_head(path)
    candidates = [fmt] if fmt is not None else list(formats().values())
    for spec in candidates:
        found = spec.sniff(path, head)
        if found is not None:
            return spec, found
    return None


def discover(
    path: Path, *, format: str | None = None, source: str | None = None
) -> tuple[list[ListInput], list[tuple[str, str]]]:
    """The list files under ``path`` (a file or a folder), and the files passed over with why.

    In a folder, files are taken in name order, which for dated publisher folders is also
    date order; companion files of a set (OFAC's add/alt/comments CSVs) are read with their
    primary file.
    """
    fmt = get_format(format) if format else None
    if source is not None and source in SOURCES:
        get_source(source)
    if not path.exists():
        raise ConfigError(f"{path}: no such file or folder")
    if path.is_file():
        found = sniff_file(path, fmt)
        if found is None:
            if fmt is not None:
                # The user named the format: let its parser say what is wrong with the file.
                return [ListInput(path, fmt, source or fmt.name)], []
            raise ParseError(
                path,
                "not a list file Embargo recognises (name the format with --format; "
                f"known formats: {', '.join(sorted(formats()))})",
            )
        spec, found_source = found
        if found_source == COMPANION:
            raise ParseError(
                path, "is part of a file set; load the set's primary file or its folder instead"
            )
        return [ListInput(path, spec, source or found_source)], []
    inputs: list[ListInput] = []
    ignored: list[tuple[str, str]] = []
    files = sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )
    for file in files:
        if file.stat().st_size == 0:
            ignored.append((str(file), "empty file"))
            continue
        found = sniff_file(file, fmt)
        if found is None:
            ignored.append((str(file), "not a list file in a known format"))
            continue
        spec, found_source = found
        if found_source == COMPANION:
            ignored.append((str(file), "read together with its set's primary file"))
            continue
        inputs.append(ListInput(file, spec, source or found_source))
    return inputs, ignored


def parse_input(
    inp: ListInput, settings: Settings, progress: Progress | None = None
) -> tuple[list[Entity], ParseReport]:
    """Parse a whole file into memory, checking it first; raises ``ParseError``."""
    for file in inp.format.files(inp.path):
        check_file(file, max_bytes=settings.max_download_bytes)
    report = ParseReport(inp.source, inp.format.name, files=[inp.path])
    entities: list[Entity] = []
    seen: set[str] = set()
    label = inp.path.name
    try:
        for entity in inp.format.parse(inp.path, report):
            if entity.id in seen:
                report.skip(
                    f"{label}, entity {entity.id}", "duplicate id in the same file; first kept"
                )
                continue
            if not entity.names:
                report.skip(f"{label}, entity {entity.id}", "entity has no name")
                continue
            seen.add(entity.id)
            entities.append(entity)
            if progress is not None and len(entities) % 500 == 0:
                progress(label, len(entities))
    except UnicodeDecodeError as exc:
        raise ParseError(
            inp.path,
            f"not valid UTF-8 text (byte {exc.start}: {exc.reason}); check the file's encoding",
        ) from None
    if progress is not None:
        progress(label, len(entities))
    if not entities:
        raise ParseError(inp.path, "no entities could be read from the file")
    return entities, report


def load_input(
    store: Store,
    inp: ListInput,
    settings: Settings,
    *,
    origin: str | None = None,
    progress: Progress | None = None,
    actor: str = "system",
) -> LoadOutcome:
    """Parse one list file and store it as a version of its source. Never raises for bad data."""
    outcome = LoadOutcome(str(inp.path), inp.source, inp.format.name, "failed", "")
    try:
        entities, report = parse_input(inp, settings, progress)
        files = inp.format.files(inp.path)
        result: SaveResult = store.save_version(
            source=inp.source,
            format=inp.format.name,
            publisher_date=report.publisher_date,
            content_hash=content_hash(files),
            origin=origin or str(inp.path.resolve()),
            report={
                "files": [str(f) for f in report.files or files],
                "records": report.records,
                "stated_count": report.stated_count,
                "skipped": [{"where": s.where, "reason": s.reason} for s in report.skipped],
                "warnings": report.warnings,
            },
            entities=entities,
            actor=actor,
        )
    except EmbargoError as exc:
        outcome.message = f"{exc} — nothing was stored; the active version is unchanged"
        # If the store itself failed, the outcome already says what went wrong.
        with contextlib.suppress(EmbargoError):
            store.audit(
                "list.load_failed",
                "source",
                inp.source,
                {"path": str(inp.path), "format": inp.format.name, "error": str(exc)},
                actor=actor,
            )
        return outcome
    outcome.version_id = result.version.id
    outcome.entities = len(entities)
    outcome.records = report.records
    outcome.skipped = [{"where": s.where, "reason": s.reason} for s in report.skipped]
    outcome.warnings = list(report.warnings)
    outcome.message = result.message
    if not result.created:
        outcome.status = "unchanged"
    elif result.activated:
        outcome.status = "loaded"
    else:
        outcome.status = "stored-inactive"
    return outcome


def load_path(
    store: Store,
    path: Path,
    settings: Settings,
    *,
    format: str | None = None,
    source: str | None = None,
    progress: Progress | None = None,
    actor: str = "system",
) -> UpdateReport:
    """``embargo update --from PATH``: load a file, or every list file in a folder."""
    inputs, ignored = discover(path, format=format, source=source)
    report = UpdateReport(ignored=ignored)
    for inp in inputs:
        report.outcomes.append(load_input(store, inp, settings, progress=progress, actor=actor))
    return report


def update_sources(
    store: Store,
    settings: Settings,
    names: Iterable[str] | None = None,
    *,
    progress: Progress | None = None,
    download_progress: Callable[[str, int, int | None], None] | None = None,
    actor: str = "system",
) -> UpdateReport:
    """``embargo update``: download each source's current file(s) and load what changed."""
    from embargo.sources.fetch import CacheEntry, fetch

    chosen = [get_source(n) for n in names] if names else [s for s in SOURCES.values() if s.default]
    report = UpdateReport()
    downloads = settings.data_dir / "downloads"
    for spec in chosen:
        for dl in spec.downloads:
            url = download_url(settings, spec.name, dl)
            dest = downloads / spec.name / dl.filename
            dest.parent.mkdir(parents=True, exist_ok=True)
            cached = store.get_fetch_cache(url) if dest.exists() else None
            try:
                result = fetch(
                    url,
                    dest,
                    cache=CacheEntry(
                        cached.url, cached.etag, cached.last_modified, cached.sha256, cached.size
                    )
                    if cached
                    else None,
                    max_bytes=settings.max_download_bytes,
                    timeout=settings.fetch_timeout,
                    retries=settings.fetch_retries,
                    progress=_bind_progress(download_progress, url),
                )
            except EmbargoError as exc:
                store.audit(
                    "list.fetch_failed",
                    "source",
                    spec.name,
                    {"url": url, "error": str(exc)},
                    actor=actor,
                )
                report.outcomes.append(
                    LoadOutcome(
                        url,
                        spec.name,
                        dl.format,
                        "failed",
                        f"{exc} — the active version is unchanged",
                    )
                )
                continue
            if result.not_modified and store.active_version(spec.name) is not None:
                report.outcomes.append(
                    LoadOutcome(
                        url,
                        spec.name,
                        dl.format,
                        "not-modified",
                        f"{spec.name}: the publisher's file has not changed since the last update",
                    )
                )
                continue
            inp = ListInput(dest, get_format(dl.format), spec.name)
            outcome = load_input(store, inp, settings, origin=url, progress=progress, actor=actor)
            if outcome.ok and result.sha256 and result.size is not None:
                from embargo.store.store import FetchCacheRow

                store.put_fetch_cache(
                    FetchCacheRow(
                        url, result.etag, result.last_modified, result.sha256, result.size
                    )
                )
            report.outcomes.append(outcome)
    return report


def download_url(settings: Settings, source: str, dl: Download) -> str:
    """The publisher's URL, or the same file on the organisation's mirror when one is set
    (``EMBARGO_MIRROR_URL``), for networks that may not reach the publishers directly."""
    if settings.mirror_url:
        return f"{settings.mirror_url.rstrip('/')}/{source}/{dl.filename}"
    return dl.url


def _bind_progress(
    callback: Callable[[str, int, int | None], None] | None, url: str
) -> Callable[[int, int | None], None] | None:
    if callback is None:
        return None

    def bound(done: int, total: int | None) -> None:
        callback(url, done, total)

    return bound


def default_store(settings: Settings) -> Store:
    os.makedirs(settings.data_dir, exist_ok=True)
    return Store.open(settings.db_url)
