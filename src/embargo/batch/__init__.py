"""Batch screening: a file of parties in, every match out, resumable, on all cores or Dask.

from embargo.batch import ColumnMapping, run_batch
summary = run_batch(Path("customers.csv"), Path("results.csv"), ColumnMapping(ref="id"),
                    screener_factory=Screener.open)
"""

from __future__ import annotations

from embargo.batch.io import (
    BatchError,
    ColumnMapping,
    InputFileError,
    InputRow,
    MissingColumnError,
    detect_format,
    read_rows,
)
from embargo.batch.output import COLUMNS
from embargo.batch.runner import (
    BatchInterrupted,
    BatchSummary,
    ResumeError,
    checkpoint_path,
    run_batch,
)

__all__ = [
    "COLUMNS",
    "BatchError",
    "BatchInterrupted",
    "BatchSummary",
    "ColumnMapping",
    "InputFileError",
    "InputRow",
    "MissingColumnError",
    "ResumeError",
    "checkpoint_path",
    "detect_format",
    "read_rows",
    "run_batch",
]
