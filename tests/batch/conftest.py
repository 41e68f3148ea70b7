"""Fixtures for the batch tests: small real-format lists, a screener over them, and a
store (with its index already built) that ``embargo batch`` subprocesses can open quickly."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from embargo.model import Entity
from embargo.screening import Screener
from embargo.settings import Settings

SOURCES = Path(__file__).resolve().parent.parent / "fixtures" / "sources"
LIST_FOLDERS = ("ofac_xml", "eu_fsf", "un_sc", "uk_ofsi")
EMBARGO = [sys.executable, "-m", "embargo.cli"]


@pytest.fixture(scope="session")
def list_entities() -> list[Entity]:
    from embargo.update import discover, parse_input

    entities: list[Entity] = []
    for folder in LIST_FOLDERS:
        for inp in discover(SOURCES / folder)[0]:
            entities.extend(parse_input(inp, Settings())[0])
    return entities


@pytest.fixture(scope="session")
def screener(list_entities: list[Entity]) -> Screener:
    return Screener.from_entities(list_entities)


@pytest.fixture(scope="session")
def factory(screener: Screener) -> Callable[[], Screener]:
    return lambda: screener


@pytest.fixture(scope="session")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for ``embargo`` subprocesses: a SQLite store holding the fixture lists."""
    from embargo.update import default_store, load_path

    data = tmp_path_factory.mktemp("embargo-data")
    settings = Settings(data_dir=data, database_url=f"sqlite:///{data / 'embargo.db'}")
    store = default_store(settings)
    for folder in LIST_FOLDERS:
        assert load_path(store, SOURCES / folder, settings).ok
    store.close()
    Screener.open(settings=settings)  # builds and caches the index once for every subprocess
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMBARGO_")}
    env["EMBARGO_DATA_DIR"] = str(data)
    env["EMBARGO_DATABASE_URL"] = settings.db_url
    return env


@pytest.fixture(scope="session")
def run_cli(cli_env: dict[str, str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*EMBARGO, *args],
            env=cli_env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run
