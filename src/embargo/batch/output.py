"""Batch results: the output columns, and writers that can be committed and resumed.

CSV and JSON lines are written straight to the output file, appended chunk by chunk; the
number of bytes committed is what a checkpoint records, and a resumed run truncates anything
written past it. XLSX and Parquet cannot be appended to (a zip directory, a footer), so
their records go to an append-only spool file beside the output (``OUTPUT.embargo-spool.jsonl``)
and the workbook or Parquet file is written from it in one go at the end.

Every writer is deterministic: the same records give the same bytes, whichever run and however
many interruptions produced them (XLSX included: its zip entries and document properties get
fixed timestamps).
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import msgspec

from embargo.batch.io import BatchError

# One output record per (input row x match at or above the threshold), or one per row for
# "no-match" and "error". Types: row/rank int, score float, the rest text (None when empty).
COLUMNS: tuple[str, ...] = (
    "row",
    "ref",
    "query_name",
    "query_schema",
    "status",
    "error",
    "rank",
    "score",
    "entity_id",
    "caption",
    "schema",
    "matched_name",
    "name_kind",
    "authorities",
    "lists",
    "programs",
    "measures",
    "sources",
    "explanation",
    "algorithm",
)
STATUS = COLUMNS.index("status")
INT_COLUMNS = frozenset({"row", "rank"})
FLOAT_COLUMNS = frozenset({"score"})

Record = tuple[Any, ...]

XLSX_MAX_ROWS = 1_048_576  # per sheet, header included
XLSX_MAX_CELL = 32_767
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_FIXED_DOC_TIME = datetime(2000, 1, 1)
PARQUET_ROW_GROUP = 100_000

_json_encoder = msgspec.json.Encoder()


def spool_path(output: Path) -> Path:
    return output.with_name(output.name + ".embargo-spool.jsonl")


def appendable(fmt: str) -> bool:
    """Whether ``fmt`` is written straight to the output (else through the spool)."""
    return fmt in ("csv", "jsonl")


class RecordWriter:
    """Appends records to a file, committing (flush + fsync) on request.

    ``fmt`` is ``csv``, ``jsonl`` or ``spool`` (JSON arrays, one per line). ``offset`` is the
    committed size to continue from (0: start a new file).
    """

    def __init__(self, path: Path, fmt: str, offset: int = 0) -> None:
        self.path = path
        self.fmt = fmt
        try:
            if offset:
                self._fh: IO[bytes] = path.open("r+b")
                self._fh.truncate(offset)
                self._fh.seek(offset)
            else:
                self._fh = path.open("wb")
        except OSError as exc:
            raise BatchError(f"{path}: cannot write the output: {exc.strerror}") from None
        # Bytes fully written; a failed write leaves a tail past it that a resume truncates.
        self.size = offset
        if not offset and fmt == "csv":
            self._write(self._csv_bytes([COLUMNS]))

    @staticmethod
    def _csv_bytes(records: Sequence[Sequence[Any]]) -> bytes:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(records)
        return buf.getvalue().encode("utf-8")

    def write(self, records: Sequence[Record]) -> None:
        if not records:
            return
        if self.fmt == "csv":
            data = self._csv_bytes(records)
        elif self.fmt == "jsonl":
            data = b"".join(
                _json_encoder.encode(dict(zip(COLUMNS, r, strict=True))) + b"\n" for r in records
            )
        else:
            data = b"".join(_json_encoder.encode(r) + b"\n" for r in records)
        self._write(data)

    def _write(self, data: bytes) -> None:
        try:
            self._fh.write(data)
        except OSError as exc:
            raise BatchError(f"{self.path}: writing failed: {exc.strerror}") from None
        self.size += len(data)

    def commit(self) -> int:
        """Make everything written so far durable; the committed size in bytes."""
        try:
            self._fh.flush()
            os.fsync(self._fh.fileno())
        except OSError as exc:
            raise BatchError(f"{self.path}: writing failed: {exc.strerror}") from None
        return self.size

    def close(self) -> None:
        self._fh.close()


def read_spool(path: Path) -> Iterator[list[Any]]:
    decoder = msgspec.json.Decoder(list[Any])
    with path.open("rb") as fh:
        for line in fh:
            yield decoder.decode(line)


def write_final(spool: Path, output: Path, fmt: str) -> int:
    """Write the XLSX or Parquet output from the spool (atomically); the records written."""
    tmp = output.with_name(output.name + ".embargo-partial")
    try:
        if fmt == "xlsx":
            count = _write_xlsx(spool, tmp)
        elif fmt == "parquet":
            count = _write_parquet(spool, tmp)
        else:  # pragma: no cover - appendable formats never spool
            raise BatchError(f"{fmt} output is not written from a spool")
        tmp.replace(output)
    except OSError as exc:
        raise BatchError(f"{output}: cannot write the output: {exc.strerror}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return count


class _StableZip(zipfile.ZipFile):
    """A zip file whose entries all carry one fixed timestamp, so equal content gives equal
    bytes (openpyxl stamps every entry with the time of writing)."""

    def writestr(  # type: ignore[override]
        self,
        zinfo_or_arcname: str | zipfile.ZipInfo,
        data: str | bytes,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        if isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo = zinfo_or_arcname
            zinfo.date_time = _FIXED_ZIP_TIME
        else:
            zinfo = zipfile.ZipInfo(zinfo_or_arcname, date_time=_FIXED_ZIP_TIME)
            zinfo.compress_type = self.compression
            zinfo.external_attr = 0o600 << 16
        super().writestr(zinfo, data, compress_type, compresslevel)

    def write(  # type: ignore[override]
        self,
        filename: str | os.PathLike[str],
        arcname: str | None = None,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        zinfo = zipfile.ZipInfo(str(arcname or filename), date_time=_FIXED_ZIP_TIME)
        zinfo.compress_type = self.compression if compress_type is None else compress_type
        zinfo.external_attr = 0o600 << 16
        with open(filename, "rb") as src, self.open(zinfo, "w", force_zip64=True) as dest:
            while block := src.read(1024 * 1024):
                dest.write(block)


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        value = _XLSX_ILLEGAL.sub("\ufffd", value)
        if len(value) > XLSX_MAX_CELL:
            value = value[: XLSX_MAX_CELL - 1] + "…"
    return value


def _write_xlsx(spool: Path, dest: Path) -> int:
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook(write_only=True)
    wb.properties.creator = "embargo"
    wb.properties.created = _FIXED_DOC_TIME
    wb.properties.modified = _FIXED_DOC_TIME
    sheet_no = 1
    ws = wb.create_sheet("results")
    ws.append(list(COLUMNS))
    rows_in_sheet = 1
    count = 0
    for record in read_spool(spool):
        if rows_in_sheet >= XLSX_MAX_ROWS:
            sheet_no += 1
            ws = wb.create_sheet(f"results {sheet_no}")
            ws.append(list(COLUMNS))
            rows_in_sheet = 1
        ws.append([_xlsx_value(v) for v in record])
        rows_in_sheet += 1
        count += 1
    archive = _StableZip(dest, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()
    return count


def _parquet_schema() -> Any:
    import pyarrow as pa

    fields = []
    for col in COLUMNS:
        if col in INT_COLUMNS:
            fields.append(pa.field(col, pa.int64()))
        elif col in FLOAT_COLUMNS:
            fields.append(pa.field(col, pa.float64()))
        else:
            fields.append(pa.field(col, pa.string()))
    return pa.schema(fields)


def _write_parquet(spool: Path, dest: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _parquet_schema()
    count = 0
    with pq.ParquetWriter(dest, schema, compression="zstd") as writer:
        batch: list[list[Any]] = []

        def flush() -> None:
            columns = list(zip(*batch, strict=True))
            arrays = [
                pa.array(list(values), type=f.type)
                for values, f in zip(columns, schema, strict=True)
            ]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            batch.clear()

        for record in read_spool(spool):
            batch.append(record)
            count += 1
            if len(batch) >= PARQUET_ROW_GROUP:
                flush()
        if batch:
            flush()
        elif count == 0:
            writer.write_table(schema.empty_table())
    return count
