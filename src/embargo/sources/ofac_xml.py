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
    parse_birth_date,
    parse_date,
)
from embargo.sources.base import FormatSpec, ParseReport, entity_id, text_head, xml_error
from embargo.sources.ofac_common import SDN_URL, apply_id, linked_to

SDN = "us_ofac_sdn"
CONS = "us_ofac_cons"

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


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str) and _local(c) == name]


def _text(el: etree._Element, name: str) -> str | None:
    for child in el:
        if isinstance(child.tag, str) and _local(child) == name:
            return clean(child.text)
    return None


def _items(el: etree._Element, list_name: str, item_name: str) -> list[etree._Element]:
    out: list[etree._Element] = []
    for lst in _children(el, list_name):
        out.extend(_children(lst, item_name))
    return out


def _person_name(
    first: str | None, last: str | None, kind: NameKind, schema: Schema
) -> Name | None:
    if schema is Schema.PERSON and first and last:
        # Publishers write "LAST, First"; a screener reads "First LAST".
        return make_name(f"{first} {last}", kind, first=first, last=last)
    return make_name(" ".join(p for p in (first, last) if p), kind, first=first, last=last)


def parse_entry(el: etree._Element, source: str, report: ParseReport) -> Entity | None:
    uid = _text(el, "uid")
    line = el.sourceline
    where = f"{report.files[0].name if report.files else ''}, line {line}, sdnEntry"
    if uid is None:
        report.skip(where, "sdnEntry without uid")
        return None
    sdn_type = (_text(el, "sdnType") or "entity").lower()
    schema = _TYPES.get(sdn_type)
    if schema is None:
        report.warn(f"{where} uid={uid}: unknown sdnType {sdn_type!r}, read as LegalEntity")
        schema = Schema.UNKNOWN
    first, last = _text(el, "firstName"), _text(el, "lastName")
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
    title = _text(el, "title")
    if title:
        if schema is Schema.PERSON:
            entity.positions.append(title)
        else:
            entity.titles.append(title)
    for aka in _items(el, "akaList", "aka"):
        kind = _AKA_KINDS.get((_text(aka, "type") or "a.k.a.").lower(), NameKind.ALIAS)
        if (_text(aka, "category") or "strong").lower() == "weak":
            kind = NameKind.WEAK
        name = _person_name(_text(aka, "firstName"), _text(aka, "lastName"), kind, schema)
        if name is not None and name not in entity.names:
            entity.names.append(name)
    measures: list[str] = []
    for item in _items(el, "idList", "id"):
        apply_id(
            entity,
            _text(item, "idType"),
            _text(item, "idNumber"),
            _text(item, "idCountry"),
            measures,
            note=" ".join(
                f"{k} {v}"
                for k, v in (
                    ("issued", _text(item, "issueDate")),
                    ("expires", _text(item, "expirationDate")),
                )
                if v
            )
            or None,
        )
    for item in _items(el, "addressList", "address"):
        parts = [_text(item, f) for f in ("address1", "address2", "address3")]
        street = ", ".join(p for p in parts if p) or None
        city, region = _text(item, "city"), _text(item, "stateOrProvince")
        postal, country = _text(item, "postalCode"), _text(item, "country")
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
    for item in _items(el, "nationalityList", "nationality"):
        code = country_code(_text(item, "country"))
        if code and code not in entity.nationalities:
            entity.nationalities.append(code)
    for item in _items(el, "citizenshipList", "citizenship"):
        code = country_code(_text(item, "country"))
        if code and code not in entity.citizenships:
            entity.citizenships.append(code)
    for item in _items(el, "dateOfBirthList", "dateOfBirthItem"):
        bd = parse_birth_date(_text(item, "dateOfBirth"))
        if bd and bd not in entity.birth_dates:
            entity.birth_dates.append(bd)
    for item in _items(el, "placeOfBirthList", "placeOfBirthItem"):
        place = _text(item, "placeOfBirth")
        if place and place not in entity.birth_places:
            entity.birth_places.append(place)
    for vessel in _children(el, "vesselInfo"):
        for tag, key in (
            ("callSign", "callSign"),
            ("vesselType", "vesselType"),
            ("vesselFlag", "flag"),
            ("vesselOwner", "owner"),
            ("tonnage", "tonnage"),
            ("grossRegisteredTonnage", "grossRegisteredTonnage"),
        ):
            entity.add_extra(key, _text(vessel, tag))
        flag = country_code(_text(vessel, "vesselFlag"))
        if flag and flag not in entity.countries:
            entity.countries.append(flag)
    remarks = _text(el, "remarks")
    if remarks:
        entity.remarks.append(remarks)
        for target in linked_to(remarks):
            entity.relations.append(Relation(kind="linked-to", target=target))
    programs = [clean(p.text) or "" for p in _items(el, "programList", "program")]
    entity.listings.append(ofac_listing(source, programs, sdn=source == SDN, measures=measures))
    return entity


def parse(path: Path, report: ParseReport) -> Iterator[Entity]:
    report.files = [path]
    source = report.source
    saw_root = False
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
            name = _local(el)
            if event == "start":
                if not saw_root:
                    if name != "sdnList":
                        raise ParseError(
                            path,
                            f"root element is <{name}>, expected <sdnList>",
                            line=el.sourceline,
                        )
                    saw_root = True
                continue
            if name == "publshInformation":
                report.publisher_date = parse_date(_text(el, "Publish_Date"), month_first=True)
                count = _text(el, "Record_Count")
                if count and count.isdigit():
                    report.stated_count = int(count)
            elif name == "sdnEntry":
                report.records += 1
                entity = parse_entry(el, source, report)
                el.clear(keep_tail=True)
                while el.getprevious() is not None:
                    del el.getparent()[0]
                if entity is not None:
                    yield entity
    except etree.XMLSyntaxError as exc:
        raise xml_error(path, exc) from None
    if report.stated_count is not None and report.stated_count != report.records:
        report.warn(
            f"{path.name}: the file states {report.stated_count} records but holds {report.records}"
        )


FORMAT = FormatSpec(
    name="ofac-xml",
    title="OFAC classic XML (SDN.XML / CONSOLIDATED.XML)",
    sniff=sniff,
    parse=parse,
    extensions=(".xml",),
)
