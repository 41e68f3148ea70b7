"""Helpers the routers share: the worker state, the acting party, JSON responses, audit."""

from __future__ import annotations

import hashlib
import itertools
import secrets
from typing import Any

import msgspec
from fastapi import HTTPException, Request
from fastapi.responses import Response

from embargo.api.audit import AuditUnavailable
from embargo.api.scan import ApiScreener
from embargo.api.serialize import EntityRenderer
from embargo.api.state import ApiState, NotReady

_encoder = msgspec.json.Encoder()


def get_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.embargo
    return state


def current(request: Request, algorithm: str | None = None) -> tuple[ApiScreener, EntityRenderer]:
    """The screener (for ``algorithm``, default the standard one) and its entity renderer;
    503 while the index is not ready."""
    state = get_state(request)
    try:
        if algorithm is None:
            return state.current()
        return state.screener_for(algorithm)
    except NotReady as exc:
        raise HTTPException(503, str(exc)) from None


def actor(request: Request) -> str:
    """Who is asking, for the audit log.

    An authentication layer sets ``request.state.actor`` (a user or API key name); without
    one, the client's address stands in.
    """
    named = getattr(request.state, "actor", None)
    if isinstance(named, str) and named:
        return named
    client = request.client
    return f"api:{client.host}" if client is not None else "api:unknown"


# Request ids: a random prefix per process and a counter, unique across workers and restarts
# without reading the system's random source for every request.
_ID_PREFIX = secrets.token_hex(8)
_ID_COUNTER = itertools.count(1)


def request_id() -> str:
    return f"{_ID_PREFIX}{next(_ID_COUNTER):012x}"


def json_response(
    payload: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """Encode with msgspec: several times faster than the framework's generic encoder on the
    large nested results of a screening call."""
    return Response(
        content=_encoder.encode(payload),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


async def body_digest(request: Request) -> str:
    """SHA-256 of the request body as received (already read and cached by the framework)."""
    return hashlib.sha256(await request.body()).hexdigest()


async def audit(request: Request, subject_id: str, details: dict[str, Any]) -> int | None:
    """Write the audit record of one screening request and wait for its commit.

    Returns the record id (None when the app runs without a store); raises 503 when the
    record cannot be written, so that no screening result goes out unrecorded.
    """
    writer = get_state(request).audit
    if writer is None:
        return None
    try:
        return await writer.record(subject_id, details, actor=actor(request))
    except AuditUnavailable as exc:
        raise HTTPException(503, f"{exc}; the screening was not answered") from None
