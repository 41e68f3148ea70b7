"""What OFAC's formats share: id-list attributes that are not identifiers, and remarks.

OFAC stores many attributes in the id list (``Gender``, ``Website``, the CAATSA section 235
menu, directive determinations, vessel build year, ...). ``apply_id`` routes each to its proper
home in the entity model so that only real identifiers become ``Identifier`` values. The legacy
CSV files carry the same facts inside the free-text remarks; ``apply_remarks`` recovers them.
"""

from __future__ import annotations

import re

from embargo.model import Entity, Identifier, IdType, NameKind, Relation
from embargo.model.values import (
    clean,
    country_code,
    id_type,
    make_name,
    parse_birth_date,
    parse_gender,
)

SDN_URL = "https://sanctionssearch.ofac.treas.gov/Details.aspx?id={uid}"

# Labels (lower case, trailing punctuation removed) whose value is an attribute, not an id:
# label -> key in ``Entity.extra`` (FollowTheMoney property names where one exists).
_ATTRIBUTES = {
    "website": "website",
    "email address": "email",
    "phone number": "phone",
    "secondary sanctions risk": "secondarySanctionsRisk",
    "additional sanctions information": "additionalSanctionsInformation",
    "target type": "targetType",
    "organization established date": "incorporationDate",
    "organization type": "legalForm",
    "transactions prohibited for persons owned or controlled by u.s. financial institutions": (
        "transactionsProhibited"
    ),
    "vessel year of build": "buildDate",
    "other vessel flag": "pastFlags",
    "former vessel flag": "pastFlags",
    "other vessel call sign": "callSign",
    "other vessel type": "vesselType",
    "aircraft model": "model",
    "aircraft operator": "operator",
    "aircraft manufacture date": "buildDate",
    "aircraft mode s transponder code": "modeSTransponderCode",
    "equity ticker": "ticker",
    "issuer name": "issuerName",
    "government gazette number": "gazetteNumber",
    "registration country": "jurisdiction",
    "nationality of registration": "jurisdiction",
    "peesa information": "peesaInformation",
    "ifca determination": "ifcaDetermination",
    "un/locode": "unLocode",
}
# Labels that state which measures apply (menu-based and directive listings).
_MEASURE_PREFIXES = (
    "caatsa section 235 information",
    "executive order 13662 directive determination",
    "executive order 14024 directive information",
    "executive order 14014 directive information",
    "executive order 13846 information",
    "executive order 13224 information",
)
_DATE_PREFIXES = ("listing date", "effective date", "purchase/sales for divestment date")
_AIRCRAFT_IDS = (
    "aircraft tail number",
    "previous aircraft tail number",
    "aircraft manufacturer's serial number",
    "aircraft serial identification",
    "aircraft construction number",
)


def _label_key(label: str) -> str:
    return re.sub(r"[\s:\-–]+$", "", label.strip().lower())


def apply_id(
    entity: Entity,
    label: str | None,
    value: str | None,
    country: str | None,
    measures: list[str],
    *,
    note: str | None = None,
) -> None:
    """Put one OFAC id-list item where it belongs on ``entity``."""
    label_c = clean(label) or ""
    value_c = clean(value)
    if value_c is None:
        return
    key = _label_key(label_c)
    if key == "gender":
        entity.gender = parse_gender(value_c) or entity.gender
        return
    if key in _ATTRIBUTES:
        if key in ("registration country", "nationality of registration"):
            code = country_code(value_c)
            if code and code not in entity.countries:
                entity.countries.append(code)
        entity.add_extra(_ATTRIBUTES[key], value_c)
        return
    if key.startswith(_MEASURE_PREFIXES):
        measures.append(value_c)
        return
    if key.startswith(_DATE_PREFIXES):
        entity.add_extra("programDates", f"{label_c} {value_c}")
        return
    kind = id_type(label_c)
    if key.startswith(_AIRCRAFT_IDS):
        kind = IdType.AIRCRAFT
    if kind is IdType.IMO:
        digits = re.sub(r"(?i)^imo\s*", "", value_c).strip()
        value_c = digits or value_c
    ident = Identifier(
        type=kind, value=value_c, label=label_c or None, country=country_code(country), note=note
    )
    if ident not in entity.identifiers:
        entity.identifiers.append(ident)


_REMARK_SPLIT = re.compile(r";\s*")
_AKA = re.compile(r"^(a\.k\.a\.|f\.k\.a\.|n\.k\.a\.)\s*(.+)$", re.I)
_DOB = re.compile(r"^DOB\s+(.+)$", re.I)
_POB = re.compile(r"^POB\s+(.+)$", re.I)
_NATIONALITY = re.compile(r"^nationality\s+(.+)$", re.I)
_CITIZEN = re.compile(r"^citizen\s+(.+)$", re.I)
_GENDER = re.compile(r"^Gender\s+(.+)$", re.I)
_LINKED = re.compile(r"^Linked To:\s*(.+)$", re.I)
_ID_WITH_COUNTRY = re.compile(r"^(.*?)\s+([A-Za-z0-9][\w\-./ ]*?)\s*\(([^()]+)\)$")
_ID_PLAIN = re.compile(
    r"^(.*?(?:No\.|Number|#|ID|Identification|Passport|Code|Address - \w+))\s+(\S.*)$"
)
_LEADING_NOTE = re.compile(r"\s*\((?:[^()]*)\)\s*$")


def _strip_quotes(text: str) -> str:
    return text.strip().strip("'\"").strip()


def apply_remarks(entity: Entity, remarks: str, measures: list[str]) -> list[str]:
    """Recover structured facts from OFAC CSV remarks; return the parts left as plain remarks.

    The CSV ``remarks`` column packs birth dates, places of birth, nationality, identifiers,
    gender, relations and extra aliases as ``;``-separated phrases (``DOB 07 Oct 1952; POB St.
    Petersburg, Russia; nationality Russia; Gender Male; Passport 123 (Russia); a.k.a.
    'X'.``).
    """
    leftover: list[str] = []
    text = remarks.strip().rstrip(".")
    for raw in _REMARK_SPLIT.split(text):
        part = raw.strip().rstrip(".").strip()
        if not part:
            continue
        if m := _AKA.match(part):
            kind = NameKind.FORMER if m.group(1).lower().startswith("f") else NameKind.ALIAS
            name = make_name(_strip_quotes(m.group(2)), kind)
            if name and all(n.full != name.full for n in entity.names):
                entity.names.append(name)
            continue
        if m := _DOB.match(part):
            bd = parse_birth_date(m.group(1))
            if bd and bd not in entity.birth_dates:
                entity.birth_dates.append(bd)
            continue
        if m := _POB.match(part):
            place = clean(m.group(1))
            if place and place not in entity.birth_places:
                entity.birth_places.append(place)
            continue
        if m := _NATIONALITY.match(part):
            code = country_code(m.group(1))
            if code and code not in entity.nationalities:
                entity.nationalities.append(code)
            continue
        if m := _CITIZEN.match(part):
            code = country_code(m.group(1))
            if code and code not in entity.citizenships:
                entity.citizenships.append(code)
            continue
        if m := _GENDER.match(part):
            entity.gender = parse_gender(m.group(1)) or entity.gender
            continue
        if m := _LINKED.match(part):
            target = clean(m.group(1))
            if target:
                entity.relations.append(Relation(kind="linked-to", target=target))
            continue
        if _apply_remark_id(entity, part, measures):
            continue
        leftover.append(part)
    return leftover


def _apply_remark_id(entity: Entity, part: str, measures: list[str]) -> bool:
    """Try to read ``Passport 123456 (Russia)``-style phrases as ids or id-list attributes."""
    lowered = part.lower()
    for key in _ATTRIBUTES:
        if lowered.startswith(key):
            apply_id(entity, key, part[len(key) :].strip(" :-"), None, measures)
            return True
    if lowered.startswith(_MEASURE_PREFIXES):
        _, _, value = part.partition(" - ") if " - " in part else part.partition(": ")
        measures.append(clean(value) or part)
        return True
    m = _ID_WITH_COUNTRY.match(part)
    if m and id_type(m.group(1)) is not IdType.OTHER and country_code(m.group(3)):
        apply_id(entity, m.group(1), m.group(2), m.group(3), measures)
        return True
    m = _ID_PLAIN.match(part)
    if m and id_type(m.group(1)) is not IdType.OTHER:
        value = _LEADING_NOTE.sub("", m.group(2)).strip()
        apply_id(entity, m.group(1), value, None, measures)
        return True
    return False


def linked_to(remarks: str) -> list[str]:
    """The parties named in ``(Linked To: X; Linked To: Y)`` remarks."""
    text = remarks.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    out: list[str] = []
    for part in re.split(r";\s*", text):
        m = _LINKED.match(part.strip())
        if m:
            target = clean(m.group(1).rstrip("."))
            if target and target not in out:
                out.append(target)
    return out
