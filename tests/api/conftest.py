"""API test fixtures: a real ``embargo serve`` process on 127.0.0.1 against a temporary SQLite
database loaded with the fixture lists, started once per session (it starts at the first API
test, so that its index build overlaps the in-process tests). Authentication is on, as by
default: the ``client`` sends an administrator's API key made with ``embargo users``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from embargo.settings import Settings
from embargo.store import Store
from embargo.update import load_path

# The fixture lists the server starts with (one file per source, so that the active version
# of each source is known). ``uk_ofsi`` is loaded later, by the refresh test.
SERVER_LISTS = (
    "ofac_xml/sdn.xml",
    "ofac_csv/cons",
    "eu_fsf/eu_fsf.xml",
    "un_sc/un_consolidated.xml",
    "uk_fcdo/UK-Sanctions-List.csv",
    "us_csl/consolidated.csv",
    "ftm/targets.nested.json",
)
LATER_LIST = "uk_ofsi/ConList.csv"
READY_TIMEOUT = 240.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def make_key(settings: Settings, name: str = "api-tests", role: str = "admin") -> str:
    """Create user ``name`` with ``role`` and an API key for it, with the ``embargo users``
    commands; the key."""
    db = ["--db", settings.db_url]
    env = {**os.environ, "EMBARGO_DATA_DIR": str(settings.data_dir)}
    for args in (
        ["users", "create", name, "--role", role],
        ["users", "keys", "create", name, "--label", "API tests", "--rate-limit", "100000"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "embargo.cli", *db, *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    key = done.stdout.strip()
    assert key.startswith("emb_"), done.stdout
    return key


def load_lists(settings: Settings, fixtures: Path, names: tuple[str, ...]) -> None:
    store = Store.open(settings.db_url)
    try:
        for name in names:
            report = load_path(store, fixtures / "sources" / name, settings)
            assert report.ok and report.outcomes, (name, report.to_dict())
    finally:
        store.close()


@dataclass
class Server:
    url: str
    settings: Settings
    process: subprocess.Popen[bytes]
    log: Path
    key: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"} if self.key else {}

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited ({self.process.returncode}):\n{self.log_text()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        pytest.fail(f"the server was not ready within {timeout:.0f} s:\n{self.log_text()}")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            # A worker still loading its index holds the interpreter lock and may not get
            # to the signal for a while: do not wait long for it.
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start_server(settings: Settings, log: Path, *extra: str) -> Server:
    port = free_port()
    env = {**os.environ, "EMBARGO_DATA_DIR": str(settings.data_dir)}
    env.pop("EMBARGO_DATABASE_URL", None)
    command = [
        sys.executable,
        "-m",
        "embargo.cli",
        "--db",
        settings.db_url,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *extra,
    ]
    with log.open("wb") as fh:
        process = subprocess.Popen(command, env=env, stdout=fh, stderr=subprocess.STDOUT)
    return Server(f"http://127.0.0.1:{port}", settings, process, log)


@pytest.fixture(scope="session")
def api_settings(tmp_path_factory: pytest.TempPathFactory, fixtures: Path) -> Settings:
    tmp = tmp_path_factory.mktemp("api")
    settings = Settings(data_dir=tmp / "data", database_url=f"sqlite:///{tmp / 'embargo.db'}")
    load_lists(settings, fixtures, SERVER_LISTS)
    return settings


@pytest.fixture(scope="session")
def _server_process(
    api_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    key = make_key(api_settings)
    server = start_server(api_settings, tmp_path_factory.mktemp("logs") / "server.log")
    server.key = key
    yield server
    server.stop()


@pytest.fixture(autouse=True, scope="session")
def _start_server_early(_server_process: Server) -> None:
    """Start the server process with the first API test (it is waited for only when needed)."""


@pytest.fixture(scope="session")
def server(_server_process: Server) -> Server:
    _server_process.wait_ready()
    return _server_process


@pytest.fixture(scope="session")
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60.0, headers=server.headers) as c:
        yield c
