"""``embargo customers``, ``embargo alerts`` and ``embargo screen-customers``, end to end."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from embargo import cli
from embargo.cli import main
from embargo.store import Store
from tests.workflow.conftest import load_lists

Run = Callable[..., Result]


@pytest.fixture
def run(store: Store, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    load_lists(store)
    monkeypatch.setenv("EMBARGO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("EMBARGO_FOUR_EYES", "on")
    monkeypatch.setenv("EMBARGO_FOUR_EYES_SOURCES", "eu_fsf")
    monkeypatch.setattr(cli.console, "_width", 200)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, ["--db", store_url, *args], catch_exceptions=False)

    return invoke


IMPORT = (
    "--ref-column",
    "ref",
    "--birth-date-column",
    "dob",
    "--country-column",
    "country",
    "--schema-column",
    "kind",
)


def test_customers_and_alerts_commands(run: Run, book: Path, store: Store) -> None:
    result = run("customers", "import", str(book), *IMPORT, "--json")
    assert result.exit_code == 1, result.output  # new alerts raised
    summary = json.loads(result.output)
    assert (summary["created"], len(summary["errors"])) == (5, 2)
    assert summary["errors"][0] == {"row": 6, "ref": "C5", "error": "row 6: empty name"}
    assert summary["screening"]["alerts"] == [1, 2, 3, 4]

    again = run("customers", "import", str(book), *IMPORT)
    assert again.exit_code == 2  # the bad rows again; nothing new
    assert "0 created, 0 updated, 5 unchanged, 2 bad" in again.output
    assert "row 7: birth date 'not a date'" in again.output

    listed = json.loads(run("customers", "list", "--json").output)
    assert [c["ref"] for c in listed] == ["C1", "C2", "C3", "C4", "C7"]
    assert "Ivan Petrov" in run("customers", "list", "--search", "petrov").output
    shown = run("customers", "show", "C1")
    assert shown.exit_code == 0 and "Ivan Petrov" in shown.output and "v1 " in shown.output
    data = json.loads(run("customers", "show", "C1", "--json").output)
    assert data["history"][0]["version"] == 1 and data["alerts"][0]["id"] == 1
    assert run("customers", "show", "nobody").exit_code == 2

    alerts = json.loads(run("alerts", "list", "--json").output)
    assert [(a["id"], a["customer_ref"]) for a in alerts] == [
        (1, "C1"),
        (2, "C2"),
        (3, "C4"),
        (4, "C7"),
    ]
    assert [
        a["id"] for a in json.loads(run("alerts", "list", "--source", "eu_fsf", "--json").output)
    ] == [3]
    assert "Ivan PETROV" in run("alerts", "list").output

    assigned = run("alerts", "assign", "1", "bob", "--as", "alice")
    assert assigned.exit_code == 0 and "assigned to bob" in assigned.output
    by_bob = json.loads(run("alerts", "list", "--assignee", "bob", "--json").output)
    assert [a["id"] for a in by_bob] == [1]

    first = run("alerts", "decide", "1", "true_match", "--reason", "same person", "--as", "alice")
    assert first.exit_code == 0 and "four-eyes" in first.output
    same = run("alerts", "confirm", "1", "--as", "alice")
    assert same.exit_code == 2
    assert "alice made the decision on alert 1" in same.output
    assert "a different reviewer must confirm it" in same.output
    confirmed = run("alerts", "confirm", "1", "--as", "bob", "--json")
    assert confirmed.exit_code == 0
    assert json.loads(confirmed.output)["alert"]["confirmed_by"] == "bob"
    late = run("alerts", "decide", "1", "false_positive", "--reason", "x", "--as", "carol")
    assert late.exit_code == 2 and "already decided" in late.output

    fp = run("alerts", "decide", "2", "false_positive", "--reason", "other firm", "--as", "alice")
    assert fp.exit_code == 0 and "whitelisted" in fp.output
    # eu_fsf is a high-risk source: even a false positive needs a second reviewer.
    eu = run("alerts", "decide", "3", "false_positive", "--reason", "other", "--as", "alice")
    assert "four-eyes" in eu.output
    rejected = run("alerts", "reject", "3", "--reason", "check again", "--as", "bob")
    assert rejected.exit_code == 0 and "back to open" in rejected.output

    shown = run("alerts", "show", "1")
    assert shown.exit_code == 0
    for text in ("Alert 1", "Ivan PETROV", "true_match (first)", "true_match (confirm)", "bob"):
        assert text in shown.output
    evidence = json.loads(run("alerts", "show", "1", "--json").output)
    assert evidence["entity_snapshot"]["id"] == "test_list-petrov"
    assert [d["stage"] for d in evidence["decisions"]] == ["first", "confirm"]

    closed = json.loads(run("alerts", "list", "--status", "closed", "--json").output)
    assert [a["id"] for a in closed] == [1, 2]

    screened = run("screen-customers", "--json")
    assert screened.exit_code == 0, screened.output  # nothing new: decided or under review
    assert json.loads(screened.output)["screened"] == 5
    assert run("screen-customers", "--ref", "nobody").exit_code == 2
    assert run("screen-customers", "--changed", "--json").exit_code == 0

    actions = {r.action for r in store.audit_records()}
    assert {
        "customer.create",
        "screening",
        "alert.create",
        "alert.assign",
        "alert.decide",
    } <= actions
    assert {"alert.confirm", "alert.reject", "whitelist.add", "config.change"} <= actions
    (config,) = store.audit_records(action="config.change")
    assert config.details["after"]["four_eyes_sources"] == ["eu_fsf"]
    assert config.actor.startswith("cli:")
    assert run("audit", "verify").exit_code == 0


def test_monitor_and_evidence_use_the_db_option_run_as_a_module(tmp_path: Path) -> None:
    """``python -m embargo.cli --db URL evidence ...`` works on URL, not the default database
    (run as a module, the group's context object is of another class than the one the
    workflow commands import)."""
    import os
    import subprocess
    import sys

    db = tmp_path / "chosen.db"
    env = {**os.environ, "EMBARGO_DATA_DIR": str(tmp_path / "default-data")}
    env.pop("EMBARGO_DATABASE_URL", None)
    command = [sys.executable, "-m", "embargo.cli", "--db", f"sqlite:///{db}", "evidence"]
    out = subprocess.run(
        [*command, "NOBODY", "--out", str(tmp_path / "r.html")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2 and "no customer with reference 'NOBODY'" in out.stderr
    assert db.exists() and not (tmp_path / "default-data" / "embargo.db").exists()
