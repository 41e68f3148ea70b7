"""The pages' content, in-process with authentication off (every request is the local
administrator): list history with what changed, a tampered audit chain, alert filters and
paging, customer history, empty states and input errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from embargo.api.app import create_app
from embargo.model import IdType, Schema
from embargo.screening import Screener
from embargo.settings import Settings
from embargo.store import Store
from embargo.store.audit import audit_log
from embargo.web import routes
from embargo.workflow import Workflow
from tests.builders import entity
from tests.workflow.conftest import save_list


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no form token"
    return found.group(1)


@dataclass
class Site:
    client: TestClient
    store: Store
    wf: Workflow


def people(version: int) -> list:  # type: ignore[type-arg]
    petrov = entity("Ivan PETROV", id="petrov", birth="1970-01-01", countries=("ru",))
    acme = entity("ACME TRADING LLC", schema=Schema.COMPANY, id="acme")
    if version == 1:
        return [petrov, acme]
    changed = entity(
        "Ivan PETROV", "Ivan PETROFF", id="petrov", birth="1970-01-01", countries=("ru",)
    )
    vessel = entity(
        "SEA GLORY", schema=Schema.VESSEL, id="sea-glory", ids=((IdType.IMO, "9187629"),)
    )
    return [changed, vessel]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("webpages")
    settings = Settings(data_dir=tmp / "data", database_url=f"sqlite:///{tmp / 'e.db'}")
    store = Store.open(settings.db_url)
    save_list(store, people(1), date="2024-05-01")
    save_list(store, people(2), date="2024-06-01")
    screener = Screener.open(settings=settings)
    wf = Workflow(store, screener, settings)
    for ref, name in (("P1", "Ivan Petrov"), ("P2", "Ivan Petroff"), ("V1", "Sea Glory")):
        wf.upsert_customer(ref, {"schema": "LegalEntity", "properties": {"name": [name]}}, "t")
        wf.screen_customer(ref, "t")
    wf.upsert_customer(
        "P1",
        {
            "schema": "LegalEntity",
            "properties": {"name": ["Ivan Petrov"], "birthDate": ["1970-01-01"]},
        },
        "t",
    )
    app = create_app(settings, screener=screener, store=store, auth=False)
    with TestClient(app, follow_redirects=False) as client:
        yield Site(client, store, wf)
    store.close()


def test_lists_show_versions_and_what_changed(site: Site) -> None:
    page = site.client.get("/ui/lists")
    assert page.status_code == 200
    html = page.text
    section = html[html.index('id="list-test_list"') :]
    section = section[: section.index("</section>")]
    # Newest first: version 2 added the vessel, removed the company, changed Petrov.
    rows = section.split("<tr")[2:]
    assert len(rows) == 2
    cells = [c.split(">", 1)[1].split("<", 1)[0] for c in rows[0].split("<td")[1:]]
    assert cells[0] == "2" and cells[1] == "2024-06-01"
    assert cells[4:7] == ["1", "1", "1"], cells
    assert "active-version" in rows[0] and "active-version" not in rows[1]
    assert "stale" in section  # a 2024 list is long past the stale age


def test_audit_page_reports_a_broken_chain(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'a.db'}")
    store = Store.open(settings.db_url)
    for n in range(3):
        store.audit("test.action", "thing", str(n), {"n": n}, actor="tester")
    app = create_app(settings, store=store, auth=False)
    with TestClient(app) as client:
        ok = client.get("/ui/audit")
        assert "Chain verified: all 3 records" in ok.text
        with store.engine.begin() as conn:
            conn.execute(update(audit_log).where(audit_log.c.id == 2).values(actor="mallory"))
        broken = client.get("/ui/audit")
        assert "Chain broken: record 2" in broken.text
        assert "Chain verified" not in broken.text
        filtered = client.get("/ui/audit", params={"actor": "tester"})
        assert filtered.text.count('<tr id="audit-') == 2
    store.close()


def test_alert_filters_and_paging(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    every = site.wf.list_alerts(status=None, limit=None)
    assert len(every) >= 3
    page = site.client.get("/ui/alerts", params={"status": "all"})
    assert page.text.count('class="alert-link"') == len(every)
    top = max(a.score for a in every)
    strict = site.client.get("/ui/alerts", params={"status": "all", "min_score": str(top)})
    assert strict.text.count('class="alert-link"') == sum(a.score >= top for a in every)
    nobody = site.client.get("/ui/alerts", params={"status": "all", "source": "eu_fsf"})
    assert "No alerts match these filters." in nobody.text
    young = site.client.get("/ui/alerts", params={"status": "all", "age": "3"})
    assert "No alerts match these filters." in young.text
    monkeypatch.setattr(routes, "PAGE_SIZE", 1)
    first = site.client.get("/ui/alerts", params={"status": "all"})
    assert first.text.count('class="alert-link"') == 1 and 'rel="next"' in first.text
    last = site.client.get("/ui/alerts", params={"status": "all", "page": str(len(every))})
    assert 'rel="prev"' in last.text and 'rel="next"' not in last.text


def test_customer_page_has_history_screenings_and_alerts(site: Site) -> None:
    page = site.client.get("/ui/customers/P1")
    assert page.status_code == 200
    text = page.text
    assert "Birth date" in text and "<ins>1970-01-01</ins>" in text  # version 2's change
    assert "us_ofac_sdn" not in text  # only this store's own list was screened
    alert = site.wf.list_alerts(ref="P1", status=None, limit=None)[0]
    assert f'href="/ui/alerts/{alert.id}"' in text
    listing = site.client.get("/ui/customers", params={"q": "petr"})
    assert "P1" in listing.text and "P2" in listing.text and "V1" not in listing.text


def test_errors_are_pages(site: Site) -> None:
    missing = site.client.get("/ui/entities/no-such-id")
    assert missing.status_code == 404 and "No such entity" in missing.text
    assert site.client.get("/ui/alerts/99999").status_code == 404
    assert site.client.get("/ui/customers/NOPE").status_code == 404
    token = csrf_of(site.client.get("/ui/screen").text)
    bad = site.client.post(
        "/ui/screen", data={"name": "Ivan Petrov", "threshold": "2", "csrf_token": token}
    )
    assert bad.status_code == 400 and "between 0 and 1" in bad.text
    found = site.client.post("/ui/screen", data={"name": "Ivan Petroff", "csrf_token": token})
    assert found.status_code == 200 and "/ui/entities/test_list-petrov" in found.text
    # The screened name is in the audit log, not in any URL.
    record = site.store.audit_records(action="screen", newest_first=True, limit=1)[0]
    assert record.details["queries"][0]["names"] == ["Ivan Petroff"]


def test_no_auth_mode_acts_as_the_local_administrator(site: Site) -> None:
    page = site.client.get("/ui")
    assert page.status_code == 200 and ">local <" in page.text
    assert "Sign out" not in page.text
    assert site.client.get("/ui/login").headers["location"] == "/ui"
    assert site.client.get("/").headers["location"] == "/ui"


def test_an_empty_installation_shows_empty_states(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'z.db'}")
    store = Store.open(settings.db_url)
    app = create_app(settings, store=store, auth=False)
    with TestClient(app) as client:
        home = client.get("/ui")
        assert home.status_code == 200
        assert "No alerts yet." in home.text and "No lists loaded." in home.text
        assert "No decisions yet." in home.text
        assert "No lists are loaded" in client.get("/ui/lists").text
        assert "No customers yet" in client.get("/ui/customers").text
        token = csrf_of(client.get("/ui/screen").text)
        unready = client.post("/ui/screen", data={"name": "anyone", "csrf_token": token})
        assert unready.status_code == 503
    store.close()
