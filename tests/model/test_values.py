"""The shared value helpers: dates, identifier types, countries, names and their scripts."""

from __future__ import annotations

import subprocess
import sys

import pytest

from embargo.model import Address, Entity, IdType, NameKind, Schema
from embargo.model.values import (
    COUNTRY_ALIASES,
    clean,
    country_alpha3,
    country_code,
    country_named,
    id_type,
    make_name,
    mark_original_scripts,
    own_script,
    parse_birth_date,
    parse_date,
    script_of,
)
from embargo.sources.ftm import ID_PROPS

# ---- dates ----------------------------------------------------------------------------------

# (text, month_first, (year, month, day, year_to, circa))
BIRTH_DATES = [
    # ISO, also with a time and a zone
    ("1952-10-07", False, (1952, 10, 7, None, False)),
    ("1952-10", False, (1952, 10, None, None, False)),
    ("1962", False, (1962, None, None, None, False)),
    ("2000-01-01T00:00", False, (2000, 1, 1, None, False)),
    ("2024-05-13T17:44:28.283+02:00", False, (2024, 5, 13, None, False)),
    ("2026-02-27T00:00:09.554Z", False, (2026, 2, 27, None, False)),
    ("2016-11-30-05:00", False, (2016, 11, 30, None, False)),  # UN LISTED_ON with a zone
    # day first, with /, . or -
    ("07/10/1952", False, (1952, 10, 7, None, False)),
    ("07.10.1952", False, (1952, 10, 7, None, False)),
    ("25-02-2022", False, (2022, 2, 25, None, False)),  # FCDO
    ("05/07/2024", True, (2024, 5, 7, None, False)),  # OFAC writes month first
    # unknown parts: 00 (OFSI) and dd/mm (FCDO)
    ("00/00/1980", False, (1980, None, None, None, False)),
    ("00/05/1980", False, (1980, 5, None, None, False)),
    ("dd/mm/1945", False, (1945, None, None, None, False)),
    ("dd/03/1945", False, (1945, 3, None, None, False)),
    ("05/1973", False, (1973, 5, None, None, False)),
    ("mm/1973", False, (1973, None, None, None, False)),
    # month names
    ("07 Oct 1952", False, (1952, 10, 7, None, False)),
    ("07-Oct-1952", False, (1952, 10, 7, None, False)),
    ("25-Feb-2022", False, (2022, 2, 25, None, False)),
    ("Oct 1952", False, (1952, 10, None, None, False)),
    ("Sept. 1960", False, (1960, 9, None, None, False)),
    ("October 7, 1952", False, (1952, 10, 7, None, False)),
    # approximate
    ("circa 1960", False, (1960, None, None, None, True)),
    ("approximately 1958-1960", False, (1958, None, None, 1960, True)),
    ("approx. 1960", False, (1960, None, None, None, True)),
    ("ca. 1960", False, (1960, None, None, None, True)),
    # ranges: of years, and of dates at the precision both ends share
    ("1960 to 1962", False, (1960, None, None, 1962, False)),
    ("1960-1962", False, (1960, None, None, 1962, False)),
    ("1962 to 1962", False, (1962, None, None, None, False)),
    ("01 Jan 1961 to 31 Dec 1962", False, (1961, None, None, 1962, False)),
    ("01 Jan 1973 to 31 Dec 1973", False, (1973, None, None, None, False)),
    ("01 Feb 1960 to 29 Feb 1960", False, (1960, 2, None, None, False)),
    ("26 Sep 1946 to 07 Dec 1946", False, (1946, None, None, None, False)),
    ("Mar 1965 to Mar 1966", False, (1965, None, None, 1966, False)),
    ("05 May 1970 to 05 May 1970", False, (1970, 5, 5, None, False)),
    ("Between Aug. and Sep. 1977", False, (1977, None, None, None, False)),
    ("1958 - 1964", False, (1958, None, None, 1964, False)),
    # not dates: kept as text only
    ("1958 - 196", False, (None, None, None, None, False)),
    ("31 Dec 1963 to 01 Jan 1961", False, (None, None, None, None, False)),
    ("30-35 years old", False, (None, None, None, None, False)),
    ("24/06/1402 (Hijri Calendar)", False, (None, None, None, None, False)),
    ("32/13/1980", False, (None, None, None, None, False)),
    ("0000-00-00", False, (None, None, None, None, False)),
]


@pytest.mark.parametrize(("text", "month_first", "expected"), BIRTH_DATES)
def test_parse_birth_date(
    text: str,
    month_first: bool,
    expected: tuple[int | None, int | None, int | None, int | None, bool],
) -> None:
    bd = parse_birth_date(text, month_first=month_first)
    assert bd is not None
    assert (bd.year, bd.month, bd.day, bd.year_to, bd.circa) == expected
    assert bd.text == text  # the publisher's wording is kept


@pytest.mark.parametrize("text", [None, "", "  ", "-0-", "N/A"])
def test_parse_birth_date_empty(text: str | None) -> None:
    assert parse_birth_date(text) is None


def test_parse_birth_date_circa_flag_and_cleaning() -> None:
    bd = parse_birth_date("  1961 ", circa=True)
    assert bd is not None and (bd.text, bd.year, bd.circa) == ("1961", 1961, True)
    assert list(bd.years) == [1960, 1961, 1962]


@pytest.mark.parametrize(
    ("text", "month_first", "iso"),
    [
        ("05/07/2024", True, "2024-05-07"),
        ("2024-05-13T17:44:28.283+02:00", False, "2024-05-13"),
        ("25-Feb-2022", False, "2022-02-25"),
        ("01 Jan 1961 to 31 Dec 1962", False, "1961"),
        ("not a date", False, None),
        (None, False, None),
    ],
)
def test_parse_date(text: str | None, month_first: bool, iso: str | None) -> None:
    assert parse_date(text, month_first=month_first) == iso


# ---- identifier types -----------------------------------------------------------------------

ID_TYPES = [
    # reported: "identification number" no longer wins over "tax", "other" stays other
    ("Tax Identification Number", IdType.TAX_ID),
    ("Taxpayer Identification Number", IdType.TAX_ID),
    ("Employer Identification Number", IdType.TAX_ID),
    ("Other identification number", IdType.OTHER),
    ("Other ID", IdType.OTHER),
    # reported: not recognised before
    ("Numéro de passeport", IdType.PASSPORT),
    ("Número de pasaporte", IdType.PASSPORT),
    ("TIN", IdType.TAX_ID),
    ("Russia TIN", IdType.TAX_ID),
    ("(УНН/ИНН)", IdType.TAX_ID),
    ("C.R. No.", IdType.REGISTRATION),
    ("C.U.I.T.", IdType.TAX_ID),
    ("RIF #", IdType.TAX_ID),
    ("I.F.E.", IdType.NATIONAL_ID),
    ("Credencial electoral", IdType.NATIONAL_ID),
    ("Residency Number", IdType.NATIONAL_ID),
    ("Travel Document Number", IdType.PASSPORT),
    ("Temporary Travel Document", IdType.PASSPORT),
    ("Birth Certificate Number", IdType.NATIONAL_ID),
    ("ISIN", IdType.OTHER),  # a securities code: no type of its own, the label says it
    ("BIK (RU)", IdType.OTHER),  # a Russian bank code, not a SWIFT BIC
    # OFAC's vocabulary
    ("Passport", IdType.PASSPORT),
    ("Diplomatic Passport", IdType.PASSPORT),
    ("National ID No.", IdType.NATIONAL_ID),
    ("Identification Number", IdType.NATIONAL_ID),
    ("Cedula No.", IdType.NATIONAL_ID),
    ("C.U.R.P.", IdType.NATIONAL_ID),
    ("D.N.I.", IdType.NATIONAL_ID),
    ("Tax ID No.", IdType.TAX_ID),
    ("R.F.C.", IdType.TAX_ID),
    ("NIT #", IdType.TAX_ID),
    ("V.A.T. Number", IdType.TAX_ID),
    ("US FEIN", IdType.TAX_ID),
    ("Italian Fiscal Code:", IdType.TAX_ID),
    ("Registration Number", IdType.REGISTRATION),
    ("Registration ID", IdType.REGISTRATION),
    ("Folio Mercantil No.", IdType.REGISTRATION),
    ("Unified Social Credit Code (USCC)", IdType.REGISTRATION),
    ("Government Gazette Number", IdType.REGISTRATION),
    ("Trade License No.", IdType.REGISTRATION),
    ("D-U-N-S Number", IdType.REGISTRATION),
    ("Legal Entity Number", IdType.LEI),
    ("Legal Entity Identifier", IdType.LEI),
    ("SWIFT/BIC", IdType.SWIFT_BIC),
    ("Vessel Registration Identification", IdType.IMO),
    ("International Maritime Organization No.", IdType.IMO),
    ("IMO number", IdType.IMO),
    ("MMSI", IdType.MMSI),
    ("Digital Currency Address - XBT", IdType.CRYPTO_WALLET),
    ("Aircraft Tail Number", IdType.AIRCRAFT),
    ("Driver's License No.", IdType.DRIVING_LICENCE),
    ("SSN", IdType.SOCIAL_SECURITY),
    ("United States Social Security Number:", IdType.SOCIAL_SECURITY),
    # FollowTheMoney property names
    ("innCode", IdType.TAX_ID),
    ("ogrnCode", IdType.REGISTRATION),
    ("imoNumber", IdType.IMO),
    ("leiCode", IdType.LEI),
    ("swiftBic", IdType.SWIFT_BIC),
    ("passportNumber", IdType.PASSPORT),
    ("taxNumber", IdType.TAX_ID),
    ("registrationNumber", IdType.REGISTRATION),
    ("isinCode", IdType.OTHER),
    # the EU's identificationTypeCode values
    ("regnumber", IdType.REGISTRATION),
    ("fiscalcode", IdType.TAX_ID),
    ("id", IdType.NATIONAL_ID),
    # keywords in longer labels and notes
    ("Malaysia National Identification Card. Issued by National Registration Department", (
        IdType.NATIONAL_ID
    )),
    ("Taxpayer National Identification Number", IdType.TAX_ID),
    ("USA driving licence, expiry date 15 March 2016", IdType.DRIVING_LICENCE),
    ("OKPO", IdType.REGISTRATION),
    ("Kazakhstan BIN", IdType.REGISTRATION),
    ("Certificate of Iraqi Nationality", IdType.NATIONAL_ID),
    ("International Code", IdType.OTHER),  # "international" is not "national"
    ("Municipal Licence", IdType.OTHER),
    (None, IdType.OTHER),
    ("", IdType.OTHER),
]  # fmt: skip


@pytest.mark.parametrize(("label", "kind"), ID_TYPES)
def test_id_type(label: str | None, kind: IdType) -> None:
    assert id_type(label) is kind


def test_ftm_identifier_properties_are_typed_by_id_type() -> None:
    # The FtM importer reads these properties as identifiers of these types.
    assert ID_PROPS["innCode"] is IdType.TAX_ID
    assert ID_PROPS["ogrnCode"] is IdType.REGISTRATION
    assert ID_PROPS["serialNumber"] is IdType.AIRCRAFT
    assert all(kind is id_type(prop) for prop, kind in ID_PROPS.items())


# ---- countries ------------------------------------------------------------------------------

COUNTRIES = [
    ("Russia", "ru"),
    ("RUSSIAN FEDERATION", "ru"),
    ("ru", "ru"),
    ("Moscow, Russia", "ru"),
    ("Russia (as of 2019)", "ru"),
    # cities and regions resolve to their country
    ("Moscow", "ru"),
    ("Beijing", "cn"),
    ("England", "gb"),
    # former states keep their ISO 3166-3 codes: a Soviet birthplace is not Russia
    ("Soviet Union", "suhh"),
    ("USSR", "suhh"),
    ("Yugoslavia", "yucs"),
    ("Czechoslovakia", "cshh"),
    ("Serbia and Montenegro", "csxx"),
    # territories sanctions programmes treat apart keep theirs
    ("Crimea", "ua-cri"),
    ("Sevastopol", "ua-cri"),
    ("Donetsk", "ua-dpr"),
    ("Abkhazia", "ge-ab"),
    ("Kosovo", "xk"),
    ("Hong Kong", "hk"),
    # names the territory lookup misses
    ("Occupied Palestinian Territories", "ps"),
    ("Occupied Palestinian Territory", "ps"),
    ("Bosnia-Herzegovina", "ba"),
    ("Repubic of Moldova", "md"),
    ("Gaza, Occupied Palestinian Territories", "ps"),
    # not a country
    ("None Identified", None),
    ("115088", None),
    (None, None),
    ("", None),
]


@pytest.mark.parametrize(("value", "code"), COUNTRIES)
def test_country_code(value: str | None, code: str | None) -> None:
    assert country_code(value) == code


def test_country_aliases_are_lower_case_and_resolve_to_codes() -> None:
    assert all(k == k.lower() and len(v) == 2 for k, v in COUNTRY_ALIASES.items())


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Russia", "ru"),
        ("Occupied Palestinian Territory", "ps"),
        ("Moscow", None),  # a city, not the country
        ("Jalisco", None),
        ("Delaware", None),
        (None, None),
    ],
)
def test_country_named(value: str | None, code: str | None) -> None:
    assert country_named(value) == code


@pytest.mark.parametrize(
    ("value", "code"),
    [("UKR", "ua"), ("PRK", "kp"), ("blr", "by"), ("CYB", None), ("TAQA", None), ("HR", None)],
)
def test_country_alpha3(value: str, code: str | None) -> None:
    assert country_alpha3(value) == code


def test_nothing_builds_the_territory_index_at_import() -> None:
    """The first country lookup costs seconds (rigour builds its index); importing must not."""
    code = (
        "from embargo.sources.registry import formats; formats();"
        "import embargo, embargo.screening;"
        "from rigour.territories.territory import get_index;"
        "from rigour.territories import lookup;"
        "print(get_index.cache_info().currsize, lookup._get_territory_names.cache_info().currsize)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.split() == ["0", "0"]


# ---- names and scripts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("Vladimir PUTIN", None),
        ("Владимир Путин", "Cyrl"),
        ("محمد طاهر أنوري", "Arab"),
        ("金铁三", "Hani"),
        ("ザラ・アエロ", "Jpan"),
        ("렴영", "Hang"),
        ("Κρατική επιχείρηση", "Grek"),
        ("ශ්‍රී", "Sinh"),
        ("ਪੰਜਾਬੀ", "Guru"),
        ("Свободньιй", "Zyyy"),  # Cyrillic with a Greek letter: mixed
        ("AO Газпром", "Cyrl"),  # Latin beside one other script counts as that script
    ],
)
def test_script_of(text: str, script: str | None) -> None:
    assert script_of(text) == script


@pytest.mark.parametrize(
    ("kind", "original", "expected"),
    [
        (NameKind.ALIAS, True, NameKind.ORIGINAL_SCRIPT),
        (NameKind.ALIAS, None, NameKind.ALIAS),
        (NameKind.ALIAS, False, NameKind.ALIAS),
        (NameKind.PRIMARY, True, NameKind.PRIMARY),  # the primary name stays primary
        (NameKind.PRIMARY, None, NameKind.PRIMARY),
        (NameKind.WEAK, True, NameKind.WEAK),
        (NameKind.FORMER, True, NameKind.FORMER),
    ],
)
def test_make_name_original_script(
    kind: NameKind, original: bool | None, expected: NameKind
) -> None:
    name = make_name("Владимир Путин", kind, original_script=original)
    assert name is not None and name.kind is expected and name.script == "Cyrl"


def test_make_name_latin_is_never_original_script() -> None:
    name = make_name("Vladimir PUTIN", NameKind.ALIAS, original_script=True)
    assert name is not None and name.kind is NameKind.ALIAS and name.script is None


def test_make_name_from_parts_and_cleaning() -> None:
    name = make_name(None, first=" Vladimir ", patronymic="Vladimirovich", last="PUTIN", lang="ru")
    assert name is not None
    assert (name.full, name.first, name.last, name.lang) == (
        "Vladimir Vladimirovich PUTIN",
        "Vladimir",
        "PUTIN",
        "ru",
    )
    assert make_name("  ") is None and make_name(None) is None
    assert clean("a \t b") == "a b"


@pytest.mark.parametrize(
    ("script", "countries", "own"),
    [
        ("Cyrl", ["ru"], True),
        ("Cyrl", ["by", "pl"], True),
        ("Cyrl", ["de"], False),
        ("Cyrl", ["suhh"], True),  # a Soviet-era party
        ("Cyrl", ["ua-cri"], True),
        ("Grek", ["de"], False),  # a German name in the Greek edition of the EU list
        ("Grek", ["cy"], True),
        ("Arab", ["ir"], True),
        ("Arab", ["af"], True),
        ("Arab", ["ng"], False),
        ("Hani", ["kp"], False),  # a Chinese rendering of a North Korean name
        ("Hang", ["kp"], True),
        ("Hani", ["tw"], True),
        ("Jpan", ["ru"], False),  # Japan's list writes Russian companies in katakana
        ("Zyyy", ["ru"], False),
        (None, ["ru"], False),
        ("Cyrl", [], False),
    ],
)
def test_own_script(script: str | None, countries: list[str], own: bool) -> None:
    assert own_script(script, countries) is own


def _party(*names: tuple[str, NameKind], nationality: str | None = None) -> Entity:
    made = [make_name(text, kind) for text, kind in names]
    return Entity(
        id="t-1",
        schema=Schema.PERSON,
        source="t",
        source_id="1",
        names=[n for n in made if n is not None],
        nationalities=[nationality] if nationality else [],
    )


MARKING = [
    # (names, nationality, extra countries, keep, kinds after)
    (
        [("Vladimir PUTIN", NameKind.PRIMARY), ("Владимир Путин", NameKind.ALIAS)],
        "ru",
        [],
        [],
        [NameKind.PRIMARY, NameKind.ORIGINAL_SCRIPT],
    ),
    (
        [("Hans MÜLLER", NameKind.PRIMARY), ("Χανς Μύλλερ", NameKind.ALIAS)],
        "de",
        [],
        [],
        [NameKind.PRIMARY, NameKind.ALIAS],
    ),
    (
        [("Ivan PETROV", NameKind.PRIMARY), ("Иван Петров", NameKind.ALIAS)],
        None,
        [],
        [],
        [NameKind.PRIMARY, NameKind.ALIAS],  # no country: not decided, stays an alias
    ),
    (
        [("Ivan PETROV", NameKind.PRIMARY), ("Иван Петров", NameKind.ALIAS)],
        None,
        ["ru"],
        [],
        [NameKind.PRIMARY, NameKind.ORIGINAL_SCRIPT],  # a country the caller knows of
    ),
    (
        [("Ivan PETROV", NameKind.PRIMARY), ("Иван Петров", NameKind.ALIAS)],
        "ru",
        [],
        ["Иван Петров"],
        [NameKind.PRIMARY, NameKind.ALIAS],  # the caller decided this one
    ),
    (
        [("Ivan PETROV", NameKind.PRIMARY), ("Ваня", NameKind.WEAK), ("Ив", NameKind.FORMER)],
        "ru",
        [],
        [],
        [NameKind.PRIMARY, NameKind.WEAK, NameKind.FORMER],
    ),
]


@pytest.mark.parametrize(("names", "nationality", "countries", "keep", "kinds"), MARKING)
def test_mark_original_scripts(
    names: list[tuple[str, NameKind]],
    nationality: str | None,
    countries: list[str],
    keep: list[str],
    kinds: list[NameKind],
) -> None:
    entity = _party(*names, nationality=nationality)
    mark_original_scripts(entity, countries=countries, keep=keep)
    assert [n.kind for n in entity.names] == kinds


def test_mark_original_scripts_uses_address_countries() -> None:
    entity = _party(("AO GAZPROM", NameKind.PRIMARY), ("АО Газпром", NameKind.ALIAS))
    entity.addresses.append(Address(full="Moscow, Russia", country="ru"))
    mark_original_scripts(entity)
    assert entity.names[1].kind is NameKind.ORIGINAL_SCRIPT
