"""``engine="dask"``: chunks of rows screened on a Dask cluster.

The screener (the match index: hundreds of MB) is pickled once here and the bytes are shipped
to the cluster once, with ``Client.scatter(..., broadcast=True)``: every worker holds one copy
and each task gets a reference to it, not the data. Each worker unpickles it on first use and
keeps the screener for the following tasks (keyed by a token, so a new run's screener
replaces it). Scattering the bytes rather than the screener object matters: Dask would
otherwise pickle the object graph again for every replica (minutes for the full lists). A
worker that joins later fetches the bytes from a peer the first time it runs a task. Each
worker then answers the file's first queries so rigour's name tagger is loaded before the
rows are sent. Chunks are submitted a bounded number ahead and their results taken
in submission order, so the output is the same as the local engine's, row for row.

Without a scheduler address a ``LocalCluster`` of worker processes (2 unless told otherwise,
one thread each) is started for the run and closed after it.

Dask is optional: ``pip install 'embargo[dask]'`` (which installs ``dask[distributed]``).
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from embargo.batch.io import BatchError
from embargo.batch.output import Record
from embargo.batch.runner import ChunkScreener, Task, _bare, _warm_up

if TYPE_CHECKING:
    from embargo.screening import Screener

INSTALL_HINT = "pip install 'embargo[dask]'  (installs dask[distributed])"
DEFAULT_LOCAL_WORKERS = 2
_CONNECT_TIMEOUT_S = 30


def require_dask() -> None:
    """Raise a ``BatchError`` saying what to install when Dask's distributed scheduler is
    missing."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        raise BatchError(
            f"the Dask engine needs Dask's distributed scheduler, which is not installed: "
            f"{INSTALL_HINT}"
        ) from None


def screen_chunk(
    payload: bytes, token: str, tasks: Sequence[Task], threshold: float, limit: int
) -> list[list[Record]]:
    """One Dask task: screen a chunk with the worker's copy of the screener."""
    return _chunk_screener(payload, token, threshold, limit)(tasks)


def warm(payload: bytes, token: str, sample: Sequence[dict[str, Any]]) -> int:
    import os

    screener = _chunk_screener(payload, token, 0.0, 1).screener
    _warm_up(screener, sample)
    return os.getpid()


_SCREENERS: dict[str, ChunkScreener] = {}


def _chunk_screener(payload: bytes, token: str, threshold: float, limit: int) -> ChunkScreener:
    # One screener (and its query cache) per run per worker process; tasks run one at a time
    # per worker thread, and unpickling twice in a race would only waste time, not be wrong.
    found = _SCREENERS.get(token)
    if found is None:
        import pickle

        _SCREENERS.clear()  # a previous run's screener on a long-lived cluster
        found = ChunkScreener(pickle.loads(payload), threshold, limit)
        _SCREENERS[token] = found
    found.threshold, found.limit = threshold, limit
    return found


class DaskEngine:
    name = "dask"

    def __init__(
        self,
        screener: Screener,
        threshold: float,
        limit: int,
        *,
        workers: int | None = None,
        scheduler: str | None = None,
        sample: Sequence[dict[str, Any]] = (),
    ) -> None:
        require_dask()
        import distributed

        Client: Any = distributed.Client
        LocalCluster: Any = distributed.LocalCluster

        self.threshold = threshold
        self.limit = limit
        self._cluster: Any = None
        try:
            if scheduler:
                self._client: Any = Client(scheduler, timeout=_CONNECT_TIMEOUT_S)
            else:
                self._cluster = LocalCluster(
                    n_workers=workers or DEFAULT_LOCAL_WORKERS,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                self._client = Client(self._cluster)
        except (OSError, TimeoutError) as exc:
            self._close_cluster()
            where = scheduler or "a local cluster"
            raise BatchError(f"could not connect to the Dask scheduler at {where}: {exc}") from None
        try:
            info = self._client.scheduler_info()
            if not info.get("workers"):
                self._client.wait_for_workers(1, timeout=_CONNECT_TIMEOUT_S)
                info = self._client.scheduler_info()
            addresses = list(info.get("workers", {}))
            threads = sum(w.get("nthreads", 1) for w in info["workers"].values())
            self.workers = len(addresses)
            self.max_inflight = max(threads, self.workers, 1) * 3
            # Ship the screener once to every worker; tasks receive a reference to it.
            payload = pickle.dumps(_bare(screener), protocol=pickle.HIGHEST_PROTOCOL)
            self._token = f"{uuid.uuid4().hex}-{len(payload)}"
            self._payload = self._client.scatter(payload, broadcast=True, hash=False)
            del payload
            self._await_copies()
            warmups = [
                self._client.submit(
                    warm,
                    self._payload,
                    self._token,
                    list(sample),
                    workers=[a],
                    allow_other_workers=False,
                    pure=False,
                )
                for a in addresses
            ]
            self._client.gather(warmups)
        except BaseException:
            self.close(cancel=True)
            raise

    def submit(self, tasks: list[Task]) -> Any:
        return self._client.submit(
            screen_chunk,
            self._payload,
            self._token,
            tasks,
            self.threshold,
            self.limit,
            pure=False,
        )

    def result(self, handle: Any) -> list[list[Record]]:
        out: list[list[Record]] = handle.result()
        handle.release()
        return out

    def close(self, *, cancel: bool = False) -> None:
        client = getattr(self, "_client", None)
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
        self._close_cluster()

    def _await_copies(self) -> None:
        """Wait until every worker holds the screener. A broadcast scatter can return with
        the copies still on their way (seen on a loaded machine); a worker without one would
        fetch it from a peer inside its first task, and measure that as screening time."""
        deadline = time.monotonic() + _CONNECT_TIMEOUT_S
        while time.monotonic() < deadline:
            holders = next(iter(self._client.who_has(self._payload).values()), ())
            if len(holders) >= self.workers:
                return
            time.sleep(0.05)
        self._client.replicate([self._payload], n=self.workers)

    def _close_cluster(self) -> None:
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()
            self._cluster = None
