"""Loading list files: atomic, reported, never half-applied (on SQLite and PostgreSQL)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from embargo.errors import ParseError
from embargo.settings import Settings
from embargo.store import Store
from embargo.update import discover, load_path

SDN_FIXTURE = Path(__file__).parent / "fixtures/sources/ofac_xml/sdn.xml"


def good_file(tmp_path: Path) -> Path:
    folder = tmp_path / "good"
    folder.mkdir(exist_ok=True)
    return Path(shutil.copy(SDN_FIXTURE, folder / "sdn.xml"))


def test_load_file_then_reload_is_no_op(store: Store, settings: Settings, tmp_path: Path) -> None:
    path = good_file(tmp_path)
    first = load_path(store, path, settings)
    (outcome,) = first.outcomes
    assert outcome.status == "loaded" and outcome.entities == 3 and outcome.records == 4
    assert outcome.skipped[0]["reason"] == "entry has no name"
    again = load_path(store, path, settings)
    assert again.outcomes[0].status == "unchanged"
    assert len(store.versions("us_ofac_sdn")) == 1


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    data = SDN_FIXTURE.read_bytes()
    cases: dict[str, tuple[bytes, str]] = {
        "truncated": (data[: len(data) * 2 // 3], "line"),
        "empty": (b"", "empty"),
        "html": (b"<!DOCTYPE html><html><body>Service unavailable</body></html>", "HTML page"),
        "wrong-encoding": (
            data.replace(b"Kremlin", "Kreml\u00edn".encode("latin-1")),
            "line",
        ),
    }
    out = {}
    for name, (content, expected) in cases.items():
        folder = tmp_path / name
        folder.mkdir()
        path = folder / "sdn.xml"
        path.write_bytes(content)
        out[name] = (path, expected)
    return out


@pytest.mark.parametrize("case", ["truncated", "empty", "html", "wrong-encoding", "oversize"])
def test_bad_input_leaves_active_version_intact(
    case: str, store: Store, settings: Settings, tmp_path: Path
) -> None:
    load_path(store, good_file(tmp_path), settings)
    before = store.active_version("us_ofac_sdn")
    assert before is not None
    if case == "oversize":
        (tmp_path / "big").mkdir()
        path = good_file(tmp_path / "big")
        settings = replace(settings, max_download_bytes=1000)
        expected = "size cap"
    else:
        path, expected = _bad_inputs(tmp_path)[case]
    report = load_path(store, path, settings, format="ofac-xml", source="us_ofac_sdn")
    (outcome,) = report.outcomes
    assert outcome.status == "failed"
    assert str(path) in outcome.message and expected in outcome.message
    assert "nothing was stored" in outcome.message
    after = store.active_version("us_ofac_sdn")
    assert after == before
    assert len(store.versions("us_ofac_sdn")) == 1
    assert store.get_entity("us_ofac_sdn-35096").caption == "Vladimir Vladimirovich PUTIN"


def test_folder_scan_reports_files_it_does_not_load(
    tmp_path: Path, store: Store, settings: Settings
) -> None:
    good_file(tmp_path)
    (tmp_path / "good" / "notes.txt").write_text("not a list")
    (tmp_path / "good" / "blank.csv").write_bytes(b"")
    inputs, ignored = discover(tmp_path / "good")
    assert [i.path.name for i in inputs] == ["sdn.xml"]
    reasons = {Path(p).name: r for p, r in ignored}
    assert reasons == {"notes.txt": "not a list file in a known format", "blank.csv": "empty file"}


def test_unknown_single_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(ParseError, match="not a list file Embargo recognises"):
        discover(path)
