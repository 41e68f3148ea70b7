"""``run_batch``: screen every row of a file, in parallel, resumably, in input order.

The parent process reads the input and writes the output; workers screen chunks of rows.
Locally the workers are forked from the parent after the screener is built and warmed up, so
the match index (hundreds of MB) is shared copy-on-write rather than copied or pickled; with
``engine="dask"`` each Dask worker receives the screener once (see ``embargo.batch.dask``).
Chunks are submitted ahead (a bounded number in flight) and collected in submission order,
so the output order is the input order whatever the engine and the number of workers.

Resuming: about once a second the output written so far is flushed to disk and a checkpoint
(``OUTPUT.embargo-checkpoint.json``, replaced atomically) records how many input rows are done
and how many output bytes are committed. A run killed at any point (Ctrl-C, SIGKILL, power
loss) is continued by running it again: bytes past the checkpoint are truncated and reading
resumes at the next row, so the output is identical to an uninterrupted run's. The checkpoint
also records what the results depend on (the input's size and hashes, the column mapping, the
algorithm, threshold and limit, and the list versions); if any of them changed, resuming is
refused with a message saying what changed.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import itertools
import json
import logging
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from embargo.batch.io import (
    BatchError,
    ColumnMapping,
    InputRow,
    detect_format,
    estimate_rows,
    output_format,
    read_rows,
)
from embargo.batch.output import (
    COLUMNS,
    STATUS,
    Record,
    RecordWriter,
    appendable,
    spool_path,
    write_final,
)
from embargo.errors import EmbargoError, QueryError

if sys.platform != "win32":
    import fcntl
else:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from embargo.screening import Screener

log = logging.getLogger(__name__)

CHECKPOINT_VERSION = 1
DEFAULT_LIMIT = 5
DEFAULT_CHUNK_SIZE = 250
COMMIT_INTERVAL_S = 1.0
MAX_ERROR_SAMPLE = 100
_FINGERPRINT_BYTES = 1024 * 1024
_CACHE_SIZE = 20_000

# A chunk task: (row, ref, query or None, error or None, query name, query schema).
Task = tuple[int, str | None, dict[str, Any] | None, str | None, str, str]
ProgressCallback = Callable[[int, int | None], None]  # (rows done, rows expected or None)


class ResumeError(BatchError):
    """The checkpoint does not fit this run (the input, mapping, threshold or lists changed)."""


class BatchInterrupted(BatchError):
    """The run was interrupted; the checkpoint lets the same command continue it."""


def checkpoint_path(output: Path) -> Path:
    return output.with_name(output.name + ".embargo-checkpoint.json")


def lock_path(output: Path) -> Path:
    return output.with_name(output.name + ".embargo-lock")


# -- screening one chunk (runs in the workers) ---------------------------------------------


def _truncate(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _joined(values: Sequence[str]) -> str | None:
    unique = list(dict.fromkeys(v for v in values if v))
    return "; ".join(unique) if unique else None


def screen_query(
    screener: Screener,
    query: dict[str, Any],
    name: str,
    schema: str,
    threshold: float,
    limit: int,
) -> list[Record]:
    """The output records of one query, with ``row`` and ``ref`` left empty (filled in by
    ``ChunkScreener``); a refused query gives one ``error`` record with the reason."""
    algorithm = screener.algorithm.name
    try:
        matches = screener.screen(query, limit=limit, threshold=threshold)
    except QueryError as exc:
        return [(None, None, _truncate(name), schema, "error", str(exc), *_EMPTY, algorithm)]
    hits = [m for m in matches if m.match]
    if not hits:
        return [(None, None, name, schema, "no-match", None, *_EMPTY, algorithm)]
    out: list[Record] = []
    for rank, m in enumerate(hits, 1):
        entity = m.entity
        ev = m.explanation.name
        listings = entity.listings
        out.append(
            (
                None,
                None,
                name,
                schema,
                "match",
                None,
                rank,
                round(m.score, 4),
                m.entity_id,
                entity.caption,
                entity.schema.value,
                ev.matched_name if ev else None,
                ev.kind.value if ev else None,
                _joined([lst.authority for lst in listings]),
                _joined([lst.list for lst in listings]),
                _joined([p for lst in listings for p in lst.programs]),
                _joined([lst.measure.value for lst in listings]),
                _joined([lst.source for lst in listings] or [entity.source]),
                m.explanation.summary,
                algorithm,
            )
        )
    return out


_EMPTY = (None,) * 13  # rank .. explanation, for records without a match


class ChunkScreener:
    """Screens chunks of tasks with one screener. Identical queries repeated in the file (a
    customer book repeats names) are answered from a small cache, which cannot change any
    result: screening is deterministic."""

    def __init__(self, screener: Screener, threshold: float, limit: int) -> None:
        self.screener = screener
        self.threshold = threshold
        self.limit = limit
        self._cache: dict[bytes, list[Record]] = {}
        self._encode = msgspec.json.Encoder().encode

    def __call__(self, tasks: Sequence[Task]) -> list[list[Record]]:
        out: list[list[Record]] = []
        algorithm = self.screener.algorithm.name
        for row, ref, query, error, name, schema in tasks:
            if query is None:
                reason = error or f"row {row}: cannot be screened"
                out.append(
                    [(row, ref, _truncate(name), schema, "error", reason, *_EMPTY, algorithm)]
                )
                continue
            key = self._encode((name, query))
            body = self._cache.get(key)
            if body is None:
                body = screen_query(self.screener, query, name, schema, self.threshold, self.limit)
                if len(self._cache) >= _CACHE_SIZE:
                    self._cache.clear()
                self._cache[key] = body
            if body[0][STATUS] == "error":
                out.append([(row, ref, *body[0][2:5], f"row {row}: {body[0][5]}", *body[0][6:])])
            else:
                out.append([(row, ref, *r[2:]) for r in body])
        return out


# -- engines ---------------------------------------------------------------------------------


class Engine(Protocol):
    name: str
    workers: int
    max_inflight: int

    def submit(self, tasks: list[Task]) -> Any: ...

    def result(self, handle: Any) -> list[list[Record]]: ...

    def close(self, *, cancel: bool = False) -> None: ...


class InlineEngine:
    """Screens in this process (one worker: no fork, no pickling)."""

    name = "local"
    workers = 1
    max_inflight = 1

    def __init__(self, screener: Screener, threshold: float, limit: int) -> None:
        self._screen = ChunkScreener(screener, threshold, limit)

    def submit(self, tasks: list[Task]) -> Any:
        return self._screen(tasks)

    def result(self, handle: Any) -> list[list[Record]]:
        return list(handle)

    def close(self, *, cancel: bool = False) -> None:
        return None


_WORKER: ChunkScreener | None = None


def _exit_with_parent(parent: int) -> None:
    """End this worker when the parent dies (SIGKILL leaves no chance to shut the pool down,
    and the workers would wait on the task queue for ever)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0:  # PR_SET_PDEATHSIG
            if os.getppid() != parent:  # the parent died before the call
                os._exit(1)
            return
    except (OSError, AttributeError):
        pass
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="embargo-parent-watch", daemon=True).start()


def _worker_init(payload: bytes | None, threshold: float, limit: int, parent: int) -> None:
    # Ctrl-C goes to the whole process group: let the parent decide what to do about it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent(parent)
    global _WORKER
    if payload is not None:  # spawn start method: the screener comes pickled, once per worker
        import pickle

        _WORKER = ChunkScreener(pickle.loads(payload), threshold, limit)
    elif _WORKER is not None:
        _WORKER.threshold, _WORKER.limit = threshold, limit


def _worker_screen(tasks: list[Task]) -> list[list[Record]]:
    if _WORKER is None:  # pragma: no cover - the initializer always sets it
        raise RuntimeError("batch worker started without a screener")
    return _WORKER(tasks)


def _worker_ready() -> int:
    return os.getpid()


class LocalEngine:
    """A pool of worker processes forked after the screener is built (shared copy-on-write)."""

    name = "local"

    def __init__(self, screener: Screener, threshold: float, limit: int, workers: int) -> None:
        import multiprocessing
        from multiprocessing.context import BaseContext

        global _WORKER
        self.workers = workers
        self.max_inflight = workers * 4
        methods = multiprocessing.get_all_start_methods()
        payload: bytes | None = None
        ctx: BaseContext
        if "fork" in methods:
            ctx = multiprocessing.get_context("fork")
            _WORKER = ChunkScreener(screener, threshold, limit)
        else:  # pragma: no cover - Windows / macOS default
            import pickle

            ctx = multiprocessing.get_context("spawn")
            payload = pickle.dumps(_bare(screener), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self._pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=ctx,
                initializer=_worker_init,
                initargs=(payload, threshold, limit, os.getpid()),
            )
            # Start every worker now, before a progress bar's thread exists.
            for f in [self._pool.submit(_worker_ready) for _ in range(workers)]:
                f.result()
        finally:
            _WORKER = None

    def submit(self, tasks: list[Task]) -> Future[list[list[Record]]]:
        return self._pool.submit(_worker_screen, tasks)

    def result(self, handle: Future[list[list[Record]]]) -> list[list[Record]]:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return handle.result()
        except BrokenProcessPool:
            raise BatchError(
                "a screening worker process died (out of memory?); the run can be resumed"
            ) from None

    def close(self, *, cancel: bool = False) -> None:
        self._pool.shutdown(wait=not cancel, cancel_futures=cancel)


def _bare(screener: Screener) -> Screener:
    """The screener without its store connection: what a worker needs to screen."""
    from embargo.screening import Screener

    return Screener(screener.index, algorithm=screener.algorithm.name)


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# -- summary and checkpoint ------------------------------------------------------------------


@dataclass
class BatchSummary:
    input: str
    output: str
    input_format: str
    output_format: str
    engine: str
    workers: int
    algorithm: str
    threshold: float
    limit: int
    list_signature: str
    rows_read: int = 0  # input rows done, bad rows included (over all resumed runs)
    screened: int = 0  # rows screened
    matched: int = 0  # rows with at least one match
    matches: int = 0  # match records written
    no_match: int = 0
    errors: int = 0  # bad rows and rows the screener refused
    output_rows: int = 0
    resumed_from: int = 0  # rows already done when this run started
    elapsed_s: float = 0.0  # this run's wall time
    screen_s: float = 0.0  # from the first chunk submitted to the last written
    error_rows: list[tuple[int, str]] = field(default_factory=list)  # the first bad rows
    notes: list[str] = field(default_factory=list)

    @property
    def rows_this_run(self) -> int:
        return self.rows_read - self.resumed_from

    @property
    def rate(self) -> float:
        """Rows per second in this run, start-up included."""
        return self.rows_this_run / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def screen_rate(self) -> float:
        """Rows per second once the workers were ready (start-up excluded)."""
        return self.rows_this_run / self.screen_s if self.screen_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "output": self.output,
            "input_format": self.input_format,
            "output_format": self.output_format,
            "engine": self.engine,
            "workers": self.workers,
            "algorithm": self.algorithm,
            "threshold": self.threshold,
            "limit": self.limit,
            "list_signature": self.list_signature,
            "rows_read": self.rows_read,
            "screened": self.screened,
            "matched": self.matched,
            "matches": self.matches,
            "no_match": self.no_match,
            "errors": self.errors,
            "output_rows": self.output_rows,
            "resumed_from": self.resumed_from,
            "elapsed_s": round(self.elapsed_s, 3),
            "rate_rows_per_s": round(self.rate, 1),
            "screen_s": round(self.screen_s, 3),
            "screen_rate_rows_per_s": round(self.screen_rate, 1),
            "error_rows": [{"row": r, "error": e} for r, e in self.error_rows],
            "notes": self.notes,
        }

    def counts(self) -> dict[str, int]:
        return {
            "rows_read": self.rows_read,
            "screened": self.screened,
            "matched": self.matched,
            "matches": self.matches,
            "no_match": self.no_match,
            "errors": self.errors,
            "output_rows": self.output_rows,
        }


def input_fingerprint(path: Path) -> dict[str, Any]:
    """Size and SHA-256 of the first and the last MB: cheap, and catches replaced, edited,
    appended or truncated files."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = hashlib.sha256(fh.read(_FINGERPRINT_BYTES)).hexdigest()
        fh.seek(max(size - _FINGERPRINT_BYTES, 0))
        tail = hashlib.sha256(fh.read(_FINGERPRINT_BYTES)).hexdigest()
    return {"path": str(path.resolve()), "size": size, "head_sha256": head, "tail_sha256": tail}


def list_signature(screener: Screener) -> str:
    """The list versions the screener's index was built from (or its entities' content)."""
    if screener.index.signature:
        return str(screener.index.signature)
    digest = hashlib.sha256()
    for entity in screener.index.entities:
        digest.update(msgspec.msgpack.encode(entity))
    return "entities:" + digest.hexdigest()[:24]


def _write_checkpoint(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def _read_checkpoint(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") == CHECKPOINT_VERSION else None


_RESUME_KEYS = {
    "input": "the input file",
    "input_format": "the input format",
    "output_format": "the output format",
    "mapping": "the column mapping",
    "algorithm": "the algorithm",
    "threshold": "the threshold",
    "limit": "the limit",
    "list_signature": "the lists (a list update happened since)",
}


def _describe_change(key: str, old: Any, new: Any) -> str:
    what = _RESUME_KEYS[key]
    if key == "input" and isinstance(old, dict) and isinstance(new, dict):
        if old.get("path") != new.get("path"):
            return f"{what} is another file ({old.get('path')} then, {new.get('path')} now)"
        if old.get("size") != new.get("size"):
            return f"{what} changed size ({old.get('size'):,} bytes then, {new.get('size'):,} now)"
        return f"{what} changed (its content is not the same)"
    if key == "mapping" and isinstance(old, dict) and isinstance(new, dict):
        diffs = [f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in new if old.get(k) != new.get(k)]
        return f"{what} changed ({'; '.join(diffs)})"
    if key == "list_signature":
        return what
    return f"{what} changed ({old!r} then, {new!r} now)"


# -- the run ---------------------------------------------------------------------------------


def _chunks(rows: Iterator[InputRow], size: int, default_schema: str) -> Iterator[list[Task]]:
    chunk: list[Task] = []
    for r in rows:
        query = r.query
        schema = str(query["schema"]) if query else (r.values.get("schema") or default_schema)
        chunk.append((r.row, r.ref, query, r.error, r.values.get("name", ""), schema))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@contextlib.contextmanager
def _unfreeze_at_end() -> Iterator[None]:
    try:
        yield
    finally:
        gc.unfreeze()


@contextlib.contextmanager
def _output_lock(output: Path) -> Iterator[None]:
    path = lock_path(output)
    if fcntl is None:  # pragma: no cover
        yield
        return
    fh = path.open("w")
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BatchError(
                f"{output}: another `embargo batch` is writing this output right now"
            ) from None
        yield
    finally:
        fh.close()
        path.unlink(missing_ok=True)


def run_batch(
    input: Path,
    output: Path,
    mapping: ColumnMapping,
    *,
    screener_factory: Callable[[], Screener],
    engine: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    threshold: float | None = None,
    limit: int = DEFAULT_LIMIT,
    chunk_size: int | None = None,
    progress: ProgressCallback | None = None,
    resume: bool = True,
) -> BatchSummary:
    """Screen every row of ``input`` and write the results to ``output`` (format by extension).

    ``screener_factory`` is called once, after the input's columns have been checked; the
    local engine forks its ``workers`` (default: every usable core) from this process, the
    Dask engine ships the screener to the cluster at ``scheduler`` (default: a local
    cluster). ``progress(rows_done, rows_expected)`` is called as chunks complete. Raises
    ``BatchError`` subclasses: ``InputFileError``, ``ResumeError``, ``BatchInterrupted``.
    """
    try:
        return _run_batch(
            Path(input),
            Path(output),
            mapping,
            screener_factory=screener_factory,
            engine=engine,
            workers=workers,
            scheduler=scheduler,
            threshold=threshold,
            limit=limit,
            chunk_size=chunk_size,
            progress=progress,
            resume=resume,
        )
    except KeyboardInterrupt:  # before screening started (loading lists, starting workers)
        raise BatchInterrupted(
            "interrupted while starting, before any row was screened; run the same command "
            "again to start (or continue an earlier interrupted run)"
        ) from None


def _run_batch(
    input: Path,
    output: Path,
    mapping: ColumnMapping,
    *,
    screener_factory: Callable[[], Screener],
    engine: str,
    workers: int | None,
    scheduler: str | None,
    threshold: float | None,
    limit: int,
    chunk_size: int | None,
    progress: ProgressCallback | None,
    resume: bool,
) -> BatchSummary:
    started = time.perf_counter()
    if engine not in ("local", "dask"):
        raise BatchError(f"unknown engine {engine!r}; use 'local' or 'dask'")
    if limit < 1:
        raise BatchError("limit: must be at least 1")
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise BatchError("threshold: must be between 0 and 1")
    if workers is not None and workers < 1:
        raise BatchError("workers: must be at least 1")
    in_fmt = detect_format(input)
    out_fmt = output_format(output)
    if output.resolve() == input.resolve():
        raise BatchError(f"{output}: the output would overwrite the input")
    if output.is_dir():
        raise BatchError(f"{output}: is a folder; give a file name such as results.csv")
    if not output.parent.is_dir():
        raise BatchError(f"{output.parent}: no such folder for the output")
    if engine == "dask":
        from embargo.batch.dask import require_dask

        require_dask()

    with _output_lock(output), _unfreeze_at_end():
        # Read the first rows now: a missing column or a wrongly-encoded file is reported
        # before the (possibly slow) screener start, and they serve as warm-up queries.
        head = read_rows(input, mapping, format=in_fmt)
        sample = [r.query for r in itertools.islice(head, 200) if r.query is not None][:20]
        close = getattr(head, "close", None)
        if close is not None:
            close()

        screener = _open_screener(screener_factory)
        effective = screener.algorithm.threshold if threshold is None else threshold
        summary = BatchSummary(
            input=str(input),
            output=str(output),
            input_format=in_fmt,
            output_format=out_fmt,
            engine=engine,
            workers=1,
            algorithm=screener.algorithm.name,
            threshold=effective,
            limit=limit,
            list_signature=list_signature(screener),
        )
        identity = {
            "input": input_fingerprint(input),
            "input_format": in_fmt,
            "output_format": out_fmt,
            "mapping": mapping.to_dict(),
            "algorithm": summary.algorithm,
            "threshold": effective,
            "limit": limit,
            "list_signature": summary.list_signature,
        }
        ck_path = checkpoint_path(output)
        target = output if appendable(out_fmt) else spool_path(output)
        writer_fmt = out_fmt if appendable(out_fmt) else "spool"
        offset = 0
        if resume and ck_path.exists():
            ck = _read_checkpoint(ck_path)
            if ck is None:
                summary.notes.append("the checkpoint was unreadable; started over")
            else:
                changed = [
                    _describe_change(k, ck.get(k), v) for k, v in identity.items() if ck.get(k) != v
                ]
                if changed:
                    raise ResumeError(
                        f"{output}: cannot resume the interrupted batch ({ck.get('rows_done', 0):,}"
                        f" rows done): {'; '.join(changed)}. Run with --no-resume to start over "
                        "(the partial output is replaced), or restore what changed"
                    )
                committed = int(ck.get("output_bytes", 0))
                if not target.exists() or target.stat().st_size < committed:
                    summary.notes.append(
                        f"{target} is missing or shorter than the checkpoint says; started over"
                    )
                else:
                    offset = committed
                    for key, value in ck.get("counts", {}).items():
                        if hasattr(summary, key):
                            setattr(summary, key, int(value))
                    summary.error_rows = [(int(r), str(e)) for r, e in ck.get("error_rows", [])]
                    summary.resumed_from = summary.rows_read
                    summary.notes.append(f"resumed after {summary.rows_read:,} rows")
        if offset == 0:
            summary.rows_read = 0
            summary.resumed_from = 0
            ck_path.unlink(missing_ok=True)
            spool_path(output).unlink(missing_ok=True)

        writer = RecordWriter(target, writer_fmt, offset)
        checkpoint = {
            "version": CHECKPOINT_VERSION,
            **identity,
            "output": str(output.resolve()),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }

        def snapshot() -> dict[str, Any]:
            return {
                "rows_done": summary.rows_read,
                "output_bytes": writer.size,
                "counts": summary.counts(),
                "error_rows": list(summary.error_rows),
            }

        # The last state in which the rows counted and the bytes written agree. Ctrl-C can
        # land anywhere, e.g. between writing a chunk and counting its rows: the checkpoint
        # is always written from this snapshot (taken, and replaced in one assignment, only
        # after a chunk is fully written and counted), never from the live counters.
        state = snapshot()

        def commit() -> None:
            writer.commit()  # bytes past state["output_bytes"] are cut off on resume
            _write_checkpoint(
                ck_path,
                {
                    **checkpoint,
                    **state,
                    "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
                },
            )

        if offset == 0:
            commit()  # a checkpoint from the very start: even the first chunk is resumable
        total = estimate_rows(input, in_fmt)
        try:
            eng = _make_engine(engine, screener, effective, limit, workers, scheduler, sample)
        except BaseException:
            writer.close()
            raise
        summary.workers = eng.workers
        if engine == "dask":
            # The workers have their own copies. (Forked workers share this process's pages;
            # freeing them here was measured to save nothing, as the workers keep them.)
            del screener
        size = chunk_size or (DEFAULT_CHUNK_SIZE if engine == "local" else 1000)
        rows = read_rows(input, mapping, format=in_fmt, start=summary.rows_read)
        pending: deque[Any] = deque()
        last_commit = time.monotonic()
        screen_start = time.perf_counter()
        completed = interrupted = False

        def drain() -> None:
            nonlocal last_commit, state
            results = eng.result(pending.popleft())
            writer.write([r for records in results for r in records])
            for records in results:
                _count(summary, records)
            state = snapshot()
            if time.monotonic() - last_commit >= COMMIT_INTERVAL_S:
                commit()
                last_commit = time.monotonic()
            if progress is not None:
                progress(summary.rows_read, total)

        try:
            if progress is not None:
                progress(summary.rows_read, total)
            for chunk in _chunks(rows, size, mapping.default_schema):
                while len(pending) >= eng.max_inflight:
                    drain()
                pending.append(eng.submit(chunk))
            while pending:
                drain()
            completed = True
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if not completed:
                with contextlib.suppress(Exception):
                    eng.close(cancel=True)
                # What was written and counted is kept: the next run continues after it.
                with contextlib.suppress(Exception):
                    commit()
                writer.close()
        if interrupted:
            raise BatchInterrupted(
                f"interrupted after {state['rows_done']:,} rows; the output so far is kept: run "
                "the same command again to continue (--no-resume starts over)"
            )
        eng.close()
        summary.screen_s = time.perf_counter() - screen_start
        commit()
        writer.close()
        if not appendable(out_fmt):
            write_final(spool_path(output), output, out_fmt)
            spool_path(output).unlink(missing_ok=True)
        ck_path.unlink(missing_ok=True)
    if total is not None and progress is not None:
        progress(summary.rows_read, summary.rows_read)
    summary.elapsed_s = time.perf_counter() - started
    return summary


def _open_screener(factory: Callable[[], Screener]) -> Screener:
    """Build the screener with the cyclic garbage collector paused, then freeze everything
    that exists into the collector's permanent generation.

    Loading the index creates millions of objects and no garbage cycles, so collections
    during the load only re-scan them (seconds of the start-up). Frozen, they are never
    scanned again: not by this process's collections during the run, and not by forked
    workers, whose collections would otherwise write to (and so copy) every shared page.
    ``run_batch`` unfreezes them when it ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        screener = factory()
    finally:
        if enabled:
            gc.enable()
    gc.freeze()
    return screener


def _count(summary: BatchSummary, records: list[Record]) -> None:
    summary.rows_read += 1
    summary.output_rows += len(records)
    status = records[0][STATUS]
    if status == "match":
        summary.screened += 1
        summary.matched += 1
        summary.matches += len(records)
    elif status == "no-match":
        summary.screened += 1
        summary.no_match += 1
    else:
        summary.errors += 1
        if len(summary.error_rows) < MAX_ERROR_SAMPLE:
            summary.error_rows.append((int(records[0][0]), str(records[0][5])))


def _make_engine(
    engine: str,
    screener: Screener,
    threshold: float,
    limit: int,
    workers: int | None,
    scheduler: str | None,
    sample: list[dict[str, Any]],
) -> Engine:
    if engine == "dask":
        from embargo.batch.dask import DaskEngine

        return DaskEngine(
            screener, threshold, limit, workers=workers, scheduler=scheduler, sample=sample
        )
    n = workers or usable_cores()
    _warm_up(screener, sample)
    if n == 1:
        return InlineEngine(screener, threshold, limit)
    return LocalEngine(screener, threshold, limit, n)


def _warm_up(screener: Screener, sample: Sequence[dict[str, Any]]) -> None:
    """Screen the file's first queries, so that what they need loads lazily (rigour's person
    name tagger takes seconds) is loaded once before the workers are forked, not in each."""
    for query in sample:
        with contextlib.suppress(EmbargoError):
            screener.screen(query, limit=1)


__all__ = [
    "COLUMNS",
    "BatchInterrupted",
    "BatchSummary",
    "ResumeError",
    "checkpoint_path",
    "run_batch",
]
