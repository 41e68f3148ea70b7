"""Crash safety with real SIGKILLs: a list update, a batch and a monitoring run killed at random
points leave the store consistent, and running the command again finishes the job.

- ``embargo update --from`` of a 10,000-entity list, killed 20 times on SQLite and 20 times on
  PostgreSQL (the two run side by side), half of the kills while the file is parsed and half
  inside the store's transaction. After each kill: the previous version is still active, no
  version is half-applied (every ``list_versions`` row has exactly ``entity_count`` rows in
  ``version_entities``, every referenced blob exists, active versions agree with their
  status), the audit chain verifies; the next attempt gets through to the store; a final run
  loads the file cleanly and ``embargo audit verify`` passes.
- ``embargo batch``, its main process SIGKILLed at points observed in its checkpoint (before
  the checkpoint exists, at row 0, then at random row counts spread over the input), each
  rerun resuming from the checkpoint: the output is byte-identical to an uninterrupted run's.
- ``embargo monitor --no-update`` killed mid-way (while screening, while writing alerts) and
  run again at once: the same alerts as an uninterrupted run, none lost, none twice; every
  alert emitted as a JSON line and POSTed to the webhook (the killed run's by the rerun); the
  killed run closed as "aborted", a live one still refusing a second run.

The commands run as subprocesses through ``tests.hardening.crash_runner``, which is the
``embargo`` command with one-line announcements of the phases the kills aim at.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text

from embargo.store import Store
from embargo.store.tables import active_versions, entity_blobs, list_versions, version_entities
from tests.conftest import POSTGRES_ADMIN_URL

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
RUNNER = [sys.executable, "-m", "tests.hardening.crash_runner"]
SOURCE = "us_ofac_sdn"
ENTRIES = 10_000
KILLS = 20


# -- running the command line ------------------------------------------------------------------


class Command:
    """An ``embargo`` subprocess whose phase announcements are read as they come."""

    def __init__(self, args: list[str], env: dict[str, str], *, stdout: Any = None) -> None:
        self.proc = subprocess.Popen(
            [*RUNNER, *args],
            cwd=REPO,
            env=env,
            stdout=stdout if stdout is not None else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.phases: dict[str, float] = {}
        self.stderr: list[str] = []
        self._seen = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._seen:
                if line.startswith("PHASE "):
                    _, name, _at = line.split()
                    self.phases.setdefault(name, time.monotonic())
                else:
                    self.stderr.append(line)
                self._seen.notify_all()
        with self._seen:
            self._seen.notify_all()

    def wait_phase(self, name: str, timeout: float = 60) -> bool:
        """True once the command announced ``name``; False if it ended first."""
        deadline = time.monotonic() + timeout
        with self._seen:
            while name not in self.phases:
                if self.proc.poll() is not None and not self._reader.is_alive():
                    return False
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {name!r} phase after {timeout} s")
                self._seen.wait(min(left, 0.05))
        return True

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._reader.join(timeout=10)

    def finish(self, timeout: float = 300) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return code


def cli_env(data: Path, db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMBARGO_")}
    env["EMBARGO_DATA_DIR"] = str(data)
    env["EMBARGO_DATABASE_URL"] = db_url
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(REPO / "src"), env.get("PYTHONPATH", "")])
    return env


def run(
    args: list[str], env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*RUNNER, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )


# -- a large list file ---------------------------------------------------------------------------

_SYL = ["ka", "to", "mi", "ra", "sen", "lo", "vik", "dar", "bel", "ton", "gri", "mun", "es"]
_NS = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML"


def ofac_xml(n: int, marker: str, date: str = "05/07/2024") -> bytes:
    """An SDN.XML of ``n`` made-up people; ``marker`` makes each file's content distinct."""
    out = [
        f'<?xml version="1.0" standalone="yes"?>\n<sdnList xmlns="{_NS}">\n'
        f"<publshInformation><Publish_Date>{date}</Publish_Date>"
        f"<Record_Count>{n}</Record_Count></publshInformation>\n"
    ]
    for i in range(n):
        first = (_SYL[i % 13] + _SYL[(i // 13) % 13] + _SYL[(i // 169) % 13]).title()
        last = (_SYL[(i // 2197) % 13] + _SYL[(i * 7) % 13] + _SYL[(i * 3) % 13]).upper()
        if i == 0:
            last += f" {marker}"
        out.append(
            f"<sdnEntry><uid>{100000 + i}</uid><firstName>{first}</firstName>"
            f"<lastName>{last} {i}</lastName><sdnType>Individual</sdnType>"
            "<programList><program>SDGT</program></programList>"
            f"<akaList><aka><uid>{900000 + i}</uid><type>a.k.a.</type><category>strong</category>"
            f"<lastName>{last}</lastName><firstName>{first} {i % 97}</firstName></aka></akaList>"
            f"<dateOfBirthList><dateOfBirthItem><uid>{1900000 + i}</uid>"
            f"<dateOfBirth>{1940 + i % 60}</dateOfBirth><mainEntry>true</mainEntry>"
            "</dateOfBirthItem></dateOfBirthList></sdnEntry>\n"
        )
    out.append("</sdnList>\n")
    return "".join(out).encode()


# -- checking the store ------------------------------------------------------------------------


@dataclass
class StoreState:
    versions: dict[int, tuple[str, str, int]]  # id -> (content hash, status, entity count)
    active: dict[str, int]  # source -> version id
    half_applied: list[str] = field(default_factory=list)  # what is wrong, one line each
    audit_ok: bool = True
    audit_problems: list[str] = field(default_factory=list)


def inspect(url: str) -> StoreState:
    """Every list version checked against its rows and blobs, and the audit chain verified."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    list_versions.c.id,
                    list_versions.c.source,
                    list_versions.c.content_hash,
                    list_versions.c.status,
                    list_versions.c.entity_count,
                )
            ).all()
            counts = dict(
                conn.execute(
                    select(version_entities.c.version_id, func.count()).group_by(
                        version_entities.c.version_id
                    )
                ).all()
            )
            missing = dict(
                conn.execute(
                    select(version_entities.c.version_id, func.count())
                    .select_from(
                        version_entities.outerjoin(
                            entity_blobs, entity_blobs.c.hash == version_entities.c.hash
                        )
                    )
                    .where(entity_blobs.c.hash.is_(None))
                    .group_by(version_entities.c.version_id)
                ).all()
            )
            active = {r.source: r.version_id for r in conn.execute(select(active_versions))}
    finally:
        engine.dispose()
    state = StoreState({r.id: (r.content_hash, r.status, r.entity_count) for r in rows}, active)
    for r in rows:
        if counts.get(r.id, 0) != r.entity_count:
            state.half_applied.append(
                f"version {r.id}: {counts.get(r.id, 0)} entity rows, entity_count {r.entity_count}"
            )
        if missing.get(r.id):
            state.half_applied.append(f"version {r.id}: {missing[r.id]} blob(s) missing")
        if (r.status == "active") != (active.get(r.source) == r.id):
            state.half_applied.append(f"version {r.id}: status {r.status} disagrees")
    for source, vid in active.items():
        if vid not in state.versions:
            state.half_applied.append(f"{source}: active version {vid} does not exist")
    for vid in counts.keys() - state.versions.keys():
        state.half_applied.append(f"entity rows for version {vid}, which does not exist")
    store = Store.open(url)
    try:
        result = store.verify_audit()
    finally:
        store.close()
    state.audit_ok, state.audit_problems = result.ok, list(result.problems)
    return state


# -- databases ---------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    from sqlalchemy.exc import OperationalError

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"embargo_crash_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc.orig}")
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


# -- 1. list update ------------------------------------------------------------------------------


@dataclass
class UpdateKills:
    backend: str
    kills_in_parse: int = 0
    kills_in_store: int = 0
    finished_before_kill: int = 0
    half_applied: int = 0
    problems: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def update_kill_loop(backend: str, url: str, folder: Path, rng: random.Random) -> UpdateKills:
    """Load a calibration file, then kill ``KILLS`` updates of new files; check after each."""
    out = UpdateKills(backend)
    env = cli_env(folder / "data", url)
    base = folder / "lists"
    base.mkdir(parents=True)

    def write(k: int) -> Path:
        path = base / f"sdn-{k}" / "SDN.XML"
        path.parent.mkdir()
        path.write_bytes(ofac_xml(ENTRIES, f"FILE{k}"))
        return path

    # The version that must survive: loaded in full, timing the phases the kills aim at.
    first = Command(["update", "--from", str(write(0)), "--json"], env)
    assert first.finish() == 0, "".join(first.stderr)
    out.timings = {
        "parse_s": first.phases["store"] - first.phases["parse"],
        "store_s": first.phases["stored"] - first.phases["store"],
    }
    state = inspect(url)
    previous = state.active[SOURCE]
    assert not state.half_applied and state.audit_ok

    for k in range(1, KILLS + 1):
        aim = "parse" if k % 2 else "store"
        cmd = Command(["update", "--from", str(write(k)), "--json"], env)
        if not cmd.wait_phase(aim):
            out.problems.append(f"kill {k}: the update ended before its {aim} phase")
            cmd.finish()
            continue
        # Into the transaction's first half or so: the commit itself can be quick.
        share = 0.7 if aim == "parse" else 0.6
        time.sleep(rng.uniform(0, share * out.timings[f"{aim}_s"]))
        cmd.kill()
        if "stored" in cmd.phases:
            out.finished_before_kill += 1
        elif "store" in cmd.phases:
            out.kills_in_store += 1
        else:
            out.kills_in_parse += 1
        state = inspect(url)
        out.half_applied += len(state.half_applied)
        out.problems += [f"kill {k} ({aim}): {p}" for p in state.half_applied]
        if not state.audit_ok:
            out.problems.append(f"kill {k}: audit chain broken: {state.audit_problems}")
        if "stored" in cmd.phases:
            previous = state.active[SOURCE]  # committed before the kill: it is the new one
        elif state.active.get(SOURCE) != previous:
            out.problems.append(
                f"kill {k} ({aim}): active version {state.active.get(SOURCE)}, not {previous}"
            )
        killed_hash = _content_hash(base / f"sdn-{k}" / "SDN.XML")
        if "stored" not in cmd.phases and any(
            h == killed_hash for h, _s, _n in state.versions.values()
        ):
            out.problems.append(f"kill {k}: a version of the killed file exists")

    # Run again, to the end: the last killed file loads cleanly.
    last = base / f"sdn-{KILLS}" / "SDN.XML"
    result = run(["update", "--from", str(last), "--json"], env)
    assert result.returncode == 0, result.stderr
    (outcome,) = json.loads(result.stdout)["outcomes"]
    assert outcome["status"] in ("loaded", "unchanged"), outcome
    assert outcome["entities"] == ENTRIES or outcome["status"] == "unchanged"
    state = inspect(url)
    assert not state.half_applied, state.half_applied
    assert state.versions[state.active[SOURCE]][0] == _content_hash(last)
    verify = run(["audit", "verify", "--json"], env)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert json.loads(verify.stdout)["ok"] is True
    return out


def _content_hash(path: Path) -> str:
    from embargo.sources.base import content_hash

    return content_hash([path])


def test_update_survives_sigkill(tmp_path: Path) -> None:
    """20 kills on SQLite and 20 on PostgreSQL, side by side: 0 half-applied versions."""
    rng = random.Random(20240601)
    results: dict[str, UpdateKills] = {}
    errors: list[BaseException] = []

    def loop(backend: str, url: str) -> None:
        try:
            results[backend] = update_kill_loop(
                backend, url, tmp_path / backend, random.Random(rng.random())
            )
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    with postgres_database() as pg_url:
        threads = [
            threading.Thread(target=loop, args=("sqlite", f"sqlite:///{tmp_path / 's.db'}")),
            threading.Thread(target=loop, args=("postgresql", pg_url)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    if errors:
        raise errors[0]
    for backend, r in results.items():
        print(
            f"{backend}: {KILLS} kills — {r.kills_in_parse} while parsing, {r.kills_in_store} "
            f"inside the store transaction, {r.finished_before_kill} after the commit; "
            f"{r.half_applied} half-applied versions; phases {r.timings}"
        )
        assert r.half_applied == 0, r.problems
        assert not r.problems, r.problems
        assert r.kills_in_parse + r.kills_in_store + r.finished_before_kill == KILLS
        # The kills did land where they were aimed (the timing is the first run's, so on a
        # loaded machine some land a little early or late): many inside the transaction.
        assert r.kills_in_parse >= KILLS // 4, r
        assert r.kills_in_store >= KILLS // 4, r


# -- 2. batch ------------------------------------------------------------------------------------

BATCH_LISTS = ("ofac_xml", "eu_fsf", "un_sc", "uk_ofsi")
FIXTURES = REPO / "tests" / "fixtures" / "sources"


def batch_input(path: Path, n: int) -> Path:
    listed = ["Rosoboronexport", "Vladimir Putin", "Sea Glory", "Myohyang Shipping Co"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["ref", "name", "schema"])
        for i in range(n):
            a = _SYL[i % 13] + _SYL[(i // 13) % 13] + _SYL[(i // 169) % 13]
            b = _SYL[(i // 2197) % 13] + _SYL[(i * 7) % 13]
            name = listed[i % 4] if i % 40 == 0 else f"{a.title()} {b.title()} Trading"
            w.writerow([f"R{i}", name, "Person" if i % 40 == 0 and i % 80 else "Company"])
    return path


def _rows_done(checkpoint: Path) -> int | None:
    """Rows the batch's checkpoint says are done; None while there is no checkpoint."""
    try:
        return int(json.loads(checkpoint.read_text(encoding="utf-8"))["rows_done"])
    except (FileNotFoundError, ValueError, KeyError):
        return None


class CheckpointWatch:
    """Polls a batch's checkpoint while its command runs: every value of ``rows_done`` seen,
    in order, so that a run that started over (its checkpoint back at 0) would show."""

    def __init__(self, checkpoint: Path) -> None:
        self.checkpoint = checkpoint
        self.seen: list[int] = []

    def poll(self) -> int | None:
        done = _rows_done(self.checkpoint)
        if done is not None and (not self.seen or self.seen[-1] != done):
            self.seen.append(done)
        return done

    def wait(self, cmd: Command, until: Any, timeout: float = 240) -> bool:
        """Poll until ``until(rows_done)`` holds (True) or the command ends (False)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ended = cmd.proc.poll() is not None
            if until(self.poll()):
                return True
            if ended:
                return False
            time.sleep(0.01)
        raise TimeoutError(f"checkpoint {self.checkpoint}: no progress in {timeout} s")


BATCH_ROWS = 6000
# Kills after rows are done aim at these fractions of the input (each, a random point in a
# band), whatever the machine's speed: these runs write their checkpoint every 0.1 s.
BATCH_AIMS = [(0.05, 0.25), (0.3, 0.5), (0.55, 0.7)]
BATCH_COMMIT_INTERVAL_S = "0.1"


def _wait_unlocked(output: Path, timeout: float = 60) -> None:
    """Wait until no process holds the output's lock: a killed batch's forked workers end
    with it (PR_SET_PDEATHSIG), but not at the same instant."""
    import fcntl

    path = output.with_name(output.name + ".embargo-lock")
    deadline = time.monotonic() + timeout
    while path.exists():
        with contextlib.suppress(FileNotFoundError), path.open("a") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                pass
            else:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} still locked after {timeout} s")
        time.sleep(0.02)


@pytest.mark.timeout(1200)  # seven runs, each loading the index: minutes on a loaded machine
def test_batch_resumes_to_identical_output(tmp_path: Path) -> None:
    """The main process SIGKILLed at observed points — before its first checkpoint, at the
    checkpoint of row 0, then at random row counts spread over the input — each rerun
    resuming where the checkpoint says; the finished output is byte-identical to an
    uninterrupted run's."""
    from embargo.screening import Screener
    from embargo.settings import Settings
    from embargo.update import default_store, load_path

    data = tmp_path / "data"
    url = f"sqlite:///{data / 'embargo.db'}"
    settings = Settings(data_dir=data, database_url=url)
    store = default_store(settings)
    for folder in BATCH_LISTS:
        assert load_path(store, FIXTURES / folder, settings).ok
    store.close()
    Screener.open(settings=settings)  # the index, built and cached once for every run
    env = cli_env(data, url)
    env["EMBARGO_CRASH_COMMIT_INTERVAL_S"] = BATCH_COMMIT_INTERVAL_S
    inp = batch_input(tmp_path / "customers.csv", BATCH_ROWS)
    args = ["batch", str(inp), "--ref-column", "ref", "--schema-column", "schema"]
    args += ["--workers", "2", "--chunk-size", "25"]

    reference = tmp_path / "reference.csv"
    whole = run([*args, "--out", str(reference), "--json"], env)
    assert whole.returncode in (0, 1), whole.stderr
    assert json.loads(whole.stdout)["rows_read"] == BATCH_ROWS

    out = tmp_path / "resumed.csv"
    watch = CheckpointWatch(out.with_name(out.name + ".embargo-checkpoint.json"))
    rng = random.Random(7)
    kills: list[tuple[str, int | None]] = []  # (where the kill was aimed, rows done after it)

    def kill(cmd: Command, aim: str) -> None:
        cmd.kill()
        _wait_unlocked(out)
        kills.append((aim, watch.poll()))

    # 1. Before the command has written its checkpoint: nothing to resume, the rerun starts.
    cmd = Command([*args, "--out", str(out)], env)
    time.sleep(rng.uniform(0, 0.2))
    assert watch.poll() is None and cmd.proc.poll() is None
    kill(cmd, "before the checkpoint")

    # 2. At its checkpoint of row 0 (written before the first row is screened).
    cmd = Command([*args, "--out", str(out)], env)
    assert watch.wait(cmd, lambda done: done is not None), "".join(cmd.stderr)
    time.sleep(rng.uniform(0, 0.05))
    kill(cmd, "at the checkpoint of row 0")

    # 3. Run after run, at a random row count in each band, and a random moment after it.
    for low, high in BATCH_AIMS:
        start = watch.poll() or 0
        # Rows this run has to do itself (a band the runs before went past: the next row).
        target = max(int(rng.uniform(low, high) * BATCH_ROWS), start + 1)
        cmd = Command([*args, "--out", str(out)], env)
        reached = watch.wait(cmd, lambda done, t=target: done is not None and done >= t)
        assert reached, f"the run ended before row {target}: {''.join(cmd.stderr)}"
        time.sleep(rng.uniform(0, 0.05))
        kill(cmd, f"row {target} (from {start})")

    rows_before_final = watch.poll()
    final = run([*args, "--out", str(out), "--json"], env)
    assert final.returncode in (0, 1), final.stderr
    summary = json.loads(final.stdout)
    print(
        f"batch: {BATCH_ROWS} rows; kills (aim, rows done after it): {kills}; the last run "
        f"resumed from {summary['resumed_from']}; {len(watch.seen)} checkpoints seen"
    )
    # The kills landed where they were aimed: two before any row, the others after rows.
    assert kills[0][1] is None and kills[1][1] == 0, kills
    assert all(done is not None and done > 0 for _aim, done in kills[2:]), kills
    # Each of those runs got further than the one before it, and was killed before the end.
    after = [done or 0 for _aim, done in kills[1:]]
    assert after == sorted(set(after)) and after[-1] < BATCH_ROWS, kills
    # Each rerun resumed: the checkpoint never went back (a run starting over rewrites it at
    # row 0 first), and the last run continued from it.
    assert watch.seen == sorted(watch.seen), watch.seen
    assert summary["resumed_from"] == rows_before_final, summary
    assert summary["rows_read"] == BATCH_ROWS
    assert out.read_bytes() == reference.read_bytes()
    assert not watch.checkpoint.exists()


# -- 3. monitoring -------------------------------------------------------------------------------

N_CUSTOMERS = 2000


def _monitor_setup(url: str, data: Path, tmp: Path) -> None:
    """Customers screened against list version 1, then version 2 with new and changed
    entities that many customers now match. Companies: no person-name data to load, so the
    runs are quick and the kills land in the middle of them."""
    from embargo.batch.io import ColumnMapping
    from embargo.match.index import MatchIndex, signature_of
    from embargo.model import Schema
    from embargo.screening import Screener
    from embargo.settings import Settings
    from embargo.workflow import Workflow, WorkflowConfig
    from tests.builders import entity
    from tests.workflow.conftest import save_list

    settings = Settings(data_dir=data, database_url=url)
    store = Store.open(url)

    def screener() -> Screener:
        versions = store.active_versions()
        signature = signature_of((v.source, v.id, v.content_hash) for v in versions)
        index = MatchIndex.build(store.iter_active_entities(), signature=signature)
        return Screener(index, store=store, settings=settings)

    wf = Workflow(store, screener, settings, config=WorkflowConfig())
    listed = [_company(j) for j in range(400)]
    book = tmp / "book.csv"
    with book.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["ref", "name", "kind"])
        for i in range(N_CUSTOMERS):
            # One customer in five is a company version 2 lists (or a close spelling of it).
            name = listed[i // 5 % 400] if i % 5 == 0 else _company(1000 + i)
            w.writerow([f"C{i}", name, "Company"])
    mapping = ColumnMapping(ref="ref", name="name", schema="kind")
    summary = wf.import_customers(book, mapping, "loader", screen=False)
    assert summary.created == N_CUSTOMERS and not summary.errors

    def listing(j: int, *aliases: str) -> Any:
        return entity(listed[j].upper(), *aliases, id=f"c{j}", schema=Schema.COMPANY)

    save_list(store, [listing(j) for j in range(100)], date="2024-05-01")
    wf.screen_customers(actor="loader")
    v2 = [listing(j) for j in range(400)]  # 300 new entities
    v2[1] = listing(1, "ALIAS ONE TRADING")  # a changed one
    save_list(store, v2, date="2024-06-01")
    wf.close()
    store.close()


def _company(i: int) -> str:
    a = _SYL[i % 13] + _SYL[(i // 13) % 13] + _SYL[(i // 169) % 13]
    b = _SYL[(i // 2197) % 13] + _SYL[(i * 5) % 13] + _SYL[(i * 11) % 13]
    return f"{a.title()}{b} {_KINDS[i % len(_KINDS)]}"


_KINDS = ["Trading LLC", "Shipping Co", "Holdings Ltd", "Logistics GmbH", "Petroleum FZE"]


def _copy_sqlite(src: Path, dest: Path) -> None:
    with sqlite3.connect(src) as a, sqlite3.connect(dest) as b:
        a.backup(b)


def _alerts(url: str) -> list[tuple[str, str, str]]:
    """Every alert as (customer ref, entity id, status), sorted; duplicates kept."""
    from embargo.workflow.tables import alerts, customers

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(customers.c.ref, alerts.c.entity_id, alerts.c.status).join(
                customers, customers.c.id == alerts.c.customer_id
            )
        ).all()
    engine.dispose()
    return sorted((r.ref, r.entity_id, r.status) for r in rows)


def _events(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    lines = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    return sorted((e["customer_ref"], e["entity_id"]) for e in lines if e["type"] == "alert")


def _monitor(env: dict[str, str], events: Path, *extra: str) -> list[str]:
    return [
        "monitor",
        "--no-update",
        "--out",
        str(events),
        "--as",
        "monitor",
        "--workers",
        "1",
        *extra,
    ]


def _runs(url: str) -> list[tuple[int, str]]:
    from embargo.workflow.monitor_tables import monitor_runs

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(monitor_runs.c.id, monitor_runs.c.status).order_by(monitor_runs.c.id)
        ).all()
    engine.dispose()
    return [(r.id, r.status) for r in rows]


@pytest.fixture(scope="module")
def monitor_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("monitor")
    db = folder / "prepared.db"
    _monitor_setup(f"sqlite:///{db}", folder / "data", folder)
    return db


def _fresh(monitor_db: Path, tmp: Path, name: str) -> tuple[str, dict[str, str], Path]:
    folder = tmp / name
    folder.mkdir()
    db = folder / "embargo.db"
    _copy_sqlite(monitor_db, db)
    url = f"sqlite:///{db}"
    return url, cli_env(folder / "data", url), folder / "events.jsonl"


def test_monitor_killed_and_rerun_loses_and_repeats_no_alert(
    monitor_db: Path, tmp_path: Path
) -> None:
    """Killed while screening in reverse and twice while the alerts are written, each run
    again at once: the same alerts as an uninterrupted run, none twice, and every one of
    them emitted as a JSON line (those the killed run recorded by the rerun)."""
    # The uninterrupted run, on a copy of the prepared store.
    url, env, events = _fresh(monitor_db, tmp_path, "whole")
    before = _alerts(url)
    whole = Command(_monitor(env, events), env)
    assert whole.finish() == 1, "".join(whole.stderr)
    expected = _alerts(url)
    expected_events = _events(events)
    new = sorted({(r, e) for r, e, _s in expected} - {(r, e) for r, e, _s in before})
    assert len(new) >= 100, "too few new alerts for the test to mean much"
    assert expected_events == new
    record_s = whole.phases["recorded"] - whole.phases["record"]
    reverse_s = whole.phases["reversed"] - whole.phases["reverse"]

    rng = random.Random(11)
    aims = [("reverse", reverse_s), ("record", record_s), ("record", record_s)]
    outcomes = []
    for attempt, (aim, span) in enumerate(aims):
        url, env, events = _fresh(monitor_db, tmp_path, f"killed-{attempt}")
        cmd = Command(_monitor(env, events), env)
        assert cmd.wait_phase(aim), "".join(cmd.stderr)
        time.sleep(rng.uniform(0.1, 0.8) * span)
        cmd.kill()
        partial = len(_alerts(url)) - len(before)
        emitted = len(_events(events))
        rerun = run(_monitor(env, events), env)
        assert rerun.returncode in (0, 1), rerun.stderr
        got = _alerts(url)
        final_events = _events(events)
        outcomes.append(
            {"aim": aim, "written": partial, "emitted": emitted, "events": len(final_events)}
        )
        assert len(got) == len(set(got)), "an alert was recorded twice"
        assert got == expected, f"attempt {attempt}: alerts differ from the uninterrupted run"
        # At least once: every alert emitted; twice only if the killed run had emitted it.
        assert sorted(set(final_events)) == expected_events, f"attempt {attempt}"
        assert len(final_events) - len(expected_events) <= emitted, f"attempt {attempt}"
        statuses = [status for _id, status in _runs(url)]
        assert statuses[-2:] == ["aborted", "ok"] or statuses[-1:] == ["ok"], statuses
    print(f"monitor: {len(new)} new alerts; kills: {outcomes}")
    assert any(o["written"] > 0 for o in outcomes), "no kill came while alerts were written"


def test_monitor_events_of_a_killed_run_are_emitted_by_the_rerun(
    monitor_db: Path, tmp_path: Path
) -> None:
    """A run killed once its alerts are written (before it emitted or POSTed anything): the
    rerun emits them as JSON lines and POSTs them to the webhook, each once."""
    from tests.workflow.test_monitor import Hook

    hook = Hook()
    try:
        url, env, events = _fresh(monitor_db, tmp_path, "whole-events")
        whole = Command(_monitor(env, events, "--webhook", hook.url), env)
        assert whole.finish() == 1, "".join(whole.stderr)
        expected = _events(events)
        (payload,) = hook.received
        assert sorted((a["customer_ref"], a["entity_id"]) for a in payload["alerts"]) == expected
        hook.received.clear()

        url, env, events = _fresh(monitor_db, tmp_path, "killed-events")
        cmd = Command(_monitor(env, events, "--webhook", hook.url), env)
        assert cmd.wait_phase("recorded"), "".join(cmd.stderr)  # alerts written, not emitted
        cmd.kill()
        assert _events(events) == [] and hook.received == []
        rerun = run(_monitor(env, events, "--webhook", hook.url), env)
        assert rerun.returncode == 1, rerun.stderr
        assert _events(events) == expected
        (payload,) = hook.received
        posted = sorted((a["customer_ref"], a["entity_id"]) for a in payload["alerts"])
        assert posted == expected
        assert [status for _id, status in _runs(url)][-2:] == ["aborted", "ok"]
    finally:
        hook.close()


def test_monitor_rerun_right_after_a_kill(monitor_db: Path, tmp_path: Path) -> None:
    """A killed run does not block the next one: its row, left "running", is closed as
    "aborted" (audited) because its process is gone; a live run still blocks."""
    url, env, events = _fresh(monitor_db, tmp_path, "immediate")
    # Held in "reverse" until killed: a fast machine cannot finish it before the kill.
    live = Command(_monitor(env, events), {**env, "EMBARGO_CRASH_HOLD_AT": "reverse"})
    assert live.wait_phase("reverse"), "".join(live.stderr)
    busy = run(_monitor(env, events), env)  # while the first is alive: refused
    assert busy.returncode == 2 and "running since" in busy.stderr, busy.stderr
    live.kill()
    rerun = run(_monitor(env, events), env)
    assert rerun.returncode == 1, rerun.stderr
    assert "had died" in rerun.stderr
    runs = _runs(url)
    assert [status for _id, status in runs][-2:] == ["aborted", "ok"], runs
    store = Store.open(url)
    try:
        (aborted,) = store.audit_records(action="monitor.aborted")
        assert aborted.subject_id == str(runs[-2][0])
        assert "is gone" in aborted.details["reason"]
        assert store.verify_audit().ok
    finally:
        store.close()
