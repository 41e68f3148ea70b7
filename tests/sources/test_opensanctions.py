"""OpenSanctions ``targets.simple.csv`` and Senzing JSON lines.

The fixtures under ``fixtures/sources/opensanctions/`` are written by hand in the layout of
OpenSanctions' exports (README section 2.10): multi-valued cells are ``;``-joined CSV rows, an
empty sanction text is written ``""``, Senzing records follow OpenSanctions' Senzing exporter
(``RECORD_TYPE`` null for non-person, non-organisation things). The parties are invented.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from embargo.errors import ParseError
from embargo.model import Entity, IdType, Measure, NameKind, Schema
from embargo.sources import ftm, us_csl
from embargo.sources.base import ParseReport, read_head
from embargo.sources.opensanctions import (
    parse_senzing,
    parse_simple_csv,
    sniff_senzing,
    sniff_simple_csv,
)


def load_simple(path: Path, source: str = "ftm_test") -> tuple[list[Entity], ParseReport]:
    report = ParseReport(source, "os-simple-csv")
    return list(parse_simple_csv(path, report)), report


def load_senzing(path: Path, source: str = "ftm_test") -> tuple[list[Entity], ParseReport]:
    report = ParseReport(source, "senzing-json")
    return list(parse_senzing(path, report)), report


@pytest.fixture
def os_dir(fixtures: Path) -> Path:
    return fixtures / "sources/opensanctions"


def test_simple_csv_fixture(os_dir: Path) -> None:
    entities, report = load_simple(os_dir / "targets.simple.csv")
    assert report.records == 6 and report.publisher_date == "2026-03-13"
    assert [(s.where, s.reason) for s in report.skipped] == [
        ("targets.simple.csv, line 7, pos-1", "schema 'Position' is not a party")
    ]
    by_id = {e.id: e for e in entities}
    vessel = by_id["NK-vessel1"]
    assert vessel.schema is Schema.VESSEL
    assert [n.full for n in vessel.names] == ["SEA WIND", "OCEAN BREEZE", "Sea Wind I"]
    assert vessel.identifiers[0].type is IdType.IMO and vessel.identifiers[0].value == "9123456"
    assert vessel.countries == ["lr", "pa"]
    # An empty sanction text ("") still means a sanction: the row is listed.
    (listing,) = vessel.listings
    assert (listing.authority, listing.measure) == ("Ukraine War and Sanctions", Measure.OTHER)
    assert listing.programs == ("UA-WS-MARE",)
    assert vessel.remarks == []

    petrov = by_id["NK-person1"]
    assert petrov.birth_dates[0].iso == "1970-03-15"
    assert {n.full: n.kind for n in petrov.names}[
        "ПЕТРОВ Иван Сергеевич"
    ] is NameKind.ORIGINAL_SCRIPT
    assert petrov.identifiers[0].type is IdType.OTHER  # the column does not say which kind
    assert petrov.remarks == [
        "Sanction: Head of a drone plant - Supplies components for Shahed UAVs"
    ]
    assert petrov.extra["phone"] == ["+7 495 000 00 00"]
    assert petrov.extra["email"] == ["ivan@petrov.example"]

    plant = by_id["NK-le1"]
    assert plant.schema is Schema.UNKNOWN
    assert [a.full for a in plant.addresses] == [
        "141321, Moscow region, Krasnozavodsk; building 2",  # a ";" inside one value
        "Moscow, Prospekt Mira, 125",
    ]
    assert plant.remarks == ['Sanction: A "pyrotechnics" maker with two lines']
    assert by_id["NK-company1"].listings[0].programs == ()
    assert by_id["NK-person2"].listings == []  # no sanction: not a sanctions hit


def test_simple_csv_without_program_ids_and_index_name(os_dir: Path) -> None:
    path = os_dir / "peps/targets.simple.csv"
    # index.json beside the file turns the dataset title into its name.
    assert sniff_simple_csv(path, read_head(path)) == "ftm_example_peps"
    entities, report = load_simple(path, "ftm_example_peps")
    assert report.warnings == [] and len(entities) == 2
    anna = entities[0]
    assert anna.listings == [] and anna.extra["wikidataId"] == ["Q1001"]
    assert anna.identifiers == [] and anna.extra["datasets"] == ["example_peps"]
    assert entities[1].countries == ["no", "se"] and entities[1].birth_dates[0].iso == "1958"


def test_senzing_fixture(os_dir: Path) -> None:
    path = os_dir / "senzing.json"
    assert sniff_senzing(path, read_head(path)) == "ftm_example_sanctions"
    entities, report = load_senzing(path, "ftm_example_sanctions")
    assert report.records == 9 and report.publisher_date == "2024-05-03"
    assert {s.where.rsplit(" ", 1)[1]: s.reason for s in report.skipped} == {
        "pos-duma": "a position (empty RECORD_TYPE, held through an Occupancy): kept as positions",
        "Q555": "empty RECORD_TYPE and no risk topic: a position or other non-party record",
        "NK-car": "RECORD_TYPE VEHICLE is not screened",
        "NK-noname": "record has no name",
    }
    by_id = {e.id: e for e in entities}
    assert list(by_id) == ["NK-petrov1", "NK-olga", "NK-trading", "NK-seawind", "NK-legal1"]
    petrov = by_id["NK-petrov1"]
    assert petrov.schema is Schema.PERSON and petrov.gender == "male"
    assert petrov.caption == "Ivan Sergeyevich PETROV"
    assert petrov.birth_dates[0].iso == "1970-03" and petrov.birth_places == ["Tula, Russia"]
    assert petrov.nationalities == ["ru"] and petrov.citizenships == ["cy"]
    ids = {(i.type, i.value, i.country) for i in petrov.identifiers}
    assert ids == {(IdType.PASSPORT, "7512345678", "ru"), (IdType.TAX_ID, "771234567890", None)}
    assert petrov.extra["ofacUid"] == ["12345"] and petrov.extra["referents"] == ["ofac-12345"]
    assert petrov.positions == ["Deputy of the State Duma"]
    assert [(r.kind, r.target, r.target_id) for r in petrov.relations] == [
        ("spouse", "Olga Petrova", "NK-olga")
    ]
    assert petrov.source_url == "https://www.opensanctions.org/entities/NK-petrov1/"
    (listing,) = petrov.listings  # topic "sanction", dataset unknown to Embargo
    assert listing.measure is Measure.OTHER and listing.authority == "OpenSanctions"
    assert by_id["NK-olga"].listings == []  # no risk topic
    trading = by_id["NK-trading"]
    assert trading.schema is Schema.ORGANIZATION and trading.countries == ["ru"]
    assert {(i.type, i.label) for i in trading.identifiers} == {
        (IdType.REGISTRATION, "ogrnCode"),
        (IdType.LEI, "LEI_NUMBER"),
        (IdType.SWIFT_BIC, "swiftBic"),
    }
    assert trading.extra["website"] == ["petrov-trading.example"]
    assert trading.extra["incorporationDate"] == ["2005-04-12"]
    vessel = by_id["NK-seawind"]
    assert vessel.schema is Schema.VESSEL and vessel.extra["callSign"] == ["3EAB7"]
    assert {i.type for i in vessel.identifiers} == {IdType.IMO, IdType.MMSI}
    assert by_id["NK-legal1"].schema is Schema.UNKNOWN  # no type, but a risk topic


def test_senzing_known_dataset_gets_its_builder(tmp_path: Path) -> None:
    path = tmp_path / "senzing.json"
    path.write_text(
        '{"DATA_SOURCE": "OS_EU_FSF", "RECORD_ID": "x", "RECORD_TYPE": "PERSON", '
        '"NAMES": [{"NAME_TYPE": "PRIMARY", "NAME_FULL": "X Y"}], "RISKS": [{"TOPIC": "sanction"}]}\n'
    )
    assert sniff_senzing(path, read_head(path)) == "ftm_eu_fsf"
    (entity,), _ = load_senzing(path, "ftm_eu_fsf")
    assert entity.listings[0].authority == "EU" and entity.listings[0].measure is Measure.BLOCKING


def test_sniff_tells_formats_apart(os_dir: Path, fixtures: Path, tmp_path: Path) -> None:
    simple, senzing = os_dir / "targets.simple.csv", os_dir / "senzing.json"
    assert sniff_senzing(simple, read_head(simple)) is None
    assert sniff_simple_csv(senzing, read_head(senzing)) is None
    for other in (
        fixtures / "sources/us_csl/consolidated.csv",
        fixtures / "sources/ftm/entities.ftm.json",
        fixtures / "sources/ftm/targets.nested.json",
        fixtures / "sources/ofac_xml/sdn.xml",
        os_dir / "peps/index.json",
    ):
        head = read_head(other)
        assert sniff_simple_csv(other, head) is None and sniff_senzing(other, head) is None
    for name, head in {"names.txt": b"Saad Hariri\nHariri\n", "x.json": b"[]"}.items():
        assert sniff_simple_csv(tmp_path / name, head) is None
        assert sniff_senzing(tmp_path / name, head) is None


def test_senzing_bad_input(tmp_path: Path, os_dir: Path) -> None:
    lines = (os_dir / "senzing.json").read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "senzing.json"
    bad.write_text("\n".join([*lines[:3], lines[3][:40], *lines[4:]]) + "\n", encoding="utf-8")
    with pytest.raises(ParseError, match="malformed JSON") as err:
        load_senzing(bad)
    assert err.value.line == 4 and "senzing.json" in str(err.value)
    bad.write_text(lines[0] + '\n"just a string"\n', encoding="utf-8")
    with pytest.raises(ParseError, match="JSON str, not an object") as err:
        load_senzing(bad)
    assert err.value.line == 2
    bad.write_bytes(b"")
    with pytest.raises(ParseError, match="empty"):
        load_senzing(bad)
    bad.write_bytes(b"\n \n")
    with pytest.raises(ParseError, match="no records"):
        load_senzing(bad)


def test_simple_csv_bad_input(tmp_path: Path, os_dir: Path) -> None:
    text = (os_dir / "targets.simple.csv").read_text(encoding="utf-8")
    bad = tmp_path / "targets.simple.csv"
    bad.write_text(text.replace('"name",', '"title",', 1), encoding="utf-8")
    with pytest.raises(ParseError, match="'name' is missing") as err:
        load_simple(bad)
    assert err.value.line == 1
    lines = text.splitlines()
    lines[2] += ',"extra"'
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ParseError, match="17 fields, the header has 16") as err:
        load_simple(bad)
    assert err.value.line == 3
    bad.write_text(text[: text.index("with two lines")], encoding="utf-8")
    with pytest.raises(ParseError, match="malformed CSV"):
        load_simple(bad)
    bad.write_bytes(b"")
    with pytest.raises(ParseError, match="empty"):
        load_simple(bad)


# --- real OpenSanctions samples --------------------------------------------------------------

OS = "opensanctions"


def test_real_ua_war_simple_csv(official: Path) -> None:
    path = official / OS / "ua_war_sanctions_2026-03-13/targets.simple.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 5600
    source = sniff_simple_csv(path, read_head(path))
    assert source == "ftm_ukraine_war_and_sanctions"
    entities, report = load_simple(path, source)
    assert report.records == 5600 == len(entities) and report.skipped == []
    assert report.publisher_date == "2026-03-13"
    assert Counter(e.schema.value for e in entities) == Counter(r["schema"] for r in rows)
    # Every row has a sanction (most with an empty text): every entity is listed.
    assert all(r["sanctions"] for r in rows) and all(len(e.listings) == 1 for e in entities)
    with_programs = sum(1 for r in rows if r["program_ids"])
    assert sum(1 for e in entities if e.listings[0].programs) == with_programs == 4171
    imo_rows = sum(1 for r in rows if "IMO" in r["identifiers"])
    assert sum(1 for e in entities if any(i.type is IdType.IMO for i in e.identifiers)) == imo_rows
    first = entities[0]
    assert (first.id, first.caption) == (rows[0]["id"], rows[0]["name"])


def test_real_wd_persons_simple_csv(official: Path) -> None:
    path = official / OS / "wd_persons_2024-03-10/targets.simple.csv"
    assert sniff_simple_csv(path, read_head(path)) == "ftm_wd_persons"  # via index.json
    entities, report = load_simple(path, "ftm_wd_persons")
    assert len(entities) == report.records == 5
    assert all(e.listings == [] for e in entities)  # PEPs
    assert entities[0].caption == "Saad Hariri" and entities[0].countries == ["fr", "lb", "sa"]


def test_real_us_congress_senzing(official: Path) -> None:
    path = official / OS / "senzing/us_congress_senzing.json"
    raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(raw) == 1319
    assert sniff_senzing(path, read_head(path)) == "ftm_us_congress"
    entities, report = load_senzing(path, "ftm_us_congress")
    assert report.records == 1319
    untyped = {r["RECORD_ID"] for r in raw if r["RECORD_TYPE"] is None}
    assert len(entities) == 1319 - len(untyped) == 1317
    assert {s.where.rsplit(" ", 1)[1] for s in report.skipped} == untyped
    assert all(e.schema is Schema.PERSON and e.listings == [] for e in entities)
    assert all(e.extra["topics"] == ["role.pep"] for e in entities)
    positions = Counter(p for e in entities for p in e.positions)
    assert set(positions) == {"United States representative", "United States senator"}
    franklin = next(e for e in entities if e.id == "Q101198561")
    assert [n.full for n in franklin.names] == ["Scott Franklin", "C. Scott Franklin"]
    assert franklin.birth_dates[0].iso == "1964" and franklin.nationalities == ["us"]


def test_real_wd_persons_senzing(official: Path) -> None:
    path = official / OS / "wd_persons_2024-03-10/senzing.json"
    raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    entities, report = load_senzing(path, "ftm_wd_persons")
    persons = [r for r in raw if r["RECORD_TYPE"] == "PERSON"]
    assert [e.id for e in entities] == [r["RECORD_ID"] for r in persons]
    assert len(report.skipped) == len(raw) - len(persons) == 5  # the Positions
    hariri = next(e for e in entities if e.id == "Q296771")
    assert hariri.caption == "Saad Hariri" and hariri.gender == "male"
    boustany = next(e for e in entities if e.id == "Q20424718")
    assert [(r.kind, r.target) for r in boustany.relations] == [("family", "Saad Hariri")]


def test_real_files_are_claimed_once(official: Path) -> None:
    """Every real file is claimed by at most one of the formats in this task."""
    sniffers = {
        "us-csl-csv": us_csl.sniff_csv,
        "us-csl-json": us_csl.sniff_json,
        "ftm-json": ftm.sniff_entities,
        "ftm-nested-json": ftm.sniff_nested,
        "os-simple-csv": sniff_simple_csv,
        "senzing-json": sniff_senzing,
    }
    claims: dict[str, list[str]] = {}
    for path in sorted(p for p in official.rglob("*") if p.is_file()):
        head = read_head(path)
        hits = [name for name, sniff in sniffers.items() if sniff(path, head)]
        if hits:
            claims[path.relative_to(official).as_posix()] = hits
    assert claims == {
        f"{OS}/ftm_entities/t1_eu_fsf/entities.ftm.json": ["ftm-json"],
        f"{OS}/ftm_entities/zala/entities.ftm.json": ["ftm-json"],
        f"{OS}/senzing/us_congress_senzing.json": ["senzing-json"],
        f"{OS}/ua_war_sanctions_2026-03-13/targets.simple.csv": ["os-simple-csv"],
        f"{OS}/wd_persons_2024-03-10/senzing.json": ["senzing-json"],
        f"{OS}/wd_persons_2024-03-10/targets.nested.json": ["ftm-nested-json"],
        f"{OS}/wd_persons_2024-03-10/targets.simple.csv": ["os-simple-csv"],
        "us_trade_csl/consolidated.csv": ["us-csl-csv"],
    }  # index.json, statistics.json and names.txt are not list files
