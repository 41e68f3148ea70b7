"""US Consolidated Screening List (trade.gov): CSV and JSON editions, source ``us_trade_csl``.

The CSL merges 13 lists of three US agencies (Treasury's SDN, SSI, NS-MBS, CAPTA, CMIC, FSE
and PLC lists; Commerce/BIS's Entity, Denied Persons, Unverified and Military End User lists;
State's ITAR Debarred and Nonproliferation lists) into one table, one row per listing. Both
editions carry the same fields; the CSV joins multi-valued fields with ``"; "`` while the JSON
uses arrays, and objects for addresses and ids. Both are turned into a ``CslRecord`` and share
one row-to-entity function.

Decisions worth knowing:

* **Ids.** ``_id`` (``id`` in JSON) is the OFAC uid for Treasury rows and a hash for the rest.
  CSL repeats a Treasury uid once per Treasury list a party is on (PROMINVESTBANK is on SDN,
  SSI and CAPTA with ``_id`` 18293), so a Treasury row's Embargo id adds the list code
  (``us_trade_csl-18293-capta``); ``source_id`` stays ``_id`` and ``extra["ofacUid"]`` holds the
  OFAC uid so results join back to the OFAC sources. A second row with the same ``_id`` on the
  same list is a duplicate (the 2022 file has one: BANK OF KUNLUN, differing only in
  ``source_list_url``) and is reported with ``report.skip``.
* **Schema.** Treasury rows state ``type``. BIS and State rows do not, and those lists name
  people as well as companies (many ITAR Debarred and Denied Persons entries are individuals),
  so such a row is a Person only when it carries person-only data (birth date or place,
  nationality, citizenship), an Organization when its name shows a legal form or an
  organisational word, and otherwise a ``LegalEntity``: a party of unknown kind that a matcher
  compares as either, rather than an Organization that would misfile ``Ivan Zubarev``.
* **Names.** Treasury rows write individuals as ``LAST, First[, Suffix]``; they are turned into
  natural order with parts. BIS/State names are natural order already; a trailing comma is
  dropped and an inline ``(a.k.a. X; Y)`` / ``(f.k.a. X)`` / ``[aka X, Y]`` becomes aliases.
  CSL does not grade aliases, so every ``alt_names`` entry is a (strong) alias.
* **Listing.** ``measures.csl_listing`` maps the ``source`` column; Treasury id-list items that
  name the applicable measures (CAATSA section 235 menu, directives) are added to the listing.
* **Links.** ``source_url`` is the row's ``source_information_url`` (a page per list, not per
  party); Treasury rows also get their OFAC record page in ``extra["sourceUrl"]``.
* **Addresses.** CSV items are ``street, city, state, postal, CC`` with empty parts left out,
  so only the trailing country is split off reliably; ``full`` keeps the whole text. The JSON
  edition gives the parts as fields.
* **Encoding slips.** Three BIS names hold Windows-1252 punctuation as C1 control characters
  (``Xi\x92an``); they are read as Windows-1252 (``Xi’an``) with a warning. Characters the
  publisher already replaced by ``?`` cannot be recovered.
* **Dates.** The CSV states no publication date, so ``publisher_date`` stays None. The JSON
  edition's ``sources_used[].source_last_updated`` (newest) is used when present.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import msgspec
from rigour.names import extract_org_types

from embargo.errors import ParseError
from embargo.model import Address, Entity, Listing, Name, NameKind, Relation, Schema
from embargo.model.measures import csl_list_code, csl_listing
from embargo.model.values import (
    clean,
    country_code,
    make_name,
    mark_original_scripts,
    parse_birth_date,
    parse_date,
)
from embargo.sources.base import FormatSpec, ParseReport, entity_id, text_head
from embargo.sources.ofac_common import SDN_URL, apply_id, linked_to

SOURCE: Final = "us_trade_csl"

CSV_COLUMNS: Final = (
    "_id",
    "source",
    "entity_number",
    "type",
    "programs",
    "name",
    "title",
    "addresses",
    "federal_register_notice",
    "start_date",
    "end_date",
    "standard_order",
    "license_requirement",
    "license_policy",
    "call_sign",
    "vessel_type",
    "gross_tonnage",
    "gross_registered_tonnage",
    "vessel_flag",
    "vessel_owner",
    "remarks",
    "source_list_url",
    "alt_names",
    "citizenships",
    "dates_of_birth",
    "nationalities",
    "places_of_birth",
    "source_information_url",
    "ids",
)
# Without these a row cannot become an entity with a listing; the rest may be absent.
REQUIRED_COLUMNS: Final = ("_id", "source", "name")

_TYPES = {
    "individual": Schema.PERSON,
    "entity": Schema.ORGANIZATION,
    "vessel": Schema.VESSEL,
    "aircraft": Schema.AIRCRAFT,
}
_OFAC_CODES = frozenset({"SDN", "SSI", "NS-MBS", "CAPTA", "CMIC", "FSE", "PLC"})
_MULTI = re.compile(r";\s+")
_INLINE_AKA = re.compile(
    r"\s*[(\[]\s*(a\.?k\.?a\.?|f\.?k\.?a\.?|also known as|formerly known as|formerly)\s*[,:]?\s*"
    r"([^()\[\]]+?)\s*[)\]]",
    re.I,
)
_COUNTRY_PREFIX = re.compile(r"^([A-Z]{2}),\s+(.+)$")
_ORG_WORDS = re.compile(
    r"\b(co|corp|corporation|compan(?:y|ies)|inc|incorporated|ltd|limited|llc|gmbh|group|"
    r"industr\w*|technolog\w*|tech|electronic\w*|trading|trade|international|institute|"
    r"university|academy|cent(?:er|re)|bureau|ministry|government|organi[sz]ation|"
    r"enterprises?|bank|holdings?|factory|plant|laborator(?:y|ies)|association|agency|"
    r"department|services?|systems?|aviation|airlines?|airways|shipping|logistics|"
    r"engineering|research|scien\w*|solutions|manufactur\w*|import|export|firm|partners|"
    r"society|council|committee|foundation|works|design|development|equipment|energy|"
    r"petroleum|oil|gas|chemicals?|pharma\w*|communications?|telecom\w*|networks?|software|"
    r"suppl(?:y|ies)|products|machinery|motors?|marine|electric\w*|power|precision|aerospace|"
    r"defen[cs]e|military|nuclear|missiles?|army|navy|police|college|hospital|establishment|"
    r"office|directorate|administration|authority|forces?|brigade|commission|shipyard|"
    r"metals?|materials?|instruments?|devices?|optic\w*|semiconductors?|components?|"
    r"automation|computing|computers?|digital|information|intelligence|security|global|"
    r"express|freight|cargo|transport\w*|maritime|navigation|investments?|capital|finance|"
    r"financial|fund|resources|mining|construction|consult\w*|media|labs?|pvt|private|"
    r"railways?|airport|port|party|guards?|corps)\b",
    re.I,
)


@dataclass
class CslId:
    label: str | None
    number: str | None
    country: str | None = None
    note: str | None = None


@dataclass
class CslRecord:
    """One CSL row, whichever edition it came from, values cleaned but not yet interpreted."""

    id: str
    source: str
    name: str
    where: str
    entity_number: str | None = None
    type: str | None = None
    programs: list[str] = field(default_factory=list)
    title: str | None = None
    addresses: list[Address] = field(default_factory=list)
    federal_register_notice: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    standard_order: str | None = None
    license_requirement: str | None = None
    license_policy: str | None = None
    vessel: dict[str, str | None] = field(default_factory=dict)
    remarks: str | None = None
    source_list_url: str | None = None
    alt_names: list[str] = field(default_factory=list)
    citizenships: list[str] = field(default_factory=list)
    dates_of_birth: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    places_of_birth: list[str] = field(default_factory=list)
    source_information_url: str | None = None
    ids: list[CslId] = field(default_factory=list)


_VESSEL_FIELDS = (
    ("call_sign", "callSign"),
    ("vessel_type", "vesselType"),
    ("gross_tonnage", "tonnage"),
    ("gross_registered_tonnage", "grossRegisteredTonnage"),
    ("vessel_flag", "flag"),
    ("vessel_owner", "owner"),
)


# --------------------------------------------------------------------------------------------
# Shared row -> entity logic


def _person_name(text: str, kind: NameKind) -> Name | None:
    """``LAST, First[, Suffix]`` (Treasury's person notation) in natural order, with parts."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) < 2 or not parts[0] or not parts[1]:
        return make_name(text, kind)
    last, first, suffix = parts[0], parts[1], " ".join(p for p in parts[2:] if p)
    full = " ".join(p for p in (first, last, suffix) if p)
    return make_name(full, kind, first=first, last=last)


def _split_inline_aliases(text: str) -> tuple[str, list[tuple[str, NameKind]]]:
    """Take ``(a.k.a. X; Y)``-style asides out of a BIS/State name."""
    found: list[tuple[str, NameKind]] = []

    def repl(m: re.Match[str]) -> str:
        kind = NameKind.FORMER if m.group(1).lower().startswith("f") else NameKind.ALIAS
        for alias in re.split(r";\s*|,\s+(?=[A-Z])" if "[" in m.group(0) else r";\s*", m.group(2)):
            alias = alias.strip(" ,")
            if alias:
                found.append((alias, kind))
        return " "

    return _INLINE_AKA.sub(repl, text), found


_C1 = re.compile("[\x80-\x9f]")


def _c1_to_cp1252(char: re.Match[str]) -> str:
    try:
        return bytes([ord(char.group(0))]).decode("cp1252")
    except UnicodeDecodeError:
        return ""


def _clean_name(text: str) -> str | None:
    return clean(text.strip().rstrip(",").strip())


def _schema(rec: CslRecord, is_ofac: bool, report: ParseReport) -> Schema:
    kind = (rec.type or "").lower()
    if kind:
        schema = _TYPES.get(kind)
        if schema is None:
            report.warn(f"{rec.where}: unknown type {rec.type!r}, read as LegalEntity")
            return Schema.UNKNOWN
        return schema
    if rec.dates_of_birth or rec.places_of_birth or rec.citizenships or rec.nationalities:
        return Schema.PERSON
    if is_ofac:
        return Schema.ORGANIZATION
    if extract_org_types(rec.name) or _ORG_WORDS.search(rec.name):
        return Schema.ORGANIZATION
    return Schema.UNKNOWN


def _add_name(entity: Entity, name: Name | None) -> None:
    if name is not None and all(n.full != name.full for n in entity.names):
        entity.names.append(name)


def _listing(rec: CslRecord, measures: list[str], report: ParseReport) -> Listing:
    return csl_listing(
        report.source,
        rec.source,
        rec.programs,
        license_requirement=rec.license_requirement,
        license_policy=rec.license_policy,
        measures=measures,
        listed_on=parse_date(rec.start_date),
        legal_basis=rec.federal_register_notice,
        url=rec.source_list_url,
    )


def build_entity(rec: CslRecord, report: ParseReport, seen: dict[str, str]) -> Entity | None:
    """Turn one CSL record into an entity; None (with a skip) when it cannot be used."""
    code = csl_list_code(rec.source)
    if code is None:
        report.warn(f"{rec.where}: unknown CSL list {rec.source!r}; listing kept as 'other'")
    is_ofac = code in _OFAC_CODES or bool(rec.entity_number)
    publisher_id = f"{rec.id}-{code.lower()}" if is_ofac and code else rec.id
    if publisher_id in seen:
        report.skip(
            f"{rec.where}, _id={rec.id}",
            f"duplicate of {seen[publisher_id]} (same _id on the same list)",
        )
        return None
    seen[publisher_id] = rec.where
    schema = _schema(rec, is_ofac, report)
    as_person = schema is Schema.PERSON and is_ofac
    name_text = _clean_name(rec.name) or ""
    if _C1.search(name_text):
        # A few BIS names carry Windows-1252 punctuation as control characters ("Xi\x92an").
        name_text = _C1.sub(_c1_to_cp1252, name_text)
        report.warn(f"{rec.where}: control characters in the name read as Windows-1252")
    inline: list[tuple[str, NameKind]] = []
    if not is_ofac:
        name_text, inline = _split_inline_aliases(name_text)
        name_text = _clean_name(name_text) or ""
    primary = _person_name(name_text, NameKind.PRIMARY) if as_person else make_name(name_text)
    if primary is None:
        report.skip(f"{rec.where}, _id={rec.id}", "row has no name")
        return None
    entity = Entity(
        id=entity_id(report.source, publisher_id),
        schema=schema,
        source=report.source,
        source_id=rec.id,
        names=[primary],
        source_url=rec.source_information_url,
    )
    for alias in rec.alt_names:
        alias_text = _clean_name(alias)
        if alias_text:
            kind = NameKind.ALIAS
            _add_name(
                entity,
                _person_name(alias_text, kind) if as_person else make_name(alias_text, kind),
            )
    for alias_text, kind in inline:
        _add_name(entity, make_name(alias_text, kind))
    if rec.entity_number:
        entity.add_extra("ofacUid", rec.entity_number)
        entity.add_extra("sourceUrl", SDN_URL.format(uid=rec.entity_number))
    if rec.title:
        (entity.positions if schema is Schema.PERSON else entity.titles).append(rec.title)
    entity.addresses.extend(a for a in rec.addresses if a not in entity.addresses)
    for value in rec.dates_of_birth:
        bd = parse_birth_date(value)
        if bd and bd not in entity.birth_dates:
            entity.birth_dates.append(bd)
    for place in rec.places_of_birth:
        if place not in entity.birth_places:
            entity.birth_places.append(place)
    for codes, values in (
        (entity.nationalities, rec.nationalities),
        (entity.citizenships, rec.citizenships),
    ):
        for value in values:
            cc = country_code(value)
            if cc is None:
                report.warn(f"{rec.where}: unknown country {value!r}")
            elif cc not in codes:
                codes.append(cc)
    measures: list[str] = []
    for item in rec.ids:
        apply_id(entity, item.label, item.number, item.country, measures, note=item.note)
    for attr, key in _VESSEL_FIELDS:
        entity.add_extra(key, rec.vessel.get(attr))
    flag = country_code(rec.vessel.get("vessel_flag"))
    if flag and flag not in entity.countries:
        entity.countries.append(flag)
    if rec.remarks:
        entity.remarks.append(rec.remarks)
        for party in linked_to(rec.remarks):
            entity.relations.append(Relation(kind="linked-to", target=party))
    entity.add_extra("endDate", parse_date(rec.end_date) or rec.end_date)
    entity.add_extra("standardOrder", rec.standard_order)
    entity.listings.append(_listing(rec, measures, report))
    mark_original_scripts(entity)
    return entity


# --------------------------------------------------------------------------------------------
# CSV edition


def _split(value: str | None) -> list[str]:
    text = clean(value)
    if text is None:
        return []
    out: list[str] = []
    for part in _MULTI.split(text):
        item = clean(part)
        if item and item not in out:
            out.append(item)
    return out


def _csv_address(text: str) -> Address:
    # Empty parts are left out of "street, city, state, postal, CC", so only the trailing
    # country can be told apart; the rest stays in ``full``.
    last = text.rpartition(",")[2].strip()
    country = country_code(last) if last and not any(ch.isdigit() for ch in last) else None
    return Address(full=text.strip(" ,"), country=country)


def _csv_id(text: str) -> CslId:
    value, sep, label = text.rpartition(", ")
    if not sep:
        return CslId(label=None, number=text)
    m = _COUNTRY_PREFIX.match(value)
    if m and country_code(m.group(1)):
        return CslId(label=label, number=m.group(2), country=m.group(1))
    return CslId(label=label, number=value)


def _csv_record(row: dict[str, str], where: str) -> CslRecord:
    def get(key: str) -> str | None:
        value = row.get(key)
        return clean(value) if value else None

    return CslRecord(
        id=get("_id") or "",
        source=get("source") or "",
        name=row.get("name") or "",
        where=where,
        entity_number=get("entity_number"),
        type=get("type"),
        programs=_split(row.get("programs")),
        title=get("title"),
        addresses=[_csv_address(a) for a in _split(row.get("addresses"))],
        federal_register_notice=get("federal_register_notice"),
        start_date=get("start_date"),
        end_date=get("end_date"),
        standard_order=get("standard_order"),
        license_requirement=get("license_requirement"),
        license_policy=get("license_policy"),
        vessel={attr: get(attr) for attr, _ in _VESSEL_FIELDS},
        remarks=get("remarks"),
        source_list_url=get("source_list_url"),
        alt_names=_split(row.get("alt_names")),
        citizenships=_split(row.get("citizenships")),
        dates_of_birth=_split(row.get("dates_of_birth")),
        nationalities=_split(row.get("nationalities")),
        places_of_birth=_split(row.get("places_of_birth")),
        source_information_url=get("source_information_url"),
        ids=[_csv_id(i) for i in _split(row.get("ids"))],
    )


def _bad_utf8_line(path: Path) -> int | None:
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


def sniff_csv(path: Path, head: bytes) -> str | None:
    first = text_head(head).split("\n", 1)[0].strip().lower()
    columns = {c.strip().strip('"') for c in first.split(",")}
    if {"_id", "source", "entity_number", "source_list_url", "alt_names"} <= columns:
        return SOURCE
    return None


def parse_csv(path: Path, report: ParseReport) -> Iterator[Entity]:
    report.files = [path]
    seen: dict[str, str] = {}
    name = path.name
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        try:
            try:
                header = next(reader)
            except StopIteration:
                raise ParseError(path, "file is empty (no header row)", line=1) from None
            columns = [c.strip() for c in header]
            if "_id" not in columns and "id" in columns:
                columns[columns.index("id")] = "_id"
            for required in REQUIRED_COLUMNS:
                if required not in columns:
                    raise ParseError(
                        path,
                        f"required column {required!r} is missing from the header "
                        f"(found: {', '.join(columns)})",
                        line=1,
                    )
            unknown = [c for c in columns if c not in CSV_COLUMNS]
            if unknown:
                report.warn(f"{name}: columns not read: {', '.join(unknown)}")
            width = len(columns)
            for row in reader:
                if not row:
                    continue
                line = reader.line_num
                if len(row) != width:
                    raise ParseError(
                        path, f"row has {len(row)} fields, the header has {width}", line=line
                    )
                report.records += 1
                rec = _csv_record(dict(zip(columns, row, strict=True)), f"{name}, line {line}")
                entity = build_entity(rec, report, seen)
                if entity is not None:
                    yield entity
        except csv.Error as exc:
            raise ParseError(path, f"malformed CSV ({exc})", line=reader.line_num) from None
        except UnicodeDecodeError as exc:
            raise ParseError(
                path,
                f"file is not valid UTF-8 ({exc.reason} at byte {exc.start} of a read block)",
                line=_bad_utf8_line(path),
            ) from None


# --------------------------------------------------------------------------------------------
# JSON edition


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return None
    return clean(str(value))


def _items(value: Any) -> list[Any]:
    """A JSON field meant to hold a list: a single value stands for a list of one."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _texts(value: Any) -> list[str]:
    if value is None:
        return []
    items: Iterable[Any] = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        text = _text(item)
        if text and text not in out:
            out.append(text)
    return out


def _json_address(item: Any) -> Address | None:
    if isinstance(item, str):
        return _csv_address(item) if clean(item) else None
    if not isinstance(item, dict):
        return None
    street = _text(item.get("address"))
    city = _text(item.get("city"))
    region = _text(item.get("state") or item.get("state_or_province"))
    postal = _text(item.get("postal_code"))
    country = _text(item.get("country"))
    full = ", ".join(p for p in (street, city, region, postal, country) if p)
    if not full:
        return None
    return Address(
        full=full,
        street=street,
        city=city,
        region=region,
        postal_code=postal,
        country=country_code(country),
    )


def _json_id(item: Any) -> CslId | None:
    if isinstance(item, str):
        return _csv_id(item) if clean(item) else None
    if not isinstance(item, dict):
        return None
    note = " ".join(
        f"{k} {v}"
        for k, v in (
            ("issued", _text(item.get("issue_date"))),
            ("expires", _text(item.get("expiration_date"))),
        )
        if v
    )
    return CslId(
        label=_text(item.get("type")),
        number=_text(item.get("number")),
        country=_text(item.get("country")),
        note=note or None,
    )


def _json_record(item: dict[str, Any], where: str) -> CslRecord:
    ids = [i for i in (_json_id(x) for x in _items(item.get("ids"))) if i is not None]
    addresses = [a for a in (_json_address(x) for x in _items(item.get("addresses"))) if a]
    return CslRecord(
        id=_text(item.get("id") or item.get("_id")) or "",
        source=_text(item.get("source")) or "",
        name=_text(item.get("name")) or "",
        where=where,
        entity_number=_text(item.get("entity_number")),
        type=_text(item.get("type")),
        programs=_texts(item.get("programs")),
        title=_text(item.get("title")),
        addresses=addresses,
        federal_register_notice=_text(item.get("federal_register_notice")),
        start_date=_text(item.get("start_date")),
        end_date=_text(item.get("end_date")),
        standard_order=_text(item.get("standard_order")),
        license_requirement=_text(item.get("license_requirement")),
        license_policy=_text(item.get("license_policy")),
        vessel={attr: _text(item.get(attr)) for attr, _ in _VESSEL_FIELDS},
        remarks=_text(item.get("remarks")),
        source_list_url=_text(item.get("source_list_url")),
        alt_names=_texts(item.get("alt_names")),
        citizenships=_texts(item.get("citizenships")),
        dates_of_birth=_texts(item.get("dates_of_birth")),
        nationalities=_texts(item.get("nationalities")),
        places_of_birth=_texts(item.get("places_of_birth")),
        source_information_url=_text(item.get("source_information_url")),
        ids=ids,
    )


def _decode_error(path: Path, data: bytes, exc: msgspec.DecodeError) -> ParseError:
    message = str(exc)
    if "truncated" in message:
        # The file ends inside a value: the last line is where it stops.
        last = data.rstrip(b"\n").count(b"\n") + 1
        return ParseError(path, "JSON is truncated (the file ends inside a value)", line=last)
    line = None
    m = re.search(r"byte (\d+)", message)
    if m:
        line = data.count(b"\n", 0, int(m.group(1))) + 1
    return ParseError(path, f"malformed JSON ({message})", line=line)


def sniff_json(path: Path, head: bytes) -> str | None:
    text = text_head(head).lstrip()
    if not text.startswith(("{", "[")):
        return None
    window = text[:20000]
    if '"results"' in window and ('"source_list_url"' in window or '"entity_number"' in window):
        return SOURCE
    if text.startswith("[") and '"source_information_url"' in window and '"alt_names"' in window:
        return SOURCE
    return None


def parse_json(path: Path, report: ParseReport) -> Iterator[Entity]:
    report.files = [path]
    data = path.read_bytes()
    if not data.strip():
        raise ParseError(path, "file is empty")
    try:
        doc = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise _decode_error(path, data, exc) from None
    except RecursionError:
        raise ParseError(path, "JSON nested too deeply to be a list file") from None
    if isinstance(doc, dict):
        results = doc.get("results")
        if not isinstance(results, list):
            raise ParseError(path, "JSON object has no 'results' array", element="results")
        total = doc.get("total")
        if isinstance(total, int) and not isinstance(total, bool):
            report.stated_count = total
        dates = [
            d
            for s in _items(doc.get("sources_used"))
            if isinstance(s, dict)
            for d in [parse_date(_text(s.get("source_last_updated")))]
            if d
        ]
        if dates:
            report.publisher_date = max(dates)
    elif isinstance(doc, list):
        results = doc
    else:
        raise ParseError(path, "top-level JSON value is neither an object nor an array")
    seen: dict[str, str] = {}
    for index, item in enumerate(results):
        report.records += 1
        where = f"{path.name}, results[{index}]"
        if not isinstance(item, dict):
            report.skip(where, "result is not a JSON object")
            continue
        rec = _json_record(item, where)
        if not rec.id or not rec.source:
            report.skip(where, "result has no id or no source")
            continue
        entity = build_entity(rec, report, seen)
        if entity is not None:
            yield entity
    if report.stated_count is not None and report.stated_count != report.records:
        report.warn(
            f"{path.name}: the file states {report.stated_count} results but holds {report.records}"
        )


FORMAT_CSV = FormatSpec(
    name="us-csl-csv",
    title="US Consolidated Screening List, CSV edition (trade.gov consolidated.csv)",
    sniff=sniff_csv,
    parse=parse_csv,
    extensions=(".csv",),
)
FORMAT_JSON = FormatSpec(
    name="us-csl-json",
    title="US Consolidated Screening List, JSON edition (trade.gov consolidated.json)",
    sniff=sniff_json,
    parse=parse_json,
    extensions=(".json",),
)
