"""Secondary features, table-driven: what each kind of evidence adds or takes away."""

from __future__ import annotations

import pytest

from embargo.match.features import (
    Weights,
    birth_date_feature,
    compatible_schemas,
    country_feature,
    gender_feature,
    identifier_feature,
    normalize_id,
)
from embargo.match.query import parse_query
from embargo.model import IdType, Schema
from tests.builders import entity

W = Weights()
LISTED = entity(
    "Ivan PETROV",
    birth="1960-05-17",
    countries=("ru",),
    ids=((IdType.PASSPORT, "72 1234567"), (IdType.TAX_ID, "7701234567")),
)


def query(**props: object) -> object:
    return parse_query({"schema": "Person", "properties": {"name": ["Ivan Petrov"], **props}})


@pytest.mark.parametrize(
    ("dates", "delta"),
    [
        (["1960-05-17"], W.dob_exact),
        (["1960-05"], W.dob_month),
        (["1960"], W.dob_year),
        (["1961"], W.dob_near),
        (["1975-01-01"], W.dob_conflict),
        (["1975", "1960-05-17"], W.dob_exact),  # the best of several dates counts
    ],
)
def test_birth_date(dates: list[str], delta: float) -> None:
    result = birth_date_feature(query(birthDate=dates), LISTED, W)  # type: ignore[arg-type]
    assert result is not None and result.delta == delta


def test_birth_date_inside_a_listed_range_or_circa() -> None:
    ranged = entity("Ivan PETROV", birth="1958 to 1962")
    circa = entity("Ivan PETROV", birth="circa 1960")
    assert birth_date_feature(query(birthDate=["1961"]), ranged, W).delta == W.dob_year  # type: ignore[arg-type,union-attr]
    assert birth_date_feature(query(birthDate=["1961"]), circa, W).delta == W.dob_year  # type: ignore[arg-type,union-attr]
    assert birth_date_feature(query(birthDate=["1970"]), circa, W).delta == W.dob_conflict  # type: ignore[arg-type,union-attr]


def test_no_dates_no_evidence() -> None:
    assert birth_date_feature(query(), LISTED, W) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("countries", "delta"),
    [(["Russia"], W.country_match), (["ru"], W.country_match), (["Germany"], W.country_conflict)],
)
def test_country(countries: list[str], delta: float) -> None:
    result = country_feature(query(nationality=countries), LISTED, W)  # type: ignore[arg-type]
    assert result is not None and result.delta == delta


@pytest.mark.parametrize(
    ("ids", "delta"),
    [
        (["721234567"], W.id_match),  # spacing and punctuation do not matter
        (["77-0123-4567"], W.id_match),
        (["999999"], W.id_conflict),
    ],
)
def test_identifier(ids: list[str], delta: float) -> None:
    result = identifier_feature(query(idNumber=ids), LISTED, W)  # type: ignore[arg-type]
    assert result is not None and result.delta == delta


def test_imo_prefix_is_ignored() -> None:
    assert normalize_id("IMO 9187629") == normalize_id("9187629")


def test_gender_conflict() -> None:
    listed = entity("Ivan PETROV")
    listed.gender = "male"
    result = gender_feature(query(gender=["female"]), listed, W)  # type: ignore[arg-type]
    assert result is not None and result.delta == W.gender_conflict
    assert gender_feature(query(gender=["male"]), listed, W) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("a", "b", "ok"),
    [
        (Schema.PERSON, Schema.PERSON, True),
        (Schema.PERSON, Schema.VESSEL, False),
        (Schema.PERSON, Schema.COMPANY, False),
        (Schema.COMPANY, Schema.ORGANIZATION, True),
        (Schema.UNKNOWN, Schema.VESSEL, True),
        (Schema.VESSEL, Schema.AIRCRAFT, False),
    ],
)
def test_schema_compatibility(a: Schema, b: Schema, ok: bool) -> None:
    assert compatible_schemas(a, b) is ok
