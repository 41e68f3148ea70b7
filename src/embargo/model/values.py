"""Turning publishers' free-text values into model values.

Every parser cleans names, countries, birth dates and identifier types with these functions so
that "Russia", "RUSSIAN FEDERATION" and "ru" all become ``ru`` no matter which list said it.

Nothing here runs at import time: rigour builds its territory index on the first
``country_code`` call (about 1.5 s), not when a parser module is imported.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from functools import lru_cache
from typing import Final, NamedTuple

import msgspec
from rigour.territories import get_territories, lookup_territory
from rigour.text.scripts import text_scripts

from embargo.model.entity import BirthDate, Entity, IdType, Name, NameKind

_SPACE = re.compile(r"\s+")

# ISO 15924 codes for the scripts rigour names (rigour gives names, not codes).
_SCRIPT_CODES: Final = {
    "Latin": "Latn",
    "Cyrillic": "Cyrl",
    "Greek": "Grek",
    "Arabic": "Arab",
    "Hebrew": "Hebr",
    "Han": "Hani",
    "Hiragana": "Jpan",
    "Katakana": "Jpan",
    "Hangul": "Hang",
    "Bopomofo": "Bopo",
    "Thai": "Thai",
    "Khmer": "Khmr",
    "Lao": "Laoo",
    "Myanmar": "Mymr",
    "Tibetan": "Tibt",
    "Mongolian": "Mong",
    "Armenian": "Armn",
    "Georgian": "Geor",
    "Ethiopic": "Ethi",
    "Syriac": "Syrc",
    "Thaana": "Thaa",
    "Tifinagh": "Tfng",
    "Devanagari": "Deva",
    "Bengali": "Beng",
    "Gurmukhi": "Guru",
    "Gujarati": "Gujr",
    "Oriya": "Orya",
    "Tamil": "Taml",
    "Telugu": "Telu",
    "Kannada": "Knda",
    "Malayalam": "Mlym",
    "Sinhala": "Sinh",
    "Yi": "Yiii",
}

_EMPTY_MARKERS: Final = frozenset({"-0-", "-", "N/A", "n/a", "NULL", "null", "None", "none"})


def clean(value: str | None) -> str | None:
    """Strip, collapse inner whitespace and drop publishers' empty markers."""
    if value is None:
        return None
    value = _SPACE.sub(" ", unicodedata.normalize("NFC", value)).strip()
    if not value or value in _EMPTY_MARKERS:
        return None
    return value


def script_of(text: str) -> str | None:
    """The ISO 15924 code of the one non-Latin script a name is written in, if any."""
    if text.isascii():
        return None  # most names: no need to ask for the scripts
    # Lone surrogates (Python's json decodes "\ud800" into a str) have no script, and the
    # script lookup cannot encode them.
    return _script_of(_SURROGATES.sub("", text))


_SURROGATES = re.compile("[\ud800-\udfff]")


@lru_cache(maxsize=16384)
def _script_of(text: str) -> str | None:
    scripts = {s for s in text_scripts(text) if s not in ("Common", "Inherited")}
    scripts.discard("Latin")
    if not scripts:
        return None
    if scripts <= {"Han", "Hiragana", "Katakana"} and scripts & {"Hiragana", "Katakana"}:
        return "Jpan"
    if len(scripts) > 1:
        return "Zyyy"  # mixed scripts: keep it visible rather than guess
    (only,) = scripts
    return _SCRIPT_CODES.get(only, only[:4].title())


# ---- names ----------------------------------------------------------------------------------

# The territories whose people write their names in a script, as their own way of writing
# them (not a transliteration made by a publisher abroad). Former states and occupied or
# disputed territories are listed with the countries whose script they share.
_CYRILLIC: Final = frozenset(
    {
        "ru", "by", "ua", "kz", "kg", "tj", "uz", "bg", "rs", "mk", "me", "ba", "mn", "md",
        "suhh", "yucs", "csxx", "ua-cri", "ua-dpr", "ua-lpr", "md-pmr", "ge-ab", "x-so",
    }
)  # fmt: skip
_ARABIC: Final = frozenset(
    {
        "ae", "bh", "dj", "dz", "eg", "eh", "iq", "jo", "km", "kw", "lb", "ly", "ma", "mr",
        "om", "ps", "qa", "sa", "sd", "so", "sy", "td", "tn", "ye", "ir", "af", "pk", "iq-kr",
        "so-som",
    }
)  # fmt: skip
SCRIPT_TERRITORIES: Final[dict[str, frozenset[str]]] = {
    "Cyrl": _CYRILLIC,
    "Arab": _ARABIC,
    "Hani": frozenset({"cn", "tw", "hk", "mo", "sg", "jp", "kr"}),
    "Jpan": frozenset({"jp"}),
    "Hang": frozenset({"kp", "kr"}),
    "Grek": frozenset({"gr", "cy"}),
    "Hebr": frozenset({"il"}),
    "Geor": frozenset({"ge", "ge-ab", "x-so"}),
    "Armn": frozenset({"am"}),
    "Thai": frozenset({"th"}),
    "Khmr": frozenset({"kh"}),
    "Laoo": frozenset({"la"}),
    "Mymr": frozenset({"mm"}),
    "Ethi": frozenset({"et", "er"}),
    "Tibt": frozenset({"cn", "bt", "np"}),
    "Mong": frozenset({"mn", "cn"}),
    "Thaa": frozenset({"mv"}),
    "Sinh": frozenset({"lk"}),
    "Deva": frozenset({"in", "np"}),
    "Beng": frozenset({"bd", "in"}),
    "Taml": frozenset({"in", "lk", "sg"}),
    "Guru": frozenset({"in"}),
    "Gujr": frozenset({"in"}),
    "Orya": frozenset({"in"}),
    "Telu": frozenset({"in"}),
    "Knda": frozenset({"in"}),
    "Mlym": frozenset({"in"}),
    "Syrc": frozenset({"sy", "iq"}),
    "Tfng": frozenset({"ma", "dz"}),
}


def own_script(script: str | None, countries: Iterable[str]) -> bool:
    """Whether ``script`` is how people of one of ``countries`` write their own names.

    The heuristic behind ``original-script`` when a publisher does not say: a Cyrillic name
    of a Russian national is his name as he writes it; the same letters for a German are a
    transliteration made for a Bulgarian-language edition of the list.
    """
    territories = SCRIPT_TERRITORIES.get(script or "")
    return territories is not None and any(c in territories for c in countries)


def make_name(
    full: str | None,
    kind: NameKind = NameKind.PRIMARY,
    *,
    first: str | None = None,
    middle: str | None = None,
    last: str | None = None,
    patronymic: str | None = None,
    title: str | None = None,
    lang: str | None = None,
    original_script: bool | None = None,
) -> Name | None:
    """Build a name, deriving the full form from its parts when the source gives only parts.

    A name in a non-Latin script gets its ``script``. ``original_script`` says whether the
    publisher presents it as the party's own writing of its name (UN ``NAME_ORIGINAL_SCRIPT``,
    OFSI's "Name Non-Latin Script", OFAC's name translations): True makes a strong alias
    ``original-script``. None (undecided) and False leave the kind as given; a parser that does
    not know calls ``mark_original_scripts`` once the party's countries are known. A primary
    name stays primary whatever its script, and weak and former names keep their kinds.
    """
    first, middle, last, patronymic = clean(first), clean(middle), clean(last), clean(patronymic)
    text = clean(full)
    if text is None:
        text = clean(" ".join(p for p in (first, middle, patronymic, last) if p))
    if text is None:
        return None
    script = script_of(text)
    if script is not None and original_script and kind is NameKind.ALIAS:
        kind = NameKind.ORIGINAL_SCRIPT
    return Name(
        full=text,
        kind=kind,
        first=first,
        middle=middle,
        last=last,
        patronymic=patronymic,
        title=clean(title),
        lang=clean(lang),
        script=script,
    )


def mark_original_scripts(
    entity: Entity, *, countries: Iterable[str] = (), keep: Collection[str] = ()
) -> None:
    """Mark the strong aliases written in the party's own script as ``original-script``.

    The party's countries (nationalities, citizenships, other countries, address countries,
    plus ``countries``) decide, through ``own_script``. Names whose full text is in ``keep``
    are left as they are: the parser has decided them from what the publisher says.
    """
    if not any(n.script and n.kind is NameKind.ALIAS for n in entity.names):
        return
    tied = [*entity.all_countries, *countries]
    if not tied:
        return
    entity.names = [
        msgspec.structs.replace(name, kind=NameKind.ORIGINAL_SCRIPT)
        if name.script
        and name.kind is NameKind.ALIAS
        and name.full not in keep
        and own_script(name.script, tied)
        else name
        for name in entity.names
    ]


# ---- countries ------------------------------------------------------------------------------

# Names lists use that the territory lookup does not resolve (including misspellings
# publishers have shipped), lower case.
COUNTRY_ALIASES: Final[dict[str, str]] = {
    "occupied palestinian territories": "ps",
    "occupied palestinian territory": "ps",
    "palestinian territories": "ps",
    "bosnia-herzegovina": "ba",
    "bosnia herzegovina": "ba",
    "repubic of moldova": "md",
}


@lru_cache(maxsize=8192)
def country_code(value: str | None) -> str | None:
    """The territory code for a country name or code, or None if unknown.

    Codes are FollowTheMoney's country vocabulary as rigour gives it (see ``Address.country``
    in the model): ISO 3166-1 alpha-2 in lower case for countries, the ISO 3166-3 codes of
    former states (``suhh`` Soviet Union, ``yucs`` Yugoslavia, ``cshh`` Czechoslovakia,
    ``csxx`` Serbia and Montenegro), and codes for occupied or disputed territories that
    sanctions programmes treat apart (``ua-cri`` Crimea, ``ua-dpr``, ``ge-ab``, ``md-pmr``...).
    A city or an ordinary region resolves to its country ("Moscow" is ``ru``).
    """
    value = clean(value)
    if value is None:
        return None
    alias = COUNTRY_ALIASES.get(value.lower())
    if alias is not None:
        return alias
    territory = lookup_territory(value)
    if territory is None:
        # "Moscow, Russia" and "Russia (as of 2019)": try the parts.
        for part in re.split(r"[,;()/]", value):
            part = part.strip()
            if part and part != value:
                alias = COUNTRY_ALIASES.get(part.lower())
                if alias is not None:
                    return alias
                territory = lookup_territory(part)
                if territory is not None:
                    break
    if territory is None:
        return None
    return str(territory.ftm_country or territory.code)


@lru_cache(maxsize=4096)
def country_named(value: str | None) -> str | None:
    """The code of the country ``value`` names as a whole, or None.

    Stricter than ``country_code``: a city or region ("Moscow", "Delaware") is not a country
    here, so a parser can tell "Passport 123 (Russia)" from "Folio 22839 (Jalisco)".
    """
    text = clean(value)
    if text is None:
        return None
    alias = COUNTRY_ALIASES.get(text.lower())
    if alias is not None:
        return alias
    territory = lookup_territory(text)
    if territory is None or "-" in territory.code:
        return None
    return str(territory.ftm_country or territory.code)


@lru_cache(maxsize=1)
def _alpha3_codes() -> dict[str, str]:
    # Supranational entries have alpha-3 codes of rigour's own (Cyberspace is "CYB").
    return {
        str(t.alpha3).upper(): str(t.ftm_country or t.code)
        for t in get_territories()
        if t.alpha3 and t.region != "Supranational"
    }


def country_alpha3(code: str | None) -> str | None:
    """The territory code for an ISO 3166-1 alpha-3 code ("UKR" -> ``ua``), or None.

    Exact, unlike ``country_code``, which reads a three-letter word as a name if it can (the
    EU's "CYB" cyber-attacks regime is no country).
    """
    text = clean(code)
    if text is None or len(text) != 3:
        return None
    return _alpha3_codes().get(text.upper())


def country_codes(values: list[str | None] | tuple[str | None, ...]) -> list[str]:
    out: list[str] = []
    for value in values:
        code = country_code(value)
        if code and code not in out:
            out.append(code)
    return out


# ---- dates ----------------------------------------------------------------------------------

_MONTHS: Final = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
_CIRCA = re.compile(r"^(circa|approximately|approx\.?|about|around|ca\.?|c\.)\s*", re.I)
_YEARS = re.compile(r"^(\d{4})\s*(?:to|-|–|/)\s*(\d{4})$")
_BETWEEN = re.compile(r"^between\s+(.+?)\s+and\s+(.+)$", re.I)
_SPAN = re.compile(r"^(.+?)\s+(?:to|until|till|-|–|—)\s+(.+)$", re.I)
# ISO dates, also with a time and zone (``2000-01-01T00:00``, ``2016-11-30-05:00``).
_ISO = re.compile(
    r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?)?$"
)
# Numeric day-month-year with ``.``, ``/`` or ``-``; ``dd``/``mm`` (and ``00``) for unknown parts.
_DMY_NUM = re.compile(r"^(\d{1,2}|dd)([./-])(\d{1,2}|mm)\2(\d{4})$", re.I)
_MY_NUM = re.compile(r"^(\d{1,2}|mm)[./-](\d{4})$", re.I)
_DMY_TEXT = re.compile(
    r"^(?:(\d{1,2})(?:st|nd|rd|th)?[\s./-]+)?([A-Za-z]{3,9})\.?[\s./,-]+(\d{4})$", re.I
)
_MDY_TEXT = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$", re.I)


class _Day(NamedTuple):
    year: int
    month: int | None
    day: int | None


def _valid(year: int, month: int | None, day: int | None) -> bool:
    if not 1000 <= year <= 2100:
        return False
    if month is not None and not 1 <= month <= 12:
        return False
    return day is None or 1 <= day <= 31


def _number(text: str) -> int | None:
    """A numeric date part; ``dd``, ``mm`` and ``00`` are an unknown part."""
    return int(text) or None if text.isdigit() else None


def _day(year: int, month: int | None, day: int | None) -> _Day | None:
    if not _valid(year, month, day):
        return None
    return _Day(year, month, day if month else None)


def _one_date(value: str, month_first: bool) -> _Day | None:
    """One date written in any of the notations publishers use, at its own precision."""
    if m := _ISO.match(value):
        month = int(m.group(2)) or None if m.group(2) else None
        day = int(m.group(3)) or None if m.group(3) else None
        return _day(int(m.group(1)), month, day)
    if m := _DMY_NUM.match(value):
        first, second = _number(m.group(1)), _number(m.group(3))
        day, month = (second, first) if month_first else (first, second)
        return _day(int(m.group(4)), month, day)
    if m := _MY_NUM.match(value):
        return _day(int(m.group(2)), _number(m.group(1)), None)
    if m := _DMY_TEXT.match(value):
        month = _MONTHS.get(m.group(2).lower())
        if month is None:
            return None
        return _day(int(m.group(3)), month, int(m.group(1)) if m.group(1) else None)
    if m := _MDY_TEXT.match(value):
        month = _MONTHS.get(m.group(1).lower())
        if month is None:
            return None
        return _day(int(m.group(3)), month, int(m.group(2)))
    return None


def _span(left: str, right: str, month_first: bool) -> _Day | tuple[int, int] | None:
    """A date between two others, at the precision both ends share.

    ``01 Jan 1961 to 31 Dec 1963`` is the years 1961 to 1963, ``01 Feb 1960 to 29 Feb 1960``
    the month February 1960, ``between Aug. and Sep. 1977`` the year 1977 (the left end may
    leave its year to the right one).
    """
    end = _one_date(right.strip(" .,"), month_first)
    if end is None:
        return None
    left = left.strip(" .,")
    start = _one_date(left, month_first) or _one_date(f"{left} {end.year}", month_first)
    if start is None:
        return None
    if (start.year, start.month or 0, start.day or 0) > (end.year, end.month or 13, end.day or 32):
        return None
    if start.year != end.year:
        return start.year, end.year
    if start.month != end.month or start.month is None:
        return _Day(start.year, None, None)
    if start.day != end.day:
        return _Day(start.year, start.month, None)
    return start


@lru_cache(maxsize=16384)
def _parse(raw: str, circa: bool, month_first: bool) -> BirthDate:
    value = raw
    m = _CIRCA.match(value)
    if m:
        circa = True
        value = value[m.end() :]
    value = value.strip().rstrip(".").strip()
    found: _Day | tuple[int, int] | None = None
    if m := _YEARS.match(value):
        start, end = int(m.group(1)), int(m.group(2))
        if _valid(start, None, None) and _valid(end, None, None) and end >= start:
            found = (start, end) if end > start else _Day(start, None, None)
    if found is None:
        found = _one_date(value, month_first)
    if found is None and (m := _BETWEEN.match(value) or _SPAN.match(value)):
        found = _span(m.group(1), m.group(2), month_first)
    if isinstance(found, _Day):
        return BirthDate(text=raw, year=found.year, month=found.month, day=found.day, circa=circa)
    if found is not None:
        return BirthDate(text=raw, year=found[0], year_to=found[1], circa=circa)
    return BirthDate(text=raw, circa=circa)


def parse_birth_date(
    text: str | None, *, circa: bool = False, month_first: bool = False
) -> BirthDate | None:
    """Parse the birth-date notations publishers use.

    Handles ISO dates (``1952-10-07``, ``1952-10``, ``1962``, also with a time and zone:
    ``2000-01-01T00:00``), ``07 Oct 1952``, ``07-Oct-1952``, ``Oct 1952``, ``October 7, 1952``,
    numeric day-first dates with ``/``, ``.`` or ``-`` (``07/10/1952``, ``07-10-1952``) where
    unknown parts are ``00`` or ``dd``/``mm`` (``00/00/1980``, ``dd/mm/1945``), ``05/1973``,
    ``circa 1960``, year ranges (``1960 to 1962``) and ranges of dates, which keep the
    precision both ends share (``01 Jan 1961 to 31 Dec 1962`` is 1961 to 1962, ``between
    Aug. and Sep. 1977`` is 1977). ``month_first`` reads numeric dates the US way
    (``05/07/2024`` is 7 May). The BirthDate keeps the publisher's own text; a value that is
    not a date at all gives a year-less BirthDate holding only the text, so nothing is
    silently lost. None only for empty input.
    """
    raw = clean(text)
    if raw is None:
        return None
    return _parse(raw, circa, month_first)


def parse_date(text: str | None, *, month_first: bool = False) -> str | None:
    """An ISO date string (at its own precision) for a listing or publication date."""
    bd = parse_birth_date(text, month_first=month_first)
    return bd.iso if bd else None


# ---- identifier types -----------------------------------------------------------------------

# Labels known exactly, lower case with trailing ``:``/``-`` dropped: OFAC's id types (its
# classic, advanced and enhanced files and the CSV remarks), FollowTheMoney property names,
# the EU's identificationTypeCode values, Senzing's and the UN's document types. A label not
# here goes to the keyword rules below.
_ID_LABELS: Final[dict[str, IdType]] = {
    # OFAC
    "passport": IdType.PASSPORT,
    "diplomatic passport": IdType.PASSPORT,
    "british national overseas passport": IdType.PASSPORT,
    "stateless person passport": IdType.PASSPORT,
    "travel document number": IdType.PASSPORT,
    "national id no.": IdType.NATIONAL_ID,
    "identification number": IdType.NATIONAL_ID,
    "personal id card": IdType.NATIONAL_ID,
    "national foreign id number": IdType.NATIONAL_ID,
    "cedula no.": IdType.NATIONAL_ID,
    "c.u.r.p.": IdType.NATIONAL_ID,
    "d.n.i.": IdType.NATIONAL_ID,
    "c.u.i.": IdType.NATIONAL_ID,  # Guatemala's personal identification code
    "c.u.i.p.": IdType.NATIONAL_ID,  # Mexico's police identification key
    "c.i.n.": IdType.NATIONAL_ID,
    "n.i.e.": IdType.NATIONAL_ID,  # Spain's foreigner identity number
    "i.f.e.": IdType.NATIONAL_ID,  # Mexico's voter card
    "credencial electoral": IdType.NATIONAL_ID,
    "electoral registry no.": IdType.NATIONAL_ID,
    "citizen's card number": IdType.NATIONAL_ID,
    "numero de identidad": IdType.NATIONAL_ID,
    "birth certificate number": IdType.NATIONAL_ID,
    "residency number": IdType.NATIONAL_ID,
    "refugee id card": IdType.NATIONAL_ID,
    "stateless person id card": IdType.NATIONAL_ID,
    "tazkira national id card": IdType.NATIONAL_ID,
    "turkish identification number": IdType.NATIONAL_ID,
    "kenyan id no.": IdType.NATIONAL_ID,
    "moroccan personal id no.": IdType.NATIONAL_ID,
    "bosnian personal id no.": IdType.NATIONAL_ID,
    "uae identification": IdType.NATIONAL_ID,
    "cnp (personal numerical code)": IdType.NATIONAL_ID,
    "cartilla de servicio militar nacional": IdType.NATIONAL_ID,
    "romanian permanent resident": IdType.NATIONAL_ID,
    "tax id no.": IdType.TAX_ID,
    "r.f.c.": IdType.TAX_ID,
    "rfc": IdType.TAX_ID,
    "nit #": IdType.TAX_ID,
    "ruc #": IdType.TAX_ID,
    "rif #": IdType.TAX_ID,  # Venezuela's tax register
    "rtn": IdType.TAX_ID,  # Honduras's tax register
    "c.u.i.t.": IdType.TAX_ID,
    "c.i.f.": IdType.TAX_ID,
    "n.i.f.": IdType.TAX_ID,
    "v.a.t. number": IdType.TAX_ID,
    "us fein": IdType.TAX_ID,
    "italian fiscal code": IdType.TAX_ID,
    "fiscal code": IdType.TAX_ID,
    "romanian tax registration": IdType.TAX_ID,
    "paraguayan tax identification number": IdType.TAX_ID,
    "numero unico de identificacao tributaria (nuit)": IdType.TAX_ID,
    "registration number": IdType.REGISTRATION,
    "registration id": IdType.REGISTRATION,
    "business registration number": IdType.REGISTRATION,
    "business registration document #": IdType.REGISTRATION,
    "business number": IdType.REGISTRATION,
    "company number": IdType.REGISTRATION,
    "uk company number": IdType.REGISTRATION,
    "commercial registry number": IdType.REGISTRATION,
    "chamber of commerce number": IdType.REGISTRATION,
    "istanbul chamber of comm. no.": IdType.REGISTRATION,
    "dubai chamber of commerce membership no.": IdType.REGISTRATION,
    "c.r. no.": IdType.REGISTRATION,  # commercial registration (Gulf states)
    "romanian c.r.": IdType.REGISTRATION,
    "d-u-n-s number": IdType.REGISTRATION,
    "unified social credit code (uscc)": IdType.REGISTRATION,
    "united social credit code certificate (usccc)": IdType.REGISTRATION,
    "central registration system number": IdType.REGISTRATION,
    "public registration number": IdType.REGISTRATION,
    "economic register number (cbls)": IdType.REGISTRATION,
    "folio mercantil no.": IdType.REGISTRATION,
    "matricula mercantil no": IdType.REGISTRATION,
    "matricula mercantil no.": IdType.REGISTRATION,
    "enterprise number": IdType.REGISTRATION,
    "certificate of incorporation number": IdType.REGISTRATION,
    "registered charity no.": IdType.REGISTRATION,
    "trade license no.": IdType.REGISTRATION,
    "le number": IdType.REGISTRATION,
    "organization code": IdType.REGISTRATION,
    "branch unit number": IdType.REGISTRATION,
    "registration certificate number (dubai)": IdType.REGISTRATION,
    "msb registration number": IdType.REGISTRATION,
    # The company code of a state register (Russia's OKPO, Bulgaria's EIK...), not a gazette.
    "government gazette number": IdType.REGISTRATION,
    "russian state individual business registration number pattern (ogrnip)": (IdType.REGISTRATION),
    "legal entity number": IdType.LEI,
    "swift/bic": IdType.SWIFT_BIC,
    "vessel registration identification": IdType.IMO,
    "mmsi": IdType.MMSI,
    "driver's license no.": IdType.DRIVING_LICENCE,
    "ssn": IdType.SOCIAL_SECURITY,
    "aircraft tail number": IdType.AIRCRAFT,
    "previous aircraft tail number": IdType.AIRCRAFT,
    "aircraft manufacturer's serial number (msn)": IdType.AIRCRAFT,
    "aircraft serial identification": IdType.AIRCRAFT,
    "aircraft construction number (also called l/n or s/n or f/n)": IdType.AIRCRAFT,
    # Known, and deliberately no type of their own: securities, bank and trade codes, permits.
    "isin": IdType.OTHER,
    "bik (ru)": IdType.OTHER,
    "micex code": IdType.OTHER,
    "chinese commercial code": IdType.OTHER,  # the telegraph code of a Chinese name
    "license": IdType.OTHER,
    "permit number": IdType.OTHER,
    "sre permit no.": IdType.OTHER,
    "pilot license number": IdType.OTHER,
    "tourism license no.": IdType.OTHER,
    "afghan money service provider license number": IdType.OTHER,
    "trademark number": IdType.OTHER,
    "file number": IdType.OTHER,
    "serial no.": IdType.OTHER,
    "immigration no.": IdType.OTHER,
    "public security and immigration no.": IdType.OTHER,
    "visanumberid": IdType.OTHER,
    "seafarer's identification document": IdType.OTHER,
    "military registration number": IdType.OTHER,
    "other identification number": IdType.OTHER,
    "other id": IdType.OTHER,
    "other": IdType.OTHER,
    # FollowTheMoney properties
    "passportnumber": IdType.PASSPORT,
    "idnumber": IdType.NATIONAL_ID,
    "socialsecuritynumber": IdType.SOCIAL_SECURITY,
    "taxnumber": IdType.TAX_ID,
    "inncode": IdType.TAX_ID,
    "vatcode": IdType.TAX_ID,
    "irscode": IdType.TAX_ID,
    "registrationnumber": IdType.REGISTRATION,
    "ogrncode": IdType.REGISTRATION,
    "okpocode": IdType.REGISTRATION,
    "usccode": IdType.REGISTRATION,
    "dunscode": IdType.REGISTRATION,
    "uniqueentityid": IdType.REGISTRATION,
    "imonumber": IdType.IMO,
    "leicode": IdType.LEI,
    "swiftbic": IdType.SWIFT_BIC,
    "serialnumber": IdType.AIRCRAFT,
    "icaocode": IdType.AIRCRAFT,
    "licensenumber": IdType.OTHER,
    "npicode": IdType.OTHER,
    "bvdid": IdType.OTHER,
    "permid": IdType.OTHER,
    "kppcode": IdType.OTHER,
    "cagecode": IdType.OTHER,
    "isincode": IdType.OTHER,
    "riccode": IdType.OTHER,
    "bikcode": IdType.OTHER,
    "ticker": IdType.OTHER,
    # EU identificationTypeCode values
    "id": IdType.NATIONAL_ID,
    "regnumber": IdType.REGISTRATION,
    "fiscalcode": IdType.TAX_ID,
    "tradelic": IdType.REGISTRATION,
    "drivinglicence": IdType.DRIVING_LICENCE,
    "imo": IdType.IMO,
}

# Keyword rules for other labels, first match wins: the specific kinds (wallet, vessel,
# bank, aircraft), then tax before the identity documents ("Tax Identification Number" is a
# tax id, not an identity card), travel documents, identity cards, registers, and other
# identity documents last.
_ID_RULES: Final[tuple[tuple[re.Pattern[str], IdType], ...]] = tuple(
    (re.compile(pattern), kind)
    for pattern, kind in (
        (r"digital currency|crypto|wallet", IdType.CRYPTO_WALLET),
        (r"\bimo\b|vessel registration|international maritime", IdType.IMO),
        (r"\bmmsi\b", IdType.MMSI),
        (r"legal entity (?:number|identifier)|\blei\b", IdType.LEI),
        (r"\bswift\b|\bbic\b", IdType.SWIFT_BIC),
        (r"aircraft|tail number", IdType.AIRCRAFT),
        (
            r"\btax|fiscal|tribut|employer identification|\btin\b|\binn\b|\bунн\b|\bинн\b"
            r"|\bv\.?a\.?t\b|\bfein\b"
            r"|\br\.?f\.?c\b|\bnit\b|\bruc\b|\brif\b|\bc\.?u\.?i\.?t\b|\bn\.?i\.?f\b|\bunp\b",
            IdType.TAX_ID,
        ),
        (r"passport|passeport|pasaporte|passaporto|travel document|laissez", IdType.PASSPORT),
        (r"driver|driving", IdType.DRIVING_LICENCE),
        (r"social security|\bssn\b|\bsnils\b", IdType.SOCIAL_SECURITY),
        # Identity documents named as such, before the registers: "National Identification
        # Card. Issued by National Registration Department".
        (r"national id|identi(?:ty|fication) card|\bid card|personal id", IdType.NATIONAL_ID),
        (
            r"regist|chamber of comm|compan(?:y|ies)|commercial|incorporation|enterprise"
            r"|business (?:number|id)|\bogrn|\buscc?\b|social credit|d-u-n-s|\bduns\b"
            r"|\bokpo\b|\bbin\b|\bbrn\b|\bcrn\b|\bc\.?r\.?(?: no\.?| number)?$|\buen\b"
            r"|trade licen|mercantil",
            IdType.REGISTRATION,
        ),
        (
            r"\bnation|\bidenti|\bid\b|cedula|cédula|\bc\.?u\.?r\.?p\b|\bd\.?n\.?i\b"
            r"|personal (?:id|number|code)|citizen|tazkira|residen|birth certificate"
            r"|electoral|voter|ration card",
            IdType.NATIONAL_ID,
        ),
    )
)
_LABEL_TAIL_CHARS = ":-–"


def _strip_label_tail(text: str) -> str:
    """``text`` without trailing whitespace, colons and dashes ("Passport No.: " ->
    "Passport No."), in one pass from the end (a regular expression anchored at the end
    retries from every separator of a long run: quadratic on hostile labels)."""
    end = len(text)
    while end and (text[end - 1].isspace() or text[end - 1] in _LABEL_TAIL_CHARS):
        end -= 1
    return text[:end]


@lru_cache(maxsize=4096)
def id_type(label: str | None) -> IdType:
    """The identifier type for a publisher's label ("Passport", "Tax ID No.", "innCode", ...).

    Labels the vocabularies name exactly come first; others by keyword. Labels known to
    name no identifier type of the model (ISIN, BIK, permits) are ``other``, and the caller
    keeps the label on the Identifier so nothing of the publisher's meaning is lost.
    """
    text = _strip_label_tail((clean(label) or "").lower())
    if not text:
        return IdType.OTHER
    known = _ID_LABELS.get(text)
    if known is not None:
        return known
    for rule, kind in _ID_RULES:
        if rule.search(text):
            return kind
    return IdType.OTHER


def parse_gender(value: str | None) -> str | None:
    text = (clean(value) or "").lower()
    if text in ("m", "male", "man"):
        return "male"
    if text in ("f", "female", "woman"):
        return "female"
    return None
