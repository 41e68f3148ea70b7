"""``embargo batch``: exit codes, --json, the column options and mapping file, and a real
interrupted run (SIGKILL, then Ctrl-C) resumed to byte-identical output."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from embargo.batch import checkpoint_path
from embargo.cli import main
from tests.batch.conftest import EMBARGO
from tests.batch.helpers import SYLLABLES, read_output

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def invoke(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    for key in ("EMBARGO_DATA_DIR", "EMBARGO_DATABASE_URL"):
        monkeypatch.setenv(key, cli_env[key])

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, ["batch", *args], catch_exceptions=False)

    return run


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_exit_1_on_a_match_with_json_summary(tmp_path: Path, invoke: Callable[..., Result]) -> None:
    inp = write(
        tmp_path / "in.csv",
        "cust,nm,kind\nA1,Rosoboronexport,Company\nA2,Tolomira Bakeries,Company\nA3,,Company\n",
    )
    out = tmp_path / "out.jsonl"
    result = invoke(
        str(inp), "--out", str(out), "--ref-column", "cust", "--name-column", "nm",
        "--schema-column", "kind", "--workers", "1", "--json",
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["rows_read"] == 3 and data["matched"] == 1 and data["errors"] == 1
    assert data["no_match"] == 1 and data["output_format"] == "jsonl"
    assert data["error_rows"] == [{"row": 4, "error": "row 4: empty name"}]
    for key in ("elapsed_s", "rate_rows_per_s", "algorithm", "threshold", "list_signature"):
        assert key in data
    records = read_output(out)
    assert [(r["ref"], r["status"]) for r in records] == [
        ("A1", "match"),
        ("A2", "no-match"),
        ("A3", "error"),
    ]
    assert records[0]["entity_id"] == "us_ofac_sdn-9593"


def test_exit_0_when_clean_and_2_when_rows_could_not_be_screened(
    tmp_path: Path, invoke: Callable[..., Result]
) -> None:
    clean = write(tmp_path / "clean.csv", "name\nTolomira Bakeries\nGrimun Dartonka\n")
    result = invoke(str(clean), "--out", str(tmp_path / "a.csv"), "--schema", "Company")
    assert result.exit_code == 0, result.output
    assert "rows read" in result.stdout and "a.csv" in result.stdout
    broken = write(tmp_path / "broken.csv", "name,ref\nTolomira Bakeries,R1\n,R2\n")
    result = invoke(str(broken), "--out", str(tmp_path / "b.csv"), "--schema", "Company")
    assert result.exit_code == 2
    assert "row 3: empty name" in result.stdout


def test_mapping_file_and_overrides(tmp_path: Path, invoke: Callable[..., Result]) -> None:
    inp = write(tmp_path / "in.csv", "id;Full Name;type\n7;Sea Glory;Vessel\n")
    mapping = write(tmp_path / "map.json", json.dumps({"ref": "id", "name": "Full Name"}))
    out = tmp_path / "out.csv"
    result = invoke(
        str(inp), "--out", str(out), "--mapping", str(mapping), "--schema-column", "type"
    )
    assert result.exit_code == 1, result.output
    (rec,) = read_output(out)
    assert rec["ref"] == "7" and rec["query_schema"] == "Vessel"
    assert rec["entity_id"] == "us_ofac_sdn-44001"


def test_errors_exit_2_with_a_message(tmp_path: Path, invoke: Callable[..., Result]) -> None:
    inp = write(tmp_path / "in.csv", "id,full_name\n1,Acme\n")
    result = invoke(
        str(inp), "--out", str(tmp_path / "o.csv"), "--name-column", "full_name",
        "--birth-date-column", "dob",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "no column 'dob'" in result.stderr and "'id', 'full_name'" in result.stderr
    latin = tmp_path / "latin.csv"
    latin.write_bytes("name\nJürgen\n".encode("cp1252"))
    result = invoke(str(latin), "--out", str(tmp_path / "o.csv"))
    assert result.exit_code == 2
    assert "not UTF-8" in result.stderr and "line 2" in result.stderr
    assert "Traceback" not in result.output
    result = invoke(str(inp), "--out", str(tmp_path / "o.csv"), "--scheduler", "tcp://x:1")
    assert result.exit_code == 2 and "--engine dask" in result.stderr


# -- a real interruption -----------------------------------------------------------------


def company_file(path: Path, n: int) -> Path:
    """``n`` companies (no persons: the subprocesses skip loading the person-name tagger)."""
    listed = ["Rosoboronexport", "Chonmyong Shipping", "Myohyang Shipping Co", "Sea Glory"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["ref", "name", "schema"])
        for i in range(n):
            a = SYLLABLES[i % 13] + SYLLABLES[(i // 13) % 13] + SYLLABLES[(i // 169) % 13]
            b = SYLLABLES[(i // 2197) % 13] + SYLLABLES[(i * 7) % 13]
            name = listed[i % 4] if i % 50 == 0 else f"{a.title()} {b.title()} Holdings"
            w.writerow([f"R{i}", name if i % 997 else "", "Company"])
    return path


def wait_for_progress(ck: Path, proc: subprocess.Popen[str], timeout: float = 60) -> int:
    """Rows done according to the checkpoint, once some are; 0 if the process ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            done = int(json.loads(ck.read_text())["rows_done"])
        except (OSError, ValueError, KeyError):
            done = 0
        if done > 0:
            return done
        time.sleep(0.01)
    return 0


@pytest.mark.slow
def test_killed_and_interrupted_run_resumes_to_identical_output(
    tmp_path: Path, run_cli: Run, cli_env: dict[str, str]
) -> None:
    inp = company_file(tmp_path / "companies.csv", 40_000)
    args = ["batch", str(inp), "--ref-column", "ref", "--schema-column", "schema"]
    args += ["--chunk-size", "50", "--workers", "2", "--json"]
    ref = tmp_path / "reference.csv"
    done = run_cli(*args, "--out", str(ref))
    assert done.returncode == 1, done.stderr
    total = json.loads(done.stdout)["rows_read"]
    assert total == 40_000

    out = tmp_path / "results.csv"
    ck = checkpoint_path(out)

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*EMBARGO, *args, "--out", str(out)],
            env=cli_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, as a terminal job would be
        )

    # 1. SIGKILL mid-way: no chance to clean up.
    proc = start()
    assert wait_for_progress(ck, proc) > 0, "the run finished before it could be killed"
    time.sleep(0.3)  # let it write past the checkpoint
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    killed_at = json.loads(ck.read_text())["rows_done"]
    assert 0 < killed_at < total
    # 2. Ctrl-C (SIGINT to the whole process group) during the resumed run, once it has
    # committed progress of its own.
    before = json.loads(ck.read_text())["updated_at"]
    proc = start()
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError, KeyError):
            if json.loads(ck.read_text())["updated_at"] != before:
                break
        time.sleep(0.01)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        _stdout, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 2, stderr
        assert "interrupted after" in stderr and "run the same command again" in stderr
        interrupted_at = json.loads(ck.read_text())["rows_done"]
        assert killed_at < interrupted_at < total
        # 3. The last run finishes the file.
        final = run_cli(*args, "--out", str(out))
        assert final.returncode == 1, final.stderr
        summary = json.loads(final.stdout)
        assert summary["resumed_from"] == interrupted_at and summary["rows_read"] == total
    else:  # a machine fast enough to finish the rest within a second: no Ctrl-C to test
        stdout, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 1, stderr
        assert json.loads(stdout)["resumed_from"] == killed_at
    assert out.read_bytes() == ref.read_bytes()
    assert not ck.exists()


def test_resume_refused_after_the_input_changed(
    tmp_path: Path, invoke: Callable[..., Result]
) -> None:
    inp = company_file(tmp_path / "companies.csv", 300)
    out = tmp_path / "results.csv"
    first = invoke(str(inp), "--out", str(out), "--workers", "1", "--schema-column", "schema")
    assert first.exit_code == 1
    expected = out.read_bytes()
    # Pretend an earlier run stopped after 100 rows.
    ck = checkpoint_path(out)
    assert not ck.exists()
    from embargo.batch.runner import input_fingerprint

    ck.write_text(
        json.dumps(
            {
                "version": 1,
                "input": {**input_fingerprint(inp), "size": 1},
                "rows_done": 100,
                "output_bytes": 10,
            }
        )
    )
    result = invoke(str(inp), "--out", str(out), "--workers", "1", "--schema-column", "schema")
    assert result.exit_code == 2
    assert "cannot resume" in result.stderr and "the input file changed size" in result.stderr
    assert "--no-resume" in result.stderr
    result = invoke(
        str(inp), "--out", str(out), "--workers", "1", "--schema-column", "schema", "--no-resume"
    )
    assert result.exit_code == 1
    assert not ck.exists() and out.read_bytes() == expected
