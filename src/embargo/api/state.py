"""What one API worker holds: the screener, the store, the audit writer, and their refresh.

The screener is built in a background thread at start-up, so that the process answers
``/healthz`` at once and ``/readyz`` (and every screening endpoint) says 503 until the index is
loaded. A refresher checks every few seconds whether the store's active list versions changed
and, if so, builds a new screener in the background and swaps it in whole: a request always
runs on one consistent index, old or new, never a mix.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from embargo.api.audit import AuditWriter
from embargo.api.limits import ENTITY_CACHE_SIZE, GC_FREEZE_SECONDS, REFRESH_INTERVAL_SECONDS
from embargo.api.scan import ApiScreener, entity_columns
from embargo.api.serialize import EntityRenderer
from embargo.errors import EmbargoError, QueryError
from embargo.match.index import signature_of
from embargo.match.matcher import ALGORITHMS, DEFAULT_ALGORITHM, get_algorithm
from embargo.screening import Screener
from embargo.settings import Settings
from embargo.store import ListVersion, Store

log = logging.getLogger(__name__)

# yente's algorithm names. Embargo has one calibrated algorithm family; a yente client asking
# for one of these gets Embargo's default, and the response's ``matcher`` block names it.
YENTE_ALGORITHMS = frozenset(
    {
        "best",
        "default",
        "logic-v1",
        "logic-v2",
        "name-based",
        "name-qualified",
        "regression-v1",
        "regression-v2",
        "regression-v3",
    }
)
# Screened once before a worker reports ready: the first person name loads rigour's name
# tagger (seconds), the first country name its territory table.
_WARM_UP = (
    {
        "schema": "Person",
        "properties": {"name": ["Maria Gonzalez"], "nationality": ["Spain"], "birthDate": ["1970"]},
    },
    {"schema": "Company", "properties": {"name": ["Acme Trading Company"], "country": ["Peru"]}},
)


class NotReady(EmbargoError):
    """The screening index is not (yet) available."""


def resolve_algorithm(name: str | None) -> str:
    """Embargo's algorithm for a requested name (Embargo's own, or a yente alias)."""
    if not name or name in YENTE_ALGORITHMS:
        return DEFAULT_ALGORITHM
    if name in ALGORITHMS:
        return name
    known = sorted({*ALGORITHMS, *YENTE_ALGORITHMS})
    raise QueryError(f"algorithm: unknown algorithm {name!r}; available: {', '.join(known)}")


def age_days(version: ListVersion) -> int:
    """Days since the publisher dated the list (since it was loaded, if undated)."""
    if version.publisher_date and len(version.publisher_date) == 10:
        try:
            published = date.fromisoformat(version.publisher_date)
        except ValueError:
            pass
        else:
            return (datetime.now(UTC).date() - published).days
    return (datetime.now(UTC) - version.fetched_at).days


@contextlib.contextmanager
def index_lock(settings: Settings) -> Iterator[None]:
    """Serialise index builds between the worker processes of one server.

    Without it, ``--workers 2`` on a fresh data directory builds the index twice at once and
    both processes write the same cache file. With it the first builds and saves, the others
    then load the saved index.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: no cross-process lock, builds may repeat
        yield
        return
    folder = settings.data_dir / "index"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".build.lock").open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


class ApiState:
    """The screener, store and audit writer of one worker process."""

    def __init__(
        self,
        settings: Settings | None,
        *,
        screener: Screener | None = None,
        store: Store | None = None,
    ) -> None:
        if store is not None and (settings is None or settings.database_url is None):
            base = settings or Settings.from_env()
            url = store.engine.url.render_as_string(hide_password=False)
            settings = replace(base, database_url=url)
        self.settings = settings or Settings.from_env()
        self._given_store = store
        self.store: Store | None = store
        if self.store is None and screener is not None:
            self.store = screener.store  # None for an in-memory screener: no persistence
        self._fixed = screener is not None and screener.store is None
        self.screener: Screener | None = screener
        # What requests use, swapped as one: the screener and the renderer of its entities.
        self._current: tuple[ApiScreener, EntityRenderer] | None = None
        self.versions: list[ListVersion] = []
        self.error: str | None = None
        self.loaded_at: float | None = time.time() if screener is not None else None
        self.audit: AuditWriter | None = None
        self._algorithm_screeners: dict[tuple[int, str], ApiScreener] = {}
        self._rebuilding = threading.Lock()
        self._refresh_task: asyncio.Task[None] | None = None
        self._opened_store = False

    # -- life cycle ----------------------------------------------------------------------

    async def start(self) -> None:
        if self.store is None and not self._fixed:
            try:
                self.store = await asyncio.to_thread(self._open_store)
                self._opened_store = True
            except EmbargoError as exc:
                self.error = str(exc)
                log.error("cannot open the store: %s", exc)
        if self.store is not None:
            self.audit = AuditWriter(self.store)
            await asyncio.to_thread(self._read_versions)
        else:
            log.warning("no store: screening calls are not written to an audit log")
        if self.screener is None:
            threading.Thread(
                target=self._load_locked, name="embargo-index-load", daemon=True
            ).start()
        else:
            self._install(self.screener)
        self._refresh_task = asyncio.create_task(self._refresh_loop())

    async def stop(self) -> None:
        if self._refresh_task is not None:
            self._refresh_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresh_task
        if self.audit is not None:
            await self.audit.aclose()
        if self._opened_store and self.store is not None:
            self.store.close()

    def _open_store(self) -> Store:
        os.makedirs(self.settings.data_dir, exist_ok=True)
        return Store.open(self.settings.db_url)

    def _read_versions(self) -> list[ListVersion]:
        assert self.store is not None
        self.versions = self.store.active_versions()
        return self.versions

    def _build(self, *, use_cache: bool = True) -> Screener:
        # The index is millions of small long-lived objects. Cyclic collections while it is
        # built or unpickled are wasted work, and once it is in use every full collection
        # would re-scan it (hundreds of milliseconds, stalling every request in the worker),
        # so it is built with the collector off and then frozen out of its sight (see
        # ``_freeze``). A swapped-out index is still freed: frozen objects are exempt from the
        # cycle collector, not from reference counting, and the index holds no cycles.
        #
        # ``use_cache``: at start-up, load the pickled index when it is current (the first
        # worker builds and saves it, the others load it). A rebuild while serving does not:
        # unpickling holds the interpreter lock for seconds, stalling the requests this worker
        # is answering, while building from the store lets them through.
        gc.disable()
        try:
            with index_lock(self.settings):
                screener = Screener.open(settings=self.settings, use_cache=use_cache)
            if len(screener):
                for query in _WARM_UP:
                    screener.screen(query, limit=1)
        finally:
            gc.enable()
        return screener

    @staticmethod
    def _freeze() -> None:
        gc.collect()
        gc.freeze()

    def _load(self) -> None:
        try:
            started = time.perf_counter()
            screener = self._build()
            log.info(
                "screening index ready: %d entities in %.1f s",
                len(screener),
                time.perf_counter() - started,
            )
            self._install(screener)
            self._freeze()
            self.error = None
        except Exception as exc:  # reported by /readyz; the refresher retries
            log.exception("cannot load the screening index")
            self.error = f"cannot load the screening index: {exc}"

    def _load_locked(self) -> None:
        with self._rebuilding:
            self._load()

    def _install(self, screener: Screener) -> None:
        last_seen = {v.source: v.fetched_at.isoformat() for v in self.versions}
        renderer = EntityRenderer(last_seen, size=ENTITY_CACHE_SIZE)
        self._algorithm_screeners.clear()
        self.screener = screener
        self._current = (ApiScreener(screener), renderer)
        self.loaded_at = time.time()

    # -- refresh -------------------------------------------------------------------------

    def current_signature(self) -> str | None:
        """The signature the index would have for the store's active versions now."""
        if self.store is None:
            return None
        versions = self._read_versions()
        return signature_of((v.source, v.id, v.content_hash) for v in versions)

    def refresh_now(self) -> bool:
        """Rebuild if the active versions changed (blocking; run in a thread). True if swapped."""
        if self._fixed or self.store is None:
            return False
        if self.screener is None:
            if not self._rebuilding.acquire(blocking=False):
                return False  # the first load is still running
            try:
                self._load()
            finally:
                self._rebuilding.release()
            return self.screener is not None
        signature = self.current_signature()
        if signature is None or signature == self.screener.index.signature:
            return False
        if not self._rebuilding.acquire(blocking=False):
            return False  # a rebuild is already running
        try:
            log.info("active list versions changed: rebuilding the screening index")
            screener = self._build(use_cache=False)
            old = self.screener
            self._install(screener)
            if old is not None and old.store is not None:
                old.store.close()
            del old
            self._freeze()
            return True
        finally:
            self._rebuilding.release()

    async def _refresh_loop(self) -> None:
        frozen_at = time.monotonic()
        while True:
            await asyncio.sleep(REFRESH_INTERVAL_SECONDS)
            if self._fixed or self.store is None or self._rebuilding.locked():
                continue
            if time.monotonic() - frozen_at > GC_FREEZE_SECONDS:
                # The caches requests fill (decoded entities, compared names) live as long as
                # the index; left in the collector's oldest generation they make each full
                # collection long enough to show in the latency of every request in flight.
                # Freezing them is cheap. The cost: a reference cycle alive at that moment
                # (in a request then in flight) is never collected once it dies; a few
                # objects per freeze, where the alternative is a pause per collection.
                gc.freeze()
                frozen_at = time.monotonic()
            try:
                await asyncio.to_thread(self.refresh_now)
            except Exception as exc:  # keep serving the index we have
                log.error("index refresh failed: %s", exc)
                self.error = f"index refresh failed: {exc}"

    # -- for request handlers ------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self._current is not None and len(self._current[0]) > 0

    def not_ready_reason(self) -> str:
        if self.error:
            return self.error
        if self.screener is None:
            return "the screening index is loading"
        return "no lists are loaded: run `embargo update` (or `embargo update --from PATH`)"

    def current(self) -> tuple[ApiScreener, EntityRenderer]:
        """The screener and renderer to use for one whole request."""
        current = self._current
        if current is None or len(current[0]) == 0:
            raise NotReady(self.not_ready_reason())
        return current

    def current_or_none(self) -> tuple[ApiScreener, EntityRenderer] | None:
        return self._current

    def screener_for(self, algorithm: str) -> tuple[ApiScreener, EntityRenderer]:
        """The screener using ``algorithm`` on the current index (shared, never copied)."""
        base, renderer = self.current()
        if base.algorithm.name == algorithm:
            return base, renderer
        key = (id(base.index), algorithm)
        found = self._algorithm_screeners.get(key)
        if found is None:
            get_algorithm(algorithm)
            found = ApiScreener(base, algorithm)
            self._algorithm_screeners[key] = found
        return found, renderer

    def active_sources(self) -> list[str]:
        if self.store is not None and self.versions:
            return [v.source for v in self.versions]
        screener = self.screener
        if screener is None:
            return []
        return sorted(set(entity_columns(screener.index)[1]))

    def status(self) -> dict[str, Any]:
        screener = self.screener
        return {
            "ready": self.ready,
            "pid": os.getpid(),
            "entities": len(screener) if screener is not None else 0,
            "index": screener.index.signature if screener is not None else None,
            "loaded_at": datetime.fromtimestamp(self.loaded_at, UTC).isoformat(timespec="seconds")
            if self.loaded_at
            else None,
            "store": self.store.url if self.store is not None else None,
        }
