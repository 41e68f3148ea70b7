"""Alerts and review: evidence snapshots, filters, assignment, decisions, four-eyes, audit."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from embargo.errors import NotFoundError, QueryError
from embargo.model import entity_from_json
from embargo.store import Store
from embargo.store.tables import entity_blobs
from embargo.workflow import AlreadyDecidedError, FourEyesError, Workflow, WorkflowError
from tests.workflow.conftest import MakeWorkflow

PETROV = {
    "schema": "Person",
    "properties": {"name": ["Ivan Petrov"], "birthDate": ["1970-01-01"], "country": ["ru"]},
}
IVANOVA = {"schema": "Person", "properties": {"name": ["Maria Ivanova"]}}
ACME = {"schema": "Company", "properties": {"name": ["Acme Trading LLC"]}}


def screened(wf: Workflow, ref: str, data: dict[str, object]) -> int:
    """Create a customer, screen it and return its one alert."""
    wf.upsert_customer(ref, data, actor="loader")
    (alert_id,) = wf.screen_customer(ref, actor="loader").alert_ids
    return alert_id


def test_alert_holds_the_evidence_as_screened(wf: Workflow, store: Store) -> None:
    alert = wf.get_alert(screened(wf, "C1", PETROV))
    active = store.active_version("test_list")
    assert active is not None
    assert alert.customer_ref == "C1" and alert.customer_version == 1
    assert alert.entity_id == "test_list-petrov" and alert.source == "test_list"
    assert alert.list_version_id == active.id
    assert alert.entity_hash == store.version_hashes(active.id)["test_list-petrov"][0]
    with store.engine.connect() as conn:
        blob = conn.execute(
            entity_blobs.select().where(entity_blobs.c.hash == alert.entity_hash)
        ).one()
    assert alert.entity_snapshot == json.loads(blob.data)  # the entity exactly as stored
    assert entity_from_json(json.dumps(alert.entity_snapshot)).caption == "Ivan PETROV"
    assert alert.customer_snapshot == {"ref": "C1", "version": 1, **PETROV}
    assert alert.customer_hash == wf.get_customer("C1").content_hash
    assert alert.algorithm == "embargo-v1" and alert.software_version
    assert alert.score >= alert.threshold == pytest.approx(0.7)
    assert alert.explanation["name"]["matched_name"] == "Ivan PETROV"
    assert any(f["feature"] == "birth_date" for f in alert.explanation["features"])
    assert alert.measures == ("blocking",) and alert.status == "open"
    assert alert.reason.startswith("new match: Ivan PETROV (test_list-petrov) scored")
    # The evidence stays as it was even when the list moves on.
    from tests.workflow.conftest import acme, petrov, save_list

    save_list(store, [petrov("Ivan PETROFF"), acme()], date="2024-06-01")
    assert wf.get_alert(alert.id).entity_snapshot == alert.entity_snapshot
    full = alert.to_dict()
    assert full["entity_snapshot"]["names"][0]["full"] == "Ivan PETROV"
    assert "entity_snapshot" not in alert.to_dict(evidence=False)


def test_no_duplicate_active_alert(wf: Workflow, store: Store) -> None:
    alert_id = screened(wf, "C1", PETROV)
    again = wf.screen_customer("C1", actor="loader")
    (outcome,) = again.outcomes
    assert (outcome.outcome, outcome.alert_id) == ("active_alert", alert_id)
    assert again.alert_ids == [] and again.hits == 1
    wf.decide(alert_id, "escalate", "needs the MLRO", actor="alice")
    (outcome,) = wf.screen_customer("C1", actor="loader").outcomes
    assert outcome.outcome == "active_alert" and "escalated" in outcome.detail
    assert len(wf.list_alerts()) == 1


def test_four_eyes_true_match_needs_a_different_second_reviewer(wf: Workflow, store: Store) -> None:
    alert_id = screened(wf, "C1", PETROV)
    first = wf.decide(alert_id, "true_match", "same name, birth date and country", actor="alice")
    assert not first.final and first.alert.status == "pending_second_review"
    assert (first.alert.pending_decision, first.alert.pending_by) == ("true_match", "alice")
    assert first.decision.stage == "first"
    with pytest.raises(FourEyesError, match=r"alice made the decision .* a different reviewer"):
        wf.confirm(alert_id, actor="alice")
    with pytest.raises(AlreadyDecidedError, match="awaiting a second reviewer"):
        wf.decide(alert_id, "false_positive", "I disagree", actor="bob")
    done = wf.confirm(alert_id, actor="bob", reason="agree")
    assert done.final and done.whitelist is None
    alert = done.alert
    assert (alert.status, alert.decision) == ("closed", "true_match")
    assert (alert.decided_by, alert.confirmed_by) == ("alice", "bob")
    assert [(d.stage, d.actor, d.decision) for d in alert.decisions] == [
        ("first", "alice", "true_match"),
        ("confirm", "bob", "true_match"),
    ]
    with pytest.raises(AlreadyDecidedError, match="already decided: true_match by alice"):
        wf.decide(alert_id, "false_positive", "late", actor="carol")
    with pytest.raises(AlreadyDecidedError, match="already confirmed by bob"):
        wf.confirm(alert_id, actor="carol")
    # A confirmed true match is not asked again.
    (outcome,) = wf.screen_customer("C1", actor="loader").outcomes
    assert outcome.outcome == "confirmed_match" and outcome.alert_id == alert_id
    assert [a.id for a in wf.confirmed_matches(["test_list-petrov"])] == [alert_id]
    assert wf.confirmed_matches(["test_list-acme"]) == []
    actions = [r.action for r in store.audit_records(subject_type="alert")]
    assert actions == ["alert.create", "alert.decide", "alert.confirm"]
    assert store.verify_audit().ok


def test_second_reviewer_rejects_back_to_open(wf: Workflow) -> None:
    alert_id = screened(wf, "C1", PETROV)
    wf.decide(alert_id, "true_match", "looks like him", actor="alice")
    rejected = wf.reject(alert_id, actor="bob", reason="birth date differs in the passport copy")
    assert not rejected.final and rejected.alert.status == "open"
    assert rejected.alert.pending_decision is None and rejected.decision.stage == "reject"
    with pytest.raises(WorkflowError, match="already rejected by bob"):
        wf.confirm(alert_id, actor="carol")
    final = wf.decide(alert_id, "escalate", "ask the MLRO", actor="bob")
    assert final.final and final.alert.status == "escalated"
    with pytest.raises(AlreadyDecidedError, match="already escalated"):
        wf.decide(alert_id, "escalate", "again", actor="carol")
    # An escalated alert is decided later, and a true match still needs four eyes.
    pending = wf.decide(alert_id, "true_match", "MLRO: confirmed by documents", actor="mlro")
    assert pending.alert.status == "pending_second_review"
    back = wf.reject(alert_id, actor="mlro", reason="withdrawn: wrong alert")
    assert back.alert.status == "escalated"  # back to where it was


def test_false_positive_is_final_and_whitelists_the_pair(wf: Workflow, store: Store) -> None:
    alert_id = screened(wf, "C1", PETROV)
    result = wf.decide(alert_id, "false_positive", "different person: other patronymic", "alice")
    assert result.final and result.alert.status == "closed"
    assert result.alert.decision == "false_positive" and result.alert.confirmed_by is None
    entry = result.whitelist
    assert entry is not None and entry.active
    assert (entry.customer_ref, entry.entity_id, entry.alert_id) == (
        "C1",
        "test_list-petrov",
        alert_id,
    )
    assert entry.customer_hash == result.alert.customer_hash
    assert entry.entity_hash == result.alert.entity_hash
    assert entry.entity_key == {
        "names": ["Ivan PETROV"],
        "birth_dates": ["1970-01-01"],
        "identifiers": [],
    }
    assert entry.decision_id == result.decision.id
    assert wf.whitelist("C1") == [entry]
    (outcome,) = wf.screen_customer("C1", actor="loader").outcomes
    assert outcome.outcome == "whitelisted" and outcome.alert_id == alert_id
    assert len(wf.list_alerts()) == 1
    (add,) = store.audit_records(action="whitelist.add")
    assert add.details["entity_id"] == "test_list-petrov" and add.actor == "alice"
    # Ending the entry by hand: the pair alerts again.
    ended = wf.remove_whitelist(entry.id, "bob", "the customer asked for a review")
    assert not ended.active and ended.ended_by == "bob"
    with pytest.raises(WorkflowError, match="already ended"):
        wf.remove_whitelist(entry.id, "bob", "again")
    assert wf.screen_customer("C1", actor="loader").outcomes[0].outcome == "alert"
    assert store.verify_audit().ok


def test_high_risk_sources_and_measures_need_four_eyes_for_every_decision(
    make_wf: MakeWorkflow,
) -> None:
    wf = make_wf(four_eyes_sources=frozenset({"eu_fsf"}))
    eu_alert = screened(wf, "C4", IVANOVA)
    other = screened(wf, "C2", ACME)
    pending = wf.decide(eu_alert, "false_positive", "different person", actor="alice")
    assert not pending.final and pending.whitelist is None
    assert wf.whitelist("C4") == []
    confirmed = wf.confirm(eu_alert, actor="bob")
    assert confirmed.whitelist is not None and confirmed.whitelist.created_by == "bob"
    assert wf.decide(other, "false_positive", "different company", actor="alice").final

    by_measure = make_wf(four_eyes_measures=frozenset({"blocking"}))
    alert_id = screened(by_measure, "P", PETROV)
    assert not by_measure.decide(alert_id, "escalate", "check", actor="alice").final


def test_four_eyes_off_makes_every_decision_final(make_wf: MakeWorkflow, store: Store) -> None:
    wf = make_wf(four_eyes=False)
    alert_id = screened(wf, "C1", PETROV)
    result = wf.decide(alert_id, "true_match", "confirmed by passport", actor="alice")
    assert result.final and result.alert.decision == "true_match"
    assert result.decision.stage == "single"
    # The settings in force were recorded, and changing them is audited.
    make_wf(four_eyes=True).upsert_customer("X", {"properties": {"name": ["X Y"]}}, "carol")
    changes = store.audit_records(action="config.change")
    assert [c.details["after"]["four_eyes"] for c in changes] == [False, True]
    assert changes[1].details["before"]["four_eyes"] is False and changes[1].actor == "carol"
    assert store.verify_audit().ok


def test_decision_input_is_checked(wf: Workflow) -> None:
    alert_id = screened(wf, "C1", PETROV)
    with pytest.raises(QueryError, match="decision"):
        wf.decide(alert_id, "maybe", "hmm", actor="alice")
    with pytest.raises(QueryError, match="reason"):
        wf.decide(alert_id, "false_positive", "  ", actor="alice")
    with pytest.raises(NotFoundError, match="no alert 999"):
        wf.decide(999, "false_positive", "x", actor="alice")
    with pytest.raises(WorkflowError, match="no decision awaiting"):
        wf.confirm(alert_id, actor="bob")
    assert wf.decide(alert_id, "False positive", "other person", actor="alice").final


def test_list_filter_and_assign(wf: Workflow, store: Store) -> None:
    a1 = screened(wf, "C1", PETROV)
    a2 = screened(wf, "C4", IVANOVA)
    a3 = screened(wf, "C2", ACME)
    assert [a.id for a in wf.list_alerts()] == [a1, a2, a3]
    assert [a.id for a in wf.list_alerts(source="eu_fsf")] == [a2]
    assert [a.id for a in wf.list_alerts(measure="blocking")] == [a1, a2, a3]
    assert wf.list_alerts(measure="sectoral") == []
    assert [a.id for a in wf.list_alerts(ref="C2")] == [a3]
    assert [a.id for a in wf.list_alerts(entity_id="test_list-petrov")] == [a1]
    assert len(wf.list_alerts(min_score=0.0)) == 3 and wf.list_alerts(min_score=1.01) == []
    assert wf.list_alerts(older_than=timedelta(hours=1)) == []
    assert len(wf.list_alerts(newer_than=timedelta(hours=1))) == 3
    assert [a.id for a in wf.list_alerts(limit=1, offset=1)] == [a2]

    assigned = wf.assign(a2, "bob", actor="alice")
    assert assigned.assignee == "bob" and assigned.assigned_at is not None
    assert [(x.assignee, x.actor) for x in assigned.assignments] == [("bob", "alice")]
    assert [a.id for a in wf.list_alerts(assignee="bob")] == [a2]
    assert [a.id for a in wf.list_alerts(assignee="none")] == [a1, a3]
    assert wf.assign(a2, None, actor="alice").assignee is None

    wf.decide(a1, "false_positive", "other person", actor="bob")
    wf.decide(a3, "true_match", "same company", actor="bob")
    assert [a.id for a in wf.list_alerts(status="open")] == [a2]
    assert [a.id for a in wf.list_alerts(status="closed")] == [a1]
    assert [a.id for a in wf.list_alerts(status="pending_second_review")] == [a3]
    assert [a.id for a in wf.list_alerts(status="active")] == [a2, a3]
    assert [a.id for a in wf.list_alerts(decision="false_positive")] == [a1]
    with pytest.raises(QueryError, match="status"):
        wf.list_alerts(status="done")
    with pytest.raises(WorkflowError, match="closed"):
        wf.assign(a1, "carol", actor="alice")
    assigns = store.audit_records(action="alert.assign")
    assert [r.details["assignee"] for r in assigns] == ["bob", None]
    assert store.verify_audit().ok
