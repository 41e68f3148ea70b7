from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from embargo.errors import ParseError
from embargo.model import Entity, IdType, Measure, NameKind, Schema
from embargo.sources.base import COMPANION, ParseReport, read_head
from embargo.sources.ofac_csv import CONS, FORMAT, SDN, parse, sniff

SDN_SET = ("sdn.csv", "add.csv", "alt.csv", "sdn_comments.csv")
CONS_SET = ("cons_prim.csv", "cons_add.csv", "cons_alt.csv", "cons_comments.csv")


def load(path: Path, source: str = SDN) -> tuple[list[Entity], ParseReport]:
    report = ParseReport(source, "ofac-csv")
    return list(parse(path, report)), report


def names(entity: Entity) -> dict[str, NameKind]:
    return {n.full: n.kind for n in entity.names}


@pytest.fixture
def sdn_dir(fixtures: Path) -> Path:
    return fixtures / "sources/ofac_csv/sdn"


@pytest.fixture
def sdn_copy(sdn_dir: Path, tmp_path: Path) -> Path:
    """A writable copy of the fixture SDN set; returns the folder."""
    folder = tmp_path / "set"
    shutil.copytree(sdn_dir, folder)
    return folder


def csv_rows(path: Path) -> list[list[str]]:
    """Rows read with the csv module alone; OFAC's trailing 0x1A line is not a row."""
    with path.open(newline="", encoding="utf-8") as fh:
        return [row for row in csv.reader(fh) if row and row != ["\x1a"]]


# --- the hand-written fixture sets -------------------------------------------------------------


def test_fixture_sdn_set(sdn_dir: Path) -> None:
    entities, report = load(sdn_dir / "sdn.csv")
    assert report.files == [sdn_dir / name for name in SDN_SET]
    assert report.records == 8
    assert report.publisher_date is None and report.stated_count is None
    assert any("no publication date" in w for w in report.warnings)
    assert [s.where for s in report.skipped] == [
        "sdn.csv, line 6, ent_num 10006",  # a row without a name
        "add.csv, line 6, ent_num 99999",  # an address of no listed entry
    ]
    by_id = {e.source_id: e for e in entities}
    assert list(by_id) == ["10001", "10002", "10003", "10004", "10005", "10007", "10008"]
    assert all(e.source == SDN and e.id == f"{SDN}-{e.source_id}" for e in entities)
    assert (
        by_id["10001"].source_url == "https://sanctionssearch.ofac.treas.gov/Details.aspx?id=10001"
    )


def test_fixture_person_from_remarks(sdn_dir: Path) -> None:
    entities, _ = load(sdn_dir / "sdn.csv")
    ivan = next(e for e in entities if e.source_id == "10001")
    assert ivan.schema is Schema.PERSON
    assert ivan.caption == "Ivan Petrovich KOVALENKO"
    assert (ivan.names[0].first, ivan.names[0].last) == ("Ivan Petrovich", "KOVALENKO")
    assert names(ivan) == {
        "Ivan Petrovich KOVALENKO": NameKind.PRIMARY,
        "Ivan Petrovych KOVALENKO": NameKind.ALIAS,  # alt.csv
        "Iwan KOWALENKO": NameKind.ALIAS,
        "Vanya KOVAL": NameKind.WEAK,  # quoted in the remarks
    }
    assert [b.iso for b in ivan.birth_dates] == ["1961-03-14", "1962"]  # "alt. DOB 1962"
    assert ivan.birth_places == ["Tula, Russia"]
    assert ivan.nationalities == ["ru"] and ivan.citizenships == ["ua"]
    assert ivan.gender == "male"
    assert ivan.positions == ["Deputy Minister of Energy"]
    assert ivan.remarks == []  # the title repeated in the remarks is not kept twice
    passport, tax = ivan.identifiers
    assert (passport.type, passport.value, passport.country) == (
        IdType.PASSPORT,
        "7510123456",
        "ru",
    )
    assert passport.note == "issued 02 Feb 2015 expires 02 Feb 2025"
    assert (tax.type, tax.value, tax.label) == (IdType.TAX_ID, "771234567890", "Tax ID No.")
    # Inner "L.L.C." keeps its periods; only the remarks' closing period is dropped.
    assert [r.target for r in ivan.relations] == ["NORTHERN STAR TRADING L.L.C.", "SEVERNY INVEST"]
    (listing,) = ivan.listings
    assert listing.measure is Measure.BLOCKING
    assert listing.programs == ("RUSSIA-EO14024", "UKRAINE-EO13660")
    assert ivan.addresses[0].full == "Ul. Tverskaya 1, Moscow 125009, Russia"
    assert ivan.addresses[0].street == "Ul. Tverskaya 1" and ivan.addresses[0].country == "ru"


def test_fixture_organisation(sdn_dir: Path) -> None:
    entities, _ = load(sdn_dir / "sdn.csv")
    org = next(e for e in entities if e.source_id == "10002")
    assert org.schema is Schema.ORGANIZATION  # SDN_Type is null for entities
    assert names(org) == {
        "NORTHERN STAR TRADING L.L.C.": NameKind.PRIMARY,
        "SEVERNAYA ZVEZDA OOO": NameKind.FORMER,  # fka
        "NST HOLDING L.L.C.": NameKind.ALIAS,  # nka
        "NST": NameKind.ALIAS,  # strong in alt.csv, repeated weak in the remarks: strong wins
    }
    ids = {(i.label, i.value, i.country, i.type) for i in org.identifiers}
    assert ids == {
        ("Registration Number", "1087746123456", "ru", IdType.REGISTRATION),
        ("Folio Mercantil No.", "55123", "mx", IdType.REGISTRATION),  # Mexico's company register
        ("Municipal Licence", "4471-B", "ua", IdType.OTHER),  # a label OFAC's vocabulary lacks
    }
    assert org.extra["website"] == ["www.northernstar.example"]
    assert org.extra["email"] == ["info@northernstar.example"]
    assert org.extra["phone"] == ["74951234567"]
    assert org.extra["incorporationDate"] == ["12 May 2008"]
    assert org.extra["secondarySanctionsRisk"] == ["See Section 11 of Executive Order 14024"]
    assert org.countries == ["ru"]  # nationality of registration
    assert [a.country for a in org.addresses] == ["ru", "ae"]
    assert org.remarks == [
        "all offices worldwide",
        "Address Dubai, United Arab Emirates: Branch office",
    ]


def test_fixture_comments_continue_remarks(sdn_dir: Path) -> None:
    entities, _ = load(sdn_dir / "sdn.csv")
    khalid = next(e for e in entities if e.source_id == "10003")
    # sdn.csv's remarks stop at "FOUND"; sdn_comments.csv continues with "ATION; a.k.a. ...".
    assert [r.target for r in khalid.relations] == ["AL-FULANI CHARITABLE FOUNDATION"]
    assert names(khalid) == {
        "Khalid Abd al-Rahman AL-FULANI": NameKind.PRIMARY,
        "Khaled AL-FULANI": NameKind.ALIAS,
        "ABU AL-KHAIR": NameKind.WEAK,  # alt_remarks says "low quality"
        "ABU KHALID": NameKind.WEAK,
        "Khalid AL-ADENI": NameKind.WEAK,
    }
    (dob,) = khalid.birth_dates
    assert (dob.year, dob.year_to, dob.month) == (1975, 1977, None)
    assert khalid.nationalities == []
    assert "nationality possibly Yemeni" in khalid.remarks  # not a country, so kept as text


def test_fixture_vessels_and_aircraft(sdn_dir: Path) -> None:
    entities, _ = load(sdn_dir / "sdn.csv")
    by_id = {e.source_id: e for e in entities}
    ship = by_id["10004"]
    assert ship.schema is Schema.VESSEL
    assert names(ship) == {
        "SEA ORCHID": NameKind.PRIMARY,
        "ORCHID": NameKind.FORMER,
        "ORCHID STAR": NameKind.WEAK,
    }
    assert {(i.type, i.value) for i in ship.identifiers} == {
        (IdType.IMO, "9123456"),
        (IdType.MMSI, "352001234"),
    }
    assert ship.extra["callSign"] == ["9LB2211"]
    assert ship.extra["vesselType"] == ["Crude Oil Tanker"]
    assert ship.extra["tonnage"] == ["150,800"]
    assert ship.extra["grossRegisteredTonnage"] == ["80,150"]
    assert ship.extra["flag"] == ["Panama"] and ship.countries == ["pa"]
    assert ship.extra["owner"] == ["NATIONAL TANKER CO."]
    assert ship.extra["pastFlags"] == ["Malta"]
    assert ship.addresses == []  # its add.csv row is all null
    old_style = by_id["10008"]  # "Identification Number IMO 8912345"
    (imo,) = old_style.identifiers
    assert (imo.type, imo.value) == (IdType.IMO, "8912345")
    assert old_style.countries == []  # flag "None Identified"
    plane = by_id["10005"]
    assert plane.schema is Schema.AIRCRAFT
    assert {i.type for i in plane.identifiers} == {IdType.AIRCRAFT}
    assert plane.extra["model"] == ["Boeing 747-200"]
    assert plane.listings[0].programs == ("IRAN", "SDGT")


def test_fixture_passport_without_number_stays_text(sdn_dir: Path) -> None:
    entities, _ = load(sdn_dir / "sdn.csv")
    person = next(e for e in entities if e.source_id == "10007")
    assert person.names[0].full == "ABU SAYF" and person.names[0].last == "ABU SAYF"
    assert person.identifiers == []
    assert person.remarks == ["U.S.A. Passport issued 21 Jun 1992 in Amman, Jordan"]
    assert person.birth_dates[0].circa and person.birth_dates[0].year == 1970
    assert person.extra["phone"] == ["(357)(22660766)"]


def test_fixture_consolidated_set(fixtures: Path) -> None:
    folder = fixtures / "sources/ofac_csv/cons"
    entities, report = load(folder / "CONS_PRIM.CSV", CONS)
    # Publisher names are upper case; companions are found whatever the case.
    assert [p.name for p in report.files] == [n.upper() for n in CONS_SET]
    assert report.records == 3 and report.skipped == []
    plc, bank, cmic = entities
    assert plc.listings[0].measure is Measure.OTHER
    assert plc.listings[0].list == "Non-SDN Palestinian Legislative Council List"
    assert plc.addresses[0].country == "ps"  # "Palestinian"
    (listing,) = bank.listings
    assert listing.measure is Measure.SECTORAL
    assert listing.measures == ("Subject to Directive 1",)
    assert bank.extra["programDates"] == [
        "Listing Date (EO 14024 Directive 2): 24 Feb 2022",
        "Effective Date (EO 14024 Directive 2): 26 Mar 2022",
    ]
    # The registration id is cut mid-country ("(Rus") and continued in CONS_COMMENTS.CSV.
    reg = next(i for i in bank.identifiers if i.label == "Registration ID")
    assert (reg.value, reg.country) == ("1027700000001", "ru")
    assert names(bank)["ECB"] is NameKind.WEAK
    assert cmic.listings[0].measure is Measure.SECTORAL
    assert cmic.identifiers[0].label == "ISIN"
    assert len(cmic.extra["programDates"]) == 3


# --- sniffing and the file set -----------------------------------------------------------------


def test_sniff_claims_the_set(sdn_dir: Path, fixtures: Path) -> None:
    for name in SDN_SET:
        head = read_head(sdn_dir / name)
        assert sniff(sdn_dir / name, head) == (SDN if name == "sdn.csv" else COMPANION)
        assert sniff(Path(name.upper()), head) == (SDN if name == "sdn.csv" else COMPANION)
    cons = fixtures / "sources/ofac_csv/cons"
    assert sniff(cons / "CONS_PRIM.CSV", read_head(cons / "CONS_PRIM.CSV")) == CONS
    assert sniff(cons / "CONS_ALT.CSV", read_head(cons / "CONS_ALT.CSV")) == COMPANION
    # An empty comments file (only the EOF byte) is still part of the set.
    assert sniff(Path("cons_comments.csv"), b"\x1a") == COMPANION


def test_sniff_rejects_other_files(sdn_dir: Path) -> None:
    head = read_head(sdn_dir / "sdn.csv")
    assert sniff(Path("consolidated.csv"), head) is None  # not an OFAC set name
    assert sniff(Path("sdn.xml"), head) is None
    csl = b"_id,source,entity_number,type,programs,name,title,addresses\r\n1,SDN,2,x\r\n"
    ofsi = b"Last Updated,14/04/2025\r\nName 6,Name 1,Name 2\r\n"
    for name in ("sdn.csv", "cons_prim.csv", "add.csv", "alt.csv", "sdn_comments.csv"):
        assert sniff(Path(name), csl) is None
        assert sniff(Path(name), ofsi) is None
    # An OFAC-named file of the wrong shape: the add file's 6 columns under the primary's name.
    add_head = read_head(sdn_dir / "add.csv")
    assert sniff(Path("sdn.csv"), add_head) is None
    assert sniff(Path("alt.csv"), add_head) is None


def test_files_lists_companions(sdn_dir: Path, sdn_copy: Path) -> None:
    assert FORMAT.name == "ofac-csv"
    assert FORMAT.files(sdn_dir / "sdn.csv") == [sdn_dir / n for n in SDN_SET]
    (sdn_copy / "alt.csv").unlink()
    assert FORMAT.files(sdn_copy / "sdn.csv") == [
        sdn_copy / n for n in ("sdn.csv", "add.csv", "sdn_comments.csv")
    ]


def test_missing_companions_warn(sdn_copy: Path) -> None:
    for name in ("add.csv", "alt.csv", "sdn_comments.csv"):
        (sdn_copy / name).unlink()
    entities, report = load(sdn_copy / "sdn.csv")
    assert len(entities) == 7
    assert report.files == [sdn_copy / "sdn.csv"]
    for name in ("add.csv", "alt.csv", "sdn_comments.csv"):
        assert any(w.startswith(f"{name} not found") for w in report.warnings)
    khalid = next(e for e in entities if e.source_id == "10003")
    assert khalid.addresses == []
    assert khalid.relations[0].target == "AL-FULANI CHARITABLE FOUND"  # cut, as published


# --- bad input ---------------------------------------------------------------------------------


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\r\n")


def test_wrong_column_count(sdn_copy: Path) -> None:
    lines = _lines(sdn_copy / "sdn.csv")
    lines[1] = lines[1].replace(b',"RUSSIA-EO14024"', b"", 1)
    (sdn_copy / "sdn.csv").write_bytes(b"\r\n".join(lines))
    with pytest.raises(ParseError) as err:
        load(sdn_copy / "sdn.csv")
    assert err.value.line == 2 and "11 columns, expected 12" in err.value.reason
    assert "sdn.csv, line 2" in str(err.value)


def test_bad_companion_row_names_companion(sdn_copy: Path) -> None:
    lines = _lines(sdn_copy / "alt.csv")
    lines[2] += b',"extra"'
    (sdn_copy / "alt.csv").write_bytes(b"\r\n".join(lines))
    with pytest.raises(ParseError) as err:
        load(sdn_copy / "sdn.csv")
    assert err.value.path.endswith("alt.csv") and err.value.line == 3


def test_truncated_file(sdn_copy: Path) -> None:
    data = (sdn_copy / "sdn.csv").read_bytes()
    cut = data.index(b"Secondary sanctions risk")  # inside line 2's quoted remarks
    (sdn_copy / "sdn.csv").write_bytes(data[:cut])
    with pytest.raises(ParseError) as err:
        load(sdn_copy / "sdn.csv")
    assert err.value.line == 2 and "unterminated quoted field" in err.value.reason


def test_truncated_at_row_boundary_warns(sdn_copy: Path) -> None:
    data = (sdn_copy / "sdn.csv").read_bytes()
    (sdn_copy / "sdn.csv").write_bytes(data[: data.index(b"10004,")])
    entities, report = load(sdn_copy / "sdn.csv")
    assert report.records == 3 and len(entities) == 3
    assert any("0x1A" in w and "truncated" in w for w in report.warnings)


def test_undecodable_bytes(sdn_copy: Path) -> None:
    lines = _lines(sdn_copy / "sdn.csv")
    lines[2] = lines[2].replace(b"Aden", b"\xc0den", 1)
    (sdn_copy / "sdn.csv").write_bytes(b"\r\n".join(lines))
    with pytest.raises(ParseError) as err:
        load(sdn_copy / "sdn.csv")
    assert err.value.line == 3 and "not UTF-8" in err.value.reason


def test_empty_and_recordless_files(sdn_copy: Path) -> None:
    (sdn_copy / "sdn.csv").write_bytes(b"")
    with pytest.raises(ParseError, match="file is empty"):
        load(sdn_copy / "sdn.csv")
    (sdn_copy / "sdn.csv").write_bytes(b"\x1a")
    with pytest.raises(ParseError, match="no records"):
        load(sdn_copy / "sdn.csv")


def test_odd_rows_are_reported(sdn_copy: Path) -> None:
    primary = sdn_copy / "sdn.csv"
    lines = _lines(primary)
    lines.insert(2, lines[1])  # ent_num 10002 twice
    primary.write_bytes(b"\r\n".join(lines))
    alt = sdn_copy / "alt.csv"
    alt.write_bytes(alt.read_bytes().replace(b'"nka"', b'"xka"'))
    entities, report = load(primary)
    assert len(entities) == 7
    assert ("sdn.csv, line 3, ent_num 10002", "duplicate ent_num") in {
        (s.where, s.reason) for s in report.skipped
    }
    assert any("unknown alt_type 'xka'" in w for w in report.warnings)


# --- the real published files ------------------------------------------------------------------


def _check_counts(folder: Path, names_: tuple[str, ...], source: str) -> list[Entity]:
    prim, add, alt, comments = (csv_rows(folder / n) for n in names_)
    entities, report = load(folder / names_[0], source)
    assert report.records == len(entities) == len(prim)
    assert report.skipped == []
    assert [p.name for p in report.files] == list(names_)
    assert report.publisher_date is None
    # Every add.csv row that is not all null becomes an address of its entry.
    filled = [r for r in add if any(c.strip() != "-0-" for c in r[2:5])]
    assert sum(len(e.addresses) for e in entities) == len(filled)
    # Every alt.csv name is a strong alias, except repeats of a name the entry already has.
    distinct = {(r[0], r[3]) for r in alt} - {(r[0], r[1]) for r in prim}
    strong = sum(
        1 for e in entities for n in e.names[1:] if n.kind in (NameKind.ALIAS, NameKind.FORMER)
    )
    assert strong == len(distinct)
    assert {r[0] for r in comments} <= {e.source_id for e in entities}
    return entities


def test_real_sdn_csv_counts(official: Path) -> None:
    folder = official / "ofac_sdn_csv"
    assert [len(csv_rows(folder / n)) for n in SDN_SET] == [8976, 13837, 11910, 5]
    entities = _check_counts(folder, SDN_SET, SDN)
    assert len(entities) == 8976
    assert sum(1 for e in entities if e.schema is Schema.PERSON) == 4620
    assert sum(1 for e in entities if e.schema is Schema.VESSEL) == 406
    assert sum(1 for e in entities if e.schema is Schema.AIRCRAFT) == 277


def test_real_sdn_csv_records(official: Path) -> None:
    entities, _ = load(official / "ofac_sdn_csv/sdn.csv")
    by_id = {e.source_id: e for e in entities}
    liu = by_id["22683"]  # LIU, Emily: facts only in the remarks
    assert liu.caption == "Emily LIU"
    assert [b.iso for b in liu.birth_dates] == ["1981-09-10"]
    assert liu.birth_places == ["Shandong, China"]
    assert liu.nationalities == ["cn"] and liu.gender == "female"
    (passport,) = liu.identifiers
    assert (passport.value, passport.country, passport.note) == (
        "G28882492",
        "cn",
        "expires 04 May 2018",
    )
    assert names(liu)["Emily LAU"] is NameKind.ALIAS  # from alt.csv
    assert liu.relations[0].target == "SHIRAZ ELECTRONICS INDUSTRIES"
    assert liu.listings[0].programs == ("NPWMD", "IFSR")
    bnc = by_id["306"]  # BANCO NACIONAL DE CUBA
    assert names(bnc)["BNC"] is NameKind.WEAK
    assert names(bnc)["NATIONAL BANK OF CUBA"] is NameKind.ALIAS
    assert {a.country for a in bnc.addresses} == {"ch", "es", "jp", "pa"}
    anglo = by_id["173"]
    assert anglo.addresses[0].full == "Ibex House, The Minories, London EC3N 1DY, United Kingdom"
    assert anglo.addresses[0].country == "gb"
    horse = by_id["15059"]  # a tanker
    assert horse.schema is Schema.VESSEL
    assert {(i.type, i.value) for i in horse.identifiers} == {
        (IdType.IMO, "9362061"),
        (IdType.MMSI, "209511000"),
    }
    assert horse.extra["callSign"] == ["T2EA4"] and horse.countries == ["pa"]
    assert names(horse)["HONAR"] is NameKind.FORMER
    # sdn.csv cuts 12300's remarks at "PROMO RAI"; sdn_comments.csv goes on "Z S.A.S.; ...".
    targets = [r.target for r in by_id["12300"].relations]
    assert "PROMO RAIZ S.A.S." in targets
    assert "R D I S.A" in targets  # the last one, whose period is also the remarks' own


def test_real_consolidated_csv(official: Path) -> None:
    folder = official / "ofac_consolidated_csv"
    assert [len(csv_rows(folder / n)) for n in CONS_SET] == [442, 574, 1073, 10]
    entities = _check_counts(folder, CONS_SET, CONS)
    by_id = {e.source_id: e for e in entities}
    haniya = by_id["9639"]
    assert haniya.caption == "Ismail Abdul Salah HANIYA"
    assert haniya.listings[0].measure is Measure.OTHER
    assert haniya.listings[0].programs == ("NS-PLC",)
    assert [b.iso for b in haniya.birth_dates] == ["1962"]
    gpb = by_id["17016"]  # GAZPROMBANK
    (listing,) = gpb.listings
    assert listing.measure is Measure.SECTORAL
    assert listing.programs == ("UKRAINE-EO13662", "RUSSIA-EO14024")
    assert "Subject to Directive 1" in listing.measures
    # The LEI is only in the spillover file.
    assert any(i.type is IdType.LEI for i in gpb.identifiers)
    rusag = by_id["17014"]
    assert names(rusag)["RUSAG"] is NameKind.WEAK  # alias only in cons_comments.csv
    measures = {e.listings[0].measure for e in entities}
    assert measures == {Measure.OTHER, Measure.SECTORAL, Measure.MENU_BASED}


def test_real_files_sniffed(official: Path) -> None:
    claimed: dict[str, str] = {}
    for path in sorted(official.rglob("*")):
        if path.is_file():
            result = sniff(path, read_head(path))
            if result is not None:
                claimed[str(path.relative_to(official))] = result
    assert claimed == {
        "ofac_sdn_csv/sdn.csv": SDN,
        "ofac_sdn_csv/add.csv": COMPANION,
        "ofac_sdn_csv/alt.csv": COMPANION,
        "ofac_sdn_csv/sdn_comments.csv": COMPANION,
        "ofac_consolidated_csv/cons_prim.csv": CONS,
        "ofac_consolidated_csv/cons_add.csv": COMPANION,
        "ofac_consolidated_csv/cons_alt.csv": COMPANION,
        "ofac_consolidated_csv/cons_comments.csv": COMPANION,
    }
