"""Tests of the FCDO UK Sanctions List reader (``embargo.sources.uk_fcdo``).

Only the 8-column summary ODS exists among the real files; no full ``UK-Sanctions-List.csv``,
``.xml`` or ``.ods`` was available. The CSV and XML fixtures under
``tests/fixtures/sources/uk_fcdo/`` are therefore hand-made, built from the publisher's
documented schema as far as it could be found with the search tools:

* gov.uk, "UK Sanctions List: change to the list's format" (FCDO, February 2022): the name
  fields ``Name 1-6`` aligned with the OFSI list, the ``Name type`` values (Primary name,
  Primary name variation, Alias) and the alias strength of UN listings;
* the 58-column order of the CSV as mapped by moov-io/watchman
  (``pkg/sources/csl_uk/uk_csl.go``: Last Updated, Unique ID, OFSI Group ID, UN Reference
  Number, Name 6, Name 1..5, Name type, Alias strength, Title, non-Latin fields, Regime Name,
  designation type, Designation source, Sanctions Imposed, Other Information, UK Statement of
  Reasons, Address Line 1..6, Address Postal Code, Address Country, ... Country of birth) and the
  full header spelled out in public test code of readers of the live file, with its leading
  ``Report Date: ...`` line (seen as ``Report Date: 24-Jun-2026`` and ``01/10/2026``);
* the XML element names read by the OpenSanctions crawler
  (``datasets/gb/fcdo_sanctions/crawler.py``): ``Designations/Designation``, ``UniqueID``,
  ``Names/Name/Name1..Name6/NameType``, ``NonLatinNames``, ``IndividualEntityShip``,
  ``SanctionsImposed`` (``|``-separated), ``IndividualDetails/Individual/DOBs/DOB``,
  ``BirthDetails/Location``, ``ShipDetails/Ship/IMONumbers/IMONumber``, ...; and public test
  fragments of the live XML showing ``DateGenerated``, ``AliasStrength`` ("Good quality a.k.a")
  and masked birth dates (``dd/mm/1945``).

The fixtures' records are modelled on real designations, shortened and partly invented. The
summary ODS fixture is a hand-written ``content.xml`` in the layout of the real export; the
tests zip it into an ``.ods`` in ``tmp_path``, and build the full-list ODS from the CSV fixture,
so no binary file is committed.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from lxml import etree

from embargo.errors import ParseError
from embargo.model import Entity, IdType, Measure, NameKind, Schema
from embargo.sources import uk_ofsi
from embargo.sources.base import ParseReport, read_head
from embargo.sources.uk_fcdo import (
    FORMAT_CSV,
    FORMAT_ODS,
    FORMAT_ODS_SUMMARY,
    FORMAT_XML,
    SOURCE,
    parse_csv,
    parse_ods,
    parse_ods_summary,
    parse_xml,
    sniff_csv,
    sniff_ods,
    sniff_ods_summary,
    sniff_xml,
    summary_name,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures/sources/uk_fcdo"
CSV_FIXTURE = FIXTURES / "UK-Sanctions-List.csv"
XML_FIXTURE = FIXTURES / "UK-Sanctions-List.xml"
SUMMARY_CONTENT = FIXTURES / "summary-content.xml"
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"


Parser = Callable[[Path, ParseReport], Iterator[Entity]]


def load(parse: Parser, path: Path, fmt: str) -> tuple[list[Entity], ParseReport]:
    report = ParseReport(SOURCE, fmt)
    return list(parse(path, report)), report


def make_ods(path: Path, content: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", ODS_MIME, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", b"<manifest:manifest/>")
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


def ods_content(rows: list[list[str]]) -> bytes:
    """A content.xml holding ``rows`` as one sheet, in the structure the FCDO export uses."""
    out = io.StringIO()
    out.write(
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
        '<office:body><office:spreadsheet><table:table table:name="UK_Sanctions_List">'
    )
    for row in rows:
        out.write("<table:table-row>")
        for value in row:
            if value:
                out.write(
                    '<table:table-cell office:value-type="string">'
                    f"<text:p>{escape(value)}</text:p></table:table-cell>"
                )
            else:
                out.write("<table:table-cell/>")
        out.write('<table:table-cell table:number-columns-repeated="16000"/></table:table-row>')
    out.write("</table:table></office:spreadsheet></office:body></office:document-content>")
    return out.getvalue().encode("utf-8")


def csv_lines() -> list[str]:
    return CSV_FIXTURE.read_bytes().decode("utf-8").split("\r\n")


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_bytes("\r\n".join(lines).encode("utf-8"))
    return path


@pytest.fixture(scope="module")
def from_csv() -> tuple[dict[str, Entity], ParseReport]:
    entities, report = load(parse_csv, CSV_FIXTURE, FORMAT_CSV.name)
    return {e.source_id: e for e in entities}, report


def test_csv_report(from_csv: tuple[dict[str, Entity], ParseReport]) -> None:
    by_id, report = from_csv
    assert report.publisher_date == "2025-08-11"  # "Report Date: 11-Aug-2025"
    assert report.files == [CSV_FIXTURE]
    assert report.records == 11
    assert list(by_id) == ["RUS0251", "AFG0001", "DPR0075", "AFG0006", "GHR0999"]
    assert [(s.where, s.reason) for s in report.skipped] == [
        ("UK-Sanctions-List.csv, line 12", "row without a Unique ID")
    ]
    assert report.warnings == []


def test_csv_person(from_csv: tuple[dict[str, Entity], ParseReport]) -> None:
    putin = from_csv[0]["RUS0251"]
    assert putin.id == "gb_fcdo-RUS0251" and putin.schema is Schema.PERSON
    assert putin.source_url == (
        "https://search-uk-sanctions-list.service.gov.uk/designations/RUS0251/Individual"
    )
    assert [(n.full, n.kind) for n in putin.names] == [
        ("Vladimir Vladimirovich PUTIN", NameKind.PRIMARY),  # the last line of the file
        ("Vladimir PUTIN", NameKind.ALIAS),
        ("Владимир Владимирович Путин", NameKind.ORIGINAL_SCRIPT),
    ]
    assert putin.names[0].last == "PUTIN" and putin.names[2].lang == "rus"
    assert [b.iso for b in putin.birth_dates] == ["1952-10-07"]
    assert putin.birth_places == ["St Petersburg (then Leningrad), Russia"]
    assert putin.nationalities == ["ru"] and putin.gender == "male"
    (listing,) = putin.listings
    assert (listing.authority, listing.list) == ("UK FCDO", "UK Sanctions List")
    assert listing.measure is Measure.BLOCKING
    assert listing.measures == (
        "Asset freeze",
        "Director Disqualification Sanction",
        "Trust Services Sanctions",
    )
    assert (listing.programs, listing.listed_on, listing.reference) == (
        ("Russia",),
        "2022-02-25",
        "RUS0251",
    )
    assert putin.extra["ofsiGroupId"] == ["14196"]
    assert putin.extra["designationSource"] == ["UK"]
    assert putin.remarks[0].startswith("Statement of reasons: Vladimir Vladimirovich Putin")


def test_csv_entity(from_csv: tuple[dict[str, Entity], ParseReport]) -> None:
    haji = from_csv[0]["AFG0001"]
    assert haji.schema is Schema.ORGANIZATION
    assert [(n.full, n.kind) for n in haji.names] == [
        ("HAJI KHAIRULLAH HAJI SATTAR MONEY EXCHANGE", NameKind.PRIMARY),
        ("HAJI ALIM HAWALA", NameKind.ALIAS),  # "Good quality a.k.a"
        ("HAJI HAKIM HAWALA", NameKind.WEAK),  # "ALias", "Low quality a.k.a"
        ("حاجی خيرالله و حاجی ستار صرافی", NameKind.ORIGINAL_SCRIPT),
    ]
    assert [(a.street, a.city, a.country) for a in haji.addresses] == [
        ("Branch Office 1", "Kabul", "af"),
        ("Branch Office 2", "Kandahar", "af"),
    ]
    assert haji.extra["phone"] == ["+93-202-104748"]
    assert haji.extra["email"] == ["exchange@example.af"]
    assert haji.extra["unscId"] == ["TAe.010"]
    assert haji.extra["legalForm"] == ["Money service provider"]
    assert [(i.type, i.value) for i in haji.identifiers] == [(IdType.REGISTRATION, "MSP-044")]
    assert haji.remarks[0] == "Afghan Money Service Provider License Number 044."


def test_csv_ship_under_port_ban_is_not_blocked(
    from_csv: tuple[dict[str, Entity], ParseReport],
) -> None:
    ship = from_csv[0]["DPR0075"]
    assert ship.schema is Schema.VESSEL
    assert [n.full for n in ship.names] == ["PETREL 8", "JAL VAHINI"]
    assert [(i.type, i.value) for i in ship.identifiers] == [(IdType.IMO, "9562233")]
    assert ship.extra["flag"] == ["Comoros"] and ship.countries == ["km"]
    assert ship.extra["pastFlags"] == ["India"] and ship.extra["buildDate"] == ["2011"]
    assert [(r.kind, r.target) for r in ship.relations] == [
        ("vessel-owner", "Global United Shipping India")
    ]
    (listing,) = ship.listings
    assert listing.measure is Measure.OTHER
    assert listing.measures == ("Prohibition of port entry",)


def test_csv_masked_birth_dates_and_travel_ban(
    from_csv: tuple[dict[str, Entity], ParseReport],
) -> None:
    akhund = from_csv[0]["AFG0006"]
    assert [(b.text, b.iso) for b in akhund.birth_dates] == [
        ("dd/mm/1945", "1945"),
        ("dd/mm/1946", "1946"),
        ("01/03/1958", "1958-03-01"),
    ]
    assert akhund.titles == ["Mullah"]
    assert [(i.type, i.value, i.note) for i in akhund.identifiers] == [
        (IdType.PASSPORT, "P04581926", "Afghanistan passport")
    ]
    assert akhund.listings[0].measures == ("Asset freeze", "Travel Ban", "Arms embargo")
    travel = from_csv[0]["GHR0999"]
    assert travel.listings[0].measure is Measure.OTHER
    assert travel.nationalities == ["by"]


def test_xml_gives_the_same_entities(from_csv: tuple[dict[str, Entity], ParseReport]) -> None:
    entities, report = load(parse_xml, XML_FIXTURE, FORMAT_XML.name)
    assert entities == list(from_csv[0].values())
    assert report.publisher_date == "2025-08-11"  # <DateGenerated>
    assert report.records == 6
    assert [(s.where, s.reason) for s in report.skipped] == [
        ("UK-Sanctions-List.xml, line 202, Designation", "Designation without a UniqueID")
    ]
    assert report.warnings == []


def test_designation_type_column_under_its_other_name(
    tmp_path: Path, from_csv: tuple[dict[str, Entity], ParseReport]
) -> None:
    lines = csv_lines()
    lines[1] = lines[1].replace(",Designation Type,", ',"Individual, Entity, Ship",')
    entities, _ = load(parse_csv, write_lines(tmp_path / "list.csv", lines), FORMAT_CSV.name)
    assert entities == list(from_csv[0].values())


@pytest.mark.parametrize(
    ("first_line", "date"),
    [
        ("Report Date: 11-Aug-2025", "2025-08-11"),
        ("Report Date: 11/08/2025", "2025-08-11"),
        ('"Report Date: 11/08/2025"', "2025-08-11"),
        ("Report Date,11/08/2025", "2025-08-11"),
    ],
)
def test_report_date_line(tmp_path: Path, first_line: str, date: str) -> None:
    lines = csv_lines()
    lines[0] = first_line
    _, report = load(parse_csv, write_lines(tmp_path / "list.csv", lines), FORMAT_CSV.name)
    assert report.publisher_date == date


def test_no_report_date_line(tmp_path: Path) -> None:
    entities, report = load(
        parse_csv, write_lines(tmp_path / "list.csv", csv_lines()[1:]), FORMAT_CSV.name
    )
    assert len(entities) == 5
    assert report.publisher_date is None
    assert report.warnings == ["list.csv: no report date; the list date is unknown"]


def summary_ods(tmp_path: Path) -> Path:
    return make_ods(tmp_path / "FCDO_SL_Mon_Aug 11 2025.ods", SUMMARY_CONTENT.read_bytes())


def test_summary_ods(tmp_path: Path) -> None:
    path = summary_ods(tmp_path)
    entities, report = load(parse_ods_summary, path, FORMAT_ODS_SUMMARY.name)
    by_id = {e.source_id: e for e in entities}
    assert report.publisher_date == "2025-08-11"  # from the file name
    assert report.records == 8  # the trailing blank rows repeated a million times are not rows
    assert list(by_id) == ["AFG0001", "DPR0076", "RUS0251", "RUS1815", "VEN0099", "CYB0042"]
    assert [(s.where, s.reason) for s in report.skipped] == [
        ("FCDO_SL_Mon_Aug 11 2025.ods, row 7, BEL0174", "designation without a name"),
        (
            "FCDO_SL_Mon_Aug 11 2025.ods, row 9, CYB0042",
            "Unique ID already read from an earlier row",
        ),
    ]
    assert report.warnings == [f"{path.name}: more than one sheet; only the first is read"]
    putin = by_id["RUS0251"]
    assert putin.caption == "Vladimir Vladimirovich PUTIN" and putin.names[0].last == "PUTIN"
    (listing,) = putin.listings
    assert listing.measure is Measure.BLOCKING and listing.programs == ("Russia",)
    assert listing.listed_on == "2022-02-25" and listing.reference == "RUS0251"
    assert putin.extra == {"ofsiGroupId": ["14196"], "designationSource": ["UK"]}
    # <text:s/> elements stand for runs of spaces.
    assert by_id["RUS1815"].caption == "Aleksey Valerievich LAZARENKO"
    assert by_id["RUS1815"].listings[0].measures[0] == "Asset freeze"  # after a stray comma
    # No case cue: the name stays as published.
    assert by_id["VEN0099"].caption == "Moreno Perez Maria Elena"
    assert by_id["VEN0099"].names[0].last is None
    assert by_id["VEN0099"].listings[0].measure is Measure.OTHER
    assert by_id["VEN0099"].extra["designationSource"] == ["UK", "UN"]
    ship = by_id["DPR0076"]
    assert ship.schema is Schema.VESSEL and "ofsiGroupId" not in ship.extra
    assert ship.source_url is not None and ship.source_url.endswith("/designations/DPR0076/Ship")
    assert ship.listings[0].measures == ("De-flag", "Prohibition of port entry")
    assert ship.listings[0].measure is Measure.OTHER


@pytest.mark.parametrize(
    ("published", "schema", "full", "last"),
    [
        ("PUTIN Vladimir Vladimirovich", Schema.PERSON, "Vladimir Vladimirovich PUTIN", "PUTIN"),
        ("Al-HOUTHI Ali Hussein", Schema.PERSON, "Ali Hussein Al-HOUTHI", "Al-HOUTHI"),
        (
            "ABDUL QADER Abdul Hai Hazem",
            Schema.PERSON,
            "Abdul Hai Hazem ABDUL QADER",
            "ABDUL QADER",
        ),
        ("Saab Moran Alex Nain", Schema.PERSON, "Saab Moran Alex Nain", None),
        ("SHAH MOHAMMED AKHTAR MANSOUR", Schema.PERSON, "SHAH MOHAMMED AKHTAR MANSOUR", None),
        ("Mutlu COBANOGLU", Schema.PERSON, "Mutlu COBANOGLU", None),
        ("HIDAYATULLAH", Schema.PERSON, "HIDAYATULLAH", None),
        ("ROSHAN MONEY EXCHANGE Ltd", Schema.ORGANIZATION, "ROSHAN MONEY EXCHANGE Ltd", None),
    ],
)
def test_summary_name_order(published: str, schema: Schema, full: str, last: str | None) -> None:
    name = summary_name(published, schema)
    assert name is not None and (name.full, name.last) == (full, last)


def test_full_ods_gives_the_same_entities(
    tmp_path: Path, from_csv: tuple[dict[str, Entity], ParseReport]
) -> None:
    rows = list(csv.reader(io.StringIO(CSV_FIXTURE.read_bytes().decode("utf-8"))))
    path = make_ods(tmp_path / "UK-Sanctions-List.ods", ods_content(rows))
    entities, report = load(parse_ods, path, FORMAT_ODS.name)
    assert entities == list(from_csv[0].values())
    assert report.publisher_date == "2025-08-11"
    assert report.skipped[0].where == "UK-Sanctions-List.ods, row 12"
    assert sniff_ods(path, read_head(path)) == SOURCE
    assert sniff_ods_summary(path, read_head(path)) is None
    with pytest.raises(ParseError, match=r"read it with format uk-fcdo-ods$") as err:
        load(parse_ods_summary, path, FORMAT_ODS_SUMMARY.name)
    assert err.value.element == "row 2"


# --- bad input --------------------------------------------------------------------------------


def test_csv_missing_unique_id_column(tmp_path: Path) -> None:
    lines = csv_lines()
    lines[1] = lines[1].replace("Unique ID", "Reference")
    with pytest.raises(ParseError, match="missing required column 'Unique ID'") as err:
        load(parse_csv, write_lines(tmp_path / "list.csv", lines), FORMAT_CSV.name)
    assert err.value.path.endswith("list.csv") and err.value.line == 2


def test_csv_row_with_wrong_number_of_columns(tmp_path: Path) -> None:
    lines = csv_lines()
    lines[4] = lines[4] + ",surplus"
    with pytest.raises(ParseError, match="row has 59 columns, the header has 58") as err:
        load(parse_csv, write_lines(tmp_path / "list.csv", lines), FORMAT_CSV.name)
    assert err.value.line == 5


def test_csv_wrong_encoding(tmp_path: Path) -> None:
    lines = [line for line in csv_lines() if line.isascii()]
    lines[3] = lines[3].replace("HAJI ALIM", "HAJÍ ALIM", 1)
    bad = tmp_path / "list.csv"
    bad.write_bytes("\r\n".join(lines).encode("latin-1"))
    with pytest.raises(ParseError, match="not valid utf-8") as err:
        load(parse_csv, bad, FORMAT_CSV.name)
    assert err.value.path.endswith("list.csv") and err.value.line == 4


def test_xml_truncated(tmp_path: Path) -> None:
    data = XML_FIXTURE.read_bytes()
    bad = tmp_path / "UK-Sanctions-List.xml"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ParseError) as err:
        load(parse_xml, bad, FORMAT_XML.name)
    assert err.value.path.endswith("UK-Sanctions-List.xml") and err.value.line is not None


def test_xml_wrong_root(tmp_path: Path) -> None:
    bad = tmp_path / "UK-Sanctions-List.xml"
    bad.write_text("<?xml version='1.0'?>\n<CONSOLIDATED_LIST><INDIVIDUALS/></CONSOLIDATED_LIST>")
    with pytest.raises(ParseError, match="expected <Designations>") as err:
        load(parse_xml, bad, FORMAT_XML.name)
    assert err.value.line == 2


def test_ods_truncated(tmp_path: Path) -> None:
    data = summary_ods(tmp_path).read_bytes()
    bad = tmp_path / "FCDO_SL_Tue_Aug 12 2025.ods"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ParseError, match="not a readable ODS file") as err:
        load(parse_ods_summary, bad, FORMAT_ODS_SUMMARY.name)
    assert err.value.path.endswith("FCDO_SL_Tue_Aug 12 2025.ods")


def test_ods_damaged_content(tmp_path: Path) -> None:
    content = SUMMARY_CONTENT.read_bytes()
    cut = content.index(b"RUS0251")
    bad = make_ods(tmp_path / "summary.ods", content[:cut])
    with pytest.raises(ParseError, match="truncated or malformed") as err:
        load(parse_ods_summary, bad, FORMAT_ODS_SUMMARY.name)
    assert err.value.element == "content.xml" and err.value.line is not None


def test_ods_missing_column(tmp_path: Path) -> None:
    content = SUMMARY_CONTENT.read_bytes().replace(b">Unique ID<", b">Reference<")
    bad = make_ods(tmp_path / "summary.ods", content)
    with pytest.raises(ParseError, match="missing required column 'Unique ID'") as err:
        load(parse_ods_summary, bad, FORMAT_ODS_SUMMARY.name)
    assert err.value.path.endswith("summary.ods") and err.value.element == "row 1"


def test_empty_files(tmp_path: Path) -> None:
    for name, parse in (
        ("list.csv", parse_csv),
        ("list.xml", parse_xml),
        ("list.ods", parse_ods_summary),
    ):
        empty = tmp_path / name
        empty.write_bytes(b"")
        with pytest.raises(ParseError, match="empty") as err:
            load(parse, empty, "x")
        assert err.value.path.endswith(name)


def test_sniff_fixtures(tmp_path: Path) -> None:
    csv_head, xml_head = read_head(CSV_FIXTURE), read_head(XML_FIXTURE)
    assert sniff_csv(CSV_FIXTURE, csv_head) == SOURCE
    assert sniff_xml(XML_FIXTURE, xml_head) == SOURCE
    assert sniff_xml(CSV_FIXTURE, csv_head) is None
    assert sniff_csv(XML_FIXTURE, xml_head) is None
    ods = summary_ods(tmp_path)
    assert sniff_ods_summary(ods, read_head(ods)) == SOURCE
    assert sniff_ods(ods, read_head(ods)) is None
    assert sniff_csv(ods, read_head(ods)) is None
    ofsi = FIXTURES.parent / "uk_ofsi/ConList.csv"
    assert sniff_csv(ofsi, read_head(ofsi)) is None
    assert uk_ofsi.sniff_csv(CSV_FIXTURE, csv_head) is None
    # Without its "Report Date" line the file starts "Last Updated,", as the OFSI list does.
    bare = write_lines(tmp_path / "bare.csv", csv_lines()[1:])
    assert sniff_csv(bare, read_head(bare)) == SOURCE
    assert uk_ofsi.sniff_csv(bare, read_head(bare)) is None


# --- the real summary export (11 August 2025) -------------------------------------------------

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


def read_summary_simply(path: Path) -> list[list[str]]:
    """The rows that carry a Unique ID, read with zipfile and lxml's tree API only."""
    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("content.xml"), parser=etree.XMLParser(huge_tree=True))
    rows = []
    for row in root.iter(_TABLE + "table-row"):
        texts = [" ".join("".join(c.itertext()).split()) for c in row.iter(_TABLE + "table-cell")]
        if texts and re.fullmatch(r"[A-Z]{3}\d{4}", texts[0]):
            rows.append(texts[:8])
    return rows


@pytest.fixture(scope="module")
def real_summary(official: Path) -> tuple[Path, list[Entity], ParseReport]:
    path = official / "uk_fcdo_sanctions_list/FCDO_SL_Mon_Aug 11 2025.ods"
    entities, report = load(parse_ods_summary, path, FORMAT_ODS_SUMMARY.name)
    return path, entities, report


def test_real_summary_counts(real_summary: tuple[Path, list[Entity], ParseReport]) -> None:
    path, entities, report = real_summary
    rows = read_summary_simply(path)
    # The data README says 5,303; the sheet has a header, 5,302 designations and one blank
    # filler row repeated to the end of the sheet.
    assert len(rows) == len({r[0] for r in rows}) == 5302 == report.records
    assert len(entities) + len(report.skipped) == 5302
    blank = sorted(r[0] for r in rows if not r[2])
    assert (
        sorted(s.where.rsplit(", ", 1)[1] for s in report.skipped)
        == blank
        == [
            "BEL0174",
            "RUS1467",
        ]
    )
    assert {s.reason for s in report.skipped} == {"designation without a name"}
    assert report.publisher_date == "2025-08-11"
    not_frozen = {r[0] for r in rows if "asset freeze" not in r[7].lower() and r[2]}
    assert {e.source_id for e in entities if e.listings[0].measure is not Measure.BLOCKING} == (
        not_frozen
    )
    assert len(not_frozen) == 456


def test_real_summary_putin(real_summary: tuple[Path, list[Entity], ParseReport]) -> None:
    putin = next(e for e in real_summary[1] if e.source_id == "RUS0251")
    assert putin.schema is Schema.PERSON
    assert putin.caption == "Vladimir Vladimirovich PUTIN"
    (listing,) = putin.listings
    assert listing.programs == ("Russia",) and listing.reference == "RUS0251"
    assert listing.measure is Measure.BLOCKING and "Asset freeze" in listing.measures
    assert listing.listed_on == "2022-02-25"
    assert putin.extra["ofsiGroupId"] == ["14196"]


def test_sniff_real_files(official: Path) -> None:
    for path in sorted(p for p in official.rglob("*") if p.is_file()):
        head = read_head(path)
        expected = SOURCE if path.name.startswith("FCDO_SL_") else None
        assert sniff_ods_summary(path, head) == expected, path
        assert sniff_ods(path, head) is None, path
        assert sniff_csv(path, head) is None, path
        assert sniff_xml(path, head) is None, path
