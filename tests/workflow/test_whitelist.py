"""The whitelist: a false positive suppresses the pair until either side changes in a way that
matters; then the pair alerts again and the alert says what changed."""

from __future__ import annotations

import pytest

from embargo.model import Entity
from embargo.model.measures import ofac_listing
from embargo.store import Store
from embargo.workflow import Workflow
from tests.builders import entity
from tests.workflow.conftest import acme, petrov, save_list

CUSTOMER = {"schema": "Person", "properties": {"name": ["Ivan Petrov"], "country": ["ru"]}}


def whitelisted(wf: Workflow, store: Store, base: Entity) -> int:
    """List ``base``, screen the customer, decide the alert a false positive; its alert id."""
    save_list(store, [base, acme()], date="2024-06-01")
    wf.upsert_customer("C1", CUSTOMER, actor="loader")
    (alert_id,) = wf.screen_customer("C1", actor="loader").alert_ids
    assert wf.decide(alert_id, "false_positive", "not him", actor="alice").final
    (outcome,) = wf.screen_customer("C1", actor="loader").outcomes
    assert outcome.outcome == "whitelisted"
    return alert_id


@pytest.mark.parametrize(
    ("base", "changed", "field", "added", "removed", "says"),
    [
        (
            petrov(),
            petrov("Ivan PETROFF"),
            "names",
            ["Ivan PETROFF"],
            [],
            "the listed entity gained the name 'Ivan PETROFF'",
        ),
        (
            petrov(birth=None),
            petrov(),
            "birth_dates",
            ["1970-01-01"],
            [],
            "the listed entity gained the birth date '1970-01-01'",
        ),
        (
            petrov(),
            petrov(birth="1971"),
            "birth_dates",
            ["1971"],
            ["1970-01-01"],
            "the listed entity's birth date changed from '1970-01-01' to '1971'",
        ),
        (
            petrov(),
            petrov(ids=["AB 123456"]),
            "identifiers",
            ["passport: AB 123456"],
            [],
            "the listed entity gained the identifier 'passport: AB 123456'",
        ),
        (
            petrov(ids=["AB 123456"]),
            petrov(),
            "identifiers",
            [],
            ["passport: AB 123456"],
            "the listed entity no longer has the identifier 'passport: AB 123456'",
        ),
    ],
    ids=["alias", "birth-date-gained", "birth-date-changed", "id-gained", "id-removed"],
)
def test_entity_change_that_matters_alerts_again_and_says_what(
    wf: Workflow,
    store: Store,
    base: Entity,
    changed: Entity,
    field: str,
    added: list[str],
    removed: list[str],
    says: str,
) -> None:
    first = whitelisted(wf, store, base)
    (entry,) = wf.whitelist("C1")
    save_list(store, [changed, acme()], date="2024-07-01")
    screening = wf.screen_customer("C1", actor="monitor")
    (outcome,) = screening.outcomes
    assert outcome.outcome == "alert" and outcome.alert_id is not None
    alert = wf.get_alert(outcome.alert_id)
    assert alert.previous_alert_id == first
    assert alert.changes == [{"side": "entity", "field": field, "added": added, "removed": removed}]
    assert alert.reason == (
        f"alert again: the false-positive decision on alert {first} no longer holds because " + says
    )
    assert says in outcome.detail
    # The new alert's evidence is the new list version's entity.
    version = store.active_version("test_list")
    assert version is not None and alert.list_version_id == version.id
    # The old entry lapsed (history kept); no duplicate alert on the next screening.
    assert wf.whitelist("C1") == []
    (lapsed,) = wf.whitelist("C1", active=None)
    assert lapsed.id == entry.id and not lapsed.active and lapsed.ended_reason == alert.reason
    (again,) = wf.screen_customer("C1", actor="monitor").outcomes
    assert again.outcome == "active_alert"
    (lapse,) = store.audit_records(action="whitelist.lapse")
    assert lapse.subject_id == str(entry.id) and lapse.details["alert_id"] == alert.id
    # Deciding the new alert a false positive again whitelists the new state.
    wf.decide(alert.id, "false_positive", "still not him", actor="bob")
    (outcome,) = wf.screen_customer("C1", actor="monitor").outcomes
    assert outcome.outcome == "whitelisted" and outcome.alert_id == alert.id
    assert store.verify_audit().ok


@pytest.mark.parametrize(
    "changed",
    [
        petrov(birth=None),  # a birth date removed... see below: it matters
        entity(
            "Ivan PETROV",
            id="petrov",
            source="test_list",
            birth="1970-01-01",
            countries=("ru",),
            listing=ofac_listing("test_list", ["RUSSIA-EO14024", "SDGT"], sdn=True),
        ),
        entity(
            "IVAN  petrov",
            id="petrov",
            source="test_list",
            birth="1970-01-01",
            countries=("ru", "by"),
        ),
    ],
    ids=["birth-date-removed", "new-programme", "case-spacing-and-country"],
)
def test_entity_changes_that_do_not_matter_keep_the_pair_suppressed(
    wf: Workflow, store: Store, changed: Entity
) -> None:
    whitelisted(wf, store, petrov())
    save_list(store, [changed, acme()], date="2024-07-01")
    (outcome,) = wf.screen_customer("C1", actor="monitor").outcomes
    if not changed.birth_dates:
        # The birth date that told them apart is gone: that does matter.
        assert outcome.outcome == "alert"
        assert "no longer has the birth date '1970-01-01'" in outcome.detail
    else:
        assert outcome.outcome == "whitelisted"


def test_removed_alias_keeps_the_pair_suppressed(wf: Workflow, store: Store) -> None:
    whitelisted(wf, store, petrov("Ivan PETROFF"))
    save_list(store, [petrov(), acme()], date="2024-07-01")
    (outcome,) = wf.screen_customer("C1", actor="monitor").outcomes
    assert outcome.outcome == "whitelisted"


def test_customer_change_alerts_again_and_says_what(wf: Workflow, store: Store) -> None:
    first = whitelisted(wf, store, petrov())
    changed = {
        "schema": "Person",
        "properties": {"name": ["Ivan Petrov"], "country": ["ru"], "birthDate": ["1970-01-01"]},
    }
    assert wf.upsert_customer("C1", changed, actor="loader").version == 2
    (outcome,) = wf.screen_customer("C1", actor="loader").outcomes
    assert outcome.outcome == "alert" and outcome.alert_id is not None
    alert = wf.get_alert(outcome.alert_id)
    assert alert.customer_version == 2 and alert.previous_alert_id == first
    assert alert.changes == [
        {
            "side": "customer",
            "field": "birthDate",
            "from_version": 1,
            "to_version": 2,
            "added": ["1970-01-01"],
            "removed": [],
        }
    ]
    assert alert.reason.endswith("because customer birthDate: '1970-01-01' added")


def test_both_sides_changed(wf: Workflow, store: Store) -> None:
    whitelisted(wf, store, petrov())
    wf.upsert_customer(
        "C1", {"schema": "Person", "properties": {"name": ["Ivan Petrov", "I. Petrov"]}}, "x"
    )
    save_list(store, [petrov(ids=["AB123456"]), acme()], date="2024-07-01")
    (outcome,) = wf.screen_customer("C1", actor="monitor").outcomes
    assert outcome.outcome == "alert"
    assert "the listed entity gained the identifier 'passport: AB123456'" in outcome.detail
    assert "customer country: 'ru' removed" in outcome.detail
    assert "customer name: 'I. Petrov' added" in outcome.detail


def test_whitelist_is_per_pair(wf: Workflow, store: Store) -> None:
    whitelisted(wf, store, petrov())
    # Another customer with the same name still alerts on the same entity.
    wf.upsert_customer("C9", CUSTOMER, actor="loader")
    (outcome,) = wf.screen_customer("C9", actor="loader").outcomes
    assert outcome.outcome == "alert"
    # The same person listed by another source is another pair: it alerts.
    save_list(
        store,
        [entity("Ivan PETROV", id="p1", source="other_list", countries=("ru",))],
        source="other_list",
    )
    outcomes = {o.entity_id: o.outcome for o in wf.screen_customer("C1", actor="l").outcomes}
    assert outcomes == {"test_list-petrov": "whitelisted", "other_list-p1": "alert"}
