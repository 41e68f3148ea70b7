"""OFAC legacy CSV sets: ``SDN.CSV`` + ``ADD.CSV`` + ``ALT.CSV`` + ``SDN_COMMENTS.CSV`` (the SDN
list) and ``CONS_PRIM.CSV`` + ``CONS_ADD.CSV`` + ``CONS_ALT.CSV`` + ``CONS_COMMENTS.CSV`` (the
consolidated non-SDN list).

The layout is OFAC's "dat_spec": no header row, CRLF records, ``-0-`` for null, a trailing
0x1A (DOS end-of-file) byte, and four files linked by ``ent_num``. The primary file holds one
row per listed party with a 1000-character ``remarks`` column into which OFAC packs everything
its newer formats keep structured (birth dates, identifiers, weak aliases, links); the
comments ("spillover") file carries whatever did not fit, cut mid-word, so it is joined to the
primary remarks *before* the remarks are read. Strong aliases are in the alt file; weak ones
only in the remarks, in single quotes.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from embargo.errors import ParseError
from embargo.model import (
    Address,
    BirthDate,
    Entity,
    Identifier,
    IdType,
    Name,
    NameKind,
    Relation,
    Schema,
)
from embargo.model.measures import ofac_listing
from embargo.model.values import clean, country_code, make_name
from embargo.sources.base import COMPANION, FormatSpec, ParseReport, entity_id, text_head
from embargo.sources.ofac_common import SDN_URL, apply_id, apply_remarks

SDN: Final = "us_ofac_sdn"
CONS: Final = "us_ofac_cons"

_EOF: Final = b"\x1a"
_PRIMARY_WIDTH: Final = 12
_ADD_WIDTH: Final = 6
_ALT_WIDTH: Final = 5
_COMMENTS_WIDTH: Final = 2

# File name (lower case) -> (source, role). The roles are the four files of one set.
_FILES: Final[dict[str, tuple[str, str]]] = {
    "sdn.csv": (SDN, "primary"),
    "add.csv": (SDN, "add"),
    "alt.csv": (SDN, "alt"),
    "sdn_comments.csv": (SDN, "comments"),
    "cons_prim.csv": (CONS, "primary"),
    "cons_add.csv": (CONS, "add"),
    "cons_alt.csv": (CONS, "alt"),
    "cons_comments.csv": (CONS, "comments"),
}
_WIDTHS: Final = {
    "primary": _PRIMARY_WIDTH,
    "add": _ADD_WIDTH,
    "alt": _ALT_WIDTH,
    "comments": _COMMENTS_WIDTH,
}
_COMPANION_ROLES: Final = ("add", "alt", "comments")

_TYPES: Final = {
    "individual": Schema.PERSON,
    "entity": Schema.ORGANIZATION,
    "vessel": Schema.VESSEL,
    "aircraft": Schema.AIRCRAFT,
}
# Primary-file columns 6-11 (0-based 5-10) -> FollowTheMoney property names, as ofac_xml uses.
_VESSEL_COLUMNS: Final = (
    ("callSign", 5),
    ("vesselType", 6),
    ("tonnage", 7),
    ("grossRegisteredTonnage", 8),
    ("flag", 9),
    ("owner", 10),
)
_ALT_KINDS: Final = {"aka": NameKind.ALIAS, "fka": NameKind.FORMER, "nka": NameKind.ALIAS}


# --- sniffing and the file set ---------------------------------------------------------------


def _set_names(source: str) -> dict[str, str]:
    """Role -> lower-case file name for one set."""
    return {role: name for name, (src, role) in _FILES.items() if src == source}


def _first_line(text: str) -> tuple[str, bool]:
    """The first line of ``text`` and whether it is complete (ends before the head does)."""
    for i, ch in enumerate(text):
        if ch in "\r\n":
            return text[:i], True
    return text, False


def _shape_ok(role: str, head: bytes) -> bool:
    text = text_head(head)
    if not text.strip("\x1a\r\n \t"):
        # An empty set member (only the EOF byte) is legitimate for the companions; an empty
        # primary is claimed too, so that the parse reports it rather than nobody reading it.
        return True
    line, complete = _first_line(text)
    try:
        row = next(csv.reader([line]))
    except (csv.Error, StopIteration):
        return False
    if not row or not row[0].strip().isdigit():
        return False
    width = _WIDTHS[role]
    if not complete:
        # A spillover line can outgrow the sniffing head; judge it by what we have.
        return len(row) <= width
    # The column count and a numeric ent_num are the shape; the values (a new SDN_Type, say)
    # are the parser's to judge and report.
    return len(row) == width


def sniff(path: Path, head: bytes) -> str | None:
    known = _FILES.get(path.name.lower())
    if known is None:
        return None
    source, role = known
    if not _shape_ok(role, head):
        return None
    return source if role == "primary" else COMPANION


def _beside(primary: Path, name: str) -> Path | None:
    """The file called ``name`` (any case) in the primary file's folder, if there is one."""
    exact = primary.parent / name
    if exact.is_file():
        return exact
    folder = primary.parent
    if not folder.is_dir():
        return None
    for candidate in folder.iterdir():
        if candidate.name.lower() == name and candidate.is_file():
            return candidate
    return None


def _companions(primary: Path, source: str | None = None) -> dict[str, Path | None]:
    known = _FILES.get(primary.name.lower())
    names = _set_names(known[0] if known else (source or SDN))
    return {role: _beside(primary, names[role]) for role in _COMPANION_ROLES}


def files(primary: Path) -> list[Path]:
    """The primary file and whichever companions exist beside it (all are hashed)."""
    return [primary, *(p for p in _companions(primary).values() if p is not None)]


# --- reading rows ----------------------------------------------------------------------------


def _rows(
    path: Path, width: int, report: ParseReport, *, expect_eof: bool = True
) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line, row)`` for each record, checking encoding, quoting and column count."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ParseError(path, f"cannot read file ({exc.strerror or exc})") from None
    if not data:
        raise ParseError(path, "file is empty")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    stripped = data.rstrip(b"\r\n")
    if stripped.endswith(_EOF):
        data = stripped[:-1]
    elif expect_eof:
        report.warn(
            f"{path.name}: no end-of-file marker (0x1A); OFAC ends every CSV file with one, "
            "so this file may be truncated"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ParseError(
            path,
            f"undecodable bytes at offset {exc.start} ({data[exc.start : exc.start + 4]!r}): "
            "not UTF-8 text",
            line=line,
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reason = str(exc)
            if "unexpected end of data" in reason or "EOF" in reason:
                reason = "unterminated quoted field: the file is truncated or malformed"
            raise ParseError(path, f"malformed CSV: {reason}", line=start) from None
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # a blank line holds no record
        if len(row) != width:
            raise ParseError(path, f"row has {len(row)} columns, expected {width}", line=start)
        yield start, row


# --- remarks ---------------------------------------------------------------------------------

# Identifier labels OFAC uses (its "ID type" vocabulary, as written in the remarks). Matched
# longest first at the start of a remark phrase; attributes such as Gender or Website, the
# directive and menu labels, are left to ``apply_remarks``.
_ID_LABELS: Final = tuple(
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
            "matricula mercantil no", "matricula mercantil no.",
            # An attribute in ofac_common, listed here so "(Russia)" is split off its value.
            "government gazette number",
        ),
        key=len,
        reverse=True,
    )
)  # fmt: skip
_ID_LABEL = re.compile(
    "^(?:" + "|".join(re.escape(label) for label in _ID_LABELS) + ")(?![A-Za-z0-9])", re.I
)
_ALT_PREFIX = re.compile(r"^alt\.\s+", re.I)
_QUOTED_AKA = re.compile(r"^([afn])\.k\.a\.\s+'(.+)'$", re.I)
_LINKED = re.compile(r"^Linked To:\s*(.+)$", re.I)
_DOB_RANGE = re.compile(
    r"^DOB\s+(?:(\d{1,2})\s+)?([A-Za-z]{3})\s+(\d{4})\s+to\s+(?:(\d{1,2})\s+)?([A-Za-z]{3})\s+(\d{4})$",
    re.I,
)
_REGISTRATION_COUNTRY = re.compile(
    r"^(nationality of registration|registration country)\s+(.+)$", re.I
)
_EO_INFORMATION = re.compile(
    r"^executive order \d+ (?:directive )?information\s*[:\-]\s*(.+)$", re.I
)
_PHONE = re.compile(r"^(?:telephone|phone|tel\.?)(?:\s+(?:no\.?|number))?\s*:?\s*(.*\d.*)$", re.I)
_COUNTRY_PHRASE = re.compile(r"^(nationality|citizen)\s+(.+)$", re.I)
_PROGRAM_DATE = re.compile(
    r"^((?:listing|effective|purchase/sales for divestment) date(?:\s*\([^()]*\))?:?)\s+(\S.*)$",
    re.I,
)
_CURRENCY = re.compile(r"^(digital currency address\s*-\s*\w+)\s+(\S+)$", re.I)
_NOTE = re.compile(r"\s+((?:issued|expires|expiring|expired)\b.*)$", re.I)
_NOTE_ONLY = re.compile(r"^(?:issued|expires|expiring|expired)\b", re.I)
_TRAILING_COUNTRY = re.compile(r"^(.*?)\s*\(([^()]+)\)$")
_PREFIXED = re.compile(r"^(IMO|MMSI)\s*(\d+)$", re.I)
# An identifier with a label OFAC's vocabulary above lacks: "<label> <value with a digit>
# (<country>)"; the country must resolve, which keeps prose with a parenthesis out.
_OTHER_ID = re.compile(r"^([A-Za-z][^()]*?)\s+(\S*\d\S*)\s*\(([^()]+)\)$")
_MONTHS: Final = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}


def _person_name(text: str, kind: NameKind, schema: Schema) -> Name | None:
    """A name as published, in natural order for people (OFAC writes "LAST, First")."""
    if schema is Schema.PERSON:
        last, comma, first = text.partition(",")
        last_c, first_c = clean(last), clean(first)
        if comma and last_c and first_c:
            return make_name(f"{first_c} {last_c}", kind, first=first_c, last=last_c)
        if not comma:
            return make_name(text, kind, last=text)
    return make_name(text, kind)


def _add_name(entity: Entity, name: Name | None) -> None:
    if name is not None and all(n.full != name.full for n in entity.names):
        entity.names.append(name)


def _dob_range(m: re.Match[str], text: str) -> BirthDate | None:
    d1, mon1, y1, d2, mon2, y2 = m.groups()
    month1, month2 = _MONTHS.get(mon1.lower()), _MONTHS.get(mon2.lower())
    if month1 is None or month2 is None:
        return None
    year1, year2 = int(y1), int(y2)
    if year2 < year1:
        return None
    same_month = year1 == year2 and month1 == month2
    same_day = same_month and d1 is not None and d1 == d2
    return BirthDate(
        text=text,
        year=year1,
        year_to=year2 if year2 != year1 else None,
        month=month1 if same_month else None,
        day=int(d1) if same_day and d1 else None,
    )


def _apply_identifier(entity: Entity, label: str, rest: str, measures: list[str]) -> bool:
    """Read ``<value> [(<country>)] [issued ...] [expires ...]`` after a known label."""
    note: str | None = None
    if m := _NOTE.search(rest):
        note = m.group(1)
        rest = rest[: m.start()]
    country: str | None = None
    if (m := _TRAILING_COUNTRY.match(rest)) and country_code(m.group(2)):
        rest, country = m.group(1), m.group(2)
    value = clean(rest.strip(" :-"))
    if value is None:
        return False
    if m := _PREFIXED.match(value):
        # Older files label a vessel's IMO number "Identification Number IMO 1234567".
        kind = IdType.IMO if m.group(1).upper() == "IMO" else IdType.MMSI
        ident = Identifier(
            type=kind,
            value=m.group(2),
            label=label,
            country=country_code(country),
            note=note,
        )
        if ident not in entity.identifiers:
            entity.identifiers.append(ident)
        return True
    apply_id(entity, label, value, country, measures, note=note)
    return True


def read_remarks(
    entity: Entity, remarks: str, measures: list[str], *, title: str | None = None
) -> list[str]:
    """Recover what the remarks hold; return the phrases left as plain text.

    Wraps ``ofac_common.apply_remarks`` for what it misses in the legacy CSV files: the
    ``alt.`` prefix of second values, quoted (weak) aliases, birth-date ranges, identifiers
    with labels it does not know, program dates, and names that end in a period.
    """
    leftover: list[str] = []
    text = remarks.strip()
    if text.endswith("."):
        text = text[:-1]
    title_key = (title or "").lower()
    # A plain split: apostrophes also open words ("POB al 'Amarah"), so quotes cannot be
    # paired reliably, and no published alias holds a semicolon.
    for raw in (p.strip() for p in text.split(";")):
        if not raw:
            continue
        part = _ALT_PREFIX.sub("", raw)
        lowered = part.lower()
        if title_key and lowered.rstrip(".") == title_key:
            continue  # the title column already holds it
        if m := _QUOTED_AKA.match(part):
            # OFAC keeps weak aliases out of the alt file and quotes them in the remarks.
            _add_name(entity, _person_name(m.group(2), NameKind.WEAK, entity.schema))
            continue
        if m := _LINKED.match(part):
            target = clean(m.group(1))
            if target and all(r.target != target for r in entity.relations):
                entity.relations.append(Relation(kind="linked-to", target=target))
            continue
        if m := _DOB_RANGE.match(part):
            bd = _dob_range(m, part[4:].strip())
            if bd is not None:
                if bd not in entity.birth_dates:
                    entity.birth_dates.append(bd)
                continue
        if m := _REGISTRATION_COUNTRY.match(part):
            # Before the nationality rule, which would read "of Registration Russia".
            apply_id(entity, m.group(1), m.group(2), None, measures)
            continue
        if m := _EO_INFORMATION.match(part):
            measures.append(m.group(1).strip())
            continue
        if m := _PHONE.match(part):
            entity.add_extra("phone", m.group(1))
            continue
        if (m := _COUNTRY_PHRASE.match(part)) and country_code(m.group(2)) is None:
            leftover.append(raw)  # "nationality possibly Palestinian": keep the wording
            continue
        if m := _PROGRAM_DATE.match(part):
            apply_id(entity, m.group(1), m.group(2), None, measures)
            continue
        if m := _CURRENCY.match(part):
            apply_id(entity, m.group(1), m.group(2), None, measures)
            continue
        if m := _ID_LABEL.match(part):
            if not _apply_identifier(entity, m.group(0), part[m.end() :], measures):
                leftover.append(raw)
            continue
        before = len(entity.identifiers)
        rest = apply_remarks(entity, part, measures)
        if any(_NOTE_ONLY.match(i.value) for i in entity.identifiers[before:]):
            # "U.S.A. Passport issued 21 Jun 1992 in Amman, Jordan" has no number to keep.
            del entity.identifiers[before:]
            leftover.append(raw)
            continue
        if rest and len(entity.identifiers) == before:
            m = _OTHER_ID.match(part)
            if m and country_code(m.group(3)):
                apply_id(entity, m.group(1), m.group(2), m.group(3), measures)
                continue
        if rest:
            leftover.append(raw)
    return leftover


# --- entities --------------------------------------------------------------------------------


def _cell(value: str) -> str | None:
    """A cleaned cell; most cells are OFAC's null, so that case skips the full clean."""
    stripped = value.strip()
    if not stripped or stripped == "-0-":
        return None
    return clean(stripped)


def _programs(value: str | None) -> list[str]:
    """``SDGT] [NS-PLC`` -> ``["SDGT", "NS-PLC"]`` (OFAC strips only the outer brackets)."""
    text = clean(value)
    if text is None:
        return []
    return [p for p in (clean(x.strip("[] ")) for x in text.split("] [")) if p]


def _address(row: list[str]) -> Address | None:
    street, city, country = _cell(row[2]), _cell(row[3]), _cell(row[4])
    full = ", ".join(p for p in (street, city, country) if p)
    if not full:
        return None
    # The second column packs city, state/province and postal code ("London EC3N 1DY"); OFAC
    # does not separate them, so the whole value goes in ``city``.
    return Address(full=full, street=street, city=city, country=country_code(country))


def _entity(path: Path, line: int, row: list[str], report: ParseReport) -> Entity | None:
    """The entity of one primary row, before aliases, remarks and addresses are added."""
    source = report.source
    where = f"{path.name}, line {line}"
    ent_num = _cell(row[0])
    if ent_num is None:
        report.skip(where, "row has no ent_num")
        return None
    where = f"{where}, ent_num {ent_num}"
    raw_type = _cell(row[2])
    schema = _TYPES.get((raw_type or "entity").lower())
    if schema is None:
        report.warn(f"{where}: unknown SDN_Type {raw_type!r}, read as LegalEntity")
        schema = Schema.UNKNOWN
    primary_text = _cell(row[1])
    primary = _person_name(primary_text, NameKind.PRIMARY, schema) if primary_text else None
    if primary is None:
        report.skip(where, "entry has no name")
        return None
    entity = Entity(
        id=entity_id(source, ent_num),
        schema=schema,
        source=source,
        source_id=ent_num,
        names=[primary],
        source_url=SDN_URL.format(uid=ent_num),
    )
    title = _cell(row[4])
    if title:
        (entity.positions if schema is Schema.PERSON else entity.titles).append(title)
    if any(cell.strip() != "-0-" for cell in row[5:11]):
        for key, index in _VESSEL_COLUMNS:
            entity.add_extra(key, _cell(row[index]))
        flag = country_code(_cell(row[9]))
        if flag and flag not in entity.countries:
            entity.countries.append(flag)
    return entity


def parse(path: Path, report: ParseReport) -> Iterator[Entity]:
    source = report.source
    companions = _companions(path, source)
    report.files = [path, *(p for p in companions.values() if p is not None)]
    known = _FILES.get(path.name.lower())
    set_names = _set_names(known[0] if known else source)
    for role, found in companions.items():
        if found is None:
            what = {"add": "addresses", "alt": "strong aliases", "comments": "remark overflow"}
            report.warn(f"{set_names[role]} not found beside {path.name}: {what[role]} not loaded")
    report.warn(f"{path.name}: the OFAC CSV files carry no publication date")

    # Companions are small next to the primary; index them by ent_num first.
    adds: dict[str, list[tuple[int, list[str]]]] = {}
    alts: dict[str, list[tuple[int, list[str]]]] = {}
    comments: dict[str, list[tuple[int, str]]] = {}
    if (p := companions["add"]) is not None:
        for line, row in _rows(p, _ADD_WIDTH, report):
            adds.setdefault(row[0].strip(), []).append((line, row))
    if (p := companions["alt"]) is not None:
        for line, row in _rows(p, _ALT_WIDTH, report):
            alts.setdefault(row[0].strip(), []).append((line, row))
    if (p := companions["comments"]) is not None:
        # The SDN spillover file is published without the 0x1A byte the other files end with.
        for line, row in _rows(p, _COMMENTS_WIDTH, report, expect_eof=False):
            comments.setdefault(row[0].strip(), []).append((line, row[1]))

    seen: set[str] = set()
    sdn = source == SDN
    for line, row in _rows(path, _PRIMARY_WIDTH, report):
        report.records += 1
        key = row[0].strip()
        if key in seen:
            report.skip(f"{path.name}, line {line}, ent_num {key}", "duplicate ent_num")
            continue
        seen.add(key)
        entity = _entity(path, line, row, report)
        if entity is None:
            continue
        # Alt-file names first, so that a strong alias the remarks repeat stays strong.
        alt_name = companions["alt"].name if companions["alt"] else "alt"
        for alt_line, alt in alts.get(key, []):
            if _cell(alt[3]) is None:
                report.skip(f"{alt_name}, line {alt_line}, ent_num {key}", "alias has no name")
            elif not _apply_alt(entity, alt):
                report.warn(
                    f"{alt_name}, line {alt_line}: unknown alt_type {alt[2].strip()!r}, "
                    "read as a.k.a."
                )
        measures: list[str] = []
        remarks = row[11] if _cell(row[11]) else ""
        # The spillover continues the remarks mid-word: join before reading.
        remarks += "".join(text for _, text in comments.get(key, []))
        if remarks:
            title = _cell(row[4])
            leftover = read_remarks(entity, remarks, measures, title=title)
            if leftover:
                entity.remarks.insert(0, "; ".join(leftover))
        for _, add in adds.get(key, []):
            address = _address(add)
            if address is not None and address not in entity.addresses:
                entity.addresses.append(address)
                if _cell(add[5]):
                    entity.remarks.append(f"Address {address.full}: {_cell(add[5])}")
        entity.listings.append(ofac_listing(source, _programs(row[3]), sdn=sdn, measures=measures))
        yield entity

    if report.records == 0:
        raise ParseError(path, "file holds no records")
    orphans = (("add", adds), ("alt", alts), ("comments", comments))
    for role, index in orphans:
        companion = companions[role]
        name = companion.name if companion is not None else set_names[role]
        for key, rows in index.items():
            if key not in seen:
                for line, _ in rows:
                    report.skip(
                        f"{name}, line {line}, ent_num {key}",
                        f"no entry with this ent_num in {path.name}",
                    )


def _apply_alt(entity: Entity, row: list[str]) -> bool:
    """Add one alt-file name; False when its alt_type is not one OFAC documents."""
    alt_type = (_cell(row[2]) or "aka").lower()
    known = alt_type in _ALT_KINDS
    kind = _ALT_KINDS.get(alt_type, NameKind.ALIAS)
    note = _cell(row[4])
    if note and ("weak" in note.lower() or "low quality" in note.lower()):
        kind = NameKind.WEAK
    text = _cell(row[3])
    if text is None:
        return known
    _add_name(entity, _person_name(text, kind, entity.schema))
    if note:
        entity.remarks.append(f"{text}: {note}")
    return known


FORMAT = FormatSpec(
    name="ofac-csv",
    title="OFAC legacy CSV sets (SDN.CSV + ADD/ALT/SDN_COMMENTS, CONS_PRIM.CSV + CONS_*)",
    sniff=sniff,
    parse=parse,
    files=files,
    extensions=(".csv",),
)
