"""Store behaviour, run on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from embargo.errors import NotFoundError
from embargo.model import Schema
from embargo.store import Store
from tests.builders import entity


def save(
    store: Store, entities, *, hash: str, date: str | None = "2024-05-07", source: str = "test_list"
):
    return store.save_version(
        source=source,
        format="test",
        publisher_date=date,
        content_hash=hash,
        origin="test",
        report={"skipped": [], "warnings": []},
        entities=entities,
    )


def test_first_version_becomes_active(store: Store) -> None:
    result = save(
        store, [entity("Ivan PETROV"), entity("ACME TRADING LLC", schema=Schema.COMPANY)], hash="h1"
    )
    assert result.created and result.activated
    (active,) = store.active_versions()
    assert active.id == result.version.id and active.entity_count == 2
    assert active.counts == {"Person": 1, "Company": 1}
    assert {e.caption for e in store.iter_active_entities()} == {"Ivan PETROV", "ACME TRADING LLC"}


def test_same_content_is_a_no_op(store: Store) -> None:
    first = save(store, [entity("Ivan PETROV")], hash="h1")
    again = save(store, [entity("Ivan PETROV")], hash="h1")
    assert not again.created and again.version.id == first.version.id
    assert len(store.versions("test_list")) == 1


def test_newer_version_supersedes_and_history_is_kept(store: Store) -> None:
    v1 = save(store, [entity("Ivan PETROV")], hash="h1", date="2024-01-01").version
    v2 = save(
        store, [entity("Ivan PETROV"), entity("Olga SMIRNOVA")], hash="h2", date="2024-02-01"
    ).version
    assert store.active_version("test_list").id == v2.id
    statuses = {v.id: v.status for v in store.versions("test_list")}
    assert statuses == {v1.id: "superseded", v2.id: "active"}
    assert [e.caption for e in store.iter_entities(v1.id)] == ["Ivan PETROV"]


def test_older_file_is_stored_but_not_activated(store: Store) -> None:
    v2 = save(store, [entity("Ivan PETROV")], hash="h2", date="2024-02-01").version
    old = save(store, [entity("Old NAME")], hash="h1", date="2023-01-01")
    assert old.created and not old.activated and "older" in old.message
    assert store.active_version("test_list").id == v2.id


def test_get_entity_prefers_active_and_finds_delisted(store: Store) -> None:
    save(store, [entity("Ivan PETROV", birth="1960")], hash="h1", date="2024-01-01")
    save(store, [entity("Ivan PETROV", birth="1961")], hash="h2", date="2024-02-01")
    assert store.get_entity("test_list-ivan-petrov").birth_dates[0].year == 1961
    save(store, [entity("Olga SMIRNOVA")], hash="h3", date="2024-03-01")
    assert not store.is_active("test_list-ivan-petrov")
    assert store.get_entity("test_list-ivan-petrov").birth_dates[0].year == 1961
    assert [v.publisher_date for v in store.entity_versions("test_list-ivan-petrov")] == [
        "2024-01-01",
        "2024-02-01",
    ]
    with pytest.raises(NotFoundError):
        store.get_entity("nobody")


def test_diff_reports_added_removed_changed_fields(store: Store) -> None:
    save(
        store,
        [entity("Ivan PETROV", birth="1960"), entity("Gone AWAY")],
        hash="h1",
        date="2024-01-01",
    )
    save(
        store,
        [entity("Ivan PETROV", "Ivan PETROFF", birth="1960"), entity("New COMER")],
        hash="h2",
        date="2024-02-01",
    )
    d = store.diff("test_list")
    assert [c for _, c in d.added] == ["New COMER"]
    assert [c for _, c in d.removed] == ["Gone AWAY"]
    (change,) = d.changed
    assert change.entity_id == "test_list-ivan-petrov"
    before, after = change.changes["names"]
    assert before == [] and [n["full"] for n in after] == ["Ivan PETROFF"]
    as_dict = d.to_dict()
    assert as_dict["changed"][0]["changes"]["names"]["added"][0]["full"] == "Ivan PETROFF"


def test_unchanged_entities_share_storage(store: Store) -> None:
    from sqlalchemy import func, select

    from embargo.store.tables import entity_blobs

    same = [entity(f"Person NUMBER{i}") for i in range(50)]
    save(store, same, hash="h1", date="2024-01-01")
    save(store, [*same, entity("One MORE")], hash="h2", date="2024-02-01")
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(entity_blobs)).scalar_one() == 51


def test_diff_of_unknown_source(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.diff("nothing")
