"""Workflow fixtures: a small list, a customer book, and a ``Workflow`` on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from embargo.match.index import MatchIndex, signature_of
from embargo.model import Entity, IdType, Schema, entity_to_json
from embargo.model.measures import eu_listing, ofac_listing
from embargo.screening import Screener
from embargo.settings import Settings
from embargo.store import SaveResult, Store
from embargo.workflow import Workflow, WorkflowConfig
from tests.builders import entity

BOOK = """ref,name,dob,country,kind
C1,Ivan Petrov,1970-01-01,ru,Person
C2,Acme Trading LLC,,,Company
C3,John Smith,,gb,Person
C4,Maria Ivanova,,,Person
C5,,1980-01-01,,Person
C6,Olga Sidorova,not a date,,Person
C7,Sea Glory,,,Vessel
"""


def petrov(*aliases: str, birth: str | None = "1970-01-01", ids: Sequence[str] = ()) -> Entity:
    return entity(
        "Ivan PETROV",
        *aliases,
        id="petrov",
        source="test_list",
        birth=birth,
        countries=("ru",),
        ids=tuple((IdType.PASSPORT, i) for i in ids),
    )


def acme(*aliases: str) -> Entity:
    return entity(
        "ACME TRADING LLC", *aliases, schema=Schema.COMPANY, id="acme", source="test_list"
    )


def ivanova() -> Entity:
    return entity(
        "Maria IVANOVA", id="ivanova", source="eu_fsf", listing=eu_listing("eu_fsf", "UKR")
    )


def sea_glory() -> Entity:
    return entity(
        "SEA GLORY",
        schema=Schema.VESSEL,
        id="sea-glory",
        source="us_ofac_sdn",
        ids=((IdType.IMO, "9187629"),),
        listing=ofac_listing("us_ofac_sdn", ["IRAN"], sdn=True),
    )


def save_list(
    store: Store,
    entities: Sequence[Entity],
    *,
    source: str = "test_list",
    hash: str | None = None,
    date: str = "2024-05-07",
) -> SaveResult:
    data = date.encode() + b"".join(entity_to_json(e) for e in entities)
    content = hash or hashlib.sha256(data).hexdigest()
    return store.save_version(
        source=source,
        format="test",
        publisher_date=date,
        content_hash=content,
        origin="test",
        report={"skipped": [], "warnings": []},
        entities=list(entities),
    )


def load_lists(store: Store) -> None:
    save_list(store, [petrov(), acme()], date="2024-05-01")
    save_list(store, [ivanova()], source="eu_fsf")
    save_list(store, [sea_glory()], source="us_ofac_sdn")


MakeWorkflow = Callable[..., Workflow]


@pytest.fixture
def make_wf(store: Store, settings: Settings) -> Iterator[MakeWorkflow]:
    """A workflow over the test store with the lists loaded; config as keyword arguments."""
    made: list[Workflow] = []
    load_lists(store)

    def screener() -> Screener:
        # Over the test's own store (Screener.open would open a second engine: slower).
        versions = store.active_versions()
        signature = signature_of((v.source, v.id, v.content_hash) for v in versions)
        index = MatchIndex.build(store.iter_active_entities(), signature=signature)
        return Screener(index, store=store, settings=settings)

    def make(**config: object) -> Workflow:
        wf = Workflow(
            store,
            screener,
            settings,
            config=WorkflowConfig(**config),  # type: ignore[arg-type]
        )
        made.append(wf)
        return wf

    yield make
    for wf in made:
        wf.close()


@pytest.fixture
def wf(make_wf: MakeWorkflow) -> Workflow:
    """Four-eyes on (true matches need a second reviewer), no high-risk lists."""
    return make_wf()


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "book.csv"
    path.write_text(BOOK, encoding="utf-8")
    return path
