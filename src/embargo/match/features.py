"""Secondary evidence: birth dates, countries, identifiers, gender, schema.

Each feature compares one kind of attribute of the query with the candidate entity and
returns a change in log-odds with a reason an analyst can read. The sizes of the changes are
the algorithm's weights (``Weights``), kept as data so that a result can name the weights it
used and a team can tune them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from embargo.match.query import Query
from embargo.model import BirthDate, Entity, Schema


@dataclass(frozen=True, slots=True)
class FeatureResult:
    feature: str  # "birth_date", "country", "identifier", "gender"
    delta: float  # change in log-odds
    reason: str


@dataclass(frozen=True)
class Weights:
    """Log-odds changes per kind of evidence. Positive supports a match."""

    dob_exact: float = 2.0
    dob_month: float = 1.2
    dob_year: float = 0.7
    dob_near: float = -0.3  # within a year either way (typos, circa dates)
    dob_conflict: float = -4.0
    country_match: float = 0.3
    country_conflict: float = -0.5
    id_match: float = 6.0
    id_conflict: float = -0.7
    gender_conflict: float = -1.5
    # A name made only of tokens many people share ("Wang Wei", "John Smith", "Martin"):
    # by one, two or three such tokens. The name alone then proves little.
    common_name_1: float = -4.0
    common_name_2: float = -3.0
    common_name_3: float = -1.5
    # Every matched part of the name agreed only in its consonants (unvowelled scripts).
    consonants_only: float = -1.0


_ID_CLEAN = re.compile(r"[^0-9A-Z]")


def normalize_id(value: str) -> str:
    text = _ID_CLEAN.sub("", value.upper())
    return text[3:] if text.startswith("IMO") and text[3:].isdigit() else text


def compatible_schemas(query: Schema, candidate: Schema) -> bool:
    """A person never matches a vessel; organisations and companies are interchangeable;
    an unknown schema on either side matches anything but a person-vs-thing pair."""
    if query is candidate or Schema.UNKNOWN in (query, candidate):
        return True
    orgs = (Schema.ORGANIZATION, Schema.COMPANY)
    return query in orgs and candidate in orgs


def _date_relation(q: BirthDate, c: BirthDate) -> tuple[str, int]:
    """(kind, year distance) between two dates at their common precision."""
    if q.year is None or c.year is None:
        return "unknown", 0
    c_years = c.years
    if q.year in c_years:
        if c.year_to or c.circa:
            return "year", 0  # inside the listed range: as good as the range allows
        if q.month and c.month:
            if q.month != c.month:
                return "near", 0
            if q.day and c.day:
                return ("exact", 0) if q.day == c.day else ("month", 0)
            return "month", 0
        return "year", 0
    distance = min(abs(q.year - y) for y in c_years) if len(c_years) else abs(q.year - c.year)
    return ("near" if distance <= 1 else "conflict"), distance


def birth_date_feature(query: Query, entity: Entity, w: Weights) -> FeatureResult | None:
    q_dates = [d for d in query.birth_dates if d.year]
    c_dates = [d for d in entity.birth_dates if d.year]
    if not q_dates or not c_dates:
        return None
    rank = {"exact": 4, "month": 3, "year": 2, "near": 1, "conflict": 0}
    best: tuple[str, BirthDate, BirthDate] | None = None
    for q in q_dates:
        for c in c_dates:
            kind, _ = _date_relation(q, c)
            if kind == "unknown":
                continue
            if best is None or rank[kind] > rank[best[0]]:
                best = (kind, q, c)
    if best is None:
        return None
    kind, q, c = best
    listed = ", ".join(d.text for d in c_dates)
    if kind == "exact":
        return FeatureResult(
            "birth_date", w.dob_exact, f"birth date {q.iso} matches the listed {c.text}"
        )
    if kind == "month":
        return FeatureResult(
            "birth_date", w.dob_month, f"birth date {q.iso} agrees with the listed {c.text}"
        )
    if kind == "year":
        return FeatureResult(
            "birth_date", w.dob_year, f"birth year {q.year} agrees with the listed {c.text}"
        )
    if kind == "near":
        return FeatureResult(
            "birth_date", w.dob_near, f"birth date {q.iso} is close to the listed {listed}"
        )
    return FeatureResult(
        "birth_date", w.dob_conflict, f"birth date {q.iso} conflicts with the listed {listed}"
    )


def country_feature(query: Query, entity: Entity, w: Weights) -> FeatureResult | None:
    if not query.countries:
        return None
    listed = entity.all_countries
    if not listed:
        return None
    shared = [c for c in query.countries if c in listed]
    if shared:
        return FeatureResult(
            "country", w.country_match, f"country {', '.join(shared)} is linked to the listed party"
        )
    return FeatureResult(
        "country",
        w.country_conflict,
        f"country {', '.join(query.countries)} is not among the listed party's ({', '.join(listed)})",
    )


def identifier_feature(query: Query, entity: Entity, w: Weights) -> FeatureResult | None:
    if not query.identifiers or not entity.identifiers:
        return None
    listed = {
        normalize_id(i.value): i for i in entity.identifiers if len(normalize_id(i.value)) >= 4
    }
    for value in query.identifiers:
        key = normalize_id(value)
        if key in listed:
            ident = listed[key]
            label = ident.label or ident.type.value
            return FeatureResult(
                "identifier", w.id_match, f"identifier {value} is the listed {label} {ident.value}"
            )
    return FeatureResult(
        "identifier",
        w.id_conflict,
        "identifiers given do not match any of the listed party's identifiers",
    )


def gender_feature(query: Query, entity: Entity, w: Weights) -> FeatureResult | None:
    if query.gender and entity.gender and query.gender != entity.gender:
        return FeatureResult(
            "gender",
            w.gender_conflict,
            f"gender {query.gender} differs from the listed {entity.gender}",
        )
    return None


FEATURES = (birth_date_feature, country_feature, identifier_feature, gender_feature)


def secondary_features(query: Query, entity: Entity, w: Weights) -> list[FeatureResult]:
    out = []
    for feature in FEATURES:
        result = feature(query, entity, w)
        if result is not None:
            out.append(result)
    return out
