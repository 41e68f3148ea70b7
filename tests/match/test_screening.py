"""The Screener facade on small realistic lists."""

from __future__ import annotations

import pytest

from embargo import Screener
from embargo.errors import QueryError
from embargo.model import IdType, Measure, Schema
from embargo.model.measures import eu_listing, ofac_listing
from tests.builders import entity

LISTS = [
    entity(
        "Vladimir Vladimirovich PUTIN",
        "Vladimir PUTIN",
        "Владимир Владимирович Путин",
        id="35096",
        source="us_ofac_sdn",
        birth="1952-10-07",
        countries=("ru",),
        listing=ofac_listing("us_ofac_sdn", ["RUSSIA-EO14024"], sdn=True),
    ),
    entity(
        "Vladimir Vladimirovich PUTIN",
        id="135909",
        source="eu_fsf",
        birth="1952-10-07",
        listing=eu_listing("eu_fsf", "UKR"),
    ),
    entity(
        "ROSOBORONEKSPORT OAO",
        "ROSOBORONEXPORT JSC",
        "RUSSIAN DEFENSE EXPORT ROSOBORONEXPORT",
        schema=Schema.COMPANY,
        id="9593",
        source="us_ofac_sdn",
    ),
    entity(
        "PRESIDENCY OF DEFENSE INDUSTRIES",
        "SAVUNMA SANAYII BASKANLIGI",
        schema=Schema.ORGANIZATION,
        id="27016",
        source="us_ofac_cons",
        weak=("SSB",),
        listing=ofac_listing(
            "us_ofac_cons",
            ["CAATSA - RUSSIA"],
            sdn=False,
            measures=["EXPORT SANCTIONS Sec. 235(a)(2)"],
        ),
    ),
    entity("Ismail DEMIR", id="27017", source="us_ofac_sdn", birth="1960"),
    entity(
        "SEA GLORY",
        schema=Schema.VESSEL,
        id="44001",
        source="us_ofac_sdn",
        ids=((IdType.IMO, "9187629"),),
    ),
]


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener.from_entities(LISTS)


def person(name: str, **props: list[str]) -> dict[str, object]:
    return {"schema": "Person", "properties": {"name": [name], **props}}


def test_putin_on_two_lists(screener: Screener) -> None:
    matches = [m for m in screener.screen(person("Vladimir Putin")) if m.match]
    assert {m.entity_id for m in matches} == {"us_ofac_sdn-35096", "eu_fsf-135909"}
    sdn = next(m for m in matches if m.entity_id == "us_ofac_sdn-35096")
    assert sdn.listings[0].measure is Measure.BLOCKING
    assert sdn.explanation.name is not None and sdn.explanation.algorithm == "embargo-v1"


def test_results_are_best_first_and_limited(screener: Screener) -> None:
    results = screener.screen(person("Vladimir Putin"), limit=1)
    assert len(results) == 1 and results[0].score >= 0.9


def test_birth_date_confirms_and_conflicts(screener: Screener) -> None:
    plain = screener.screen(person("Ismail Demir"))[0]
    born = screener.screen(person("Ismail Demir", birthDate=["1960"]))[0]
    other = screener.screen(person("Ismail Demir", birthDate=["1985-01-01"]))[0]
    assert born.score > plain.score > other.score
    assert born.match and not other.match
    assert any(f.feature == "birth_date" and f.delta < 0 for f in other.explanation.features)


def test_identifier_is_decisive(screener: Screener) -> None:
    q = {"schema": "Vessel", "properties": {"name": ["Sea Glorious"], "imoNumber": ["IMO 9187629"]}}
    (match,) = [m for m in screener.screen(q) if m.match]
    assert match.entity_id == "us_ofac_sdn-44001"
    assert any(f.feature == "identifier" for f in match.explanation.features)


def test_person_never_matches_a_vessel(screener: Screener) -> None:
    assert not [m for m in screener.screen(person("Sea Glory")) if m.entity_id.endswith("44001")]


def test_menu_based_listing_explained(screener: Screener) -> None:
    q = {"schema": "Organization", "properties": {"name": ["Presidency of Defence Industries"]}}
    (match,) = [m for m in screener.screen(q) if m.match]
    (listing,) = match.listings
    assert listing.measure is Measure.MENU_BASED and "235(a)(2)" in listing.summary


def test_weak_alias_alone_does_not_alert(screener: Screener) -> None:
    q = {"schema": "Organization", "properties": {"name": ["SSB"]}}
    assert not [m for m in screener.screen(q) if m.match]


def test_source_and_schema_filters(screener: Screener) -> None:
    only_eu = screener.screen(person("Vladimir Putin"), sources=["eu_fsf"])
    assert {m.entity.source for m in only_eu} == {"eu_fsf"}
    no_people = screener.screen(person("Vladimir Putin"), exclude_schemas=["Person"])
    assert no_people == []


def test_threshold_per_query(screener: Screener) -> None:
    strict = screener.screen(person("Vladimir Putin"), threshold=0.999)
    assert not any(m.match for m in strict)
    with pytest.raises(QueryError, match="threshold"):
        screener.screen(person("Vladimir Putin"), threshold=2)


def test_compare() -> None:
    s = Screener.from_entities([])
    company = {"schema": "Company", "properties": {"name": ["ROSOBORONEKSPORT OAO"]}}
    same = s.compare({"schema": "Company", "properties": {"name": ["Rosoboronexport"]}}, company)
    assert same.match and same.score > 0.9
    assert "transliterated" in same.explanation.summary  # x / ks
    different = s.compare(person("Vladimir Putin"), person("Vladimir Olegovich Potanin"))
    assert not different.match
    incompatible = s.compare(
        person("Sea Glory"), {"schema": "Vessel", "properties": {"name": ["Sea Glory"]}}
    )
    assert incompatible.score == 0 and not incompatible.match


def test_explanation_serialises(screener: Screener) -> None:
    match = screener.screen(person("Владимир Путин"))[0]
    data = match.to_dict()
    assert data["explanation"]["name"]["parts"]
    assert data["listings"][0]["measure"] == "blocking"
