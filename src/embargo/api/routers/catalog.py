"""``GET /catalog`` (lists, active versions, collections) and ``GET /algorithms``."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from embargo.api import deps
from embargo.api.datasets import ALIASES, COLLECTIONS, collections_of
from embargo.api.scan import entity_columns
from embargo.api.state import YENTE_ALGORITHMS, age_days
from embargo.match.index import signature_of
from embargo.match.matcher import ALGORITHMS, DEFAULT_ALGORITHM
from embargo.sources.registry import SOURCES
from embargo.store import ListVersion

router = APIRouter(tags=["System information"])


@router.get("/catalog", summary="Lists, their active versions, and collections")
async def catalog(request: Request) -> Response:
    """Every list Embargo knows or has loaded: its active version (publisher's date, load
    time, content hash, entity counts), its age and whether it is stale, plus the collections
    a dataset name in `/match/{dataset}` can also be. Shaped like yente's catalog
    (`datasets`, `current`, `outdated`) with more detail per list."""
    state = deps.get_state(request)
    stale_days = state.settings.stale_days
    versions: list[ListVersion] = []
    if state.store is not None:
        store = state.store
        versions = await asyncio.to_thread(store.active_versions)
    active = {v.source: v for v in versions}
    current = state.current_or_none()
    index_sources: Counter[str] = Counter()
    if current is not None:
        index_sources.update(entity_columns(current[0].index)[1])
    datasets: list[dict[str, Any]] = []
    for name in sorted(set(SOURCES) | set(active) | set(index_sources)):
        spec = SOURCES.get(name)
        v = active.get(name)
        age = age_days(v) if v is not None else None
        datasets.append(
            {
                "name": name,
                "type": "source",
                "title": spec.title if spec else "imported list",
                "publisher": spec.authority if spec else None,
                "url": spec.homepage if spec else None,
                "summary": spec.note if spec else None,
                "load": v is not None or name in index_sources,
                "version": str(v.id) if v is not None else None,
                "format": v.format if v else None,
                "publisher_date": v.publisher_date if v else None,
                "loaded_at": v.fetched_at.isoformat(timespec="seconds") if v else None,
                "content_hash": v.content_hash if v else None,
                "entity_count": v.entity_count if v else index_sources.get(name, 0),
                "indexed": index_sources.get(name, 0),
                "counts": v.counts if v else {},
                "age_days": age,
                "stale": bool(age is not None and age > stale_days),
                "collections": collections_of(name),
            }
        )
    loaded = {d["name"] for d in datasets if d["load"]}
    for collection in COLLECTIONS.values():
        members = sorted(loaded) if collection.sources is None else list(collection.sources)
        datasets.append(
            {
                "name": collection.name,
                "type": "collection",
                "title": collection.title,
                "summary": collection.summary,
                "load": any(m in loaded for m in members),
                "children": members,
                "not_loaded": [m for m in members if m not in loaded],
                "entity_count": sum(index_sources.get(m, 0) for m in members),
            }
        )
    payload = {
        "datasets": datasets,
        "current": sorted(d["name"] for d in datasets if d["type"] == "source" and d["load"]),
        "outdated": sorted(d["name"] for d in datasets if d.get("stale")),
        # The lists changed since the index was built and the refresh has not caught up yet.
        "index_stale": bool(
            current is not None
            and current[0].index.signature
            and signature_of((v.source, v.id, v.content_hash) for v in versions)
            != current[0].index.signature
        ),
        "stale_days": stale_days,
        "aliases": ALIASES,
        "index": state.status(),
    }
    return deps.json_response(payload)


@router.get("/algorithms", summary="Scoring algorithms")
async def algorithms() -> Response:
    """Embargo's scoring algorithms, in yente's shape. yente's algorithm names are accepted
    as aliases of the default."""
    return deps.json_response(
        {
            "algorithms": [
                {
                    "name": a.name,
                    "description": a.description,
                    "features": {
                        name: {"description": name.replace("_", " "), "coefficient": value}
                        for name, value in a.to_dict()["weights"].items()
                    },
                    "threshold": a.threshold,
                }
                for a in ALGORITHMS.values()
            ],
            "default": DEFAULT_ALGORITHM,
            "best": DEFAULT_ALGORITHM,
            "aliases": {name: DEFAULT_ALGORITHM for name in sorted(YENTE_ALGORITHMS)},
        }
    )
