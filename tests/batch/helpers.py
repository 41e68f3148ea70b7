"""Input files and output readers shared by the batch tests."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from openpyxl import load_workbook

from embargo.batch.output import COLUMNS, FLOAT_COLUMNS, INT_COLUMNS

LISTED = [
    ("Vladimir Putin", "Person", "1952-10-07", "ru"),
    ("Rosoboronexport", "Company", "", ""),
    ("Hamidullah Akhund", "Person", "1972", "af"),
    ("Chonmyong Shipping", "Company", "", ""),
    ("Myohyang Shipping Co", "Company", "", "kp"),
    ("Islamic Revolutionary Guard Corps Qods Force", "Organization", "", ""),
    ("Sea Glory", "Vessel", "", ""),
]
SYLLABLES = ["ka", "to", "mi", "ra", "sen", "lo", "vik", "dar", "bel", "ton", "gri", "mun", "es"]


def party_rows(n: int, *, seed: int = 7, bad_every: int = 0) -> list[dict[str, str]]:
    """``n`` parties: listed names now and then, made-up names otherwise, bad rows if asked."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if bad_every and i % bad_every == bad_every - 1:
            out.append({"ref": f"R{i}", "name": "", "schema": "", "dob": "", "country": ""})
            continue
        if i % 9 == 0:
            name, schema, dob, country = rng.choice(LISTED)
        else:
            word = "".join(rng.choices(SYLLABLES, k=3)).title()
            word2 = "".join(rng.choices(SYLLABLES, k=3)).title()
            name, schema = f"{word} {word2} Trading", "Company"
            dob, country = "", rng.choice(["", "gb", "de", "fr; it"])
        out.append({"ref": f"R{i}", "name": name, "schema": schema, "dob": dob, "country": country})
    return out


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["ref", "name", "schema", "dob", "country"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def _typed(col: str, value: Any) -> Any:
    if value in (None, ""):
        return None
    if col in INT_COLUMNS:
        return int(value)
    if col in FLOAT_COLUMNS:
        return float(value)
    return str(value)


def read_output(path: Path) -> list[dict[str, Any]]:
    """Any output format as typed records (empty text and null both as None)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as fh:
            raw = list(csv.DictReader(fh))
    elif suffix == ".jsonl":
        raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    elif suffix == ".parquet":
        raw = pq.read_table(path).to_pylist()
    elif suffix == ".xlsx":
        wb = load_workbook(path, read_only=True)
        raw = []
        for ws in wb.worksheets:
            it = ws.iter_rows(values_only=True)
            header = [str(h) for h in next(it)]
            raw.extend(dict(zip(header, r, strict=True)) for r in it)
        wb.close()
    else:  # pragma: no cover
        raise ValueError(path)
    out = []
    for rec in raw:
        assert list(rec) == list(COLUMNS), list(rec)
        out.append({c: _typed(c, rec[c]) for c in COLUMNS})
    return out
