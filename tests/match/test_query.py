"""Query validation: every malformed query is a QueryError naming the field."""

from __future__ import annotations

import pytest

from embargo.errors import QueryError
from embargo.match.query import parse_query
from embargo.model import Schema


def test_full_query() -> None:
    q = parse_query(
        {
            "schema": "Person",
            "properties": {
                "name": ["Vladimir Putin"],
                "birthDate": ["1952-10-07"],
                "nationality": ["Russia"],
                "passportNumber": ["123"],
                "gender": ["male"],
            },
        }
    )
    assert q.schema is Schema.PERSON and q.names == ("Vladimir Putin",)
    assert q.birth_dates[0].iso == "1952-10-07" and q.countries == ("ru",)
    assert q.identifiers == ("123",) and q.gender == "male"


def test_first_and_last_name_make_a_name() -> None:
    q = parse_query(
        {"schema": "Person", "properties": {"firstName": ["Ivan"], "lastName": ["Petrov"]}}
    )
    assert q.names == ("Ivan Petrov",)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ("Putin", "query"),
        ({"schema": "Person", "properties": {}}, "properties.name"),
        ({"schema": "Person", "properties": {"name": ["  "]}}, "properties.name"),
        ({"schema": "Person", "properties": {"name": ["x" * 10_000]}}, "properties.name"),
        ({"schema": "Spaceship", "properties": {"name": ["X"]}}, "schema"),
        (
            {"schema": "Person", "properties": {"name": "X", "birthDate": ["someday"]}},
            "properties.birthDate",
        ),
        (
            {"schema": "Person", "properties": {"name": ["X"], "nationality": ["Atlantis"]}},
            "properties.nationality",
        ),
        ({"schema": "Person", "properties": {"name": [{"a": 1}]}}, "properties.name"),
        ({"schema": "Person", "properties": ["name"]}, "properties"),
    ],
)
def test_bad_queries(data: object, field: str) -> None:
    with pytest.raises(QueryError, match=field):
        parse_query(data)
