"""Customers: importing a book, versions and history, screening records (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from embargo.batch.io import ColumnMapping
from embargo.errors import ConfigError, NotFoundError, QueryError
from embargo.store import Store
from embargo.workflow import CustomerInput, Workflow
from tests.workflow.conftest import BOOK, MakeWorkflow, acme, save_list

MAPPING = ColumnMapping(ref="ref", name="name", birth_date="dob", country="country", schema="kind")


def test_import_book_creates_customers_reports_bad_rows_and_screens(
    wf: Workflow, book: Path, store: Store
) -> None:
    summary = wf.import_customers(book, MAPPING, actor="alice")
    assert (summary.rows, summary.created, summary.updated, summary.unchanged) == (7, 5, 0, 0)
    assert [(e.row, e.ref) for e in summary.errors] == [(6, "C5"), (7, "C6")]
    assert summary.errors[0].error == "row 6: empty name"
    assert "birth date 'not a date'" in summary.errors[1].error
    assert summary.changed_refs == ["C1", "C2", "C3", "C4", "C7"]
    assert summary.screening is not None
    assert summary.screening.screened == 5 and len(summary.screening.alerts) == 4

    c1 = wf.get_customer("C1")
    assert c1.version == 1 and c1.schema == "Person" and c1.caption == "Ivan Petrov"
    assert c1.data == {
        "schema": "Person",
        "properties": {"birthDate": ["1970-01-01"], "country": ["ru"], "name": ["Ivan Petrov"]},
    }
    assert c1.screened_version == 1 and not c1.needs_screening
    (v1,) = c1.history
    assert v1.actor == "alice" and v1.origin == "import book.csv row 2" and v1.changes == {}
    assert [c.ref for c in wf.list_customers()] == ["C1", "C2", "C3", "C4", "C7"]
    assert wf.count_customers() == 5
    with pytest.raises(NotFoundError, match="C5"):
        wf.get_customer("C5")

    # Every screening is recorded, a no-hit too, with the list versions it ran against.
    (no_hit,) = wf.screenings("C3")
    assert no_hit.hits == 0 and no_hit.alert_ids == [] and no_hit.trigger == "import"
    assert no_hit.query["properties"]["name"] == ["John Smith"]
    active = {v.source: v for v in store.active_versions()}
    assert {(v["source"], v["version_id"], v["content_hash"]) for v in no_hit.list_versions} == {
        (s, v.id, v.content_hash) for s, v in active.items()
    }
    assert no_hit.algorithm == "embargo-v1" and no_hit.threshold == pytest.approx(0.7)
    assert no_hit.scope == {"kind": "full"}

    actions = [r.action for r in store.audit_records()]
    assert actions.count("customer.create") == 5
    assert actions.count("screening") == 5
    assert actions.count("alert.create") == 4
    assert store.verify_audit().ok


def test_reimport_unchanged_is_a_no_op_and_changes_make_versions(
    wf: Workflow, book: Path, tmp_path: Path, store: Store
) -> None:
    wf.import_customers(book, MAPPING, actor="alice", screen=False)
    records = len(store.audit_records())
    again = wf.import_customers(book, MAPPING, actor="alice", screen=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert again.screening is None
    assert len(store.audit_records()) == records  # nothing changed, nothing written

    changed = tmp_path / "book2.csv"
    changed.write_text(
        BOOK.replace("C1,Ivan Petrov,1970-01-01,ru", "C1,Ivan Petrov,1970-01-02,ru")
        + "C8,New Customer,,,Person\n",
        encoding="utf-8",
    )
    summary = wf.import_customers(changed, MAPPING, actor="bob")
    assert (summary.created, summary.updated, summary.unchanged) == (1, 1, 4)
    assert summary.changed_refs == ["C1", "C8"]
    assert summary.screening is not None and summary.screening.screened == 2

    c1 = wf.get_customer("C1")
    assert c1.version == 2 and [v.version for v in c1.history] == [1, 2]
    assert c1.history[0].data["properties"]["birthDate"] == ["1970-01-01"]
    assert c1.history[1].data["properties"]["birthDate"] == ["1970-01-02"]
    assert c1.history[1].actor == "bob"
    assert c1.history[1].changes == {
        "birthDate": {"removed": ["1970-01-01"], "added": ["1970-01-02"]}
    }
    (update,) = store.audit_records(action="customer.update")
    assert update.subject_id == "C1" and update.actor == "bob"
    assert update.details["version"] == 2 and update.details["content_hash"] == c1.content_hash
    assert store.verify_audit().ok


def test_upsert_customer_and_validation(wf: Workflow) -> None:
    data = {"schema": "Person", "properties": {"name": ["  Jane   Doe "], "nationality": ["fr"]}}
    created = wf.upsert_customer("J1", data, actor="alice")
    assert (created.status, created.version) == ("created", 1)
    assert wf.get_customer("J1").data["properties"]["name"] == ["Jane Doe"]
    # The order of values and surplus whitespace do not make a new version.
    same = {"schema": "person", "properties": {"nationality": "fr", "name": ["Jane Doe"]}}
    assert wf.upsert_customer("J1", same, actor="alice").status == "unchanged"
    updated = wf.upsert_customer(
        "J1", {"schema": "Person", "properties": {"name": ["Jane Doe", "Jane Smith"]}}, "bob"
    )
    assert (updated.status, updated.version) == ("updated", 2)
    assert updated.changes == {
        "name": {"removed": [], "added": ["Jane Smith"]},
        "nationality": {"removed": ["fr"], "added": []},
    }
    assert wf.customers_to_screen() == ["J1"]
    with pytest.raises(QueryError, match=r"properties\.name"):
        wf.upsert_customer("J2", {"schema": "Person", "properties": {"name": []}}, "alice")
    with pytest.raises(QueryError, match="birthDate"):
        wf.upsert_customer(
            "J2", {"properties": {"name": ["X"], "birthDate": ["yesterday"]}}, "alice"
        )
    with pytest.raises(QueryError, match="no name has any letters"):
        wf.upsert_customer("J2", {"properties": {"name": ["+++"]}}, "alice")
    with pytest.raises(QueryError, match="ref"):
        wf.upsert_customer(" ", {"properties": {"name": ["X"]}}, "alice")
    with pytest.raises(QueryError, match="actor"):
        wf.upsert_customer("J2", {"properties": {"name": ["X"]}}, "")


def test_upsert_many_reports_duplicates_and_missing_refs(wf: Workflow) -> None:
    rows = [
        CustomerInput("A", {"properties": {"name": ["Anna"]}}, row=2),
        CustomerInput(None, {"properties": {"name": ["No Ref"]}}, row=3),
        CustomerInput("A", {"properties": {"name": ["Anna Again"]}}, row=4),
        CustomerInput("B", {"properties": {"name": [""]}}, row=5),
        CustomerInput("C", None, row=6, error="row 6: empty name"),
    ]
    summary = wf.upsert_customers(rows, "alice", origin="test")
    assert summary.created == 1 and summary.rows == 5
    assert [(e.row, e.error) for e in summary.errors] == [
        (3, "row 3: no customer reference (the ref is empty)"),
        (4, "row 4: the reference 'A' appears again (first on row 2); only the first is used"),
        (5, "row 5: properties.name: a query needs at least one non-empty name"),
        (6, "row 6: empty name"),
    ]
    assert wf.get_customer("A").caption == "Anna"


def test_import_needs_a_ref_column(wf: Workflow, book: Path) -> None:
    with pytest.raises(ConfigError, match="reference"):
        wf.import_customers(book, ColumnMapping(name="name"), actor="alice")


def test_screen_customer_and_unknown_refs(wf: Workflow) -> None:
    wf.upsert_customer("P", {"schema": "Person", "properties": {"name": ["Ivan Petrov"]}}, "a")
    screening = wf.screen_customer("P", actor="alice")
    (outcome,) = screening.outcomes
    assert outcome.entity_id == "test_list-petrov" and outcome.outcome == "alert"
    assert screening.alert_ids == [outcome.alert_id]
    assert wf.get_screening(screening.id) == screening
    with pytest.raises(NotFoundError, match="nobody"):
        wf.screen_customer("nobody", actor="alice")
    run = wf.screen_customers(["P", "ghost"], actor="alice")
    assert run.screened == 1 and [e.ref for e in run.errors] == ["ghost"]


def test_screening_without_lists_is_refused(store: Store, settings) -> None:  # type: ignore[no-untyped-def]
    from embargo.screening import Screener
    from embargo.workflow import WorkflowConfig, WorkflowError

    wf = Workflow(
        store, lambda: Screener.open(settings=settings), settings, config=WorkflowConfig()
    )
    try:
        wf.upsert_customer("P", {"properties": {"name": ["Ivan Petrov"]}}, "alice")
        with pytest.raises(WorkflowError, match="no lists are loaded"):
            wf.screen_customer("P", actor="alice")
    finally:
        wf.close()


def test_record_screenings_for_monitoring(wf: Workflow, store: Store) -> None:
    """Matches computed elsewhere (monitoring) go through the same checks and records."""
    for ref in ("M1", "M2"):
        wf.upsert_customer(ref, {"schema": "Person", "properties": {"name": ["Ivan Petrov"]}}, "x")
    assert wf.customers_to_screen() == ["M1", "M2"]
    assert [c.ref for c in wf.iter_customers()] == ["M1", "M2"]
    matches = wf.screener.screen(wf.get_customer("M1").data)
    weak = wf.screener.screen({"properties": {"name": ["Ivan"]}}, limit=5)
    scope = {"kind": "entities", "entity_ids": ["test_list-petrov"]}
    run = wf.record_screenings(
        [("M1", matches), ("M2", weak), ("ghost", matches)], actor="monitor", scope=scope
    )
    assert run.screened == 2 and [e.ref for e in run.errors] == ["ghost"]
    (alert_id,) = run.alerts
    alert = wf.get_alert(alert_id)
    assert alert.customer_ref == "M1" and alert.entity_id == "test_list-petrov"
    m1, m2 = wf.screenings("M1")[0], wf.screenings("M2")[0]
    assert m1.trigger == "monitor" and m1.scope == scope and m1.alert_ids == [alert_id]
    assert m2.hits == 0  # below the threshold: recorded as a no-hit screening
    # A partial screening does not count as screening the customer in full.
    assert wf.customers_to_screen() == ["M1", "M2"]
    wf.decide(alert_id, "false_positive", "not him", actor="alice")
    again = wf.record_screenings([("M1", matches)], actor="monitor")
    assert again.alerts == [] and wf.screenings("M1")[0].outcomes[0].outcome == "whitelisted"
    assert wf.customers_to_screen() == ["M2"]  # the default scope is a full screening
    (audit,) = store.audit_records(action="screening", subject_id=str(m1.id))
    assert audit.details["scope"] == scope and audit.details["alerts"] == [alert_id]


def test_workflow_open(settings) -> None:  # type: ignore[no-untyped-def]
    from tests.workflow.conftest import load_lists

    wf = Workflow.open(settings)
    try:
        load_lists(wf.store)
        wf.upsert_customer("P", {"schema": "Person", "properties": {"name": ["Ivan Petrov"]}}, "a")
        assert wf.screen_customer("P", actor="a").alert_ids == [1]
    finally:
        wf.close()


def test_import_json_lines(wf: Workflow, tmp_path: Path) -> None:
    path = tmp_path / "book.jsonl"
    path.write_text(
        '{"id": "J1", "full_name": "Acme Trading LLC", "type": "Company"}\n'
        '{"id": "J2", "full_name": "Jane Doe", "type": "Person", "ids": "X1; X2"}\n',
        encoding="utf-8",
    )
    mapping = ColumnMapping(ref="id", name="full_name", schema="type", id="ids")
    summary = wf.import_customers(path, mapping, actor="alice")
    assert (summary.created, summary.errors) == (2, [])
    assert summary.screening is not None and len(summary.screening.alerts) == 1
    assert wf.get_customer("J2").data["properties"]["idNumber"] == ["X1", "X2"]


def test_a_customer_that_cannot_be_screened_does_not_stop_the_run(
    wf: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    for ref, name in (("A", "Ivan Petrov"), ("B", "Odd Name")):
        wf.upsert_customer(ref, {"schema": "Person", "properties": {"name": [name]}}, "x")
    real = wf.screener.screen

    def screen(query, *args, **kwargs):  # type: ignore[no-untyped-def]
        if query["properties"]["name"] == ["Odd Name"]:
            raise QueryError("properties.name: no name has any letters or digits to match on")
        return real(query, *args, **kwargs)

    monkeypatch.setattr(wf.screener, "screen", screen)
    run = wf.screen_customers(actor="alice")
    assert run.screened == 1 and len(run.alerts) == 1
    assert [(e.ref, e.error.split(":")[0]) for e in run.errors] == [("B", "B")]
    with pytest.raises(QueryError, match="no name has any letters"):
        wf.screen_customer("B", actor="alice")


def test_one_alert_for_a_party_two_datasets_list_under_the_same_id(
    make_wf: MakeWorkflow, store: Store
) -> None:
    """FollowTheMoney datasets keep their own ids: the same party may come from two of them
    under one id. The customer gets one alert, and the screening says why the other match
    raised none."""
    twin = msgspec.structs.replace(acme(), source="ftm_other")
    assert twin.id == acme().id
    save_list(store, [twin], source="ftm_other")
    wf = make_wf()
    data = {"schema": "Company", "properties": {"name": ["Acme Trading LLC"]}}
    wf.upsert_customer("T1", data, "alice")
    screening = wf.screen_customer("T1", actor="alice")
    assert sorted(o.outcome for o in screening.outcomes) == ["alert", "same_entity"]
    assert {o.source for o in screening.outcomes} == {"test_list", "ftm_other"}
    (alert_id,) = screening.alert_ids
    assert [a.id for a in wf.list_alerts(ref="T1")] == [alert_id]
