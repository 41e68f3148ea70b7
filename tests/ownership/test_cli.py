"""``embargo ownership``: import, check (exit 1 when blocked), list — on both store backends."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from embargo import cli
from embargo.cli import main

SDN = Path(__file__).parent.parent / "fixtures" / "sources" / "ofac_xml" / "sdn.xml"
PUTIN = "us_ofac_sdn-35096"
LINKS = (
    "owner,owned,percentage,source\n"
    f"{PUTIN},Acme Holdings,60,registry\n"
    "Acme Holdings,Acme Trading,50%,registry\n"
    "rosoboroneksport oao,Acme Trading,10,registry\n"  # an SDN entity, by its name
    "Beta Corp,Gamma Corp,100,registry\n"
)

Run = Callable[..., Result]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str) -> Run:
    monkeypatch.setenv("EMBARGO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("EMBARGO_DATABASE_URL", raising=False)
    monkeypatch.setattr(cli.console, "_width", 250)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, ["--db", store_url, *args], catch_exceptions=False)

    result = invoke("update", "--from", str(SDN), "--json")
    assert result.exit_code == 0, result.output
    return invoke


@pytest.fixture
def imported(run: Run, tmp_path: Path) -> Run:
    path = tmp_path / "links.csv"
    path.write_text(LINKS, encoding="utf-8")
    result = run("ownership", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "4 link(s) from 4 record(s) — 4 new, 0 updated, 0 unchanged" in result.output
    return run


def test_check_blocked_party_exits_1_and_explains(imported: Run) -> None:
    result = imported("ownership", "check", "Acme Trading")
    assert result.exit_code == 1
    assert "Acme Trading: BLOCKED by ownership" in result.output
    assert (
        "Vladimir Vladimirovich PUTIN (listed: US OFAC SDN List (RUSSIA-EO14024)) owns 60% of "
        "Acme Holdings; Acme Holdings is blocked (60% owned by blocked persons) and owns 50% of "
        "Acme Trading"
    ) in result.output
    data = json.loads(imported("ownership", "check", "acme trading", "--json").output)
    assert data["blocked_by_ownership"] and data["share"] == 0.6 and data["rule"] == "ofac_50"
    assert [c["owner"] for c in data["contributions"]] == ["name:acme holdings", "us_ofac_sdn-9593"]
    assert [[s["owner"] for s in p["steps"]] for p in data["paths"]] == [
        [PUTIN, "name:acme holdings"],
        ["us_ofac_sdn-9593"],
    ]
    frozen = imported("ownership", "check", "Acme Trading", "--rule", "eu_uk_control")
    assert frozen.exit_code == 1 and "FROZEN by ownership" in frozen.output


def test_check_other_outcomes(imported: Run) -> None:
    clean = imported("ownership", "check", "Gamma Corp")
    assert clean.exit_code == 0 and "Gamma Corp: not blocked by ownership" in clean.output
    listed = imported("ownership", "check", PUTIN)
    assert listed.exit_code == 1 and "listed itself" in listed.output
    only_eu = imported("ownership", "check", "Acme Trading", "--authority", "EU")
    assert only_eu.exit_code == 0
    unknown = imported("ownership", "check", "Nobody Ltd")
    assert unknown.exit_code == 2 and "no ownership link and no listed entity" in unknown.output
    log = json.loads(imported("audit", "log", "--action", "ownership.check", "--json").output)
    assert [r["subject_id"] for r in log] == ["name:acme trading", PUTIN, "name:gamma corp"]


def test_list(imported: Run) -> None:
    data = json.loads(imported("ownership", "list", "--json").output)
    assert [a["name"] for a in data["blocked_by_ownership"]] == ["Acme Holdings", "Acme Trading"]
    assert data["rule"] == "ofac_50" and data["warnings"] == []
    text = imported("ownership", "list").output
    assert "Acme Trading" in text and "name:acme trading" in text and "60%" in text
    links = json.loads(imported("ownership", "list", "--links", "--json").output)
    assert len(links) == 4 and {x["source"] for x in links} == {"registry"}
    assert "Beta Corp" in imported("ownership", "list", "--links").output


def test_import_bad_rows_exits_2_and_applies_nothing(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("owner,owned,percentage,source\nA,B,25,r\nA,C,0.3,r\nA,D,,\n", encoding="utf-8")
    result = run("ownership", "import", str(path))
    assert result.exit_code == 2
    assert "2 bad row(s), nothing imported" in result.output
    assert "line 3: percentage '0.3' is ambiguous" in result.output
    assert "line 4: no source" in result.output
    data = json.loads(run("ownership", "import", str(path), "--json").output)
    assert data["path"] == str(path) and data["applied"] is False
    assert [b["line"] for b in data["bad"]] == [3, 4]
    assert "ambiguous" in data["bad"][0]["reason"] and data["bad"][1]["reason"] == "no source"
    assert json.loads(run("ownership", "list", "--links", "--json").output) == []
    skipped = run("ownership", "import", str(path), "--skip-bad", "--json")
    assert skipped.exit_code == 0 and json.loads(skipped.output)["inserted"] == 1


def test_import_ftm_and_format_errors(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "entities.ftm.json"
    path.write_text(
        json.dumps(
            {
                "id": "own-1",
                "schema": "Ownership",
                "properties": {"owner": [PUTIN], "asset": ["co-1"], "percentage": ["55"]},
                "datasets": ["registry_x"],
            }
        )
        + "\n",
        encoding="utf-8",
    )
    data = json.loads(run("ownership", "import", str(path), "--json").output)
    assert data["applied"] and data["inserted"] == 1 and data["sources"] == ["ftm_registry_x"]
    assert run("ownership", "check", "co-1").exit_code == 1
    other = tmp_path / "links.txt"
    other.write_text("x")
    result = run("ownership", "import", str(other))
    assert result.exit_code == 2 and "give --format csv|ftm" in result.output
    csv_source = run("ownership", "import", str(path), "--format", "csv", "--source", "x")
    assert csv_source.exit_code == 2 and "--source is for FtM files" in csv_source.output


def test_look_through_rule(imported: Run) -> None:
    # Putin 60% of Acme Holdings, which holds 50% of Acme Trading: multiplied, 30%; with
    # Rosoboroneksport's direct 10%, 40%, so not blocked, where ofac_50 blocks it (60%).
    trading = imported("ownership", "check", "Acme Trading", "--rule", "look_through_50")
    assert trading.exit_code == 0, trading.output
    assert "Acme Trading: not blocked by ownership" in trading.output
    assert (
        "Vladimir Vladimirovich PUTIN (listed: US OFAC SDN List (RUSSIA-EO14024)) 60% → "
        "Acme Holdings 50% → Acme Trading = 30%"
    ) in trading.output
    assert "come to 40% of it (50% or more would be needed)" in trading.output
    assert "caution: blocked under OFAC's 50 Percent Rule (ofac_50)" in trading.output
    holdings = imported("ownership", "check", "Acme Holdings", "--rule", "look_through_50")
    assert holdings.exit_code == 1 and "Acme Holdings: BLOCKED by ownership" in holdings.output
    data = json.loads(
        imported("ownership", "check", "Acme Trading", "--rule", "look_through_50", "--json").output
    )
    assert data["rule"] == "look_through_50" and not data["blocked"]
    assert data["share"] == pytest.approx(0.4)
    assert [p["sentence"].split(" = ")[-1] for p in data["paths"]] == ["30%", "10%"]
    listed = json.loads(imported("ownership", "list", "--rule", "look_through_50", "--json").output)
    assert listed["rule"] == "look_through_50"
    assert [a["name"] for a in listed["blocked_by_ownership"]] == ["Acme Holdings"]
    text = imported("ownership", "list", "--rule", "look_through_50").output
    assert "look-through (multiplied stakes) 50% test (1)" in text
    assert "Acme Holdings" in text and "Acme Trading" not in text
    log = json.loads(imported("audit", "log", "--action", "ownership.check", "--json").output)
    assert {r["details"]["rule"] for r in log} == {"look_through_50"}
