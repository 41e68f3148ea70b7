"""OFAC classic XML (``SDN.XML``, ``CONSOLIDATED.XML``): root ``sdnList``, one ``sdnEntry`` each.

Both lists share one schema; older files use the ``http://tempuri.org/sdnList.xsd`` namespace,
newer ones the Sanctions List Service namespace, so elements are matched on local names.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from embargo.errors import ParseError
from embargo.model import Address, Entity, Name, NameKind, Relation, Schema
from embargo.model.measures import ofac_listing
from embargo.model.values import (
    clean,
    country_code,
    make_name,
    mark_original_scripts,
    parse_birth_date,
    parse_date,
)
from embargo.sources.base import FormatSpec, ParseReport, entity_id, text_head, xml_error
from embargo.sources.ofac_common import CONS, SDN, SDN_URL, apply_id, linked_to

_TYPES = {
    "individual": Schema.PERSON,
    "entity": Schema.ORGANIZATION,
    "vessel": Schema.VESSEL,
    "aircraft": Schema.AIRCRAFT,
}
_AKA_KINDS = {"a.k.a.": NameKind.ALIAS, "f.k.a.": NameKind.FORMER, "n.k.a.": NameKind.ALIAS}


def sniff(path: Path, head: bytes) -> str | None:
    text = text_head(head)
    if "<sdnList" not in text:
        return None
    return CONS if "cons" in path.name.lower() else SDN


def _local(el: etree._Element) -> str:
    return str(el.tag).rpartition("}")[2]


class _Node:
    """An element's children indexed by local name, built in one pass.

    Entries are read field by field; indexing once avoids rescanning every child (and
    re-splitting namespaced tags) for each field, which dominated parse time.
    """

    __slots__ = ("kids",)

    def __init__(self, el: etree._Element) -> None:
        kids: dict[str, list[etree._Element]] = {}
        for child in el:
            tag = child.tag
            if isinstance(tag, str):
                kids.setdefault(tag.rpartition("}")[2], []).append(child)
        self.kids = kids

    def text(self, name: str) -> str | None:
        found = self.kids.get(name)
        return clean(found[0].text) if found else None

    def items(self, list_name: str) -> list[_Node]:
        out: list[_Node] = []
        for lst in self.kids.get(list_name, ()):
            out.extend(_Node(item) for item in lst if isinstance(item.tag, str))
        return out

    def children(self, name: str) -> list[_Node]:
        return [_Node(c) for c in self.kids.get(name, ())]


def _person_name(
    first: str | None, last: str | None, kind: NameKind, schema: Schema
) -> Name | None:
    if schema is Schema.PERSON and first and last:
        # Publishers write "LAST, First"; a screener reads "First LAST".
        return make_name(f"{first} {last}", kind, first=first, last=last)
    return make_name(" ".join(p for p in (first, last) if p), kind, first=first, last=last)


def parse_entry(el: etree._Element, source: str, report: ParseReport) -> Entity | None:
    node = _Node(el)
    uid = node.text("uid")
    line = el.sourceline
    where = f"{report.files[0].name if report.files else ''}, line {line}, sdnEntry"
    if uid is None:
        report.skip(where, "sdnEntry without uid")
        return None
    sdn_type = (node.text("sdnType") or "entity").lower()
    schema = _TYPES.get(sdn_type)
    if schema is None:
        report.warn(f"{where} uid={uid}: unknown sdnType {sdn_type!r}, read as LegalEntity")
        schema = Schema.UNKNOWN
    first, last = node.text("firstName"), node.text("lastName")
    primary = _person_name(first, last, NameKind.PRIMARY, schema)
    if primary is None:
        report.skip(f"{where} uid={uid}", "entry has no name")
        return None
    entity = Entity(
        id=entity_id(source, uid),
        schema=schema,
        source=source,
        source_id=uid,
        names=[primary],
        source_url=SDN_URL.format(uid=uid),
    )
    title = node.text("title")
    if title:
        if schema is Schema.PERSON:
            entity.positions.append(title)
        else:
            entity.titles.append(title)
    for aka in node.items("akaList"):
        kind = _AKA_KINDS.get((aka.text("type") or "a.k.a.").lower(), NameKind.ALIAS)
        if (aka.text("category") or "strong").lower() == "weak":
            kind = NameKind.WEAK
        name = _person_name(aka.text("firstName"), aka.text("lastName"), kind, schema)
        if name is not None and name not in entity.names:
            entity.names.append(name)
    measures: list[str] = []
    for item in node.items("idList"):
        apply_id(
            entity,
            item.text("idType"),
            item.text("idNumber"),
            item.text("idCountry"),
            measures,
            note=" ".join(
                f"{k} {v}"
                for k, v in (
                    ("issued", item.text("issueDate")),
                    ("expires", item.text("expirationDate")),
                )
                if v
            )
            or None,
        )
    for item in node.items("addressList"):
        parts = [item.text(f) for f in ("address1", "address2", "address3")]
        street = ", ".join(p for p in parts if p) or None
        city, region = item.text("city"), item.text("stateOrProvince")
        postal, country = item.text("postalCode"), item.text("country")
        full = ", ".join(p for p in (street, city, region, postal, country) if p)
        if full:
            entity.addresses.append(
                Address(
                    full=full,
                    street=street,
                    city=city,
                    region=region,
                    postal_code=postal,
                    country=country_code(country),
                )
            )
    for item in node.items("nationalityList"):
        code = country_code(item.text("country"))
        if code and code not in entity.nationalities:
            entity.nationalities.append(code)
    for item in node.items("citizenshipList"):
        code = country_code(item.text("country"))
        if code and code not in entity.citizenships:
            entity.citizenships.append(code)
    for item in node.items("dateOfBirthList"):
        bd = parse_birth_date(item.text("dateOfBirth"))
        if bd and bd not in entity.birth_dates:
            entity.birth_dates.append(bd)
    for item in node.items("placeOfBirthList"):
        place = item.text("placeOfBirth")
        if place and place not in entity.birth_places:
            entity.birth_places.append(place)
    for vessel in node.children("vesselInfo"):
        for tag, key in (
            ("callSign", "callSign"),
            ("vesselType", "vesselType"),
            ("vesselFlag", "flag"),
            ("vesselOwner", "owner"),
            ("tonnage", "tonnage"),
            ("grossRegisteredTonnage", "grossRegisteredTonnage"),
        ):
            entity.add_extra(key, vessel.text(tag))
        flag = country_code(vessel.text("vesselFlag"))
        if flag and flag not in entity.countries:
            entity.countries.append(flag)
    remarks = node.text("remarks")
    if remarks:
        entity.remarks.append(remarks)
        for target in linked_to(remarks):
            entity.relations.append(Relation(kind="linked-to", target=target))
    programs = [clean(p.text) or "" for lst in node.kids.get("programList", ()) for p in lst]
    entity.listings.append(ofac_listing(source, programs, sdn=source == SDN, measures=measures))
    mark_original_scripts(entity)
    return entity


def parse(path: Path, report: ParseReport) -> Iterator[Entity]:
    report.files = [path]
    source = report.source
    checked_root = False
    try:
        context = etree.iterparse(
            str(path),
            events=("end",),
            tag=("{*}sdnEntry", "{*}publshInformation"),
            huge_tree=True,
            resolve_entities=False,
            no_network=True,
        )
        for _event, el in context:
            if not checked_root:
                _check_root(path, el.getroottree().getroot())
                checked_root = True
            if _local(el) == "publshInformation":
                info = _Node(el)
                report.publisher_date = parse_date(info.text("Publish_Date"), month_first=True)
                count = info.text("Record_Count")
                if count and count.isdigit():
                    report.stated_count = int(count)
                continue
            report.records += 1
            entity = parse_entry(el, source, report)
            el.clear(keep_tail=True)
            while el.getprevious() is not None:
                del el.getparent()[0]
            if entity is not None:
                yield entity
        if not checked_root:
            _check_root(path, context.root)
    except etree.XMLSyntaxError as exc:
        raise xml_error(path, exc) from None
    if report.stated_count is not None and report.stated_count != report.records:
        report.warn(
            f"{path.name}: the file states {report.stated_count} records but holds {report.records}"
        )


def _check_root(path: Path, root: etree._Element | None) -> None:
    name = _local(root) if root is not None else None
    if name != "sdnList":
        raise ParseError(
            path,
            f"root element is <{name}>, expected <sdnList>",
            line=root.sourceline if root is not None and isinstance(root.sourceline, int) else None,
        )


FORMAT = FormatSpec(
    name="ofac-xml",
    title="OFAC classic XML (SDN.XML / CONSOLIDATED.XML)",
    sniff=sniff,
    parse=parse,
    extensions=(".xml",),
)
