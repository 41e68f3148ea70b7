"""Ownership links in the database: import (CSV, FtM ``Ownership`` entities) and the 50% rule
applied to the active list versions.

Parties
-------
A link's ends are Embargo entity ids where the party is a listed entity, and otherwise free
references: the FtM id of a party an FtM file describes, or ``name:<normalised name>`` for a
party a CSV names without an id. A CSV cell is read, in this order, as: an entity id in the
store; a party id already used by a stored link; the name of exactly one active entity (primary
names first, then other non-weak names); otherwise a free reference by name. A name shared by
several active entities is a bad row (give the id). Names that matched nothing when imported
are looked up again when the rule is applied, so a link imported before its list still joins.
An FtM party keeps its FtM id unless it, or one of its ``referents``, is an entity id in the
store (an Embargo FtM export gives the Embargo id back through ``referents``).

Percentages (CSV)
-----------------
Always percent: ``25``, ``25%``, ``25.5``, ``25,5`` and ``0.5%`` are accepted; an empty cell is
a stake of unknown size. A bare number between 0 and 1 (``0.25``) is refused as ambiguous (a
quarter, or a quarter of one percent?): write ``25`` or ``0.25%``. FtM's ``percentage`` property
is a percentage by definition, so there ``0.25`` is 0.25%.

Importing
---------
A file is checked whole before anything is written: with any bad row the import is refused
(``OwnershipImportError`` lists every bad row by line number) and nothing is applied, unless
``skip_bad`` says to apply the good rows. The links are written and the import audited
(``ownership.import``) in one transaction; a refused import is audited too
(``ownership.import_rejected``). Re-importing updates the stake of each (owner, owned, source);
``replace`` also removes the links of the file's sources that the file no longer states.
FtM ``Ownership`` entities whose ``endDate`` has passed (or whose ``startDate`` is still to
come) are skipped and reported: an old shareholding does not make a party blocked today.

Blocked seeds
-------------
The listed parties are the entities of the active list versions with a ``blocking`` listing
(optionally only listings by given authorities: strictly, OFAC's rule concerns persons blocked
by OFAC and the EU test persons listed by the EU).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

import msgspec
from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from embargo.errors import ConfigError, EmbargoError, NotFoundError, ParseError, QueryError
from embargo.model import Entity, Measure, NameKind
from embargo.ownership.graph import (
    Aggregate,
    OwnershipAnalysis,
    OwnershipLink,
    Rule,
    analyse,
    get_rule,
)
from embargo.ownership.tables import ownership_links
from embargo.store import audit as auditlog
from embargo.store.store import Store
from embargo.store.tables import active_versions, version_entities

NAME_PREFIX: Final = "name:"
CSV_COLUMNS: Final = ("owner", "owned", "percentage", "source")
CSV_OPTIONAL: Final = ("control", "note")
_NUMBER = re.compile(r"^(\d+(?:[.,]\d+)?|[.,]\d+)\s*(%?)$")
_TRUE: Final = frozenset({"1", "true", "yes", "y", "x", "control", "controls"})
_FALSE: Final = frozenset({"", "0", "false", "no", "n"})
_FTM_PARTIES: Final = frozenset(
    {"Person", "Organization", "PublicBody", "Company", "LegalEntity", "Vessel", "Airplane"}
)
_MAX_LISTED_BAD: Final = 20


# ---- results and errors ---------------------------------------------------------------------


@dataclass(frozen=True)
class BadRow:
    line: int  # the line the record starts on (the CSV header is line 1)
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason}


class OwnershipImportError(EmbargoError):
    """A file had bad rows; nothing was applied."""

    def __init__(self, path: Path, bad: Sequence[BadRow]) -> None:
        self.path = str(path)
        self.bad = list(bad)
        shown = "\n".join(f"  {b}" for b in self.bad[:_MAX_LISTED_BAD])
        more = len(self.bad) - _MAX_LISTED_BAD
        super().__init__(
            f"{path}: {len(self.bad)} bad row(s), nothing imported "
            "(fix them, or import the good rows with --skip-bad):\n"
            + shown
            + (f"\n  ... and {more} more" if more > 0 else "")
        )


@dataclass
class ImportResult:
    path: str
    format: str
    content_hash: str
    records: int  # rows (CSV) or entities (FtM) read
    links: int  # links in the file after merging duplicates
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    sources: list[str] = field(default_factory=list)
    skipped: list[BadRow] = field(default_factory=list)  # not applicable (e.g. ended)
    bad: list[BadRow] = field(default_factory=list)  # only when applied with skip_bad
    warnings: list[str] = field(default_factory=list)
    audit_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "content_hash": self.content_hash,
            "records": self.records,
            "links": self.links,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "sources": self.sources,
            "skipped": [b.to_dict() for b in self.skipped],
            "bad": [b.to_dict() for b in self.bad],
            "warnings": self.warnings,
            "audit_id": self.audit_id,
        }


@dataclass(frozen=True)
class StoredLink:
    id: int
    owner: str
    owner_name: str
    owned: str
    owned_name: str
    percentage: float | None
    control: bool
    source: str
    note: str | None
    origin: str
    imported_at: datetime

    def to_link(self) -> OwnershipLink:
        return OwnershipLink(
            self.owner, self.owned, self.percentage, self.source, self.control, self.note
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "owner": self.owner,
            "owner_name": self.owner_name,
            "owned": self.owned,
            "owned_name": self.owned_name,
            "percentage": self.percentage,
            "control": self.control,
            "source": self.source,
            "note": self.note,
            "origin": self.origin,
            "imported_at": self.imported_at.isoformat(),
        }


# ---- small parsers --------------------------------------------------------------------------


def parse_percentage(text: str | None, *, bare_fractions: bool = False) -> float | None:
    """A stake in percent (0-100) from ``25``, ``25%``, ``25,5``; ``None`` for an empty cell.

    Raises ``ValueError`` with the reason. A bare number strictly between 0 and 1 is refused
    as ambiguous unless ``bare_fractions`` says such values are percentages too (FtM).
    """
    value = (text or "").strip()
    if not value:
        return None
    match = _NUMBER.match(value)
    if match is None:
        raise ValueError(f"percentage {value!r} is not a number (write 25 or 25%)")
    number = float(match.group(1).replace(",", "."))
    has_sign = bool(match.group(2))
    if number > 100:
        raise ValueError(f"percentage {value!r} is over 100%")
    if not has_sign and not bare_fractions and 0 < number < 1:
        raise ValueError(
            f"percentage {value!r} is ambiguous: write {_num(number * 100)} (or "
            f"{_num(number * 100)}%) for {_num(number * 100)}%, or {value}% for {value} percent"
        )
    return number


def _num(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def parse_control(text: str | None) -> bool:
    value = (text or "").strip().casefold()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"control {text!r} is not yes/no (or true/false, 1/0)")


def normalise_name(text: str) -> str:
    return " ".join(text.casefold().split())


def name_key(text: str) -> str:
    return NAME_PREFIX + normalise_name(text)


# ---- what a file holds before it is written --------------------------------------------------


@dataclass
class _Row:
    line: int
    owner: str
    owner_name: str
    owned: str
    owned_name: str
    percentage: float | None
    control: bool
    source: str
    note: str | None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.owner, self.owned, self.source)


@dataclass
class _Parsed:
    format: str
    records: int = 0
    rows: list[_Row] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    skipped: list[BadRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class _CsvRecord:
    line: int
    owner: str
    owned: str
    percentage: float | None
    control: bool
    source: str
    note: str | None


class _Ambiguous(Exception):
    pass


# ---- looking parties up ----------------------------------------------------------------------


class _Entities:
    """What the store knows of the parties a file or the links name (looked up lazily)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.captions: dict[str, str] = {}  # known entity id -> caption
        self._looked_up: set[str] = set()
        self._primary: dict[str, dict[str, str]] | None = None
        self._other: dict[str, dict[str, str]] = {}

    def lookup_ids(self, candidates: Iterable[str]) -> None:
        wanted = sorted({c for c in candidates if c and c not in self._looked_up})
        self._looked_up.update(wanted)
        with self.store.engine.connect() as conn:
            for chunk in _chunks(wanted, 500):
                rows = conn.execute(
                    select(version_entities.c.entity_id, version_entities.c.caption)
                    .where(version_entities.c.entity_id.in_(chunk))
                    .order_by(version_entities.c.version_id)
                )
                for row in rows:
                    self.captions[row.entity_id] = row.caption  # the newest version wins

    def is_entity(self, candidate: str) -> bool:
        if candidate not in self._looked_up:
            self.lookup_ids([candidate])
        return candidate in self.captions

    def _index(self) -> dict[str, dict[str, str]]:
        if self._primary is None:
            primary: dict[str, dict[str, str]] = {}
            for entity in self.store.iter_active_entities():
                caption = entity.caption
                primary.setdefault(normalise_name(caption), {})[entity.id] = caption
                for name in entity.names:
                    if name.kind is NameKind.WEAK:
                        continue
                    key = normalise_name(name.full)
                    if key not in primary or entity.id not in primary[key]:
                        self._other.setdefault(key, {})[entity.id] = caption
            self._primary = primary
        return self._primary

    def by_name(self, text: str) -> tuple[str, str] | None:
        """The one active entity named ``text``; ``_Ambiguous`` when several are."""
        key = normalise_name(text)
        primary = self._index()
        for index in (primary, self._other):
            found = index.get(key)
            if not found:
                continue
            if len(found) > 1:
                ids = ", ".join(sorted(found))
                raise _Ambiguous(f"{text!r} is the name of several listed entities ({ids})")
            ((entity_id, caption),) = found.items()
            return entity_id, caption
        return None


# ---- the store ------------------------------------------------------------------------------


class OwnershipStore:
    """Ownership links kept beside the list versions, and the rules applied to them."""

    def __init__(self, store: Store) -> None:
        self.store = store
        try:
            # The lead's ``embargo.store`` creates the table with the rest; this covers a store
            # opened before this module was imported.
            ownership_links.create(store.engine, checkfirst=True)
        except SQLAlchemyError as exc:  # pragma: no cover - a database refusing DDL
            raise EmbargoError(f"cannot create the ownership_links table: {exc}") from exc

    # -- reading ---------------------------------------------------------------------------

    def links(self, *, source: str | None = None) -> list[StoredLink]:
        query = select(ownership_links).order_by(
            ownership_links.c.owned, ownership_links.c.owner, ownership_links.c.source
        )
        if source is not None:
            query = query.where(ownership_links.c.source == source)
        with self.store.engine.connect() as conn:
            return [_stored(r) for r in conn.execute(query)]

    def count(self) -> int:
        with self.store.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(ownership_links)).scalar_one())

    # -- importing -------------------------------------------------------------------------

    def import_file(
        self,
        path: Path,
        format: str | None = None,
        *,
        source: str | None = None,
        replace: bool = False,
        skip_bad: bool = False,
        actor: str = "system",
        today: date | None = None,
    ) -> ImportResult:
        """Import a CSV (``owner,owned,percentage,source``) or an FtM entities file."""
        fmt = format or _guess_format(path)
        if fmt == "csv":
            if source is not None:
                raise ConfigError("--source is for FtM files; a CSV names the source per row")
            parsed = self._read_csv(path)
        elif fmt == "ftm":
            parsed = self._read_ftm(path, source, today or datetime.now(UTC).date())
        else:
            raise ConfigError(f"unknown ownership format {fmt!r}: use csv or ftm")
        return self._apply(path, parsed, replace=replace, skip_bad=skip_bad, actor=actor)

    def _apply(
        self, path: Path, parsed: _Parsed, *, replace: bool, skip_bad: bool, actor: str
    ) -> ImportResult:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        parsed.bad.sort(key=lambda b: b.line)
        if parsed.bad and not skip_bad:
            self.store.audit(
                "ownership.import_rejected",
                "ownership_file",
                path.name,
                {
                    "path": str(path),
                    "format": parsed.format,
                    "content_hash": digest,
                    "bad_rows": len(parsed.bad),
                    "first_bad": [str(b) for b in parsed.bad[:5]],
                },
                actor=actor,
            )
            raise OwnershipImportError(path, parsed.bad)
        sources = sorted({r.source for r in parsed.rows})
        result = ImportResult(
            path=str(path),
            format=parsed.format,
            content_hash=digest,
            records=parsed.records,
            links=len(parsed.rows),
            sources=sources,
            skipped=parsed.skipped,
            bad=parsed.bad,
            warnings=parsed.warnings,
        )
        now = datetime.now(UTC)
        try:
            with self.store.engine.begin() as conn:
                self._write(conn, path, parsed.rows, sources, replace, now, result)
                record = auditlog.append(
                    conn,
                    actor=actor,
                    action="ownership.import",
                    subject_type="ownership_file",
                    subject_id=path.name,
                    details={
                        "path": str(path),
                        "format": parsed.format,
                        "content_hash": digest,
                        "records": parsed.records,
                        "links": len(parsed.rows),
                        "inserted": result.inserted,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                        "removed": result.removed,
                        "replace": replace,
                        "sources": sources,
                        "skipped": len(parsed.skipped),
                        "bad_rows_skipped": len(parsed.bad),
                        "warnings": len(parsed.warnings),
                    },
                )
                result.audit_id = record.id
        except SQLAlchemyError as exc:
            raise EmbargoError(f"{path}: the ownership links could not be stored: {exc}") from exc
        return result

    def _write(
        self,
        conn: Connection,
        path: Path,
        rows: list[_Row],
        sources: list[str],
        replace: bool,
        now: datetime,
        result: ImportResult,
    ) -> None:
        existing: dict[tuple[str, str, str], Any] = {}
        for chunk in _chunks(sources, 500):
            for stored in conn.execute(
                select(ownership_links).where(ownership_links.c.source.in_(chunk))
            ):
                existing[(stored.owner, stored.owned, stored.source)] = stored
        new_rows: list[dict[str, Any]] = []
        for row in rows:
            values = {
                "owner": row.owner,
                "owner_name": row.owner_name,
                "owned": row.owned,
                "owned_name": row.owned_name,
                "percentage": row.percentage,
                "control": row.control,
                "source": row.source,
                "note": row.note,
                "origin": str(path),
                "imported_at": now,
            }
            old = existing.pop(row.key, None)
            if old is None:
                new_rows.append(values)
            elif (old.percentage, bool(old.control), old.note, old.owner_name, old.owned_name) == (
                row.percentage,
                row.control,
                row.note,
                row.owner_name,
                row.owned_name,
            ):
                result.unchanged += 1
            else:
                conn.execute(
                    update(ownership_links).where(ownership_links.c.id == old.id).values(**values)
                )
                result.updated += 1
        for chunk in _chunks(new_rows, 1000):
            conn.execute(ownership_links.insert(), list(chunk))
        result.inserted = len(new_rows)
        if replace and existing:
            ids = [old.id for old in existing.values()]
            for id_chunk in _chunks(ids, 500):
                conn.execute(delete(ownership_links).where(ownership_links.c.id.in_(id_chunk)))
            result.removed = len(ids)

    def _party_names(self) -> dict[str, str]:
        """Every party id used by a stored link, with its stored name."""
        out: dict[str, str] = {}
        with self.store.engine.connect() as conn:
            for row in conn.execute(
                select(
                    ownership_links.c.owner,
                    ownership_links.c.owner_name,
                    ownership_links.c.owned,
                    ownership_links.c.owned_name,
                )
            ):
                out.setdefault(row.owner, row.owner_name)
                out.setdefault(row.owned, row.owned_name)
        return out

    def _read_csv(self, path: Path) -> _Parsed:
        parsed = _Parsed("csv")
        records = _csv_records(path, parsed)
        entities = _Entities(self.store)
        entities.lookup_ids(v for r in records for v in (r.owner, r.owned))
        known = self._party_names()

        def resolve(text: str) -> tuple[str, str]:
            if entities.is_entity(text):
                return text, entities.captions[text]
            if text in known:
                return text, known[text]
            found = entities.by_name(text)
            if found is not None:
                return found
            return name_key(text), text

        seen: dict[tuple[str, str, str], int] = {}
        for rec in records:
            try:
                owner, owner_name = resolve(rec.owner)
                owned, owned_name = resolve(rec.owned)
            except _Ambiguous as exc:
                parsed.bad.append(BadRow(rec.line, f"{exc}: give the entity id"))
                continue
            if owner == owned:
                parsed.bad.append(BadRow(rec.line, f"{rec.owner!r} cannot own itself"))
                continue
            row = _Row(
                rec.line,
                owner,
                owner_name,
                owned,
                owned_name,
                rec.percentage,
                rec.control,
                rec.source,
                rec.note,
            )
            if row.key in seen:
                parsed.bad.append(
                    BadRow(
                        rec.line,
                        f"states the stake of {rec.owner!r} in {rec.owned!r} from "
                        f"{rec.source!r} again (first on line {seen[row.key]})",
                    )
                )
                continue
            seen[row.key] = rec.line
            parsed.rows.append(row)
        return parsed

    def _read_ftm(self, path: Path, source: str | None, today: date) -> _Parsed:
        parsed = _Parsed("ftm")
        entities = _ftm_entities(path, parsed)
        if not entities:
            raise ParseError(path, "file holds no entities (only blank lines)")
        if source is None:
            from embargo.sources.ftm import source_for

            source = source_for(path, entities[0][1])
        captions: dict[str, str] = {}
        referents: dict[str, list[str]] = {}
        ownerships: list[tuple[int, dict[str, Any]]] = []
        for line, data in entities:
            schema = data.get("schema")
            if schema in _FTM_PARTIES:
                caption = str(data.get("caption") or "") or _first(data, "name") or data["id"]
                captions.setdefault(data["id"], caption)
                refs = data.get("referents")
                if isinstance(refs, list):
                    referents[data["id"]] = [r for r in refs if isinstance(r, str)]
            elif schema == "Ownership":
                ownerships.append((line, data))
        lookup = _Entities(self.store)
        ends = {v for _, d in ownerships for key in ("owner", "asset") for v in _values(d, key)}
        lookup.lookup_ids(ends | {r for e in ends for r in referents.get(e, [])})

        def resolve(fid: str) -> tuple[str, str]:
            for candidate in (fid, *referents.get(fid, [])):
                if lookup.is_entity(candidate):
                    return candidate, lookup.captions[candidate]
            return fid, captions.get(fid, fid)

        today_iso = today.isoformat()
        merged: dict[tuple[str, str], _Row] = {}
        stated: dict[tuple[str, str], dict[int, float]] = {}
        for line, data in ownerships:
            where = f"Ownership {data['id']}"
            owners, assets = _values(data, "owner"), _values(data, "asset")
            if not owners or not assets:
                missing = "owner" if not owners else "asset"
                parsed.bad.append(BadRow(line, f"{where} has no {missing}"))
                continue
            ended = [_end_of(v) for v in _values(data, "endDate")]
            if ended and max(ended) < today_iso:
                parsed.skipped.append(BadRow(line, f"{where} ended on {max(ended)}"))
                continue
            starts = [_start_of(v) for v in _values(data, "startDate")]
            if starts and min(starts) > today_iso:
                parsed.skipped.append(BadRow(line, f"{where} starts only on {min(starts)}"))
                continue
            try:
                values = [
                    p
                    for p in (
                        parse_percentage(v, bare_fractions=True)
                        for v in _values(data, "percentage")
                    )
                    if p is not None
                ]
            except ValueError as exc:
                parsed.bad.append(BadRow(line, f"{where}: {exc}"))
                continue
            if len(set(values)) > 1:
                parsed.warnings.append(
                    f"line {line}: {where} states several percentages "
                    f"({', '.join(_num(v) for v in values)}); the highest is used"
                )
            percentage = max(values) if values else None
            note = _ftm_note(data)
            for owner_id in owners:
                for asset_id in assets:
                    owner, owner_name = resolve(owner_id)
                    owned, owned_name = resolve(asset_id)
                    if owner == owned:
                        parsed.bad.append(BadRow(line, f"{where}: {owner_id} cannot own itself"))
                        continue
                    key = (owner, owned)
                    if percentage is not None:
                        stated.setdefault(key, {})[line] = percentage
                    row = merged.get(key)
                    if row is None:
                        merged[key] = _Row(
                            line,
                            owner,
                            owner_name,
                            owned,
                            owned_name,
                            percentage,
                            False,
                            source,
                            note,
                        )
                        continue
                    # Several current Ownership records of one pair (often one per dataset):
                    # one stake, the highest stated, with every record's note.
                    if percentage is not None and (
                        row.percentage is None or percentage > row.percentage
                    ):
                        row.percentage = percentage
                    if note and note not in (row.note or ""):
                        row.note = f"{row.note}; {note}" if row.note else note
        for key, by_line in stated.items():
            if len(set(by_line.values())) > 1:
                row = merged[key]
                text = ", ".join(f"{_num(p)}% (line {n})" for n, p in sorted(by_line.items()))
                parsed.warnings.append(
                    f"the stake of {row.owner_name} in {row.owned_name} is stated differently: "
                    f"{text}; the highest is used"
                )
        parsed.rows = list(merged.values())
        return parsed

    # -- applying the rules ----------------------------------------------------------------

    def analyse(
        self, rule: str | Rule = "ofac_50", *, authorities: Collection[str] | None = None
    ) -> OwnershipAnalysis:
        """Apply a rule to every stored link, the listed parties being the active versions'."""
        return self._analyse(get_rule(rule), authorities, ())

    def _analyse(
        self, rule: Rule, authorities: Collection[str] | None, extra: Iterable[str]
    ) -> OwnershipAnalysis:
        stored = self.links()
        entities = _Entities(self.store)
        names: dict[str, str] = {}
        for link in stored:
            names.setdefault(link.owner, link.owner_name)
            names.setdefault(link.owned, link.owned_name)
        extra = list(extra)
        rename, warnings = self._late_names(entities, names)
        links = [
            dataclasses.replace(
                s.to_link(),
                owner=rename.get(s.owner, s.owner),
                owned=rename.get(s.owned, s.owned),
            )
            for s in stored
        ]
        parties = {p for link in links for p in (link.owner, link.owned)} | set(extra)
        seeds, captions = blocked_seeds(self.store, parties, authorities=authorities)
        names.update(captions)
        analysis = analyse(links, seeds, rule=rule, names=names, parties=extra)
        if warnings:
            analysis = dataclasses.replace(analysis, warnings=(*warnings, *analysis.warnings))
        return analysis

    def _late_names(
        self, entities: _Entities, names: dict[str, str]
    ) -> tuple[dict[str, str], list[str]]:
        """Free name references that now name exactly one active entity: use its id."""
        rename: dict[str, str] = {}
        warnings: list[str] = []
        for party in sorted(p for p in names if p.startswith(NAME_PREFIX)):
            try:
                found = entities.by_name(names[party])
            except _Ambiguous as exc:
                warnings.append(
                    f"{exc}: the links naming it are not joined to any of them (use an id)"
                )
                continue
            if found is not None:
                rename[party] = found[0]
                names.setdefault(found[0], found[1])
        return rename, warnings

    def blocked_by_ownership(
        self, rule: str | Rule = "ofac_50", *, authorities: Collection[str] | None = None
    ) -> list[Aggregate]:
        return self.analyse(rule, authorities=authorities).blocked_by_ownership

    def resolve_party(self, text: str, analysis: OwnershipAnalysis) -> str:
        """The party a user means by an id or a name."""
        text = text.strip()
        if not text:
            raise QueryError("no party given")
        if text in analysis.parties:
            return text
        entities = _Entities(self.store)
        if entities.is_entity(text):
            return text
        wanted = normalise_name(text)
        named = sorted(
            {p for p, agg in analysis.parties.items() if normalise_name(agg.name) == wanted}
        )
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise QueryError(f"{text!r} names several parties ({', '.join(named)}): give the id")
        try:
            found = entities.by_name(text)
        except _Ambiguous as exc:
            raise QueryError(f"{exc}: give the id") from None
        if found is not None:
            return found[0]
        raise NotFoundError(f"no ownership link and no listed entity for {text!r}")

    def check(
        self,
        party: str,
        rule: str | Rule = "ofac_50",
        *,
        authorities: Collection[str] | None = None,
        actor: str = "system",
        audit: bool = True,
    ) -> Aggregate:
        """Is ``party`` (an id or a name) blocked under ``rule``, and why? Audited."""
        the_rule = get_rule(rule)
        analysis = self._analyse(the_rule, authorities, ())
        key = self.resolve_party(party, analysis)
        if key not in analysis.parties:  # an entity with no ownership link
            analysis = self._analyse(the_rule, authorities, (key,))
        result = analysis.parties[key]
        if audit:
            self.store.audit(
                "ownership.check",
                "party",
                key,
                {
                    "query": party,
                    "rule": the_rule.name,
                    "authorities": sorted(authorities) if authorities else None,
                    "blocked": result.blocked,
                    "listed": result.listed,
                    "by_ownership": result.by_ownership,
                    "share": round(result.share, 9),
                    "paths": list(result.path_sentences[:5]),
                    "warnings": list(result.warnings),
                },
                actor=actor,
            )
        return result


def blocked_seeds(
    store: Store,
    parties: Collection[str] | None = None,
    *,
    authorities: Collection[str] | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """Listed parties with a blocking listing on an active version, and their captions.

    Returns (entity id -> what lists it, entity id -> caption). With ``parties`` only those
    entities are read (the ones links name); without, every active entity is.
    """
    wanted = {a.casefold() for a in authorities} if authorities else None
    seeds: dict[str, str] = {}
    captions: dict[str, str] = {}
    for entity in _active_entities(store, parties):
        listings = [
            lst
            for lst in entity.listings
            if lst.measure is Measure.BLOCKING
            and (wanted is None or lst.authority.casefold() in wanted)
        ]
        captions[entity.id] = entity.caption
        if not listings:
            continue
        text = "; ".join(
            dict.fromkeys(
                f"{lst.authority} {lst.list}"
                + (f" ({', '.join(lst.programs)})" if lst.programs else "")
                for lst in listings
            )
        )
        seeds[entity.id] = f"{seeds[entity.id]}; {text}" if entity.id in seeds else text
    return seeds, captions


def _active_entities(store: Store, parties: Collection[str] | None) -> Iterator[Entity]:
    if parties is None:
        yield from store.iter_active_entities()
        return
    ids = sorted(p for p in parties if not p.startswith(NAME_PREFIX))
    hashes: list[str] = []
    with store.engine.connect() as conn:
        for chunk in _chunks(ids, 500):
            hashes.extend(
                conn.execute(
                    select(version_entities.c.hash)
                    .join(
                        active_versions,
                        active_versions.c.version_id == version_entities.c.version_id,
                    )
                    .where(version_entities.c.entity_id.in_(chunk))
                )
                .scalars()
                .all()
            )
    blobs = store.load_blobs(hashes)
    for digest in sorted(set(hashes)):
        yield blobs[digest]


# ---- file readers ---------------------------------------------------------------------------


def _guess_format(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".json", ".jsonl", ".ndjson")):
        return "ftm"
    raise ConfigError(f"{path}: cannot tell the format from the name: give --format csv|ftm")


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    if not raw.strip():
        raise ParseError(path, "file is empty")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ParseError(path, f"not UTF-8 text ({exc.reason})", line=line) from None


def _csv_records(path: Path, parsed: _Parsed) -> list[_CsvRecord]:
    text = _decode(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except csv.Error as exc:
        raise ParseError(path, f"malformed CSV header ({exc})", line=1) from None
    columns = [h.strip().casefold() for h in header]
    missing = [c for c in CSV_COLUMNS if c not in columns]
    if missing:
        hint = " (the file looks ;-separated: use commas)" if ";" in ",".join(header) else ""
        raise ParseError(
            path,
            f"missing column(s) {', '.join(missing)}: the header must have "
            f"{','.join(CSV_COLUMNS)}{hint}",
            line=1,
        )
    duplicated = sorted({c for c in columns if c and columns.count(c) > 1})
    if duplicated:
        raise ParseError(path, f"column(s) {', '.join(duplicated)} appear twice", line=1)
    for extra in columns:
        if extra not in CSV_COLUMNS and extra not in CSV_OPTIONAL:
            parsed.warnings.append(f"column {extra!r} is not used")
    at = {c: i for i, c in enumerate(columns)}
    records: list[_CsvRecord] = []
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ParseError(path, f"malformed CSV ({exc})", line=line) from None
        start, line = line, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        parsed.records += 1
        if len(cells) != len(columns):
            parsed.bad.append(
                BadRow(start, f"{len(cells)} fields where the header has {len(columns)}")
            )
            continue

        def cell(name: str, cells: list[str] = cells) -> str:
            return cells[at[name]].strip() if name in at else ""

        problems: list[str] = []
        owner, owned, source = cell("owner"), cell("owned"), cell("source")
        for label, value in (("owner", owner), ("owned", owned), ("source", source)):
            if not value:
                problems.append(f"no {label}")
        percentage: float | None = None
        control = False
        try:
            percentage = parse_percentage(cell("percentage"))
        except ValueError as exc:
            problems.append(str(exc))
        try:
            control = parse_control(cell("control"))
        except ValueError as exc:
            problems.append(str(exc))
        if problems:
            parsed.bad.append(BadRow(start, "; ".join(problems)))
            continue
        records.append(
            _CsvRecord(start, owner, owned, percentage, control, source, cell("note") or None)
        )
    if parsed.records == 0:
        raise ParseError(path, "no rows under the header")
    return records


def _ftm_entities(path: Path, parsed: _Parsed) -> list[tuple[int, dict[str, Any]]]:
    """Every entity of the file with its line, nested ones flattened to ids."""
    if path.stat().st_size == 0:
        raise ParseError(path, "file is empty")
    out: list[tuple[int, dict[str, Any]]] = []
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            line = raw.strip()
            if not line:
                continue
            try:
                data = msgspec.json.decode(line)
            except msgspec.DecodeError as exc:
                raise ParseError(path, f"malformed JSON ({exc})", line=number) from None
            if not isinstance(data, dict):
                raise ParseError(
                    path, f"line is a JSON {type(data).__name__}, not an object", line=number
                )
            parsed.records += 1
            for entity in _flatten(data):
                if not isinstance(entity.get("id"), str) or not isinstance(
                    entity.get("schema"), str
                ):
                    if entity is data:
                        parsed.bad.append(BadRow(number, "entity has no id or no schema"))
                    continue
                out.append((number, entity))
    return out


def _flatten(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The entity and the entities nested in its properties (``targets.nested.json``)."""
    stack = [data]
    while stack:
        entity = stack.pop()
        props = entity.get("properties")
        if not isinstance(props, dict):
            entity["properties"] = {}
        else:
            for key, values in list(props.items()):
                if not isinstance(values, list):
                    values = [values]
                kept: list[Any] = []
                for value in values:
                    if isinstance(value, dict):
                        if isinstance(value.get("id"), str):
                            stack.append(value)
                            kept.append(value["id"])
                    else:
                        kept.append(value)
                props[key] = kept
        yield entity


def _values(data: dict[str, Any], key: str) -> list[str]:
    props = data.get("properties") or {}
    return [v.strip() for v in props.get(key, []) if isinstance(v, str) and v.strip()]


def _first(data: dict[str, Any], key: str) -> str | None:
    values = _values(data, key)
    return values[0] if values else None


def _end_of(value: str) -> str:
    """The last day a partial FtM date can mean (``2023`` -> ``2023-12-31``)."""
    value = value[:10]
    if len(value) == 4:
        return f"{value}-12-31"
    if len(value) == 7:
        return f"{value}-31"
    return value


def _start_of(value: str) -> str:
    value = value[:10]
    if len(value) == 4:
        return f"{value}-01-01"
    if len(value) == 7:
        return f"{value}-01"
    return value


def _ftm_note(data: dict[str, Any]) -> str:
    parts = [f"FtM Ownership {data['id']}"]
    for key, label in (
        ("role", "role"),
        ("ownershipType", "type"),
        ("startDate", "since"),
        ("sharesCount", "shares"),
    ):
        values = _values(data, key)
        if values:
            parts.append(f"{label} {', '.join(values)}")
    datasets = [d for d in data.get("datasets") or [] if isinstance(d, str)]
    if datasets:
        parts.append(f"datasets {', '.join(datasets)}")
    return "; ".join(parts)


def _stored(row: Any) -> StoredLink:
    at = row.imported_at if row.imported_at.tzinfo else row.imported_at.replace(tzinfo=UTC)
    return StoredLink(
        id=row.id,
        owner=row.owner,
        owner_name=row.owner_name,
        owned=row.owned,
        owned_name=row.owned_name,
        percentage=row.percentage,
        control=bool(row.control),
        source=row.source,
        note=row.note,
        origin=row.origin,
        imported_at=at,
    )


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


__all__ = [
    "BadRow",
    "ImportResult",
    "OwnershipImportError",
    "OwnershipStore",
    "StoredLink",
    "blocked_seeds",
    "name_key",
    "ownership_links",
    "parse_control",
    "parse_percentage",
]
