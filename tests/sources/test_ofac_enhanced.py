from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from embargo.errors import ParseError
from embargo.model import Entity, IdType, Measure, NameKind, Schema
from embargo.sources.base import ParseReport, read_head
from embargo.sources.ofac_common import ListEntry
from embargo.sources.ofac_enhanced import CONS, FORMAT, SDN, parse, sniff, split_programs

FIXTURE = "sources/ofac_enhanced/sdn_enhanced.xml"
REAL = "ofac_enhanced_xml/CONS_ENHANCED.XML"


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
    assert report.publisher_date == "2025-01-10"
    assert report.records == 6
    assert list(entities) == ["35096", "27016", "27015", "44001", "38001"]
    (skip,) = report.skipped
    assert skip.reason == "entity has no name"
    assert "sdn_enhanced.xml, line " in skip.where and "99001" in skip.where
    assert report.warnings == []
    assert all(e.source == SDN and e.id == f"{SDN}-{e.source_id}" for e in entities.values())


def test_person(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    putin = sample[0]["35096"]
    assert putin.schema is Schema.PERSON
    primary, cyrillic, weak = putin.names
    assert (primary.full, primary.kind) == ("Vladimir Vladimirovich PUTIN", NameKind.PRIMARY)
    assert (primary.first, primary.patronymic, primary.last) == (
        "Vladimir",
        "Vladimirovich",
        "Putin",
    )
    assert cyrillic.full == "Владимир Владимирович ПУТИН"
    assert cyrillic.kind is NameKind.ORIGINAL_SCRIPT and cyrillic.script == "Cyrl"
    assert (weak.full, weak.kind) == ("VVP", NameKind.WEAK)
    (dob,) = putin.birth_dates
    assert (dob.text, dob.iso) == ("07 Oct 1952", "1952-10-07")
    assert putin.birth_places == ["St. Petersburg, Russia"]
    assert putin.nationalities == ["ru"]
    assert putin.gender == "male"
    assert putin.positions == ["President of the Russian Federation"]
    assert putin.remarks == ["Example remark."]
    (address,) = putin.addresses
    assert (address.full, address.street, address.postal_code, address.country) == (
        "Kremlin, Moscow, 103132, Russia",
        "Kremlin",
        "103132",
        "ru",
    )
    (passport,) = putin.identifiers
    assert (passport.type, passport.value, passport.country) == (IdType.PASSPORT, "100000001", "ru")
    assert passport.note == "expires 2030-03-01"
    (listing,) = putin.listings
    assert listing.measure is Measure.BLOCKING
    assert (listing.programs, listing.listed_on) == (("RUSSIA-EO14024",), "2022-02-25")
    assert listing.legal_basis == "Executive Order 14024 (Russia)"


def test_menu_based(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    ssb = sample[0]["27016"]
    assert ssb.caption == "PRESIDENCY OF DEFENSE INDUSTRIES"
    (listing,) = ssb.listings  # the "Consolidated List" entry repeats it
    assert listing.measure is Measure.MENU_BASED
    assert listing.list == "Non-SDN Menu-Based Sanctions List"
    assert listing.programs == ("CAATSA - RUSSIA",)
    assert listing.measures == (
        "EXPORT SANCTIONS Sec. 235(a)(2)",
        "SANCTIONS ON PRINCIPAL EXECUTIVE OFFICERS. Sec 235(a)(12)",
    )
    assert "not blocked" in listing.summary and "235(a)(12)" in listing.summary
    assert ssb.identifiers == [] and ssb.extra == {}
    assert [a.full for a in ssb.addresses] == ["Ankara, Turkey"]


def test_circa_birth_date_and_relations(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    entities = sample[0]
    demir = entities["27015"]
    (dob,) = demir.birth_dates
    assert (dob.text, dob.year, dob.circa) == ("circa 1960", 1960, True)
    (relation,) = demir.relations
    assert (relation.kind, relation.target, relation.target_id) == (
        "official-of",
        "PRESIDENCY OF DEFENSE INDUSTRIES",
        f"{SDN}-27016",
    )
    # A related entity that is not in the file keeps its name but links no id.
    (owner,) = entities["44001"].relations
    assert (owner.kind, owner.target, owner.target_id) == (
        "owned-by",
        "ISLAMIC REVOLUTIONARY GUARD CORPS",
        None,
    )


def test_vessel(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    vessel = sample[0]["44001"]
    assert vessel.schema is Schema.VESSEL
    (imo,) = vessel.identifiers
    assert (imo.type, imo.value) == (IdType.IMO, "9116412")
    assert vessel.extra == {
        "flag": ["Iran"],
        "callSign": ["9HA4515"],
        "vesselType": ["Crude Oil Tanker"],
    }
    assert vessel.countries == ["ir"]


def test_programs_split_between_lists(sample: tuple[dict[str, Entity], ParseReport]) -> None:
    neft = sample[0]["38001"]
    by_list = {listing.list: listing for listing in neft.listings}
    assert set(by_list) == {"SDN List", "Sectoral Sanctions Identifications List"}
    ssi, sdn = by_list["Sectoral Sanctions Identifications List"], by_list["SDN List"]
    assert ssi.programs == ("UKRAINE-EO13662",) and sdn.programs == ("SDGT",)
    assert ssi.measures == ("Subject to Directive 4",) and sdn.measures == ()
    assert (ssi.listed_on, sdn.listed_on) == ("2014-09-12", "2025-01-10")
    # The "for more information" link is not a measure.
    assert neft.remarks[0].startswith("For more information on directives")
    chinese = neft.names[1]
    assert chinese.kind is NameKind.ORIGINAL_SCRIPT and chinese.script == "Hani"
    assert neft.extra == {"incorporationDate": ["06 Oct 1995"], "website": ["www.gazprom-neft.ru"]}


def test_split_programs_unclaimed_go_everywhere() -> None:
    entries = [ListEntry("Non-SDN Menu-Based Sanctions List")]
    split_programs(entries, ["ILLICIT-DRUGS-EO14059"])
    assert entries[0].programs == ["ILLICIT-DRUGS-EO14059"]
    both = [ListEntry("SDN List"), ListEntry("Non-SDN Palestinian Legislative Council List")]
    split_programs(both, ["SDGT", "NS-PLC"])
    assert [e.programs for e in both] == [["SDGT"], ["NS-PLC"]]
    unknown = [ListEntry("SDN List"), ListEntry("Some New List")]
    split_programs(unknown, ["SDGT", "UKRAINE-EO13662"])
    assert [e.programs for e in unknown] == [["SDGT", "UKRAINE-EO13662"]] * 2


def test_sniff(fixtures: Path) -> None:
    head = (fixtures / FIXTURE).read_bytes()[:4096]
    assert sniff(Path("SDN_ENHANCED.XML"), head) == SDN
    assert sniff(Path("CONS_ENHANCED.XML"), head) == CONS
    others = [
        b"<?xml version='1.0'?><sdnList xmlns='http://tempuri.org/sdnList.xsd'/>",
        b"<?xml version='1.0'?><Sanctions xmlns='http://www.un.org/sanctions/1.0'/>",
        b"<?xml version='1.0'?><export xmlns='http://eu.europa.ec/fpi/fsd/export'/>",
        b"<?xml version='1.0'?><CONSOLIDATED_LIST/>",
        b"<?xml version='1.0'?><sanctionsDataset/>",
        b"",
    ]
    for other in others:
        assert sniff(Path("sdn.xml"), other) is None


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
    bad = tmp_path / "SDN_ENHANCED.XML"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ParseError) as err:
        load(bad)
    assert "SDN_ENHANCED.XML" in str(err.value)
    assert err.value.line is not None and err.value.line > 1


def test_wrong_root(tmp_path: Path) -> None:
    bad = tmp_path / "SDN_ENHANCED.XML"
    bad.write_text("<?xml version='1.0'?>\n<Sanctions xmlns='http://www.un.org/sanctions/1.0'/>")
    with pytest.raises(ParseError, match="expected <sanctionsData>") as err:
        load(bad)
    assert err.value.line == 2


def test_empty_and_not_xml(tmp_path: Path) -> None:
    empty = tmp_path / "SDN_ENHANCED.XML"
    empty.write_bytes(b"")
    with pytest.raises(ParseError, match="empty") as err:
        load(empty)
    assert err.value.line == 1
    html = tmp_path / "CONS_ENHANCED.XML"
    html.write_bytes(b"<html><body>Service unavailable</body>")
    with pytest.raises(ParseError, match="root element is <html>"):
        load(html)


def test_undecodable_bytes(tmp_path: Path, fixtures: Path) -> None:
    data = (fixtures / FIXTURE).read_bytes().replace(b"Ankara", b"Ank\xff\xfeara")
    bad = tmp_path / "SDN_ENHANCED.XML"
    bad.write_bytes(data)
    with pytest.raises(ParseError) as err:
        load(bad)
    assert err.value.line is not None and "SDN_ENHANCED.XML" in str(err.value)


def test_real_cons_enhanced(official: Path) -> None:
    path = official / REAL
    data = path.read_text(encoding="utf-8")
    count = len(re.findall(r"<entity id=\"\d+\">", data))
    entities, report = load(path, CONS)
    assert count == 443
    assert report.records == count
    assert len(entities) == count and report.skipped == [] and report.warnings == []
    assert report.publisher_date == "2025-01-10"

    # Listings per list, counted straight from the file.
    listed = Counter(
        re.findall(
            r"<sanctionsList refId=\"\d+\" id=\"\d+\" datePublished=\"[^\"]+\">([^<]+)<", data
        )
    )
    parsed = Counter(listing.list for e in entities.values() for listing in e.listings)
    assert (
        parsed["Non-SDN Menu-Based Sanctions List"]
        == listed["Non-SDN Menu-Based Sanctions List"]
        == 12
    )
    assert (
        parsed["Non-SDN Chinese Military-Industrial Complex Companies List"]
        == listed["Non-SDN CMIC List"]
    )
    assert parsed["SDN List"] == listed["SDN List"]
    assert (
        parsed["Sectoral Sanctions Identifications List"]
        == listed["Sectoral Sanctions Identifications List"]
    )
    assert all(
        listing.measure is Measure.MENU_BASED
        for e in entities.values()
        for listing in e.listings
        if listing.list == "Non-SDN Menu-Based Sanctions List"
    )

    ssb = next(e for e in entities.values() if e.caption == "PRESIDENCY OF DEFENSE INDUSTRIES")
    (listing,) = ssb.listings
    assert listing.measure is Measure.MENU_BASED
    assert listing.programs == ("CAATSA - RUSSIA",)
    assert len(listing.measures) == 5
    assert any("235(a)(2)" in m for m in listing.measures)
    assert "SSB" in {n.full for n in ssb.names if n.kind is NameKind.WEAK}

    zahhar = entities["9647"]
    assert zahhar.caption == "Mahmoud Khaled ZAHHAR"
    assert [b.iso for b in zahhar.birth_dates] == ["1945"]
    assert zahhar.nationalities == ["ps"] and zahhar.gender == "male"
    assert {listing.list: listing.programs for listing in zahhar.listings} == {
        "SDN List": ("SDGT",),
        "Non-SDN Palestinian Legislative Council List": ("NS-PLC",),
    }
    assert [(r.kind, r.target, r.target_id) for r in zahhar.relations] == [
        ("acting-for", "HAMAS", None)
    ]

    martelly = entities["50476"]
    assert martelly.nationalities == ["ht"] and [b.iso for b in martelly.birth_dates] == [
        "1961-02-12"
    ]
    (menu,) = martelly.listings
    assert menu.measure is Measure.MENU_BASED and len(menu.measures) == 3

    vtb = entities["17013"]
    originals = [n for n in vtb.names if n.kind is NameKind.ORIGINAL_SCRIPT]
    assert "БАНК ВТБ ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО" in {n.full for n in originals}
    assert {n.script for n in originals} == {"Cyrl"}
    scripts = Counter(n.script for e in entities.values() for n in e.names if n.script)
    # Name translations (not address ones) per script, read straight from the file.
    in_file = Counter(re.findall(r"<script refId=\"\d+\">([^<]+)</script>\s*<formatted", data))
    assert scripts["Cyrl"] == in_file["Cyrillic"] == 39
    assert scripts["Hani"] == in_file["Chinese Simplified"] + in_file["Chinese Traditional"] == 6

    linked = [r for e in entities.values() for r in e.relations]
    assert len(linked) == data.count("<relationship ")
    assert sum(r.target_id is None for r in linked) == 1
