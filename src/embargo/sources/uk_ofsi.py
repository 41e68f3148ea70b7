"""UK OFSI Consolidated List of Financial Sanctions Targets, "2022 format": ``ConList.csv`` and
``ConList.xlsx`` (source ``gb_ofsi``).

Both editions hold one table: a ``Last Updated | dd/mm/yyyy`` line, a header line, then **one
row per name variant**. A target is a ``Group ID``; its rows need not be adjacent, and they are
the cross product of its names with its birth dates, addresses and regimes (a person with four
birth dates and twelve names has 48 rows), so rows are grouped across the whole file and every
other column is read as a set.

Within a row, ``Name 6`` is the surname (or the whole name of an entity or ship) and ``Name 1``
to ``Name 5`` are given names. Multi-valued cells are enumerated inline (``(1) Germany. (2)
Morocco``), and enumerations in neighbouring columns pair up by number (passport number ``(2)``
goes with passport details ``(2)``, town of birth ``(1)`` with country of birth ``(1)``).
``Other Information`` is free text with embedded ``(Label):value`` fields: the UK Sanctions List
reference, gender, the UN reference, contact details, ship particulars and the statement of
reasons; the known labels are routed to their fields and the rest kept as remarks.

The XLSX edition is read with openpyxl in read-only mode: on the real 18,798-row file that takes
1.2-1.5 s on the 2-core reference machine (the whole parse about 2.5 s), under the ~3 s at which
reading the sheet XML straight from the zip (measured at about 1.1 s) would pay for its extra
code.

The helpers for UK value conventions (enumerations, name types, paired columns) are shared with
``uk_fcdo``, which reads the FCDO's UK Sanctions List in the same conventions; UK dates
(``00/00/1980``, ``dd/mm/1945``, ``05/1973``, ``25-Feb-2022``) are read by ``values``.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from operator import itemgetter
from pathlib import Path
from typing import Final

import msgspec
from rigour.langs import iso_639_alpha3

from embargo.errors import ParseError
from embargo.model import (
    Address,
    Entity,
    Identifier,
    IdType,
    Name,
    NameKind,
    Relation,
    Schema,
)
from embargo.model.measures import uk_listing
from embargo.model.values import (
    clean,
    country_code,
    id_type,
    make_name,
    mark_original_scripts,
    parse_birth_date,
    parse_date,
    parse_gender,
)
from embargo.sources.base import FormatSpec, ParseReport, entity_id, text_head

SOURCE: Final = "gb_ofsi"
AUTHORITY: Final = "UK OFSI"
LIST_NAME: Final = "OFSI Consolidated List"

# The 36 columns of the 2022 format, in published order.
COLUMNS: Final = (
    "Name 6",
    "Name 1",
    "Name 2",
    "Name 3",
    "Name 4",
    "Name 5",
    "Title",
    "Name Non-Latin Script",
    "Non-Latin Script Type",
    "Non-Latin Script Language",
    "DOB",
    "Town of Birth",
    "Country of Birth",
    "Nationality",
    "Passport Number",
    "Passport Details",
    "National Identification Number",
    "National Identification Details",
    "Position",
    "Address 1",
    "Address 2",
    "Address 3",
    "Address 4",
    "Address 5",
    "Address 6",
    "Post/Zip Code",
    "Country",
    "Other Information",
    "Group Type",
    "Alias Type",
    "Alias Quality",
    "Regime",
    "Listed On",
    "UK Sanctions List Date Designated",
    "Last Updated",
    "Group ID",
)
REQUIRED: Final = ("Name 6", "Group ID", "Group Type", "Alias Type", "Regime")

_TYPES: Final = {
    "individual": Schema.PERSON,
    "entity": Schema.ORGANIZATION,
    "ship": Schema.VESSEL,
}

# ---------------------------------------------------------------------------------------------
# UK value conventions, shared with uk_fcdo
# ---------------------------------------------------------------------------------------------

# "(1) a (2) b": a marker opens the cell or follows whitespace, so "Article 3(3)" is not one.
_ENUM = re.compile(r"(?:^|(?<=\s))\((\d{1,2})\)\s*")
_TRAILING = " \t\n.;,"


def split_enumerated(value: str | None, *, pipes: bool = False) -> list[str]:
    """The items of an inline enumeration (``(1) Germany. (2) Morocco``), in order.

    A value without ``(1)`` at its start is one item. Markers must count up from 1, so a
    stray ``(2)`` inside an item's text does not split it. Items keep their position, empty
    ones included (``(1) Tunis (2) - (3) -``), so that parallel columns pair up by number.
    ``pipes`` also splits on ``|``, the FCDO's separator for multi-valued cells.
    """
    if value is None:
        return []
    text = value.strip()
    if not text:
        return []
    items: list[str]
    first = _ENUM.match(text)
    if first is None or first.group(1) != "1":
        items = [text]
    else:
        cuts: list[tuple[int, int]] = []
        expected = 1
        for m in _ENUM.finditer(text):
            if int(m.group(1)) == expected:
                cuts.append((m.start(), m.end()))
                expected += 1
        items = []
        for i, (_, end) in enumerate(cuts):
            stop = cuts[i + 1][0] if i + 1 < len(cuts) else len(text)
            items.append(text[end:stop])
    if pipes:
        items = [part for item in items for part in item.split("|")]
    return [item.strip().rstrip(_TRAILING).strip() for item in items]


def split_values(value: str | None, *, pipes: bool = False) -> list[str]:
    """``split_enumerated`` without empty or placeholder items, each cleaned."""
    out: list[str] = []
    for item in split_enumerated(value, pipes=pipes):
        text = clean(item)
        if text and text not in out:
            out.append(text)
    return out


def name_kind(name_type: str | None, quality: str | None) -> NameKind | None:
    """The kind of a UK name row; None for a name type this module does not know.

    OFSI writes ``Primary name``, ``Primary name variation``, ``AKA``, ``FKA``; the FCDO
    writes ``Primary Name``, ``Primary name variation``, ``Alias`` (also seen as ``ALias``).
    A spelling variation of the primary name is a strong alias; a low-quality alias is weak.
    """
    kind_text = (clean(name_type) or "").lower()
    if kind_text in ("primary name", "primary", "prime alias"):
        kind = NameKind.PRIMARY
    elif kind_text in ("primary name variation", "aka", "alias", "a.k.a."):
        kind = NameKind.ALIAS
    elif kind_text in ("fka", "f.k.a.", "formerly known as", "former name"):
        kind = NameKind.FORMER
    else:
        return None
    strength = (clean(quality) or "").lower()
    if kind is not NameKind.PRIMARY and ("low" in strength or "weak" in strength):
        kind = NameKind.WEAK
    return kind


def uk_name(
    given: Sequence[str | None],
    surname: str | None,
    kind: NameKind,
    schema: Schema,
    *,
    title: str | None = None,
) -> Name | None:
    """A name from the UK ``Name 1..5`` (given names) and ``Name 6`` (surname) columns.

    Persons are written in natural order, ``Vladimir Vladimirovich PUTIN``; for an entity or
    ship ``Name 6`` holds the whole name.
    """
    parts = [p for p in (clean(g) for g in given) if p]
    last = clean(surname)
    full = " ".join([*parts, last] if last else parts)
    if schema is Schema.PERSON and parts:
        return make_name(
            full,
            kind,
            first=parts[0],
            middle=" ".join(parts[1:]) or None,
            last=last,
            title=title,
        )
    return make_name(full, kind, title=title)


def language_code(language: str | None) -> str | None:
    """ISO 639-3 code for a language the publisher names (``Russian`` -> ``rus``)."""
    text = clean(language)
    if text is None:
        return None
    for part in re.split(r"[/,;]", text):
        code = iso_639_alpha3(part.strip())
        if code:
            return str(code)
    return None


def add_unique(values: list[str], value: str | None) -> None:
    if value and value not in values:
        values.append(value)


_COUNTRY_SPLIT: Final = re.compile(r"\.\s+|\s*;\s*|\s*,\s*|\s+and\s+")


class CountryNames:
    """Country names to ISO codes, remembering the names that could not be resolved.

    Unresolved names are reported once per file rather than once per row, so a parse of a
    whole list gives one readable warning instead of hundreds.
    """

    def __init__(self) -> None:
        self.unknown: dict[str, int] = {}

    def code(self, name: str | None) -> str | None:
        text = clean(name)
        if text is None:
            return None
        code = country_code(text)
        if code is None:
            self.unknown[text] = self.unknown.get(text, 0) + 1
        return code

    def codes(self, value: str | None) -> list[str]:
        """Codes for a cell naming one country, or several run together (``Germany. Russia``)."""
        text = clean(value)
        if text is None:
            return []
        code = country_code(text)
        if code is not None:
            return [code]
        out: list[str] = []
        parts = [p for p in (clean(p) for p in _COUNTRY_SPLIT.split(text)) if p]
        if len(parts) > 1:
            for part in parts:
                add_unique(out, self.code(part))
        else:
            add_unique(out, self.code(text))
        return out

    def warn(self, report: ParseReport, file_name: str) -> None:
        if self.unknown:
            listed = ", ".join(f"{k!r} ({v})" for k, v in sorted(self.unknown.items()))
            report.warn(f"{file_name}: country names not recognised, kept as text only: {listed}")


def add_imo(entity: Entity, value: str | None, label: str = "IMO number") -> None:
    for item in split_values(value, pipes=True):
        digits = re.sub(r"(?i)^imo[\s:.-]*", "", item).strip()
        ident = Identifier(type=IdType.IMO, value=digits or item, label=label)
        if ident not in entity.identifiers:
            entity.identifiers.append(ident)


def add_documents(
    entity: Entity,
    numbers: str | None,
    details: str | None,
    default: IdType,
    label: str,
    *,
    pipes: bool = False,
) -> None:
    """Identifiers from a number column and its details column, paired by enumeration.

    The details say what the number is where the publisher knows more than the column name
    (``Italian Fiscal Code`` in the national-identification column is a tax id).
    """
    values = split_enumerated(numbers, pipes=pipes)
    notes = split_enumerated(details, pipes=pipes)
    for i, raw in enumerate(values):
        value = clean(raw)
        if value is None:
            continue
        if len(notes) == len(values):
            note = clean(notes[i])
        elif len(notes) == 1:
            note = clean(notes[0])  # one unnumbered detail describes every number
        else:
            note = clean(notes[i]) if i < len(notes) else None
        kind = default
        if note and default is IdType.NATIONAL_ID:
            guessed = id_type(note)
            if guessed not in (IdType.OTHER, IdType.PASSPORT):
                kind = guessed
        ident = Identifier(type=kind, value=value, label=label, note=note)
        if ident not in entity.identifiers:
            entity.identifiers.append(ident)


_LABELLED_NUMBER: Final = re.compile(r"^([^:\d]{1,40}?)\s*(?::|\s-|–)\s*(\S.*)$")
_TAX_WORDS: Final = re.compile(r"\b(?:tin|inn|tax)\b", re.I)


def add_registrations(
    entity: Entity, value: str | None, label: str, *, pipes: bool = False
) -> None:
    """Company numbers, which UK lists often prefix with their kind (``OGRN: 1027739090708``,
    ``Kazakhstan BIN - 170440031562``): the prefix becomes the label, the number the value."""
    for item in split_values(value, pipes=pipes):
        kind, own_label, number = IdType.REGISTRATION, label, item
        m = _LABELLED_NUMBER.match(item)
        if m:
            own_label, number = m.group(1).strip(), m.group(2).strip()
            if _TAX_WORDS.search(own_label):
                kind = IdType.TAX_ID
        ident = Identifier(type=kind, value=number, label=own_label)
        if ident not in entity.identifiers:
            entity.identifiers.append(ident)


def add_birth_places(
    entity: Entity, towns: str | None, countries: str | None, *, pipes: bool = False
) -> None:
    """``Town, Country`` places of birth from the two columns, paired by enumeration."""
    town_items = split_enumerated(towns, pipes=pipes)
    country_items = split_enumerated(countries, pipes=pipes)
    for i in range(max(len(town_items), len(country_items))):
        town = clean(town_items[i]) if i < len(town_items) else None
        if len(country_items) == 1:
            country = clean(country_items[0])
        else:
            country = clean(country_items[i]) if i < len(country_items) else None
        add_unique(entity.birth_places, ", ".join(p for p in (town, country) if p) or None)


def make_address(
    lines: Sequence[str | None],
    postal_code: str | None,
    country: str | None,
    countries: CountryNames,
) -> Address | None:
    """An address from UK ``Address 1..6`` lines; the last line holds the town in most rows."""
    cleaned = [clean(line) for line in lines]
    street_parts = [p for p in cleaned[:-1] if p]
    city = cleaned[-1] if cleaned else None
    postal, country_name = clean(postal_code), clean(country)
    street = ", ".join(street_parts) or None
    full = ", ".join(p for p in (street, city, postal, country_name) if p)
    if not full:
        return None
    return Address(
        full=full,
        street=street,
        city=city,
        postal_code=postal,
        country=countries.code(country_name),
    )


def add_name(names: dict[str, Name], name: Name | None) -> None:
    """Keep one Name per text, the strongest kind winning (primary over alias over weak)."""
    if name is None:
        return
    known = names.get(name.full)
    if known is None or _RANK[name.kind] < _RANK[known.kind]:
        names[name.full] = name


_RANK: Final = {
    NameKind.PRIMARY: 0,
    NameKind.ORIGINAL_SCRIPT: 1,
    NameKind.ALIAS: 1,
    NameKind.FORMER: 1,
    NameKind.WEAK: 2,
}


def order_names(names: Iterable[Name], where: str, report: ParseReport) -> list[Name]:
    """Exactly one primary name first: extra primaries become aliases, and a record without
    one has its first name promoted (both reported)."""
    out = list(names)
    primaries = [n for n in out if n.kind is NameKind.PRIMARY]
    if not primaries and out:
        report.warn(f"{where}: no primary name; {out[0].full!r} used as the primary name")
        out[0] = msgspec.structs.replace(out[0], kind=NameKind.PRIMARY)
        primaries = [out[0]]
    if len(primaries) > 1:
        report.warn(
            f"{where}: {len(primaries)} different primary names; the first is kept as primary "
            "and the others as aliases"
        )
        first = primaries[0]
        out = [
            n
            if n is first or n.kind is not NameKind.PRIMARY
            else msgspec.structs.replace(n, kind=NameKind.ALIAS)
            for n in out
        ]
    out.sort(key=lambda n: n.kind is not NameKind.PRIMARY)
    return out


# ---------------------------------------------------------------------------------------------
# Other Information
# ---------------------------------------------------------------------------------------------

# Labels OFSI embeds as "(Label):value" -> what they become.
_LABELS: Final = {
    "uk sanctions list ref": "ref",
    "uk statement of reasons": "reasons",
    "un ref": "unscId",
    "gender": "gender",
    "phone number": "phone",
    "tel": "phone",
    "fax": "fax",
    "email address": "email",
    "website": "website",
    "type of entity": "legalForm",
    "parent company": "parent",
    "subsidiaries": "subsidiaries",
    "business reg no": "registration",
    "imo number": "imo",
    "current owners": "owner",
    "flag of ship": "flag",
    "previous flags": "pastFlags",
    "type of ship": "vesselType",
    "tonnage of ship": "tonnage",
    "length of ship": "length",
    "year built": "buildDate",
}
_LABEL_SPLIT: Final = re.compile(
    r"\((" + "|".join(re.escape(label) for label in _LABELS) + r")\)\s*:", re.I
)
_REFS: Final = re.compile(
    r"^([A-Z]{2,4}\d{3,5}(?:\s*(?:,|and|&)\s*[A-Z]{2,4}\d{3,5})*)[.,;]?\s*(.*)$", re.S
)
_REF: Final = re.compile(r"[A-Z]{2,4}\d{3,5}")
_UN_REF: Final = re.compile(r"^([A-Z]{2}[a-z]\.\d{2,4})[.,;]?\s*(.*)$", re.S)
_EXTRA_MEASURES: Final = re.compile(
    r"in addition to an asset freeze:\s*(.+?)(?=\s*(?:Date\s|The prohibition|\(|$))", re.S | re.I
)
_EMBEDDED_SCRIPT: Final = re.compile(
    r"Name \(non-Latin script\):\s*(.+?)\.(?:\s+Non Latin Script Type:\s*([^.]+)\.)?"
    r"(?:\s+Non Latin Script Language:\s*([^.]+)\.)?",
    re.S,
)
_LIST_SPLIT: Final = re.compile(r"\s*;\s*|\.\s+(?=\S)")


class OtherInfo(msgspec.Struct):
    refs: list[str] = msgspec.field(default_factory=list)
    measures: list[str] = msgspec.field(default_factory=list)
    remarks: list[str] = msgspec.field(default_factory=list)
    fields: dict[str, list[str]] = msgspec.field(default_factory=dict)
    scripts: list[tuple[str, str | None]] = msgspec.field(default_factory=list)


def parse_other_information(text: str | None) -> OtherInfo:
    """Split OFSI's ``Other Information`` into its labelled fields and free text."""
    info = OtherInfo()
    if not text:
        return info
    parts = _LABEL_SPLIT.split(text)
    free: list[str] = [parts[0]]
    for i in range(1, len(parts) - 1, 2):
        key = _LABELS[parts[i].lower()]
        value = parts[i + 1].strip()
        if key == "ref":
            m = _REFS.match(value)
            if m:
                info.refs.extend(r for r in _REF.findall(m.group(1)) if r not in info.refs)
                value = m.group(2)
            free.append(value)
        elif key == "unscId":
            m = _UN_REF.match(value)
            if m:
                info.fields.setdefault(key, []).append(m.group(1))
                value = m.group(2)
            free.append(value)
        elif key == "reasons":
            reasons = clean(value)
            if reasons:
                info.remarks.append(f"Statement of reasons: {reasons}")
        else:
            info.fields.setdefault(key, []).append(value)
    free_text = clean(" ".join(free))
    if free_text:
        for m in _EXTRA_MEASURES.finditer(free_text):
            for item in re.split(r"\.\s+", m.group(1)):
                add_unique(info.measures, clean(item.strip().rstrip(".")))
        for m in _EMBEDDED_SCRIPT.finditer(free_text):
            info.scripts.append((m.group(1).strip(), clean(m.group(3))))
        info.remarks.insert(0, free_text)
    return info


def _list_items(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        for item in split_values(value):
            for part in _LIST_SPLIT.split(item):
                add_unique(out, clean(part.strip().rstrip(".")))
    return out


def apply_other_information(entity: Entity, info: OtherInfo, countries: CountryNames) -> None:
    fields = info.fields
    for value in fields.get("gender", []):
        entity.gender = parse_gender(value) or entity.gender
    for key in ("phone", "fax", "email", "website"):
        for item in _list_items(fields.get(key, [])):
            entity.add_extra(key, item)
    for key in ("legalForm", "vesselType", "tonnage", "length", "buildDate", "unscId"):
        for value in fields.get(key, []):
            for item in split_values(value):
                entity.add_extra(key, item)
    for key in ("flag", "pastFlags"):
        for value in fields.get(key, []):
            for item in split_values(value):
                entity.add_extra(key, item)
                if key == "flag":
                    for code in countries.codes(item):
                        add_unique(entity.countries, code)
    for value in fields.get("imo", []):
        add_imo(entity, value)
    for value in fields.get("registration", []):
        add_registrations(entity, value, "Business Reg No")
    for key, kind in (("parent", "parent-company"), ("subsidiaries", "subsidiary")):
        for item in _list_items(fields.get(key, [])):
            relation = Relation(kind=kind, target=item)
            if relation not in entity.relations:
                entity.relations.append(relation)
    for item in _list_items(fields.get("owner", [])):
        relation = Relation(kind="vessel-owner", target=item)
        if relation not in entity.relations:
            entity.relations.append(relation)
    for remark in info.remarks:
        add_unique(entity.remarks, remark)


# ---------------------------------------------------------------------------------------------
# Reading the two editions
# ---------------------------------------------------------------------------------------------

Row = tuple[int, list[str | None]]


def decode_text(path: Path, data: bytes) -> str:
    """The file's text: UTF-8 (BOM optional) or BOM-marked UTF-16, else a ParseError naming
    the line of the first undecodable byte."""
    if not data:
        raise ParseError(path, "file is empty")
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ParseError(
            path,
            f"not valid {encoding.replace('-sig', '')} text (byte 0x{data[exc.start]:02x} at "
            f"offset {exc.start}); the file may be in another encoding or damaged",
            line=line,
        ) from None


def csv_rows(path: Path) -> Iterator[Row]:
    """Every CSV record with the line it starts on."""
    text = decode_text(path, path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for record in reader:
            yield start, list(record)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ParseError(path, f"malformed CSV ({exc})", line=reader.line_num) from None


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if type(value) is str:
        return value
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# What a damaged or foreign file raises from inside openpyxl or zipfile.
_XLSX_ERRORS: Final = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    KeyError,
    EOFError,
    OSError,
    ValueError,
    SyntaxError,  # xml.etree's ParseError and lxml's XMLSyntaxError both derive from it
    TypeError,
    LookupError,  # an XML part declaring an encoding Python does not know
    RuntimeError,  # an encrypted part, an unknown compression method, nesting without end
)


def xlsx_rows(path: Path, report: ParseReport) -> Iterator[Row]:
    """Every row of the workbook's first sheet, with its 1-based row number."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    with path.open("rb") as fh:
        try:
            with warnings.catch_warnings():
                # openpyxl warns about a missing default style; the data does not depend on it.
                warnings.simplefilter("ignore")
                workbook = openpyxl.load_workbook(fh, read_only=True, data_only=True)
        except (*_XLSX_ERRORS, InvalidFileException) as exc:
            raise ParseError(path, f"not a readable XLSX workbook ({exc})") from None
        try:
            if not workbook.worksheets:
                raise ParseError(path, "the workbook has no worksheet")
            if len(workbook.worksheets) > 1:
                report.warn(
                    f"{path.name}: {len(workbook.worksheets)} sheets; only the first, "
                    f"{workbook.worksheets[0].title!r}, is read"
                )
            sheet = workbook.worksheets[0]
            number = 0
            try:
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                    yield number, [_cell_text(v) for v in values]
            except _XLSX_ERRORS as exc:
                raise ParseError(
                    path,
                    f"the sheet is damaged or truncated ({exc})",
                    element=f"sheet {sheet.title!r}, after row {number}",
                ) from None
        finally:
            workbook.close()


def row_error(path: Path, kind: str, number: int, reason: str) -> ParseError:
    """A ParseError at a CSV line or a spreadsheet row."""
    if kind == "csv":
        return ParseError(path, reason, line=number)
    return ParseError(path, reason, element=f"row {number}")


def _header_index(path: Path, kind: str, header: list[str | None], number: int) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        key = (clean(name) or "").lower()
        if key and key not in index:
            index[key] = i
    for column in REQUIRED:
        if column.lower() not in index:
            raise row_error(
                path,
                kind,
                number,
                f"missing required column {column!r} in the header; "
                "is this the OFSI 2022-format list?",
            )
    return index


def parse_table(
    path: Path, rows: Iterator[Row], kind: str, report: ParseReport
) -> Iterator[Entity]:
    """Group the rows of either edition by Group ID and build one entity per group."""
    header: list[str | None] | None = None
    header_at = 0
    for number, cells in rows:
        if not any(clean(c) for c in cells):
            continue
        first = (clean(cells[0]) or "").lower()
        if first == "last updated" and report.publisher_date is None and header is None:
            stated = next((c for c in cells[1:] if clean(c)), None)
            report.publisher_date = parse_date(stated)
            if report.publisher_date is None:
                report.warn(f"{path.name}: unreadable 'Last Updated' date {stated!r}")
            continue
        header, header_at = cells, number
        break
    if header is None:
        raise row_error(path, kind, 1, "no header row found (the file holds no table)")
    index = _header_index(path, kind, header, header_at)
    known = {c.lower() for c in COLUMNS}
    extra = [h for h in (clean(h) for h in header) if h and h.lower() not in known]
    if extra:
        report.warn(f"{path.name}: columns not in the 2022 format, ignored: {extra}")
    absent = [c for c in COLUMNS if c.lower() not in index]
    if absent:
        report.warn(f"{path.name}: 2022-format columns absent, read as empty: {absent}")
    width = len(header)
    columns = {c: index.get(c.lower()) for c in COLUMNS}

    groups: dict[str, list[Row]] = {}
    group_col = columns["Group ID"]
    assert group_col is not None
    # Rows repeat the same values many times over (the cross product), so each distinct cell
    # text is cleaned once.
    cleaned: dict[str, str | None] = {}

    def clean_cell(value: str | None) -> str | None:
        if value is None:
            return None
        if value not in cleaned:
            cleaned[value] = clean(value)
        return cleaned[value]

    for number, raw_cells in rows:
        cells = [clean_cell(c) for c in raw_cells]
        if len(cells) != width:
            if len(cells) > width and not any(cells[width:]):
                cells = cells[:width]
            elif kind == "xlsx" and len(cells) < width:
                cells = cells + [None] * (width - len(cells))
            elif not any(cells):
                continue
            else:
                raise row_error(
                    path, kind, number, f"row has {len(cells)} columns, the header has {width}"
                )
        if not any(cells):
            continue
        report.records += 1
        group_id = cells[group_col]
        if group_id is None:
            report.skip(f"{path.name}, {_place(kind, number)}", "row without a Group ID")
            continue
        cells.append(None)  # see _distinct
        groups.setdefault(group_id, []).append((number, cells))
    if report.publisher_date is None:
        report.warn(f"{path.name}: no 'Last Updated' line; the list date is unknown")

    countries = CountryNames()
    infos: dict[str, OtherInfo] = {}
    prefixes = _regime_prefixes(groups, columns, infos)
    for group_id, group_rows in groups.items():
        entity = _build_group(
            path, kind, group_id, group_rows, columns, prefixes, infos, countries, report
        )
        if entity is not None:
            yield entity
    countries.warn(report, path.name)


def _place(kind: str, number: int) -> str:
    return f"line {number}" if kind == "csv" else f"row {number}"


_NAME_COLUMNS: Final = (
    "Name 1",
    "Name 2",
    "Name 3",
    "Name 4",
    "Name 5",
    "Name 6",
    "Title",
    "Name Non-Latin Script",
    "Non-Latin Script Language",
    "Alias Type",
    "Alias Quality",
)
_DETAIL_COLUMNS: Final = (
    "Title",
    "DOB",
    "Town of Birth",
    "Country of Birth",
    "Nationality",
    "Passport Number",
    "Passport Details",
    "National Identification Number",
    "National Identification Details",
    "Position",
    "Address 1",
    "Address 2",
    "Address 3",
    "Address 4",
    "Address 5",
    "Address 6",
    "Post/Zip Code",
    "Country",
    "Last Updated",
)

Projection = dict[str, str | None]


def _distinct(
    group_rows: list[Row], columns: dict[str, int | None], names: Sequence[str]
) -> list[Projection]:
    """The distinct combinations of some columns over a group's rows, in file order.

    A group's rows are the cross product of its names, birth dates, addresses and regimes;
    reading each column set on its own distinct values avoids redoing the same work dozens
    of times for a target with many names.
    """
    # Every row ends with one extra blank cell, which stands in for an absent column.
    get = itemgetter(*[-1 if columns[n] is None else columns[n] for n in names], -1)
    seen: dict[tuple[str | None, ...], None] = dict.fromkeys(get(cells) for _, cells in group_rows)
    return [dict(zip(names, values, strict=False)) for values in seen]


def _other_info(text: str, infos: dict[str, OtherInfo]) -> OtherInfo:
    # Every row of a group repeats the same text; parse each distinct text once.
    info = infos.get(text)
    if info is None:
        info = infos[text] = parse_other_information(text)
    return info


def _regime_prefixes(
    groups: dict[str, list[Row]], columns: dict[str, int | None], infos: dict[str, OtherInfo]
) -> dict[str, str]:
    """Which regime each reference prefix stands for (``RUS`` -> ``Russia``), learnt from the
    targets listed under one regime with one reference, so that a target under two regimes
    (``INU0082 and SYR0310``) gets the right reference on each listing."""
    seen: dict[str, dict[str, int]] = {}
    for group_rows in groups.values():
        combos = _distinct(group_rows, columns, ("Regime", "Other Information"))
        if len(combos) != 1:
            continue
        regime, text = combos[0]["Regime"], combos[0]["Other Information"]
        refs = _other_info(text, infos).refs if text else []
        if regime and len(refs) == 1:
            prefix = re.sub(r"\d+$", "", refs[0])
            counts = seen.setdefault(prefix, {})
            counts[regime] = counts.get(regime, 0) + 1
    return {prefix: max(counts, key=lambda r: counts[r]) for prefix, counts in seen.items()}


def _build_group(
    path: Path,
    kind: str,
    group_id: str,
    group_rows: list[Row],
    columns: dict[str, int | None],
    prefixes: dict[str, str],
    infos: dict[str, OtherInfo],
    countries: CountryNames,
    report: ParseReport,
) -> Entity | None:
    source = report.source
    where = f"{path.name}, {_place(kind, group_rows[0][0])}, Group ID {group_id}"
    type_names = [
        (row["Group Type"] or "").lower() for row in _distinct(group_rows, columns, ("Group Type",))
    ]
    type_name = type_names[0]
    schema = _TYPES.get(type_name)
    if schema is None:
        report.warn(f"{where}: unknown Group Type {type_name!r}, read as LegalEntity")
        schema = Schema.UNKNOWN
    if len(type_names) > 1:
        report.warn(
            f"{where}: rows disagree on Group Type {sorted(type_names)}; {type_name!r} used"
        )

    names: dict[str, Name] = {}
    unknown_types: set[str] = set()
    name_rows = _distinct(group_rows, columns, _NAME_COLUMNS)
    for row in name_rows:
        alias_type = row["Alias Type"]
        kind_of_name = name_kind(alias_type, row["Alias Quality"])
        if kind_of_name is None:
            unknown_types.add(alias_type or "")
            kind_of_name = NameKind.ALIAS
        titles = split_values(row["Title"])
        add_name(
            names,
            uk_name(
                [row[f"Name {i}"] for i in range(1, 6)],
                row["Name 6"],
                kind_of_name,
                schema,
                title=titles[0] if len(titles) == 1 else None,
            ),
        )
    if unknown_types:
        report.warn(f"{where}: unknown Alias Type {sorted(unknown_types)}, read as aliases")
    # A name in its own script is an alias of the target, never a second primary name.
    for row in name_rows:
        lang = language_code(row["Non-Latin Script Language"])
        for text in split_values(row["Name Non-Latin Script"]):
            add_name(names, make_name(text, NameKind.ALIAS, lang=lang, original_script=True))
    texts = [
        row["Other Information"]
        for row in _distinct(group_rows, columns, ("Other Information",))
        if row["Other Information"]
    ]
    parsed = [_other_info(text, infos) for text in texts]
    for info in parsed:
        for script_name, script_lang in info.scripts:
            name = make_name(
                script_name, NameKind.ALIAS, lang=language_code(script_lang), original_script=True
            )
            add_name(names, name)
    if not names:
        report.skip(where, "no name in any row of the group")
        return None

    entity = Entity(
        id=entity_id(source, group_id),
        schema=schema,
        source=source,
        source_id=group_id,
        names=order_names(names.values(), where, report),
    )
    updated: list[str] = []
    for row in _distinct(group_rows, columns, _DETAIL_COLUMNS):
        for title in split_values(row["Title"]):
            add_unique(entity.titles, title)
        for text in split_enumerated(row["DOB"]):
            birth = parse_birth_date(text)
            if birth is not None and birth not in entity.birth_dates:
                entity.birth_dates.append(birth)
        add_birth_places(entity, row["Town of Birth"], row["Country of Birth"])
        for nationality in split_values(row["Nationality"]):
            for code in countries.codes(nationality):
                add_unique(entity.nationalities, code)
        add_documents(
            entity, row["Passport Number"], row["Passport Details"], IdType.PASSPORT, "Passport"
        )
        add_documents(
            entity,
            row["National Identification Number"],
            row["National Identification Details"],
            IdType.NATIONAL_ID,
            "National Identification Number",
        )
        for position in split_values(row["Position"]):
            add_unique(entity.positions, position)
        address = make_address(
            [row[f"Address {i}"] for i in range(1, 7)],
            row["Post/Zip Code"],
            row["Country"],
            countries,
        )
        if address is not None and address not in entity.addresses:
            entity.addresses.append(address)
        add_unique(updated, parse_date(row["Last Updated"]))
    if updated:
        entity.add_extra("modifiedAt", max(updated))

    refs: list[str] = []
    measures: list[str] = ["Asset freeze"]
    for info in parsed:
        apply_other_information(entity, info, countries)
        for ref in info.refs:
            add_unique(refs, ref)
        for measure in info.measures:
            add_unique(measures, measure)

    # One listing per regime; a regime's earliest "Listed On" is when the target was listed.
    regimes: dict[str, list[str]] = {}
    for row in _distinct(group_rows, columns, ("Regime", "Listed On")):
        regime = row["Regime"]
        if regime is not None:
            add_unique(regimes.setdefault(regime, []), parse_date(row["Listed On"]))
    if not regimes:
        report.warn(f"{where}: no regime; listed without a program")
        regimes[""] = []
    for regime, dates in regimes.items():
        entity.listings.append(
            uk_listing(
                source,
                regime or None,
                sanctions_imposed=measures,
                authority=AUTHORITY,
                list_name=LIST_NAME,
                listed_on=min(dates) if dates else None,
                reference=_reference(refs, regime, prefixes),
            )
        )
    mark_original_scripts(entity)
    return entity


def _reference(refs: list[str], regime: str, prefixes: dict[str, str]) -> str | None:
    if not refs:
        return None
    if len(refs) == 1:
        return refs[0]
    for ref in refs:
        if prefixes.get(re.sub(r"\d+$", "", ref)) == regime:
            return ref
    return ", ".join(refs)


# ---------------------------------------------------------------------------------------------
# Format specs
# ---------------------------------------------------------------------------------------------

_MARKERS: Final = ("Name 6", "Group ID", "Alias Type", "Group Type")


def _looks_like_conlist(text: str) -> bool:
    return all(m in text for m in _MARKERS) and "Unique ID" not in text


def sniff_csv(path: Path, head: bytes) -> str | None:
    if head.startswith(b"PK\x03\x04"):
        return None
    text = text_head(head[:8192]).lstrip()
    first_line = text.split("\n", 1)[0]
    if not (first_line.startswith("Last Updated") or first_line.startswith("Name 6")):
        return None
    if "<" in first_line:
        return None
    return SOURCE if _looks_like_conlist(text[:4096]) else None


def sniff_xlsx(path: Path, head: bytes) -> str | None:
    if not head.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                return None
            sample = ""
            for part in ("xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"):
                if part in names:
                    with archive.open(part) as fh:
                        sample += fh.read(32768).decode("utf-8", errors="ignore")
    except (zipfile.BadZipFile, OSError, KeyError, zlib.error, EOFError, RuntimeError):
        # RuntimeError: an encrypted part; NotImplementedError: an unknown compression.
        return None
    markers = [f">{m}<" for m in _MARKERS]
    if all(m in sample for m in markers) and ">Unique ID<" not in sample:
        return SOURCE
    return None


def parse_csv(path: Path, report: ParseReport) -> Iterator[Entity]:
    report.files = [path]
    yield from parse_table(path, csv_rows(path), "csv", report)


def parse_xlsx(path: Path, report: ParseReport) -> Iterator[Entity]:
    report.files = [path]
    if path.stat().st_size == 0:
        raise ParseError(path, "file is empty")
    yield from parse_table(path, xlsx_rows(path, report), "xlsx", report)


FORMAT_CSV = FormatSpec(
    name="uk-ofsi-csv",
    title="UK OFSI Consolidated List, 2022 format, CSV (ConList.csv)",
    sniff=sniff_csv,
    parse=parse_csv,
    extensions=(".csv",),
)
FORMAT_XLSX = FormatSpec(
    name="uk-ofsi-xlsx",
    title="UK OFSI Consolidated List, 2022 format, Excel (ConList.xlsx)",
    sniff=sniff_xlsx,
    parse=parse_xlsx,
    extensions=(".xlsx",),
)
