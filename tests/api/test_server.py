"""The API through a real ``embargo serve`` process on 127.0.0.1: the main flows."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from embargo.store import Store
from tests.api.conftest import LATER_LIST, Server, load_lists

PUTIN_IDS = {
    "us_ofac_sdn-35096",
    "eu_fsf-135909",
    "gb_fcdo-RUS0251",
    "us_trade_csl-35096-sdn",
}


def match(
    client: httpx.Client, queries: dict[str, Any], dataset: str = "default", **params: Any
) -> dict[str, Any]:
    resp = client.post(f"/match/{dataset}", json={"queries": queries}, params=params)
    assert resp.status_code == 200, resp.text
    data: dict[str, Any] = resp.json()
    return data


def person(*names: str, **props: Any) -> dict[str, Any]:
    return {"schema": "Person", "properties": {"name": list(names), **props}}


def test_health_and_readiness(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ok" and body["ready"] is True
    assert body["entities"] == 34  # the seven fixture lists the server started with


def test_match_several_queries_in_one_request(client: httpx.Client, server: Server) -> None:
    resp = client.post(
        "/match/default",
        json={
            "queries": {
                "putin": person("Vladimir Putin", birthDate=["1952-10-07"], nationality=["ru"]),
                "ros": {"schema": "Company", "properties": {"name": ["Rosoboronexport"]}},
                "nobody": person("Katarzyna Wiśniewska-Lindqvist"),
            }
        },
    )
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert set(data["responses"]) == {"putin", "ros", "nobody"}
    assert data["limit"] == 5
    assert data["matcher"]["name"] == "embargo-v1"

    putin = data["responses"]["putin"]
    assert putin["status"] == 200
    ids = [r["id"] for r in putin["results"]]
    assert set(ids) >= PUTIN_IDS, ids
    assert putin["total"] == {"value": len(putin["results"]), "relation": "eq"}
    assert putin["query"] == {
        "id": None,
        "schema": "Person",
        "properties": {
            "name": ["Vladimir Putin"],
            "birthDate": ["1952-10-07"],
            "nationality": ["ru"],
        },
    }
    top = putin["results"][0]
    assert top["match"] is True and top["score"] > 0.95
    assert top["schema"] == "Person" and top["target"] is True
    assert top["features"]["name_match"] == 1.0 and top["features"]["birth_date"] > 0
    assert top["explanations"]["birth_date"]["detail"]
    assert "sanction" in top["properties"]["topics"]
    assert top["datasets"] == [top["embargo"]["source"]]
    sdn = next(r for r in putin["results"] if r["id"] == "us_ofac_sdn-35096")
    assert sdn["referents"] == ["us-ofac-sdn-35096"]
    assert sdn["properties"]["birthDate"] == ["1952-10-07"]
    listing = sdn["embargo"]["listings"][0]
    assert listing["measure"] == "blocking" and listing["programs"] == ["RUSSIA-EO14024"]
    assert "blocked" in listing["summary"]
    assert sdn["embargo"]["explanation"]["summary"].startswith("match at")
    assert [r["score"] for r in putin["results"]] == sorted(
        (r["score"] for r in putin["results"]), reverse=True
    )

    ros = data["responses"]["ros"]["results"]
    assert ros[0]["match"] is True
    assert {r["id"] for r in ros if r["match"]} >= {"us_ofac_sdn-9593", "us_trade_csl-18782-sdn"}
    assert {m for r in ros for m in r["embargo"]["measures"]} >= {"blocking", "sectoral"}

    nobody = data["responses"]["nobody"]
    assert not any(r["match"] for r in nobody["results"])

    # Written to the audit log before the answer: one record for the request, a no-hit too.
    audit_id = data["embargo"]["audit_id"]
    assert resp.headers["X-Audit-Id"] == str(audit_id)
    assert resp.headers["X-Request-Id"] == data["embargo"]["request_id"]
    store = Store.open(server.settings.db_url)
    try:
        records = store.audit_records(action="screen", subject_id=data["embargo"]["request_id"])
        assert [r.id for r in records] == [audit_id]
        record = records[0]
        assert record.subject_type == "query"
        assert record.actor == f"api-tests (key {server.key[:12]}…)"  # the key's owner
        details = record.details
        assert details["endpoint"] == "/match/default" and details["matched"] is True
        by_key = {q["key"]: q for q in details["queries"]}
        assert by_key["nobody"]["names"] == ["Katarzyna Wiśniewska-Lindqvist"]
        assert by_key["nobody"]["matches"] == []
        assert "us_ofac_sdn-35096" in {m[0] for m in by_key["putin"]["matches"]}
        assert len(details["request_sha256"]) == 64
        assert store.verify_audit().ok
    finally:
        store.close()


def test_dataset_scopes(client: httpx.Client) -> None:
    q = {"q": person("Vladimir Putin")}

    def ids(dataset: str = "default", **params: Any) -> set[str]:
        return {r["id"] for r in match(client, q, dataset, **params)["responses"]["q"]["results"]}

    assert ids("us_ofac_sdn") == {"us_ofac_sdn-35096"}
    assert ids("sanctions") == PUTIN_IDS - {"us_trade_csl-35096-sdn"}
    assert ids("us") == {"us_ofac_sdn-35096", "us_trade_csl-35096-sdn"}
    assert ids(include_dataset=["eu_fsf", "gb_fcdo"]) == {"eu_fsf-135909", "gb_fcdo-RUS0251"}
    assert "eu_fsf-135909" not in ids(exclude_dataset=["eu_fsf", "wd_peps"])
    assert ids(exclude_entity_ids=["us_ofac_sdn-35096", "eu-fsf-135909"]) == PUTIN_IDS - {
        "us_ofac_sdn-35096",
        "eu_fsf-135909",
    }
    assert ids(exclude_schema=["Person"]) == set()
    # OpenSanctions' name for the UK list is understood (the list itself is not loaded yet).
    resp = client.post("/match/un_sc", json={"queries": q})
    assert resp.status_code == 200
    unknown = client.post("/match/no_such_list", json={"queries": q})
    assert unknown.status_code == 404
    assert "no_such_list" in unknown.json()["detail"]
    export = match(
        client,
        {"q": {"schema": "LegalEntity", "properties": {"name": ["Ivan Zubarev"]}}},
        topics=["export.control"],
    )["responses"]["q"]["results"]
    assert export and all("export.control" in r["properties"]["topics"] for r in export)


def test_algorithm_threshold_cutoff_limit(client: httpx.Client) -> None:
    q = {"q": person("Vladimir Putin")}
    data = match(client, q, algorithm="logic-v2", threshold=0.999, cutoff=0.5, limit=2)
    assert data["matcher"]["name"] == "embargo-v1"
    assert data["matcher"]["requested"] == "logic-v2"
    assert data["limit"] == 2 and data["embargo"]["threshold"] == 0.999
    results = data["responses"]["q"]["results"]
    assert len(results) == 2
    assert data["responses"]["q"]["total"]["value"] >= 4
    assert all(r["match"] is (r["score"] >= 0.999) for r in results)
    lean = match(client, q, explain="false")["responses"]["q"]["results"][0]
    assert "explanation" not in lean["embargo"] and lean["explanations"]
    assert (
        client.post("/match/default", json={"queries": q}, params={"algorithm": "x"}).status_code
        == 400
    )


def test_search_paging_and_filters(client: httpx.Client) -> None:
    first = client.get("/search/default", params={"q": "Putin", "limit": 2}).json()
    assert len(first["results"]) == 2 and first["limit"] == 2 and first["offset"] == 0
    assert first["total"]["value"] >= 4
    second = client.get("/search/default", params={"q": "Putin", "limit": 2, "offset": 2}).json()
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}
    everything = client.get("/search/default", params={"q": "Putin", "limit": 50}).json()
    assert [r["id"] for r in everything["results"][:4]] == [
        r["id"] for r in first["results"] + second["results"]
    ]
    assert all("score" in r for r in everything["results"])
    assert isinstance(everything["embargo"]["audit_id"], int)
    assert everything["facets"]["datasets"]["values"]

    vessels = client.get("/search/default", params={"schema": "Vessel", "limit": 50}).json()
    assert vessels["total"] == {"value": 4, "relation": "eq"}
    assert {r["schema"] for r in vessels["results"]} == {"Vessel"}
    orgs = client.get(
        "/search/sanctions", params={"schema": "Organization", "countries": ["kp"]}
    ).json()
    assert {r["id"] for r in orgs["results"]} == {"eu_fsf-116167", "un_sc-KPe.068"}
    browse = client.get("/search/default", params={"limit": 500}).json()
    assert browse["total"]["value"] == 34 == len(browse["results"])
    page = client.get("/search/default", params={"limit": 10, "offset": 30}).json()
    assert [r["id"] for r in page["results"]] == [r["id"] for r in browse["results"][30:]]


def test_entity(client: httpx.Client) -> None:
    data = client.get("/entities/us_ofac_sdn-35096").json()
    assert data["id"] == "us_ofac_sdn-35096" and data["caption"] == "Vladimir Vladimirovich PUTIN"
    sanctions = data["properties"]["sanctions"]
    assert sanctions[0]["schema"] == "Sanction"
    assert sanctions[0]["properties"]["program"] == ["RUSSIA-EO14024"]
    assert data["properties"]["addressEntity"][0]["properties"]["city"] == ["Moscow"]
    extra = data["embargo"]
    assert extra["status"] == "active"
    assert extra["entity"]["source_id"] == "35096"
    assert [v["source"] for v in extra["versions"]] == ["us_ofac_sdn"]
    assert data["first_seen"] and data["last_seen"]
    # The FtM form of the id (as `embargo export` writes it) finds the same entity.
    assert client.get("/entities/us-ofac-sdn-35096").json()["id"] == "us_ofac_sdn-35096"
    missing = client.get("/entities/nope-1")
    assert missing.status_code == 404 and "nope-1" in missing.json()["detail"]


def test_catalog(client: httpx.Client) -> None:
    data = client.get("/catalog").json()
    by_name = {d["name"]: d for d in data["datasets"]}
    sdn = by_name["us_ofac_sdn"]
    assert sdn["type"] == "source" and sdn["load"] is True and sdn["entity_count"] == 3
    assert sdn["publisher_date"] and sdn["loaded_at"] and len(sdn["content_hash"]) == 64
    assert sdn["counts"] == {"Person": 1, "Organization": 1, "Vessel": 1}
    assert sdn["stale"] is (sdn["age_days"] > data["stale_days"])
    assert by_name["gb_ofsi"]["load"] is False
    assert "us_ofac_sdn" in data["current"] and "gb_ofsi" not in data["current"]
    sanctions = by_name["sanctions"]
    assert sanctions["type"] == "collection" and "gb_ofsi" in sanctions["not_loaded"]
    assert by_name["default"]["entity_count"] == 34
    assert data["index_stale"] is False
    algorithms = client.get("/algorithms").json()
    assert (
        algorithms["default"] == "embargo-v1" and algorithms["aliases"]["logic-v2"] == "embargo-v1"
    )


def test_text(client: httpx.Client) -> None:
    text = (
        "Payment to ROSOBORONEKSPORT OAO, approved by Vladimir Vladimirovich Putin. "
        "Reference 1234, no other party."
    )
    resp = client.post("/screen/text", json={"text": text})
    assert resp.status_code == 200, resp.text
    mentions = resp.json()["mentions"]
    found = {m["entity_id"]: m for m in mentions}
    assert "us_ofac_sdn-9593" in found and "us_ofac_sdn-35096" in found
    for m in mentions:
        assert text[m["start"] : m["end"]] == m["text"]
        assert m["listings"]
    assert resp.json()["embargo"]["audit_id"] > 0
    clean = client.post("/screen/text", json={"text": "Nothing to see here."}).json()
    assert clean["mentions"] == []


def test_openapi_docs(client: httpx.Client) -> None:
    assert "swagger" in client.get("/docs").text.lower()
    spec = client.get("/openapi.json").json()
    for path in ("/match/{dataset}", "/search/{dataset}", "/entities/{entity_id}", "/catalog"):
        assert path in spec["paths"], path
    match_doc = spec["paths"]["/match/{dataset}"]["post"]
    assert "EntityMatchResponse" in str(match_doc["responses"]["200"])


def test_new_list_version_is_picked_up_without_restart(
    client: httpx.Client, server: Server, fixtures: Path
) -> None:
    """Runs last in this module: it changes the lists the server screens against."""
    q = {"q": person("Vladimir Putin")}
    before = {r["id"] for r in match(client, q)["responses"]["q"]["results"]}
    assert "gb_ofsi-14196" not in before
    load_lists(server.settings, fixtures, (LATER_LIST,))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        results = match(client, q, limit=10)["responses"]["q"]["results"]
        if "gb_ofsi-14196" in {r["id"] for r in results}:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"the new list was not picked up:\n{server.log_text()}")
    assert client.get("/readyz").json()["entities"] == 39
    assert client.post("/admin/refresh").json()["refreshed"] is False  # nothing new since


def test_the_workflow_routes_are_served(client: httpx.Client) -> None:
    """The real server wires the compliance workflow over its store and current screener."""
    user = {"X-Embargo-User": "alice"}
    put = client.put(
        "/customers/SRV-1",
        json={"schema": "Person", "properties": {"name": ["Vladimir Vladimirovich Putin"]}},
        headers=user,
    )
    assert put.status_code == 200, put.text
    screening = put.json()["screening"]
    assert screening is not None and screening["hits"] >= 1
    alerts = client.get("/alerts", params={"customer": "SRV-1"}).json()["results"]
    assert alerts and all(a["customer_ref"] == "SRV-1" for a in alerts)
    assert {a["entity_id"] for a in alerts} >= {"us_ofac_sdn-35096"}
