"""The evidence report: one customer's screenings, alerts, decisions, whitelist, notices and
audit records, as JSON, HTML (parsed back) and PDF (text extracted), on both stores."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from lxml import html
from sqlalchemy import update

from embargo.settings import Settings
from embargo.store import Store
from embargo.store.audit import audit_log
from embargo.workflow import Workflow, WorkflowConfig
from embargo.workflow.evidence import build_evidence, digest_of, render_pdf, write_report
from embargo.workflow.monitor import run_monitor
from tests.workflow.conftest import save_list
from tests.workflow.test_monitor import (
    VERSION_1,
    VERSION_2,
    app,
    env,  # noqa: F401  (fixture)
    screener_for,
)

ORLOVSKY = {
    "schema": "Person",
    "properties": {"name": ["Viktor Orlovsky"], "birthDate": ["1965-03-02"], "country": ["ru"]},
}
KUZNETSKY = {"schema": "Person", "properties": {"name": ["Rostislav Kuznetsky"]}}


@pytest.fixture
def wf(store: Store, settings: Settings, env: None) -> Iterator[Workflow]:  # noqa: F811
    w = Workflow(store, screener_for(store, settings), settings, config=WorkflowConfig())
    yield w
    w.close()


@pytest.fixture
def story(wf: Workflow, store: Store) -> dict[str, int]:
    """Two customers through a list update: C1 a true match under four-eyes, then delisted
    (a notice); C2 a false positive, whitelisted, then alerted again when the listed entity
    gained a name. Returns the alert ids."""
    wf.upsert_customer("C1", {**ORLOVSKY, "properties": {"name": ["Viktor Orlowsky"]}}, "loader")
    wf.upsert_customer("C1", ORLOVSKY, "loader")  # version 2: the right spelling, a birth date
    wf.upsert_customer("C2", KUZNETSKY, "loader")
    save_list(store, VERSION_1, date="2024-05-01")
    wf.screen_customers(actor="loader")
    (c1,) = wf.list_alerts(ref="C1")
    (c2,) = wf.list_alerts(ref="C2")
    wf.assign(c1.id, "alice", actor="lead")
    wf.decide(c1.id, "true_match", "same name, birth date and nationality", actor="alice")
    wf.confirm(c1.id, actor="bob", reason="checked the passport copy")
    wf.decide(c2.id, "false_positive", "KYC: born 1980, not 1971", actor="carol")
    run_monitor(wf, actor="monitor", update=False)
    save_list(store, VERSION_2, date="2024-06-01")
    run = run_monitor(wf, actor="monitor", update=False)
    (again,) = run.alerts
    return {"c1": c1.id, "c2": c2.id, "c2_again": again.id}


def test_evidence_data(wf: Workflow, store: Store, story: dict[str, int]) -> None:
    data = wf.evidence("C1")
    json.dumps(data)  # JSON-ready, for the HTTP API
    assert data["digest"] == digest_of(data)
    assert data["customer"]["ref"] == "C1" and data["customer"]["version"] == 2
    assert [v["version"] for v in data["customer"]["history"]] == [1, 2]
    assert data["customer"]["history"][1]["changes"]["name"] == {
        "removed": ["Viktor Orlowsky"],
        "added": ["Viktor Orlovsky"],
    }
    # The screening, against which list version (publisher date, content hash), its result.
    (screening,) = data["screenings"]
    v1 = store.versions("test_list")[0]
    assert screening["list_versions"] == [
        {
            "source": "test_list",
            "version_id": v1.id,
            "content_hash": v1.content_hash,
            "publisher_date": "2024-05-01",
        }
    ]
    assert screening["algorithm"] == "embargo-v1" and screening["threshold"] == 0.7
    assert [(r["entity_id"], r["outcome"]) for r in screening["results"]] == [
        ("test_list-orlovsky", "alert")
    ]
    (listed,) = [v for v in data["list_versions"] if v["id"] == v1.id]
    assert listed["audit_record"] is not None and listed["loaded_at"]
    # The alert with its evidence and the four-eyes decision.
    (alert,) = data["alerts"]
    assert alert["id"] == story["c1"] and alert["decision"] == "true_match"
    assert alert["decided_by"] == "alice" and alert["confirmed_by"] == "bob"
    assert alert["four_eyes"] is True
    assert [(d["stage"], d["actor"]) for d in alert["decisions"]] == [
        ("first", "alice"),
        ("confirm", "bob"),
    ]
    assert alert["entity_snapshot"]["names"][0]["full"] == "Viktor ORLOVSKY"
    assert alert["customer_snapshot"]["properties"]["birthDate"] == ["1965-03-02"]
    assert [a["assignee"] for a in alert["assignments"]] == ["alice"]
    # Delisted: the notice, and the monitoring run that found it.
    (notice,) = data["notices"]
    assert notice["kind"] == "delisted_confirmed_match"
    assert any(m["lists"] for m in data["monitoring"])
    # The audit records about C1, and the whole chain verified.
    actions = [r["action"] for r in data["audit"]["records"]]
    for action in (
        "customer.create",
        "customer.update",
        "screening",
        "alert.create",
        "alert.assign",
        "alert.decide",
        "alert.confirm",
        "monitor.notice",
    ):
        assert action in actions
    assert data["audit"]["chain"]["verified"] and data["audit"]["chain"]["ok"]
    assert data["summary"]["true_matches"] == 1 and data["summary"]["notices"] == 1


def test_evidence_of_a_whitelisted_pair_that_alerted_again(
    wf: Workflow, story: dict[str, int]
) -> None:
    data = build_evidence(wf, "C2", actor="auditor")
    assert data["report"]["generated_by"] == "auditor"
    first, again = data["alerts"]
    assert first["decision"] == "false_positive" and first["four_eyes"] is False
    assert again["id"] == story["c2_again"] and again["previous_alert_id"] == first["id"]
    assert "gained the name 'Rostik KUZNETSKY'" in again["reason"]
    (entry,) = data["whitelist"]
    assert not entry["active"] and "no longer holds" in entry["ended_reason"]
    monitored = [s for s in data["screenings"] if s["trigger"] == "monitor"]
    assert monitored and monitored[0]["scope"]["kind"] == "list_changes"
    assert [m["screenings"] for m in data["monitoring"] if m["screenings"]] == [
        [monitored[0]["id"]]
    ]


def _text(node: Any) -> str:
    return " ".join(node.text_content().split())


def test_html_report(wf: Workflow, story: dict[str, int], tmp_path: Path) -> None:
    data = build_evidence(wf, "C1")
    path = tmp_path / "c1.html"
    assert write_report(data, path) == "html"
    source = path.read_text(encoding="utf-8")
    assert "http://" not in source and "https://" not in source  # self-contained
    assert "<link" not in source and "src=" not in source
    doc = html.fromstring(source)
    # The embedded data is the report's data, and its digest checks.
    embedded = json.loads(doc.get_element_by_id("evidence-data").text)
    assert embedded == json.loads(json.dumps(data))
    assert digest_of(embedded) == data["digest"] == _text(doc.get_element_by_id("digest"))
    assert _text(doc.get_element_by_id("chain-status")) == "verified"
    alert = _text(doc.get_element_by_id(f"alert-{story['c1']}"))
    assert "Viktor ORLOVSKY" in alert and "confirmed by bob (four-eyes)" in alert
    assert "checked the passport copy" in alert and "same name, birth date" in alert
    screenings = _text(doc.get_element_by_id("screenings"))
    v1 = data["screenings"][0]["list_versions"][0]
    assert f"test_list version {v1['version_id']} (published 2024-05-01" in screenings
    assert "embargo-v1, threshold 0.7" in screenings
    history = [_text(tr) for tr in doc.get_element_by_id("history").findall(".//tr")[1:]]
    assert len(history) == 2 and "Viktor Orlowsky" in history[0]
    audit_rows = doc.get_element_by_id("audit-records").findall(".//tr")[1:]
    assert len(audit_rows) == len(data["audit"]["records"])
    assert "delisted_confirmed_match" in _text(doc.get_element_by_id("notices"))


def test_pdf_report(wf: Workflow, story: dict[str, int], tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    data = build_evidence(wf, "C1")
    path = tmp_path / "c1.pdf"
    assert write_report(data, path) == "pdf"
    assert path.read_bytes().startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    assert "Screening evidence for customer C1" in text
    assert data["digest"] in text.replace(" ", "")
    for needle in ("Viktor ORLOVSKY", "alice", "confirmed by bob", "delisted_confirmed_match"):
        assert needle in text
    assert "verified: all" in text


def test_pdf_shows_names_in_other_scripts(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    data = {
        "report": {
            "title": "Screening evidence for customer X",
            "generated_at": "2024-05-01T00:00:00+00:00",
            "generated_by": None,
            "software_version": "0",
            "database": "sqlite://",
        },
        "digest": "0" * 64,
        "summary": {
            "screenings": 0,
            "last_screened_at": None,
            "alerts": 0,
            "open_alerts": 0,
            "true_matches": 0,
            "false_positives": 0,
            "whitelist_active": 0,
            "notices": 0,
            "audit_records": 0,
        },
        "customer": {
            "ref": "X",
            "id": 1,
            "schema": "Person",
            "caption": "Владимир Путин",
            "version": 1,
            "created_at": None,
            "updated_at": None,
            "content_hash": "",
            "data": {"properties": {"name": ["Владимир Путин"]}},
            "history": [],
        },
        "list_versions": [],
        "screenings": [],
        "monitoring": [],
        "alerts": [],
        "whitelist": [],
        "notices": [],
        "review_settings": {"current": {}, "changes": []},
        "audit": {"records": [], "chain": {"verified": False}},
    }
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(data)))
    text = reader.pages[0].extract_text() or ""
    from embargo.workflow.evidence import _pdf_font

    if _pdf_font()[2]:  # a Unicode font was found on this machine
        assert "Владимир Путин" in text
    else:
        assert "?" in text


def test_tampering_shows_in_the_report(wf: Workflow, store: Store, story: dict[str, int]) -> None:
    first = store.audit_records(limit=1)[0]
    with store.engine.begin() as conn:
        conn.execute(
            update(audit_log).where(audit_log.c.id == first.id).values(actor="someone else")
        )
    data = build_evidence(wf, "C1")
    chain = data["audit"]["chain"]
    assert chain["verified"] and not chain["ok"]
    assert any(f"record {first.id} was altered" in p for p in chain["problems"])
    assert (
        "VERIFICATION FAILED"
        in html.fromstring(build_html(data)).get_element_by_id("summary").text_content()
    )


def build_html(data: dict[str, Any]) -> str:
    from embargo.workflow.evidence import render_html

    return render_html(data)


def invoke(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", url, *args], catch_exceptions=False)


def test_cli(store: Store, store_url: str, story: dict[str, int], tmp_path: Path) -> None:
    out = tmp_path / "reports" / "C1.html"
    result = invoke(store_url, "evidence", "C1", "--out", str(out), "--as", "auditor")
    assert result.exit_code == 0, result.output
    assert out.is_file() and "audit chain verified" in result.stderr
    (export,) = store.audit_records(action="evidence.export")
    assert export.actor == "auditor" and export.details["customer"] == "C1"
    embedded = html.fromstring(out.read_text()).get_element_by_id("evidence-data").text
    assert export.details["digest"] == json.loads(embedded)["digest"]
    assert store.verify_audit().ok

    pdf = tmp_path / "C1.pdf"
    assert invoke(store_url, "evidence", "C1", "--out", str(pdf), "--no-verify").exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    data = tmp_path / "C1.data"
    result = invoke(store_url, "evidence", "C1", "--out", str(data), "--format", "json")
    assert result.exit_code == 0 and json.loads(data.read_text())["customer"]["ref"] == "C1"

    unknown = invoke(store_url, "evidence", "NOPE", "--out", str(tmp_path / "x.html"))
    assert unknown.exit_code == 2 and "no customer with reference 'NOPE'" in unknown.stderr
    assert not (tmp_path / "x.html").exists()
    bad = invoke(store_url, "evidence", "C1", "--out", str(tmp_path / "x.docx"))
    assert bad.exit_code == 2 and ".html, .pdf or .json" in bad.stderr
