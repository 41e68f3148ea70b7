"""OpenSanctions' flat exports: ``targets.simple.csv`` and the Senzing JSON lines.

Both are lossy views of the FtM data ``embargo.sources.ftm`` reads, for tools that cannot read
FtM. Entities keep the OpenSanctions id as their Embargo id, as FtM imports do, so a party
loaded from either file joins with the same party loaded from FtM.

Source names are ``ftm_<dataset>`` like the FtM formats:

* ``targets.simple.csv`` names the dataset by its *title* ("Ukraine War and Sanctions"). When
  an OpenSanctions ``index.json`` lies beside the file and has that title, its ``name`` is used
  (``wd_persons``), so all exports of one dataset share one source; otherwise the title is
  lower-cased with non-alphanumerics as ``_`` (``ftm_ukraine_war_and_sanctions``).
* ``senzing.json`` has ``DATA_SOURCE`` = ``OS_`` + the dataset name upper-cased; the prefix is
  dropped and the rest lower-cased (``OS_US_CONGRESS`` -> ``ftm_us_congress``).

Listings: the simple CSV's ``sanctions`` column joins each sanction as
``program - reason - status - start - end`` (an empty text when the sanction states none),
so a non-empty cell means the party is sanctioned: it gets a listing per dataset, built as
``ftm.sanction_listing`` builds one for a sanction of that dataset, with ``program_ids`` as its
programs; the texts go to ``remarks``. Senzing has no sanction records, only ``RISKS`` topics;
a ``sanction`` topic gives the dataset's listing the same way, as the FtM importer does for a
target without Sanction entities. PEPs (``role.pep``) get no listing.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import msgspec

from embargo.errors import ParseError
from embargo.model import Address, Entity, Identifier, IdType, NameKind, Relation, Schema
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
from embargo.sources.base import FormatSpec, ParseReport, text_head
from embargo.sources.ftm import (
    ID_PROPS,
    PARTY_SCHEMAS,
    SOURCE_PREFIX,
    sanction_listing,
    topic_listings,
)

SIMPLE_COLUMNS: Final = (
    "id",
    "schema",
    "name",
    "aliases",
    "birth_date",
    "countries",
    "addresses",
    "identifiers",
    "sanctions",
    "phones",
    "emails",
    "program_ids",
    "dataset",
    "first_seen",
    "last_seen",
    "last_change",
)
SIMPLE_REQUIRED: Final = ("id", "schema", "name", "dataset")
_IMO = re.compile(r"^IMO\s?(\d{7})$", re.I)
_QID = re.compile(r"^Q\d+$")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _iso(value: str | None) -> str | None:
    return parse_date(value)


def _newest(report: ParseReport, value: str | None) -> None:
    date = _iso(value)
    if date and (report.publisher_date is None or date > report.publisher_date):
        report.publisher_date = date


# ---- targets.simple.csv --------------------------------------------------------------------


def _cell_values(cell: str | None) -> list[str]:
    """A multi-valued cell: the values were written as a ``;``-delimited CSV row."""
    if not cell:
        return []
    try:
        row = next(csv.reader([cell], delimiter=";", strict=True), [])
    except csv.Error:
        row = cell.split(";")
    out: list[str] = []
    for value in row:
        text = clean(value)
        if text and text not in out:
            out.append(text)
    return out


def _dataset_names(path: Path) -> dict[str, str]:
    """Title -> name from an OpenSanctions ``index.json`` beside the file, if there is one."""
    index = path.parent / "index.json"
    try:
        data = msgspec.json.decode(index.read_bytes())
    except (OSError, ValueError, RecursionError):  # unreadable, not JSON, not UTF-8, too deep
        return {}
    if isinstance(data, dict) and isinstance(data.get("name"), str):
        title = data.get("title")
        if isinstance(title, str):
            return {title: data["name"]}
    return {}


def _simple_source(path: Path, titles: list[str]) -> str:
    names = _dataset_names(path)
    title = titles[0] if titles else path.parent.name
    return SOURCE_PREFIX + _slug(names.get(title, title))


def sniff_simple_csv(path: Path, head: bytes) -> str | None:
    text = text_head(head)
    lines = text.split("\n", 2)
    try:
        header = next(csv.reader([lines[0]]))
    except (csv.Error, StopIteration):
        return None
    columns = {c.strip() for c in header}
    if not {"id", "schema", "name", "aliases", "sanctions", "dataset", "last_seen"} <= columns:
        return None
    titles: list[str] = []
    if len(lines) > 1:
        try:
            rows = list(csv.reader(text.split("\n", 1)[1].splitlines()[:1]))
            row = dict(zip(header, rows[0], strict=False)) if rows else {}
            titles = _cell_values(row.get("dataset"))
        except csv.Error:
            titles = []
    return _simple_source(path, titles)


def _simple_entity(
    row: dict[str, str], where: str, report: ParseReport, names: dict[str, str]
) -> Entity | None:
    schema_name = row.get("schema", "")
    schema = PARTY_SCHEMAS.get(schema_name)
    entity_id = clean(row.get("id"))
    if entity_id is None:
        report.skip(where, "row has no id")
        return None
    if schema is None:
        report.skip(f"{where}, {entity_id}", f"schema {schema_name!r} is not a party")
        return None
    primary = make_name(row.get("name"))
    if primary is None:
        report.skip(f"{where}, {entity_id}", "row has no name")
        return None
    entity = Entity(
        id=entity_id, schema=schema, source=report.source, source_id=entity_id, names=[primary]
    )
    for alias in _cell_values(row.get("aliases")):
        name = make_name(alias, NameKind.ALIAS)
        if name is not None and all(n.full != name.full for n in entity.names):
            entity.names.append(name)
    for value in _cell_values(row.get("birth_date")):
        bd = parse_birth_date(value)
        if bd and bd not in entity.birth_dates:
            entity.birth_dates.append(bd)
    for value in _cell_values(row.get("countries")):
        code = country_code(value)
        if code is None:
            report.warn(f"{where}: unknown country {value!r}")
        elif code not in entity.countries:
            entity.countries.append(code)
    entity.addresses.extend(Address(full=a) for a in _cell_values(row.get("addresses")))
    for value in _cell_values(row.get("identifiers")):
        m = _IMO.match(value)
        if m:
            entity.identifiers.append(Identifier(type=IdType.IMO, value=m.group(1), label="imo"))
        elif _QID.match(value):
            entity.add_extra("wikidataId", value)  # OpenSanctions lists the Wikidata id here
        else:
            # The column gives numbers without their kind (INN, OGRN, registration...).
            entity.identifiers.append(Identifier(type=IdType.OTHER, value=value))
    for value in _cell_values(row.get("phones")):
        entity.add_extra("phone", value)
    for value in _cell_values(row.get("emails")):
        entity.add_extra("email", value)
    program_ids = _cell_values(row.get("program_ids"))
    for value in program_ids:
        entity.add_extra("programId", value)
    titles = _cell_values(row.get("dataset"))
    for title in titles:
        entity.add_extra("datasets", names.get(title, _slug(title)))
    for key in ("first_seen", "last_seen", "last_change"):
        entity.add_extra(key, row.get(key))
    sanctions = row.get("sanctions") or ""
    if sanctions:
        for text in _cell_values(sanctions):
            entity.remarks.append(f"Sanction: {text}")
        for title in titles or [report.source.removeprefix(SOURCE_PREFIX)]:
            listing = sanction_listing(
                report.source,
                datasets=[names.get(title, _slug(title))],
                authorities=[title],
                programs=program_ids,
                summaries=[title],
                trusted=True,
            )
            if listing not in entity.listings:
                entity.listings.append(listing)
    mark_original_scripts(entity)
    return entity


def parse_simple_csv(path: Path, report: ParseReport) -> Iterator[Entity]:
    report.files = [path]
    names = _dataset_names(path)
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        try:
            try:
                header = [c.strip() for c in next(reader)]
            except StopIteration:
                raise ParseError(path, "file is empty (no header row)", line=1) from None
            for column in SIMPLE_REQUIRED:
                if column not in header:
                    raise ParseError(
                        path, f"required column {column!r} is missing from the header", line=1
                    )
            unknown = [c for c in header if c not in SIMPLE_COLUMNS]
            if unknown:
                report.warn(f"{path.name}: columns not read: {', '.join(unknown)}")
            for row in reader:
                if not row:
                    continue
                line = reader.line_num
                if len(row) != len(header):
                    raise ParseError(
                        path, f"row has {len(row)} fields, the header has {len(header)}", line=line
                    )
                report.records += 1
                data = dict(zip(header, row, strict=True))
                _newest(report, data.get("last_seen"))
                entity = _simple_entity(data, f"{path.name}, line {line}", report, names)
                if entity is not None:
                    yield entity
        except csv.Error as exc:
            raise ParseError(path, f"malformed CSV ({exc})", line=reader.line_num) from None
        except UnicodeDecodeError as exc:
            raise ParseError(path, f"file is not valid UTF-8 ({exc.reason})") from None


# ---- senzing.json --------------------------------------------------------------------------

_RECORD_TYPES: Final = {
    "PERSON": Schema.PERSON,
    "ORGANIZATION": Schema.ORGANIZATION,
    "VESSEL": Schema.VESSEL,
    "AIRCRAFT": Schema.AIRCRAFT,
}
_NAME_TYPES: Final = {"PRIMARY": NameKind.PRIMARY, "FORMER": NameKind.FORMER}
_ID_FIELDS: Final = {
    "PASSPORT_NUMBER": (IdType.PASSPORT, "PASSPORT_COUNTRY", None),
    "NATIONAL_ID_NUMBER": (IdType.NATIONAL_ID, "NATIONAL_ID_COUNTRY", "NATIONAL_ID_TYPE"),
    "TAX_ID_NUMBER": (IdType.TAX_ID, "TAX_ID_COUNTRY", "TAX_ID_TYPE"),
    "SSN_NUMBER": (IdType.SOCIAL_SECURITY, None, None),
    "DRIVERS_LICENSE_NUMBER": (IdType.DRIVING_LICENCE, "DRIVERS_LICENSE_STATE", None),
    "LEI_NUMBER": (IdType.LEI, None, None),
    "DUNS_NUMBER": (IdType.REGISTRATION, None, None),
    "NPI_NUMBER": (IdType.OTHER, None, None),
    "IMO_NUMBER": (IdType.IMO, None, None),
    "MMSI_NUMBER": (IdType.MMSI, None, None),
    "ISIN_NUMBER": (IdType.OTHER, None, None),
}
_ID_EXTRA: Final = {"CALL_SIGN": "callSign", "OFAC_ID": "ofacUid"}
_COUNTRY_FIELDS: Final = {"NATIONALITY": "nationalities", "CITIZENSHIP": "citizenships"}
_CONTACTS: Final = {"WEBSITE_ADDRESS": "website", "EMAIL_ADDRESS": "email", "PHONE_NUMBER": "phone"}
_DATES: Final = {"DATE_OF_DEATH": "deathDate", "REGISTRATION_DATE": "incorporationDate"}
_ADDRESS_PARTS: Final = (
    "ADDR_LINE1",
    "ADDR_LINE2",
    "ADDR_LINE3",
    "ADDR_CITY",
    "ADDR_STATE",
    "ADDR_POSTAL_CODE",
    "ADDR_COUNTRY",
)
_KNOWN_KEYS: Final = frozenset(
    {
        "DATA_SOURCE",
        "RECORD_ID",
        "RECORD_TYPE",
        "LAST_CHANGE",
        "NAMES",
        "GENDER",
        "DATES",
        "ADDRESSES",
        "COUNTRIES",
        "CONTACTS",
        "IDENTIFIERS",
        "RISKS",
        "RELATIONSHIPS",
        "URL",
        "SOURCE_LINKS",
    }
)


def senzing_source(data_source: str) -> str:
    name = data_source.lower()
    name = name.removeprefix("os_")
    return SOURCE_PREFIX + _slug(name)


def sniff_senzing(path: Path, head: bytes) -> str | None:
    line = text_head(head).lstrip().split("\n", 1)[0]
    if not line.startswith("{") or '"DATA_SOURCE"' not in line or '"RECORD_ID"' not in line:
        return None
    m = re.search(r'"DATA_SOURCE"\s*:\s*"([^"]+)"', line)
    return senzing_source(m.group(1)) if m else None


def _items(record: dict[str, Any], key: str) -> list[dict[str, Any]]:
    raw = record.get(key)
    if isinstance(raw, dict):
        return [raw]
    if isinstance(raw, list):
        return [item for item in raw if isinstance(item, dict)]
    return []


def _text(item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    return clean(str(value))


def _decode(path: Path, raw: bytes, number: int) -> dict[str, Any] | None:
    line = raw.strip()
    if not line:
        return None
    try:
        data = msgspec.json.decode(line)
    except msgspec.DecodeError as exc:
        raise ParseError(path, f"malformed JSON ({exc})", line=number) from None
    except RecursionError:
        raise ParseError(path, "JSON nested too deeply to be a record", line=number) from None
    if not isinstance(data, dict):
        raise ParseError(path, f"line is a JSON {type(data).__name__}, not an object", line=number)
    return data


def _primary_name(record: dict[str, Any]) -> str | None:
    for item in _items(record, "NAMES"):
        if _text(item, "NAME_TYPE") == "PRIMARY":
            return _text(item, "NAME_FULL") or _text(item, "NAME_ORG")
    return None


def _links(record: dict[str, Any], own: str) -> list[tuple[str, str]]:
    """(role, other record id) for each relationship; both anchor and pointer forms."""
    out: list[tuple[str, str]] = []
    for item in _items(record, "RELATIONSHIPS"):
        role = _text(item, "REL_POINTER_ROLE") or "related"
        for key in ("REL_POINTER_KEY", "REL_ANCHOR_KEY"):
            other = _text(item, key)
            if other and other != own and (role, other) not in out:
                out.append((role, other))
    return out


def _add_identifiers(entity: Entity, record: dict[str, Any], report: ParseReport) -> None:
    for item in _items(record, "IDENTIFIERS"):
        for key, (kind, country_key, type_key) in _ID_FIELDS.items():
            value = _text(item, key)
            if value is None:
                continue
            label = _text(item, type_key) if type_key else None
            if label in ID_PROPS:
                kind = ID_PROPS[label]
            country = country_code(_text(item, country_key)) if country_key else None
            ident = Identifier(type=kind, value=value, label=label or key, country=country)
            if ident not in entity.identifiers:
                entity.identifiers.append(ident)
        for key, extra in _ID_EXTRA.items():
            entity.add_extra(extra, _text(item, key))
        for type_key, number_key in (
            ("OTHER_ID_TYPE", "OTHER_ID_NUMBER"),
            ("TRUSTED_ID_TYPE", "TRUSTED_ID_NUMBER"),
        ):
            label, value = _text(item, type_key), _text(item, number_key)
            if value is None:
                continue
            if label in ("wikidataId", "WIKIDATA"):
                entity.add_extra("wikidataId", value)
            elif label == "OPEN_SANCTIONS":
                if value != entity.id:
                    entity.add_extra("referents", value)
            else:
                kind = id_type(label)  # knows FtM's property names too
                ident = Identifier(
                    type=kind,
                    value=value,
                    label=label,
                    country=country_code(_text(item, "OTHER_ID_COUNTRY")),
                )
                if ident not in entity.identifiers:
                    entity.identifiers.append(ident)


def _senzing_entity(
    record: dict[str, Any],
    where: str,
    report: ParseReport,
    names: dict[str, str],
    posts: set[str],
) -> Entity | None:
    record_id = _text(record, "RECORD_ID")
    if record_id is None:
        report.skip(where, "record has no RECORD_ID")
        return None
    record_type = _text(record, "RECORD_TYPE")
    if record_type is None and record_id in posts:
        reason = "a position (empty RECORD_TYPE, held through an Occupancy): kept as positions"
        report.skip(f"{where}, {record_id}", reason)
        return None
    if record_type is None and not _items(record, "RISKS"):
        # OpenSanctions leaves RECORD_TYPE empty for matchable things that are neither
        # people nor organisations: LegalEntity parties, but also Positions. A party of a
        # sanctions or PEP dataset carries a risk topic; a position does not.
        reason = "empty RECORD_TYPE and no risk topic: a position or other non-party record"
        report.skip(f"{where}, {record_id}", reason)
        return None
    schema = _RECORD_TYPES.get(record_type or "", Schema.UNKNOWN)
    if record_type and record_type not in _RECORD_TYPES:
        report.skip(f"{where}, {record_id}", f"RECORD_TYPE {record_type} is not screened")
        return None
    entity = Entity(
        id=record_id, schema=schema, source=report.source, source_id=record_id, names=[]
    )
    for item in _items(record, "NAMES"):
        kind = _NAME_TYPES.get(_text(item, "NAME_TYPE") or "", NameKind.ALIAS)
        name = make_name(
            _text(item, "NAME_FULL") or _text(item, "NAME_ORG"),
            kind,
            first=_text(item, "NAME_FIRST"),
            middle=_text(item, "NAME_MIDDLE"),
            last=_text(item, "NAME_LAST"),
        )
        if name is not None and all(n.full != name.full for n in entity.names):
            entity.names.append(name)
    if not entity.names:
        report.skip(f"{where}, {record_id}", "record has no name")
        return None
    entity.gender = parse_gender(_text(record, "GENDER"))
    for item in _items(record, "DATES"):
        bd = parse_birth_date(_text(item, "DATE_OF_BIRTH"))
        if bd and bd not in entity.birth_dates:
            entity.birth_dates.append(bd)
        for key, extra in _DATES.items():
            entity.add_extra(extra, _text(item, key))
    for item in _items(record, "ADDRESSES"):
        place = _text(item, "PLACE_OF_BIRTH")
        if place and place not in entity.birth_places:
            entity.birth_places.append(place)
        full = _text(item, "ADDR_FULL") or clean(
            ", ".join(v for v in (_text(item, k) for k in _ADDRESS_PARTS) if v)
        )
        if full and all(a.full != full for a in entity.addresses):
            country = country_code(_text(item, "ADDR_COUNTRY"))
            entity.addresses.append(
                Address(full=full, city=_text(item, "ADDR_CITY"), country=country)
            )
    for item in _items(record, "COUNTRIES"):
        for key, value in item.items():
            code = country_code(str(value)) if isinstance(value, str) else None
            if code is None:
                continue
            target: list[str] = getattr(entity, _COUNTRY_FIELDS.get(key, "countries"))
            if code not in target:
                target.append(code)
    for item in _items(record, "CONTACTS"):
        for key, extra in _CONTACTS.items():
            entity.add_extra(extra, _text(item, key))
    _add_identifiers(entity, record, report)
    topics = [t for t in (_text(i, "TOPIC") for i in _items(record, "RISKS")) if t]
    for topic in topics:
        entity.add_extra("topics", topic)
    for role, other in _links(record, record_id):
        if other in posts and role.lower() == "occupancy":
            position = names.get(other, other)
            if position not in entity.positions:
                entity.positions.append(position)
            continue
        link = role.lower().replace(" ", "-")
        entity.relations.append(
            Relation(kind=link, target=names.get(other, other), target_id=other)
        )
    entity.source_url = _text(record, "URL")
    for item in _items(record, "SOURCE_LINKS"):
        entity.add_extra("sourceUrl", _text(item, "SOURCE_URL"))
    entity.add_extra("last_change", _text(record, "LAST_CHANGE"))
    if "sanction" in topics:
        dataset = report.source.removeprefix(SOURCE_PREFIX)
        entity.listings.extend(topic_listings(report.source, [dataset]))
    mark_original_scripts(entity)
    return entity


def parse_senzing(path: Path, report: ParseReport) -> Iterator[Entity]:
    """Senzing JSON lines, read twice: names and positions first, so links can be named."""
    report.files = [path]
    if path.stat().st_size == 0:
        raise ParseError(path, "file is empty")
    names: dict[str, str] = {}
    posts: set[str] = set()
    unknown: set[str] = set()
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            record = _decode(path, raw, number)
            if record is None:
                continue
            record_id = _text(record, "RECORD_ID")
            if record_id is None:
                continue
            name = _primary_name(record)
            if name:
                names[record_id] = name
            for role, other in _links(record, record_id):
                if role.lower() == "occupancy":
                    posts.add(other)
            unknown.update(k for k in record if k not in _KNOWN_KEYS)
    if unknown:
        report.warn(f"{path.name}: fields not read: {', '.join(sorted(unknown))}")
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            record = _decode(path, raw, number)
            if record is None:
                continue
            report.records += 1
            _newest(report, _text(record, "LAST_CHANGE"))
            entity = _senzing_entity(record, f"{path.name}, line {number}", report, names, posts)
            if entity is not None:
                yield entity
    if report.records == 0:
        raise ParseError(path, "file holds no records (only blank lines)")


FORMAT_SIMPLE_CSV = FormatSpec(
    name="os-simple-csv",
    title="OpenSanctions targets.simple.csv",
    sniff=sniff_simple_csv,
    parse=parse_simple_csv,
    extensions=(".csv",),
)
FORMAT_SENZING = FormatSpec(
    name="senzing-json",
    title="Senzing entity JSON lines (OpenSanctions senzing.json)",
    sniff=sniff_senzing,
    parse=parse_senzing,
    extensions=(".json", ".jsonl"),
)
