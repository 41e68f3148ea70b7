"""Tests of the OFSI Consolidated List reader, 2022 format (``embargo.sources.uk_ofsi``).

No real ``ConList.csv`` is available here, so ``tests/fixtures/sources/uk_ofsi/ConList.csv`` was
written by hand in the documented layout (a ``Last Updated`` line, the 36-column header, one row
per name variant grouped by ``Group ID``; /work/shared/data/README.md section 2.7, which matches
the real ConList.xlsx). Its records are modelled on real listings, shortened and partly
invented. The XLSX tests build a workbook from the same rows with openpyxl in ``tmp_path`` rather
than commit a binary fixture, and check that both editions give the same entities.
"""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from embargo.errors import ParseError
from embargo.model import Entity, IdType, Measure, NameKind, Schema
from embargo.model.values import parse_birth_date
from embargo.sources import uk_fcdo
from embargo.sources.base import ParseReport, read_head
from embargo.sources.uk_ofsi import (
    FORMAT_CSV,
    FORMAT_XLSX,
    SOURCE,
    parse_csv,
    parse_xlsx,
    sniff_csv,
    sniff_xlsx,
    split_enumerated,
)

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures/sources/uk_ofsi/ConList.csv"


def load_csv(path: Path) -> tuple[list[Entity], ParseReport]:
    report = ParseReport(SOURCE, FORMAT_CSV.name)
    return list(parse_csv(path, report)), report


def load_xlsx(path: Path) -> tuple[list[Entity], ParseReport]:
    report = ParseReport(SOURCE, FORMAT_XLSX.name)
    return list(parse_xlsx(path, report)), report


def fixture_rows() -> list[list[str]]:
    with FIXTURE.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    for row in rows:
        sheet.append([value or None for value in row])
    workbook.save(path)
    return path


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


@pytest.fixture(scope="module")
def parsed() -> tuple[dict[str, Entity], ParseReport]:
    entities, report = load_csv(FIXTURE)
    return {e.source_id: e for e in entities}, report


def test_fixture_report(parsed: tuple[dict[str, Entity], ParseReport]) -> None:
    by_id, report = parsed
    assert report.publisher_date == "2025-04-14"
    assert report.files == [FIXTURE]
    assert report.records == 19  # name rows, before grouping
    assert list(by_id) == ["14196", "11241", "12431", "13651", "90005"]
    assert [(s.where, s.reason) for s in report.skipped] == [
        ("ConList.csv, line 19", "row without a Group ID"),
        ("ConList.csv, line 20, Group ID 99998", "no name in any row of the group"),
    ]
    assert report.warnings == []
    for entity in by_id.values():
        assert entity.source == SOURCE and entity.id == f"gb_ofsi-{entity.source_id}"


def test_person_rows_grouped_across_the_file(parsed: tuple[dict[str, Entity], ParseReport]) -> None:
    putin = parsed[0]["14196"]
    assert putin.schema is Schema.PERSON
    primary, variation, cyrillic = putin.names
    # The primary-name row is the last line of the file, after four other groups.
    assert primary.kind is NameKind.PRIMARY and primary.full == "Vladimir Vladimirovich PUTIN"
    assert (primary.first, primary.middle, primary.last) == ("Vladimir", "Vladimirovich", "PUTIN")
    assert variation.kind is NameKind.ALIAS and variation.full == "Vladimir PUTIN"
    assert cyrillic.full == "Владимир Владимирович Путин"
    assert (cyrillic.kind, cyrillic.script, cyrillic.lang) == (
        NameKind.ORIGINAL_SCRIPT,
        "Cyrl",
        "rus",
    )
    assert [b.iso for b in putin.birth_dates] == ["1952-10-07"]
    assert putin.birth_places == ["St Petersburg (then Leningrad), Russia"]
    assert putin.nationalities == ["ru"]
    assert putin.gender == "male"
    assert putin.positions == ["President of the Russian Federation"]
    assert [(a.city, a.country) for a in putin.addresses] == [("Moscow", "ru")]
    (listing,) = putin.listings
    assert listing.measure is Measure.BLOCKING
    assert (listing.authority, listing.list) == ("UK OFSI", "OFSI Consolidated List")
    assert listing.programs == ("Russia",)
    assert listing.reference == "RUS0251"
    assert listing.listed_on == "2022-02-25"
    assert listing.measures == ("Asset freeze", "Trust services")
    assert putin.remarks[1].startswith("Statement of reasons: Vladimir Vladimirovich Putin")
    assert putin.extra["modifiedAt"] == ["2023-03-21"]


def test_two_regimes_get_their_own_reference(parsed: tuple[dict[str, Entity], ParseReport]) -> None:
    irgc = parsed[0]["11241"]
    assert irgc.schema is Schema.ORGANIZATION
    assert [(n.full, n.kind) for n in irgc.names] == [
        ("ISLAMIC REVOLUTIONARY GUARD CORPS (IRGC) QODS FORCE", NameKind.PRIMARY),
        ("QUDS FORCE", NameKind.ALIAS),
        ("PASDARAN", NameKind.WEAK),  # "Low quality" AKA
    ]
    # "INU0082 and SYR0310": the prefixes are learnt from the single-regime targets.
    assert [(lst.programs, lst.reference, lst.listed_on) for lst in irgc.listings] == [
        (("Iran (Nuclear)",), "INU0082", "2010-07-27"),
        (("Syria",), "SYR0310", "2011-08-24"),
    ]


def test_entity_other_information(parsed: tuple[dict[str, Entity], ParseReport]) -> None:
    oei = parsed[0]["12431"]
    assert [(n.full, n.kind) for n in oei.names] == [
        ("ORGANIZATION FOR ENGINEERING INDUSTRIES", NameKind.PRIMARY),
        ("ENGINEERING INDUSTRIES ESTABLISHMENT", NameKind.FORMER),
    ]
    (address,) = oei.addresses
    assert (address.street, address.city, address.country) == (
        "PO Box 21120, Baramkeh",
        "Damascus",
        "sy",
    )
    assert oei.extra["phone"] == ["+963112121816", "+963112121834"]
    assert oei.extra["website"] == ["www.oei-example.sy"]
    assert oei.extra["legalForm"] == ["State-Owned Enterprise"]
    assert [(i.type, i.label, i.value) for i in oei.identifiers] == [
        (IdType.REGISTRATION, "CR", "2756979"),
        (IdType.TAX_ID, "TIN", "7703104630"),
    ]
    assert oei.remarks == [
        "Statement of reasons: Front company for the acquisition of sensitive equipment."
    ]
    assert oei.listings[0].reference == "SYR0306"


def test_ship(parsed: tuple[dict[str, Entity], ParseReport]) -> None:
    ship = parsed[0]["13651"]
    assert ship.schema is Schema.VESSEL
    assert ship.caption == "SAM JONG 2"
    assert [n.full for n in ship.names[1:]] == ["PETROCHEM VALOUR", "YU JONG 3"]
    assert [(i.type, i.value) for i in ship.identifiers] == [(IdType.IMO, "7408873")]
    assert ship.extra["flag"] == ["North Korea"] and ship.countries == ["kp"]
    assert ship.extra["pastFlags"] == ["Russia"]
    assert ship.extra["vesselType"] == ["Oil tanker"]
    assert ship.extra["buildDate"] == ["1975"]
    assert [(r.kind, r.target) for r in ship.relations] == [
        ("vessel-owner", "Korea Samjong Shipping")
    ]
    assert ship.listings[0].measure is Measure.BLOCKING


def test_enumerated_cells(parsed: tuple[dict[str, Entity], ParseReport]) -> None:
    jafari = parsed[0]["90005"]
    assert [n.full for n in jafari.names] == [
        "Mohammad Ali JAFARI",
        "Mohamad JAFARY",
        "محمد علی جعفری",
    ]
    assert jafari.names[0].title == "Brigadier General"
    assert jafari.names[2].lang == "fas" and jafari.names[2].script == "Arab"
    # "(1) 01/02/1960 (2) 1961" in one cell and "05/1963" in another row.
    assert [(b.text, b.iso) for b in jafari.birth_dates] == [
        ("01/02/1960", "1960-02-01"),
        ("1961", "1961"),
        ("05/1963", "1963-05"),
    ]
    # Town (1) goes with country (1); town (2) is "-".
    assert jafari.birth_places == ["Yazd, Iran", "Iraq"]
    assert jafari.nationalities == ["ir", "iq"]
    assert [(i.type, i.value, i.note) for i in jafari.identifiers] == [
        (IdType.PASSPORT, "D9001234", "Iranian passport"),
        (IdType.PASSPORT, "A7654321", "Diplomatic passport, issued 12 May 2010"),
        (IdType.TAX_ID, "4431234567", "Iranian Tax ID"),
    ]
    assert jafari.positions == [
        "Commander, Example Missile Command",
        "Former Deputy Minister of Defence",
    ]
    assert jafari.titles == ["Brigadier General"]
    assert jafari.extra["unscId"] == ["IRi.099"]
    assert jafari.remarks == ["Involved in ballistic missile procurement."]


def test_xlsx_edition_gives_the_same_entities(tmp_path: Path) -> None:
    xlsx = write_xlsx(tmp_path / "ConList.xlsx", fixture_rows())
    entities, report = load_xlsx(xlsx)
    expected, expected_report = load_csv(FIXTURE)
    assert entities == expected
    assert report.publisher_date == expected_report.publisher_date
    assert report.records == expected_report.records
    assert [s.reason for s in report.skipped] == [s.reason for s in expected_report.skipped]
    assert report.skipped[0].where == "ConList.xlsx, row 19"


@pytest.mark.parametrize(
    ("value", "items"),
    [
        ("(1) Germany. (2) Morocco", ["Germany", "Morocco"]),
        ("(1) 223611 (2) C00146605", ["223611", "C00146605"]),
        ("(1) Tunis (2) - (3) -", ["Tunis", "-", "-"]),
        ("(1) 01/02/1960 (2) 1961", ["01/02/1960", "1961"]),
        ("Russia", ["Russia"]),
        ("Article 3(3) applies (2) times", ["Article 3(3) applies (2) times"]),
        ("(2) only a second item", ["(2) only a second item"]),
        ("(1) Adviser (2012-2013) (2) Governor", ["Adviser (2012-2013)", "Governor"]),
        ("", []),
        (None, []),
    ],
)
def test_split_enumerated(value: str | None, items: list[str]) -> None:
    assert split_enumerated(value) == items


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("07/10/1952", "1952-10-07"),
        ("00/00/1980", "1980"),
        ("00/05/1980", "1980-05"),
        ("05/1973", "1973-05"),
        ("dd/mm/1945", "1945"),
        ("dd/03/1945", "1945-03"),
        ("1961", "1961"),
        ("25-02-2022", "2022-02-25"),
    ],
)
def test_uk_birth_date(text: str, iso: str) -> None:
    # The UK notations are read by the shared parser; the BirthDate keeps the UK wording.
    birth = parse_birth_date(text)
    assert birth is not None and birth.iso == iso and birth.text == text


def test_missing_group_id_column(tmp_path: Path) -> None:
    rows = fixture_rows()
    at = rows[1].index("Group ID")
    bad = write_csv(tmp_path / "ConList.csv", [r[:at] + r[at + 1 :] for r in rows])
    with pytest.raises(ParseError, match="missing required column 'Group ID'") as err:
        load_csv(bad)
    assert err.value.path.endswith("ConList.csv") and err.value.line == 2


def test_missing_name_6_column_in_xlsx(tmp_path: Path) -> None:
    rows = fixture_rows()
    rows[1][0] = "Surname"  # was "Name 6"
    bad = write_xlsx(tmp_path / "ConList.xlsx", rows)
    with pytest.raises(ParseError, match="missing required column 'Name 6'") as err:
        load_xlsx(bad)
    assert err.value.path.endswith("ConList.xlsx") and err.value.element == "row 2"


def test_row_with_wrong_number_of_columns(tmp_path: Path) -> None:
    rows = fixture_rows()
    rows[5] = rows[5][:20]
    bad = write_csv(tmp_path / "ConList.csv", rows)
    with pytest.raises(ParseError, match="row has 20 columns, the header has 36") as err:
        load_csv(bad)
    assert err.value.line == 6


def test_wrong_encoding_names_the_line(tmp_path: Path) -> None:
    lines = FIXTURE.read_bytes().decode("utf-8").split("\r\n")
    assert lines[3].startswith("ISLAMIC REVOLUTIONARY")
    lines[3] = lines[3].replace("ISLAMIC", "ISLÂMIC", 1)
    # A Windows-1252 file cannot hold the Cyrillic and Persian names; drop them.
    latin = "\r\n".join(line for line in lines if line.isascii() or "Â" in line)
    bad = tmp_path / "ConList.csv"
    bad.write_bytes(latin.encode("cp1252"))
    with pytest.raises(ParseError, match="not valid utf-8") as err:
        load_csv(bad)
    assert err.value.path.endswith("ConList.csv") and err.value.line == 4


def test_empty_files(tmp_path: Path) -> None:
    for name, load in (("ConList.csv", load_csv), ("ConList.xlsx", load_xlsx)):
        empty = tmp_path / name
        empty.write_bytes(b"")
        with pytest.raises(ParseError, match="empty") as err:
            load(empty)
        assert err.value.path.endswith(name)


def test_header_only_has_no_records(tmp_path: Path) -> None:
    only = write_csv(tmp_path / "ConList.csv", fixture_rows()[:2])
    entities, report = load_csv(only)
    assert entities == [] and report.records == 0


def test_truncated_xlsx(tmp_path: Path) -> None:
    data = write_xlsx(tmp_path / "full.xlsx", fixture_rows()).read_bytes()
    bad = tmp_path / "ConList.xlsx"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ParseError, match="not a readable XLSX workbook") as err:
        load_xlsx(bad)
    assert err.value.path.endswith("ConList.xlsx")


def test_sniff_fixtures(tmp_path: Path) -> None:
    head = read_head(FIXTURE)
    assert sniff_csv(FIXTURE, head) == SOURCE
    assert sniff_xlsx(FIXTURE, head) is None
    xlsx = write_xlsx(tmp_path / "ConList.xlsx", fixture_rows())
    assert sniff_xlsx(xlsx, read_head(xlsx)) == SOURCE
    assert sniff_csv(xlsx, read_head(xlsx)) is None
    # The FCDO list has an "OFSI Group ID" column but is not the OFSI list, and vice versa.
    fcdo = FIXTURE.parent.parent / "uk_fcdo/UK-Sanctions-List.csv"
    assert sniff_csv(fcdo, read_head(fcdo)) is None
    assert uk_fcdo.sniff_csv(FIXTURE, head) is None
    assert sniff_csv(Path("x.csv"), b"a,b,c\n1,2,3\n") is None


# --- the real ConList.xlsx (April 2025) -------------------------------------------------------

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def read_sheet_simply(path: Path) -> list[dict[str, str]]:
    """The data rows as column-letter -> text, read with zipfile and lxml only (not openpyxl),
    so that the counts below do not depend on the parser under test."""
    with zipfile.ZipFile(path) as archive:
        strings = [
            "".join(si.itertext())
            for si in etree.fromstring(archive.read("xl/sharedStrings.xml")).iter(_MAIN + "si")
        ]
        sheet = etree.fromstring(archive.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iter(_MAIN + "row"):
        cells = {}
        for cell in row.iter(_MAIN + "c"):
            value = cell.find(_MAIN + "v")
            if value is not None and value.text is not None:
                text = strings[int(value.text)] if cell.get("t") == "s" else value.text
                cells[re.sub(r"\d", "", cell.get("r", ""))] = text
        rows.append(cells)
    return rows


@pytest.fixture(scope="module")
def real(official: Path) -> tuple[Path, list[Entity], ParseReport]:
    path = official / "uk_ofsi_conlist/ConList.xlsx"
    entities, report = load_xlsx(path)
    return path, entities, report


def test_real_counts(real: tuple[Path, list[Entity], ParseReport]) -> None:
    path, entities, report = real
    rows = read_sheet_simply(path)
    header = {text: letter for letter, text in rows[1].items()}
    data = [r for r in rows[2:] if r]
    groups = {r[header["Group ID"]] for r in data}
    assert len(data) == 18798 == report.records
    assert len(groups) == 4688
    assert len(entities) + len(report.skipped) == 4688
    assert report.skipped == []
    assert {e.source_id for e in entities} == groups
    assert report.publisher_date == "2025-04-14" and rows[0]["B"] == "14/04/2025"
    ships = {r[header["Group ID"]] for r in data if r[header["Group Type"]] == "Ship"}
    assert {e.source_id for e in entities if e.schema is Schema.VESSEL} == ships


def test_real_putin(real: tuple[Path, list[Entity], ParseReport]) -> None:
    by_id = {e.source_id: e for e in real[1]}
    putin = by_id["14196"]
    assert putin.caption == "Vladimir Vladimirovich PUTIN"
    assert [b.iso for b in putin.birth_dates] == ["1952-10-07"]
    (listing,) = putin.listings
    assert listing.programs == ("Russia",) and listing.reference == "RUS0251"
    assert listing.measure is Measure.BLOCKING and "Asset freeze" in listing.measures
    # The name in Cyrillic comes from the "Name Non-Latin Script" column.
    (cyrillic,) = [n for n in putin.names if n.kind is NameKind.ORIGINAL_SCRIPT]
    assert cyrillic.full == "Владимир Владимирович Путин" and cyrillic.script == "Cyrl"


def test_real_ships_have_imo_numbers(real: tuple[Path, list[Entity], ParseReport]) -> None:
    ships = [e for e in real[1] if e.schema is Schema.VESSEL]
    assert len(ships) == 15
    assert all(any(i.type is IdType.IMO for i in s.identifiers) for s in ships)
    sam_jong = next(s for s in ships if s.caption == "SAM JONG 2")
    assert [i.value for i in sam_jong.identifiers if i.type is IdType.IMO] == ["7408873"]
    assert sam_jong.extra["flag"] == ["North Korea"] and "kp" in sam_jong.countries


def test_real_multi_regime_target(real: tuple[Path, list[Entity], ParseReport]) -> None:
    irgc = next(e for e in real[1] if e.source_id == "11241")
    assert {(lst.programs[0], lst.reference) for lst in irgc.listings} == {
        ("Iran (Nuclear)", "INU0082"),
        ("Syria", "SYR0310"),
    }


def test_sniff_real_files(official: Path) -> None:
    for path in sorted(p for p in official.rglob("*") if p.is_file()):
        head = read_head(path)
        expected = SOURCE if path.name == "ConList.xlsx" else None
        assert sniff_xlsx(path, head) == expected, path
        assert sniff_csv(path, head) is None, path
