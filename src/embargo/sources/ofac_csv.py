"""OFAC legacy CSV sets: ``SDN.CSV`` + ``ADD.CSV`` + ``ALT.CSV`` + ``SDN_COMMENTS.CSV`` (the SDN
list) and ``CONS_PRIM.CSV`` + ``CONS_ADD.CSV`` + ``CONS_ALT.CSV`` + ``CONS_COMMENTS.CSV`` (the
consolidated non-SDN list).

The layout is OFAC's "dat_spec": no header row, CRLF records, ``-0-`` for null, a trailing
0x1A (DOS end-of-file) byte, and four files linked by ``ent_num``. The primary file holds one
row per listed party with a 1000-character ``remarks`` column into which OFAC packs everything
its newer formats keep structured (birth dates, identifiers, weak aliases, links); the
comments ("spillover") file carries whatever did not fit, cut mid-word, so it is joined to the
primary remarks *before* the remarks are read. Strong aliases are in the alt file; weak ones
only in the remarks, in single quotes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from embargo.errors import ParseError
from embargo.model import Address, Entity, NameKind, Schema
from embargo.model.measures import ofac_listing
from embargo.model.values import clean, country_code, mark_original_scripts
from embargo.sources.base import COMPANION, FormatSpec, ParseReport, entity_id, text_head
from embargo.sources.ofac_common import CONS, SDN, SDN_URL, add_name, apply_remarks, ofac_name

_EOF: Final = b"\x1a"
_PRIMARY_WIDTH: Final = 12
_ADD_WIDTH: Final = 6
_ALT_WIDTH: Final = 5
_COMMENTS_WIDTH: Final = 2

# File name (lower case) -> (source, role). The roles are the four files of one set.
_FILES: Final[dict[str, tuple[str, str]]] = {
    "sdn.csv": (SDN, "primary"),
    "add.csv": (SDN, "add"),
    "alt.csv": (SDN, "alt"),
    "sdn_comments.csv": (SDN, "comments"),
    "cons_prim.csv": (CONS, "primary"),
    "cons_add.csv": (CONS, "add"),
    "cons_alt.csv": (CONS, "alt"),
    "cons_comments.csv": (CONS, "comments"),
}
_WIDTHS: Final = {
    "primary": _PRIMARY_WIDTH,
    "add": _ADD_WIDTH,
    "alt": _ALT_WIDTH,
    "comments": _COMMENTS_WIDTH,
}
_COMPANION_ROLES: Final = ("add", "alt", "comments")

_TYPES: Final = {
    "individual": Schema.PERSON,
    "entity": Schema.ORGANIZATION,
    "vessel": Schema.VESSEL,
    "aircraft": Schema.AIRCRAFT,
}
# Primary-file columns 6-11 (0-based 5-10) -> FollowTheMoney property names, as ofac_xml uses.
_VESSEL_COLUMNS: Final = (
    ("callSign", 5),
    ("vesselType", 6),
    ("tonnage", 7),
    ("grossRegisteredTonnage", 8),
    ("flag", 9),
    ("owner", 10),
)
_ALT_KINDS: Final = {"aka": NameKind.ALIAS, "fka": NameKind.FORMER, "nka": NameKind.ALIAS}


# --- sniffing and the file set ---------------------------------------------------------------


def _set_names(source: str) -> dict[str, str]:
    """Role -> lower-case file name for one set."""
    return {role: name for name, (src, role) in _FILES.items() if src == source}


def _first_line(text: str) -> tuple[str, bool]:
    """The first line of ``text`` and whether it is complete (ends before the head does)."""
    for i, ch in enumerate(text):
        if ch in "\r\n":
            return text[:i], True
    return text, False


def _shape_ok(role: str, head: bytes) -> bool:
    text = text_head(head)
    if not text.strip("\x1a\r\n \t"):
        # An empty set member (only the EOF byte) is legitimate for the companions; an empty
        # primary is claimed too, so that the parse reports it rather than nobody reading it.
        return True
    line, complete = _first_line(text)
    try:
        row = next(csv.reader([line]))
    except (csv.Error, StopIteration):
        return False
    if not row or not row[0].strip().isdigit():
        return False
    width = _WIDTHS[role]
    if not complete:
        # A spillover line can outgrow the sniffing head; judge it by what we have.
        return len(row) <= width
    # The column count and a numeric ent_num are the shape; the values (a new SDN_Type, say)
    # are the parser's to judge and report.
    return len(row) == width


def sniff(path: Path, head: bytes) -> str | None:
    known = _FILES.get(path.name.lower())
    if known is None:
        return None
    source, role = known
    if not _shape_ok(role, head):
        return None
    return source if role == "primary" else COMPANION


def _beside(primary: Path, name: str) -> Path | None:
    """The file called ``name`` (any case) in the primary file's folder, if there is one."""
    exact = primary.parent / name
    if exact.is_file():
        return exact
    folder = primary.parent
    if not folder.is_dir():
        return None
    for candidate in folder.iterdir():
        if candidate.name.lower() == name and candidate.is_file():
            return candidate
    return None


def _companions(primary: Path, source: str | None = None) -> dict[str, Path | None]:
    known = _FILES.get(primary.name.lower())
    names = _set_names(known[0] if known else (source or SDN))
    return {role: _beside(primary, names[role]) for role in _COMPANION_ROLES}


def files(primary: Path) -> list[Path]:
    """The primary file and whichever companions exist beside it (all are hashed)."""
    return [primary, *(p for p in _companions(primary).values() if p is not None)]


# --- reading rows ----------------------------------------------------------------------------


def _rows(
    path: Path, width: int, report: ParseReport, *, expect_eof: bool = True
) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line, row)`` for each record, checking encoding, quoting and column count."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ParseError(path, f"cannot read file ({exc.strerror or exc})") from None
    if not data:
        raise ParseError(path, "file is empty")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    stripped = data.rstrip(b"\r\n")
    if stripped.endswith(_EOF):
        data = stripped[:-1]
    elif expect_eof:
        report.warn(
            f"{path.name}: no end-of-file marker (0x1A); OFAC ends every CSV file with one, "
            "so this file may be truncated"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ParseError(
            path,
            f"undecodable bytes at offset {exc.start} ({data[exc.start : exc.start + 4]!r}): "
            "not UTF-8 text",
            line=line,
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reason = str(exc)
            if "unexpected end of data" in reason or "EOF" in reason:
                reason = "unterminated quoted field: the file is truncated or malformed"
            raise ParseError(path, f"malformed CSV: {reason}", line=start) from None
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # a blank line holds no record
        if len(row) != width:
            raise ParseError(path, f"row has {len(row)} columns, expected {width}", line=start)
        yield start, row


# --- entities --------------------------------------------------------------------------------


def _cell(value: str) -> str | None:
    """A cleaned cell; most cells are OFAC's null, so that case skips the full clean."""
    stripped = value.strip()
    if not stripped or stripped == "-0-":
        return None
    return clean(stripped)


def _programs(value: str | None) -> list[str]:
    """``SDGT] [NS-PLC`` -> ``["SDGT", "NS-PLC"]`` (OFAC strips only the outer brackets)."""
    text = clean(value)
    if text is None:
        return []
    return [p for p in (clean(x.strip("[] ")) for x in text.split("] [")) if p]


def _address(row: list[str]) -> Address | None:
    street, city, country = _cell(row[2]), _cell(row[3]), _cell(row[4])
    full = ", ".join(p for p in (street, city, country) if p)
    if not full:
        return None
    # The second column packs city, state/province and postal code ("London EC3N 1DY"); OFAC
    # does not separate them, so the whole value goes in ``city``.
    return Address(full=full, street=street, city=city, country=country_code(country))


def _entity(path: Path, line: int, row: list[str], report: ParseReport) -> Entity | None:
    """The entity of one primary row, before aliases, remarks and addresses are added."""
    source = report.source
    where = f"{path.name}, line {line}"
    ent_num = _cell(row[0])
    if ent_num is None:
        report.skip(where, "row has no ent_num")
        return None
    where = f"{where}, ent_num {ent_num}"
    raw_type = _cell(row[2])
    schema = _TYPES.get((raw_type or "entity").lower())
    if schema is None:
        report.warn(f"{where}: unknown SDN_Type {raw_type!r}, read as LegalEntity")
        schema = Schema.UNKNOWN
    primary_text = _cell(row[1])
    primary = ofac_name(primary_text, NameKind.PRIMARY, schema) if primary_text else None
    if primary is None:
        report.skip(where, "entry has no name")
        return None
    entity = Entity(
        id=entity_id(source, ent_num),
        schema=schema,
        source=source,
        source_id=ent_num,
        names=[primary],
        source_url=SDN_URL.format(uid=ent_num),
    )
    title = _cell(row[4])
    if title:
        (entity.positions if schema is Schema.PERSON else entity.titles).append(title)
    if any(cell.strip() != "-0-" for cell in row[5:11]):
        for key, index in _VESSEL_COLUMNS:
            entity.add_extra(key, _cell(row[index]))
        flag = country_code(_cell(row[9]))
        if flag and flag not in entity.countries:
            entity.countries.append(flag)
    return entity


def parse(path: Path, report: ParseReport) -> Iterator[Entity]:
    source = report.source
    companions = _companions(path, source)
    report.files = [path, *(p for p in companions.values() if p is not None)]
    known = _FILES.get(path.name.lower())
    set_names = _set_names(known[0] if known else source)
    for role, found in companions.items():
        if found is None:
            what = {"add": "addresses", "alt": "strong aliases", "comments": "remark overflow"}
            report.warn(f"{set_names[role]} not found beside {path.name}: {what[role]} not loaded")
    report.warn(f"{path.name}: the OFAC CSV files carry no publication date")

    # Companions are small next to the primary; index them by ent_num first.
    adds: dict[str, list[tuple[int, list[str]]]] = {}
    alts: dict[str, list[tuple[int, list[str]]]] = {}
    comments: dict[str, list[tuple[int, str]]] = {}
    if (p := companions["add"]) is not None:
        for line, row in _rows(p, _ADD_WIDTH, report):
            adds.setdefault(row[0].strip(), []).append((line, row))
    if (p := companions["alt"]) is not None:
        for line, row in _rows(p, _ALT_WIDTH, report):
            alts.setdefault(row[0].strip(), []).append((line, row))
    if (p := companions["comments"]) is not None:
        # The SDN spillover file is published without the 0x1A byte the other files end with.
        for line, row in _rows(p, _COMMENTS_WIDTH, report, expect_eof=False):
            comments.setdefault(row[0].strip(), []).append((line, row[1]))

    seen: set[str] = set()
    sdn = source == SDN
    for line, row in _rows(path, _PRIMARY_WIDTH, report):
        report.records += 1
        key = row[0].strip()
        if key in seen:
            report.skip(f"{path.name}, line {line}, ent_num {key}", "duplicate ent_num")
            continue
        seen.add(key)
        entity = _entity(path, line, row, report)
        if entity is None:
            continue
        # Alt-file names first, so that a strong alias the remarks repeat stays strong.
        alt_name = companions["alt"].name if companions["alt"] else "alt"
        for alt_line, alt in alts.get(key, []):
            if _cell(alt[3]) is None:
                report.skip(f"{alt_name}, line {alt_line}, ent_num {key}", "alias has no name")
            elif not _apply_alt(entity, alt):
                report.warn(
                    f"{alt_name}, line {alt_line}: unknown alt_type {alt[2].strip()!r}, "
                    "read as a.k.a."
                )
        measures: list[str] = []
        remarks = row[11] if _cell(row[11]) else ""
        # The spillover continues the remarks mid-word: join before reading.
        remarks += "".join(text for _, text in comments.get(key, []))
        if remarks:
            title = _cell(row[4])
            leftover = apply_remarks(entity, remarks, measures, title=title)
            if leftover:
                entity.remarks.insert(0, "; ".join(leftover))
        for _, add in adds.get(key, []):
            address = _address(add)
            if address is not None and address not in entity.addresses:
                entity.addresses.append(address)
                if _cell(add[5]):
                    entity.remarks.append(f"Address {address.full}: {_cell(add[5])}")
        entity.listings.append(ofac_listing(source, _programs(row[3]), sdn=sdn, measures=measures))
        mark_original_scripts(entity)
        yield entity

    if report.records == 0:
        raise ParseError(path, "file holds no records")
    orphans = (("add", adds), ("alt", alts), ("comments", comments))
    for role, index in orphans:
        companion = companions[role]
        name = companion.name if companion is not None else set_names[role]
        for key, rows in index.items():
            if key not in seen:
                for line, _ in rows:
                    report.skip(
                        f"{name}, line {line}, ent_num {key}",
                        f"no entry with this ent_num in {path.name}",
                    )


def _apply_alt(entity: Entity, row: list[str]) -> bool:
    """Add one alt-file name; False when its alt_type is not one OFAC documents."""
    alt_type = (_cell(row[2]) or "aka").lower()
    known = alt_type in _ALT_KINDS
    kind = _ALT_KINDS.get(alt_type, NameKind.ALIAS)
    note = _cell(row[4])
    if note and ("weak" in note.lower() or "low quality" in note.lower()):
        kind = NameKind.WEAK
    text = _cell(row[3])
    if text is None:
        return known
    add_name(entity, ofac_name(text, kind, entity.schema))
    if note:
        entity.remarks.append(f"{text}: {note}")
    return known


FORMAT = FormatSpec(
    name="ofac-csv",
    title="OFAC legacy CSV sets (SDN.CSV + ADD/ALT/SDN_COMMENTS, CONS_PRIM.CSV + CONS_*)",
    sniff=sniff,
    parse=parse,
    files=files,
    extensions=(".csv",),
)
