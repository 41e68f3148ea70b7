"""What OFAC's formats share: id-list items that are not identifiers, remarks, and the pieces
the Advanced and Enhanced XML readers both need.

OFAC stores many attributes in the id list (``Gender``, ``Website``, the CAATSA section 235
menu, directive determinations, vessel build year, ...). ``apply_id`` routes each to its proper
home in the entity model so that only real identifiers become ``Identifier`` values; the
classic XML, the CSL's Treasury rows and both newer XML formats go through it. The legacy
CSV files carry the same facts inside the free-text remarks; ``apply_remarks`` recovers them
and hands each labelled item to ``apply_id``, so every OFAC format files a fact the same way.

The Advanced and Enhanced XML formats state the same facts in two shapes: dates as periods,
features, lists per entry, typed name parts. The helpers for those (``period_birth_date``,
``apply_feature``, ``build_listings``, ``parts_name``, ``address_from_parts``...) are here
rather than in one of the two readers.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Final

import msgspec
from lxml import etree

from embargo.errors import ParseError
from embargo.model import (
    Address,
    BirthDate,
    Entity,
    Identifier,
    IdType,
    Listing,
    Name,
    NameKind,
    Relation,
    Schema,
)
from embargo.model.measures import ofac_list_code, ofac_listing
from embargo.model.values import (
    clean,
    country_code,
    country_named,
    id_type,
    make_name,
    parse_birth_date,
    parse_gender,
)
from embargo.sources.base import xml_error

SDN: Final = "us_ofac_sdn"
CONS: Final = "us_ofac_cons"
SDN_URL: Final = "https://sanctionssearch.ofac.treas.gov/Details.aspx?id={uid}"


def source_for(path: Path) -> str:
    """OFAC publishes the same formats for both lists; only the file name tells them apart."""
    return CONS if "cons" in path.name.lower() else SDN


# --- id-list items ---------------------------------------------------------------------------

# Labels (lower case, trailing punctuation removed) whose value is an attribute, not an id:
# label -> key in ``Entity.extra`` (FollowTheMoney property names where one exists).
_ATTRIBUTES: Final = {
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
    "registration country": "jurisdiction",
    "nationality of registration": "jurisdiction",
    "peesa information": "peesaInformation",
    "ifca determination": "ifcaDetermination",
    "un/locode": "unLocode",
}
_JURISDICTION_LABELS: Final = ("registration country", "nationality of registration")
# Labels that state which measures apply to a menu-based or directive listing. OFAC adds an
# "Executive Order NNNNN information" label with each such program, so the family is matched.
_MEASURE_LABEL: Final = re.compile(
    r"^(?:caatsa section \d+|executive order \d+)\b.*?\b(?:information|determination)\b"
)
# A measure label's value that only points to OFAC's web site: a remark, not a measure.
_MORE_INFO: Final = re.compile(r"^for more information\b", re.I)
_PROGRAM_DATE_LABEL: Final = re.compile(
    r"^(?:listing|effective|purchase/sales for divestment) date\b"
)
_AIRCRAFT_IDS: Final = (
    "aircraft tail number",
    "previous aircraft tail number",
    "aircraft manufacturer's serial number",
    "aircraft serial identification",
    "aircraft construction number",
)
_IMO_PREFIX: Final = re.compile(r"(?i)^imo\s*")


@lru_cache(maxsize=1024)
def feature_key(label: str) -> str:
    """An OFAC label as a lookup key: lower case, without trailing ``:``, ``-`` and spaces."""
    return re.sub(r"[\s:\-–]+$", "", label.strip().lower())


def _add_code(codes: list[str], code: str | None) -> None:
    if code and code not in codes:
        codes.append(code)


def apply_id(
    entity: Entity,
    label: str | None,
    value: str | None,
    country: str | None,
    measures: list[str],
    *,
    note: str | None = None,
) -> None:
    """Put one OFAC id-list item where it belongs on ``entity``.

    Attributes go to ``extra`` (a registration country also to ``countries``), statements of
    which measures apply to ``measures``, program dates ("Listing Date (CMIC)") to
    ``extra["programDates"]``, and the rest become identifiers typed by ``values.id_type``.
    """
    label_c = clean(label) or ""
    value_c = clean(value)
    if value_c is None:
        return
    key = feature_key(label_c)
    if key == "gender":
        entity.gender = parse_gender(value_c) or entity.gender
        return
    if key in _ATTRIBUTES:
        if key in _JURISDICTION_LABELS:
            _add_code(entity.countries, country_code(value_c))
        entity.add_extra(_ATTRIBUTES[key], value_c)
        return
    if _MEASURE_LABEL.match(key):
        if _MORE_INFO.match(value_c):
            if value_c not in entity.remarks:
                entity.remarks.append(value_c)
        elif value_c not in measures:
            measures.append(value_c)
        return
    if _PROGRAM_DATE_LABEL.match(key):
        entity.add_extra("programDates", f"{label_c} {value_c}")
        return
    kind = IdType.AIRCRAFT if key.startswith(_AIRCRAFT_IDS) else id_type(label_c)
    if value_c.endswith(")") and (m := _TRAILING_COUNTRY.match(value_c)):
        # "33556474 (Russia)": the issuing country written into the number.
        named = country_named(m.group(2))
        if m.group(1) and named is not None and country_code(country) in (None, named):
            value_c, country = m.group(1), country or m.group(2)
    if kind is IdType.IMO:
        value_c = _IMO_PREFIX.sub("", value_c).strip() or value_c
    ident = Identifier(
        type=kind, value=value_c, label=label_c or None, country=country_code(country), note=note
    )
    if ident not in entity.identifiers:
        entity.identifiers.append(ident)


# --- names as OFAC writes them ----------------------------------------------------------------


def ofac_name(
    text: str, kind: NameKind, schema: Schema, *, original_script: bool | None = None
) -> Name | None:
    """A name as OFAC writes it in one string: people as ``LAST, First``, in natural order.

    A person's name without a comma is one name (``ABU SAYF``), kept whole as the surname.
    """
    if schema is Schema.PERSON:
        last, comma, first = text.partition(",")
        last_c, first_c = clean(last), clean(first)
        if comma and last_c and first_c:
            return make_name(
                f"{first_c} {last_c}",
                kind,
                first=first_c,
                last=last_c,
                original_script=original_script,
            )
        if not comma:
            return make_name(text, kind, last=text, original_script=original_script)
    return make_name(text, kind, original_script=original_script)


def add_name(entity: Entity, name: Name | None) -> None:
    """Add a name unless the entity has one with the same text (the first kind given wins)."""
    if name is not None and all(n.full != name.full for n in entity.names):
        entity.names.append(name)


# --- remarks ---------------------------------------------------------------------------------

# Identifier labels OFAC uses (its "ID type" vocabulary, as written in the CSV remarks).
# Matched longest first at the start of a remark phrase, so "Passport" does not take
# "Passport No." apart; attributes (Gender, Website), measure labels and program dates have
# rules of their own.
_REMARK_ID_LABELS: Final = tuple(
    sorted(
        (
            "tax id no.", "registration number", "passport", "national id no.",
            "vessel registration identification", "registration id", "c.u.r.p.", "cedula no.",
            "r.f.c.", "aircraft manufacturer's serial number (msn)", "identification number",
            "business registration number", "nit #", "aircraft tail number", "swift/bic",
            "company number", "isin", "mmsi", "folio mercantil no.",
            "unified social credit code (uscc)", "commercial registry number", "ruc #",
            "v.a.t. number", "license", "legal entity number", "trade license no.", "c.r. no.",
            "economic register number (cbls)", "d.n.i.", "chamber of commerce number",
            "d-u-n-s number", "central registration system number",
            "business registration document #", "bik (ru)", "istanbul chamber of comm. no.",
            "birth certificate number", "rif #", "driver's license no.", "electoral registry no.",
            "business number", "rfc", "public registration number", "diplomatic passport",
            "enterprise number", "personal id card", "national foreign id number",
            "italian fiscal code", "uk company number", "credencial electoral", "c.u.i.",
            "cartilla de servicio militar nacional", "us fein", "residency number",
            "permit number", "i.f.e.", "chinese commercial code", "ssn", "registered charity no.",
            "dubai chamber of commerce membership no.", "branch unit number",
            "certificate of incorporation number", "turkish identification number",
            "previous aircraft tail number", "numero de identidad",
            "united social credit code certificate (usccc)", "le number",
            "citizen's card number", "c.u.i.t.", "travel document number", "rtn",
            "kenyan id no.", "visanumberid", "c.u.i.p.", "sre permit no.", "file number",
            "tazkira national id card", "romanian c.r.", "refugee id card",
            "paraguayan tax identification number", "organization code",
            "aircraft serial identification", "uae identification", "pilot license number",
            "military registration number", "immigration no.",
            "numero unico de identificacao tributaria (nuit)", "c.i.f.",
            "afghan money service provider license number", "trademark number",
            "tourism license no.", "stateless person passport", "stateless person id card",
            "serial no.", "seafarer's identification document",
            "russian state individual business registration number pattern (ogrnip)",
            "romanian tax registration", "romanian permanent resident",
            "registration certificate number (dubai)", "public security and immigration no.",
            "n.i.f.", "n.i.e.", "moroccan personal id no.", "msb registration number",
            "micex code", "fiscal code", "cnp (personal numerical code)", "c.i.n.",
            "british national overseas passport", "bosnian personal id no.",
            "aircraft construction number (also called l/n or s/n or f/n)",
            "matricula mercantil no", "matricula mercantil no.", "government gazette number",
        ),
        key=len,
        reverse=True,
    )
)  # fmt: skip
_REMARK_ID_LABEL: Final = re.compile(
    "^(?:" + "|".join(re.escape(label) for label in _REMARK_ID_LABELS) + ")(?![A-Za-z0-9])", re.I
)
# Labels of attributes, longest first (as above).
_REMARK_ATTRIBUTE: Final = re.compile(
    "^("
    + "|".join(re.escape(k) for k in sorted(_ATTRIBUTES, key=len, reverse=True))
    + r")(?![A-Za-z0-9])\s*[:\-–]?\s*",
    re.I,
)
# "alt." marks a second value of the same kind ("alt. DOB 1962", "alt. Passport ...").
_ALT_PREFIX: Final = re.compile(r"^alt\.\s+", re.I)
_AKA: Final = re.compile(r"^([afn])\.k\.a\.,?\s+(.+)$", re.I)
_LINKED: Final = re.compile(r"^Linked To:\s*(.+)$", re.I)
_DOB: Final = re.compile(r"^DOB\s+(.+)$", re.I)
_POB: Final = re.compile(r"^POB\s+(.+)$", re.I)
_COUNTRY_PHRASE: Final = re.compile(r"^(nationality|citizen)\s+(.+)$", re.I)
_GENDER: Final = re.compile(r"^Gender\s+(.+)$", re.I)
_MEASURE_PHRASE: Final = re.compile(
    r"^((?:caatsa section \d+|executive order \d+)\b[^:;]*?\b(?:information|determination))"
    r"(?:\s*[:\-–]\s*|\s+)(\S.*)$",
    re.I,
)
_CONTACT: Final = re.compile(
    r"^(telephone|phone|tel\.?|fax)(?:\s+(?:no\.?|number))?\s*:?\s*(.*\d.*)$", re.I
)
_PROGRAM_DATE: Final = re.compile(
    r"^((?:listing|effective|purchase/sales for divestment) date(?:\s*\([^()]*\))?:?)\s+(\S.*)$",
    re.I,
)
_CURRENCY: Final = re.compile(r"^(digital currency address\s*-\s*\w+)\s+(\S+)$", re.I)
_NOTE: Final = re.compile(r"\s+((?:issued|expires|expiring|expired)\b.*)$", re.I)
_NOTE_ONLY: Final = re.compile(r"^(?:issued|expires|expiring|expired)\b", re.I)
_TRAILING_COUNTRY: Final = re.compile(r"^(.*?)\s*\(([^()]+)\)$")
_PREFIXED: Final = re.compile(r"^(IMO|MMSI)\s*(\d+)$", re.I)
# Identifiers with a label OFAC's vocabulary lacks. "<label> <value> (<country>)" must name a
# country that resolves, which keeps prose with a parenthesis out; "<label ending in No.,
# Number, #, ID...> <value>" needs a label ``id_type`` knows.
_ID_WITH_COUNTRY: Final = re.compile(r"^([A-Za-z][^()]*?)\s+(\S*\d\S*)\s*\(([^()]+)\)$")
_ID_PLAIN: Final = re.compile(
    r"^(.*?(?:No\.|Number|#|ID|Identification|Passport|Code))\s+(\S*\d\S*)$"
)


# The longest phrase of the published CSV remarks has 380 characters. Several expressions
# below backtrack in time quadratic in a phrase's length, so a longer phrase stays text.
_MAX_PHRASE: Final = 2000


def apply_remarks(
    entity: Entity, remarks: str, measures: list[str], *, title: str | None = None
) -> list[str]:
    """Recover structured facts from OFAC CSV remarks; return the phrases left as plain text.

    The CSV ``remarks`` column packs birth dates, places of birth, nationality, identifiers,
    gender, relations and weak aliases as ``;``-separated phrases (``DOB 07 Oct 1952; POB St.
    Petersburg, Russia; nationality Russia; Gender Male; Passport 123 (Russia); a.k.a.
    'X'.``). A phrase is read as its label says; an ``alt.`` before it marks a second value of
    the same kind. A phrase that repeats ``title`` (the title column) is dropped; one that
    cannot be read, or that reads as something without a value ("nationality possibly
    Palestinian", "Passport issued 1992 in Amman"), is returned as written.
    """
    leftover: list[str] = []
    text = remarks.strip()
    if text.endswith("."):
        text = text[:-1]  # the remarks' own full stop, not the last item's
    title_key = (title or "").lower()
    # A plain split: apostrophes also open words ("POB al 'Amarah"), so quotes cannot be
    # paired reliably, and no published alias holds a semicolon.
    for raw in (p.strip() for p in text.split(";")):
        if len(raw) > _MAX_PHRASE:
            leftover.append(raw)  # prose, or a hostile file: no fact is that long
        elif raw and not _apply_phrase(entity, _ALT_PREFIX.sub("", raw), measures, title_key):
            leftover.append(raw)
    return leftover


def _apply_phrase(entity: Entity, part: str, measures: list[str], title_key: str) -> bool:
    """Apply one remark phrase; False when it is to stay as text."""
    if title_key and part.lower().rstrip(".") == title_key:
        return True  # the title column already holds it
    if m := _AKA.match(part):
        alias = m.group(2).strip()
        quoted = len(alias) > 1 and alias[0] == alias[-1] and alias[0] in "'\""
        # OFAC keeps weak aliases out of the alt file and quotes them in the remarks. Only the
        # quotes come off: "''ABD-AL-'IZ'" is the name 'ABD-AL-'IZ, its apostrophes its own.
        kind = NameKind.FORMER if m.group(1).lower() == "f" else NameKind.ALIAS
        if quoted:
            alias, kind = alias[1:-1], NameKind.WEAK
        name = ofac_name(alias, kind, entity.schema)
        add_name(entity, name)
        return name is not None
    if m := _LINKED.match(part):
        target = clean(m.group(1))
        relation = Relation(kind="linked-to", target=target) if target else None
        if relation is not None and relation not in entity.relations:
            entity.relations.append(relation)
        return relation is not None
    if m := _DOB.match(part):
        bd = parse_birth_date(m.group(1))
        if bd and bd not in entity.birth_dates:
            entity.birth_dates.append(bd)
        return bd is not None
    if m := _POB.match(part):
        place = clean(m.group(1))
        if place and place not in entity.birth_places:
            entity.birth_places.append(place)
        return place is not None
    if m := _REMARK_ATTRIBUTE.match(part):
        # Before the nationality rule, which would read "of Registration Russia".
        apply_id(entity, m.group(1), part[m.end() :], None, measures)
        return True
    if m := _COUNTRY_PHRASE.match(part):
        code = country_code(m.group(2))
        if code is None:
            return False  # "nationality possibly Palestinian": keep the wording
        codes = entity.nationalities if m.group(1).lower() == "nationality" else entity.citizenships
        _add_code(codes, code)
        return True
    if m := _GENDER.match(part):
        gender = parse_gender(m.group(1))
        entity.gender = gender or entity.gender
        return gender is not None
    if m := _MEASURE_PHRASE.match(part):
        apply_id(entity, m.group(1), m.group(2), None, measures)
        return True
    if m := _CONTACT.match(part):
        word = m.group(1).lower()
        entity.add_extra("fax" if word == "fax" else "phone", m.group(2))
        return True
    if m := _PROGRAM_DATE.match(part):
        apply_id(entity, m.group(1), m.group(2), None, measures)
        return True
    if m := _CURRENCY.match(part):
        apply_id(entity, m.group(1), m.group(2), None, measures)
        return True
    if m := _REMARK_ID_LABEL.match(part):
        return _apply_identifier(entity, m.group(0), part[m.end() :], measures)
    m = _ID_WITH_COUNTRY.match(part)
    if m and country_named(m.group(3)):
        return _apply_identifier(entity, m.group(1), f"{m.group(2)} ({m.group(3)})", measures)
    m = _ID_PLAIN.match(part)
    if m and id_type(m.group(1)) is not IdType.OTHER:
        return _apply_identifier(entity, m.group(1), m.group(2), measures)
    return False


def _apply_identifier(entity: Entity, label: str, rest: str, measures: list[str]) -> bool:
    """Read ``<value> [(<country>)] [issued ...] [expires ...]`` after a label.

    False when no value is left ("U.S.A. Passport issued 21 Jun 1992 in Amman, Jordan"
    has no number to keep).
    """
    note: str | None = None
    if m := _NOTE.search(rest):
        note = m.group(1)
        rest = rest[: m.start()]
    country: str | None = None
    if (m := _TRAILING_COUNTRY.match(rest)) and country_named(m.group(2)):
        rest, country = m.group(1), m.group(2)
    value = clean(rest.strip(" :-"))
    if value and value[0] == "(" and value[-1] == ")" and value.count("(") == 1:
        value = clean(value[1:-1])  # "International Maritime Organization No. (5777731)"
    if value is None or _NOTE_ONLY.match(value):
        return False
    if m := _PREFIXED.match(value):
        # Older files label a vessel's IMO number "Identification Number IMO 1234567".
        kind = IdType.IMO if m.group(1).upper() == "IMO" else IdType.MMSI
        ident = Identifier(
            type=kind, value=m.group(2), label=label, country=country_code(country), note=note
        )
        if ident not in entity.identifiers:
            entity.identifiers.append(ident)
        return True
    apply_id(entity, label, value, country, measures, note=note)
    return True


def linked_to(remarks: str) -> list[str]:
    """The parties named ``Linked To:`` in remarks, in order.

    The classic XML and the CSL write ``(Linked To: X; Linked To: Y)``, also after other
    remarks ("all offices worldwide; (Linked To: X)"), and names hold parentheses and full
    stops of their own ("... (IRGC)-QODS FORCE", "... INDUSTRY CO."): a target ends at a
    ``;`` or at the parenthesis that closes the group. Only a full stop that ends the whole
    text outside any parenthesis is the remark's own and dropped.
    """
    out: list[str] = []
    start = remarks.find("Linked To:")
    while start >= 0:
        i = start + len("Linked To:")
        depth = 0
        end = len(remarks)
        closed = False
        for j in range(i, len(remarks)):
            ch = remarks[j]
            if ch == "(":
                depth += 1
            elif ch == ")":
                if depth == 0:
                    end, closed = j, True
                    break
                depth -= 1
            elif ch == ";" and depth == 0:
                end = j
                break
        target = remarks[i:end].strip()
        if not closed and end == len(remarks) and target.endswith("."):
            target = target[:-1]
        target_c = clean(target)
        if target_c and target_c not in out:
            out.append(target_c)
        start = remarks.find("Linked To:", end)
    return out


# --- the Advanced and Enhanced XML formats ----------------------------------------------------

DatePoint = tuple[int, int, int]


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
                        line = el.sourceline
                        raise ParseError(
                            path,
                            f"root element is <{local}>, expected <{expected}>",
                            line=line if isinstance(line, int) else None,
                            element=local,
                        )
                    return ns + "}" if ns else ""
            parser.close()
    except etree.XMLSyntaxError as exc:
        raise xml_error(path, exc) from None
    raise ParseError(path, f"no root element, expected <{expected}>", line=1)


def month_end(year: int, month: int) -> int:
    if 1 <= year <= 9999 and 1 <= month <= 12:
        return calendar.monthrange(year, month)[1]
    return 31


def point_text(point: DatePoint) -> str:
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
        wording = point_text(first)
    elif y1 == y2 and m1 == m2 and d1 == 1 and d2 == month_end(y2, m2):
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


_RELATION_KINDS: Final = {
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


_VESSEL_EXTRA: Final = {
    "vessel call sign": "callSign",
    "vessel type": "vesselType",
    "vessel owner": "owner",
    "vessel tonnage": "tonnage",
    "vessel gross registered tonnage": "grossRegisteredTonnage",
}


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
    Features that are id-list items in the other formats go through ``apply_id``.
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


_PART_SLOTS: Final = {
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
_STREET_PARTS: Final = ("ADDRESS1", "ADDRESS2", "ADDRESS3")
_KNOWN_PARTS: Final = frozenset((*_STREET_PARTS, "CITY", "STATE/PROVINCE", "REGION", "POSTAL CODE"))
_FAMILY_FIRST_SCRIPTS: Final = ("chinese", "japanese", "korean", "hangul", "han")


def family_name_first(script: str | None) -> bool:
    return bool(script) and any(s in (script or "").lower() for s in _FAMILY_FIRST_SCRIPTS)


def parts_name(
    parts: Sequence[tuple[str, str]],
    kind: NameKind,
    schema: Schema,
    *,
    script: str | None = None,
    full: str | None = None,
    original_script: bool | None = None,
) -> Name | None:
    """A name from typed parts (``("Last Name", "PUTIN")``...), persons in natural order.

    ``original_script`` is passed to ``make_name``: OFAC gives a name's other spellings as
    translations into the party's own script.
    """
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
    return make_name(
        full,
        kind,
        first=first,
        middle=middle,
        last=last,
        patronymic=patronymic,
        original_script=original_script,
    )


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
