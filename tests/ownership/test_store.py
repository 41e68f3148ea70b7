"""Ownership links in the store (SQLite and PostgreSQL): imports, bad rows, and the rules
applied to the active list versions."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from embargo.errors import NotFoundError, ParseError, QueryError
from embargo.model import Entity, Schema
from embargo.model.measures import eu_listing, ofac_listing
from embargo.ownership.store import (
    OwnershipImportError,
    OwnershipStore,
    blocked_seeds,
    parse_control,
    parse_percentage,
)
from embargo.store import Store
from tests.builders import entity

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = date(2025, 1, 1)
PETROV = "test_list-ivan-petrov"
SMIRNOVA = "test_list-olga-smirnova"
BANK = "test_list-sectoral-bank"


def save(store: Store, entities: list[Entity], *, hash: str = "h1", source: str = "test_list"):  # type: ignore[no-untyped-def]
    return store.save_version(
        source=source,
        format="test",
        publisher_date="2024-05-07",
        content_hash=hash,
        origin="test",
        report={"skipped": [], "warnings": []},
        entities=entities,
    )


def listed() -> list[Entity]:
    return [
        entity("Ivan PETROV"),  # OFAC SDN: blocking
        entity("Olga SMIRNOVA", listing=eu_listing("test_list", "RUS")),  # EU: blocking
        entity(  # OFAC SSI: sectoral, not blocking
            "SECTORAL BANK",
            schema=Schema.COMPANY,
            listing=ofac_listing("test_list", ["UKRAINE-EO13662"], sdn=False),
        ),
        entity("Ali HASSAN", id="ali-1"),
        entity("Ali HASSAN", id="ali-2"),
        entity(
            "QUIET TRADING",
            schema=Schema.COMPANY,
            listing=ofac_listing("test_list", ["RUSSIA-EO14024"], sdn=False),
        ),
    ]


@pytest.fixture
def owners(store: Store) -> OwnershipStore:
    save(store, listed())
    return OwnershipStore(store)


def write(tmp_path: Path, text: str, name: str = "links.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- parsing helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        *[("25", 25.0), ("25%", 25.0), (" 25.5 % ", 25.5), ("25,5", 25.5), ("0.5%", 0.5)],
        *[("0", 0.0), ("1", 1.0), ("100", 100.0), ("", None), ("  ", None)],
    ],
)
def test_percentages(text: str, expected: float | None) -> None:
    assert parse_percentage(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0.25", "ambiguous: write 25 (or 25%) for 25%, or 0.25% for 0.25 percent"),
        ("120", "over 100%"),
        ("-5", "not a number"),
        ("lots", "not a number"),
        ("25-50%", "not a number"),
    ],
)
def test_bad_percentages(text: str, reason: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_percentage(text)
    assert reason in str(info.value)


def test_ftm_percentages_are_percent_even_below_one() -> None:
    assert parse_percentage("0.25", bare_fractions=True) == 0.25


def test_control_values() -> None:
    assert parse_control("Yes") and parse_control("1") and parse_control("x")
    assert not parse_control("") and not parse_control("no") and not parse_control("0")
    with pytest.raises(ValueError, match="yes/no"):
        parse_control("maybe")


# -- CSV import --------------------------------------------------------------------------------


def test_csv_import_resolves_ids_and_names(owners: OwnershipStore, store: Store) -> None:
    result = owners.import_file(FIXTURES / "links.csv", actor="tester")
    assert (result.records, result.links, result.inserted) == (6, 6, 6)
    assert result.sources == ["Companies House 2024-03", "press 2024-02-01", "registry"]
    by_pair = {(link.owner, link.owned): link for link in owners.links()}
    assert set(by_pair) == {
        (PETROV, "name:alpha holdings ltd"),
        ("name:alpha holdings ltd", "name:beta trading llc"),
        (SMIRNOVA, "name:beta trading llc"),  # "olga smirnova": the entity's name, any case
        (BANK, "name:gamma llc"),
        ("name:gamma llc", "name:delta llc"),
        (PETROV, "name:epsilon llc"),  # "Ivan PETROV" by name
    }
    alpha = by_pair[(PETROV, "name:alpha holdings ltd")]
    assert alpha.percentage == 60 and alpha.owner_name == "Ivan PETROV"
    assert alpha.owned_name == "Alpha Holdings Ltd" and alpha.note == "confirmation statement"
    assert by_pair[(SMIRNOVA, "name:beta trading llc")].percentage == 10.5
    assert by_pair[("name:gamma llc", "name:delta llc")].percentage == 0.5
    epsilon = by_pair[(PETROV, "name:epsilon llc")]
    assert epsilon.percentage is None and epsilon.control
    (record,) = store.audit_records(action="ownership.import")
    assert record.actor == "tester" and record.subject_id == "links.csv"
    assert record.details["inserted"] == 6 and record.details["format"] == "csv"
    assert record.id == result.audit_id
    assert store.verify_audit().ok


def test_bad_rows_are_all_reported_and_nothing_is_applied(
    owners: OwnershipStore, store: Store, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "owner,owned,percentage,source\n"
        "A Co,B Co,25,reg\n"  # 2: good
        "A Co,,30,reg\n"  # 3
        "C Co,D Co,0.25,reg\n"  # 4
        "C Co,E Co,120,reg\n"  # 5
        "C Co,F Co,lots,reg\n"  # 6
        "C Co,G Co,10\n"  # 7
        "Ali HASSAN,H Co,10,reg\n"  # 8
        "H Co,h  CO,10,reg\n"  # 9
        "A Co,B Co,30,reg\n"  # 10
        '"Multi\nline",X Co,5,\n'  # 11-12
        "\n"
        "Z Co,Y Co,5,reg\n",  # 14: good
    )
    with pytest.raises(OwnershipImportError) as info:
        owners.import_file(path)
    bad = {b.line: b.reason for b in info.value.bad}
    assert sorted(bad) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert bad[3] == "no owned"
    assert "ambiguous" in bad[4] and "over 100%" in bad[5] and "not a number" in bad[6]
    assert bad[7] == "3 fields where the header has 4"
    assert bad[8].startswith("'Ali HASSAN' is the name of several listed entities")
    assert "test_list-ali-1, test_list-ali-2" in bad[8] and "give the entity id" in bad[8]
    assert bad[9] == "'H Co' cannot own itself"
    assert "again (first on line 2)" in bad[10]
    assert bad[11] == "no source"
    message = str(info.value)
    assert "links.csv: 9 bad row(s), nothing imported" in message
    assert "line 4: percentage '0.25' is ambiguous" in message
    assert owners.count() == 0
    (rejected,) = store.audit_records(action="ownership.import_rejected")
    assert rejected.details["bad_rows"] == 9
    assert not store.audit_records(action="ownership.import")

    result = owners.import_file(path, skip_bad=True)
    assert result.inserted == 2 and len(result.bad) == 9
    assert owners.count() == 2
    (applied,) = store.audit_records(action="ownership.import")
    assert applied.details["bad_rows_skipped"] == 9


def test_reimport_updates_and_replace_removes(owners: OwnershipStore, tmp_path: Path) -> None:
    owners.import_file(FIXTURES / "links.csv")
    lines = (FIXTURES / "links.csv").read_text().splitlines()
    changed = [line.replace("60%", "40%") for line in lines if "Sectoral" not in line]
    path = write(tmp_path, "\n".join(changed) + "\n")
    again = owners.import_file(path)
    assert (again.inserted, again.updated, again.unchanged, again.removed) == (0, 1, 4, 0)
    assert owners.count() == 6
    pct = {(link.owner, link.owned): link.percentage for link in owners.links()}
    assert pct[(PETROV, "name:alpha holdings ltd")] == 40
    replaced = owners.import_file(path, replace=True)
    assert (replaced.unchanged, replaced.removed) == (5, 1)
    assert owners.count() == 5
    assert all(link.owner != BANK for link in owners.links())


@pytest.mark.parametrize(
    ("content", "reason", "line"),
    [
        (b"owner,owned,percentage\nA,B,5\n", "missing column(s) source", 1),
        (b"owner;owned;percentage;source\nA;B;5;r\n", "looks ;-separated", 1),
        (b"owner,owned,owner,percentage,source\n", "column(s) owner appear twice", 1),
        (b"", "file is empty", None),
        (b"owner,owned,percentage,source\n", "no rows under the header", None),
        (b"owner,owned,percentage,source\nA,B,5,r\nA,\xff\xfe,5,r\n", "not UTF-8", 3),
    ],
)
def test_files_that_cannot_be_read(
    owners: OwnershipStore, tmp_path: Path, content: bytes, reason: str, line: int | None
) -> None:
    path = tmp_path / "links.csv"
    path.write_bytes(content)
    with pytest.raises(ParseError) as info:
        owners.import_file(path)
    assert reason in info.value.reason and info.value.line == line
    assert str(path) in str(info.value)
    assert owners.count() == 0


# -- FtM import --------------------------------------------------------------------------------


def test_ftm_import(owners: OwnershipStore, store: Store) -> None:
    result = owners.import_file(FIXTURES / "ownership.ftm.json", today=TODAY)
    assert result.format == "ftm" and result.records == 13
    assert result.sources == ["ftm_test_registry"]
    assert [str(s) for s in result.skipped] == [
        "line 7: Ownership own-3 ended on 2020-06-30",
        "line 9: Ownership own-5 starts only on 2999-01-01",
    ]
    assert result.warnings == [
        "the stake of Alpha Holdings Ltd in Delta LLC is stated differently: "
        "40% (line 10), 45% (line 11); the highest is used"
    ]
    links = {(link.owner, link.owned): link for link in owners.links()}
    assert {k: v.percentage for k, v in links.items()} == {
        (PETROV, "os-alpha"): 60.0,  # os-petrov's referent is the stored entity id
        ("os-alpha", "os-beta"): 50.0,  # own-4 (no percentage) merged into it
        ("os-alpha", "os-delta"): 45.0,
        (PETROV, "os-epsilon"): 75.0,  # nested in Epsilon's line
    }
    assert links[(PETROV, "os-alpha")].owner_name == "Ivan PETROV"
    assert links[("os-alpha", "os-beta")].owned_name == "Beta Trading LLC"
    note = links[("os-alpha", "os-beta")].note or ""
    assert "FtM Ownership own-2" in note and "role subsidiary of" in note
    assert "datasets other_registry" in note
    (record,) = store.audit_records(action="ownership.import")
    assert record.details["skipped"] == 2 and record.details["links"] == 4

    beta = owners.check("Beta Trading LLC")
    assert beta.by_ownership and beta.share == pytest.approx(0.5)
    assert [[(s.owner, s.owned, s.percentage) for s in p] for p in beta.paths] == [
        [(PETROV, "os-alpha", 60.0), ("os-alpha", "os-beta", 50.0)]
    ]
    delta = owners.check("os-delta")
    assert not delta.blocked and delta.share == pytest.approx(0.45)


def test_ftm_bad_entities(owners: OwnershipStore, tmp_path: Path) -> None:
    rows = [
        {"id": "o1", "schema": "Ownership", "properties": {"owner": ["a"], "percentage": ["5"]}},
        {
            "id": "o2",
            "schema": "Ownership",
            "properties": {"owner": ["a"], "asset": ["b"], "percentage": ["about half"]},
        },
        {"id": "o3", "schema": "Ownership", "properties": {"owner": ["a"], "asset": ["a"]}},
        {"schema": "Ownership", "properties": {}},
        {"id": "o4", "schema": "Ownership", "properties": {"owner": ["a"], "asset": ["b"]}},
    ]
    path = write(tmp_path, "\n".join(json.dumps(r) for r in rows) + "\n", "e.ftm.json")
    with pytest.raises(OwnershipImportError) as info:
        owners.import_file(path, today=TODAY)
    assert [str(b) for b in info.value.bad] == [
        "line 1: Ownership o1 has no asset",
        "line 2: Ownership o2: percentage 'about half' is not a number (write 25 or 25%)",
        "line 3: Ownership o3: a cannot own itself",
        "line 4: entity has no id or no schema",
    ]
    assert owners.count() == 0


def test_ftm_malformed_json_refuses_the_file(owners: OwnershipStore, tmp_path: Path) -> None:
    path = write(tmp_path, '{"id": "a", "schema": "Company"}\n{"id": \n', "e.ftm.json")
    with pytest.raises(ParseError) as info:
        owners.import_file(path)
    assert info.value.line == 2 and "malformed JSON" in info.value.reason


# -- the rules on the store ----------------------------------------------------------------------


def test_check_explains_the_path_and_is_audited(owners: OwnershipStore, store: Store) -> None:
    owners.import_file(FIXTURES / "links.csv")
    beta = owners.check("beta trading llc", actor="analyst")
    assert beta.by_ownership and beta.party == "name:beta trading llc"
    assert beta.share == pytest.approx(0.605)  # Alpha (blocked) 50% + Smirnova (EU) 10.5%
    assert beta.path_sentences == (
        "Ivan PETROV (listed: US OFAC SDN List (SDGT)) owns 60% of Alpha Holdings Ltd; "
        "Alpha Holdings Ltd is blocked (60% owned by blocked persons) and owns 50% of "
        "Beta Trading LLC",
        "Olga SMIRNOVA (listed: EU EU Financial Sanctions (consolidated list) (RUS)) owns "
        "10.5% of Beta Trading LLC",
    )
    (record,) = store.audit_records(action="ownership.check")
    assert record.actor == "analyst" and record.subject_id == "name:beta trading llc"
    assert record.details["blocked"] and record.details["rule"] == "ofac_50"
    assert record.details["paths"] == list(beta.path_sentences)

    gamma = owners.check("Gamma LLC")  # owned by a bank under sectoral sanctions only
    assert not gamma.blocked and gamma.share == 0
    epsilon = owners.check("Epsilon LLC")
    assert not epsilon.blocked
    assert any("stated to control it" in c for c in epsilon.cautions)
    frozen = owners.check("Epsilon LLC", "eu_uk_control")
    assert frozen.by_ownership and "controlled by Ivan PETROV" in frozen.explanation


def test_authorities_limit_the_listed_parties(owners: OwnershipStore) -> None:
    owners.import_file(FIXTURES / "links.csv")
    ofac_only = owners.check("Beta Trading LLC", authorities=["US OFAC"], audit=False)
    assert ofac_only.by_ownership and ofac_only.share == pytest.approx(0.5)
    eu_only = owners.check("Beta Trading LLC", authorities=["eu"], audit=False)
    assert not eu_only.blocked and eu_only.share == pytest.approx(0.105)
    blocked = owners.blocked_by_ownership()
    assert [a.name for a in blocked] == ["Alpha Holdings Ltd", "Beta Trading LLC"]


def test_party_lookup(owners: OwnershipStore, store: Store) -> None:
    owners.import_file(FIXTURES / "links.csv")
    smirnova = owners.check(SMIRNOVA)
    assert smirnova.listed and smirnova.blocked and not smirnova.by_ownership
    assert "is listed itself (EU EU Financial Sanctions" in smirnova.explanation
    bank = owners.check("sectoral bank")  # by entity name
    assert bank.party == BANK and not bank.blocked
    quiet = owners.check("test_list-quiet-trading")  # an entity no link names
    assert not quiet.blocked and "no blocked person owns any of it" in quiet.explanation
    with pytest.raises(QueryError, match="several listed entities"):
        owners.check("Ali Hassan")
    with pytest.raises(NotFoundError, match="no ownership link and no listed entity"):
        owners.check("Nobody Ltd")


def test_a_name_imported_before_its_list_joins_later(store: Store, tmp_path: Path) -> None:
    owners = OwnershipStore(store)
    owners.import_file(
        write(
            tmp_path,
            "owner,owned,percentage,source\nIvan PETROV,Omega LLC,75,reg\n"
            "Ali Hassan,Sigma LLC,80,reg\n",
        )
    )
    assert owners.links()[0].owner == "name:ivan petrov"
    assert not owners.check("Omega LLC", audit=False).blocked
    save(store, listed())
    omega = owners.check("Omega LLC", audit=False)
    assert omega.by_ownership and omega.contributions[0].owner == PETROV
    analysis = owners.analyse()
    assert any(
        "'Ali Hassan' is the name of several listed entities" in w for w in analysis.warnings
    )
    assert not analysis.parties["name:sigma llc"].blocked


def test_blocked_seeds_scan(owners: OwnershipStore, store: Store) -> None:
    seeds, captions = blocked_seeds(store)
    assert set(seeds) == {PETROV, SMIRNOVA, "test_list-ali-1", "test_list-ali-2"}
    assert seeds[PETROV] == "US OFAC SDN List (SDGT)"
    assert captions[BANK] == "SECTORAL BANK"
    only, _ = blocked_seeds(store, [PETROV, BANK, "name:x"], authorities=["US OFAC"])
    assert set(only) == {PETROV}


# -- a real FtM file ---------------------------------------------------------------------------


def test_real_opensanctions_file(store: Store, official: Path) -> None:
    from embargo.sources.base import ParseReport
    from embargo.sources.ftm import FORMAT_ENTITIES

    path = official / "opensanctions/ftm_entities/zala/entities.ftm.json"
    cst = "NK-abdzbEBkqyT29GyREbiURZ"  # LLC CST
    kalashnikov, zakharov = "NK-nR5AXM9AVPq4pQaSPSaVam", "NK-aU5ybkbRFJucf8YMwsJvDw"
    report = ParseReport(source="ftm_zala", format="ftm-json")
    parties = list(FORMAT_ENTITIES.parse(path, report))
    # Leave LLC CST itself out of the list: is it blocked through its listed owners alone?
    save(store, [e for e in parties if e.id != cst], source="ftm_zala")
    # Count independently: Ownership lines current on TODAY, one link per (owner, asset).
    current: dict[tuple[str, str], list[str]] = {}
    ended = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        if data["schema"] != "Ownership":
            continue
        props = data["properties"]
        if props.get("endDate", ["9999"])[0] < TODAY.isoformat():
            ended += 1
            continue
        key = (props["owner"][0], props["asset"][0])
        current.setdefault(key, []).extend(props.get("percentage", []))
    assert (len(current), ended) == (2, 11)
    assert current == {(kalashnikov, cst): ["49"], (zakharov, cst): ["51"]}

    owners = OwnershipStore(store)
    result = owners.import_file(path, today=TODAY)
    assert result.links == len(current) and len(result.skipped) == ended and not result.bad
    assert {(x.owner, x.owned): x.percentage for x in owners.links()} == {
        (kalashnikov, cst): 49.0,
        (zakharov, cst): 51.0,
    }
    assert owners.links()[0].owned_name == "LLC CST"  # from the file: CST is not stored now
    under_ofac = owners.check("LLC CST", audit=False)
    assert under_ofac.by_ownership and under_ofac.share == pytest.approx(1.0)
    assert [p[0].owner for p in under_ofac.paths] == [zakharov, kalashnikov]
    assert under_ofac.path_sentences[0].startswith(
        "Alexander Vyacheslavovich ZAKHAROV (listed: "
    ) and under_ofac.path_sentences[0].endswith("owns 51% of LLC CST")
    under_eu = owners.check(cst, "eu_uk_control", authorities=["EU"], audit=False)
    assert under_eu.by_ownership and not under_eu.cautions  # Zakharov alone holds over 50%
