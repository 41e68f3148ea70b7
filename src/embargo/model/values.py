"""Turning publishers' free-text values into model values.

Every parser cleans names, countries, birth dates and identifier types with these functions so
that "Russia", "RUSSIAN FEDERATION" and "ru" all become ``ru`` no matter which list said it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rigour.territories import lookup_territory
from rigour.text.scripts import text_scripts

from embargo.model.entity import BirthDate, IdType, Name, NameKind

_SPACE = re.compile(r"\s+")

# ISO 15924 codes for the scripts rigour names.
_SCRIPT_CODES = {
    "Latin": "Latn",
    "Cyrillic": "Cyrl",
    "Greek": "Grek",
    "Arabic": "Arab",
    "Hebrew": "Hebr",
    "Han": "Hani",
    "Hiragana": "Jpan",
    "Katakana": "Jpan",
    "Hangul": "Hang",
    "Thai": "Thai",
    "Khmer": "Khmr",
    "Armenian": "Armn",
    "Georgian": "Geor",
    "Devanagari": "Deva",
    "Myanmar": "Mymr",
    "Ethiopic": "Ethi",
    "Tamil": "Taml",
    "Bengali": "Beng",
    "Lao": "Laoo",
    "Tibetan": "Tibt",
    "Mongolian": "Mong",
}


def clean(value: str | None) -> str | None:
    """Strip, collapse inner whitespace and drop publishers' empty markers."""
    if value is None:
        return None
    value = _SPACE.sub(" ", unicodedata.normalize("NFC", value)).strip()
    if not value or value in {"-0-", "-", "N/A", "n/a", "NULL", "null", "None", "none"}:
        return None
    return value


def script_of(text: str) -> str | None:
    """The ISO 15924 code of the one non-Latin script a name is written in, if any."""
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
) -> Name | None:
    """Build a name, deriving the full form from its parts when the source gives only parts.

    A name in a non-Latin script is marked with its script; a primary or strong-alias name in
    a non-Latin script is recorded as ``original-script`` so a reader can tell it apart.
    """
    first, middle, last, patronymic = clean(first), clean(middle), clean(last), clean(patronymic)
    text = clean(full)
    if text is None:
        text = clean(" ".join(p for p in (first, middle, patronymic, last) if p))
    if text is None:
        return None
    script = script_of(text)
    if script is not None and kind in (NameKind.PRIMARY, NameKind.ALIAS):
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


@lru_cache(maxsize=4096)
def country_code(value: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code (lower case) for a country name or code, or None if unknown."""
    value = clean(value)
    if value is None:
        return None
    territory = lookup_territory(value)
    if territory is None:
        # "Moscow, Russia" and "Russia (as of 2019)": try the parts.
        for part in re.split(r"[,;()/]", value):
            part = part.strip()
            if part and part != value:
                territory = lookup_territory(part)
                if territory is not None:
                    break
    if territory is None:
        return None
    return str(territory.code)


def country_codes(values: list[str | None] | tuple[str | None, ...]) -> list[str]:
    out: list[str] = []
    for value in values:
        code = country_code(value)
        if code and code not in out:
            out.append(code)
    return out


_MONTHS = {
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
_CIRCA = re.compile(r"^(circa|ca\.?|c\.|approx\.?|approximately|about|around)\s*", re.I)
_RANGE = re.compile(r"^(\d{4})\s*(?:to|-|–|/)\s*(\d{4})$")
_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_DMY_NUM = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")
_DMY_TEXT = re.compile(r"^(?:(\d{1,2})\s+)?([A-Za-z]{3,9})\.?\s+(\d{4})$")


def _valid(year: int, month: int | None, day: int | None) -> bool:
    if not 1000 <= year <= 2100:
        return False
    if month is not None and not 1 <= month <= 12:
        return False
    return day is None or 1 <= day <= 31


def parse_birth_date(
    text: str | None, *, circa: bool = False, month_first: bool = False
) -> BirthDate | None:
    """Parse the birth-date notations publishers use.

    Handles ``1952-10-07``, ``07 Oct 1952``, ``Oct 1952``, ``1962``, ``circa 1960``,
    ``1960 to 1962``, ``07/10/1952`` (day first, as European and UK lists write it) and
    ``00/00/1980`` (UK: unknown parts written as zero); ``month_first`` reads numeric dates
    the US way (``05/07/2024`` is 7 May). Returns a year-less ``BirthDate``
    holding only the text when the value is not a date at all, so nothing is silently lost;
    None only for empty input.
    """
    raw = clean(text)
    if raw is None:
        return None
    value = raw
    m = _CIRCA.match(value)
    if m:
        circa = True
        value = value[m.end() :]
    value = value.strip().rstrip(".")
    if m := _RANGE.match(value):
        start, end = int(m.group(1)), int(m.group(2))
        if _valid(start, None, None) and _valid(end, None, None) and end >= start:
            return BirthDate(text=raw, year=start, year_to=end, circa=circa)
    if m := _ISO.match(value):
        year = int(m.group(1))
        month = int(m.group(2)) if m.group(2) else None
        day = int(m.group(3)) if m.group(3) else None
        month, day = month or None, day or None
        if _valid(year, month, day):
            return BirthDate(
                text=raw, year=year, month=month, day=day if month else None, circa=circa
            )
    if m := _DMY_NUM.match(value):
        day_i, month_i, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if month_first:
            day_i, month_i = month_i, day_i
        month = month_i or None
        day = day_i or None
        if year and _valid(year, month, day):
            return BirthDate(
                text=raw, year=year, month=month, day=day if month else None, circa=circa
            )
    if m := _DMY_TEXT.match(value):
        month = _MONTHS.get(m.group(2).lower())
        year = int(m.group(3))
        day = int(m.group(1)) if m.group(1) else None
        if month and _valid(year, month, day):
            return BirthDate(text=raw, year=year, month=month, day=day, circa=circa)
    return BirthDate(text=raw, circa=circa)


def parse_date(text: str | None, *, month_first: bool = False) -> str | None:
    """An ISO date string (at its own precision) for a listing or publication date."""
    bd = parse_birth_date(text, month_first=month_first)
    return bd.iso if bd else None


# Publisher labels for identifier types, matched on lower-cased substrings, first match wins.
_ID_RULES: tuple[tuple[str, IdType], ...] = (
    ("digital currency address", IdType.CRYPTO_WALLET),
    ("crypto", IdType.CRYPTO_WALLET),
    ("wallet", IdType.CRYPTO_WALLET),
    ("imo", IdType.IMO),
    ("vessel registration identification", IdType.IMO),
    ("mmsi", IdType.MMSI),
    ("legal entity number", IdType.LEI),
    ("lei", IdType.LEI),
    ("swift", IdType.SWIFT_BIC),
    ("bic", IdType.SWIFT_BIC),
    ("passport", IdType.PASSPORT),
    ("national id", IdType.NATIONAL_ID),
    ("national identification", IdType.NATIONAL_ID),
    ("identification number", IdType.NATIONAL_ID),
    ("cedula", IdType.NATIONAL_ID),
    ("cédula", IdType.NATIONAL_ID),
    ("c.u.r.p", IdType.NATIONAL_ID),
    ("curp", IdType.NATIONAL_ID),
    ("personal id", IdType.NATIONAL_ID),
    ("identity card", IdType.NATIONAL_ID),
    ("id card", IdType.NATIONAL_ID),
    ("tax", IdType.TAX_ID),
    ("inn", IdType.TAX_ID),
    ("fiscal", IdType.TAX_ID),
    ("v.a.t", IdType.TAX_ID),
    ("vat", IdType.TAX_ID),
    ("r.f.c", IdType.TAX_ID),
    ("rfc", IdType.TAX_ID),
    ("nit", IdType.TAX_ID),
    ("ruc", IdType.TAX_ID),
    ("ssn", IdType.SOCIAL_SECURITY),
    ("social security", IdType.SOCIAL_SECURITY),
    ("driver", IdType.DRIVING_LICENCE),
    ("aircraft", IdType.AIRCRAFT),
    ("registration", IdType.REGISTRATION),
    ("regnumber", IdType.REGISTRATION),
    ("ogrn", IdType.REGISTRATION),
    ("uscc", IdType.REGISTRATION),
    ("unified social credit", IdType.REGISTRATION),
    ("business number", IdType.REGISTRATION),
    ("company number", IdType.REGISTRATION),
    ("commercial registry", IdType.REGISTRATION),
    ("chamber of commerce", IdType.REGISTRATION),
    ("d-u-n-s", IdType.REGISTRATION),
    ("national id", IdType.NATIONAL_ID),
    ("id", IdType.NATIONAL_ID),
)


@lru_cache(maxsize=2048)
def id_type(label: str | None) -> IdType:
    """The identifier type for a publisher's label ("Passport", "Tax ID No.", "imo", ...)."""
    text = (clean(label) or "").lower()
    if not text:
        return IdType.OTHER
    words = set(re.findall(r"[a-z0-9.]+", text))
    for needle, kind in _ID_RULES:
        if (" " in needle or "." in needle or "-" in needle or len(needle) > 4) and needle in text:
            return kind
        if needle in words:
            return kind
    return IdType.OTHER


def parse_gender(value: str | None) -> str | None:
    text = (clean(value) or "").lower()
    if text in ("m", "male", "man"):
        return "male"
    if text in ("f", "female", "woman"):
        return "female"
    return None
