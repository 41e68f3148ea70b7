from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from embargo.errors import ParseError
from embargo.model import Entity, IdType, Measure, NameKind, Schema
from embargo.sources.base import ParseReport, read_head
from embargo.sources.ofac_advanced import CONS, FORMAT, SDN, parse, sniff
from embargo.sources.ofac_common import period_birth_date

FIXTURE = "sources/ofac_advanced/sdn_advanced.xml"
REAL = "ofac_advanced_xml/cons_advanced.xml"


def load(path: Path, source: str = SDN) -> tuple[dict[str, Entity], ParseReport]:
    report = ParseReport(source, FORMAT.name)
    entities = list(parse(path, report))
    by_id = {e.source_id: e for e in entities}
    assert len(by_id) == len(entities)
    return by_id, report


@pytest.fixture(scope="module")
def sample(fixtures: Path) -> tuple[dict[str, Entity], ParseReport]:
    return load(fixtures / FIXTURE)


def test_fixture_report(sample: tuple[dict[str, Entity], ParseReport], fixtures: Path) -> None:
    entities, report = sample
    assert report.files == [fixtures / FIXTURE]
    assert report.publisher_date == "2024-05-07"
    assert report.stated_count is None  # the format states no record count
    assert report.records == 6
    assert list(entities) == ["35096", "27016", "27015", "44001", "38001"]
    (skip,) = report.skipped
    assert skip.reason == "party has no name"
    assert "sdn_advanced.xml, line " in skip.where and "99001" in skip.where
    (warning,) = report.warnings
    assert "to-profile 12345 is not in the file" in warning
    assert all(e.source == SDN and e.id == f"{SDN}-{e.source_id}" for e in entities.values())


def test_person_names_dates_and_documents(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    putin = sample[0]["35096"]
    assert putin.schema is Schema.PERSON
    primary, cyrillic, weak = putin.names
    assert primary.kind is NameKind.PRIMARY
    assert primary.full == "Vladimir Vladimirovich PUTIN"
    assert (primary.first, primary.patronymic, primary.last) == (
        "Vladimir",
        "Vladimirovich",
        "PUTIN",
    )
    # The second spelling of the primary alias is the name in its own script.
    assert cyrillic.kind is NameKind.ORIGINAL_SCRIPT and cyrillic.script == "Cyrl"
    assert cyrillic.full == "Владимир Владимирович ПУТИН"
    assert (weak.full, weak.kind) == ("Vova PUTIN", NameKind.WEAK)
    assert [b.iso for b in putin.birth_dates] == ["1952-10-07"]
    assert putin.birth_places == ["St. Petersburg, Russia"]
    assert putin.nationalities == ["ru"]  # a country feature pointing at a location
    assert putin.gender == "male"  # a lookup value, not an identifier
    assert putin.positions == ["President of the Russian Federation"]
    (passport,) = putin.identifiers
    assert passport.type is IdType.PASSPORT
    assert (passport.value, passport.country, passport.note) == (
        "100000001",
        "ru",
        "issued 2015-03-02",
    )
    (listing,) = putin.listings
    assert listing.measure is Measure.BLOCKING and listing.list == "SDN List"
    assert listing.programs == ("RUSSIA-EO14024",)
    assert listing.listed_on == "2022-02-25"
    assert listing.legal_basis is None  # "Unknown" legal basis is not repeated
    assert putin.source_url == "https://sanctionssearch.ofac.treas.gov/Details.aspx?id=35096"


def test_menu_based_listing(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    ssb = sample[0]["27016"]
    assert ssb.schema is Schema.ORGANIZATION
    assert ssb.caption == "PRESIDENCY OF DEFENSE INDUSTRIES"
    kinds = {n.full: n.kind for n in ssb.names}
    assert kinds["UNDERSECRETARIAT FOR DEFENSE INDUSTRIES"] is NameKind.FORMER
    assert kinds["SSB"] is NameKind.WEAK
    # The "Consolidated List" entry only repeats the menu-based one.
    (listing,) = ssb.listings
    assert listing.measure is Measure.MENU_BASED
    assert listing.list == "Non-SDN Menu-Based Sanctions List"
    assert listing.programs == ("CAATSA - RUSSIA",)
    assert listing.legal_basis == "CAATSA - Section 231"
    assert listing.listed_on == "2020-12-14"
    # From the sanctions measure comment and from the two features.
    assert listing.measures == (
        "SANCTIONS ON PRINCIPAL EXECUTIVE OFFICERS. Sec 235(a)(12)",
        "EXPORT SANCTIONS Sec. 235(a)(2)",
        "LOANS FROM UNITED STATES FINANCIAL INSTITUTIONS. Sec. 235(a)(3)",
    )
    assert "Measures imposed: SANCTIONS ON PRINCIPAL EXECUTIVE OFFICERS" in listing.summary
    assert ssb.identifiers == []
    assert [(a.full, a.city, a.country) for a in ssb.addresses] == [
        ("Ankara, Turkey", "Ankara", "tr")
    ]


def test_approximate_and_ranged_birth_dates_and_relation(
    sample: tuple[dict[str, Entity], ParseReport],
) -> None:
    demir = sample[0]["27015"]
    assert demir.caption == "Ismail DEMIR"
    circa, span = demir.birth_dates
    assert (circa.year, circa.circa, circa.text) == (1960, True, "circa 1960")
    assert list(circa.years) == [1959, 1960, 1961]
    assert (span.year, span.year_to, span.circa) == (1961, 1963, False)
    assert demir.addresses == []  # an "undetermined" location names no place
    assert demir.remarks == ["Chairman of the Presidency of Defense Industries."]
    (relation,) = demir.relations
    assert relation.kind == "official-of"
    assert relation.target == "PRESIDENCY OF DEFENSE INDUSTRIES"
    assert relation.target_id == f"{SDN}-27016"


def test_vessel(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    vessel = sample[0]["44001"]
    assert vessel.schema is Schema.VESSEL
    assert [(n.full, n.kind) for n in vessel.names] == [
        ("ADRIAN DARYA 1", NameKind.PRIMARY),
        ("GRACE 1", NameKind.FORMER),
    ]
    (imo,) = vessel.identifiers
    assert (imo.type, imo.value) == (IdType.IMO, "9116412")
    assert vessel.extra == {
        "flag": ["Iran"],
        "callSign": ["9HA4515"],
        "vesselType": ["Crude Oil Tanker"],
    }
    assert vessel.countries == ["ir"]
    assert vessel.listings[0].programs == ("SDGT", "IRGC")
    (relation,) = vessel.relations
    assert (relation.kind, relation.target, relation.target_id) == (
        "owned-by",
        "OFAC entry 12345",
        None,
    )


def test_sectoral_and_sdn_listings(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    neft = sample[0]["38001"]
    by_list = {listing.list: listing for listing in neft.listings}
    ssi = by_list["Sectoral Sanctions Identifications List"]
    sdn = by_list["SDN List"]
    assert ssi.measure is Measure.SECTORAL and sdn.measure is Measure.BLOCKING
    assert ssi.programs == ("UKRAINE-EO13662",) and sdn.programs == ("RUSSIA-EO14024",)
    # Directive information explains the sectoral listing, not the blocking one.
    assert ssi.measures == ("Subject to Directive 4",) and sdn.measures == ()
    assert ssi.listed_on == "2014-09-12" and sdn.listed_on == "2025-01-10"
    assert neft.remarks[0].startswith("For more information on directives")
    assert neft.extra == {"website": ["www.gazprom-neft.ru"], "incorporationDate": ["1995-10-06"]}
    (tax,) = neft.identifiers
    assert (tax.type, tax.value, tax.country) == (IdType.TAX_ID, "5504036333", "ru")


def test_documents_after_parties_still_apply(tmp_path: Path, fixtures: Path) -> None:
    text = (fixtures / FIXTURE).read_text(encoding="utf-8")
    docs = re.search(r"  <IDRegDocuments>.*?</IDRegDocuments>\n", text, re.S)
    assert docs is not None
    moved = text.replace(docs.group(0), "").replace(
        "  <ProfileRelationships>", docs.group(0) + "  <ProfileRelationships>"
    )
    path = tmp_path / "sdn_advanced.xml"
    path.write_text(moved, encoding="utf-8")
    entities, report = load(path)
    assert entities["44001"].identifiers[0].value == "9116412"
    assert entities["35096"].identifiers[0].type is IdType.PASSPORT
    assert len(report.warnings) == 1


def test_period_birth_date_precision() -> None:
    month = period_birth_date((1970, 2, 1), (1970, 2, 28))
    assert month is not None and month.iso == "1970-02"
    inside_year = period_birth_date((1970, 2, 1), (1970, 5, 3))
    assert inside_year is not None and (inside_year.iso, inside_year.year_to) == ("1970", None)
    worded = period_birth_date((1952, 10, 7), (1952, 10, 7), text="07 Oct 1952")
    assert worded is not None and (worded.text, worded.iso) == ("07 Oct 1952", "1952-10-07")
    assert period_birth_date(None, None) is None


def test_sniff(fixtures: Path) -> None:
    head = (fixtures / FIXTURE).read_bytes()[:4096]
    assert sniff(Path("SDN_ADVANCED.XML"), head) == SDN
    assert sniff(Path("CONS_ADVANCED.XML"), head) == CONS
    others = [
        b"<?xml version='1.0'?><sdnList xmlns='http://tempuri.org/sdnList.xsd'/>",
        b"<?xml version='1.0'?><sanctionsData xmlns='x'/>",
        b"<?xml version='1.0'?><export xmlns='http://eu.europa.ec/fpi/fsd/export'/>",
        b"<?xml version='1.0'?><CONSOLIDATED_LIST/>",
        # The UN namespace alone is not enough: the root must be <Sanctions>.
        b"<?xml version='1.0'?><Other xmlns='http://www.un.org/sanctions/1.0'/>",
        b"",
    ]
    for other in others:
        assert sniff(Path("cons.xml"), other) is None


def test_sniff_real_files(official: Path) -> None:
    claimed = {
        path.relative_to(official).as_posix(): sniff(path, read_head(path))
        for path in sorted(official.rglob("*"))
        if path.is_file()
    }
    assert claimed.pop(REAL) == CONS
    assert {k: v for k, v in claimed.items() if v is not None} == {}


def test_truncated_file_names_line(tmp_path: Path, fixtures: Path) -> None:
    data = (fixtures / FIXTURE).read_bytes()
    bad = tmp_path / "sdn_advanced.xml"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ParseError) as err:
        load(bad)
    assert "sdn_advanced.xml" in str(err.value)
    assert err.value.line is not None and err.value.line > 1


def test_wrong_root(tmp_path: Path) -> None:
    bad = tmp_path / "sdn_advanced.xml"
    bad.write_text("<?xml version='1.0'?>\n<sdnList><sdnEntry/></sdnList>")
    with pytest.raises(ParseError, match="expected <Sanctions>") as err:
        load(bad)
    assert err.value.line == 2 and "sdn_advanced.xml" in str(err.value)


def test_empty_file(tmp_path: Path) -> None:
    bad = tmp_path / "sdn_advanced.xml"
    bad.write_bytes(b"")
    with pytest.raises(ParseError, match="empty") as err:
        load(bad)
    assert err.value.line == 1 and "sdn_advanced.xml" in str(err.value)


def test_undecodable_bytes(tmp_path: Path, fixtures: Path) -> None:
    data = (fixtures / FIXTURE).read_bytes().replace(b"Moscow", b"Mosc\xff\xfeow")
    bad = tmp_path / "sdn_advanced.xml"
    bad.write_bytes(data)
    with pytest.raises(ParseError) as err:
        load(bad)
    assert err.value.line is not None and "sdn_advanced.xml" in str(err.value)


def test_real_cons_advanced(official: Path) -> None:
    path = official / REAL
    data = path.read_text(encoding="utf-8")
    parties = len(re.findall(r"<DistinctParty\b", data))
    entities, report = load(path, CONS)
    assert parties == 375
    assert report.records == parties
    assert len(entities) == parties and report.skipped == []
    assert report.warnings == []
    assert report.publisher_date == "2020-03-17"

    # Which profiles are on which list, read straight from the file.
    list_names = dict(re.findall(r'<List ID="(\d+)">([^<]+)</List>', data))
    on_list: dict[str, set[str]] = {}
    for profile, list_id in re.findall(
        r'<SanctionsEntry ID="\d+" ProfileID="(\d+)" ListID="(\d+)"', data
    ):
        on_list.setdefault(list_names[list_id], set()).add(profile)
    parsed = Counter(listing.list for e in entities.values() for listing in e.listings)
    for name in (
        "SDN List",
        "Sectoral Sanctions Identifications List",
        "Non-SDN Palestinian Legislative Council List",
    ):
        assert parsed[name] == len(on_list[name]), name
    assert all(e.listings for e in entities.values())

    haniya = entities["9639"]
    assert haniya.caption == "Ismail Abdul Salah HANIYA"
    assert [b.iso for b in haniya.birth_dates] == ["1962"] and haniya.birth_places == ["Shati"]
    (plc,) = haniya.listings
    assert (plc.programs, plc.listed_on) == (("NS-PLC",), "2006-04-12")

    person = entities["26182"]
    assert person.schema is Schema.PERSON and person.caption == "Evren KAYAKIRAN"
    assert [b.iso for b in person.birth_dates] == ["1980-02-08"]
    assert person.citizenships == ["tr"] and person.gender == "male"
    assert [(i.type, i.value, i.country) for i in person.identifiers] == [
        (IdType.PASSPORT, "U00242309", "tr")
    ]

    tnk = entities["28603"]
    assert {listing.measure for listing in tnk.listings} == {Measure.BLOCKING, Measure.SECTORAL}
    assert [(r.kind, r.target_id) for r in tnk.relations] == [("owned-by", f"{CONS}-17022")]
    assert entities["17022"].caption == "Open Joint-Stock Company Rosneft Oil Company"

    # This 2020 file writes every name in Latin script and lists no vessels.
    assert not any(n.script for e in entities.values() for n in e.names)
    assert not any(e.schema is Schema.VESSEL for e in entities.values())
