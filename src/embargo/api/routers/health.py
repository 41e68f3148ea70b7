"""``GET /healthz`` (the process is up), ``GET /readyz`` (it can screen), ``POST /admin/refresh``."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from embargo.api import deps

router = APIRouter(tags=["System information"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> Response:
    """Always 200 while the process runs, even while the index is loading."""
    return deps.json_response({"status": "ok"})


@router.get("/readyz", summary="Ready to screen")
async def readyz(request: Request) -> Response:
    """200 when the store answers and the screening index is loaded with at least one list;
    503 (with the reason) otherwise. Use it as a load balancer's readiness check."""
    state = deps.get_state(request)
    if state.store is not None:
        store = state.store
        try:
            await asyncio.to_thread(store.active_versions)
        except Exception as exc:  # any database failure means not ready
            return deps.json_response(
                {
                    "status": "unavailable",
                    "detail": f"the store is not reachable: {exc}",
                    **state.status(),
                },
                status_code=503,
            )
    status = state.status()  # after the await: the index may have loaded meanwhile
    if not status["ready"]:
        return deps.json_response(
            {"status": "unavailable", "detail": state.not_ready_reason(), **status},
            status_code=503,
        )
    return deps.json_response({"status": "ok", **status})


@router.post("/admin/refresh", summary="Reload the lists now", tags=["Administration"])
async def refresh(request: Request) -> Response:
    """Check the store's active list versions now (rather than at the next periodic check,
    every few seconds) and rebuild the index if they changed. Answers when done."""
    state = deps.get_state(request)
    refreshed = await asyncio.to_thread(state.refresh_now)
    if state.store is not None:
        # An administrative write like any other: recorded with who asked for it.
        await asyncio.to_thread(
            state.store.audit,
            "admin.refresh",
            "index",
            state.status().get("index") or "-",
            {"refreshed": refreshed},
            actor=deps.actor(request),
        )
    return deps.json_response({"refreshed": refreshed, **state.status()})
