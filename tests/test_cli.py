"""The ``embargo`` command, end to end on small fixture lists: output, --json, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from embargo import cli
from embargo.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EMBARGO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("EMBARGO_DATABASE_URL", raising=False)
    monkeypatch.setattr(cli.console, "_width", 200)  # tables unwrapped, as on a wide terminal
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def loaded(run, tmp_path: Path):  # type: ignore[no-untyped-def]
    folder = tmp_path / "lists"
    folder.mkdir()
    shutil.copy(FIXTURES / "ofac_xml/sdn.xml", folder / "sdn.xml")
    result = run("update", "--from", str(folder), "--json")
    assert result.exit_code == 0, result.output
    return run


def test_update_json_reports_versions_and_skips(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("update", "--from", str(FIXTURES / "ofac_xml/sdn.xml"), "--json")
    data = json.loads(result.output)
    (outcome,) = data["outcomes"]
    assert outcome["status"] == "loaded" and outcome["entities"] == 3
    assert outcome["skipped"][0]["reason"] == "entry has no name"


def test_update_bad_file_exits_2(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "sdn.xml"
    bad.write_bytes((FIXTURES / "ofac_xml/sdn.xml").read_bytes()[:500])
    result = run("update", "--from", str(bad), "--format", "ofac-xml")
    assert result.exit_code == 2
    assert "sdn.xml" in result.output and "line" in result.output


def test_unknown_file_exits_2(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    result = run("update", "--from", str(path))
    assert result.exit_code == 2 and "not a list file" in result.output


def test_lists_and_versions(loaded) -> None:  # type: ignore[no-untyped-def]
    rows = json.loads(loaded("lists", "--json").output)
    sdn = next(r for r in rows if r["source"] == "us_ofac_sdn")
    assert sdn["entities"] == 3 and sdn["publisher_date"] == "2024-05-07" and sdn["stale"]
    history = json.loads(loaded("versions", "us_ofac_sdn", "--json").output)
    assert [v["status"] for v in history] == ["active"]
    assert "STALE" in loaded("lists").output


def test_show(loaded) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(loaded("show", "us_ofac_sdn-35096", "--json").output)
    assert data["caption"] == "Vladimir Vladimirovich PUTIN" and data["active"]
    assert data["listings"][0]["measure"] == "blocking"
    text = loaded("show", "us_ofac_sdn-35096").output
    assert "RUSSIA-EO14024" in text and "blocking" in text
    assert loaded("show", "nobody").exit_code == 2


def test_screen_exit_codes_and_json(loaded) -> None:  # type: ignore[no-untyped-def]
    hit = loaded(
        "screen", "Vladimir Putin", "--schema", "Person", "--birth-date", "1952-10-07", "--json"
    )
    assert hit.exit_code == 1
    data = json.loads(hit.output)
    assert data["match"] is True and data["algorithm"] == "embargo-v1"
    top = data["results"][0]
    assert top["entity_id"] == "us_ofac_sdn-35096" and top["match"]
    assert {f["feature"] for f in top["explanation"]["features"]} == {"birth_date"}
    miss = loaded("screen", "Angela Merkel", "--schema", "Person")
    assert miss.exit_code == 0 and "No match" in miss.output
    table = loaded("screen", "Rosoboronexport")
    assert table.exit_code == 1 and "ROSOBORONEKSPORT OAO" in table.output


def test_screen_bad_input_exits_2(loaded) -> None:  # type: ignore[no-untyped-def]
    assert loaded("screen", "   ").exit_code == 2
    assert loaded("screen", "Putin", "--birth-date", "yesterday").exit_code == 2
    assert loaded("screen", "x" * 5000).exit_code == 2


def test_screen_without_lists(run) -> None:  # type: ignore[no-untyped-def]
    result = run("screen", "Vladimir Putin")
    assert result.exit_code == 2 and "embargo update" in result.output


def test_compare(run) -> None:  # type: ignore[no-untyped-def]
    same = run(
        "compare", "Rosoboronexport", "ROSOBORONEKSPORT OAO", "--schema", "Company", "--json"
    )
    assert same.exit_code == 1 and json.loads(same.output)["match"] is True
    assert run("compare", "Hans Meier", "Fritz Schulz", "--schema", "Person").exit_code == 0


def test_text_from_stdin(loaded) -> None:  # type: ignore[no-untyped-def]
    result = loaded("text", "-", "--json", input="Talks with Vladimir Putin ended.")
    assert result.exit_code == 1
    (mention,) = json.loads(result.output)["mentions"]
    assert mention["entity_id"] == "us_ofac_sdn-35096" and mention["start"] == 11
    assert loaded("text", "-", input="Nothing to see.").exit_code == 0


def test_export_csv_and_ftm(loaded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out.csv"
    assert loaded("export", "--format", "csv", "--out", str(out)).exit_code == 0
    lines = out.read_text().splitlines()
    assert lines[0].startswith("id,schema,name") and len(lines) == 4
    ftm = loaded("export", "--format", "ftm").output.splitlines()
    records = [json.loads(line) for line in ftm]
    assert {r["schema"] for r in records} >= {"Person", "Organization", "Vessel", "Sanction"}


def test_diff(loaded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    changed = tmp_path / "v2"
    changed.mkdir()
    text = (FIXTURES / "ofac_xml/sdn.xml").read_text()
    text = text.replace("<Publish_Date>05/07/2024", "<Publish_Date>06/07/2024")
    text = text.replace("<lastName>ROE</lastName>", "<lastName>ROE GROUP</lastName>")
    (changed / "sdn.xml").write_text(text)
    assert loaded("update", "--from", str(changed)).exit_code == 0
    data = json.loads(loaded("diff", "us_ofac_sdn", "--json").output)
    assert data["added"] == [] and data["removed"] == []
    (change,) = data["changed"]
    assert change["id"] == "us_ofac_sdn-9593"
    assert [n["full"] for n in change["changes"]["names"]["added"]] == ["ROE GROUP"]
    assert "ROE GROUP" in loaded("diff", "us_ofac_sdn").output


def test_help_lists_every_command(run) -> None:  # type: ignore[no-untyped-def]
    out = run("--help").output
    for command in (
        "update",
        "lists",
        "versions",
        "diff",
        "show",
        "export",
        "screen",
        "compare",
        "text",
    ):
        assert command in out
