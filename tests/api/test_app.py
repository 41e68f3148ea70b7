"""The app in process (``TestClient``): readiness, refresh, audit failure, dataset rules.

These use companies only: analysing a company name needs no person-name tagger, so an
in-process index builds in well under a second.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from embargo.api import app_factory, create_app
from embargo.api import state as api_state
from embargo.api.datasets import resolve
from embargo.auth import AuthService
from embargo.errors import NotFoundError, QueryError
from embargo.screening import Screener
from embargo.settings import Settings
from embargo.store import Store
from embargo.update import load_path

COMPANY_QUERY = {"schema": "Company", "properties": {"name": ["Acme Rocket Trading"]}}


def write_list(folder: Path, dataset: str, names: list[str], first: int = 0) -> Path:
    """A small FollowTheMoney list of sanctioned companies (ids ``<dataset>-<n>``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "entities.ftm.json"
    with path.open("w") as fh:
        for i, name in enumerate(names, start=first):
            entity = {
                "id": f"{dataset}-{i}",
                "caption": name,
                "schema": "Company",
                "properties": {"name": [name], "topics": ["sanction"], "country": ["ru"]},
                "datasets": [dataset],
                "target": True,
            }
            fh.write(json.dumps(entity) + "\n")
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'e.db'}")


@pytest.fixture(autouse=True)
def _companies_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # The start-up warm-up screens a person name too (to load the tagger): not needed here.
    monkeypatch.setattr(api_state, "_WARM_UP", (COMPANY_QUERY,))


def load(settings: Settings, path: Path) -> None:
    store = Store.open(settings.db_url)
    try:
        assert load_path(store, path, settings).ok
    finally:
        store.close()


def wait_ready(client: TestClient, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        resp = client.get("/readyz")
        if resp.status_code == 200:
            data: dict[str, Any] = resp.json()
            return data
        time.sleep(0.05)
    raise AssertionError(f"not ready: {client.get('/readyz').json()}")


def match_ids(
    client: TestClient, name: str = "Acme Rocket Trading", dataset: str = "default"
) -> set[str]:
    query = {"schema": "Company", "properties": {"name": [name]}}
    resp = client.post(f"/match/{dataset}", json={"queries": {"q": query}})
    assert resp.status_code == 200, resp.text
    return {r["id"] for r in resp.json()["responses"]["q"]["results"]}


def test_not_ready_without_lists(settings: Settings) -> None:
    with TestClient(create_app(settings, auth=False)) as client:
        assert client.get("/healthz").status_code == 200
        deadline = time.monotonic() + 30
        while "loading" in client.get("/readyz").json()["detail"] and time.monotonic() < deadline:
            time.sleep(0.05)
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "no lists are loaded" in ready.json()["detail"]
        resp = client.post("/match/default", json={"queries": {"q": COMPANY_QUERY}})
        assert resp.status_code == 503 and "embargo update" in resp.json()["detail"]
        assert client.get("/search/default", params={"q": "x"}).status_code == 503
        catalog = client.get("/catalog").json()
        assert catalog["current"] == [] and catalog["index"]["ready"] is False


def test_app_factory_reads_the_environment(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(settings, write_list(settings.data_dir.parent / "a", "alpha", ["Acme Rocket Trading"]))
    monkeypatch.setenv("EMBARGO_DATABASE_URL", settings.db_url)
    monkeypatch.setenv("EMBARGO_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("EMBARGO_AUTH", raising=False)  # on by default: send a key
    store = Store.open(settings.db_url)
    auth = AuthService(store)
    auth.create_user("tester", "viewer", actor="test")
    key = auth.create_key("tester", actor="test")[1]
    store.close()
    with TestClient(app_factory()) as client:
        assert client.get("/catalog").status_code == 401
        client.headers["X-API-Key"] = key
        ready = wait_ready(client)
        assert ready["entities"] == 1, ready
        assert match_ids(client) == {"alpha-0"}


def test_new_versions_are_picked_up(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api_state, "REFRESH_INTERVAL_SECONDS", 0.1)
    root = settings.data_dir.parent
    load(settings, write_list(root / "a", "alpha", ["Acme Rocket Trading"]))
    with TestClient(create_app(settings, auth=False)) as client:
        wait_ready(client)
        assert match_ids(client) == {"alpha-0"}
        # By the periodic check:
        load(settings, write_list(root / "b", "beta", ["Globex Shipping Lines"]))
        deadline = time.monotonic() + 30
        while match_ids(client, "Globex Shipping Lines") != {"beta-0"}:
            assert time.monotonic() < deadline, "the new list was not picked up"
            time.sleep(0.05)
        # A new version of a source replaces the old one.
        load(settings, write_list(root / "a2", "alpha", ["Initech Metal Works"]))
        while client.get("/entities/alpha-0").json()["caption"] != "Initech Metal Works":
            assert time.monotonic() < deadline, "the new version was not picked up"
            time.sleep(0.05)
        assert client.post("/admin/refresh").json()["refreshed"] is False


def test_refresh_on_request(settings: Settings) -> None:
    root = settings.data_dir.parent
    load(settings, write_list(root / "a", "alpha", ["Acme Rocket Trading"]))
    with TestClient(create_app(settings, auth=False)) as client:
        wait_ready(client)
        load(settings, write_list(root / "b", "beta", ["Globex Shipping Lines"]))
        resp = client.post("/admin/refresh").json()
        assert resp["refreshed"] is True and resp["entities"] == 2
        assert match_ids(client, "Globex Shipping Lines", "ftm_beta") == {"beta-0"}
        assert match_ids(client, "Globex Shipping Lines", "ftm_alpha") == set()
        # A new version of alpha without alpha-0: it is delisted, and still shown as such.
        load(settings, write_list(root / "a2", "alpha", ["Initech Metal Works"], first=1))
        assert client.post("/admin/refresh").json()["refreshed"] is True
        assert match_ids(client) == set()
        gone = client.get("/entities/alpha-0").json()
        assert gone["caption"] == "Acme Rocket Trading"
        assert gone["embargo"]["status"] == "delisted"
        assert [v["status"] for v in gone["embargo"]["versions"]] == ["superseded"]
        assert client.get("/entities/alpha-1").json()["embargo"]["status"] == "active"


@pytest.fixture
def company_screener(tmp_path: Path) -> Screener:
    from embargo.update import discover, parse_input

    path = write_list(tmp_path / "list", "gamma", ["Acme Rocket Trading", "Globex Shipping"])
    (inp,), _ = discover(path)
    return Screener.from_entities(parse_input(inp, Settings())[0])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'audit.db'}")
    yield s
    s.close()


def test_given_screener_and_store_are_audited(company_screener: Screener, store: Store) -> None:
    with TestClient(create_app(screener=company_screener, store=store, auth=False)) as client:
        resp = client.post("/match/default", json={"queries": {"q": COMPANY_QUERY}})
        assert resp.status_code == 200
        audit_id = resp.json()["embargo"]["audit_id"]
    records = store.audit_records(action="screen")
    assert [r.id for r in records] == [audit_id]
    assert records[0].details["endpoint"] == "/match/default"


def test_screening_fails_closed_when_the_audit_log_cannot_be_written(
    company_screener: Screener, store: Store
) -> None:
    with TestClient(create_app(screener=company_screener, store=store, auth=False)) as client:
        with store.engine.begin() as conn:
            conn.execute(text("DROP TABLE audit_log"))
        resp = client.post("/match/default", json={"queries": {"q": COMPANY_QUERY}})
        assert resp.status_code == 503
        assert "audit log" in resp.json()["detail"] and "not answered" in resp.json()["detail"]
        assert "results" not in resp.text


def test_in_memory_screener_without_store(company_screener: Screener) -> None:
    with TestClient(create_app(screener=company_screener, auth=False)) as client:
        resp = client.post("/match/default", json={"queries": {"q": COMPANY_QUERY}})
        assert resp.status_code == 200 and resp.json()["embargo"]["audit_id"] is None
        catalog = client.get("/catalog").json()
        assert catalog["current"] == ["ftm_gamma"]


def test_resolve_datasets() -> None:
    active = ["us_ofac_sdn", "eu_fsf", "us_trade_csl", "ftm_x"]
    assert resolve("default", active).sources is None
    assert resolve("sanctions", active).sources == ("eu_fsf", "us_ofac_sdn")
    assert "gb_fcdo" in resolve("sanctions", active).missing
    assert resolve("default", active, exclude=["us"]).sources == ("eu_fsf", "ftm_x")
    assert resolve("default", active, include=["eu"]).sources == ("eu_fsf",)
    assert resolve("default", active, exclude=["nope"]).ignored == ("nope",)
    assert resolve("ftm_x", active).sources == ("ftm_x",)
    assert resolve("us", active, include=["eu"]).sources == ()
    with pytest.raises(QueryError, match="nope"):
        resolve("default", active, include=["nope"])
    with pytest.raises(NotFoundError, match="known datasets"):
        resolve("atlantis", active)
    with pytest.raises(NotFoundError, match="not loaded"):
        resolve("gb_hmt_sanctions", active)
