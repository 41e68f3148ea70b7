"""EU Financial Sanctions Files, XML 1.1: root ``export``, one ``sanctionEntity`` per listing.

Nearly every value is an attribute. The Commission writes one ``sanctionEntity`` per
regulation, so a party listed under two programmes appears twice with the same ``logicalId``
(three times in the May 2024 file). Those are merged into one entity with one listing per
programme. A later duplicate may come anywhere in the file, so entities are collected while
the XML streams and are yielded once the file has been read in full; a few thousand entities
take far less memory than the XML tree would.

There is no public per-entity page on the EU's site, so ``source_url`` stays empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from lxml import etree

from embargo.errors import ParseError
from embargo.model import Address, BirthDate, Entity, Identifier, IdType, Name, NameKind, Schema
from embargo.model.measures import eu_listing
from embargo.model.values import (
    clean,
    country_alpha3,
    country_code,
    id_type,
    make_name,
    mark_original_scripts,
    parse_birth_date,
    parse_date,
    parse_gender,
)
from embargo.sources.base import FormatSpec, ParseReport, entity_id, text_head, xml_error

EU_FSF = "eu_fsf"
NAMESPACE = "http://eu.europa.ec/fpi/fsd/export"

_SCHEMAS = {"person": Schema.PERSON, "enterprise": Schema.ORGANIZATION}
_CLASSIFICATIONS = {"P": Schema.PERSON, "E": Schema.ORGANIZATION}

# The EU's identificationTypeCode values. Codes not listed here fall back to the description.
_ID_CODES = {
    "passport": IdType.PASSPORT,
    "id": IdType.NATIONAL_ID,
    "regnumber": IdType.REGISTRATION,
    "fiscalcode": IdType.TAX_ID,
    "imo": IdType.IMO,
    "swiftbic": IdType.SWIFT_BIC,
    "drivinglicence": IdType.DRIVING_LICENCE,
    "ssn": IdType.SOCIAL_SECURITY,
    "tradelic": IdType.REGISTRATION,
    "other": IdType.OTHER,
}
_ID_FLAGS = (
    ("knownFalse", "known to be false"),
    ("knownExpired", "known to be expired"),
    ("diplomatic", "diplomatic document"),
    ("reportedLost", "reported lost"),
    ("revokedByIssuer", "revoked by issuer"),
)
_CONTACT_KEYS = {"PHONE": "phone", "EMAIL": "email", "WEB": "website", "FAX": "fax"}
# Children of sanctionEntity this parser reads; anything else is reported once per file.
_KNOWN_CHILDREN = frozenset(
    {
        "remark",
        "regulation",
        "subjectType",
        "nameAlias",
        "citizenship",
        "birthdate",
        "address",
        "identification",
        "additionalInformation",
    }
)

_ORIGINAL_SCRIPT = re.compile(r"\(original script:\s*([^)]+)\)", re.I)
# The EU's official languages: a name in one of them is the EU's own rendering of the name for
# that language's edition of the list. Two are written in other scripts than Latin, and a
# name in them is the party's own writing only for a party of those languages' countries.
_EU_LANGUAGES = frozenset(
    {
        "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it",
        "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
    }
)  # fmt: skip
_EU_SCRIPT_LANGUAGES = {"bg": frozenset({"bg"}), "el": frozenset({"gr", "cy"})}
_LOW_QUALITY = re.compile(r"\blow[- ]quality\b", re.I)
# Remarks that only grade an alias; they set its kind and are not kept as remarks.
_QUALITY_NOTE = re.compile(r"^\s*(?:low|good)[- ]quality (?:alias|a\.k\.a\.?)\s*\.?\s*$", re.I)
_LISTING_DATE = re.compile(r"date of (?:UN )?listing:?\s*(\d{1,2})\.(\d{1,2})\.(\d{4})", re.I)
_SHIP_TYPE = re.compile(r"type of ship:\s*([^\n]+)", re.I)
_PLACE_PREFIX = re.compile(r"^place of birth:\s*", re.I)


def sniff(path: Path, head: bytes) -> str | None:
    text = text_head(head)
    if "<export" not in text:
        return None
    if NAMESPACE in text or "<sanctionEntity" in text:
        return EU_FSF
    return None


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _get(el: Any, name: str) -> str | None:
    value = el.get(name)
    # Most attributes are written but empty; skip the cleaning work for those.
    return clean(value) if value else None


def _flag(el: Any, name: str) -> bool:
    return (el.get(name) or "").strip().lower() == "true"


def _country(el: Any) -> str | None:
    """The country of an element's ``countryIso2Code`` / ``countryDescription`` pair.

    The description is tried first: the EU still writes ``CS`` for Serbia and Montenegro,
    a code ISO 3166 also used for Czechoslovakia, and the description settles which.
    """
    code = _get(el, "countryIso2Code")
    if code == "00":
        return None
    return country_code(_get(el, "countryDescription")) or country_code(code)


def _country_label(el: Any) -> str | None:
    if _get(el, "countryIso2Code") == "00":
        return None
    return _get(el, "countryDescription")


def _remarks(el: Any) -> list[str]:
    out: list[str] = []
    for child in el:
        if _local(child.tag) == "remark":
            text = clean(child.text)
            if text:
                out.append(text)
    return out


def _add(values: list[str], value: str | None) -> None:
    if value and value not in values:
        values.append(value)


def _add_text(values: list[str], value: str | None) -> None:
    """Add a phrase unless one differing only in case or a final full stop is there."""
    if not value:
        return
    key = value.rstrip(". ").casefold()
    if all(v.rstrip(". ").casefold() != key for v in values):
        values.append(value)


def _imo_ship_check(number: str) -> bool:
    """True when a 7-digit IMO number passes the check digit of *ship* IMO numbers.

    IMO company numbers (which the EU also files under ``imo``) do not follow that rule, so it
    tells a listed vessel from a listed shipping company.
    """
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) != 7:
        return False
    return sum(d * w for d, w in zip(digits, range(7, 1, -1), strict=False)) % 10 == digits[6]


@dataclass
class _Context:
    path: Path
    report: ParseReport
    warned: set[str] = field(default_factory=set)

    def where(self, el: Any, logical_id: str | None = None) -> str:
        out = f"{self.path.name}, line {el.sourceline}, sanctionEntity"
        if logical_id:
            out += f" logicalId={logical_id}"
        return out

    def warn_once(self, key: str, message: str) -> None:
        if key not in self.warned:
            self.warned.add(key)
            self.report.warn(message)


@dataclass
class _Alias:
    name: Name
    strong: bool
    lang: str | None
    function: bool = False


def _names(entity: Entity, aliases: list[Any]) -> dict[str, str]:
    """Names, titles, functions and gender from the ``nameAlias`` elements.

    The EU marks no alias as the main one (``strong`` is true for nearly all) and lists them in
    no useful order: PUTIN's first alias is the Swedish "Vladimir Vladimirovitj PUTIN", Joseph
    KONY's is "Le Messie sanglant". The primary name is the first strong Latin-script alias
    without a language or in English that carries the ``function`` (the EU's working record
    for the party), else the first such alias without it, else the first strong Latin alias,
    the first strong alias, the first alias.

    A name in another script is the party's own writing of it (``original-script``) when the
    EU gives it in a language that is not one of its own (Russian, Arabic, Korean...) or in an
    "(original script: ...)" remark. The Bulgarian and Greek editions' renderings of every
    name are returned (text -> language), for the caller to judge once the party's countries
    are known; names without a language are left to ``mark_original_scripts``.
    """
    translated: dict[str, str] = {}
    found: list[_Alias] = []
    for na in aliases:
        remarks = _remarks(na)
        strong = (na.get("strong") or "true").strip().lower() != "false"
        # A handful of aliases are flagged weak only in their remark ("Low quality alias").
        if any(_LOW_QUALITY.search(r) for r in remarks):
            strong = False
        lang = _get(na, "nameLanguage")
        lang = lang.lower() if lang else None
        name = make_name(
            na.get("wholeName"),
            NameKind.ALIAS if strong else NameKind.WEAK,
            first=na.get("firstName"),
            middle=na.get("middleName"),
            last=na.get("lastName"),
            title=na.get("title"),
            lang=lang,
            original_script=bool(lang) and lang not in _EU_LANGUAGES,
        )
        if name is not None:
            found.append(_Alias(name, strong, lang, bool(_get(na, "function"))))
            if name.script and lang in _EU_SCRIPT_LANGUAGES:
                translated[name.full] = lang
        # ``function`` is a person's office; for an enterprise it is a description of its role.
        role = _get(na, "function")
        _add_text(entity.positions if entity.schema is Schema.PERSON else entity.remarks, role)
        _add_text(entity.titles, _get(na, "title"))
        if entity.gender is None:
            entity.gender = parse_gender(na.get("gender"))
        for remark in remarks:
            match = _ORIGINAL_SCRIPT.search(remark)
            if match:
                written = make_name(
                    match.group(1),
                    NameKind.ALIAS if strong else NameKind.WEAK,
                    original_script=True,
                )
                if written is not None:
                    found.append(_Alias(written, strong, None))
                if match.group(0).strip() == remark.strip():
                    continue
            if not _QUALITY_NOTE.match(remark):
                _add(entity.remarks, remark)
    if not found:
        return translated

    def rank(alias: _Alias) -> int:
        latin = alias.name.script is None
        if alias.strong and latin and alias.lang in (None, "en"):
            return 0 if alias.function else 1
        if alias.strong and latin:
            return 2
        return 3 if alias.strong else 4

    best = min(range(len(found)), key=lambda i: (rank(found[i]), i))
    primary = found[best].name
    if primary.script is None:
        primary = msgspec.structs.replace(primary, kind=NameKind.PRIMARY)
    seen = {primary.full.casefold()}
    entity.names.append(primary)
    for alias in found:
        key = alias.name.full.casefold()
        if key not in seen:
            seen.add(key)
            entity.names.append(alias.name)
    return translated


def _birth_date(el: Any, ctx: _Context, where: str) -> BirthDate | None:
    circa = _flag(el, "circa")
    calendar = (_get(el, "calendarType") or "GREGORIAN").upper()
    # For other calendars ``birthdate`` holds the Gregorian equivalent while day/month/year
    # hold the original date; only the former is comparable, so it wins whenever present.
    full = parse_birth_date(_get(el, "birthdate"), circa=circa)
    if full is not None and full.year is not None:
        return full
    raw = {k: _get(el, k) for k in ("year", "monthOfYear", "dayOfMonth")}
    if calendar != "GREGORIAN":
        text = "-".join(p for p in (raw["year"], raw["monthOfYear"], raw["dayOfMonth"]) if p)
        if not text:
            return None
        ctx.report.warn(
            f"{where}: birth date {text} in the {calendar.lower()} calendar kept as text"
        )
        return BirthDate(text=f"{text} ({calendar.lower()} calendar)", circa=circa)
    try:
        year, month, day, start, end = (
            int(v) if v else None
            for v in (
                raw["year"],
                raw["monthOfYear"],
                raw["dayOfMonth"],
                _get(el, "yearRangeFrom"),
                _get(el, "yearRangeTo"),
            )
        )
    except ValueError:
        ctx.report.warn(f"{where}: unreadable birth date attributes {raw}")
        return None
    if year is None:
        if start is not None and end is not None and end >= start:
            return BirthDate(text=f"{start} to {end}", year=start, year_to=end, circa=circa)
        if start is None and end is None:
            return None
        # A one-sided range (yearRangeTo alone, remarked "Approximately 1980") is approximate.
        only = start if start is not None else end
        return BirthDate(
            text=f"{'from' if start is not None else 'up to'} {only}", year=only, circa=True
        )
    if not 1000 <= year <= 2100 or (month is not None and not 1 <= month <= 12):
        ctx.report.warn(f"{where}: implausible birth date {year}-{month}-{day}, kept as text")
        return BirthDate(text=f"{year}-{month or '?'}-{day or '?'}", circa=circa)
    if month is None:
        day = None
    text = f"{year:04d}" + (f"-{month:02d}" if month else "") + (f"-{day:02d}" if day else "")
    return BirthDate(text=text, year=year, month=month, day=day, circa=circa)


def _birth_place(el: Any, remarks: list[str]) -> str | None:
    # Some entries give the full place only in the remark ("Place of birth: Bunia, Ituri ...").
    for remark in remarks:
        if _PLACE_PREFIX.match(remark):
            return clean(_PLACE_PREFIX.sub("", remark))
    parts: list[str] = []
    for value in (_get(el, "city"), _get(el, "place"), _get(el, "region"), _country_label(el)):
        _add(parts, value)
    return ", ".join(parts) or None


def _id_type(code: str | None, description: str | None, remarks: list[str]) -> IdType:
    kind = _ID_CODES.get(code or "") or id_type(description)
    if kind is IdType.OTHER and remarks and len(remarks[0]) < 80:
        # "other" documents are often named in the remark ("Tax Identification Number"); a
        # longer remark is prose about the document, not its name.
        kind = id_type(remarks[0])
    return kind


def _identifiers(entity: Entity, el: Any) -> None:
    code = (_get(el, "identificationTypeCode") or "").lower()
    label = _get(el, "identificationTypeDescription") or code or None
    remarks = _remarks(el)
    kind = _id_type(code, label, remarks)
    notes: list[str] = []
    for key, text in (
        ("issuedBy", "issued by"),
        ("issueDate", "issued"),
        ("validFrom", "valid from"),
        ("validTo", "valid to"),
        ("region", "region"),
        ("nameOnDocument", "name on document"),
    ):
        value = _get(el, key)
        if value:
            notes.append(f"{text} {value}")
    notes.extend(text for key, text in _ID_FLAGS if _flag(el, key))
    notes.extend(remarks)
    country = _country(el)
    values: list[str] = []
    _add(values, _get(el, "number"))
    _add(values, _get(el, "latinNumber"))
    if not values:
        for remark in remarks:
            _add(entity.remarks, f"{label or 'Identification'}: {remark}")
        return
    note = "; ".join(notes) or None
    for value in values:
        ident = Identifier(type=kind, value=value, label=label, country=country, note=note)
        if ident not in entity.identifiers:
            entity.identifiers.append(ident)


def _address(entity: Entity, el: Any) -> None:
    street, city = _get(el, "street"), _get(el, "city")
    region, postal = _get(el, "region"), _get(el, "zipCode")
    po_box, place = _get(el, "poBox"), _get(el, "place")
    country_label = _country_label(el)
    remarks = _remarks(el)
    for info in el:
        if _local(info.tag) == "contactInfo":
            key = (info.get("key") or "").strip().upper()
            entity.add_extra(_CONTACT_KEYS.get(key, key.lower() or "contact"), info.get("value"))
    parts = [street, f"PO Box {po_box}" if po_box else None, postal, city, place, region]
    full = ", ".join(p for p in (*parts, country_label) if p)
    # Address remarks are annotations ("as at November 2013", "Suspected location"), not
    # addresses; they are kept as remarks naming the address they qualify.
    for remark in remarks:
        _add(entity.remarks, f"Address ({full}): {remark}" if full else remark)
    if not full:
        return
    addr = Address(
        full=full,
        street=street,
        city=city,
        region=region,
        postal_code=postal,
        country=_country(el),
    )
    if addr not in entity.addresses:
        entity.addresses.append(addr)


def _listed_on(el: Any, remarks: list[str]) -> str | None:
    designated = parse_date(_get(el, "designationDate"))
    if designated:
        return designated
    # Older entries carry the date only in prose: "Date of listing: 23.7.2014."
    for remark in remarks:
        m = _LISTING_DATE.search(remark)
        if m:
            return parse_date(f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}")
    return None


def _legal_basis(reg: Any) -> str | None:
    number = _get(reg, "numberTitle")
    if number is None:
        return None
    org, kind = _get(reg, "organisationType"), _get(reg, "regulationType")
    label = " ".join(p for p in ((org or "").capitalize(), kind or "") if p)
    out = f"{label} {number}" if label else number
    in_force = parse_date(_get(reg, "entryIntoForceDate"))
    return f"{out}, in force {in_force}" if in_force else out


def parse_entity(el: Any, ctx: _Context) -> Entity | None:
    """One ``sanctionEntity`` element as an entity, or None (recorded as a skip)."""
    logical_id = _get(el, "logicalId")
    where = ctx.where(el, logical_id)
    if logical_id is None:
        ctx.report.skip(where, "sanctionEntity without logicalId")
        return None
    groups: dict[str, list[Any]] = {}
    for child in el:
        name = _local(child.tag)
        if not name:
            continue
        if name not in _KNOWN_CHILDREN:
            ctx.warn_once(
                f"child:{name}", f"{where}: unknown element <{name}> ignored (first occurrence)"
            )
            continue
        groups.setdefault(name, []).append(child)

    subject = groups.get("subjectType", [None])[0]
    code = (subject.get("code") or "").strip().lower() if subject is not None else ""
    schema = _SCHEMAS.get(code)
    if schema is None and subject is not None:
        schema = _CLASSIFICATIONS.get((subject.get("classificationCode") or "").strip())
    if schema is None:
        ctx.report.warn(f"{where}: unknown subjectType {code!r}, read as LegalEntity")
        schema = Schema.UNKNOWN

    entity = Entity(
        id=entity_id(ctx.report.source, logical_id),
        schema=schema,
        source=ctx.report.source,
        source_id=logical_id,
        names=[],
    )
    remarks = _remarks(el)
    entity.remarks.extend(dict.fromkeys(remarks))
    translated = _names(entity, groups.get("nameAlias", []))
    if not entity.names:
        ctx.report.skip(where, "sanctionEntity has no name")
        return None

    for item in groups.get("citizenship", []):
        country = _country(item)
        if country and country not in entity.citizenships:
            entity.citizenships.append(country)
        label = _country_label(item)
        for remark in _remarks(item):
            _add(entity.remarks, f"Citizenship ({label}): {remark}" if label else remark)
    birth_countries: list[str] = []
    for item in groups.get("birthdate", []):
        _add(birth_countries, _country(item))
        item_remarks = _remarks(item)
        bd = _birth_date(item, ctx, where)
        if bd is not None and bd not in entity.birth_dates:
            entity.birth_dates.append(bd)
        place = _birth_place(item, item_remarks)
        _add(entity.birth_places, place)
        for remark in item_remarks:
            if clean(_PLACE_PREFIX.sub("", remark)) != place:
                _add(entity.remarks, f"Place of birth ({place}): {remark}" if place else remark)
    for item in groups.get("address", []):
        _address(entity, item)
    for item in groups.get("identification", []):
        _identifiers(entity, item)
    for item in groups.get("additionalInformation", []):
        key, value = _get(item, "key"), _get(item, "value")
        if value:
            _add(entity.remarks, f"{key}: {value}" if key else value)

    details = _get(el, "designationDetails")
    _add(entity.remarks, details)
    entity.add_extra("unscId", _get(el, "unitedNationId"))

    if schema is Schema.ORGANIZATION:
        _maybe_vessel(entity, ctx, where)

    reference = _get(el, "euReferenceNumber")
    listed_on = _listed_on(el, remarks)
    regulations = groups.get("regulation", [])
    if not regulations:
        ctx.report.warn(f"{where}: no regulation; listed without programme")
        entity.listings.append(eu_listing(ctx.report.source, None, listed_on=listed_on))
    for reg in regulations:
        url = None
        for child in reg:
            if _local(child.tag) == "publicationUrl":
                url = clean(child.text)
        listing = eu_listing(
            ctx.report.source,
            _get(reg, "programme"),
            listed_on=listed_on,
            legal_basis=_legal_basis(reg),
            reference=reference,
            url=url,
        )
        if listing not in entity.listings:
            entity.listings.append(listing)
    _original_scripts(entity, translated, birth_countries)
    return entity


def _original_scripts(
    entity: Entity, translated: dict[str, str], birth_countries: list[str]
) -> None:
    """Mark the names in the party's own script, once its countries are known.

    A party tied to no country at all (many listed under the Ukraine regime are) is taken to
    write as the country of its regime does (programme ``UKR``, ``BLR``, ``PRK``...); the
    Bulgarian and Greek editions' renderings count only for a party of those countries.
    """
    if not any(n.script for n in entity.names):
        return
    countries = [*birth_countries]
    tied = {*entity.all_countries, *countries}
    if not tied:
        for listing in entity.listings:
            _add(countries, country_alpha3(listing.programs[0] if listing.programs else None))
        tied.update(countries)
    keep = {t for t, lang in translated.items() if not tied & _EU_SCRIPT_LANGUAGES[lang]}
    mark_original_scripts(entity, countries=countries, keep=keep)


def _maybe_vessel(entity: Entity, ctx: _Context, where: str) -> None:
    """Read an "enterprise" as a vessel when it has a ship's IMO number and a ship type.

    The EU files vessels as enterprises; shipping companies carry IMO *company* numbers in the
    same field, so the ship check digit and the "Type of ship:" remark must both agree.
    """
    ship_imo = any(i.type is IdType.IMO and _imo_ship_check(i.value) for i in entity.identifiers)
    if not ship_imo:
        return
    ship_type = None
    for remark in entity.remarks:
        m = _SHIP_TYPE.search(remark)
        if m:
            ship_type = clean(m.group(1))
            break
    if ship_type is None:
        ctx.report.warn(f"{where}: has a ship IMO number but no ship type; kept as Organization")
        return
    entity.schema = Schema.VESSEL
    entity.add_extra("vesselType", ship_type)


def _merge(into: Entity, other: Entity) -> None:
    """Fold a second ``sanctionEntity`` for the same party (another programme) into the first."""
    seen = {n.full.casefold() for n in into.names}
    for name in other.names:
        if name.full.casefold() in seen:
            continue
        seen.add(name.full.casefold())
        if name.kind is NameKind.PRIMARY:
            name = msgspec.structs.replace(name, kind=NameKind.ALIAS)
        into.names.append(name)
    for attr in (
        "listings",
        "birth_dates",
        "nationalities",
        "citizenships",
        "countries",
        "addresses",
        "identifiers",
        "relations",
    ):
        mine: list[Any] = getattr(into, attr)
        for value in getattr(other, attr):
            if value not in mine:
                mine.append(value)
    for text_attr in ("birth_places", "titles", "positions", "remarks"):
        texts: list[str] = getattr(into, text_attr)
        for text in getattr(other, text_attr):
            _add_text(texts, text)
    for key, values in other.extra.items():
        for value in values:
            into.add_extra(key, value)
    into.gender = into.gender or other.gender


def _read_root(path: Path, root: Any, report: ParseReport) -> None:
    name = _local(root.tag) or str(root.tag)
    if name != "export":
        raise ParseError(path, f"root element is <{name}>, expected <export>", line=root.sourceline)
    generated = _get(root, "generationDate")
    report.publisher_date = parse_date(generated)


def parse(path: Path, report: ParseReport) -> Iterator[Entity]:
    report.files = [path]
    ctx = _Context(path, report)
    if path.stat().st_size == 0:
        raise ParseError(path, "file is empty", line=1)
    entities: dict[str, Entity] = {}
    first_line: dict[str, int] = {}
    root_read = False
    try:
        # Only sanctionEntity ends reach Python: a start/end event for each of the ~300,000
        # elements would cost more than the parsing itself.
        context = etree.iterparse(
            str(path),
            events=("end",),
            tag="{*}sanctionEntity",
            resolve_entities=False,
            no_network=True,
        )
        for _event, el in context:
            if not root_read:
                _read_root(path, el.getroottree().getroot(), report)
                root_read = True
            report.records += 1
            line = el.sourceline
            entity = parse_entity(el, ctx)
            el.clear(keep_tail=True)
            parent = el.getparent()
            while el.getprevious() is not None:
                del parent[0]
            if entity is None:
                continue
            known = entities.get(entity.source_id)
            if known is None:
                entities[entity.source_id] = entity
                first_line[entity.source_id] = line
            else:
                if known.schema is not entity.schema:
                    report.warn(
                        f"{path.name}, line {line}: logicalId={entity.source_id} is a "
                        f"{entity.schema} here but a {known.schema} at line "
                        f"{first_line[entity.source_id]}; kept {known.schema}"
                    )
                _merge(known, entity)
                programmes = ", ".join(p for listing in known.listings for p in listing.programs)
                report.warn(
                    f"{path.name}, line {line}: sanctionEntity logicalId={entity.source_id} "
                    f"repeats the one at line {first_line[entity.source_id]}; merged "
                    f"(programmes {programmes})"
                )
    except etree.XMLSyntaxError as exc:
        raise xml_error(path, exc) from None
    if not root_read:
        # A well-formed file without a single sanctionEntity: still check what it is.
        _read_root(path, context.root, report)
    yield from entities.values()


FORMAT = FormatSpec(
    name="eu-fsf-xml",
    title="EU Financial Sanctions Files XML 1.1 (consolidated list)",
    sniff=sniff,
    parse=parse,
    extensions=(".xml",),
)
