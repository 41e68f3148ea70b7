"""``POST /screen/text``: listed parties mentioned in a document."""

from __future__ import annotations

import asyncio
import hashlib

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from embargo.api import deps
from embargo.api.datasets import resolve
from embargo.api.limits import AUDIT_NAME_CHARS, MAX_TEXT_CHARS
from embargo.api.models import ErrorResponse, TextQuery, TextResponse
from embargo.text import TEXT_THRESHOLD

router = APIRouter(tags=["Matching"])


@router.post(
    "/screen/text",
    summary="Find listed parties mentioned in a text",
    response_model=None,
    responses={
        200: {"model": TextResponse},
        400: {"model": ErrorResponse, "description": "Invalid request"},
        404: {"model": ErrorResponse, "description": "No such dataset"},
        413: {"model": ErrorResponse, "description": "Text too long"},
        422: {"model": ErrorResponse, "description": "Malformed request"},
        503: {"model": ErrorResponse, "description": "Index loading, or audit log unavailable"},
    },
)
async def screen_text(request: Request, body: TextQuery) -> Response:
    """Names of listed parties found in running text (a payment message, an article, a
    contract), each with its character offsets (`start`, `end`), the entity, its listings and
    the explanation. Running text asks for a higher score than a name field (default
    threshold 0.8)."""
    if len(body.text) > MAX_TEXT_CHARS:
        raise HTTPException(
            413, f"text: {len(body.text):,} characters; the limit is {MAX_TEXT_CHARS:,}"
        )
    screener, _ = deps.current(request)
    state = deps.get_state(request)
    scope = resolve(body.dataset, state.active_sources())
    threshold = TEXT_THRESHOLD if body.threshold is None else body.threshold
    sources = list(scope.sources) if scope.sources is not None else None
    # Long documents take a while: keep the event loop free for other requests meanwhile.
    mentions = await asyncio.to_thread(
        screener.screen_text, body.text, threshold=threshold, sources=sources
    )
    rid = deps.request_id()
    audit_id = await deps.audit(
        request,
        rid,
        {
            "endpoint": "/screen/text",
            "request_sha256": await deps.body_digest(request),
            "text_sha256": hashlib.sha256(body.text.encode("utf-8")).hexdigest(),
            "characters": len(body.text),
            "scope": scope.to_dict(),
            "algorithm": screener.algorithm.name,
            "threshold": threshold,
            "matched": bool(mentions),
            "mentions": [
                [m.start, m.end, m.text[:AUDIT_NAME_CHARS], m.entity_id, round(m.score, 4)]
                for m in mentions
            ],
        },
    )
    payload = {
        "mentions": [m.to_dict() for m in mentions],
        "threshold": threshold,
        "embargo": {
            "request_id": rid,
            "audit_id": audit_id,
            "algorithm": screener.algorithm.name,
            "scope": scope.to_dict(),
        },
    }
    return deps.json_response(payload, headers={"X-Request-Id": rid})
