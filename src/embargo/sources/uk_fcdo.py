"""The FCDO's UK Sanctions List (source ``gb_fcdo``), the UK's current official list.

Four layouts are read:

* ``UK-Sanctions-List.csv`` (``uk-fcdo-csv``): an optional ``Report Date: ...`` line, a header,
  then one row per name of a designation. A designation is a ``Unique ID`` (``RUS0251``); its
  rows need not be adjacent and are grouped across the file. ``Name 6`` is the surname (or the
  whole name of an entity or ship) and ``Name 1..5`` the given names, as in the OFSI list.
* ``UK-Sanctions-List.xml`` (``uk-fcdo-xml``): root ``<Designations>`` with ``<DateGenerated>``
  and one ``<Designation>`` per Unique ID, whose values sit in nested lists (``<Names><Name>``,
  ``<Addresses><Address>``, ``<IndividualDetails><Individual><DOBs><DOB>``, ``<ShipDetails>``,
  ...). Element names are the CSV column names without spaces and punctuation
  (``UKStatementofReasons``, ``IndividualEntityShip``), so both layouts map onto one set of
  fields here, and the XML's grouping elements (one ``<Address>``, one ``<Passport>``) keep
  the values that belong together together.
* the full list as ODS (``uk-fcdo-ods``), the CSV's table in a spreadsheet;
* the 8-column summary the FCDO search service exports (``uk-fcdo-ods-summary``,
  ``FCDO_SL_<date>.ods``): Unique ID, OFSI Group ID, Name, Regime Name, Type, Designation
  source, Date Designated (``dd-mm-yyyy``) and Sanctions Imposed (comma-separated), one row per
  designation and no aliases.

No full CSV or XML file was available while this module was written; their layout follows the
publisher's format notes and the column map of public readers of the live files (see the test
module). Readers of the CSV have seen the designation-type column headed both ``Designation
Type`` and ``Individual, Entity, Ship``, and multi-valued cells separated by ``|``; both are
accepted.

The summary gives each person's name as one string in the publisher's order, which is the OFSI
order ``Name 6`` then ``Name 1..5`` ("PUTIN Vladimir Vladimirovich"): of the 3,668 persons in
the August 2025 export that share an OFSI Group ID with the April 2025 OFSI list, 3,605 read
exactly so against OFSI's primary name, 7 give the given names first, and the rest are single
names or spelt differently. Where the case marks the surname ("PUTIN Vladimir ...",
"AL-HOUTHI Ali ...") the name is turned into natural order with its parts; that cut agrees with
OFSI's ``Name 6`` for 1,742 of 1,751 such names. Where case does not tell ("Saab Moran Alex
Nain", "Kyaw Min Oo", all-capital UN names) taking the first word as the surname would be wrong
for about one name in ten (double surnames, Burmese names), so the name is kept as published,
without parts.

Every designation carries the sanctions imposed on it; only an asset freeze makes a listing
blocking (a ship under a port-entry ban is not blocked).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from lxml import etree

from embargo.errors import ParseError
from embargo.model import Entity, Identifier, IdType, Name, NameKind, Relation, Schema
from embargo.model.measures import uk_listing
from embargo.model.values import (
    clean,
    make_name,
    mark_original_scripts,
    parse_birth_date,
    parse_date,
    parse_gender,
)
from embargo.sources.base import FormatSpec, ParseReport, entity_id, text_head, xml_error
from embargo.sources.uk_ofsi import (
    CountryNames,
    Row,
    add_birth_places,
    add_documents,
    add_imo,
    add_name,
    add_registrations,
    add_unique,
    csv_rows,
    language_code,
    make_address,
    name_kind,
    order_names,
    row_error,
    split_enumerated,
    split_values,
    uk_name,
)

SOURCE: Final = "gb_fcdo"

_TYPES: Final = {
    "individual": Schema.PERSON,
    "entity": Schema.ORGANIZATION,
    "ship": Schema.VESSEL,
}
# A designation's page on the FCDO's search service, e.g. .../designations/RUS0251/Individual.
_DESIGNATION_URL: Final = (
    "https://search-uk-sanctions-list.service.gov.uk/designations/{uid}/{type}"
)
_URL_TYPES: Final = {
    Schema.PERSON: "Individual",
    Schema.ORGANIZATION: "Entity",
    Schema.VESSEL: "Ship",
}


def designation_url(uid: str, schema: Schema) -> str | None:
    kind = _URL_TYPES.get(schema)
    return _DESIGNATION_URL.format(uid=uid, type=kind) if kind else None


# Column headers and XML element names, reduced to lower-case letters and digits, -> field.
_FIELDS: Final = {
    "lastupdated": "last_updated",
    "uniqueid": "uid",
    "ofsigroupid": "group_id",
    "unreferencenumber": "un_ref",
    "name": "name",
    "name1": "name1",
    "name2": "name2",
    "name3": "name3",
    "name4": "name4",
    "name5": "name5",
    "name6": "name6",
    "nametype": "name_type",
    "aliasstrength": "alias_strength",
    "aliasquality": "alias_strength",
    "title": "title",
    "namenonlatinscript": "nonlatin",
    "nonlatinscripttype": "nonlatin_type",
    "nonlatinscriptlanguage": "nonlatin_lang",
    "regimename": "regime",
    "regime": "regime",
    "designationtype": "type",
    "individualentityship": "type",
    "entitytype": "type",
    "type": "type",
    "designationsource": "designation_source",
    "sanctionsimposed": "imposed",
    "otherinformation": "other",
    "ukstatementofreasons": "reasons",
    "statementofreasons": "reasons",
    "addressline1": "addr1",
    "addressline2": "addr2",
    "addressline3": "addr3",
    "addressline4": "addr4",
    "addressline5": "addr5",
    "addressline6": "addr6",
    "addresspostalcode": "postcode",
    "addresscountry": "addr_country",
    "phonenumber": "phone",
    "phonenumbers": "phone",
    "website": "website",
    "websites": "website",
    "emailaddress": "email",
    "emailaddresses": "email",
    "datedesignated": "designated",
    "dob": "dob",
    "nationalityies": "nationality",
    "nationality": "nationality",
    "nationalities": "nationality",
    "nationalidentifiernumber": "nid",
    "nationalidentifieradditionalinformation": "nid_info",
    "passportnumber": "passport",
    "passportadditionalinformation": "passport_info",
    "position": "position",
    "gender": "gender",
    "townofbirth": "town_birth",
    "countryofbirth": "country_birth",
    "typeofentity": "entity_type",
    "subsidiaries": "subsidiary",
    "subsidiary": "subsidiary",
    "parentcompany": "parent",
    "parentcompanies": "parent",
    "businessregistrationnumbers": "reg_no",
    "businessregistrationnumber": "reg_no",
    "imonumber": "imo",
    "currentowneroperators": "owner",
    "currentowneroperator": "owner",
    "previousowneroperators": "past_owner",
    "previousowneroperator": "past_owner",
    "currentbelievedflagofship": "flag",
    "previousflags": "past_flags",
    "previousflag": "past_flags",
    "typeofship": "ship_type",
    "tonnageofship": "tonnage",
    "lengthofship": "length",
    "yearbuilt": "year_built",
    "hullidentificationnumberhin": "hin",
    "hullidentificationnumber": "hin",
}
# Fields whose values belong together (one name, one address, one passport, ...).
_GROUPS: Final = {
    "name": (
        "name",
        "name1",
        "name2",
        "name3",
        "name4",
        "name5",
        "name6",
        "name_type",
        "alias_strength",
    ),
    "nonlatin": ("nonlatin", "nonlatin_type", "nonlatin_lang"),
    "address": ("addr1", "addr2", "addr3", "addr4", "addr5", "addr6", "postcode", "addr_country"),
    "passport": ("passport", "passport_info"),
    "nid": ("nid", "nid_info"),
    "birth": ("town_birth", "country_birth"),
}
_GROUP_OF: Final = {f: g for g, fields in _GROUPS.items() for f in fields}
_REQUIRED: Final = {
    "uid": "Unique ID",
    "name6": "Name 6",
    "name_type": "Name type",
    "type": "Designation Type (Individual, Entity, Ship)",
    "regime": "Regime Name",
}
_SUMMARY_REQUIRED: Final = {
    "uid": "Unique ID",
    "name": "Name",
    "regime": "Regime Name",
    "type": "Type",
    "imposed": "Sanctions Imposed",
}


def _key(name: str | None) -> str:
    return re.sub(r"[^a-z0-9]", "", (name or "").lower())


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


@dataclass
class _Record:
    """One designation's values, gathered from its rows or its XML element."""

    uid: str
    where: str
    groups: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    values: dict[str, list[str]] = field(default_factory=dict)

    def add_group(self, group: str, values: dict[str, str]) -> None:
        items = self.groups.setdefault(group, [])
        if values and values not in items:
            items.append(values)

    def add_value(self, name: str, value: str) -> None:
        items = self.values.setdefault(name, [])
        if value not in items:
            items.append(value)

    def get(self, name: str) -> list[str]:
        return self.values.get(name, [])


def _imposed(values: list[str]) -> list[str]:
    """Sanctions imposed: ``|``-separated in the full list, comma-separated in the summary."""
    out: list[str] = []
    for value in values:
        parts = value.split("|") if "|" in value else value.split(",")
        for part in parts:
            add_unique(out, clean(part))
    return out


def _split_list(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        for item in split_values(value, pipes=True):
            for part in re.split(r"\s*;\s*", item):
                add_unique(out, clean(part))
    return out


def _build(record: _Record, report: ParseReport, countries: CountryNames) -> Entity | None:
    """The entity for one designation of the full list (CSV, XML or ODS)."""
    where = record.where
    types = [t.lower() for t in record.get("type")]
    schema = _TYPES.get(types[0]) if types else None
    if schema is None:
        report.warn(f"{where}: designation type {types[:1]} not known, read as LegalEntity")
        schema = Schema.UNKNOWN

    names: dict[str, Name] = {}
    unknown_types: set[str] = set()
    for group in record.groups.get("name", []):
        kind = name_kind(group.get("name_type"), group.get("alias_strength"))
        if kind is None:
            unknown_types.add(group.get("name_type", ""))
            kind = NameKind.ALIAS
        if any(group.get(f"name{i}") for i in range(1, 7)):
            name = uk_name(
                [group.get(f"name{i}") for i in range(1, 6)],
                group.get("name6"),
                kind,
                schema,
            )
        else:
            name = make_name(group.get("name"), kind)
        add_name(names, name)
    if unknown_types:
        report.warn(f"{where}: unknown name type {sorted(unknown_types)}, read as aliases")
    for group in record.groups.get("nonlatin", []):
        lang = language_code(group.get("nonlatin_lang"))
        for text in split_values(group.get("nonlatin"), pipes=True):
            add_name(names, make_name(text, NameKind.ALIAS, lang=lang, original_script=True))
    if not names:
        report.skip(where, "designation without a name")
        return None

    entity = Entity(
        id=entity_id(report.source, record.uid),
        schema=schema,
        source=report.source,
        source_id=record.uid,
        names=order_names(names.values(), where, report),
        source_url=designation_url(record.uid, schema),
    )
    for value in record.get("title"):
        for title in split_values(value, pipes=True):
            add_unique(entity.titles, title)
    for value in record.get("dob"):
        for text in split_enumerated(value, pipes=True):
            birth = parse_birth_date(text)
            if birth is not None and birth not in entity.birth_dates:
                entity.birth_dates.append(birth)
    for group in record.groups.get("birth", []):
        add_birth_places(entity, group.get("town_birth"), group.get("country_birth"), pipes=True)
    for value in record.get("nationality"):
        for item in split_values(value, pipes=True):
            for code in countries.codes(item):
                add_unique(entity.nationalities, code)
    for group in record.groups.get("passport", []):
        add_documents(
            entity,
            group.get("passport"),
            group.get("passport_info"),
            IdType.PASSPORT,
            "Passport",
            pipes=True,
        )
    for group in record.groups.get("nid", []):
        add_documents(
            entity,
            group.get("nid"),
            group.get("nid_info"),
            IdType.NATIONAL_ID,
            "National Identifier",
            pipes=True,
        )
    for value in record.get("position"):
        for position in split_values(value, pipes=True):
            add_unique(entity.positions, position)
    for value in record.get("gender"):
        entity.gender = entity.gender or parse_gender(value)
    for group in record.groups.get("address", []):
        address = make_address(
            [group.get(f"addr{i}") for i in range(1, 7)],
            group.get("postcode"),
            group.get("addr_country"),
            countries,
        )
        if address is not None and address not in entity.addresses:
            entity.addresses.append(address)
    _apply_business(entity, record, countries)
    for value in record.get("other"):
        add_unique(entity.remarks, clean(value))
    for value in record.get("reasons"):
        reasons = clean(value)
        if reasons:
            add_unique(entity.remarks, f"Statement of reasons: {reasons}")
    for key, extra in (
        ("un_ref", "unscId"),
        ("group_id", "ofsiGroupId"),
        ("designation_source", "designationSource"),
    ):
        for value in record.get(key):
            for item in split_values(value, pipes=True):
                entity.add_extra(extra, item)
    updated = [d for d in (parse_date(v) for v in record.get("last_updated")) if d]
    if updated:
        entity.add_extra("modifiedAt", max(updated))

    imposed = _imposed(record.get("imposed"))
    if not imposed:
        report.warn(f"{where}: no sanctions imposed stated; read as an asset freeze")
    designated = [d for d in (parse_date(v) for v in record.get("designated")) if d]
    regimes: list[str | None] = [r for r in (clean(v) for v in record.get("regime")) if r]
    for regime in dict.fromkeys(regimes or [None]):
        entity.listings.append(
            uk_listing(
                report.source,
                regime,
                sanctions_imposed=imposed,
                listed_on=min(designated) if designated else None,
                reference=record.uid,
            )
        )
    mark_original_scripts(entity)
    return entity


def _apply_business(entity: Entity, record: _Record, countries: CountryNames) -> None:
    """Contact details, company particulars and ship particulars."""
    for key in ("phone", "email", "website"):
        for item in _split_list(record.get(key)):
            entity.add_extra(key, item)
    for value in record.get("entity_type"):
        for item in split_values(value, pipes=True):
            entity.add_extra("legalForm", item)
    for value in record.get("reg_no"):
        add_registrations(entity, value, "Business registration number", pipes=True)
    for value in record.get("imo"):
        add_imo(entity, value)
    for value in record.get("hin"):
        for item in split_values(value, pipes=True):
            ident = Identifier(type=IdType.OTHER, value=item, label="Hull identification number")
            if ident not in entity.identifiers:
                entity.identifiers.append(ident)
    for key, kind in (
        ("parent", "parent-company"),
        ("subsidiary", "subsidiary"),
        ("owner", "vessel-owner"),
        ("past_owner", "former-vessel-owner"),
    ):
        for item in _split_list(record.get(key)):
            relation = Relation(kind=kind, target=item)
            if relation not in entity.relations:
                entity.relations.append(relation)
    for key, extra in (
        ("flag", "flag"),
        ("past_flags", "pastFlags"),
        ("ship_type", "vesselType"),
        ("tonnage", "tonnage"),
        ("length", "length"),
        ("year_built", "buildDate"),
    ):
        for item in _split_list(record.get(key)):
            entity.add_extra(extra, item)
            if key == "flag":
                for code in countries.codes(item):
                    add_unique(entity.countries, code)


# ---------------------------------------------------------------------------------------------
# Tables: the CSV and the ODS editions
# ---------------------------------------------------------------------------------------------

_REPORT_DATE: Final = re.compile(r"^\s*report\s+date\s*:?\s*(.*)$", re.I)


@dataclass
class _Header:
    index: dict[str, int]  # field -> column
    number: int  # the header's line (CSV) or row (ODS)
    width: int


def _read_table(path: Path, rows: Iterator[Row], kind: str, report: ParseReport) -> _Header:
    """Read up to the header: the ``Report Date`` line, then the row that names the columns.

    The rest of ``rows`` are the data rows.
    """
    for number, cells in rows:
        texts = [clean(c) for c in cells]
        if not any(texts):
            continue
        first = texts[0] or ""
        m = _REPORT_DATE.match(first)
        if m:
            stated = clean(m.group(1)) or next((t for t in texts[1:] if t), None)
            report.publisher_date = parse_date(stated)
            if report.publisher_date is None:
                report.warn(f"{path.name}: unreadable report date {first!r}")
            continue
        index: dict[str, int] = {}
        unknown: list[str] = []
        for i, text in enumerate(texts):
            name = _FIELDS.get(_key(text))
            if name is not None and name not in index:
                index[name] = i
            elif name is None and text:
                unknown.append(text)
        if unknown:
            report.warn(f"{path.name}: columns not known to this reader, ignored: {unknown}")
        return _Header(index, number, len(cells))
    raise row_error(path, kind, 1, "no header row found (the file holds no table)")


def _require(path: Path, kind: str, header: _Header, required: dict[str, str]) -> None:
    for name, label in required.items():
        if name not in header.index:
            raise row_error(
                path, kind, header.number, f"missing required column {label!r} in the header"
            )


def _records(
    path: Path, kind: str, header: _Header, rows: Iterator[Row], report: ParseReport
) -> dict[str, _Record]:
    """The designations of the full list, their rows grouped by Unique ID."""
    records: dict[str, _Record] = {}
    columns = sorted(header.index.items(), key=lambda item: item[1])
    width = header.width
    # A designation's values repeat on each of its rows; clean each distinct text once.
    cleaned: dict[str, str | None] = {}
    place = "line" if kind == "csv" else "row"
    for number, cells in rows:
        if len(cells) != width:
            if len(cells) > width and not any(clean(c) for c in cells[width:]):
                cells = cells[:width]
            elif kind != "csv" and len(cells) < width:
                cells = cells + [None] * (width - len(cells))
            elif not any(clean(c) for c in cells):
                continue
            else:
                raise row_error(
                    path, kind, number, f"row has {len(cells)} columns, the header has {width}"
                )
        values: dict[str, str] = {}
        for name, i in columns:
            raw = cells[i]
            if raw:
                if raw in cleaned:
                    text = cleaned[raw]
                else:
                    text = cleaned[raw] = clean(raw)
                if text:
                    values[name] = text
        if not values:
            continue
        report.records += 1
        uid = values.pop("uid", None)
        if uid is None:
            report.skip(f"{path.name}, {place} {number}", "row without a Unique ID")
            continue
        record = records.get(uid)
        if record is None:
            record = records[uid] = _Record(uid, f"{path.name}, {place} {number}, {uid}")
        grouped: dict[str, dict[str, str]] = {}
        for name, text in values.items():
            group = _GROUP_OF.get(name)
            if group is not None:
                grouped.setdefault(group, {})[name] = text
            else:
                record.add_value(name, text)
        for group, items in grouped.items():
            record.add_group(group, items)
    return records


def parse_csv(path: Path, report: ParseReport) -> Iterator[Entity]:
    report.files = [path]
    rows = csv_rows(path)
    header = _read_table(path, rows, "csv", report)
    _require(path, "csv", header, _REQUIRED)
    yield from _emit(path, _records(path, "csv", header, rows, report), report)


def _emit(path: Path, records: dict[str, _Record], report: ParseReport) -> Iterator[Entity]:
    if report.publisher_date is None:
        report.warn(f"{path.name}: no report date; the list date is unknown")
    countries = CountryNames()
    for record in records.values():
        entity = _build(record, report, countries)
        if entity is not None:
            yield entity
    countries.warn(report, path.name)


# --- ODS --------------------------------------------------------------------------------------

_T: Final = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_TEXT: Final = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_OFFICE: Final = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TABLE: Final = _T + "table"
_ROW: Final = _T + "table-row"
_CELLS: Final = (_T + "table-cell", _T + "covered-table-cell")
_REPEAT_COLUMNS: Final = _T + "number-columns-repeated"
_REPEAT_ROWS: Final = _T + "number-rows-repeated"
_PARAGRAPH: Final = _TEXT + "p"
_MAX_COLUMNS: Final = 1024  # blank filler cells run to column 16384; nothing real lies there
_MAX_REPEATED_ROWS: Final = 10_000


def _count(value: str | None) -> int:
    """A repeat or space count attribute (default 1); ValueError unless a positive integer."""
    count = int(value or "1")
    if count < 1:
        raise ValueError(f"a count of {count}")
    return count


_ODS_MIME: Final = "application/vnd.oasis.opendocument.spreadsheet"


def _inline_text(el: etree._Element) -> str:
    """A paragraph's text with ODF's space, tab and line-break elements expanded."""
    parts = [el.text or ""]
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == _TEXT + "s":
            # A run of spaces; capped, so that a huge count cannot fill memory.
            parts.append(" " * min(_count(child.get(_TEXT + "c")), _MAX_COLUMNS))
        elif tag == _TEXT + "tab":
            parts.append("\t")
        elif tag == _TEXT + "line-break":
            parts.append("\n")
        else:
            parts.append(_inline_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _cell_value(cell: etree._Element) -> str:
    text = "\n".join(_inline_text(p) for p in cell if p.tag == _PARAGRAPH)
    if text.strip():
        return text
    for attr in ("string-value", "date-value", "value"):
        value = cell.get(_OFFICE + attr)
        if value:
            return str(value)
    return text


def _row_cells(row: etree._Element) -> list[str | None]:
    """A row's cell texts, repeated cells expanded and trailing blank cells dropped."""
    cells: list[str | None] = []
    blanks = 0  # blank cells not yet known to lie before a filled one
    for cell in row:
        if cell.tag not in _CELLS:
            continue
        repeat = _count(cell.get(_REPEAT_COLUMNS))
        value = _cell_value(cell)
        if not value.strip():
            blanks += repeat
            continue
        if len(cells) + blanks + repeat > _MAX_COLUMNS:
            break
        cells.extend([None] * blanks)
        cells.extend([value] * repeat)
        blanks = 0
    return cells


def ods_rows(path: Path, report: ParseReport) -> Iterator[Row]:
    """The rows of the first sheet of an ODS file, numbered as the spreadsheet shows them."""
    if path.stat().st_size == 0:
        raise ParseError(path, "file is empty")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ParseError(path, f"not a readable ODS file (zip archive): {exc}") from None
    with archive:
        names = set(archive.namelist())
        if "content.xml" not in names:
            raise ParseError(path, "not an OpenDocument spreadsheet: no content.xml in the archive")
        number = 0
        try:
            if "mimetype" in names:
                # Read no more than a mimetype can be: the member may be anything.
                with archive.open("mimetype") as fh:
                    mime = fh.read(256).decode("ascii", errors="replace").strip()
                if mime != _ODS_MIME:
                    raise ParseError(path, f"not an OpenDocument spreadsheet (mimetype {mime!r})")
            with archive.open("content.xml") as fh:
                tables = 0
                context = etree.iterparse(
                    fh,
                    events=("start", "end"),
                    tag=(_TABLE, _ROW),
                    huge_tree=True,
                    resolve_entities=False,
                    no_network=True,
                )
                for event, el in context:
                    if el.tag == _TABLE:
                        if event == "start":
                            tables += 1
                            if tables == 2:
                                report.warn(
                                    f"{path.name}: more than one sheet; only the first is read"
                                )
                        continue
                    if event != "end":
                        continue
                    if tables == 1:
                        repeat = _count(el.get(_REPEAT_ROWS))
                        cells = _row_cells(el)
                        if cells:
                            if repeat > _MAX_REPEATED_ROWS:
                                raise ParseError(
                                    path,
                                    f"a non-empty row repeated {repeat} times",
                                    element=f"content.xml, row {number + 1}",
                                )
                            for k in range(repeat):
                                yield number + 1 + k, cells
                        number += repeat
                    el.clear(keep_tail=True)
                    while el.getprevious() is not None:
                        del el.getparent()[0]
        except etree.XMLSyntaxError as exc:
            error = xml_error(path, exc, whole_file=False)
            raise ParseError(path, error.reason, line=error.line, element="content.xml") from None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            # NotImplementedError: a compression method zipfile does not know.
            raise ParseError(
                path,
                f"the archive is damaged or truncated ({exc})",
                element=f"content.xml, after row {number}",
            ) from None
        except (ValueError, RuntimeError) as exc:
            # A repeat count that is not a positive number, cells nested without end, or an
            # encrypted member (RuntimeError).
            reason = "elements nested too deeply" if isinstance(exc, RecursionError) else exc
            raise ParseError(
                path,
                f"malformed spreadsheet content ({reason})",
                element=f"content.xml, row {number + 1}",
            ) from None


def _ods_publisher_date(path: Path, report: ParseReport) -> None:
    """The summary export states no date inside; its file name does (``FCDO_SL_Mon_Aug 11
    2025.ods``). Failing that, the archive's timestamp for the sheet is when it was written."""
    m = re.search(r"([A-Za-z]{3,9})[\s_]+(\d{1,2})[\s_]+(\d{4})", path.stem)
    if m:
        report.publisher_date = parse_date(f"{m.group(2)} {m.group(1)} {m.group(3)}")
    if report.publisher_date is None:
        try:
            with zipfile.ZipFile(path) as archive:
                stamp = archive.getinfo("content.xml").date_time
        except (zipfile.BadZipFile, KeyError, OSError):
            stamp = None
        if stamp and stamp[0] > 1980:
            report.publisher_date = f"{stamp[0]:04d}-{stamp[1]:02d}-{stamp[2]:02d}"
            report.warn(f"{path.name}: no list date in the file; the archive timestamp is used")
        else:
            report.warn(f"{path.name}: no list date in the file or its name")


def _summary_entities(
    path: Path, header: _Header, rows: Iterator[Row], report: ParseReport
) -> Iterator[Entity]:
    seen: set[str] = set()
    width = max(header.index.values()) + 1
    for number, cells in rows:
        cells = cells + [None] * (width - len(cells))
        values = {name: text for name, i in header.index.items() if (text := clean(cells[i]))}
        if not values:
            continue
        report.records += 1
        where = f"{path.name}, row {number}"
        uid = values.get("uid")
        if uid is None:
            report.skip(where, "row without a Unique ID")
            continue
        where += f", {uid}"
        if uid in seen:
            report.skip(where, "Unique ID already read from an earlier row")
            continue
        seen.add(uid)
        type_name = (values.get("type") or "").lower()
        schema = _TYPES.get(type_name)
        if schema is None:
            report.warn(f"{where}: type {values.get('type')!r} not known, read as LegalEntity")
            schema = Schema.UNKNOWN
        name = summary_name(values.get("name"), schema)
        if name is None:
            report.skip(where, "designation without a name")
            continue
        entity = Entity(
            id=entity_id(report.source, uid),
            schema=schema,
            source=report.source,
            source_id=uid,
            names=[name],
            source_url=designation_url(uid, schema),
        )
        for key, extra in (
            ("group_id", "ofsiGroupId"),
            ("designation_source", "designationSource"),
        ):
            for item in split_values(values.get(key), pipes=True):
                entity.add_extra(extra, item)
        imposed = _imposed([values["imposed"]] if "imposed" in values else [])
        if not imposed:
            report.warn(f"{where}: no sanctions imposed stated; read as an asset freeze")
        entity.listings.append(
            uk_listing(
                report.source,
                values.get("regime"),
                sanctions_imposed=imposed,
                listed_on=parse_date(values.get("designated")),
                reference=uid,
            )
        )
        yield entity


# A word in capitals: at least two letters, all upper case, after an Arabic article or a
# similar lower-case prefix ("Al-HOUTHI", "al-QIZANI").
_CAPS: Final = re.compile(r"^(?:(?i:al|el|ad|ar|as|ash|at|az|ul|bin|ibn|abu)[-'‘’])?([^a-z]*)$")


def _is_caps(token: str) -> bool:
    m = _CAPS.match(token)
    if m is None:
        return False
    core = m.group(1)
    letters = [c for c in core if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def summary_name(text: str | None, schema: Schema) -> Name | None:
    """A summary-export name: a person's in natural order where case marks the surname."""
    full = clean(text)
    if full is None:
        return None
    if schema is not Schema.PERSON:
        return make_name(full)
    tokens = full.split(" ")
    caps = [_is_caps(t) for t in tokens]
    if len(tokens) > 1 and caps[0] and not all(caps):
        cut = caps.index(False)
        surname, given = tokens[:cut], tokens[cut:]
        return uk_name(given, " ".join(surname), NameKind.PRIMARY, schema)
    return make_name(full)


# --- XML --------------------------------------------------------------------------------------


def _xml_record(el: etree._Element, report: ParseReport, unknown: set[str]) -> _Record | None:
    uid: str | None = None
    values: list[tuple[str, str]] = []
    grouped: dict[tuple[str, int], dict[str, str]] = {}
    for child in el.iter():
        if child is el or not isinstance(child.tag, str) or len(child):
            continue
        text = clean(child.text)
        if text is None:
            continue
        local = _local(child.tag)
        name = _FIELDS.get(_key(local))
        if name is None:
            unknown.add(local)
            continue
        if name == "uid" and child.getparent() is el:
            uid = uid or text
            continue
        group = _GROUP_OF.get(name)
        if group is not None:
            parent = child.getparent()
            grouped.setdefault((group, id(parent)), {})[name] = text
        else:
            values.append((name, text))
    line = el.sourceline
    file_name = report.files[0].name if report.files else ""
    if uid is None:
        report.skip(f"{file_name}, line {line}, Designation", "Designation without a UniqueID")
        return None
    record = _Record(uid, f"{file_name}, line {line}, {uid}")
    for name, text in values:
        record.add_value(name, text)
    for (group, _), items in grouped.items():
        record.add_group(group, items)
    return record


def parse_xml(path: Path, report: ParseReport) -> Iterator[Entity]:
    report.files = [path]
    if path.stat().st_size == 0:
        raise ParseError(path, "file is empty")
    records: dict[str, _Record] = {}
    unknown: set[str] = set()
    depth = 0
    try:
        context = etree.iterparse(
            str(path),
            events=("start", "end"),
            huge_tree=True,
            resolve_entities=False,
            no_network=True,
        )
        for event, el in context:
            if not isinstance(el.tag, str):
                continue
            local = _local(el.tag)
            if event == "start":
                if depth == 0 and local != "Designations":
                    raise ParseError(
                        path,
                        f"root element is <{local}>, expected <Designations>",
                        line=el.sourceline,
                    )
                depth += 1
                continue
            depth -= 1
            if depth == 1 and local == "DateGenerated":
                report.publisher_date = parse_date(el.text)
            elif depth == 1 and local == "Designation":
                report.records += 1
                record = _xml_record(el, report, unknown)
                el.clear(keep_tail=True)
                while el.getprevious() is not None:
                    del el.getparent()[0]
                if record is None:
                    continue
                known = records.get(record.uid)
                if known is None:
                    records[record.uid] = record
                else:
                    report.warn(f"{record.where}: UniqueID repeated; merged with {known.where}")
                    for name, items in record.values.items():
                        for item in items:
                            known.add_value(name, item)
                    for group, groups in record.groups.items():
                        for items_ in groups:
                            known.add_group(group, items_)
    except etree.XMLSyntaxError as exc:
        raise xml_error(path, exc) from None
    if unknown:
        report.warn(f"{path.name}: elements not known to this reader, ignored: {sorted(unknown)}")
    yield from _emit(path, records, report)


# ---------------------------------------------------------------------------------------------
# Format specs
# ---------------------------------------------------------------------------------------------


def _csv_header_line(head: bytes) -> str | None:
    lines = [line for line in text_head(head[:16384]).splitlines() if line.strip()][:3]
    if lines and _REPORT_DATE.match(lines[0].lstrip('"')):
        lines = lines[1:]
    return lines[0] if lines else None


def sniff_csv(path: Path, head: bytes) -> str | None:
    if head.startswith(b"PK\x03\x04"):
        return None
    line = _csv_header_line(head)
    if line is None or "<" in line:
        return None
    keys = {_key(cell) for cell in line.split(",")}
    return SOURCE if {"uniqueid", "name6"} <= keys else None


def sniff_xml(path: Path, head: bytes) -> str | None:
    text = text_head(head)
    if "<Designations" in text and ("<Designation>" in text or "<Designation " in text):
        return SOURCE
    if re.search(r"<Designations\b[^>]*>\s*(<\?[^>]*>\s*)*<DateGenerated>", text):
        return SOURCE
    return None


def _ods_header(path: Path, head: bytes) -> str | None:
    if not head.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "content.xml" not in names:
                return None
            if "mimetype" in names:
                with archive.open("mimetype") as fh:
                    if fh.read(256).strip() != _ODS_MIME.encode():
                        return None
            with archive.open("content.xml") as fh:
                return fh.read(65536).decode("utf-8", errors="ignore")
    except (zipfile.BadZipFile, OSError, KeyError, zlib.error, EOFError, RuntimeError):
        # RuntimeError: an encrypted member; NotImplementedError: an unknown compression.
        return None


def sniff_ods_summary(path: Path, head: bytes) -> str | None:
    sample = _ods_header(path, head)
    if sample is None:
        return None
    markers = (">Unique ID<", ">Name<", ">Regime Name<", ">Sanctions Imposed<")
    if all(m in sample for m in markers) and ">Name 6<" not in sample:
        return SOURCE
    return None


def sniff_ods(path: Path, head: bytes) -> str | None:
    sample = _ods_header(path, head)
    if sample is None:
        return None
    return SOURCE if ">Unique ID<" in sample and ">Name 6<" in sample else None


def _parse_ods(path: Path, report: ParseReport, *, summary: bool) -> Iterator[Entity]:
    report.files = [path]
    rows = ods_rows(path, report)
    header = _read_table(path, rows, "ods", report)
    is_summary = "name" in header.index and "name6" not in header.index
    if is_summary != summary:
        raise row_error(
            path,
            "ods",
            header.number,
            "this is the "
            + ("8-column summary export" if is_summary else "full UK Sanctions List")
            + "; read it with format "
            + ("uk-fcdo-ods-summary" if is_summary else "uk-fcdo-ods"),
        )
    if summary:
        _require(path, "ods", header, _SUMMARY_REQUIRED)
        _ods_publisher_date(path, report)
        yield from _summary_entities(path, header, rows, report)
        return
    _require(path, "ods", header, _REQUIRED)
    yield from _emit(path, _records(path, "ods", header, rows, report), report)


def parse_ods_summary(path: Path, report: ParseReport) -> Iterator[Entity]:
    yield from _parse_ods(path, report, summary=True)


def parse_ods(path: Path, report: ParseReport) -> Iterator[Entity]:
    yield from _parse_ods(path, report, summary=False)


FORMAT_CSV = FormatSpec(
    name="uk-fcdo-csv",
    title="UK Sanctions List (FCDO), CSV (UK-Sanctions-List.csv)",
    sniff=sniff_csv,
    parse=parse_csv,
    extensions=(".csv",),
)
FORMAT_XML = FormatSpec(
    name="uk-fcdo-xml",
    title="UK Sanctions List (FCDO), XML (UK-Sanctions-List.xml)",
    sniff=sniff_xml,
    parse=parse_xml,
    extensions=(".xml",),
)
FORMAT_ODS = FormatSpec(
    name="uk-fcdo-ods",
    title="UK Sanctions List (FCDO), full list as ODS (UK-Sanctions-List.ods)",
    sniff=sniff_ods,
    parse=parse_ods,
    extensions=(".ods",),
)
FORMAT_ODS_SUMMARY = FormatSpec(
    name="uk-fcdo-ods-summary",
    title="UK Sanctions List (FCDO), 8-column summary export of the search service (ODS)",
    sniff=sniff_ods_summary,
    parse=parse_ods_summary,
    extensions=(".ods",),
)
