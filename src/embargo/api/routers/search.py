"""``GET /search/{dataset}`` (text search with filters and paging) and ``GET /entities/{id}``."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import Response

from embargo.api import deps
from embargo.api.datasets import resolve
from embargo.api.limits import (
    DEFAULT_SEARCH_LIMIT,
    MAX_SEARCH_LIMIT,
    MAX_SEARCH_QUERY,
    MAX_SEARCH_WINDOW,
    SEARCH_MIN_SCORE,
)
from embargo.api.models import EntityResponse, ErrorResponse, SearchResponse
from embargo.api.scan import Filters, audit_query, entity_columns, run_query, schema_set
from embargo.api.serialize import EntityRenderer, nested_entity, topics
from embargo.errors import NotFoundError
from embargo.match.query import parse_query
from embargo.model import Entity, Schema
from embargo.screening import Screener
from embargo.sources.ftm import FTM_SCHEMA, ftm_id
from embargo.sources.registry import SOURCES

router = APIRouter()

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Invalid query"},
    404: {"model": ErrorResponse, "description": "No such dataset or entity"},
    422: {"model": ErrorResponse, "description": "Invalid parameter"},
    503: {"model": ErrorResponse, "description": "Index loading, or audit log unavailable"},
}


def _facets(entities: list[Entity]) -> dict[str, Any]:
    countries: Counter[str] = Counter()
    datasets: Counter[str] = Counter()
    schemata: Counter[str] = Counter()
    for entity in entities:
        countries.update(entity.all_countries)
        datasets[entity.source] += 1
        schemata[FTM_SCHEMA[entity.schema]] += 1

    def facet(label: str, counts: Counter[str], titles: dict[str, str]) -> dict[str, Any]:
        return {
            "label": label,
            "values": [
                {"name": name, "label": titles.get(name, name), "count": count}
                for name, count in counts.most_common(50)
            ],
        }

    titles = {name: spec.title for name, spec in SOURCES.items()}
    return {
        "countries": facet("Countries", countries, {c: c.upper() for c in countries}),
        "datasets": facet("Data sources", datasets, titles),
        "schema": facet("Entity types", schemata, {}),
    }


@router.get(
    "/search/{dataset}",
    summary="Text search",
    tags=["Matching"],
    response_model=None,
    responses={200: {"model": SearchResponse}, **ERRORS},
)
async def search(
    request: Request,
    dataset: str = Path(description="A list or collection name; see /catalog"),
    q: str = Query("", max_length=MAX_SEARCH_QUERY, description="A name (empty: browse)"),
    schema: str = Query("Thing", description="Only this type (Organization covers companies)"),
    countries: Annotated[
        list[str] | None, Query(description="Only entities tied to one of these countries")
    ] = None,
    datasets: Annotated[
        list[str] | None, Query(description="Only these lists or collections")
    ] = None,
    include_dataset: Annotated[
        list[str] | None, Query(description="Only these lists or collections")
    ] = None,
    exclude_dataset: Annotated[
        list[str] | None, Query(description="Not these lists or collections")
    ] = None,
    exclude_schema: Annotated[list[str] | None, Query(description="Not these entity types")] = None,
    topics_: Annotated[
        list[str] | None, Query(alias="topics", description="Only these topics")
    ] = None,
    limit: int = Query(DEFAULT_SEARCH_LIMIT, ge=1, le=MAX_SEARCH_LIMIT),
    offset: int = Query(0, ge=0, le=MAX_SEARCH_WINDOW - 1),
) -> Response:
    """Search the lists for a name, as a user-facing search box does: results ranked by
    how well their names match `q`, filtered by type, country and list, with paging
    (`offset` + `limit` reach at most the first 1,000 results). An empty `q` lists every
    entity that passes the filters. For screening a party, use `/match`."""
    countries = countries or []
    datasets = datasets or []
    include_dataset = include_dataset or []
    exclude_dataset = exclude_dataset or []
    exclude_schema = exclude_schema or []
    if offset + limit > MAX_SEARCH_WINDOW:
        raise HTTPException(
            422,
            f"offset + limit is {offset + limit}; results go no deeper than {MAX_SEARCH_WINDOW}",
        )
    screener, renderer = deps.current(request)
    state = deps.get_state(request)
    scope = resolve(
        dataset,
        state.active_sources(),
        include=[*include_dataset, *datasets],
        exclude=exclude_dataset,
    )
    wanted = schema_set(schema, "schema")
    for name in exclude_schema:
        wanted -= schema_set(name, "exclude_schema")
    codes = {c.strip().lower() for c in countries if c.strip()}
    topic_set = frozenset(topics_ or ())
    text = q.strip()
    if text:
        query = parse_query({"schema": "LegalEntity", "properties": {"name": [text]}})
        filters = Filters(
            sources=scope.sources,
            exclude_schemas=tuple(sorted(s.value for s in Schema if s not in wanted)),
            topics=topic_set,
            countries=frozenset(codes),
            cutoff=SEARCH_MIN_SCORE,
        )
        found, total = run_query(
            screener, query, limit=offset + limit, threshold=None, filters=filters
        )
        # Candidates are the names closest to q: more may exist beyond a full window.
        relation = "gte" if total >= offset + limit else "eq"
        audit_id = await deps.audit(
            request,
            deps.request_id(),
            {
                "endpoint": f"/search/{dataset}",
                "scope": scope.to_dict(),
                "algorithm": screener.algorithm.name,
                "queries": [audit_query("q", query, found, total)],
            },
        )
        results = [
            {**renderer.entity(m.entity), "score": round(m.score, 4)}
            for m in found[offset : offset + limit]
        ]
        facet_on = [m.entity for m in found]
    else:
        # Browsing: filter on the index's columns, decode only what must be looked at.
        allowed = set(scope.sources) if scope.sources is not None else None
        schema_values = {s.value for s in wanted}
        _, sources, schemas = entity_columns(screener.index)
        positions = [
            i
            for i, (source, schema_value) in enumerate(zip(sources, schemas, strict=True))
            if (allowed is None or source in allowed) and schema_value in schema_values
        ]
        every = screener.index.entities
        if codes or topic_set:
            facet_on = [
                e
                for e in (every[i] for i in positions)
                if (not codes or not codes.isdisjoint(e.all_countries))
                and (not topic_set or not topic_set.isdisjoint(topics(e)))
            ]
            total = len(facet_on)
            page = facet_on[offset : offset + limit]
        else:
            total = len(positions)
            page = [every[i] for i in positions[offset : offset + limit]]
            facet_on = page
        results = [renderer.entity(e) for e in page]
        relation = "eq"
        audit_id = None
    payload = {
        "results": results,
        "total": {"value": total, "relation": relation},
        "limit": limit,
        "offset": offset,
        "facets": _facets(facet_on),
        "embargo": {"scope": scope.to_dict(), "audit_id": audit_id},
    }
    return deps.json_response(payload)


def _find(request: Request, entity_id: str) -> tuple[Entity, bool, EntityRenderer | None]:
    """(entity, in an active list, the renderer of the current index) or 404."""
    state = deps.get_state(request)
    current = state.current_or_none()
    if current is not None:
        screener, renderer = current
        entity = screener.entity(entity_id)
        if entity is None:
            entity = _by_ftm_id(screener, entity_id)
        if entity is not None:
            return entity, True, renderer
    if state.store is None:
        raise HTTPException(404, f"no entity with id {entity_id!r}")
    try:
        entity = state.store.get_entity(entity_id)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    return entity, state.store.is_active(entity.id), None


def _by_ftm_id(screener: Screener, wanted: str) -> Entity | None:
    """An entity by the FtM-safe form of its id (``us-ofac-sdn-35096``), as exported."""
    if "_" in wanted:
        return None
    for entity_id in screener.index.by_id:
        if "_" in entity_id and ftm_id(entity_id) == wanted:
            return screener.entity(entity_id)
    return None


@router.get(
    "/entities/{entity_id}",
    summary="One entity, with its listings and list history",
    tags=["Data access"],
    response_model=None,
    responses={200: {"model": EntityResponse}, **ERRORS},
)
async def fetch_entity(
    request: Request,
    entity_id: str = Path(description="An Embargo id (us_ofac_sdn-35096) or its FtM form"),
) -> Response:
    """The entity as FollowTheMoney (sanctions, addresses and identifications nested in its
    properties, as yente returns them), and under `embargo`: the entity in Embargo's own
    model, its listings with what each measure means, every stored list version it appears
    in, and whether it is still listed (`active`) or was removed (`delisted`)."""
    entity, active, renderer = _find(request, entity_id)
    state = deps.get_state(request)
    versions = []
    if state.store is not None:
        store = state.store
        versions = await asyncio.to_thread(store.entity_versions, entity.id)
    data = nested_entity(entity, renderer or EntityRenderer())
    if versions:
        data["first_seen"] = data["first_seen"] or versions[0].fetched_at.strftime(
            "%Y-%m-%dT%H:%M:%S"
        )
        data["last_seen"] = versions[-1].fetched_at.strftime("%Y-%m-%dT%H:%M:%S")
    extra = data["embargo"]
    extra["status"] = "active" if active else "delisted"
    extra["entity"] = _builtins(entity)
    extra["versions"] = [v.to_dict() for v in versions]
    return deps.json_response(data)


def _builtins(entity: Entity) -> dict[str, Any]:
    import msgspec

    out: dict[str, Any] = msgspec.to_builtins(entity)
    return out
