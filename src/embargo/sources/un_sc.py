"""UN Security Council Consolidated List XML: root ``CONSOLIDATED_LIST``, no namespace.

``INDIVIDUALS/INDIVIDUAL`` and ``ENTITIES/ENTITY`` records hold their values as element text,
often padded with spaces or left empty (``<QUALITY/><ALIAS_NAME/>``).

The publisher id is the permanent ``REFERENCE_NUMBER`` (``QDi.001``): resolutions, press
releases and other lists (the EU's ``unitedNationId``) cite it, and it is stable across
versions, whereas ``DATAID`` is a database key the UN has reissued when re-entering a record
(HTi.002 to HTi.005 between 2024 and 2026, KPe.068 between 2020 and 2024). ``DATAID`` serves
only when a record has no reference number, and is kept in ``extra`` either way.

The UN publishes no per-record page addressable by reference number, so ``source_url`` stays
empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from embargo.errors import ParseError
from embargo.model import Address, BirthDate, Entity, Identifier, IdType, NameKind, Schema
from embargo.model.measures import un_listing
from embargo.model.values import (
    clean,
    country_code,
    id_type,
    make_name,
    mark_original_scripts,
    parse_birth_date,
    parse_date,
    parse_gender,
    script_of,
)
from embargo.sources.base import FormatSpec, ParseReport, entity_id, text_head, xml_error

UN_SC = "un_sc"
ROOT = "CONSOLIDATED_LIST"

_PERSON_ALIAS = {"good": NameKind.ALIAS, "low": NameKind.WEAK, "": NameKind.ALIAS}
_ENTITY_ALIAS = {
    "a.k.a.": NameKind.ALIAS,
    "f.k.a.": NameKind.FORMER,
    "good": NameKind.ALIAS,
    "low": NameKind.WEAK,
    "": NameKind.ALIAS,
}
_IGNORED = frozenset({"VERSIONNUM", "LIST_TYPE", "SORT_KEY", "SORT_KEY_LAST_MOD"})
_KNOWN = frozenset(
    {
        "DATAID",
        "FIRST_NAME",
        "SECOND_NAME",
        "THIRD_NAME",
        "FOURTH_NAME",
        "UN_LIST_TYPE",
        "REFERENCE_NUMBER",
        "LISTED_ON",
        "NAME_ORIGINAL_SCRIPT",
        "COMMENTS1",
        "TITLE",
        "DESIGNATION",
        "NATIONALITY",
        "GENDER",
        "LAST_DAY_UPDATED",
        "INDIVIDUAL_ALIAS",
        "INDIVIDUAL_ADDRESS",
        "INDIVIDUAL_DATE_OF_BIRTH",
        "INDIVIDUAL_PLACE_OF_BIRTH",
        "INDIVIDUAL_DOCUMENT",
        "ENTITY_ALIAS",
        "ENTITY_ADDRESS",
        "SUBMITTED_BY",
        "SUBMITTED_ON",
    }
)
_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")

_ORIGINAL_NOTE = re.compile(r"^original script:?\s*(.+)$", re.I)
_LISTED_AS_NOTE = re.compile(r"^(?:previously|formerly) listed as$", re.I)
# "Jin Tiesan (金铁三)" and "أبو شيماء (Abu-Shaima; Abu- Shayma)": one alias in two scripts.
_TWO_SCRIPTS = re.compile(r"^(?P<outer>[^()]+?)\s*\((?P<inner>[^()]+)\)$")
_IMO = re.compile(r"\bIMO\)?\s*(?:number|no\.?)?\s*:?\s*(\d{7})\b", re.I)


def sniff(path: Path, head: bytes) -> str | None:
    return UN_SC if f"<{ROOT}" in text_head(head) else None


def _text(el: Any) -> str | None:
    return clean(el.text) if el is not None else None


def _add(values: list[str], value: str | None) -> None:
    if value and value not in values:
        values.append(value)


@dataclass
class _Context:
    path: Path
    report: ParseReport
    warned: set[str] = field(default_factory=set)

    def warn_once(self, key: str, message: str) -> None:
        if key not in self.warned:
            self.warned.add(key)
            self.report.warn(message)


@dataclass
class _Record:
    """A record's children grouped by tag, read in one pass."""

    el: Any
    children: dict[str, list[Any]] = field(default_factory=dict)

    def all(self, tag: str) -> list[Any]:
        return self.children.get(tag, [])

    def text(self, tag: str) -> str | None:
        for child in self.children.get(tag, []):
            value = _text(child)
            if value:
                return value
        return None

    def values(self, tag: str) -> list[str]:
        """The ``VALUE`` texts of a repeated list element such as ``NATIONALITY``."""
        out: list[str] = []
        for holder in self.children.get(tag, []):
            for child in holder:
                _add(out, _text(child))
        return out


def _fields(el: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for child in el:
        if isinstance(child.tag, str):
            value = _text(child)
            if value:
                out[child.tag] = value
    return out


def _split_scripts(text: str) -> list[str]:
    """An alias written in two scripts, one in parentheses, as separate names."""
    m = _TWO_SCRIPTS.match(text.rstrip(",;. "))
    if m is None:
        return [text]
    outer, inner = m.group("outer"), m.group("inner")
    if (script_of(outer) is None) == (script_of(inner) is None):
        return [text]  # "SECOND ACADEMY OF NATURAL SCIENCES (KPE.018)": one name
    return [outer, *(p for p in inner.split(";") if p.strip())]


def _add_name(
    entity: Entity, text: str | None, kind: NameKind, *, original_script: bool | None = None
) -> None:
    """Add a name; ``original_script`` as the UN states it (``NAME_ORIGINAL_SCRIPT``, an
    "original script" note), and for an alias it gives in two scripts, whose non-Latin form
    is the one the romanisation was made from."""
    if not text:
        return
    parts = _split_scripts(text)
    for part in parts:
        name = make_name(part, kind, original_script=original_script or len(parts) > 1 or None)
        if name is None:
            continue
        key = name.full.casefold()
        if all(n.full.casefold() != key for n in entity.names):
            entity.names.append(name)


def _birth_date(fields: dict[str, str], entity: Entity) -> BirthDate | None:
    kind = fields.get("TYPE_OF_DATE", "").upper()
    note = fields.get("NOTE")
    circa = kind == "APPROXIMATELY" or bool(note and note.lower().startswith("approx"))
    start, end = fields.get("FROM_YEAR"), fields.get("TO_YEAR")
    result: BirthDate | None = None
    used_note = False
    if start and end and start.isdigit() and end.isdigit() and int(end) >= int(start):
        result = BirthDate(text=f"{start} to {end}", year=int(start), year_to=int(end), circa=circa)
    elif fields.get("DATE"):
        result = parse_birth_date(fields["DATE"], circa=circa)
    elif fields.get("YEAR"):
        result = parse_birth_date(fields["YEAR"], circa=circa)
    elif start or end:
        result = parse_birth_date(start or end, circa=True)
    elif note:
        used_note = True
        # "24/06/1402 (Hijri Calendar)" would read as the year 1402 AD; keep it as text.
        if "hijri" in note.lower():
            result = BirthDate(text=note, circa=circa)
        else:
            result = parse_birth_date(note, circa=circa)
    if note and not used_note and not note.lower().startswith("approx"):
        label = result.text if result else "unknown"
        _add(entity.remarks, f"Date of birth ({label}): {note}")
    return result


def _place(fields: dict[str, str], keys: tuple[str, ...]) -> str | None:
    parts: list[str] = []
    for key in keys:
        _add(parts, fields.get(key))
    return ", ".join(parts) or None


def _address(entity: Entity, fields: dict[str, str]) -> None:
    full = _place(fields, ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY"))
    note = fields.get("NOTE")
    if note:
        _add(entity.remarks, f"Address ({full}): {note}" if full else f"Address: {note}")
    if full is None:
        return
    addr = Address(
        full=full,
        street=fields.get("STREET"),
        city=fields.get("CITY"),
        region=fields.get("STATE_PROVINCE"),
        postal_code=fields.get("ZIP_CODE"),
        country=country_code(fields.get("COUNTRY")),
    )
    if addr not in entity.addresses:
        entity.addresses.append(addr)


def _document(entity: Entity, fields: dict[str, str]) -> None:
    type1, type2 = fields.get("TYPE_OF_DOCUMENT"), fields.get("TYPE_OF_DOCUMENT2")
    label = type2 or type1
    kind = id_type(type1)  # also the French and Spanish names some entries use
    if type2:
        # TYPE_OF_DOCUMENT2 names the document more precisely ("United States Social
        # Security Number"); it wins when it names a known kind.
        specific = id_type(type2)
        if specific is not IdType.OTHER:
            kind = specific
    number = fields.get("NUMBER")
    country_name = fields.get("ISSUING_COUNTRY") or fields.get("COUNTRY_OF_ISSUE")
    notes = [
        f"issued {fields['DATE_OF_ISSUE'][:10]}" if fields.get("DATE_OF_ISSUE") else None,
        f"issued in {fields['CITY_OF_ISSUE']}" if fields.get("CITY_OF_ISSUE") else None,
        fields.get("NOTE"),
    ]
    if number is None:
        # The number sits in free text ("Tunisian passport number L 191609 issued on ..."):
        # kept as a remark rather than guessed out of the prose.
        text = "; ".join(p for p in (type2, *notes) if p)
        if text:
            _add(entity.remarks, f"{type1 or 'Document'}: {text}")
        return
    ident = Identifier(
        type=kind,
        value=number,
        label=label,
        country=country_code(country_name),
        note="; ".join(p for p in notes if p) or None,
    )
    if ident not in entity.identifiers:
        entity.identifiers.append(ident)


def _aliases(entity: Entity, record: _Record, tag: str, ctx: _Context, where: str) -> None:
    kinds = _PERSON_ALIAS if tag == "INDIVIDUAL_ALIAS" else _ENTITY_ALIAS
    for item in record.all(tag):
        fields = _fields(item)
        quality = fields.get("QUALITY", "").lower()
        kind = kinds.get(quality)
        if kind is None:
            ctx.warn_once(f"quality:{quality}", f"{where}: unknown alias QUALITY {quality!r}")
            kind = NameKind.ALIAS
        alias = fields.get("ALIAS_NAME")
        _add_name(entity, alias, kind)
        note = fields.get("NOTE")
        if note:
            m = _ORIGINAL_NOTE.match(note)
            if m:
                _add_name(entity, m.group(1), kind, original_script=True)
            elif not _LISTED_AS_NOTE.match(note):
                _add(entity.remarks, f"Alias {alias}: {note}" if alias else note)
        # An alias element may carry only another birth date or place, without a name.
        bd = (
            _birth_date({"DATE": fields["DATE_OF_BIRTH"]}, entity)
            if "DATE_OF_BIRTH" in fields
            else None
        )
        if bd is not None and bd not in entity.birth_dates:
            entity.birth_dates.append(bd)
        _add(entity.birth_places, _place(fields, ("CITY_OF_BIRTH", "COUNTRY_OF_BIRTH")))


def parse_record(el: Any, ctx: _Context) -> Entity | None:
    """One ``INDIVIDUAL`` or ``ENTITY`` element as an entity, or None (recorded as a skip)."""
    record = _Record(el)
    for child in el:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag not in _KNOWN and tag not in _IGNORED:
            ctx.warn_once(
                f"tag:{tag}", f"{ctx.path.name}, line {child.sourceline}: unknown <{tag}> ignored"
            )
            continue
        record.children.setdefault(tag, []).append(child)
    person = el.tag == "INDIVIDUAL"
    reference, data_id = record.text("REFERENCE_NUMBER"), record.text("DATAID")
    source_id = reference or data_id
    where = f"{ctx.path.name}, line {el.sourceline}, {el.tag}"
    if source_id is None:
        ctx.report.skip(where, "record has neither REFERENCE_NUMBER nor DATAID")
        return None
    where += f" {source_id}"
    entity = Entity(
        id=entity_id(ctx.report.source, source_id),
        schema=Schema.PERSON if person else Schema.ORGANIZATION,
        source=ctx.report.source,
        source_id=source_id,
        names=[],
    )
    parts = [p for p in (record.text(t) for t in _NAME_PARTS) if p]
    if parts:
        # The parts are in natural order already; the last is taken as the family name.
        split = person and len(parts) > 1
        primary = make_name(
            " ".join(parts),
            NameKind.PRIMARY,
            first=parts[0] if split else None,
            middle=(" ".join(parts[1:-1]) or None) if split else None,
            last=parts[-1] if split else None,
        )
        if primary is not None:
            entity.names.append(primary)
    original = record.text("NAME_ORIGINAL_SCRIPT")
    if not entity.names and original:
        fallback = make_name(original, NameKind.PRIMARY)
        if fallback is not None:
            entity.names.append(fallback)
    if not entity.names:
        ctx.report.skip(where, "record has no name")
        return None
    _add_name(entity, original, NameKind.ALIAS, original_script=True)

    entity.titles.extend(record.values("TITLE"))
    entity.positions.extend(record.values("DESIGNATION"))
    for value in record.values("NATIONALITY"):
        code = country_code(value)
        if code is None:
            ctx.report.warn(f"{where}: unknown nationality {value!r} kept as a remark")
            _add(entity.remarks, f"Nationality: {value}")
        elif code not in entity.nationalities:
            entity.nationalities.append(code)
    entity.gender = parse_gender(record.text("GENDER"))

    for item in record.all("INDIVIDUAL_DATE_OF_BIRTH"):
        bd = _birth_date(_fields(item), entity)
        if bd is not None and bd not in entity.birth_dates:
            entity.birth_dates.append(bd)
    for item in record.all("INDIVIDUAL_PLACE_OF_BIRTH"):
        fields = _fields(item)
        _add(entity.birth_places, _place(fields, ("STREET", "CITY", "STATE_PROVINCE", "COUNTRY")))
        if fields.get("NOTE"):
            _add(entity.remarks, f"Place of birth: {fields['NOTE']}")
    # After the record's own birth dates, so an alias's other birth date comes last.
    _aliases(entity, record, "INDIVIDUAL_ALIAS" if person else "ENTITY_ALIAS", ctx, where)
    for item in record.all("INDIVIDUAL_DOCUMENT"):
        _document(entity, _fields(item))
    for item in record.all("INDIVIDUAL_ADDRESS" if person else "ENTITY_ADDRESS"):
        _address(entity, _fields(item))

    comments = record.text("COMMENTS1")
    if comments:
        entity.remarks.insert(0, comments)
        if not person:
            # Shipping companies' IMO company numbers appear only in the comments.
            for number in dict.fromkeys(_IMO.findall(comments)):
                entity.identifiers.append(Identifier(type=IdType.IMO, value=number, label="IMO"))
    submitted = record.text("SUBMITTED_BY")
    if submitted:
        _add(entity.remarks, f"Submitted by: {submitted}")
    updated = [d for d in (parse_date(v) for v in record.values("LAST_DAY_UPDATED")) if d]
    if updated:
        entity.add_extra("modifiedAt", max(updated))
    entity.add_extra("unDataId", data_id)

    listed = record.text("LISTED_ON")
    listed_on = parse_date(listed)
    entity.listings.append(
        un_listing(
            ctx.report.source, record.text("UN_LIST_TYPE"), listed_on=listed_on, reference=reference
        )
    )
    mark_original_scripts(entity)
    return entity


def _read_root(path: Path, root: Any, report: ParseReport) -> None:
    tag = root.tag
    if tag != ROOT:
        name = tag.rpartition("}")[2] if isinstance(tag, str) else str(tag)
        raise ParseError(path, f"root element is <{name}>, expected <{ROOT}>", line=root.sourceline)
    generated = clean(root.get("dateGenerated"))
    report.publisher_date = parse_date(generated)


def parse(path: Path, report: ParseReport) -> Iterator[Entity]:
    report.files = [path]
    ctx = _Context(path, report)
    if path.stat().st_size == 0:
        raise ParseError(path, "file is empty", line=1)
    seen: dict[str, int] = {}
    root_read = False
    try:
        context = etree.iterparse(
            str(path),
            events=("end",),
            tag=("INDIVIDUAL", "ENTITY"),
            resolve_entities=False,
            no_network=True,
        )
        for _event, el in context:
            if not root_read:
                _read_root(path, el.getroottree().getroot(), report)
                root_read = True
            report.records += 1
            line = el.sourceline
            entity = parse_record(el, ctx)
            el.clear(keep_tail=True)
            parent = el.getparent()
            while el.getprevious() is not None:
                del parent[0]
            if entity is None:
                continue
            if entity.source_id in seen:
                report.skip(
                    f"{path.name}, line {line}, {el.tag} {entity.source_id}",
                    f"duplicate reference {entity.source_id} (first at line {seen[entity.source_id]})",
                )
                continue
            seen[entity.source_id] = line
            yield entity
    except etree.XMLSyntaxError as exc:
        raise xml_error(path, exc) from None
    if not root_read:
        _read_root(path, context.root, report)


FORMAT = FormatSpec(
    name="un-sc-xml",
    title="UN Security Council Consolidated List XML",
    sniff=sniff,
    parse=parse,
    extensions=(".xml",),
)
