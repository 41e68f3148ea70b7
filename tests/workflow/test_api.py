"""The workflow's HTTP router on a bare FastAPI app (the real app wires it the same way)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from embargo.api.workflow import router
from embargo.store import Store
from embargo.workflow import Workflow

ALICE = {"X-Embargo-User": "alice"}
BOB = {"X-Embargo-User": "bob"}
COLUMNS = {
    "ref_column": "ref",
    "birth_date_column": "dob",
    "country_column": "country",
    "schema_column": "kind",
    "filename": "book.csv",
}


@pytest.fixture
def client(wf: Workflow) -> TestClient:
    app = FastAPI()
    app.state.workflow = wf
    app.include_router(router)
    return TestClient(app)


def test_customers_and_review_over_http(client: TestClient, book: Path, store: Store) -> None:
    body = book.read_bytes()
    assert client.post("/customers/import", params=COLUMNS, content=body).status_code == 401
    imported = client.post("/customers/import", params=COLUMNS, content=body, headers=ALICE)
    assert imported.status_code == 200, imported.text
    summary = imported.json()
    assert (summary["created"], summary["source"]) == (5, "book.csv")
    assert [e["row"] for e in summary["errors"]] == [6, 7]
    assert summary["screening"]["alerts"] == [1, 2, 3, 4]
    bad = client.post(
        "/customers/import", params={**COLUMNS, "ref_column": "nope"}, content=body, headers=ALICE
    )
    assert bad.status_code == 400 and "no column 'nope'" in bad.json()["detail"]

    put = client.put(
        "/customers/N1",
        json={"schema": "Person", "properties": {"name": ["Ivan Petrov"], "country": ["ru"]}},
        headers=ALICE,
    )
    assert put.status_code == 200, put.text
    assert put.json()["change"]["status"] == "created"
    (result,) = put.json()["screening"]["results"]
    assert result["outcome"] == "alert" and result["alert_id"] == 5
    same = client.put(
        "/customers/N1",
        json={"schema": "Person", "properties": {"name": ["Ivan Petrov"], "country": ["ru"]}},
        headers=ALICE,
    )
    assert same.json() == {"change": same.json()["change"], "screening": None}
    assert same.json()["change"]["status"] == "unchanged"
    invalid = client.put("/customers/N2", json={"properties": {"name": []}}, headers=ALICE)
    assert invalid.status_code == 400 and "properties.name" in invalid.json()["detail"]

    customer = client.get("/customers/C1").json()
    assert customer["version"] == 1 and customer["alerts"][0]["id"] == 1
    assert customer["screenings"][0]["list_versions"]
    assert client.get("/customers/nobody").status_code == 404
    assert [
        c["ref"] for c in client.get("/customers", params={"search": "ivan"}).json()["results"]
    ] == [
        "C1",
        "C4",
        "N1",
    ]
    rescreen = client.post("/customers/C3/screen", headers=ALICE)
    assert rescreen.status_code == 200 and rescreen.json()["hits"] == 0

    alerts = client.get("/alerts").json()["results"]
    assert [a["id"] for a in alerts] == [1, 2, 3, 4, 5]
    assert [
        a["id"] for a in client.get("/alerts", params={"source": "eu_fsf"}).json()["results"]
    ] == [3]
    assert client.get("/alerts", params={"status": "bogus"}).status_code == 422
    evidence = client.get("/alerts/1").json()
    assert evidence["entity_snapshot"]["id"] == "test_list-petrov"
    assert evidence["customer_snapshot"]["ref"] == "C1"
    assert client.get("/alerts/99").status_code == 404

    assigned = client.post("/alerts/1/assign", json={"assignee": "bob"}, headers=ALICE)
    assert assigned.status_code == 200 and assigned.json()["assignee"] == "bob"

    first = client.post(
        "/alerts/1/decide", json={"decision": "true_match", "reason": "same dob"}, headers=ALICE
    )
    assert first.status_code == 200 and first.json()["final"] is False
    own = client.post("/alerts/1/confirm", json={}, headers=ALICE)
    assert own.status_code == 409 and "a different reviewer" in own.json()["detail"]
    confirmed = client.post("/alerts/1/confirm", json={"reason": "agree"}, headers=BOB)
    assert confirmed.status_code == 200 and confirmed.json()["final"] is True
    again = client.post(
        "/alerts/1/decide", json={"decision": "escalate", "reason": "x"}, headers=BOB
    )
    assert again.status_code == 409 and "already decided" in again.json()["detail"]
    wrong = client.post("/alerts/2/decide", json={"decision": "maybe", "reason": "x"}, headers=BOB)
    assert wrong.status_code == 422

    fp = client.post(
        "/alerts/2/decide", json={"decision": "false_positive", "reason": "other"}, headers=BOB
    )
    assert fp.status_code == 200 and fp.json()["whitelist"]["entity_id"] == "test_list-acme"
    entries = client.get("/whitelist", params={"customer": "C2"}).json()["results"]
    assert [e["alert_id"] for e in entries] == [2]
    removed = client.post(
        f"/whitelist/{entries[0]['id']}/remove", json={"reason": "review"}, headers=BOB
    )
    assert removed.status_code == 200 and removed.json()["active"] is False
    assert client.get("/whitelist", params={"customer": "C2"}).json()["results"] == []

    client.post("/alerts/3/decide", json={"decision": "true_match", "reason": "x"}, headers=ALICE)
    rejected = client.post("/alerts/3/reject", json={"reason": "no"}, headers=BOB)
    assert rejected.status_code == 200 and rejected.json()["alert"]["status"] == "open"

    decide = store.audit_records(action="alert.decide")
    assert {r.actor for r in decide} == {"api:alice", "api:bob"}
    assert store.verify_audit().ok


def test_without_a_workflow_the_routes_say_503() -> None:
    app = FastAPI()
    app.include_router(router)
    response = TestClient(app).get("/alerts")
    assert response.status_code == 503 and "not configured" in response.json()["detail"]


def test_authenticated_actor_wins_over_the_header(wf: Workflow, store: Store) -> None:
    app = FastAPI()
    app.state.workflow = lambda: wf  # a factory is called per request

    @app.middleware("http")
    async def sign_in(request, call_next):  # type: ignore[no-untyped-def]
        request.state.actor = "user:carol"
        return await call_next(request)

    app.include_router(router)
    client = TestClient(app)
    response = client.put(
        "/customers/Z",
        json={"properties": {"name": ["Zed"]}},
        params={"screen": "false"},
        headers=ALICE,
    )
    assert response.status_code == 200
    (record,) = store.audit_records(action="customer.create")
    assert record.actor == "user:carol"
