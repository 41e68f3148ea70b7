"""``POST /match/{dataset}``: yente-compatible query-by-example screening."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from embargo.api import deps
from embargo.api.datasets import resolve
from embargo.api.limits import (
    DEFAULT_CUTOFF,
    DEFAULT_MATCH_LIMIT,
    MAX_BATCH,
    MAX_EXCLUDE_IDS,
    MAX_MATCH_LIMIT,
)
from embargo.api.models import EntityMatchQuery, EntityMatchResponse, ErrorResponse
from embargo.api.params import openapi_parameters, read_query
from embargo.api.scan import Filters, audit_query, parse_example, run_query, schema_set
from embargo.api.serialize import echo_query
from embargo.api.state import resolve_algorithm
from embargo.sources.ftm import FTM_SCHEMA

router = APIRouter(tags=["Matching"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Invalid query (the message says which)"},
    404: {"model": ErrorResponse, "description": "No such dataset"},
    413: {"model": ErrorResponse, "description": "Request body too large"},
    422: {"model": ErrorResponse, "description": "Malformed request or too many queries"},
    503: {"model": ErrorResponse, "description": "Index loading, or audit log unavailable"},
}


class MatchParams(BaseModel):
    """The query parameters of ``/match`` (yente's, plus ``explain``)."""

    model_config = ConfigDict(extra="ignore")

    limit: int = Field(
        DEFAULT_MATCH_LIMIT, ge=1, le=MAX_MATCH_LIMIT, description="Results per query"
    )
    threshold: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Score at which a result is a match (default: the algorithm's, 0.7)",
    )
    cutoff: float = Field(
        DEFAULT_CUTOFF, ge=0.0, le=1.0, description="Results scoring below this are not returned"
    )
    algorithm: str = Field(
        "best",
        description="embargo-v1; yente's names (logic-v1, logic-v2, name-based, regression-v1, "
        "best, ...) are accepted and run Embargo's default; the response names the one used",
    )
    include_dataset: list[str] = Field([], description="Only these lists or collections")
    exclude_dataset: list[str] = Field([], description="Not these lists or collections")
    exclude_schema: list[str] = Field([], description="Not these entity types")
    topics: list[str] = Field(
        [],
        description="Only entities with one of these topics (sanction, export.control, debarment)",
    )
    exclude_entity_ids: list[str] = Field([], description="Never return these entities")
    changed_since: str | None = Field(None, description="Accepted for yente compatibility; ignored")
    fuzzy: bool | None = Field(None, description="Accepted for yente compatibility; ignored")
    explain: bool = Field(True, description="Include Embargo's full explanation of each score")


@router.post(
    "/match/{dataset}",
    summary="Screen parties by example (yente-compatible)",
    response_model=None,
    responses={200: {"model": EntityMatchResponse}, **ERRORS},
    openapi_extra={"parameters": openapi_parameters(MatchParams)},
)
async def match(
    request: Request,
    body: EntityMatchQuery,
    dataset: str = Path(
        description="A list (us_ofac_sdn, eu_fsf, ...) or collection (default, sanctions, us, "
        "export_control, ...); see /catalog",
        examples=["default"],
    ),
) -> Response:
    """Screen a batch of parties, each described like a FollowTheMoney entity, against a
    dataset. The request and response follow yente's `/match`; each result also carries
    `embargo`: the listings with what each measure means, and the explanation of the score.

    ```json
    {"queries": {"q1": {"schema": "Person", "properties": {"name": ["Vladimir Putin"],
      "birthDate": ["1952-10-07"]}}}}
    ```
    Every call is written to the audit log before it is answered (`embargo.audit_id`).
    """
    params = read_query(request, MatchParams)
    limit, threshold, cutoff = params.limit, params.threshold, params.cutoff
    algorithm = params.algorithm
    exclude_schema, topics = params.exclude_schema, params.topics
    exclude_entity_ids = params.exclude_entity_ids
    real_algorithm = resolve_algorithm(algorithm)
    screener, renderer = deps.current(request, real_algorithm)
    state = deps.get_state(request)
    if not body.queries:
        raise HTTPException(400, 'no queries given: send {"queries": {"q1": {...}}}')
    if len(body.queries) > MAX_BATCH:
        raise HTTPException(
            422, f"too many queries in one request: {len(body.queries)}; the limit is {MAX_BATCH}"
        )
    if len(exclude_entity_ids) > MAX_EXCLUDE_IDS:
        raise HTTPException(422, f"exclude_entity_ids: at most {MAX_EXCLUDE_IDS} ids")
    scope = resolve(
        dataset,
        state.active_sources(),
        include=params.include_dataset,
        exclude=params.exclude_dataset,
    )
    excluded_schemas: set[str] = set()
    for name in exclude_schema:
        excluded_schemas |= {s.value for s in schema_set(name, "exclude_schema")}
    filters = Filters(
        sources=scope.sources,
        exclude_schemas=tuple(sorted(excluded_schemas)),
        topics=frozenset(topics),
        exclude_ids=frozenset(exclude_entity_ids),
        cutoff=cutoff,
    )
    t_start = time.perf_counter()
    queries = [
        (key, example, parse_example(key, example.schema_, example.properties))
        for key, example in body.queries.items()
    ]
    responses: dict[str, Any] = {}
    audited: list[dict[str, Any]] = []
    for key, example, query in queries:
        results, total = run_query(
            screener, query, limit=limit, threshold=threshold, filters=filters
        )
        responses[key] = {
            "status": 200,
            "results": [renderer.match(m, explain=params.explain) for m in results],
            "total": {"value": total, "relation": "eq"},
            "query": echo_query(example.id, FTM_SCHEMA[query.schema], example.properties),
        }
        audited.append(audit_query(key, query, results, total))
    used_threshold = screener.algorithm.threshold if threshold is None else threshold
    rid = deps.request_id()
    ignored = [
        name
        for name, value in (
            ("changed_since", params.changed_since),
            ("fuzzy", params.fuzzy),
            ("weights", body.weights or None),
            ("config", body.config or None),
        )
        if value is not None
    ]
    t_screened = time.perf_counter()
    audit_id = await deps.audit(
        request,
        rid,
        {
            "endpoint": f"/match/{dataset}",
            "request_sha256": await deps.body_digest(request),
            "scope": scope.to_dict(),
            "algorithm": screener.algorithm.name,
            "threshold": used_threshold,
            "cutoff": cutoff,
            "limit": limit,
            "filters": {
                "exclude_schema": sorted(excluded_schemas),
                "topics": sorted(topics),
                "exclude_entity_ids": sorted(exclude_entity_ids)[:50],
            },
            "matched": any(q["matches"] for q in audited),
            "queries": audited,
        },
    )
    payload = {
        "responses": responses,
        "matcher": {**screener.algorithm.to_dict(), "requested": algorithm},
        "limit": limit,
        "embargo": {
            "request_id": rid,
            "audit_id": audit_id,
            "threshold": used_threshold,
            "scope": scope.to_dict(),
            "index": screener.index.signature,
            "ignored_parameters": ignored,
        },
    }
    t_audited = time.perf_counter()
    headers = {
        "X-Request-Id": rid,
        "X-Batch-Size": str(len(responses)),
        # Where the time went (shown by browsers' developer tools, read by load tests).
        "Server-Timing": f"screen;dur={(t_screened - t_start) * 1000:.2f}, "
        f"audit;dur={(t_audited - t_screened) * 1000:.2f}",
    }
    if audit_id is not None:
        headers["X-Audit-Id"] = str(audit_id)
    return deps.json_response(payload, headers=headers)
