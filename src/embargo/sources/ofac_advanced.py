"""OFAC "Advanced" XML (``SDN_ADVANCED.XML``, ``CONS_ADVANCED.XML``): root ``Sanctions``.

The format is the UN-designed sanctions schema (namespace ``http://www.un.org/sanctions/1.0``)
and is almost entirely numeric ids: every type, country, list and program is a row in one of
the ``ReferenceValueSets`` tables, addresses are shared ``Locations``, identity documents sit in
``IDRegDocuments`` keyed by the identity they belong to, and which list and program a party is
on lives in ``SanctionsEntries``.

The schema fixes the document order: ``DateOfIssue``, ``ReferenceValueSets``, ``Locations``,
``IDRegDocuments``, ``DistinctParties``, ``ProfileRelationships``, ``SanctionsEntries``. Lookups,
locations and documents are therefore known when a party is read, but its listings and links
only arrive after the last party. Parties are kept as entities without listings (the lean form
of what is yielded anyway) and completed once the sanctions entries have been read. Identity
documents and locations that arrive late (a file not in schema order) are still applied.

A few helpers here (dates from periods, feature routing, listings from list entries) are also
used by the Enhanced XML reader, which carries the same facts in a flatter shape.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import msgspec
from lxml import etree

from embargo.errors import ParseError
from embargo.model import Address, BirthDate, Entity, Listing, Name, NameKind, Relation, Schema
from embargo.model.measures import ofac_list_code, ofac_listing
from embargo.model.values import clean, country_code, make_name, parse_birth_date
from embargo.sources.base import FormatSpec, ParseReport, entity_id, text_head, xml_error
from embargo.sources.ofac_common import SDN_URL, apply_id

SDN = "us_ofac_sdn"
CONS = "us_ofac_cons"

_ROOT = re.compile(r"<(?:[\w.-]+:)?Sanctions[\s>/]")
_NS_HINT = "un.org/sanctions/1.0"

DatePoint = tuple[int, int, int]


def source_for(path: Path) -> str:
    """OFAC publishes the same formats for both lists; only the file name tells them apart."""
    return CONS if "cons" in path.name.lower() else SDN


def sniff(path: Path, head: bytes) -> str | None:
    text = text_head(head)
    if _NS_HINT not in text or not _ROOT.search(text):
        return None
    return source_for(path)


# --- helpers shared with the Enhanced XML reader ------------------------------------------


def read_root(path: Path, expected: str) -> str:
    """The root element's namespace as a tag prefix (``{...}`` or empty), checking its name.

    Reading just the root first lets the main pass listen only for the record elements it
    needs, which is what keeps the 120 MB SDN file fast.
    """
    if path.stat().st_size == 0:
        raise ParseError(
            path, f"file is empty, expected an XML document with root <{expected}>", line=1
        )
    parser = etree.XMLPullParser(
        events=("start",), resolve_entities=False, no_network=True, huge_tree=True
    )
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(64 * 1024):
                parser.feed(chunk)
                for _event, el in parser.read_events():
                    if not isinstance(el, etree._Element):
                        continue
                    ns, _, local = str(el.tag).rpartition("}")
                    if local != expected:
                        raise ParseError(
                            path,
                            f"root element is <{local}>, expected <{expected}>",
                            line=_line(el),
                            element=local,
                        )
                    return ns + "}" if ns else ""
            parser.close()
    except etree.XMLSyntaxError as exc:
        err = xml_error(path, exc)
        if not err.line:
            err = ParseError(path, err.reason, line=1)
        raise err from None
    raise ParseError(path, f"no root element, expected <{expected}>", line=1)


def _month_end(year: int, month: int) -> int:
    if 1 <= year <= 9999 and 1 <= month <= 12:
        return calendar.monthrange(year, month)[1]
    return 31


def _point_text(point: DatePoint) -> str:
    return f"{point[0]:04d}-{point[1]:02d}-{point[2]:02d}"


def period_birth_date(
    start: DatePoint | None, end: DatePoint | None, *, circa: bool = False, text: str | None = None
) -> BirthDate | None:
    """A birth date from a publisher's date period (earliest and latest possible day).

    OFAC models "1962" as 1962-01-01 .. 1962-12-31, "Oct 1952" as a whole month and
    "1960 to 1962" as a span of whole years; anything finer than a year that is not a whole
    month or day keeps the years only. ``text`` is the publisher's own wording when it has one.
    """
    if start is None and end is None:
        return parse_birth_date(text) if text else None
    first = start or end
    last = end or start
    assert first is not None and last is not None
    (y1, m1, d1), (y2, m2, d2) = first, last
    if first == last:
        wording = _point_text(first)
    elif y1 == y2 and m1 == m2 and d1 == 1 and d2 == _month_end(y2, m2):
        wording = f"{y1:04d}-{m1:02d}"
    elif y1 == y2:
        wording = f"{y1:04d}"
    else:
        wording = f"{y1:04d} to {y2:04d}"
    if circa:
        wording = "circa " + wording
    bd = parse_birth_date(wording)
    if bd is None:
        return None
    label = clean(text)
    if label and label != bd.text:
        bd = msgspec.structs.replace(bd, text=label)
    return bd


def period_text(start: DatePoint | None, end: DatePoint | None, circa: bool = False) -> str | None:
    """A date period as text at its own precision, for date-valued attributes."""
    bd = period_birth_date(start, end, circa=circa)
    return bd.text if bd else None


_RELATION_KINDS = {
    "owned or controlled by": "owned-by",
    "owns, controls, or operates": "owns",
    "acting for or on behalf of": "acting-for",
    "associate of": "associate-of",
    "linked to": "linked-to",
    "family member of": "family-member",
    "providing support to": "supports",
    "leader or official of": "official-of",
    "principal executive officer": "principal-executive-officer",
    "playing a significant role in": "significant-role-in",
    "property in the interest of": "property-of",
}


def relation_kind(label: str | None, *, former: bool = False) -> str:
    text = (clean(label) or "linked to").lower()
    kind = _RELATION_KINDS.get(text) or re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "linked-to"
    return "former-" + kind if former else kind


_VESSEL_EXTRA = {
    "vessel call sign": "callSign",
    "vessel type": "vesselType",
    "vessel owner": "owner",
    "vessel tonnage": "tonnage",
    "vessel gross registered tonnage": "grossRegisteredTonnage",
}
_MORE_INFO = re.compile(r"^for more information\b", re.I)


@lru_cache(maxsize=1024)
def feature_key(label: str) -> str:
    return re.sub(r"[\s:\-–]+$", "", label.strip().lower())


def _is_measure_label(key: str) -> bool:
    # OFAC adds a new "Executive Order NNNNN information" label with each menu-style program;
    # matching the family keeps new ones out of the identifier list.
    if key.startswith("caatsa section 235"):
        return True
    return key.startswith("executive order") and ("information" in key or "determination" in key)


def _add_code(codes: list[str], code: str | None) -> None:
    if code and code not in codes:
        codes.append(code)


def apply_feature(
    entity: Entity,
    label: str,
    value: str | None,
    measures: list[tuple[str, str]],
    *,
    country: str | None = None,
    birth_date: BirthDate | None = None,
) -> None:
    """Put one OFAC feature (labelled fact about a party) where it belongs on ``entity``.

    ``country`` is an ISO code the publisher resolved itself; ``measures`` collects
    ``(label, text)`` for statements of which measures apply, routed to listings later.
    """
    key = feature_key(label)
    value = clean(value)
    if key == "birthdate":
        bd = birth_date or parse_birth_date(value)
        if bd and bd not in entity.birth_dates:
            entity.birth_dates.append(bd)
        return
    if value is None:
        return
    if key == "place of birth":
        if value not in entity.birth_places:
            entity.birth_places.append(value)
    elif key == "nationality country":
        _add_code(entity.nationalities, country or country_code(value))
    elif key == "citizenship country":
        _add_code(entity.citizenships, country or country_code(value))
    elif key == "vessel flag":
        entity.add_extra("flag", value)
        _add_code(entity.countries, country or country_code(value))
    elif key in _VESSEL_EXTRA:
        entity.add_extra(_VESSEL_EXTRA[key], value)
    elif key == "title":
        target = entity.positions if entity.schema is Schema.PERSON else entity.titles
        if value not in target:
            target.append(value)
    elif _is_measure_label(key):
        if _MORE_INFO.match(value):
            if value not in entity.remarks:
                entity.remarks.append(value)
        else:
            measures.append((key, value))
    else:
        found: list[str] = []
        apply_id(entity, label, value, country, found)
        measures.extend((key, m) for m in found)


@dataclass
class ListEntry:
    """One list a party is on, as the file states it."""

    list_name: str | None
    programs: list[str] = field(default_factory=list)
    listed_on: str | None = None
    legal_basis: list[str] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)


def _is_consolidated(name: str | None) -> bool:
    return (name or "").strip().lower() == "consolidated list"


def _is_sdn(name: str | None) -> bool:
    return (name or "").strip().upper() in ("SDN LIST", "SDN")


def _merge_entries(entries: Iterable[ListEntry]) -> list[ListEntry]:
    merged: dict[str, ListEntry] = {}
    for entry in entries:
        key = (entry.list_name or "").strip().lower()
        have = merged.get(key)
        if have is None:
            merged[key] = ListEntry(
                entry.list_name,
                list(entry.programs),
                entry.listed_on,
                list(entry.legal_basis),
                list(entry.measures),
            )
            continue
        have.programs.extend(p for p in entry.programs if p not in have.programs)
        have.legal_basis.extend(b for b in entry.legal_basis if b not in have.legal_basis)
        have.measures.extend(m for m in entry.measures if m not in have.measures)
        if entry.listed_on and (have.listed_on is None or entry.listed_on < have.listed_on):
            have.listed_on = entry.listed_on
    return list(merged.values())


def build_listings(
    source: str,
    entries: Sequence[ListEntry],
    measures: Sequence[tuple[str, str]],
    url: str | None,
) -> list[Listing]:
    """One listing per list the party is on.

    OFAC also files every non-SDN party under a "Consolidated List" entry that only repeats
    its real list, so that entry counts only when it is the sole one. Measures stated as
    features are routed to the listing they explain: directive information to the sectoral
    list, the rest (CAATSA section 235 and other menus) to menu-based lists, falling back to
    the non-SDN listings and then to all of them.
    """
    real = [e for e in entries if not _is_consolidated(e.list_name)]
    chosen = _merge_entries(real or entries)
    if not chosen:
        # No entry at all: the party is on the list the file itself publishes.
        chosen = [ListEntry("SDN List" if source == SDN else None)]
    codes = [ofac_list_code(e.list_name, e.programs, sdn=_is_sdn(e.list_name)) for e in chosen]
    extra: list[list[str]] = [list(e.measures) for e in chosen]
    for key, text in measures:
        wanted = "SSI" if "directive" in key else "NS-MBS"
        targets = [i for i, c in enumerate(codes) if c == wanted]
        targets = (
            targets or [i for i, c in enumerate(codes) if c != "SDN"] or list(range(len(codes)))
        )
        for i in targets:
            if text not in extra[i]:
                extra[i].append(text)
    return [
        ofac_listing(
            source,
            entry.programs,
            sdn=code == "SDN" and _is_sdn(entry.list_name),
            list_name=entry.list_name,
            measures=extra[i],
            listed_on=entry.listed_on,
            legal_basis="; ".join(entry.legal_basis) or None,
            url=url,
        )
        for i, (entry, code) in enumerate(zip(chosen, codes, strict=True))
    ]


_PART_SLOTS = {
    "first name": "first",
    "given name": "first",
    "middle name": "middle",
    "last name": "last",
    "surname": "last",
    "family name": "last",
    "patronymic": "patronymic",
    "matronymic": "matronymic",
    "maiden name": "maiden",
}
_STREET_PARTS = ("ADDRESS1", "ADDRESS2", "ADDRESS3")
_KNOWN_PARTS = frozenset((*_STREET_PARTS, "CITY", "STATE/PROVINCE", "REGION", "POSTAL CODE"))
_FAMILY_FIRST_SCRIPTS = ("chinese", "japanese", "korean", "hangul", "han")


def family_name_first(script: str | None) -> bool:
    return bool(script) and any(s in (script or "").lower() for s in _FAMILY_FIRST_SCRIPTS)


def parts_name(
    parts: Sequence[tuple[str, str]],
    kind: NameKind,
    schema: Schema,
    *,
    script: str | None = None,
    full: str | None = None,
) -> Name | None:
    """A name from typed parts (``("Last Name", "PUTIN")``...), persons in natural order."""
    slots: dict[str, list[str]] = {}
    for part_type, value in parts:
        slot = _PART_SLOTS.get(part_type.strip().lower(), "other")
        slots.setdefault(slot, []).append(value)

    def joined(slot: str) -> str | None:
        # Parts arrive cleaned; make_name cleans the joined result once more.
        return " ".join(slots[slot]) if slot in slots else None

    first, middle, last = joined("first"), joined("middle"), joined("last")
    patronymic = joined("patronymic")
    if full is None:
        if schema is Schema.PERSON and (first or last or patronymic):
            if family_name_first(script):
                order = [last, first, middle]
                sep = ""
            else:
                order = [first, middle, patronymic, last]
                sep = " "
            order += [joined("matronymic"), joined("maiden"), joined("other")]
            full = sep.join(p for p in order if p)
        else:
            full = " ".join(v for _, v in parts)
    return make_name(full, kind, first=first, middle=middle, last=last, patronymic=patronymic)


def add_name(entity: Entity, name: Name | None) -> None:
    if name is not None and all(n.full != name.full for n in entity.names):
        entity.names.append(name)


def address_from_parts(
    parts: dict[str, list[str]], country_name: str | None, code: str | None
) -> tuple[Address | None, str | None, str | None]:
    """An address from OFAC location parts keyed by part type (``ADDRESS1``, ``CITY``...).

    Returns the address (None when nothing names a place), its country code, and the place
    as text. Untyped parts alone usually hold a country name (OFAC's country-valued features
    point to such locations), so they are read as the country when they name one.
    """
    street = ", ".join(v for k in _STREET_PARTS for v in parts.get(k, ())) or None
    city = ", ".join(parts.get("CITY", ())) or None
    region = ", ".join(parts.get("STATE/PROVINCE", []) + parts.get("REGION", [])) or None
    postal = ", ".join(parts.get("POSTAL CODE", ())) or None
    other = ", ".join(v for k, vs in parts.items() if k not in _KNOWN_PARTS for v in vs) or None
    if other and not (street or city or region or postal or country_name):
        other_code = country_code(other)
        if other_code is not None and code in (None, other_code):
            country_name, code, other = other, other_code, None
    if other:
        street = ", ".join(p for p in (street, other) if p)
    full = ", ".join(p for p in (street, city, region, postal, country_name) if p)
    if not full:
        return None, code, None
    address = Address(
        full=full, street=street, city=city, region=region, postal_code=postal, country=code
    )
    return address, code, full


# --- the Advanced XML reader ---------------------------------------------------------------

_SCHEMAS = {"individual": Schema.PERSON, "entity": Schema.ORGANIZATION}
_SUBTYPE_SCHEMAS = {"vessel": Schema.VESSEL, "aircraft": Schema.AIRCRAFT}
_ALIAS_KINDS = {"a.k.a.": NameKind.ALIAS, "f.k.a.": NameKind.FORMER, "n.k.a.": NameKind.ALIAS}


def _child(el: etree._Element, tag: str) -> etree._Element | None:
    # iterchildren with a tag runs in C; find/findtext go through path matching, several
    # times slower, and these run for every field of every record.
    for child in el.iterchildren(tag):
        return child
    return None


def _child_text(el: etree._Element, tag: str) -> str | None:
    for child in el.iterchildren(tag):
        text: str | None = child.text
        return text
    return None


@dataclass(slots=True)
class _Location:
    address: Address | None  # None when the location names no place at all
    country: str | None  # ISO code
    text: str | None  # the place as text (a country name for country-valued features)


@dataclass(slots=True)
class _Party:
    entity: Entity
    where: str
    measures: list[tuple[str, str]]
    late_locations: list[tuple[str, str]]  # (feature label, location id) not yet read


@dataclass(slots=True)
class _Relationship:
    from_id: str
    to_id: str
    kind: str
    where: str


class _Reader:
    def __init__(self, path: Path, report: ParseReport, ns: str) -> None:
        self.path = path
        self.report = report
        self.source = report.source
        self.ns = ns
        self.refs: dict[str, dict[str, str]] = {}
        self.country_iso: dict[str, str] = {}
        self.subtype_party: dict[str, str] = {}
        self.locations: dict[str, _Location] = {}
        self.documents: dict[str, list[tuple[str, str, str | None, str | None]]] = {}
        self.parties: dict[str, _Party] = {}
        self.identity_party: dict[str, str] = {}
        self.entries: dict[str, list[ListEntry]] = {}
        self.relationships: list[_Relationship] = []

    # -- small lookups

    def ref(self, table: str, ref_id: str | None) -> str | None:
        if ref_id is None:
            return None
        return self.refs.get(table, {}).get(ref_id)

    def where(self, el: etree._Element, what: str) -> str:
        return f"{self.path.name}, line {el.sourceline}, {what}"

    def _date(self, el: etree._Element | None) -> DatePoint | None:
        if el is None:
            return None
        ns = self.ns
        year = _child_text(el, ns + "Year")
        if not year or not year.strip().isdigit():
            return None
        month = (_child_text(el, ns + "Month") or "").strip()
        day = (_child_text(el, ns + "Day") or "").strip()
        y = int(year)
        m = int(month) if month.isdigit() and 1 <= int(month) <= 12 else 1
        d = int(day) if day.isdigit() and 1 <= int(day) <= _month_end(y, m) else 1
        return (y, m, d)

    def _period(self, el: etree._Element) -> tuple[DatePoint | None, DatePoint | None, bool]:
        ns = self.ns
        start_el = _child(el, ns + "Start")
        end_el = _child(el, ns + "End")
        start = end = None
        circa = False
        if start_el is not None:
            start = self._date(_child(start_el, ns + "From")) or self._date(
                _child(start_el, ns + "To")
            )
            circa = start_el.get("Approximate") == "true"
        if end_el is not None:
            end = self._date(_child(end_el, ns + "To")) or self._date(_child(end_el, ns + "From"))
            circa = circa or end_el.get("Approximate") == "true"
        return start, end, circa

    # -- top-level sections

    def read_date_of_issue(self, el: etree._Element) -> None:
        point = self._date(el)
        if point is not None:
            self.report.publisher_date = _point_text(point)

    def read_reference_sets(self, el: etree._Element) -> None:
        for table in el:
            if not isinstance(table.tag, str):
                continue
            for item in table:
                if not isinstance(item.tag, str):
                    continue
                name = item.tag.rpartition("}")[2]
                ref_id = item.get("ID")
                if ref_id is None:
                    continue
                text = clean(item.text) or clean(item.get("Description"))
                if text is not None:
                    self.refs.setdefault(name, {})[ref_id] = text
                if name == "Country" and item.get("ISO2"):
                    self.country_iso[ref_id] = item.get("ISO2", "")
                elif name == "PartySubType" and item.get("PartyTypeID"):
                    self.subtype_party[ref_id] = item.get("PartyTypeID", "")

    def country(self, country_id: str | None) -> tuple[str | None, str | None]:
        """(name, ISO code) of a Country reference."""
        if country_id is None:
            return None, None
        name = self.ref("Country", country_id)
        iso = self.country_iso.get(country_id)
        code = country_code(iso) if iso else None
        return name, code or country_code(name)

    def read_location(self, el: etree._Element) -> None:
        ns = self.ns
        loc_id = el.get("ID")
        if loc_id is None:
            return
        parts: dict[str, list[str]] = {}
        for part in el.iterchildren(ns + "LocationPart"):
            part_type = (self.ref("LocPartType", part.get("LocPartTypeID")) or "").upper()
            values = list(part.iterchildren(ns + "LocationPartValue"))
            # A part may carry several spellings; the primary one is the address.
            values.sort(key=lambda v: v.get("Primary") != "true")
            for value_el in values[:1]:
                value = clean(_child_text(value_el, ns + "Value"))
                if value:
                    parts.setdefault(part_type, []).append(value)
        country_name = code = None
        country_el = _child(el, ns + "LocationCountry")
        if country_el is not None:
            country_name, code = self.country(country_el.get("CountryID"))
        else:
            area = _child(el, ns + "LocationAreaCode")
            if area is not None:
                area_name = self.ref("AreaCode", area.get("AreaCodeID"))
                code = country_code(area_name)
        address, code, text = address_from_parts(parts, country_name, code)
        self.locations[loc_id] = _Location(address, code, text)

    def read_document(self, el: etree._Element) -> None:
        ns = self.ns
        identity = el.get("IdentityID")
        label = self.ref("IDRegDocType", el.get("IDRegDocTypeID")) or "Identification"
        number = clean(_child_text(el, ns + "IDRegistrationNo"))
        if identity is None or number is None:
            self.report.skip(
                self.where(el, f"IDRegDocument ID={el.get('ID')}"),
                "identity document without identity or number",
            )
            return
        country_name, code = self.country(el.get("IssuedBy-CountryID"))
        notes: list[str] = []
        for date_el in el.iterchildren(ns + "DocumentDate"):
            period = _child(date_el, ns + "DatePeriod")
            if period is None:
                continue
            text = period_text(*self._period(period))
            date_type = (
                self.ref("IDRegDocDateType", date_el.get("IDRegDocDateTypeID")) or ""
            ).lower()
            if text:
                word = "expires" if "expir" in date_type else "issued"
                notes.append(f"{word} {text}")
        authority = clean(_child_text(el, ns + "IssuingAuthority"))
        if authority:
            notes.append(f"issued by {authority}")
        validity = self.ref("Validity", el.get("ValidityID"))
        if validity and validity.lower() != "valid":
            notes.append(validity.lower())
        comment = clean(_child_text(el, ns + "Comment"))
        if comment:
            notes.append(comment)
        doc = (label, number, code or country_name, "; ".join(notes) or None)
        party_id = self.identity_party.get(identity)
        if party_id is not None:
            party = self.parties[party_id]
            self._apply_document(party, doc)
        else:
            self.documents.setdefault(identity, []).append(doc)

    def _apply_document(self, party: _Party, doc: tuple[str, str, str | None, str | None]) -> None:
        label, number, country, note = doc
        found: list[str] = []
        apply_id(party.entity, label, number, country, found, note=note)
        party.measures.extend((label.lower(), m) for m in found)

    # -- parties

    def read_party(self, el: etree._Element) -> None:
        ns = self.ns
        fixed_ref = el.get("FixedRef")
        self.report.records += 1
        profiles = list(el.iterchildren(ns + "Profile"))
        if not profiles:
            self.report.skip(
                self.where(el, f"DistinctParty FixedRef={fixed_ref}"), "party without a profile"
            )
            return
        remarks = [c for c in (clean(c.text) for c in el.iterchildren(ns + "Comment")) if c]
        for profile in profiles:
            self.read_profile(profile, list(remarks))

    def _schema(self, profile: etree._Element) -> Schema:
        subtype_id = profile.get("PartySubTypeID")
        subtype = (self.ref("PartySubType", subtype_id) or "").lower()
        if subtype in _SUBTYPE_SCHEMAS:
            return _SUBTYPE_SCHEMAS[subtype]
        party_type = (self.ref("PartyType", self.subtype_party.get(subtype_id or "")) or "").lower()
        return _SCHEMAS.get(party_type, Schema.UNKNOWN)

    def read_profile(self, profile: etree._Element, remarks: list[str]) -> None:
        ns = self.ns
        profile_id = profile.get("ID")
        where = self.where(profile, f"Profile ID={profile_id}")
        if profile_id is None:
            self.report.skip(where, "profile without ID")
            return
        schema = self._schema(profile)
        if schema is Schema.UNKNOWN:
            self.report.warn(f"{where}: unknown party type, read as LegalEntity")
        url = SDN_URL.format(uid=profile_id)
        entity = Entity(
            id=entity_id(self.source, profile_id),
            schema=schema,
            source=self.source,
            source_id=profile_id,
            names=[],
            source_url=url,
        )
        identities = list(profile.iterchildren(ns + "Identity"))
        identities.sort(key=lambda i: i.get("Primary") != "true")
        for index, identity in enumerate(identities):
            self.read_names(entity, identity, primary_identity=index == 0)
        if not entity.names:
            self.report.skip(where, "party has no name")
            return
        for comment in profile.iterchildren(ns + "Comment"):
            text = clean(comment.text)
            if text:
                remarks.append(text)
        for text in remarks:
            if text not in entity.remarks:
                entity.remarks.append(text)
        party = _Party(entity, where, [], [])
        for feature in profile.iterchildren(ns + "Feature"):
            self.read_feature(party, feature)
        self.parties[profile_id] = party
        for identity in identities:
            identity_id = identity.get("ID")
            if identity_id is None:
                continue
            self.identity_party[identity_id] = profile_id
            for doc in self.documents.pop(identity_id, ()):
                self._apply_document(party, doc)

    def read_names(
        self, entity: Entity, identity: etree._Element, *, primary_identity: bool
    ) -> None:
        ns = self.ns
        groups: dict[str, str] = {}
        for group in identity.iter(ns + "NamePartGroup"):
            part_type = self.ref("NamePartType", group.get("NamePartTypeID"))
            if group.get("ID") and part_type:
                groups[group.get("ID", "")] = part_type
        aliases = list(identity.iterchildren(ns + "Alias"))
        aliases.sort(key=lambda a: a.get("Primary") != "true")
        for alias in aliases:
            alias_type = (self.ref("AliasType", alias.get("AliasTypeID")) or "").lower()
            is_primary = primary_identity and alias.get("Primary") == "true"
            kind = _ALIAS_KINDS.get(alias_type, NameKind.ALIAS)
            if alias.get("LowQuality") == "true":
                kind = NameKind.WEAK
            # The "Primary Latin" spelling first: it is the primary name, the others are the
            # same name in the party's own script.
            documented = sorted(
                alias.iterchildren(ns + "DocumentedName"),
                key=lambda d: not self._primary_latin(d.get("DocNameStatusID")),
            )
            for position, doc_name in enumerate(documented):
                parts: list[tuple[str, str]] = []
                script = None
                for value_el in doc_name.iter(ns + "NamePartValue"):
                    value = clean(value_el.text)
                    if value is None:
                        continue
                    parts.append((groups.get(value_el.get("NamePartGroupID", ""), ""), value))
                    script = script or self.ref("Script", value_el.get("ScriptID"))
                if not parts:
                    continue
                name_kind = kind
                if is_primary:
                    name_kind = NameKind.PRIMARY if position == 0 else NameKind.ALIAS
                add_name(entity, parts_name(parts, name_kind, entity.schema, script=script))

    def _primary_latin(self, status_id: str | None) -> bool:
        return (self.ref("DocNameStatus", status_id) or "").lower().startswith("primary latin")

    def read_feature(self, party: _Party, feature: etree._Element) -> None:
        ns = self.ns
        label = self.ref("FeatureType", feature.get("FeatureTypeID"))
        if label is None:
            self.report.warn(
                f"{party.where}: feature of unknown type {feature.get('FeatureTypeID')}"
            )
            return
        key = feature_key(label)
        entity = party.entity
        for version in feature.iterchildren(ns + "FeatureVersion"):
            values: list[str] = []
            for period in version.iterchildren(ns + "DatePeriod"):
                start, end, circa = self._period(period)
                if key == "birthdate":
                    birth_date = period_birth_date(start, end, circa=circa)
                    apply_feature(entity, label, None, party.measures, birth_date=birth_date)
                else:
                    text = period_text(start, end, circa)
                    if text:
                        values.append(text)
            for detail in version.iterchildren(ns + "VersionDetail"):
                text = clean(detail.text) or self.ref(
                    "DetailReference", detail.get("DetailReferenceID")
                )
                if text:
                    values.append(text)
            for value in values:
                apply_feature(entity, label, value, party.measures)
            for loc_ref in version.iterchildren(ns + "VersionLocation"):
                loc_id = loc_ref.get("LocationID", "")
                location = self.locations.get(loc_id)
                if location is None:
                    party.late_locations.append((label, loc_id))
                else:
                    self._apply_location(party, label, location)

    def _apply_location(self, party: _Party, label: str, location: _Location) -> None:
        key = feature_key(label)
        entity = party.entity
        if key in ("location", "address"):
            if location.address is not None and location.address not in entity.addresses:
                entity.addresses.append(location.address)
            return
        apply_feature(entity, label, location.text, party.measures, country=location.country)

    # -- after the parties

    def read_relationship(self, el: etree._Element) -> None:
        from_id, to_id = el.get("From-ProfileID"), el.get("To-ProfileID")
        where = self.where(el, f"ProfileRelationship ID={el.get('ID')}")
        if from_id is None or to_id is None:
            self.report.skip(where, "relationship without both profiles")
            return
        label = self.ref("RelationType", el.get("RelationTypeID"))
        kind = relation_kind(label, former=el.get("Former") == "true")
        self.relationships.append(_Relationship(from_id, to_id, kind, where))

    def read_entry(self, el: etree._Element) -> None:
        ns = self.ns
        profile_id = el.get("ProfileID")
        where = self.where(el, f"SanctionsEntry ID={el.get('ID')}")
        if profile_id is None:
            self.report.skip(where, "sanctions entry without profile")
            return
        list_id = el.get("ListID")
        list_name = self.ref("List", list_id)
        if list_id is not None and list_name is None:
            self.report.warn(f"{where}: unknown list id {list_id}")
        entry = ListEntry(list_name)
        dates: list[str] = []
        for event in el.iterchildren(ns + "EntryEvent"):
            point = self._date(_child(event, ns + "Date"))
            if point is not None:
                dates.append(_point_text(point))
            basis = self.ref("LegalBasis", event.get("LegalBasisID"))
            if basis and basis.lower() != "unknown" and basis not in entry.legal_basis:
                entry.legal_basis.append(basis)
        entry.listed_on = min(dates) if dates else None
        for measure in el.iterchildren(ns + "SanctionsMeasure"):
            measure_type = (self.ref("SanctionsType", measure.get("SanctionsTypeID")) or "").lower()
            comment = clean(_child_text(measure, ns + "Comment"))
            if not comment:
                continue
            target = entry.programs if measure_type == "program" else entry.measures
            if comment not in target:
                target.append(comment)
        self.entries.setdefault(profile_id, []).append(entry)

    def finish(self) -> Iterator[Entity]:
        for profile_id in self.entries:
            if profile_id not in self.parties:
                self.report.warn(
                    f"{self.path.name}: sanctions entry for profile {profile_id}, which the file "
                    "does not hold"
                )
        for rel in self.relationships:
            party = self.parties.get(rel.from_id)
            if party is None:
                self.report.warn(f"{rel.where}: from-profile {rel.from_id} is not in the file")
                continue
            target = self.parties.get(rel.to_id)
            if target is None:
                party.entity.relations.append(
                    Relation(kind=rel.kind, target=f"OFAC entry {rel.to_id}")
                )
                self.report.warn(f"{rel.where}: to-profile {rel.to_id} is not in the file")
                continue
            relation = Relation(
                kind=rel.kind, target=target.entity.caption, target_id=target.entity.id
            )
            if relation not in party.entity.relations:
                party.entity.relations.append(relation)
        for identity, docs in self.documents.items():
            self.report.warn(
                f"{self.path.name}: {len(docs)} identity document(s) for identity {identity}, "
                "which no party in the file has"
            )
        for profile_id, party in self.parties.items():
            for label, loc_id in party.late_locations:
                location = self.locations.get(loc_id)
                if location is None:
                    self.report.warn(f"{party.where}: location {loc_id} is not in the file")
                else:
                    self._apply_location(party, label, location)
            entries = self.entries.get(profile_id, [])
            if not entries:
                self.report.warn(f"{party.where}: no sanctions entry; listed under the file's list")
            entity = party.entity
            entity.listings = build_listings(
                self.source, entries, party.measures, entity.source_url
            )
            yield entity


def parse(path: Path, report: ParseReport) -> Iterator[Entity]:
    report.files = [path]
    ns = read_root(path, "Sanctions")
    reader = _Reader(path, report, ns)
    handlers = {
        ns + "DateOfIssue": reader.read_date_of_issue,
        ns + "ReferenceValueSets": reader.read_reference_sets,
        ns + "Location": reader.read_location,
        ns + "IDRegDocument": reader.read_document,
        ns + "DistinctParty": reader.read_party,
        ns + "ProfileRelationship": reader.read_relationship,
        ns + "SanctionsEntry": reader.read_entry,
    }
    try:
        context = etree.iterparse(
            str(path),
            events=("end",),
            tag=list(handlers),
            huge_tree=True,
            resolve_entities=False,
            no_network=True,
        )
        for _event, el in context:
            handlers[el.tag](el)
            el.clear(keep_tail=True)
            parent = el.getparent()
            if parent is not None:
                while el.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        raise xml_error(path, exc) from None
    yield from reader.finish()


FORMAT = FormatSpec(
    name="ofac-advanced-xml",
    title="OFAC Advanced XML (SDN_ADVANCED.XML / CONS_ADVANCED.XML)",
    sniff=sniff,
    parse=parse,
    extensions=(".xml",),
)


def _line(el: etree._Element) -> int | None:
    line = el.sourceline
    return line if isinstance(line, int) else None
