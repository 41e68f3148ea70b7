from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from embargo.errors import ParseError
from embargo.model import Entity, IdType, Measure, NameKind, Schema
from embargo.sources.base import ParseReport, read_head
from embargo.sources.eu_fsf import EU_FSF, FORMAT, parse, sniff

REAL = Path("eu_fsf_xml_1_1/20240513-FULL-1_1(xsd).xml")


def load(path: Path) -> tuple[list[Entity], ParseReport]:
    report = ParseReport(EU_FSF, FORMAT.name)
    return list(parse(path, report)), report


@pytest.fixture(scope="module")
def fixture_file(fixtures: Path) -> Path:
    return fixtures / "sources/eu_fsf/eu_fsf.xml"


@pytest.fixture(scope="module")
def fixture_entities(fixture_file: Path) -> tuple[dict[str, Entity], ParseReport]:
    entities, report = load(fixture_file)
    return {e.source_id: e for e in entities}, report


@pytest.fixture(scope="module")
def real(official: Path) -> tuple[dict[str, Entity], ParseReport]:
    entities, report = load(official / REAL)
    by_id = {e.source_id: e for e in entities}
    assert len(by_id) == len(entities), "entity ids must be unique"
    return by_id, report


# --- the hand-written fixture -------------------------------------------------------------


def test_fixture_report(fixture_entities: tuple[dict[str, Entity], ParseReport]) -> None:
    by_id, report = fixture_entities
    assert report.publisher_date == "2024-05-13"
    assert report.stated_count is None  # the EU file does not state its own count
    assert report.records == 7
    assert list(by_id) == ["135909", "593", "116167", "147499", "923"]
    assert [(s.reason, "line 146" in s.where) for s in report.skipped] == [
        ("sanctionEntity has no name", True)
    ]
    assert any("logicalId=593 repeats the one at line 33" in w for w in report.warnings)


def test_fixture_primary_name_is_the_english_one(
    fixture_entities: tuple[dict[str, Entity], ParseReport],
) -> None:
    putin = fixture_entities[0]["135909"]
    assert putin.id == "eu_fsf-135909" and putin.source == EU_FSF
    assert putin.source_url is None
    assert putin.schema is Schema.PERSON
    primary = putin.names[0]
    assert primary.kind is NameKind.PRIMARY
    assert (primary.full, primary.first, primary.middle, primary.last) == (
        "Vladimir Vladimirovich PUTIN",
        "Vladimir",
        "Vladimirovich",
        "PUTIN",
    )
    by_full = {n.full: n for n in putin.names}
    assert by_full["Vladimir Vladimirovitj PUTIN"].kind is NameKind.ALIAS
    assert by_full["Vladimir Vladimirovitj PUTIN"].lang == "sv"
    cyrillic = by_full["Влади́мир Влади́мирович ПУ́ТИН"]
    assert cyrillic.kind is NameKind.ORIGINAL_SCRIPT and cyrillic.script == "Cyrl"
    # "Vladimir Vladimirovich  Putin" (EN) differs only in case and spacing: not repeated.
    assert len(putin.names) == 3
    assert putin.gender == "male"
    assert putin.positions == ["President of the Russian Federation"]
    assert putin.citizenships == ["ru"]
    assert [b.iso for b in putin.birth_dates] == ["1952-10-07"]
    assert putin.birth_places == ["Leningrad (now Saint-Petersburg), RUSSIAN FEDERATION"]
    (passport,) = putin.identifiers
    assert passport.type is IdType.PASSPORT and passport.country == "ru"
    assert passport.note == "valid to 2029-01-01; diplomatic document"
    (listing,) = putin.listings
    assert listing.authority == "EU" and listing.measure is Measure.BLOCKING
    assert listing.programs == ("UKR",)
    assert listing.reference == "EU.7510.16"
    assert listing.listed_on == "2022-02-25"
    assert listing.legal_basis == "Council amendment 2022/332 (OJ L53), in force 2022-02-25"
    assert listing.url and listing.url.startswith("https://eur-lex.europa.eu/")


def test_fixture_duplicate_logical_id_merges_programmes(
    fixture_entities: tuple[dict[str, Entity], ParseReport],
) -> None:
    akhund = fixture_entities[0]["593"]
    assert [listing.programs for listing in akhund.listings] == [("AFG",), ("TAQA",)]
    assert akhund.listings[0].listed_on == "2001-01-25"
    assert akhund.listings[1].listed_on is None  # the TAQA element has no designationDate
    kinds = {n.full: n.kind for n in akhund.names}
    assert kinds == {
        "Hamidullah Akhund": NameKind.PRIMARY,
        "Janat Gul": NameKind.WEAK,  # strong="false"
        "Hamidullah Sher": NameKind.WEAK,  # strong, but remarked "Low quality alias"
        "Akhund, Hamidullah": NameKind.ALIAS,  # only in the second element
    }
    assert akhund.titles == ["Mullah"]
    # The two elements write the function with and without a final full stop.
    assert akhund.positions == ["Head of Ariana Afghan Airlines under the Taliban regime"]
    (bd,) = akhund.birth_dates
    assert (bd.year, bd.year_to, bd.circa) == (1972, 1973, True)
    assert akhund.citizenships == ["af"]
    assert akhund.extra["unscId"] == ["TAi.055"]
    assert "Date of UN designation: 25 January 2001." in akhund.remarks
    assert "Low quality alias" not in akhund.remarks


def test_fixture_company_with_imo_company_number(
    fixture_entities: tuple[dict[str, Entity], ParseReport],
) -> None:
    company = fixture_entities[0]["116167"]
    assert company.schema is Schema.ORGANIZATION
    imo, tax = company.identifiers
    assert (imo.type, imo.value, imo.country) == (IdType.IMO, "5571322", None)
    # identificationTypeCode "other", named only in the remark.
    assert (tax.type, tax.value, tax.country) == (IdType.TAX_ID, "7700000001", "ru")
    assert tax.note == "known to be false; Tax Identification Number"
    assert company.extra == {
        "phone": ["+850 2 123 4567"],
        "website": ["www.chonmyong.example"],
        "email": ["info@chonmyong.example"],
        "fax": ["+850 2 123 4568"],
    }
    (addr,) = company.addresses
    assert addr.city == "Pyongyang" and addr.country == "kp"
    assert addr.street == "Saemaul 2-dong, Pyongchon-guyok"
    assert any(r.endswith("Location as of March 2018") for r in company.remarks)
    # An enterprise's "function" describes it; it is not an office held.
    assert company.positions == []
    assert "Registered owner of a DPRK-flagged vessel" in company.remarks


def test_fixture_vessel(fixture_entities: tuple[dict[str, Entity], ParseReport]) -> None:
    vessel = fixture_entities[0]["147499"]
    assert vessel.schema is Schema.VESSEL
    assert vessel.identifiers[0].type is IdType.IMO and vessel.identifiers[0].value == "8514306"
    assert vessel.extra["vesselType"] == ["delivery vessel, oil tanker"]


def test_fixture_partial_dates_scripts_and_prose_listing_date(
    fixture_entities: tuple[dict[str, Entity], ParseReport],
) -> None:
    by_id, report = fixture_entities
    fawaz = by_id["923"]
    arabic = [n for n in fawaz.names if n.script == "Arab"]
    assert [(n.full, n.kind, n.lang) for n in arabic] == [
        ("خالد عبد الرحمن حمد الفواز", NameKind.ORIGINAL_SCRIPT, "ar"),
        ("أبو عمر", NameKind.ORIGINAL_SCRIPT, None),  # from "(original script: ...)"
    ]
    gregorian, islamic, month, upto = fawaz.birth_dates
    # calendarType ISLAMIC: the Gregorian ``birthdate`` attribute wins over the Hijri parts.
    assert gregorian.iso == "1962-08-24"
    assert islamic.year is None and islamic.text == "1343 (islamic calendar)"
    assert any("1343 in the islamic calendar" in w for w in report.warnings)
    assert (month.iso, month.day) == ("1962-08", None)
    assert (upto.year, upto.year_to, upto.circa) == (1980, None, True)
    assert fawaz.birth_places == ["Al-Riyadh, Saudi Arabia"]
    assert fawaz.listings[0].listed_on == "2014-07-23"
    assert fawaz.addresses[0].postal_code == "N1 1AA"
    assert fawaz.addresses[0].country == "gb"


# --- sniffing ------------------------------------------------------------------------------


def test_sniff_fixture(fixture_file: Path) -> None:
    assert sniff(fixture_file, read_head(fixture_file)) == EU_FSF
    assert sniff(Path("x.xml"), b"<?xml version='1.0'?><export><other/></export>") is None
    assert sniff(Path("x.xml"), b"<?xml version='1.0'?><sdnList/>") is None


def test_sniff_claims_only_the_eu_file(official: Path, fixtures: Path) -> None:
    claimed = []
    for path in sorted(p for p in (*official.rglob("*"), *fixtures.rglob("*")) if p.is_file()):
        if sniff(path, read_head(path)) is not None:
            claimed.append(path.name)
    assert sorted(claimed) == sorted(["eu_fsf.xml", REAL.name])


# --- bad input -----------------------------------------------------------------------------


def test_truncated_file_names_file_and_line(tmp_path: Path, fixture_file: Path) -> None:
    data = fixture_file.read_bytes()
    bad = tmp_path / "eu_fsf.xml"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ParseError) as err:
        load(bad)
    assert "eu_fsf.xml" in str(err.value)
    assert err.value.line is not None and err.value.line > 1
    assert "truncated" in err.value.reason


def test_wrong_root(tmp_path: Path) -> None:
    bad = tmp_path / "eu_fsf.xml"
    bad.write_text("<?xml version='1.0'?>\n<sdnList><sdnEntry/></sdnList>\n")
    with pytest.raises(ParseError, match="expected <export>") as err:
        load(bad)
    assert err.value.line == 2 and "eu_fsf.xml" in str(err.value)


def test_empty_file(tmp_path: Path) -> None:
    bad = tmp_path / "eu_fsf.xml"
    bad.write_bytes(b"")
    with pytest.raises(ParseError, match="empty") as err:
        load(bad)
    assert err.value.line == 1 and "eu_fsf.xml" in str(err.value)


def test_non_utf8_bytes_name_the_line(tmp_path: Path, fixture_file: Path) -> None:
    data = fixture_file.read_bytes()
    target = b'wholeName="Unica"'
    line = data[: data.index(target)].count(b"\n") + 1
    bad = tmp_path / "eu_fsf.xml"
    bad.write_bytes(data.replace(target, b'wholeName="Unic\xe9"'))  # Latin-1, not UTF-8
    with pytest.raises(ParseError) as err:
        load(bad)
    assert err.value.line == line and "eu_fsf.xml" in str(err.value)


# --- the real May 2024 file --------------------------------------------------------------


def _independent_counts(path: Path) -> list[tuple[str, str]]:
    """(logicalId, subject type code) of every sanctionEntity, read with a regex."""
    data = path.read_text(encoding="utf-8")
    return re.findall(
        r'<sanctionEntity [^>]*logicalId="(\d+)"[^>]*>.*?<subjectType code="(\w+)"', data, re.S
    )


def test_real_counts(official: Path, real: tuple[dict[str, Entity], ParseReport]) -> None:
    by_id, report = real
    pairs = _independent_counts(official / REAL)
    assert len(pairs) == 4811
    assert Counter(code for _, code in pairs) == {"person": 3755, "enterprise": 1056}
    unique = dict(pairs)
    assert len(unique) == 4808  # three parties appear under two programmes each
    assert report.records == len(pairs)
    assert report.skipped == []
    assert set(by_id) == set(unique)
    schemas = Counter(e.schema for e in by_id.values())
    people = sum(1 for code in unique.values() if code == "person")
    assert schemas[Schema.PERSON] == people == 3753
    assert schemas[Schema.ORGANIZATION] + schemas[Schema.VESSEL] == 4808 - people
    assert schemas[Schema.VESSEL] == 2
    merged = [w for w in report.warnings if "repeats the one at line" in w]
    assert len(merged) == 3
    assert report.publisher_date == "2024-05-13"


def test_real_putin(real: tuple[dict[str, Entity], ParseReport]) -> None:
    putin = real[0]["135909"]
    assert putin.caption == "Vladimir Vladimirovich PUTIN"
    assert putin.birth_dates[0].iso == "1952-10-07"
    assert putin.listings[0].programs == ("UKR",)
    assert putin.listings[0].reference == "EU.7510.16"
    assert putin.positions == ["President of the Russian Federation"]
    cyrillic = next(n for n in putin.names if n.script == "Cyrl")
    assert cyrillic.full == "Влади́мир Влади́мирович ПУ́ТИН"
    assert cyrillic.kind is NameKind.ORIGINAL_SCRIPT
    assert {"Vladimir Vladimirovitj PUTIN", "Vladimir Vladimirovich POUTINE"} <= {
        n.full for n in putin.names
    }


def test_real_arabic_original_script(real: tuple[dict[str, Entity], ParseReport]) -> None:
    fawaz = real[0]["923"]
    assert fawaz.caption == "Khalid Abd Al-Rahman Hamd Al-Fawaz"
    arabic = next(n for n in fawaz.names if n.script == "Arab")
    assert arabic.full == "خالد عبد الرحمن حمد الفواز"
    assert arabic.kind is NameKind.ORIGINAL_SCRIPT and arabic.lang == "ar"


def test_real_vessels_and_shipping_companies(real: tuple[dict[str, Entity], ParseReport]) -> None:
    by_id = real[0]
    vessels = sorted(e.caption for e in by_id.values() if e.schema is Schema.VESSEL)
    assert vessels == ["New Konk", "Unica"]
    company = by_id["116167"]
    assert company.caption == "CHONMYONG SHIPPING CO"
    assert company.schema is Schema.ORGANIZATION
    assert [(i.type, i.value) for i in company.identifiers] == [(IdType.IMO, "5571322")]


def test_real_merged_programmes_and_partial_dates(
    real: tuple[dict[str, Entity], ParseReport],
) -> None:
    by_id = real[0]
    assert [listing.programs for listing in by_id["593"].listings] == [("AFG",), ("TAQA",)]
    assert [listing.programs for listing in by_id["120128"].listings] == [("TAQA",), ("UNLI",)]
    larijani = by_id["6971"]
    assert any(b.iso == "1961-08" and b.day is None for b in larijani.birth_dates)
    kony = by_id["108086"]
    assert kony.caption == "Joseph KONY"  # the alias carrying the function, not the first one
    alem = by_id["117053"]
    assert alem.caption == "ERMIAS ALEM"  # the first alias is remarked "low quality"
    assert {n.full for n in alem.names if n.kind is NameKind.WEAK} == {
        "Ermies Ghermay",
        "Ermias Ghirmay",
    }
