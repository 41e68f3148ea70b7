"""``run_batch`` in-process: output formats, match details, order, parallel workers, resuming."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from embargo.batch import (
    BatchError,
    BatchInterrupted,
    ColumnMapping,
    ResumeError,
    checkpoint_path,
    run_batch,
)
from embargo.batch import runner as runner_mod
from embargo.batch.output import spool_path
from embargo.screening import Screener
from tests.batch.helpers import party_rows, read_output, write_csv

MAPPING = ColumnMapping(ref="ref", schema="schema", birth_date="dob", country="country")
Factory = Callable[[], Screener]


@pytest.fixture
def parties(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "parties.csv", party_rows(120, bad_every=25))


def run(inp: Path, out: Path, factory: Factory, **kw: object) -> runner_mod.BatchSummary:
    kw.setdefault("workers", 1)
    return run_batch(inp, out, MAPPING, screener_factory=factory, **kw)  # type: ignore[arg-type]


def test_csv_output_has_every_row_in_order_with_match_details(
    parties: Path, tmp_path: Path, factory: Factory
) -> None:
    out = tmp_path / "results.csv"
    summary = run(parties, out, factory)
    records = read_output(out)
    assert summary.rows_read == 120 and summary.errors == 4
    assert summary.screened == 116 and summary.matched + summary.no_match == 116
    assert summary.output_rows == len(records) == 120 - summary.matched + summary.matches
    assert not checkpoint_path(out).exists()
    # Input order, every row present at least once, bad rows as errors with their row number.
    rows = [r["row"] for r in records]
    assert rows == sorted(rows) and sorted(set(rows)) == list(range(2, 122))
    errors = [r for r in records if r["status"] == "error"]
    assert [e["error"] for e in errors] == [f"row {n}: empty name" for n in (26, 51, 76, 101)]
    assert [e["ref"] for e in errors] == ["R24", "R49", "R74", "R99"]
    first_putin = next(r["row"] for r in records if r["query_name"] == "Vladimir Putin")
    putin = [r for r in records if r["row"] == first_putin]
    assert [p["rank"] for p in putin] == [1, 2, 3]
    assert {p["entity_id"] for p in putin} == {
        "us_ofac_sdn-35096",
        "eu_fsf-135909",
        "gb_ofsi-14196",
    }
    sdn = next(p for p in putin if p["entity_id"] == "us_ofac_sdn-35096")
    assert sdn["status"] == "match" and sdn["score"] is not None and sdn["score"] >= 0.7
    assert sdn["query_name"] == "Vladimir Putin" and sdn["query_schema"] == "Person"
    assert sdn["caption"] == "Vladimir Vladimirovich PUTIN" and sdn["schema"] == "Person"
    assert sdn["matched_name"] and sdn["name_kind"] in ("primary", "alias")
    assert sdn["authorities"] == "US OFAC" and sdn["lists"] == "SDN List"
    assert sdn["programs"] == "RUSSIA-EO14024" and sdn["measures"] == "blocking"
    assert sdn["sources"] == "us_ofac_sdn" and sdn["algorithm"] == "embargo-v1"
    assert sdn["explanation"].startswith("match at ") and "birth date" in sdn["explanation"]
    no_match = next(r for r in records if r["status"] == "no-match")
    assert no_match["entity_id"] is None and no_match["score"] is None
    assert summary.to_dict()["error_rows"][0] == {"row": 26, "error": "row 26: empty name"}


@pytest.mark.parametrize("fmt", ["jsonl", "xlsx", "parquet"])
def test_output_formats_hold_the_same_records(
    parties: Path, tmp_path: Path, factory: Factory, fmt: str
) -> None:
    run(parties, tmp_path / "ref.csv", factory)
    out = tmp_path / f"results.{fmt}"
    run(parties, out, factory)
    assert read_output(out) == read_output(tmp_path / "ref.csv")
    assert not spool_path(out).exists() and not checkpoint_path(out).exists()


def test_input_formats_give_the_same_results(
    parties: Path, tmp_path: Path, factory: Factory
) -> None:
    rows = party_rows(120, bad_every=25)
    run(parties, tmp_path / "ref.csv", factory)
    expected = read_output(tmp_path / "ref.csv")
    jsonl = tmp_path / "parties.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "parties.parquet")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(list(rows[0]))
    for r in rows:
        ws.append(list(r.values()))
    wb.save(tmp_path / "parties.xlsx")
    # CSV and XLSX rows count the header line; JSON lines and Parquet rows start at 1.
    for name, shift in (("parties.jsonl", 1), ("parties.parquet", 1), ("parties.xlsx", 0)):
        out = tmp_path / f"from-{name}.csv"
        run(tmp_path / name, out, factory)
        got = read_output(out)
        for rec in got:
            rec["row"] += shift
            if rec["error"]:
                rec["error"] = rec["error"].replace(
                    f"row {rec['row'] - shift}:", f"row {rec['row']}:"
                )
        assert got == expected, name


def test_worker_processes_give_identical_output(
    parties: Path, tmp_path: Path, factory: Factory
) -> None:
    run(parties, tmp_path / "one.csv", factory, workers=1)
    summary = run(parties, tmp_path / "two.csv", factory, workers=2, chunk_size=7)
    assert summary.workers == 2
    assert (tmp_path / "two.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()


def _interrupt_after(rows: int) -> Callable[[int, int | None], None]:
    def progress(done: int, total: int | None) -> None:
        if done >= rows:
            raise KeyboardInterrupt

    return progress


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx", "parquet"])
def test_interrupted_run_resumes_to_identical_output(
    parties: Path, tmp_path: Path, factory: Factory, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner_mod, "COMMIT_INTERVAL_S", 0.0)
    ref = tmp_path / f"ref.{fmt}"
    run(parties, ref, factory, chunk_size=10)
    out = tmp_path / f"results.{fmt}"
    with pytest.raises(BatchInterrupted, match="interrupted after 50 rows"):
        run(parties, out, factory, chunk_size=10, progress=_interrupt_after(50))
    ck = json.loads(checkpoint_path(out).read_text())
    assert ck["rows_done"] == 50 and ck["input"]["path"] == str(parties.resolve())
    # A crash mid-chunk leaves bytes past the checkpoint: they are cut off on resume.
    target = out if fmt in ("csv", "jsonl") else spool_path(out)
    with target.open("ab") as fh:
        fh.write(b'half a record,"unterminated')
    summary = run(parties, out, factory, chunk_size=10)
    assert summary.resumed_from == 50 and summary.rows_read == 120
    assert summary.errors == 4  # counts cover the whole file, not just this run
    assert out.read_bytes() == ref.read_bytes()
    assert not checkpoint_path(out).exists() and not spool_path(out).exists()


def test_resume_refused_when_input_mapping_threshold_or_lists_change(
    parties: Path, tmp_path: Path, factory: Factory, list_entities: list[object]
) -> None:
    out = tmp_path / "results.csv"
    with pytest.raises(BatchInterrupted):
        run(parties, out, factory, chunk_size=10, progress=_interrupt_after(30))
    with pytest.raises(ResumeError, match="the threshold changed"):
        run(parties, out, factory, threshold=0.8)
    with pytest.raises(ResumeError, match=r"column mapping changed \(country: 'country' -> None"):
        run_batch(
            parties,
            out,
            ColumnMapping(ref="ref", schema="schema", birth_date="dob"),
            screener_factory=factory,
            workers=1,
        )
    fewer = Screener.from_entities(list_entities[:-1])  # type: ignore[arg-type]
    with pytest.raises(ResumeError, match="the lists"):
        run(parties, out, lambda: fewer)
    original = parties.read_bytes()
    parties.write_bytes(original.replace(b"R1,", b"X1,"))  # same size, other content
    with pytest.raises(ResumeError, match="the input file changed") as err:
        run(parties, out, factory)
    assert "--no-resume" in str(err.value) and "30 rows done" in str(err.value)
    parties.write_bytes(original + b"R999,Acme,Company,,\n")
    with pytest.raises(ResumeError, match="changed size"):
        run(parties, out, factory)
    # --no-resume starts over on the changed file.
    summary = run(parties, out, factory, resume=False)
    assert summary.resumed_from == 0 and summary.rows_read == 121


def test_output_problems(parties: Path, tmp_path: Path, factory: Factory) -> None:
    with pytest.raises(BatchError, match="would overwrite the input"):
        run(parties, parties, factory)
    with pytest.raises(BatchError, match="output format"):
        run(parties, tmp_path / "results.pdf", factory)
    with pytest.raises(BatchError, match="no such folder"):
        run(parties, tmp_path / "missing" / "results.csv", factory)


def test_unreadable_checkpoint_starts_over(parties: Path, tmp_path: Path, factory: Factory) -> None:
    out = tmp_path / "results.csv"
    checkpoint_path(out).write_text("{not json")
    summary = run(parties, out, factory)
    assert summary.rows_read == 120 and "checkpoint was unreadable" in summary.notes[0]


def test_ctrl_c_between_writing_and_counting_a_chunk_resumes_cleanly(
    parties: Path, tmp_path: Path, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C can land after a chunk's records are written but before its rows are counted:
    the checkpoint must not record those bytes, or the resumed run would write them twice."""
    run(parties, tmp_path / "ref.csv", factory, chunk_size=10)
    real_count = runner_mod._count
    calls = 0

    def count_then_interrupt(summary: runner_mod.BatchSummary, records: list[object]) -> None:
        nonlocal calls
        calls += 1
        if calls == 45:  # the middle of the fifth chunk
            raise KeyboardInterrupt
        real_count(summary, records)  # type: ignore[arg-type]

    monkeypatch.setattr(runner_mod, "_count", count_then_interrupt)
    out = tmp_path / "results.csv"
    with pytest.raises(BatchInterrupted, match="after 40 rows"):
        run(parties, out, factory, chunk_size=10)
    monkeypatch.setattr(runner_mod, "_count", real_count)
    assert json.loads(checkpoint_path(out).read_text())["rows_done"] == 40
    run(parties, out, factory, chunk_size=10)
    assert out.read_bytes() == (tmp_path / "ref.csv").read_bytes()
