"""Screening queries: FollowTheMoney-style dicts, validated into a typed ``Query``.

A query looks like ``{"schema": "Person", "properties": {"name": ["Vladimir Putin"],
"birthDate": ["1952-10-07"], "nationality": ["ru"], "idNumber": ["..."]}}``. Anything
malformed is a ``QueryError`` naming the field and the reason, never a crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from embargo.errors import QueryError
from embargo.model import BirthDate, Entity, Schema
from embargo.model.values import country_code, parse_birth_date, parse_gender

MAX_NAME_LENGTH = 500
MAX_VALUES = 50

SCHEMAS = {
    "person": Schema.PERSON,
    "organization": Schema.ORGANIZATION,
    "organisation": Schema.ORGANIZATION,
    "company": Schema.COMPANY,
    "vessel": Schema.VESSEL,
    "aircraft": Schema.AIRCRAFT,
    "airplane": Schema.AIRCRAFT,
    "legalentity": Schema.UNKNOWN,
    "thing": Schema.UNKNOWN,
}

NAME_PROPS = ("name", "alias", "previousName", "weakAlias", "firstName", "lastName")
COUNTRY_PROPS = ("nationality", "citizenship", "country", "jurisdiction", "flag", "birthCountry")
ID_PROPS = (
    "idNumber",
    "passportNumber",
    "taxNumber",
    "registrationNumber",
    "innCode",
    "ogrnCode",
    "imoNumber",
    "mmsi",
    "leiCode",
    "swiftBic",
    "vatCode",
    "socialSecurityNumber",
    "cryptoWallet",
    "publicKey",
)
KNOWN_PROPS = frozenset(
    (*NAME_PROPS, *COUNTRY_PROPS, *ID_PROPS, "birthDate", "gender", "middleName", "fatherName")
)


@dataclass(frozen=True)
class Query:
    schema: Schema
    names: tuple[str, ...]
    birth_dates: tuple[BirthDate, ...] = ()
    countries: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = ()
    gender: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


def parse_schema(value: object) -> Schema:
    if value is None or value == "":
        return Schema.UNKNOWN
    if not isinstance(value, str):
        raise QueryError("schema: must be a string such as 'Person' or 'Company'")
    found = SCHEMAS.get(value.strip().lower())
    if found is None:
        raise QueryError(
            f"schema: unknown schema {value!r}; use one of Person, Organization, Company, "
            "Vessel, Aircraft, LegalEntity"
        )
    return found


def _values(props: Mapping[str, Any], key: str) -> list[str]:
    raw = props.get(key)
    if raw is None:
        return []
    if isinstance(raw, str | int | float):
        raw = [raw]
    if not isinstance(raw, list):
        raise QueryError(f"properties.{key}: must be a list of strings")
    if len(raw) > MAX_VALUES:
        raise QueryError(f"properties.{key}: at most {MAX_VALUES} values")
    out = []
    for value in raw:
        if value is None:
            continue
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise QueryError(f"properties.{key}: values must be strings")
        try:
            text = str(value).strip()
        except ValueError:  # an integer Python refuses to write out (over 4,300 digits)
            raise QueryError(f"properties.{key}: a number too long to be a value") from None
        if text:
            out.append(text)
    return out


def parse_query(data: object) -> Query:
    """Validate a FollowTheMoney-style query dict."""
    if not isinstance(data, Mapping):
        raise QueryError("query: must be an object with 'schema' and 'properties'")
    schema = parse_schema(data.get("schema"))
    props = data.get("properties", {})
    if not isinstance(props, Mapping):
        raise QueryError("properties: must be an object mapping property names to lists")
    names = [
        n for key in ("name", "alias", "previousName", "weakAlias") for n in _values(props, key)
    ]
    first, last = _values(props, "firstName"), _values(props, "lastName")
    middle = _values(props, "middleName") + _values(props, "fatherName")
    if first or last:
        names.append(" ".join([*first[:1], *middle[:1], *last[:1]]))
    for name in names:
        if len(name) > MAX_NAME_LENGTH:
            raise QueryError(
                f"properties.name: a name is {len(name):,} characters long; the limit is "
                f"{MAX_NAME_LENGTH}"
            )
    if not names:
        raise QueryError("properties.name: a query needs at least one non-empty name")
    birth_dates = []
    for text in _values(props, "birthDate"):
        bd = parse_birth_date(text)
        if bd is None or bd.year is None:
            raise QueryError(
                f"properties.birthDate: {text!r} is not a date (use YYYY-MM-DD or YYYY)"
            )
        birth_dates.append(bd)
    countries: list[str] = []
    for key in COUNTRY_PROPS:
        for text in _values(props, key):
            code = country_code(text)
            if code is None:
                raise QueryError(f"properties.{key}: {text!r} is not a country name or code")
            if code not in countries:
                countries.append(code)
    identifiers = tuple(dict.fromkeys(v for key in ID_PROPS for v in _values(props, key)))
    genders = _values(props, "gender")
    gender = parse_gender(genders[0]) if genders else None
    return Query(
        schema=schema,
        names=tuple(dict.fromkeys(names)),
        birth_dates=tuple(birth_dates),
        countries=tuple(countries),
        identifiers=identifiers,
        gender=gender,
        raw=dict(data),
    )


def query_from_entity(entity: Entity) -> Query:
    """A query made from a stored entity (to screen one listed party against the rest)."""
    return Query(
        schema=entity.schema,
        names=tuple(n.full for n in entity.names),
        birth_dates=tuple(b for b in entity.birth_dates if b.year is not None),
        countries=tuple(entity.all_countries),
        identifiers=tuple(i.value for i in entity.identifiers),
        gender=entity.gender,
    )
