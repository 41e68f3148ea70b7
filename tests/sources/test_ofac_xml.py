from __future__ import annotations

from pathlib import Path

import pytest

from embargo.errors import ParseError
from embargo.model import IdType, Measure, NameKind, Schema
from embargo.sources.base import ParseReport
from embargo.sources.ofac_xml import CONS, SDN, parse, sniff


def load(path: Path, source: str = SDN) -> tuple[list, ParseReport]:
    report = ParseReport(source, "ofac-xml")
    return list(parse(path, report)), report


def test_fixture_entries(fixtures: Path) -> None:
    entities, report = load(fixtures / "sources/ofac_xml/sdn.xml")
    assert report.publisher_date == "2024-05-07"  # OFAC writes dates month first
    assert report.stated_count == 4 and report.records == 4
    assert [e.source_id for e in entities] == ["35096", "9593", "44001"]
    assert len(report.skipped) == 1 and "no name" in report.skipped[0].reason
    putin, roe, vessel = entities
    assert putin.schema is Schema.PERSON
    assert putin.caption == "Vladimir Vladimirovich PUTIN"
    assert putin.gender == "male"
    assert putin.birth_dates[0].iso == "1952-10-07"
    assert putin.nationalities == ["ru"]
    assert putin.positions == ["President of the Russian Federation"]
    assert putin.listings[0].measure is Measure.BLOCKING
    assert putin.listings[0].programs == ("RUSSIA-EO14024",)
    assert putin.identifiers == []  # "Gender" is an attribute, not an identifier
    kinds = {n.full: n.kind for n in roe.names}
    assert kinds == {
        "ROSOBORONEKSPORT OAO": NameKind.PRIMARY,
        "ROSOBORONEXPORT JSC": NameKind.ALIAS,
        "ROE": NameKind.WEAK,
    }
    assert roe.identifiers[0].type is IdType.TAX_ID and roe.identifiers[0].country == "ru"
    assert roe.extra["website"] == ["www.roe.ru"]
    assert roe.relations[0].target == "STATE CORPORATION ROSTEC"
    assert vessel.schema is Schema.VESSEL
    assert vessel.identifiers[0].type is IdType.IMO
    assert vessel.identifiers[0].value == "9187629"
    assert vessel.extra["flag"] == ["Sierra Leone"] and vessel.countries == ["sl"]


def test_sniff_tells_lists_apart_by_file_name(fixtures: Path) -> None:
    head = (fixtures / "sources/ofac_xml/sdn.xml").read_bytes()[:4096]
    assert sniff(Path("SDN.XML"), head) == SDN
    assert sniff(Path("CONSOLIDATED.XML"), head) == CONS
    assert sniff(Path("x.xml"), b"<?xml version='1.0'?><export/>") is None


def test_truncated_file_names_line(tmp_path: Path, fixtures: Path) -> None:
    data = (fixtures / "sources/ofac_xml/sdn.xml").read_bytes()
    bad = tmp_path / "sdn.xml"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ParseError) as err:
        load(bad)
    assert "sdn.xml" in str(err.value) and err.value.line is not None


def test_wrong_root(tmp_path: Path) -> None:
    bad = tmp_path / "sdn.xml"
    bad.write_text("<?xml version='1.0'?><Sanctions><x/></Sanctions>")
    with pytest.raises(ParseError, match="expected <sdnList>"):
        load(bad)


def test_real_sdn_xml(official: Path) -> None:
    entities, report = load(official / "ofac_sdn_xml/sdn.xml")
    assert report.records == 14966 == report.stated_count
    assert len(entities) + len(report.skipped) == 14966
    assert report.publisher_date == "2024-05-07"
    by_id = {e.source_id: e for e in entities}
    putin = by_id["35096"]
    assert putin.birth_dates[0].iso == "1952-10-07"
    roe = next(e for e in entities if e.caption == "ROSOBORONEKSPORT OAO")
    assert "ROSOBORONEXPORT JSC" in {n.full for n in roe.names}


def test_real_consolidated_caatsa_menu(official: Path) -> None:
    entities, report = load(official / "ofac_consolidated_xml/consolidated.xml", CONS)
    assert report.records == 443
    ssb = next(e for e in entities if e.caption == "PRESIDENCY OF DEFENSE INDUSTRIES")
    (listing,) = ssb.listings
    assert listing.measure is Measure.MENU_BASED
    assert listing.programs == ("CAATSA - RUSSIA",)
    assert any("235(a)(2)" in m for m in listing.measures)
