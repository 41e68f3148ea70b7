"""Limits and defaults of the HTTP API.

Module constants rather than ``Settings`` fields for now (the settings module belongs to the
store); each is named so that it can move into ``Settings`` as ``EMBARGO_API_<NAME>`` later.
"""

from __future__ import annotations

from typing import Final

# Request size: a body over this many bytes is refused with 413, counted as it arrives (a
# missing or lying Content-Length header does not get around it). 100 queries of 50 names of
# 500 characters each fit well inside.
MAX_BODY_BYTES: Final = 5 * 1024 * 1024
# Queries in one /match request (yente's own limit); more is a 422.
MAX_BATCH: Final = 100
# Results per query: yente's default page and cap.
DEFAULT_MATCH_LIMIT: Final = 5
MAX_MATCH_LIMIT: Final = 500
# Results below this score are not returned at all (yente's ``cutoff``); ``threshold`` decides
# ``match``.
DEFAULT_CUTOFF: Final = 0.10
# Candidates scored per query: at least this many, or the limit when it is larger.
MATCH_CANDIDATES: Final = 20
# Entity ids in ``exclude_entity_ids``.
MAX_EXCLUDE_IDS: Final = 500
# /search paging: page size and the deepest result reachable (offset + limit).
DEFAULT_SEARCH_LIMIT: Final = 10
MAX_SEARCH_LIMIT: Final = 500
MAX_SEARCH_WINDOW: Final = 1000
SEARCH_MIN_SCORE: Final = 0.05
MAX_SEARCH_QUERY: Final = 500  # characters of ``q``
# /screen/text: characters of text (``embargo.text`` has its own, larger cap).
MAX_TEXT_CHARS: Final = 200_000
# How often each worker checks whether the store's active list versions changed.
REFRESH_INTERVAL_SECONDS: Final = 5.0
# How often each worker moves what survived so far (caches filled by requests) out of the
# garbage collector's full collections (``gc.freeze``); see ``ApiState._refresh_loop``.
GC_FREEZE_SECONDS: Final = 30.0
# Audit records are written by one thread per worker in group commits: a request waits for
# its record to be committed, at most this long, before it fails with 503.
AUDIT_TIMEOUT_SECONDS: Final = 10.0
AUDIT_MAX_BATCH: Final = 500
# Names kept per query in an audit record (each cut to AUDIT_NAME_CHARS); the record also
# holds the SHA-256 of the whole request body, so the exact request stays provable.
AUDIT_MAX_NAMES: Final = 20
AUDIT_NAME_CHARS: Final = 200
# Entities whose FtM form is kept ready for responses (per worker).
ENTITY_CACHE_SIZE: Final = 20_000
