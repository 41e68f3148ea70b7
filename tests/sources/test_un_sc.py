from __future__ import annotations

import re
from pathlib import Path

import pytest

from embargo.errors import ParseError
from embargo.model import Entity, IdType, Measure, NameKind, Schema
from embargo.sources.base import ParseReport, read_head
from embargo.sources.un_sc import FORMAT, UN_SC, parse, sniff

UN_2026 = Path("un_sc_xml/2026-02-27/UN_consolidated.xml")
UN_2024 = Path("un_sc_xml/2024-05-15/un_consolidated.xml")
UN_2020 = "un_consolidated_2020-11-24.xml"  # beside official/, not in it


def load(path: Path) -> tuple[list[Entity], ParseReport]:
    report = ParseReport(UN_SC, FORMAT.name)
    return list(parse(path, report)), report


@pytest.fixture(scope="module")
def fixture_file(fixtures: Path) -> Path:
    return fixtures / "sources/un_sc/un_consolidated.xml"


@pytest.fixture(scope="module")
def fixture_entities(fixture_file: Path) -> tuple[dict[str, Entity], ParseReport]:
    entities, report = load(fixture_file)
    return {e.source_id: e for e in entities}, report


# --- the hand-written fixture -------------------------------------------------------------


def test_fixture_report(fixture_entities: tuple[dict[str, Entity], ParseReport]) -> None:
    by_id, report = fixture_entities
    assert report.publisher_date == "2026-02-27"
    assert report.records == 7
    assert list(by_id) == ["TAi.005", "KPi.033", "IRi.001", "7000001", "KPe.068"]
    assert [s.reason for s in report.skipped] == [
        "record has no name",
        "duplicate reference KPe.068 (first at line 147)",
    ]
    assert "line 137" in report.skipped[0].where and "QDi.999" in report.skipped[0].where
    assert report.warnings == []


def test_fixture_individual(fixture_entities: tuple[dict[str, Entity], ParseReport]) -> None:
    anwari = fixture_entities[0]["TAi.005"]
    assert anwari.id == "un_sc-TAi.005" and anwari.schema is Schema.PERSON
    assert anwari.source_url is None
    primary = anwari.names[0]
    assert (primary.full, primary.kind, primary.first, primary.middle, primary.last) == (
        "MUHAMMAD TAHER ANWARI",
        NameKind.PRIMARY,
        "MUHAMMAD",
        "TAHER",
        "ANWARI",
    )
    kinds = [(n.full, n.kind, n.script) for n in anwari.names[1:]]
    assert kinds == [
        ("محمد طاهر أنوري", NameKind.ORIGINAL_SCRIPT, "Arab"),  # NAME_ORIGINAL_SCRIPT
        ("Mohammad Taher Anwari", NameKind.ALIAS, None),  # QUALITY Good
        ("Haji Mudir", NameKind.WEAK, None),  # QUALITY Low
        ("حاجي مدير", NameKind.WEAK, "Arab"),  # the Low alias's "original script:" note
    ]
    assert anwari.titles == ["Mullah"]
    assert anwari.positions == [
        "Director of Administrative Affairs under the Taliban regime",
        "Minister of Finance under the Taliban regime",
    ]
    assert anwari.nationalities == ["af"] and anwari.gender == "male"
    approx, between, alias_dob = anwari.birth_dates
    assert (approx.year, approx.circa) == (1961, True)
    assert (between.year, between.year_to, between.circa, between.text) == (
        1960,
        1962,
        False,
        "1960 to 1962",
    )
    assert alias_dob.iso == "1963"  # an alias element carrying only a birth date
    assert anwari.birth_places == ["Zurmat District, Paktia Province, Afghanistan"]
    assert anwari.addresses[0].full == "Afghanistan" and anwari.addresses[0].country == "af"
    assert anwari.remarks == ["Belongs to Andar tribe.", "Address (Afghanistan): as of 2010"]
    assert anwari.extra == {"modifiedAt": ["2011-11-29"], "unDataId": ["110447"]}
    (listing,) = anwari.listings
    assert listing.authority == "UN Security Council" and listing.measure is Measure.BLOCKING
    assert listing.programs == ("Taliban",)
    assert listing.listed_on == "2001-02-23" and listing.reference == "TAi.005"


def test_fixture_stray_spaces_documents_and_two_script_alias(
    fixture_entities: tuple[dict[str, Entity], ParseReport],
) -> None:
    ri = fixture_entities[0]["KPi.033"]
    assert ri.caption == "RI WON HO"  # "<FIRST_NAME> RI </FIRST_NAME>"
    assert ri.listings[0].listed_on == "2016-11-30"  # "2016-11-30-05:00"
    assert ri.nationalities == ["kp"]
    assert [(n.full, n.kind) for n in ri.names[1:]] == [
        ("Jin Tiesan", NameKind.ALIAS),
        ("金铁三", NameKind.ORIGINAL_SCRIPT),
    ]
    exact, hijri = ri.birth_dates
    assert exact.iso == "1964-07-17"
    assert hijri.year is None and "Hijri" in hijri.text  # not the year 1383 AD
    passport, ssn, french = ri.identifiers
    assert (passport.type, passport.value, passport.country, passport.note) == (
        IdType.PASSPORT,
        "381310014",
        "kp",
        "issued 2013-06-04",
    )
    assert (ssn.type, ssn.label) == (
        IdType.SOCIAL_SECURITY,
        "United States Social Security Number:",
    )
    assert (french.type, french.country, french.note) == (IdType.PASSPORT, "ml", "issued in Bamako")
    # A document whose number is only in prose stays a remark.
    assert ri.remarks == ["Passport: Yemeni passport number 17979 issued under another name"]


def test_fixture_entity_and_fallback_id(
    fixture_entities: tuple[dict[str, Entity], ParseReport],
) -> None:
    by_id = fixture_entities[0]
    ship = by_id["KPe.068"]
    assert ship.schema is Schema.ORGANIZATION
    assert [(n.full, n.kind) for n in ship.names] == [
        ("MYOHYANG SHIPPING CO", NameKind.PRIMARY),
        ("MYOHYANG SHIPPING COMPANY", NameKind.ALIAS),
        ("KOREA MYOHYANG SHIPPING", NameKind.FORMER),
    ]
    assert [(i.type, i.value) for i in ship.identifiers] == [(IdType.IMO, "5988369")]
    assert ship.addresses[0].city == "Pyongyang" and ship.addresses[0].country == "kp"
    no_ref = by_id["7000001"]  # no REFERENCE_NUMBER: the DATAID is the id
    assert no_ref.id == "un_sc-7000001" and no_ref.listings[0].reference is None


# --- sniffing ------------------------------------------------------------------------------


def test_sniff(fixture_file: Path, shared_data: Path) -> None:
    assert sniff(fixture_file, read_head(fixture_file)) == UN_SC
    two_thousand_twenty = shared_data / UN_2020
    assert sniff(two_thousand_twenty, read_head(two_thousand_twenty)) == UN_SC
    assert sniff(Path("x.xml"), b"<?xml version='1.0'?><Sanctions/>") is None


def test_sniff_claims_only_un_files(official: Path, fixtures: Path) -> None:
    claimed = sorted(
        str(p.relative_to(p.parents[1]))
        for p in (*official.rglob("*"), *fixtures.rglob("*"))
        if p.is_file() and sniff(p, read_head(p)) is not None
    )
    assert claimed == [
        "2024-05-15/un_consolidated.xml",
        "2026-02-27/UN_consolidated.xml",
        "un_sc/un_consolidated.xml",
    ]


# --- bad input -----------------------------------------------------------------------------


def test_truncated_file_names_file_and_line(tmp_path: Path, fixture_file: Path) -> None:
    data = fixture_file.read_bytes()
    bad = tmp_path / "un.xml"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ParseError, match="truncated") as err:
        load(bad)
    assert "un.xml" in str(err.value)
    assert err.value.line == data[: len(data) // 2].count(b"\n") + 1


def test_wrong_root(tmp_path: Path) -> None:
    bad = tmp_path / "un.xml"
    bad.write_text("<?xml version='1.0'?>\n<export xmlns='http://eu.europa.ec/fpi/fsd/export'/>\n")
    with pytest.raises(ParseError, match="expected <CONSOLIDATED_LIST>") as err:
        load(bad)
    assert err.value.line == 2 and "un.xml" in str(err.value)


def test_empty_file(tmp_path: Path) -> None:
    bad = tmp_path / "un.xml"
    bad.write_bytes(b"")
    with pytest.raises(ParseError, match="empty") as err:
        load(bad)
    assert err.value.line == 1


def test_only_a_declaration(tmp_path: Path) -> None:
    bad = tmp_path / "un.xml"
    bad.write_bytes(b"<?xml version='1.0' encoding='UTF-8'?>\n")
    with pytest.raises(ParseError) as err:
        load(bad)
    assert err.value.line is not None and err.value.line >= 1 and "un.xml" in str(err.value)


def test_non_utf8_bytes_name_the_line(tmp_path: Path, fixture_file: Path) -> None:
    data = fixture_file.read_bytes()
    target = b"Belongs to Andar tribe."
    line = data[: data.index(target)].count(b"\n") + 1
    bad = tmp_path / "un.xml"
    bad.write_bytes(data.replace(target, b"Belongs to Andar tribe \xe9."))
    with pytest.raises(ParseError) as err:
        load(bad)
    assert err.value.line == line and "un.xml" in str(err.value)


# --- the real files ----------------------------------------------------------------------


def _independent(path: Path) -> tuple[int, int, set[str]]:
    """Individuals, entities and reference numbers counted with plain text search."""
    text = path.read_text(encoding="utf-8")
    refs = re.findall(r"<REFERENCE_NUMBER>\s*([^<\s]+)\s*</REFERENCE_NUMBER>", text)
    assert len(refs) == len(set(refs)), "reference numbers must be unique per file"
    return text.count("<INDIVIDUAL>"), text.count("<ENTITY>"), set(refs)


@pytest.mark.parametrize(
    ("where", "individuals", "entities", "date"),
    [
        ("official/" + str(UN_2026), 730, 273, "2026-02-27"),
        ("official/" + str(UN_2024), 682, 193, "2024-05-15"),
        (UN_2020, 713, 305, "2020-11-24"),
    ],
)
def test_real_counts(
    shared_data: Path, where: str, individuals: int, entities: int, date: str
) -> None:
    path = shared_data / where
    people, orgs, refs = _independent(path)
    assert (people, orgs) == (individuals, entities)
    parsed, report = load(path)
    assert report.records == individuals + entities
    assert report.skipped == []
    assert len(parsed) == individuals + entities
    assert sum(e.schema is Schema.PERSON for e in parsed) == individuals
    assert sum(e.schema is Schema.ORGANIZATION for e in parsed) == entities
    # Every record has a REFERENCE_NUMBER, so every id is one.
    assert {e.source_id for e in parsed} == refs
    assert report.publisher_date == date
    assert all(e.listings[0].listed_on for e in parsed)


@pytest.fixture(scope="module")
def real_2026(official: Path) -> dict[str, Entity]:
    return {e.source_id: e for e in load(official / UN_2026)[0]}


@pytest.fixture(scope="module")
def real_2024(official: Path) -> dict[str, Entity]:
    return {e.source_id: e for e in load(official / UN_2024)[0]}


def test_real_iran_2231_entries_return_in_2026(
    real_2026: dict[str, Entity], real_2024: dict[str, Entity]
) -> None:
    iran_2026 = {k for k, e in real_2026.items() if e.listings[0].programs == ("Iran",)}
    assert len(iran_2026) == 121
    assert not any(e.listings[0].programs == ("Iran",) for e in real_2024.values())
    assert "IRi.001" in real_2026 and "IRi.001" not in real_2024
    davani = real_2026["IRi.001"]
    assert davani.caption == "FEREIDOUN ABBASI-DAVANI"
    assert davani.listings[0].listed_on == "2007-03-24"


def test_real_arabic_original_script(real_2024: dict[str, Entity]) -> None:
    anwari = real_2024["TAi.005"]
    assert anwari.caption == "MUHAMMAD TAHER ANWARI"
    original = [n for n in anwari.names if n.kind is NameKind.ORIGINAL_SCRIPT]
    assert [(n.full, n.script) for n in original] == [("محمد طاهر أنوري", "Arab")]
    assert anwari.birth_dates[0].circa and anwari.birth_dates[0].year == 1961


def test_real_between_and_hijri_dates(real_2026: dict[str, Entity]) -> None:
    ntaganda = real_2026["CDi.030"]
    (between,) = ntaganda.birth_dates
    assert (between.year, between.year_to) == (1973, 1974)
    asiri = real_2026["QDi.291"]
    assert [b.iso for b in asiri.birth_dates[:2]] == ["1982-04-19", "1982-04-18"]
    assert asiri.birth_dates[2].year is None and "Hijri" in asiri.birth_dates[2].text
    kim = real_2026["KPi.035"]
    assert {(n.full, n.kind) for n in kim.names} >= {
        ("Jin Tiesan", NameKind.ALIAS),
        ("金铁三", NameKind.ORIGINAL_SCRIPT),
    }


def test_real_2020_stray_spaces_and_stable_reference(shared_data: Path) -> None:
    by_id = {e.source_id: e for e in load(shared_data / UN_2020)[0]}
    assert by_id["KPi.033"].caption == "RI WON HO"
    # KPe.068 was re-entered with a new DATAID by 2024; its reference number did not change.
    assert by_id["KPe.068"].extra["unDataId"] == ["6908682"]


def test_real_reference_survives_new_dataid(real_2026: dict[str, Entity]) -> None:
    ship = real_2026["KPe.068"]
    assert ship.caption == "MYOHYANG SHIPPING CO"
    assert ship.extra["unDataId"] == ["6908967"]
    assert (IdType.IMO, "5988369") in {(i.type, i.value) for i in ship.identifiers}
