"""OFAC "Enhanced" XML (``SDN_ENHANCED.XML``, ``CONS_ENHANCED.XML``): root ``sanctionsData``.

The newest OFAC format: one self-contained ``entity`` per party, with its lists, programs,
legal authorities, names (each with its translations into other scripts), addresses,
features, identity documents and relationships. Reference values are inlined as text next
to their ids, so only country ISO codes are looked up in the ``referenceValues`` table.

Entities are read one at a time with ``iterparse``; they are yielded after the last one only
so that a relationship can say whether its target is in the same file (and link its id).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from embargo.model import Entity, NameKind, Relation, Schema
from embargo.model.measures import ofac_list_code
from embargo.model.values import clean, country_code, parse_date
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
    family_name_first,
    parts_name,
    period_birth_date,
    period_text,
    read_root,
    relation_kind,
    source_for,
)

__all__ = ["CONS", "FORMAT", "SDN", "parse", "sniff"]

_ROOT = re.compile(r"<(?:[\w.-]+:)?sanctionsData[\s>/]")
_TYPES = {
    "individual": Schema.PERSON,
    "entity": Schema.ORGANIZATION,
    "vessel": Schema.VESSEL,
    "aircraft": Schema.AIRCRAFT,
}
_ALIAS_KINDS = {"a.k.a.": NameKind.ALIAS, "f.k.a.": NameKind.FORMER, "n.k.a.": NameKind.ALIAS}
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def sniff(path: Path, head: bytes) -> str | None:
    if not _ROOT.search(text_head(head)):
        return None
    return source_for(path)


def _iso_point(text: str | None) -> DatePoint | None:
    m = _ISO_DATE.match((text or "").strip())
    if m is None:
        return None
    point = int(m.group(1)), int(m.group(2)), int(m.group(3))
    return point if 1 <= point[1] <= 12 and 1 <= point[2] <= 31 else None


def split_programs(lists: list[ListEntry], programs: list[str]) -> None:
    """Give each list the programs that put a party on it.

    The Enhanced format states programs per entity, not per list. A program that names a
    non-SDN list (``UKRAINE-EO13662`` for the sectoral list, ``NS-PLC`` for the PLC list)
    goes to that list; the others go to the SDN list, or to every list when none claims them.
    """
    if len(lists) == 1:
        lists[0].programs = list(programs)
        return
    codes = [ofac_list_code(e.list_name, (), sdn=False) for e in lists]
    claimed: set[str] = set()
    for entry, code in zip(lists, codes, strict=True):
        # Only lists with a code of their own claim programs (not the SDN list, nor a list
        # name the mapping does not know).
        if code in ("SDN", "NS-OTHER"):
            continue
        entry.programs = [p for p in programs if ofac_list_code(None, (p,), sdn=False) == code]
        claimed.update(entry.programs)
    rest = [p for p in programs if p not in claimed] or list(programs)
    for entry in lists:
        if not entry.programs:
            entry.programs = list(rest)


@dataclass(slots=True)
class _Link:
    kind: str
    target: str
    target_uid: str | None


class _Reader:
    def __init__(self, path: Path, report: ParseReport, ns: str) -> None:
        self.path = path
        self.report = report
        self.source = report.source
        self.ns = ns
        self.country_iso: dict[str, str] = {}
        self.entities: list[tuple[Entity, list[_Link]]] = []

    def where(self, el: etree._Element, what: str) -> str:
        return f"{self.path.name}, line {el.sourceline}, {what}"

    def raw(self, el: etree._Element, name: str) -> str | None:
        # iterchildren with a tag runs in C; findtext goes through path matching, which is
        # several times slower and this is called for every field of every entity.
        for child in el.iterchildren(self.ns + name):
            text: str | None = child.text
            return text
        return None

    def child(self, el: etree._Element, name: str) -> etree._Element | None:
        for child in el.iterchildren(self.ns + name):
            return child
        return None

    def text(self, el: etree._Element, name: str) -> str | None:
        return clean(self.raw(el, name))

    def flag(self, el: etree._Element, name: str) -> bool:
        return (self.raw(el, name) or "").strip() == "true"

    def items(self, el: etree._Element, list_name: str, item_name: str) -> list[etree._Element]:
        for container in el.iterchildren(self.ns + list_name):
            return list(container.iterchildren(self.ns + item_name))
        return []

    def country(self, el: etree._Element | None) -> str | None:
        """The ISO code of a country reference (``<country refId="...">Russia</country>``)."""
        if el is None:
            return None
        iso = self.country_iso.get(el.get("refId", ""))
        return (country_code(iso) if iso else None) or country_code(el.text)

    def period(self, el: etree._Element | None) -> tuple[DatePoint | None, DatePoint | None, bool]:
        if el is None:
            return None, None, False
        start = _iso_point(self.raw(el, "fromDateBegin")) or _iso_point(
            self.text(el, "fromDateEnd")
        )
        end = _iso_point(self.raw(el, "toDateEnd")) or _iso_point(self.raw(el, "toDateBegin"))
        return start, end, self.flag(el, "isApproximate")

    # -- top-level elements

    def read_data_as_of(self, el: etree._Element) -> None:
        self.report.publisher_date = parse_date(el.text)

    def read_reference_value(self, el: etree._Element) -> None:
        if (self.text(el, "type") or "").upper() != "COUNTRY":
            return
        iso = self.text(el, "isoCode") or self.text(el, "code")
        ref_id = el.get("refId")
        if iso and ref_id:
            self.country_iso[ref_id] = iso

    def read_entity(self, el: etree._Element) -> None:
        self.report.records += 1
        uid = el.get("id")
        where = self.where(el, f"entity id={uid}")
        if not uid:
            self.report.skip(where, "entity without id")
            return
        general = self.child(el, "generalInfo")
        entity_type = (self.text(general, "entityType") if general is not None else None) or ""
        schema = _TYPES.get(entity_type.lower())
        if schema is None:
            self.report.warn(f"{where}: unknown entity type {entity_type!r}, read as LegalEntity")
            schema = Schema.UNKNOWN
        url = SDN_URL.format(uid=uid)
        entity = Entity(
            id=entity_id(self.source, uid),
            schema=schema,
            source=self.source,
            source_id=uid,
            names=[],
            source_url=url,
        )
        self.read_names(entity, el)
        if not entity.names:
            self.report.skip(where, "entity has no name")
            return
        if general is not None:
            remarks = self.text(general, "remarks")
            if remarks:
                entity.remarks.append(remarks)
            title = self.text(general, "title")
            if title:
                (entity.positions if schema is Schema.PERSON else entity.titles).append(title)
        for address in self.items(el, "addresses", "address"):
            self.read_address(entity, address)
        measures: list[tuple[str, str]] = []
        for feature in self.items(el, "features", "feature"):
            self.read_feature(entity, feature, measures)
        for document in self.items(el, "identityDocuments", "identityDocument"):
            self.read_document(entity, document, measures)
        entity.listings = build_listings(self.source, self.list_entries(el), measures, url)
        links: list[_Link] = []
        for rel in self.items(el, "relationships", "relationship"):
            related = self.child(rel, "relatedEntity")
            target = clean(related.text) if related is not None else None
            if related is None or target is None:
                self.report.warn(f"{where}: relationship {rel.get('id')} without a related entity")
                continue
            kind = relation_kind(self.text(rel, "type"))
            links.append(_Link(kind, target, related.get("entityId")))
        self.entities.append((entity, links))

    def list_entries(self, el: etree._Element) -> list[ListEntry]:
        entries = [
            ListEntry(clean(item.text), listed_on=parse_date(item.get("datePublished")))
            for item in self.items(el, "sanctionsLists", "sanctionsList")
        ]
        programs = [
            p
            for p in (
                clean(i.text) for i in self.items(el, "sanctionsPrograms", "sanctionsProgram")
            )
            if p
        ]
        authorities = [
            a
            for a in (clean(i.text) for i in self.items(el, "legalAuthorities", "legalAuthority"))
            if a
        ]
        real = [e for e in entries if (e.list_name or "").lower() != "consolidated list"] or entries
        split_programs(real, programs)
        for entry in real:
            entry.legal_basis = list(dict.fromkeys(authorities))
        return real

    def read_names(self, entity: Entity, el: etree._Element) -> None:
        names = self.items(el, "names", "name")
        names.sort(key=lambda n: not self.flag(n, "isPrimary"))
        for name_el in names:
            is_primary = self.flag(name_el, "isPrimary")
            kind = _ALIAS_KINDS.get((self.text(name_el, "aliasType") or "").lower(), NameKind.ALIAS)
            if self.flag(name_el, "isLowQuality"):
                kind = NameKind.WEAK
            translations = self.items(name_el, "translations", "translation")
            translations.sort(key=lambda t: not self.flag(t, "isPrimary"))
            for position, tr in enumerate(translations):
                script = self.text(tr, "script")
                first, last = (
                    self.text(tr, "formattedFirstName"),
                    self.text(tr, "formattedLastName"),
                )
                full = self.text(tr, "formattedFullName") or last
                if entity.schema is Schema.PERSON and first and last:
                    # OFAC formats "LAST, First"; a screener reads natural order.
                    full = last + first if family_name_first(script) else f"{first} {last}"
                parts = [
                    (self.text(p, "type") or "", self.text(p, "value") or "")
                    for p in self.items(tr, "nameParts", "namePart")
                ]
                parts = [(t, v) for t, v in parts if v]
                name_kind = kind
                if is_primary:
                    name_kind = NameKind.PRIMARY if position == 0 else NameKind.ALIAS
                name = parts_name(
                    parts, name_kind, entity.schema, script=script, full=full, original_script=True
                )
                add_name(entity, name)

    def read_address(self, entity: Entity, el: etree._Element) -> None:
        country_el = self.child(el, "country")
        translations_el = self.child(el, "translations")
        if country_el is None and translations_el is not None:
            country_el = self.child(translations_el, "country")
        code = self.country(country_el)
        country_name = clean(country_el.text) if country_el is not None else None
        translations = self.items(el, "translations", "translation")
        translations.sort(key=lambda t: not self.flag(t, "isPrimary"))
        found = False
        for tr in translations:
            parts: dict[str, list[str]] = {}
            for part in self.items(tr, "addressParts", "addressPart"):
                value = self.text(part, "value")
                if value:
                    parts.setdefault((self.text(part, "type") or "").upper(), []).append(value)
            if not parts:
                continue
            address, _code, _text = address_from_parts(parts, country_name, code)
            if address is not None and address not in entity.addresses:
                entity.addresses.append(address)
                found = True
        if not found:
            address, _code, _text = address_from_parts({}, country_name, code)
            if address is not None and address not in entity.addresses:
                entity.addresses.append(address)

    def read_feature(
        self, entity: Entity, el: etree._Element, measures: list[tuple[str, str]]
    ) -> None:
        label = self.text(el, "type")
        if label is None:
            where = self.where(el, f"feature id={el.get('id')}")
            self.report.warn(f"{where}: feature without type")
            return
        value = self.text(el, "value")
        ref_id = self.text(el, "valueRefId")
        iso = self.country_iso.get(ref_id) if ref_id else None
        country = country_code(iso) if iso else None
        date_el = self.child(el, "valueDate")
        birth_date = None
        if date_el is not None and label.strip().lower() == "birthdate":
            start, end, circa = self.period(date_el)
            birth_date = period_birth_date(start, end, circa=circa, text=value)
        elif date_el is not None and value is None:
            value = period_text(*self.period(date_el))
        apply_feature(entity, label, value, measures, country=country, birth_date=birth_date)

    def read_document(
        self, entity: Entity, el: etree._Element, measures: list[tuple[str, str]]
    ) -> None:
        label = self.text(el, "type") or "Identification"
        number = self.text(el, "documentNumber")
        if number is None:
            where = self.where(el, f"identityDocument id={el.get('id')}")
            self.report.warn(f"{where}: identity document without number")
            return
        notes: list[str] = []
        for tag, word in (("issueDate", "issued"), ("expirationDate", "expires")):
            text = period_text(*self.period(self.child(el, tag)))
            if text:
                notes.append(f"{word} {text}")
        for tag, word in (("issuingAuthority", "issued by"), ("issuingLocation", "issued in")):
            text = self.text(el, tag)
            if text:
                notes.append(f"{word} {text}")
        if (self.raw(el, "isValid") or "").strip() == "false":
            notes.append("not valid")
        comment = self.text(el, "comments")
        if comment:
            notes.append(comment)
        country_el = self.child(el, "issuingCountry")
        country = self.country(country_el) or (
            clean(country_el.text) if country_el is not None else None
        )
        found: list[str] = []
        apply_id(entity, label, number, country, found, note="; ".join(notes) or None)
        measures.extend((label.lower(), m) for m in found)

    def finish(self) -> Iterator[Entity]:
        known = {entity.source_id: entity for entity, _links in self.entities}
        for entity, links in self.entities:
            for link in links:
                target = known.get(link.target_uid or "")
                relation = Relation(
                    kind=link.kind,
                    target=link.target,
                    target_id=target.id if target is not None else None,
                )
                if relation not in entity.relations:
                    entity.relations.append(relation)
            yield entity


def parse(path: Path, report: ParseReport) -> Iterator[Entity]:
    report.files = [path]
    ns = read_root(path, "sanctionsData")
    reader = _Reader(path, report, ns)
    handlers = {
        ns + "dataAsOf": reader.read_data_as_of,
        ns + "referenceValue": reader.read_reference_value,
        ns + "entity": reader.read_entity,
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
    name="ofac-enhanced-xml",
    title="OFAC Enhanced XML (SDN_ENHANCED.XML / CONS_ENHANCED.XML)",
    sniff=sniff,
    parse=parse,
    extensions=(".xml",),
)
