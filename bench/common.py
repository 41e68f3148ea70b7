"""Shared helpers for the performance benchmarks (``bench/load.py``, ``bench/speed.py``).

Measurements that must not be polluted by earlier work (peak memory, cold start-up) run in a
fresh interpreter: the benchmark re-runs itself as ``python -m bench.<name> --worker ...``
and reads the worker's JSON back. Nothing here imports ``embargo`` so that the parent
process stays small and the worker's import time is its own.
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results"
DEFAULT_DATA = REPO.parent / "shared" / "data" / "official"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

MB = 1024 * 1024


# -- memory ------------------------------------------------------------------------------


def _status_kb(field: str) -> int | None:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    found = re.search(rf"^{field}:\s+(\d+)\s+kB", text, re.MULTILINE)
    return int(found.group(1)) if found else None


def rss_mb() -> float:
    """Current resident set size of this process, in MiB."""
    kb = _status_kb("VmRSS")
    return round(kb / 1024, 1) if kb is not None else float("nan")


def peak_mb() -> float:
    """Resident set size high-water mark of this process, in MiB.

    VmHWM can be reset (see ``reset_peak``) to get the peak of one phase; ru_maxrss is the
    fallback where /proc is missing.
    """
    kb = _status_kb("VmHWM")
    if kb is None:
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return round(kb / 1024, 1)


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0), so the next ``peak_mb`` is per phase."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class PeakTracker:
    """The process-wide peak, kept across ``reset_peak`` calls used for per-phase peaks.

    Resetting VmHWM also lowers what getrusage reports, so the overall peak has to be kept
    here: ``phase()`` folds the finished phase's peak into ``overall`` before resetting.
    """

    def __init__(self) -> None:
        self.overall = peak_mb()
        self.resettable = reset_peak()

    def phase(self) -> float:
        """The peak since the previous call (or since creation), then start a new phase."""
        peak = peak_mb()
        self.overall = max(self.overall, peak)
        if self.resettable:
            reset_peak()
        return peak

    def total(self) -> float:
        self.overall = max(self.overall, peak_mb())
        return self.overall


class GcTimer:
    """CPU time spent in the cyclic garbage collector, per generation (via ``gc.callbacks``).

    Large heaps of small objects (analysed names, postings) make full collections slow, and
    cProfile does not show them; this does. CPU time of the thread, so that other processes
    on a busy machine do not inflate it.
    """

    def __init__(self) -> None:
        import gc

        self.seconds = [0.0, 0.0, 0.0]
        self.counts = [0, 0, 0]
        self._start = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.thread_time()
        else:
            gen = info.get("generation", 2)
            self.seconds[gen] += time.thread_time() - self._start
            self.counts[gen] += 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "gc_s": round(sum(self.seconds), 3),
            "gc_full_s": round(self.seconds[2], 3),
            "gc_collections": list(self.counts),
        }

    def since(self, before: dict[str, Any]) -> dict[str, Any]:
        now = self.snapshot()
        return {
            "gc_s": round(now["gc_s"] - before["gc_s"], 3),
            "gc_full_s": round(now["gc_full_s"] - before["gc_full_s"], 3),
            "gc_collections": [
                a - b for a, b in zip(now["gc_collections"], before["gc_collections"], strict=True)
            ],
        }


# -- machine -----------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _mem_total_mb() -> int | None:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return None
    found = re.search(r"^MemTotal:\s+(\d+)\s+kB", text, re.MULTILINE)
    return int(found.group(1)) // 1024 if found else None


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), *args], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    import sqlite3

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_mb": _mem_total_mb(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "python_impl": platform.python_implementation(),
        "sqlite": sqlite3.sqlite_version,
        "packages": {
            name: _version(name)
            for name in ("embargo", "rigour", "rapidfuzz", "lxml", "SQLAlchemy", "msgspec")
        },
        # A run from an exported tree (``git archive``) has no repository: it names its
        # commit in EMBARGO_BENCH_COMMIT.
        "git_commit": _git("rev-parse", "--short", "HEAD")
        or os.environ.get("EMBARGO_BENCH_COMMIT"),
        "git_dirty": bool(status) if status is not None else None,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        # Other work on this shared machine competes for the 2 cores; see also each phase's
        # cpu_s against its wall time.
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def busy_warning(info: dict[str, Any]) -> str | None:
    """A warning when other work competed for the cores during the run, else None."""
    cores = info.get("usable_cores") or 1
    loads = [info.get("load_average", [0])[0], (info.get("load_average_after") or [0])[0]]
    if max(loads) <= cores * 0.75:
        return None
    return (
        f"**Busy machine:** load average {loads[0]:.1f} before and {loads[1]:.1f} after the run "
        f"on {cores} cores; other processes took CPU time, so wall-clock figures are inflated. "
        "The CPU-time figures are the better estimate of what this code costs."
    )


def machine_line(info: dict[str, Any]) -> str:
    dirty = " (+ uncommitted changes)" if info.get("git_dirty") else ""
    return (
        f"{info['cpu']}, {info['usable_cores']} cores, {info['memory_mb']} MiB RAM; "
        f"Python {info['python']}, SQLite {info['sqlite']}, rigour "
        f"{info['packages'].get('rigour')}; commit {info['git_commit']}{dirty}; {info['date']}; "
        f"load average {' '.join(str(x) for x in info.get('load_average', []))}"
    )


# -- output ------------------------------------------------------------------------------


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], align: str = "") -> str:
    """A Markdown table; ``align`` has one letter per column (l/r), default right for numbers."""

    def cell(value: Any) -> str:
        if value is None:
            return "–"
        if isinstance(value, float):
            return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value).replace("|", "\\|")

    if not align:
        first = rows[0] if rows else ["" for _ in headers]
        align = "".join("r" if isinstance(v, int | float) else "l" for v in first)
    seps = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(seps) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(value: float, limit: float, *, higher_is_better: bool = False) -> str:
    ok = value >= limit if higher_is_better else value <= limit
    return "ok" if ok else "**over target**" if not higher_is_better else "**under target**"


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    tmp.replace(path)


def profile_summary(prof_path: Path, out_path: Path, top: int = 40) -> str:
    """A text summary of a cProfile dump: top functions by own time and by cumulative time."""
    import io
    import pstats

    buf = io.StringIO()
    stats = pstats.Stats(str(prof_path), stream=buf)
    stats.strip_dirs()
    buf.write("== by own time (tottime) ==\n")
    stats.sort_stats("tottime").print_stats(top)
    buf.write("\n== by cumulative time ==\n")
    stats.sort_stats("cumulative").print_stats(top)
    text = buf.getvalue()
    out_path.write_text(text)
    return text


# -- fresh-process workers ---------------------------------------------------------------


def run_worker(module: str, args: Sequence[str], *, env: dict[str, str] | None = None) -> Any:
    """Run ``python -m <module> --worker <args> --result FILE`` and return the JSON it wrote.

    The worker's stderr goes straight to ours, for progress lines and tracebacks.
    """
    with tempfile.TemporaryDirectory(prefix="embargo-bench-") as tmp:
        result = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", module, "--worker", *args, "--result", str(result)]
        started = time.perf_counter()
        proc = subprocess.run(cmd, cwd=REPO, env={**os.environ, **(env or {})}, check=False)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"benchmark worker failed (exit {proc.returncode}): {' '.join(cmd)}")
        data = json.loads(result.read_text())
    if isinstance(data, dict):
        data["process_wall_s"] = round(wall, 3)
    return data


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
