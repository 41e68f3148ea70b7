"""Shared fixtures: the real published list files beside the project, and store URLs."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from embargo.model import Entity
from embargo.screening import Screener
from embargo.settings import Settings
from embargo.store import Store

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(os.environ.get("EMBARGO_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` with the real list files; tests using it skip cleanly without it."""
    if not (SHARED / "official").is_dir():
        pytest.skip(f"real list files not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def official(shared_data: Path) -> Path:
    return shared_data / "official"


# -- stores: one behaviour suite, run on SQLite and on PostgreSQL -----------------------------

POSTGRES_ADMIN_URL = os.environ.get(
    "EMBARGO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A scratch PostgreSQL database for this test session (dropped at the end)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"embargo_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc.orig}")
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    yield url
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


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'embargo.db'}"
        return
    url: str = request.getfixturevalue("postgres_url")
    from sqlalchemy import create_engine

    from embargo.store.tables import metadata

    engine = create_engine(url)
    metadata.drop_all(engine)
    engine.dispose()
    yield url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store.open(store_url)
    yield s
    s.close()


@pytest.fixture
def settings(tmp_path: Path, store_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=store_url)


@pytest.fixture(scope="session")
def real_entities(official: Path) -> list[Entity]:
    """The SDN, consolidated, EU and UK OFSI lists as published (parsed once per session)."""
    from embargo.update import discover, parse_input

    entities: list[Entity] = []
    settings = Settings()
    for folder in ("ofac_sdn_xml", "ofac_enhanced_xml", "eu_fsf_xml_1_1", "uk_ofsi_conlist"):
        for inp in discover(official / folder)[0]:
            entities.extend(parse_input(inp, settings)[0])
    return entities


@pytest.fixture(scope="session")
def real_screener(real_entities: list[Entity]) -> Screener:
    from embargo.screening import Screener

    return Screener.from_entities(real_entities)
