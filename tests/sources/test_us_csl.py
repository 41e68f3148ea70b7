"""US Consolidated Screening List, CSV and JSON editions.

``fixtures/sources/us_csl/consolidated.csv`` is written by hand in the layout of the real file
(README section 2.9). ``consolidated.json`` is also hand-made: no real JSON edition was found,
so its shape follows the published descriptions of the trade.gov CSL API and bulk file —
the ``ScreeningListEntry``/``Address``/``IdentityDocument`` schemas in the ITA Data Services
OpenAPI description (github.com/api-evangelist/international-trade-administration,
``openapi/international-trade-administration-openapi.yml``), the CSL data model derived from
the bulk ``consolidated.json`` (github.com/api-evangelist/bureau-of-industry-and-security,
``data-model/...-data-model.yml``: arrays for alt_names/programs/dates, ``addresses`` as
objects whose region field is named ``state`` in the bulk file, ``ids`` as objects with
type/number/country/issue_date/expiration_date) and the envelope
``{"results": [...], "search_performed_at": ..., "sources_used": [...]}``.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from embargo.errors import ParseError
from embargo.model import Entity, IdType, Measure, NameKind, Schema
from embargo.sources.base import ParseReport, read_head
from embargo.sources.us_csl import SOURCE, parse_csv, parse_json, sniff_csv, sniff_json


def load_csv(path: Path) -> tuple[list[Entity], ParseReport]:
    report = ParseReport(SOURCE, "us-csl-csv")
    return list(parse_csv(path, report)), report


def load_json(path: Path) -> tuple[list[Entity], ParseReport]:
    report = ParseReport(SOURCE, "us-csl-json")
    return list(parse_json(path, report)), report


@pytest.fixture
def csl_dir(fixtures: Path) -> Path:
    return fixtures / "sources/us_csl"


def test_csv_fixture(csl_dir: Path) -> None:
    entities, report = load_csv(csl_dir / "consolidated.csv")
    assert report.records == 13
    assert report.publisher_date is None  # the CSV states no date
    assert [s.reason for s in report.skipped] == [
        "duplicate of consolidated.csv, line 11 (same _id on the same list)",
        "row has no name",
    ]
    assert len(entities) == 11
    by_id = {e.id: e for e in entities}

    putin = by_id["us_trade_csl-35096-sdn"]
    assert putin.schema is Schema.PERSON and putin.source_id == "35096"
    assert putin.names[0].full == "Vladimir Vladimirovich PUTIN"
    assert (putin.names[0].first, putin.names[0].last) == ("Vladimir Vladimirovich", "PUTIN")
    assert putin.names[1].full == "Vladimir PUTIN" and putin.names[1].kind is NameKind.ALIAS
    assert putin.birth_dates[0].iso == "1952-10-07"
    assert putin.nationalities == ["ru"] and putin.citizenships == ["ru"]
    assert putin.birth_places == ["Leningrad, Russia"]
    assert putin.gender == "male" and putin.identifiers == []
    assert putin.positions == ["President of the Russian Federation"]
    assert [a.country for a in putin.addresses] == ["ru", "ru"]
    assert putin.extra["ofacUid"] == ["35096"]
    assert putin.source_url == "http://bit.ly/1MLgpye"
    (listing,) = putin.listings
    assert listing.measure is Measure.BLOCKING and listing.authority == "US OFAC"
    assert listing.programs == ("RUSSIA-EO14024",) and listing.source == SOURCE

    # One OFAC uid on two Treasury lists: two entities, told apart by the list code.
    sdn, ssi = by_id["us_trade_csl-18782-sdn"], by_id["us_trade_csl-18782-ssi"]
    assert sdn.source_id == ssi.source_id == "18782"
    assert sdn.listings[0].measure is Measure.BLOCKING
    assert ssi.listings[0].measure is Measure.SECTORAL
    assert ssi.listings[0].measures == ("Subject to Directive 3",)
    assert sdn.identifiers[0].type is IdType.TAX_ID and sdn.identifiers[0].country == "ru"
    assert sdn.extra["website"] == ["www.roe.ru"]
    assert "secondarySanctionsRisk" in sdn.extra  # an id-list attribute, not an identifier
    assert sdn.relations[0].target == "ROSTEC"

    ssb = by_id["us_trade_csl-27016-ns-mbs"]
    assert ssb.listings[0].measure is Measure.MENU_BASED
    assert ssb.listings[0].measures == (
        "EXPORT SANCTIONS Sec. 235(a)(2)",
        "SANCTIONS ON PRINCIPAL EXECUTIVE OFFICERS. Sec 235(a)(12)",
    )

    vessel = by_id["us_trade_csl-25363-sdn"]
    assert vessel.schema is Schema.VESSEL
    assert vessel.identifiers[0].type is IdType.IMO and vessel.identifiers[0].value == "9305192"
    assert vessel.extra["callSign"] == ["9BQE4"] and vessel.extra["tonnage"] == ["40166"]
    assert vessel.extra["flag"] == ["Iran"] and vessel.countries == ["ir"]

    ssrc = by_id["us_trade_csl-3dc50ce4fbaa2bd1961dc1bb4de32c97cf382dee"]
    assert ssrc.schema is Schema.ORGANIZATION
    (el,) = ssrc.listings
    assert (el.authority, el.list, el.measure) == ("US BIS", "Entity List", Measure.EXPORT_CONTROL)
    assert el.measures == (
        "Licence requirement: For all items subject to the EAR (See §744.11 of the EAR)",
        "Licence review policy: Presumption of denial",
    )
    assert el.listed_on == "2011-08-15" and el.legal_basis.startswith("70 FR 11861")

    # BIS lists hold people too: with no type and no person data the party stays LegalEntity.
    zubarev = by_id["us_trade_csl-d52dc860874554fcdb1532b46adc6953ebe95cd8"]
    assert zubarev.schema is Schema.UNKNOWN and zubarev.caption == "Ivan Zubarev"

    itar = by_id["us_trade_csl-36e892bb5fd362fb99dc858bf72a9b3294bfac51"]
    assert itar.listings[0].measure is Measure.DEBARMENT
    assert [n.full for n in itar.names] == [
        "Precision Image Corporation",
        "Precision Industries, Inc.",
        "CK Enterprises, Inc.",
    ]

    dpl = by_id["us_trade_csl-b34c61986c5ee9b8aa4e3ad5fe326571fb37839b"]
    assert dpl.caption == "ARESH SEPHERI ESHTAJRAN"  # trailing comma dropped
    assert dpl.extra["endDate"] == ["2026-02-26"] and dpl.listings[0].listed_on == "2019-09-30"

    capta = by_id["us_trade_csl-15268-capta"]
    assert capta.identifiers[0].type is IdType.SWIFT_BIC

    isn = by_id["us_trade_csl-9da85e161ddea739b23cabd79dfa1e532bb842c9"]
    assert isn.listings[0].programs == (
        "Chemical and Biological Weapons Control and Warfare Elimination Act (CBW Act)",
    )


def test_json_fixture(csl_dir: Path) -> None:
    entities, report = load_json(csl_dir / "consolidated.json")
    assert report.records == 6 and report.stated_count == 6
    assert report.publisher_date == "2024-05-13"  # newest source_last_updated
    assert [s.reason for s in report.skipped] == ["result is not a JSON object"]
    by_id = {e.id: e for e in entities}
    assert len(by_id) == 5

    ssb = by_id["us_trade_csl-27016-ns-mbs"]
    assert ssb.listings[0].measures == ("EXPORT SANCTIONS Sec. 235(a)(2)",)
    tax = ssb.identifiers[0]
    assert (tax.type, tax.value, tax.country, tax.note) == (
        IdType.TAX_ID,
        "0123456789",
        "tr",
        "issued 2019-07-12",
    )
    assert ssb.addresses[0].city == "Ankara" and ssb.addresses[0].street is None

    vessel = by_id["us_trade_csl-25363-sdn"]
    assert vessel.extra["tonnage"] == ["40166"]  # a number in JSON
    assert vessel.identifiers[0].value == "9305192"

    ssrc = by_id["us_trade_csl-3dc50ce4fbaa2bd1961dc1bb4de32c97cf382dee"]
    address = ssrc.addresses[0]
    assert (address.street, address.city, address.country) == ("P.O. Box 4470", "Damascus", "sy")
    assert ssrc.listings[0].measure is Measure.EXPORT_CONTROL

    itar = by_id["us_trade_csl-a0c1b6c43ad9d6a34bba0e0d1b6f8a3f29b0e9d1"]
    assert itar.listings[0].measure is Measure.DEBARMENT and itar.schema is Schema.UNKNOWN


def test_csv_and_json_share_the_row_logic(csl_dir: Path) -> None:
    from_csv = {e.id: e for e in load_csv(csl_dir / "consolidated.csv")[0]}
    from_json = {e.id: e for e in load_json(csl_dir / "consolidated.json")[0]}
    a, b = from_csv["us_trade_csl-35096-sdn"], from_json["us_trade_csl-35096-sdn"]
    assert a.names == b.names and a.birth_dates == b.birth_dates
    assert a.listings == b.listings and a.gender == b.gender and a.extra == b.extra
    a, b = from_csv["us_trade_csl-25363-sdn"], from_json["us_trade_csl-25363-sdn"]
    assert a.identifiers == b.identifiers and a.relations == b.relations


def test_sniff(csl_dir: Path, fixtures: Path) -> None:
    csv_path, json_path = csl_dir / "consolidated.csv", csl_dir / "consolidated.json"
    assert sniff_csv(csv_path, read_head(csv_path)) == SOURCE
    assert sniff_json(json_path, read_head(json_path)) == SOURCE
    assert sniff_csv(json_path, read_head(json_path)) is None
    assert sniff_json(csv_path, read_head(csv_path)) is None
    others = {
        "targets.simple.csv": b'"id","schema","name","aliases","birth_date","countries"\n',
        "entities.ftm.json": b'{"id": "x", "schema": "Person", "properties": {}}\n',
        "senzing.json": b'{"DATA_SOURCE": "OS_X", "RECORD_ID": "1"}\n',
        "index.json": b'{"name": "x", "resources": []}',
        "sdn.csv": b'36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA"\r\n',
    }
    for name, head in others.items():
        assert sniff_csv(Path(name), head) is None, name
        assert sniff_json(Path(name), head) is None, name
    sdn = fixtures / "sources/ofac_xml/sdn.xml"
    assert sniff_csv(sdn, read_head(sdn)) is None and sniff_json(sdn, read_head(sdn)) is None


@pytest.mark.parametrize("column", ["name", "source"])
def test_missing_required_column(tmp_path: Path, csl_dir: Path, column: str) -> None:
    lines = (csl_dir / "consolidated.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    header[header.index(column)] = "something_else"
    bad = tmp_path / "consolidated.csv"
    bad.write_text("\n".join([",".join(header), *lines[1:]]) + "\n", encoding="utf-8")
    with pytest.raises(ParseError) as err:
        load_csv(bad)
    assert f"'{column}'" in err.value.reason and err.value.line == 1
    assert "consolidated.csv" in str(err.value)


def test_wrong_encoding_names_line(tmp_path: Path, csl_dir: Path) -> None:
    data = (csl_dir / "consolidated.csv").read_bytes()
    lines = data.split(b"\n")
    lines[3] = lines[3].replace(b"ROSOBORONEKSPORT", "ROSOBORONÉKSPORT".encode("latin-1"))
    bad = tmp_path / "consolidated.csv"
    bad.write_bytes(b"\n".join(lines))
    with pytest.raises(ParseError) as err:
        load_csv(bad)
    assert "UTF-8" in err.value.reason and err.value.line == 4


def test_truncated_quote(tmp_path: Path, csl_dir: Path) -> None:
    text = (csl_dir / "consolidated.csv").read_text(encoding="utf-8")
    cut = text.index('"Precision Image Corporation') + 10
    bad = tmp_path / "consolidated.csv"
    bad.write_text(text[:cut], encoding="utf-8")
    with pytest.raises(ParseError) as err:
        load_csv(bad)
    assert "malformed CSV" in err.value.reason and err.value.line == 9


def test_wrong_field_count(tmp_path: Path, csl_dir: Path) -> None:
    lines = (csl_dir / "consolidated.csv").read_text(encoding="utf-8").splitlines()
    lines[2] += ",extra"
    bad = tmp_path / "consolidated.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ParseError, match="30 fields, the header has 29") as err:
        load_csv(bad)
    assert err.value.line == 3


def test_empty_files(tmp_path: Path) -> None:
    empty = tmp_path / "consolidated.csv"
    empty.write_bytes(b"")
    with pytest.raises(ParseError, match="empty"):
        load_csv(empty)
    empty_json = tmp_path / "consolidated.json"
    empty_json.write_bytes(b"  \n")
    with pytest.raises(ParseError, match="empty"):
        load_json(empty_json)


def test_bad_json(tmp_path: Path, csl_dir: Path) -> None:
    text = (csl_dir / "consolidated.json").read_text(encoding="utf-8")
    bad = tmp_path / "consolidated.json"
    bad.write_text(text[: text.index('"PRESIDENCY')], encoding="utf-8")
    with pytest.raises(ParseError, match="truncated") as err:
        load_json(bad)
    assert err.value.line == text[: text.index('"PRESIDENCY')].rstrip("\n").count("\n") + 1
    bad.write_text('{"total": 1,\n "results": [}\n', encoding="utf-8")
    with pytest.raises(ParseError, match="malformed JSON") as err:
        load_json(bad)
    assert err.value.line == 2
    bad.write_text('{"total": 0, "items": []}', encoding="utf-8")
    with pytest.raises(ParseError, match="no 'results' array"):
        load_json(bad)


# --- the real 2022 file ----------------------------------------------------------------------

README_COUNTS = {
    "SDN": 10026,
    "Entity List": 2001,
    "ITAR Debarred": 727,
    "Denied Persons": 462,
    "SSI": 290,
    "Unverified": 201,
    "Nonproliferation": 163,
    "PLC": 78,
    "MEU": 71,
    "CMIC": 68,
    "CAPTA": 53,
    "NS-MBS": 17,
    "FSE": 3,
}
# The short names README section 2.9 uses, for the long labels of the ``source`` column.
_SHORT = {
    "Specially Designated Nationals (SDN) - Treasury Department": "SDN",
    "Entity List (EL) - Bureau of Industry and Security": "Entity List",
    "ITAR Debarred (DTC) - State Department": "ITAR Debarred",
    "Denied Persons List (DPL) - Bureau of Industry and Security": "Denied Persons",
    "Sectoral Sanctions Identifications List (SSI) - Treasury Department": "SSI",
    "Unverified List (UVL) - Bureau of Industry and Security": "Unverified",
    "Nonproliferation Sanctions (ISN) - State Department": "Nonproliferation",
    "Palestinian Legislative Council List (PLC) - Treasury Department": "PLC",
    "Military End User (MEU) List - Bureau of Industry and Security": "MEU",
    "Non-SDN Chinese Military-Industrial Complex Companies List (CMIC) - Treasury Department": (
        "CMIC"
    ),
    "Capta List (CAP) - Treasury Department": "CAPTA",
    "Non-SDN Menu-Based Sanctions List (NS-MBS List) - Treasury Department": "NS-MBS",
    "Foreign Sanctions Evaders (FSE) - Treasury Department": "FSE",
}


@pytest.fixture(scope="module")
def real(official: Path) -> tuple[Path, list[Entity], ParseReport]:
    path = official / "us_trade_csl/consolidated.csv"
    entities, report = load_csv(path)
    return path, entities, report


def test_real_counts(real: tuple[Path, list[Entity], ParseReport]) -> None:
    path, entities, report = real
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 14160 == report.records
    raw = Counter(_SHORT[r["source"]] for r in rows)
    assert raw == README_COUNTS
    # Every row is an entity except the one duplicate CAPTA row (same _id, same list).
    assert len(entities) == 14159 and len(report.skipped) == 1
    assert "15268" in report.skipped[0].where and "duplicate" in report.skipped[0].reason
    assert len({e.id for e in entities}) == len(entities)
    by_list = Counter(e.listings[0].list for e in entities)
    assert by_list["SDN List"] == 10026 and by_list["Entity List"] == 2001
    assert by_list["ITAR Debarred List"] == 727 and by_list["Denied Persons List"] == 462
    assert by_list["Correspondent Account or Payable-Through Account Sanctions List"] == 53 - 1
    assert sum(by_list.values()) == 14159
    assert len(report.warnings) == 3 and all("Windows-1252" in w for w in report.warnings)
    assert any(e.caption == "CAST Xi’an Spaceflight Engine Factory" for e in entities)


def test_real_spot_checks(real: tuple[Path, list[Entity], ParseReport]) -> None:
    _, entities, _ = real
    by_id = {e.id: e for e in entities}
    putin = by_id["us_trade_csl-35096-sdn"]
    assert putin.caption == "Vladimir Vladimirovich PUTIN"
    assert putin.birth_dates[0].iso == "1952-10-07"
    assert putin.listings[0].measure is Measure.BLOCKING
    roe = by_id["us_trade_csl-18782-sdn"]
    assert roe.caption == "ROSOBORONEKSPORT OAO"
    assert "ROSOBORONEXPORT JSC" in {n.full for n in roe.names}
    assert roe.extra["ofacUid"] == ["18782"]
    el = next(
        e
        for e in entities
        if e.caption == "Joint Stock Company Perm Scientific Industrial "
        "Instrument-Making Company (PNPPK)"
    )
    assert el.listings[0].measure is Measure.EXPORT_CONTROL
    assert any(
        m.startswith("Licence requirement: For all items subject to the EAR")
        for m in el.listings[0].measures
    )
    itar = next(e for e in entities if e.caption == "Rogelio Esparza-Juarez")
    assert itar.listings[0].measure is Measure.DEBARMENT and itar.schema is Schema.UNKNOWN
    ssb = by_id["us_trade_csl-27016-ns-mbs"]
    assert ssb.listings[0].measure is Measure.MENU_BASED
    assert any("235(a)(2)" in m for m in ssb.listings[0].measures)


def test_real_sniff_claims_only_the_csl(official: Path) -> None:
    claimed = []
    for path in sorted(p for p in official.rglob("*") if p.is_file()):
        head = read_head(path)
        if sniff_csv(path, head) or sniff_json(path, head):
            claimed.append(path.relative_to(official).as_posix())
    assert claimed == ["us_trade_csl/consolidated.csv"]
