"""FollowTheMoney import (entities.ftm.json, targets.nested.json) and export.

The fixtures under ``fixtures/sources/ftm/`` are written by hand in the shape of OpenSanctions'
exports (README section 2.10); the parties in them are invented.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest

from embargo.errors import ParseError
from embargo.model import Entity, IdType, Measure, NameKind, Schema
from embargo.sources.base import ParseReport, read_head
from embargo.sources.ftm import (
    ftm_id,
    parse_entities,
    parse_nested,
    sanction_listing,
    sniff_entities,
    sniff_nested,
    to_ftm,
    write_ftm,
)
from embargo.sources.ofac_xml import parse as parse_ofac_xml
from embargo.sources.us_csl import parse_csv as parse_csl_csv


def load(
    path: Path, source: str = "ftm_test", *, nested: bool = False
) -> tuple[list[Entity], ParseReport]:
    report = ParseReport(source, "ftm-nested-json" if nested else "ftm-json")
    parser = parse_nested if nested else parse_entities
    return list(parser(path, report)), report


@pytest.fixture
def ftm_dir(fixtures: Path) -> Path:
    return fixtures / "sources/ftm"


def test_entities_fixture(ftm_dir: Path) -> None:
    entities, report = load(ftm_dir / "entities.ftm.json")
    assert report.records == 26  # the blank line is not a record
    assert report.publisher_date == "2024-06-02"  # newest last_seen
    by_id = {e.id: e for e in entities}
    # Targets keep their FtM id; non-targets are not screened.
    assert list(by_id) == [
        "NK-petrov1", "NK-trading", "NK-seawind", "NK-plane", "NK-fsfonly", "Q123456",
    ]  # fmt: skip
    skipped = {s.where.rsplit(" ", 1)[1]: s.reason for s in report.skipped}
    assert skipped == {
        "NK-oldco": "not a target: kept only as the named end of links",
        "NK-olga": "not a target: kept only as the named end of links",
        "id-nonumber": "Identification without a number",
        "ua-s-trading-old": "sanction has ended (status 'expired')",
        "dir-1": "Directorship between parties that are not targets",
        "s-olga": "sanction on NK-olga, which is not a target in this file",
        "pay-1": "schema Payment is not used for screening",
        "addr-unused": "Address not used by any target",
    }
    assert report.warnings == [
        "1 reference(s) to entities not in the file (kept by id, or covered by the plain "
        "address text)"
    ]

    petrov = by_id["NK-petrov1"]
    assert petrov.schema is Schema.PERSON and petrov.source == "ftm_test"
    assert petrov.source_id == "NK-petrov1"
    primary = petrov.names[0]
    assert (primary.full, primary.kind) == ("Ivan Sergeyevich PETROV", NameKind.PRIMARY)
    assert (primary.first, primary.middle, primary.last) == ("Ivan", "Sergeyevich", "PETROV")
    kinds = {n.full: n.kind for n in petrov.names}
    assert kinds == {
        "Ivan Sergeyevich PETROV": NameKind.PRIMARY,  # "PETROV, Ivan Sergeyevich" is the same
        "Иван Сергеевич Петров": NameKind.ORIGINAL_SCRIPT,
        "Vanya PETROV": NameKind.ALIAS,
        "Vanya": NameKind.WEAK,
        "Ivan Sergeyevich SIDOROV": NameKind.FORMER,
    }
    cyrillic = petrov.names[1]
    assert (cyrillic.first, cyrillic.patronymic, cyrillic.last) == ("Иван", "Сергеевич", "Петров")
    assert petrov.birth_dates[0].iso == "1970-03"
    assert petrov.nationalities == ["ru"] and petrov.citizenships == ["cy"]
    assert petrov.gender == "male" and petrov.birth_places == ["Tula, Russia"]
    assert petrov.addresses[0].city == "Tula" and petrov.addresses[0].postal_code == "300000"
    assert [a.full for a in petrov.addresses] == [
        "ul. Lenina 1, Tula, 300000, Russia",
        "Limassol, Cyprus",
    ]
    ids = {(i.type, i.value): i for i in petrov.identifiers}
    passport = ids[(IdType.PASSPORT, "7512345678")]
    assert passport.country == "ru" and passport.note == "issued 2015-06-01 expires 2025-06-01"
    assert ids[(IdType.TAX_ID, "771234567890")].label == "innCode"
    assert ids[(IdType.CRYPTO_WALLET, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT")].label == "XBT"
    assert len(petrov.identifiers) == 3  # the passport number is one identifier, not two
    assert petrov.source_url == "https://sanctionssearch.ofac.treas.gov/Details.aspx?id=12345"
    assert petrov.extra["website"] == ["petrov.example"]
    assert petrov.extra["topics"] == ["sanction"]
    assert petrov.extra["referents"] == ["ofac-12345", "gb-fcdo-rus9999"]
    assert petrov.extra["datasets"] == ["us_ofac_sdn", "eu_fsf", "gb_fcdo_sanctions"]
    listings = {lst.authority: lst for lst in petrov.listings}
    assert set(listings) == {"US OFAC", "EU", "UK FCDO"}  # the UK one points by referent
    ofac = listings["US OFAC"]
    assert (ofac.list, ofac.measure, ofac.programs) == (
        "SDN List",
        Measure.BLOCKING,
        ("RUSSIA-EO14024",),
    )
    assert ofac.listed_on == "2022-03-03" and ofac.reference == "12345"
    assert listings["EU"].legal_basis == "2022/336 (OJ L58)"
    assert listings["EU"].listed_on == "2022-02-28"
    assert listings["UK FCDO"].measure is Measure.BLOCKING
    assert listings["UK FCDO"].measures == ("Asset freeze", "Trust Services Sanctions")
    assert {(r.kind, r.target, r.target_id) for r in petrov.relations} == {
        ("owns", "Petrov Trading LLC", "NK-trading"),
        ("former-owns", "Old Petrov Holding", "NK-oldco"),
        ("relative:spouse", "Olga Petrova", "NK-olga"),
    }

    trading = by_id["NK-trading"]
    assert trading.schema is Schema.COMPANY and trading.countries == ["ru"]
    (un,) = trading.listings  # the expired Ukrainian sanction is not a listing
    assert (un.authority, un.programs, un.reference) == (
        "UN Security Council",
        ("1718 (DPRK)",),
        "KPe.099",
    )
    assert ("owned-by", "NK-petrov1") in {(r.kind, r.target_id) for r in trading.relations}
    assert {n.full: n.kind for n in trading.names}["PTL"] is NameKind.WEAK
    assert {i.type for i in trading.identifiers} >= {
        IdType.LEI,
        IdType.SWIFT_BIC,
        IdType.REGISTRATION,
    }

    vessel = by_id["NK-seawind"]
    assert vessel.schema is Schema.VESSEL
    assert [(i.type, i.value) for i in vessel.identifiers] == [
        (IdType.IMO, "9123456"),
        (IdType.MMSI, "352001234"),
    ]
    assert vessel.extra["callSign"] == ["3EAB7"] and vessel.countries == ["pa"]
    (seco,) = vessel.listings
    assert (
        seco.measure is Measure.OTHER and seco.authority == "State Secretariat for Economic Affairs"
    )

    plane = by_id["NK-plane"]
    assert plane.schema is Schema.AIRCRAFT
    assert {i.type for i in plane.identifiers} == {IdType.AIRCRAFT}
    # Tagged "sanction" with no Sanction entity: the listing comes from its dataset.
    assert plane.listings[0].list == "SDN List"
    assert by_id["NK-fsfonly"].listings[0].authority == "EU"
    # A PEP is screenable but not a sanctions hit.
    pep = by_id["Q123456"]
    assert pep.listings == [] and pep.extra["topics"] == ["role.pep"]
    assert pep.positions == ["Member of the Riksdag"]


def test_nested_fixture(ftm_dir: Path) -> None:
    entities, report = load(ftm_dir / "targets.nested.json", nested=True)
    assert report.records == 3 and report.publisher_date == "2024-06-03"
    assert [(s.where.split(", ")[1], s.reason) for s in report.skipped] == [
        ("line 1", "Occupancy without a post"),
        ("line 3", "top-level Address is not a target party"),
    ]
    petrov, pep = entities
    assert petrov.id == "NK-petrov1"
    assert petrov.listings[0].list == "SDN List"
    assert petrov.addresses[0].city == "Tula"
    assert petrov.identifiers[0].type is IdType.PASSPORT
    assert petrov.positions == ["Deputy of the State Duma"]  # from the nested Occupancy
    assert [(r.kind, r.target) for r in petrov.relations] == [("relative:spouse", "Olga Petrova")]
    # Inlined links are not attributes.
    assert not {"sanctions", "familyPerson", "identification"} & set(petrov.extra)
    assert pep.listings == []


def test_sniff(ftm_dir: Path, tmp_path: Path) -> None:
    flat, nested = ftm_dir / "entities.ftm.json", ftm_dir / "targets.nested.json"
    assert sniff_entities(flat, read_head(flat)) == "ftm_us_ofac_sdn"
    assert sniff_nested(flat, read_head(flat)) is None
    assert sniff_nested(nested, read_head(nested)) == "ftm_us_ofac_sdn"
    assert sniff_entities(nested, read_head(nested)) is None
    # Inlined objects on the first line make a file nested whatever its name.
    renamed = tmp_path / "export.json"
    renamed.write_bytes(nested.read_bytes())
    assert sniff_nested(renamed, read_head(renamed)) == "ftm_us_ofac_sdn"
    # No datasets: the folder names the source.
    bare = tmp_path / "mylist" / "entities.ftm.json"
    bare.parent.mkdir()
    bare.write_text('{"id": "x1", "schema": "Person", "properties": {"name": ["X"]}}\n')
    assert sniff_entities(bare, read_head(bare)) == "ftm_mylist"
    others = [
        b'{"DATA_SOURCE": "OS_X", "RECORD_ID": "1", "NAMES": []}\n',
        b'{"results": [{"id": "1", "source": "SDN", "entity_number": "1"}]}',
        b'{"issue_levels": {}, "resources": [], "name": "wd_persons"}',
        b'{"last_change": "2024-03-10", "schemata": ["Person"], "entity_count": 23}',
        b"Saad Hariri\nHariri\n",
        b'"id","schema","name","aliases"\n',
        b"[1, 2, 3]\n",
    ]
    for head in others:
        path = tmp_path / "other.json"
        path.write_bytes(head)
        assert sniff_entities(path, head) is None and sniff_nested(path, head) is None, head


def test_malformed_line_names_line(tmp_path: Path, ftm_dir: Path) -> None:
    lines = (ftm_dir / "entities.ftm.json").read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4][: len(lines[4]) // 2]
    bad = tmp_path / "entities.ftm.json"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ParseError, match="malformed JSON") as err:
        load(bad)
    assert err.value.line == 5 and "entities.ftm.json" in str(err.value)


@pytest.mark.parametrize("nested", [False, True])
def test_line_not_an_object(tmp_path: Path, nested: bool) -> None:
    bad = tmp_path / "entities.ftm.json"
    bad.write_text('{"id": "a", "schema": "Person", "properties": {"name": ["A"]}}\n["b"]\n')
    with pytest.raises(ParseError, match="JSON list, not an object") as err:
        load(bad, nested=nested)
    assert err.value.line == 2


@pytest.mark.parametrize("nested", [False, True])
def test_empty_files(tmp_path: Path, nested: bool) -> None:
    empty = tmp_path / "entities.ftm.json"
    empty.write_bytes(b"")
    with pytest.raises(ParseError, match="empty"):
        load(empty, nested=nested)
    empty.write_bytes(b"\n\n")
    with pytest.raises(ParseError, match="no entities"):
        load(empty, nested=nested)


def test_entity_without_id_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "entities.ftm.json"
    path.write_text(
        '{"schema": "Person", "properties": {"name": ["A"]}}\n'
        '{"id": "b", "schema": "Person", "properties": {"name": ["B"]}}\n'
    )
    entities, report = load(path)
    assert [e.id for e in entities] == ["b"]
    assert report.skipped[0].reason == "entity has no id or no schema"


def test_listing_builder_choice() -> None:
    def kind(**kw: object) -> tuple[str, str, Measure]:
        listing = sanction_listing("ftm_t", programs=[], **kw)  # type: ignore[arg-type]
        return listing.authority, listing.list, listing.measure

    assert kind(datasets=["us_ofac_cons"], authorities=["Office of Foreign Assets Control"],
                summaries=["Non-SDN Menu-Based Sanctions List"]) == (
        "US OFAC", "Non-SDN Menu-Based Sanctions List", Measure.MENU_BASED,
    )  # fmt: skip
    # SAM.gov's reciprocal exclusions name OFAC by its initials: not an OFAC listing.
    assert kind(datasets=["us_sam_exclusions"], authorities=["OFAC"]) == (
        "OFAC", "us_sam_exclusions", Measure.OTHER,
    )  # fmt: skip
    assert kind(datasets=["x"], authorities=["United Nations Security Council"])[0] == (
        "UN Security Council"
    )
    assert kind(datasets=["eu_travel_bans"], authorities=["Council of the European Union"])[2] is (
        Measure.OTHER
    )
    csl = sanction_listing(
        "ftm_t",
        datasets=["us_trade_csl"],
        authorities=["Entity List (EL) - Bureau of Industry and Security"],
        programs=["Entity List (EL) - Bureau of Industry and Security"],
        reasons=["For all items subject to the EAR."],
        provisions=["Policy of denial"],
    )
    assert (csl.list, csl.measure, csl.programs) == ("Entity List", Measure.EXPORT_CONTROL, ())
    assert csl.measures == (
        "Licence requirement: For all items subject to the EAR.",
        "Licence review policy: Policy of denial",
    )


def test_ftm_id() -> None:
    assert ftm_id("NK-abc.1") == "NK-abc.1"
    assert ftm_id("us_ofac_sdn-35096") == "us-ofac-sdn-35096"
    assert ftm_id("un_sc-QDi.001") == "un-sc-QDi.001"


# --- export ----------------------------------------------------------------------------------


@pytest.fixture
def mixed(fixtures: Path) -> list[Entity]:
    """Entities from three parsers: CSL CSV, OFAC XML and FtM."""
    out: list[Entity] = []
    report = ParseReport("us_trade_csl", "us-csl-csv")
    out += parse_csl_csv(fixtures / "sources/us_csl/consolidated.csv", report)
    report = ParseReport("us_ofac_sdn", "ofac-xml")
    out += parse_ofac_xml(fixtures / "sources/ofac_xml/sdn.xml", report)
    out += load(fixtures / "sources/ftm/entities.ftm.json")[0]
    return out


def _summary(entity: Entity) -> dict[str, object]:
    return {
        "schema": entity.schema,
        "names": sorted((n.full, n.kind) for n in entity.names),
        # Organisations' names have no parts in FtM; people's do.
        "primary_parts": (entity.names[0].first, entity.names[0].last)
        if entity.schema is Schema.PERSON
        else None,
        "birth_dates": [b.iso for b in entity.birth_dates],
        "countries": sorted(entity.all_countries),
        "identifiers": sorted(
            (i.type, i.value, i.country or "", i.note or "") for i in entity.identifiers
        ),
        "labels": sorted(i.label or "" for i in entity.identifiers if i.label),
        "listings": sorted(
            (lst.authority, lst.list, lst.programs, lst.measure, lst.measures, lst.listed_on or "")
            for lst in entity.listings
        ),
        "addresses": sorted((a.full, a.city or "", a.country or "") for a in entity.addresses),
        "gender": entity.gender,
    }


def test_round_trip(mixed: list[Entity], tmp_path: Path) -> None:
    path = tmp_path / "out.ftm.json"
    with path.open("w", encoding="utf-8") as fh:
        written = write_ftm(mixed, fh)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert written == len(lines) > len(mixed)
    back, report = load(path, "ftm_roundtrip")
    assert report.skipped == [] and report.warnings == []
    assert [e.id for e in back] == [e.id for e in mixed]  # ids come back, "_" and all
    for before, after in zip(mixed, back, strict=True):
        assert _summary(after) == _summary(before), before.id


def test_export_shape(mixed: list[Entity]) -> None:
    putin = next(e for e in mixed if e.id == "us_ofac_sdn-35096")
    out = to_ftm(putin)
    party, sanction = out[0], out[1]
    assert party["id"] == "us-ofac-sdn-35096" and party["schema"] == "Person"
    assert party["referents"] == ["us_ofac_sdn-35096"] and party["target"] is True
    assert party["properties"]["birthDate"] == ["1952-10-07"]
    assert party["properties"]["nationality"] == ["ru"]
    assert sanction["schema"] == "Sanction"
    assert sanction["properties"]["entity"] == ["us-ofac-sdn-35096"]
    assert sanction["properties"]["authority"] == ["US OFAC"]
    assert sanction["properties"]["program"] == ["RUSSIA-EO14024"]
    assert sanction["datasets"] == ["us_ofac_sdn"]
    assert to_ftm(putin) == out  # deterministic ids and order
    plane = next(e for e in mixed if e.id == "NK-plane")
    assert to_ftm(plane)[0]["schema"] == "Airplane"


def test_export_is_valid_ftm(mixed: list[Entity]) -> None:
    ftm_model = pytest.importorskip("followthemoney").model
    buffer = io.StringIO()
    write_ftm(mixed, buffer)
    for line in buffer.getvalue().splitlines():
        data = json.loads(line)
        schema = ftm_model.get(data["schema"])
        assert schema is not None, data["schema"]
        assert ftm_model.get_proxy(data).id == data["id"]
        for prop_name, values in data["properties"].items():
            prop = schema.get(prop_name)
            assert prop is not None, (data["schema"], prop_name)
            for value in values:
                assert prop.type.clean(value) is not None, (data["schema"], prop_name, value)


def test_ranges_and_unknown_dates_export() -> None:
    from embargo.model.values import parse_birth_date

    entity = Entity(
        id="t-1",
        schema=Schema.PERSON,
        source="t",
        source_id="1",
        names=[],
        birth_dates=[
            d for d in map(parse_birth_date, ["1960 to 1962", "circa 1970", "unknown"]) if d
        ],
    )
    props = to_ftm(entity)[0]["properties"]
    assert props["birthDate"] == ["1960", "1961", "1962", "1969", "1970", "1971"]
    assert props["notes"] == ["Birth date: unknown"]


# --- real OpenSanctions samples --------------------------------------------------------------


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_real_zala(official: Path) -> None:
    path = official / "opensanctions/ftm_entities/zala/entities.ftm.json"
    raw = _lines(path)
    assert len(raw) == 91
    schemas = Counter(str(d["schema"]) for d in raw)
    assert schemas["Sanction"] == 41 and schemas["Company"] == 11 and schemas["Person"] == 6
    parties = {"Person", "Company", "Organization", "LegalEntity", "Vessel", "Airplane"}
    targets = [d for d in raw if d["schema"] in parties and d["target"]]
    source = sniff_entities(path, read_head(path))
    assert source == "ftm_" + str(raw[0]["datasets"][0])  # type: ignore[index]
    entities, report = load(path, source)
    assert report.records == 91
    assert [e.id for e in entities] == [d["id"] for d in targets] and len(entities) == 14
    # Every line is used or reported: 3 non-target companies, 1 empty passport, 1 expired
    # Ukrainian sanction; every other Sanction is a listing on its target.
    assert Counter(s.reason.split(":")[0].split(" (")[0] for s in report.skipped) == {
        "not a target": 3,
        "Passport without a number": 1,
        "sanction has ended": 1,
    }
    by_id = {e.id: e for e in entities}
    cst = by_id["NK-abdzbEBkqyT29GyREbiURZ"]
    zakharov = by_id["NK-aU5ybkbRFJucf8YMwsJvDw"]
    sanctions = [d for d in raw if d["schema"] == "Sanction"]
    on = Counter(d["properties"]["entity"][0] for d in sanctions)  # type: ignore[index]
    assert on == {cst.id: 28, zakharov.id: 13}
    # 28 Sanctions on LLC CST: one has expired, and two SAM.gov records read as the same listing.
    assert len(cst.listings) == 26 and len(zakharov.listings) == 13
    lists = {(lst.authority, lst.list, lst.measure) for lst in cst.listings}
    assert ("US OFAC", "SDN List", Measure.BLOCKING) in lists
    assert ("US BIS", "Entity List", Measure.EXPORT_CONTROL) in lists
    assert ("EU", "EU Financial Sanctions (consolidated list)", Measure.BLOCKING) in lists
    el = next(lst for lst in cst.listings if lst.list == "Entity List")
    assert el.measures[0].startswith("Licence requirement: For all items subject to the EAR")
    uk = next(lst for lst in zakharov.listings if lst.authority == "UK FCDO")
    assert uk.measure is Measure.BLOCKING and "Asset freeze" in uk.measures
    assert zakharov.caption == "Alexander Vyacheslavovich ZAKHAROV"
    assert zakharov.schema is Schema.PERSON and zakharov.birth_dates
    assert ("owned-by", "JSC Kalashnikov Concern") in {(r.kind, r.target) for r in cst.relations}
    assert any(r.kind.startswith("relative") for r in zakharov.relations)
    # Targets tagged "sanction" by Ukrainian lists only get a generic listing.
    ukr = by_id["NK-DSxJ9ZzHxBBMyEMnnTBhai"]
    assert [lst.measure for lst in ukr.listings] == [Measure.OTHER]
    assert by_id["NK-SiYwWfxwLVrVeFswsvAvsm"].listings == []  # only "sanction.linked"


def test_real_t1_eu_fsf(official: Path) -> None:
    path = official / "opensanctions/ftm_entities/t1_eu_fsf/entities.ftm.json"
    raw = _lines(path)
    assert len(raw) == 7
    entities, report = load(path, "ftm_eu_fsf")
    assert report.publisher_date == "2024-06-01"
    assert len(entities) == sum(1 for d in raw if d["schema"] != "Address") == 6
    # No Sanction entities in this sample: the eu_fsf dataset gives the EU listing.
    assert all([lst.authority for lst in e.listings] == ["EU"] for e in entities)
    assert [s.reason for s in report.skipped] == ["Address not used by any target"]
    kuzmenko = next(e for e in entities if e.id == "NK-2Ka3UvopqbpZmVDFjWd4LA")
    assert kuzmenko.caption == "Vitaly Yurievich KUZMENKO"
    assert kuzmenko.birth_dates[0].iso == "1971-01-22" and kuzmenko.nationalities == ["ru"]


def test_real_wd_persons_nested(official: Path) -> None:
    path = official / "opensanctions/wd_persons_2024-03-10/targets.nested.json"
    raw = _lines(path)
    assert len(raw) == 5
    assert sniff_nested(path, read_head(path)) == "ftm_wd_persons"
    entities, report = load(path, "ftm_wd_persons", nested=True)
    assert [e.id for e in entities] == [d["id"] for d in raw]
    assert all(e.listings == [] for e in entities)  # PEPs
    hariri = entities[0]
    assert hariri.caption == "Saad Hariri" and hariri.birth_dates[0].iso == "1970-04-18"
    assert {r.target for r in hariri.relations} == {
        "Nidal Boustany", "Bahaa Hariri", "Fahd Hariri", "Hariri",
    }  # fmt: skip
    # The Occupancies in this export have no post: reported, the positions come from
    # the person's own "position" property.
    assert {s.reason for s in report.skipped} == {"Occupancy without a post"}
    assert "Prime Minister of Lebanon" in hariri.positions


def test_real_round_trip_zala(official: Path, tmp_path: Path) -> None:
    path = official / "opensanctions/ftm_entities/zala/entities.ftm.json"
    entities, _ = load(path)
    out = tmp_path / "zala.ftm.json"
    with out.open("w", encoding="utf-8") as fh:
        write_ftm(entities, fh)
    back, _ = load(out)
    assert [e.id for e in back] == [e.id for e in entities]
    for before, after in zip(entities, back, strict=True):
        assert _summary(after) == _summary(before), before.id
