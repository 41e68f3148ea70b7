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

The helpers this reader shares with the Enhanced XML reader, which carries the same facts in
a flatter shape (dates from periods, feature routing, listings from list entries, names from
typed parts), are in ``ofac_common``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from embargo.model import Address, Entity, NameKind, Relation, Schema
from embargo.model.values import clean, country_code
from embargo.sources.base import FormatSpec, ParseReport, entity_id, text_head, xml_error
from embargo.sources.ofac_common import (
    CONS,
    SDN,
    SDN_URL,
    DatePoint,
    ListEntry,
    add_name,
    address_from_parts,
    apply_feature,
    apply_id,
    build_listings,
    feature_key,
    month_end,
    parts_name,
    period_birth_date,
    period_text,
    point_text,
    read_root,
    relation_kind,
    source_for,
)

__all__ = ["CONS", "FORMAT", "SDN", "parse", "sniff"]

_ROOT = re.compile(r"<(?:[\w.-]+:)?Sanctions[\s>/]")
_NS_HINT = "un.org/sanctions/1.0"


def sniff(path: Path, head: bytes) -> str | None:
    text = text_head(head)
    if _NS_HINT not in text or not _ROOT.search(text):
        return None
    return source_for(path)


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
        d = int(day) if day.isdigit() and 1 <= int(day) <= month_end(y, m) else 1
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
            self.report.publisher_date = point_text(point)

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
                add_name(
                    entity,
                    parts_name(
                        parts, name_kind, entity.schema, script=script, original_script=True
                    ),
                )

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
                dates.append(point_text(point))
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
