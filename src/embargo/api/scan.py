"""Running screening queries for the API: filters, cut-off, exclusions, audit summaries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from embargo.api.limits import AUDIT_MAX_NAMES, AUDIT_NAME_CHARS, MATCH_CANDIDATES
from embargo.api.serialize import topics as entity_topics
from embargo.errors import QueryError
from embargo.match.index import MatchIndex
from embargo.match.matcher import Match
from embargo.match.query import Query, parse_query
from embargo.model import Entity, Schema
from embargo.screening import Screener
from embargo.sources.ftm import FTM_SCHEMA, ftm_id

# FtM schema names yente clients send that Embargo reads as one of its own.
SCHEMA_ALIASES = {
    "publicbody": "Organization",
    "airplane": "Aircraft",
    "thing": "LegalEntity",
}
# FtM schema name (as in exclude_schema / search's schema) -> Embargo schemas it covers.
_FTM_NAMES: dict[str, Schema] = {v.lower(): k for k, v in FTM_SCHEMA.items()}
_FTM_NAMES.update({s.value.lower(): s for s in Schema})
_DESCENDANTS: dict[Schema, frozenset[Schema]] = {
    Schema.PERSON: frozenset({Schema.PERSON}),
    Schema.COMPANY: frozenset({Schema.COMPANY}),
    Schema.ORGANIZATION: frozenset({Schema.ORGANIZATION, Schema.COMPANY}),
    Schema.UNKNOWN: frozenset({Schema.PERSON, Schema.ORGANIZATION, Schema.COMPANY, Schema.UNKNOWN}),
    Schema.VESSEL: frozenset({Schema.VESSEL}),
    Schema.AIRCRAFT: frozenset({Schema.AIRCRAFT}),
}
_MASK_CACHE = 64


class ApiScreener(Screener):
    """A screener that keeps the entity filter of each dataset scope it has seen.

    ``Screener._allowed`` builds a flag per entity for every filtered query (tens of
    thousands of checks); an API serves the same few scopes over and over, so the flags are
    built once per scope and index. Suggested as a change to ``Screener`` itself.
    """

    def __init__(self, base: Screener, algorithm: str | None = None) -> None:
        super().__init__(
            base.index,
            store=base.store,
            settings=base.settings,
            algorithm=algorithm or base.algorithm.name,
        )
        self._masks: dict[tuple[Any, ...], list[bool] | None] = {}

    def _allowed(
        self,
        sources: Sequence[str] | None,
        exclude_sources: Sequence[str],
        exclude_schemas: Sequence[str],
    ) -> list[bool] | None:
        key = (
            id(self.index),
            tuple(sorted(sources)) if sources is not None else None,
            tuple(sorted(exclude_sources)),
            tuple(sorted(exclude_schemas)),
        )
        if key not in self._masks:
            if len(self._masks) >= _MASK_CACHE:
                self._masks.clear()
            self._masks[key] = super()._allowed(sources, exclude_sources, exclude_schemas)
        return self._masks[key]


def entity_columns(index: MatchIndex) -> tuple[Sequence[str], Sequence[str], Sequence[str]]:
    """(ids, sources, schema values) of every entity in the index, position by position,
    without decoding the entities where the index keeps these columns."""
    entities = index.entities
    ids = getattr(entities, "ids", None)
    if ids is not None:
        return ids, entities.sources, entities.schemas  # type: ignore[attr-defined]
    return (
        [e.id for e in entities],
        [e.source for e in entities],
        [e.schema.value for e in entities],
    )


def schema_name(value: object) -> object:
    """A yente schema name as one Embargo's query parser reads (other values pass through)."""
    if isinstance(value, str):
        return SCHEMA_ALIASES.get(value.strip().lower(), value)
    return value


def schema_set(name: str, what: str) -> frozenset[Schema]:
    """The Embargo schemas an FtM schema name covers (``Organization`` covers companies)."""
    key = name.strip().lower()
    if key == "thing":
        return frozenset(Schema)
    found = _FTM_NAMES.get(key)
    if found is None:
        raise QueryError(
            f"{what}: unknown schema {name!r}; use one of Person, Organization, Company, "
            "LegalEntity, Vessel, Airplane, Thing"
        )
    return _DESCENDANTS[found]


def parse_example(key: str, schema: str, properties: Mapping[str, Any]) -> Query:
    try:
        return parse_query({"schema": schema_name(schema), "properties": properties})
    except QueryError as exc:
        raise QueryError(f"queries.{key}: {exc}") from None


def entity_ids(entity: Entity) -> set[str]:
    """Every id a client may know the entity by."""
    ids = {entity.id, ftm_id(entity.id)}
    ids.update(entity.extra.get("referents", ()))
    return ids


@dataclass(frozen=True)
class Filters:
    sources: tuple[str, ...] | None = None
    exclude_schemas: tuple[str, ...] = ()
    topics: frozenset[str] = frozenset()
    exclude_ids: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    cutoff: float = 0.0

    def keep(self, match: Match) -> bool:
        if match.score < self.cutoff:
            return False
        entity = match.entity
        if self.exclude_ids and not self.exclude_ids.isdisjoint(entity_ids(entity)):
            return False
        if self.countries and self.countries.isdisjoint(entity.all_countries):
            return False
        return not self.topics or not self.topics.isdisjoint(entity_topics(entity))


def run_query(
    screener: Screener,
    query: Query,
    *,
    limit: int,
    threshold: float | None,
    filters: Filters,
) -> tuple[list[Match], int]:
    """The results of one query (best first, at most ``limit``) and how many passed the
    filters in all.

    Sources and schemas are filtered before candidates are chosen. Entity-id exclusions and
    topics are applied to the scored candidates, with the candidate pool widened by the
    number of excluded ids (an excluded entity can take at most its own place) and, for
    topics or countries, to at least 100.
    """
    pool = max(limit, MATCH_CANDIDATES) + len(filters.exclude_ids)
    if filters.topics or filters.countries:
        pool = max(pool, 100)
    found = screener.screen(
        query,
        limit=pool,
        threshold=threshold,
        sources=filters.sources,
        exclude_schemas=filters.exclude_schemas,
        candidates=pool,
    )
    kept = [m for m in found if filters.keep(m)]
    return kept[:limit], len(kept)


def audit_query(key: str, query: Query, results: Sequence[Match], total: int) -> dict[str, Any]:
    """What the audit record keeps of one query: what was screened and what it found."""
    return {
        "key": key,
        "schema": query.schema.value,
        "names": [n[:AUDIT_NAME_CHARS] for n in query.names[:AUDIT_MAX_NAMES]],
        "name_count": len(query.names),
        "birth_dates": [b.text for b in query.birth_dates[:AUDIT_MAX_NAMES]],
        "countries": list(query.countries[:AUDIT_MAX_NAMES]),
        "identifiers": [i[:AUDIT_NAME_CHARS] for i in query.identifiers[:AUDIT_MAX_NAMES]],
        "total": total,
        "top": [results[0].entity_id, round(results[0].score, 4)] if results else None,
        "matches": [[m.entity_id, round(m.score, 4)] for m in results if m.match],
    }
