"""Reading a file of parties to screen (a customer book, a payment file) and mapping its columns.

    mapping = ColumnMapping(ref="customer_id", name="full_name", birth_date="dob")
    for row in read_rows(Path("customers.csv"), mapping):
        if row.error:            # bad rows are reported, never dropped: "row 17: empty name"
            ...
        else:
            screener.screen(row.query)

Formats: CSV (delimiter sniffed, UTF-8 with or without BOM), XLSX (the first sheet, read-only),
Parquet and JSON lines. Row numbers are the ones a person sees: for CSV the line in the file
where the record starts (the header is line 1), for XLSX the sheet row (the header is row 1),
for JSON lines the line, for Parquet the record number counted from 1.

Text files must be UTF-8. A file in another encoding (a legacy Excel "CSV" in Windows-1252,
say) is refused as a whole before any row is screened, with the byte offset and line of the
first undecodable byte: decoding it some other way would screen mangled names ("MÃ¼ller") and
silently miss matches, and screening only the rows before the bad byte would be a partial
result that looks complete.
"""

from __future__ import annotations

import codecs
import csv
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from embargo.errors import EmbargoError, QueryError
from embargo.match.query import MAX_NAME_LENGTH, parse_schema
from embargo.model.values import country_code, parse_birth_date

FORMATS = ("csv", "xlsx", "parquet", "jsonl")
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
MULTI_SEPARATOR = ";"  # several countries or ids in one cell: "ru; by"
MAX_SHOWN_VALUE = 200  # characters of a bad value quoted back in an error message
_CSV_FIELD_LIMIT = 64 * 1024 * 1024  # a 10 MB name is a bad row, not an unreadable file
_DELIMITERS = (",", ";", "\t", "|")
_BLOCK = 1024 * 1024


class BatchError(EmbargoError):
    """A batch run cannot go on (bad input file, output problem, resume refused)."""


class InputFileError(BatchError):
    """The input file as a whole cannot be read; names the file, the place and the reason."""

    def __init__(self, path: Path | str, reason: str, *, line: int | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        self.line = line
        where = self.path if line is None else f"{self.path}, line {line}"
        super().__init__(f"{where}: {reason}")


class MissingColumnError(InputFileError):
    """A mapped column is not in the file."""

    def __init__(self, path: Path | str, column: str, role: str, available: Sequence[str]) -> None:
        self.column = column
        self.role = role
        self.available = list(available)
        shown = ", ".join(repr(c) for c in self.available[:50]) or "none"
        if len(self.available) > 50:
            shown += f", ... ({len(self.available)} in all)"
        super().__init__(
            path,
            f"no column {column!r} for the {role.replace('_', ' ')} (--{role.replace('_', '-')}"
            f"-column); the file's columns are: {shown}",
        )


# -- the column mapping --------------------------------------------------------------------

_MAPPING_KEYS = {
    "ref": "ref",
    "reference": "ref",
    "name": "name",
    "birth_date": "birth_date",
    "birthdate": "birth_date",
    "dob": "birth_date",
    "country": "country",
    "countries": "country",
    "id": "id",
    "identifier": "id",
    "schema": "schema",
    "default_schema": "default_schema",
}


@dataclass(frozen=True)
class ColumnMapping:
    """Which column of the input holds which part of the query (None: not in the file)."""

    ref: str | None = None
    name: str = "name"
    birth_date: str | None = None
    country: str | None = None
    id: str | None = None
    schema: str | None = None
    default_schema: str = "LegalEntity"

    def __post_init__(self) -> None:
        if not self.name or not self.name.strip():
            raise BatchError("column mapping: the name column must be given")
        try:
            parse_schema(self.default_schema)
        except QueryError as exc:
            raise BatchError(f"column mapping: default schema: {exc}") from None

    @property
    def columns(self) -> dict[str, str]:
        """The mapped fields and their column names, name first."""
        out = {"name": self.name}
        for key in ("ref", "birth_date", "country", "id", "schema"):
            value = getattr(self, key)
            if value:
                out[key] = value
        return out

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)

    @classmethod
    def from_file(cls, path: Path) -> ColumnMapping:
        """Read a mapping file: a JSON object, or ``key: value`` lines (YAML-like).

        Keys: ``ref``, ``name``, ``birth_date``, ``country``, ``id``, ``schema`` (column names)
        and ``default_schema``; ``birthDate``/``birth-date`` spellings are accepted too.
        """
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise BatchError(f"{path}: cannot read the mapping file: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise BatchError(f"{path}: the mapping file is not UTF-8 (byte {exc.start})") from None
        data = _parse_mapping_text(path, text)
        values: dict[str, str | None] = {}
        for raw_key, value in data.items():
            key = _MAPPING_KEYS.get(re.sub(r"[\s_-]", "_", _snake(str(raw_key))).lower())
            if key is None:
                raise BatchError(
                    f"{path}: unknown key {raw_key!r}; use ref, name, birth_date, country, id, "
                    "schema, default_schema"
                )
            if value is not None and not isinstance(value, str):
                raise BatchError(f"{path}: {raw_key!r} must be a column name (a string)")
            values[key] = value.strip() if isinstance(value, str) and value.strip() else None
        name = values.pop("name", None) or "name"
        default_schema = values.pop("default_schema", None) or "LegalEntity"
        return cls(name=name, default_schema=default_schema, **values)


def _snake(text: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", text.strip())


def _parse_mapping_text(path: Path, text: str) -> dict[str, Any]:
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise BatchError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise BatchError(f"{path}: the mapping must be a JSON object")
        return data
    out: dict[str, Any] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        key, sep, value = content.partition(":")
        if not sep or not key.strip():
            raise BatchError(f"{path}: line {lineno}: expected 'key: column name', got {line!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key.strip()] = value or None
    return out


# -- rows -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputRow:
    row: int  # the row number as the user sees it (see the module docstring)
    ref: str | None  # the row's own reference, carried to the output
    query: dict[str, Any] | None  # a FollowTheMoney-style query, or None when the row is bad
    error: str | None  # why the row is bad ("row 17: empty name"), or None
    values: dict[str, str] = field(default_factory=dict)  # the mapped raw values, by field

    @property
    def name(self) -> str:
        return self.values.get("name", "")


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(MULTI_SEPARATOR) if v.strip()]


def _shown(value: str) -> str:
    if len(value) <= MAX_SHOWN_VALUE:
        return repr(value)
    return repr(value[:MAX_SHOWN_VALUE]) + "..."


def build_row(row: int, values: dict[str, str], mapping: ColumnMapping) -> InputRow:
    """Turn one row's mapped values into a query, or say why it cannot be screened."""
    ref = values.get("ref") or None
    problem = _row_problem(values, mapping)
    if problem is not None:
        return InputRow(row, ref, None, f"row {row}: {problem}", values)
    props: dict[str, list[str]] = {"name": [values["name"]]}
    if values.get("birth_date"):
        props["birthDate"] = _split(values["birth_date"])
    if values.get("country"):
        props["country"] = _split(values["country"])
    if values.get("id"):
        props["idNumber"] = _split(values["id"])
    schema = values.get("schema") or mapping.default_schema
    return InputRow(row, ref, {"schema": schema, "properties": props}, None, values)


def _row_problem(values: dict[str, str], mapping: ColumnMapping) -> str | None:
    name = values.get("name", "")
    if not name:
        return "empty name"
    if len(name) > MAX_NAME_LENGTH:
        return f"the name is {len(name):,} characters long; the limit is {MAX_NAME_LENGTH}"
    if not any(ch.isalnum() for ch in name):
        return f"the name {_shown(name)} has no letters or digits"
    schema = values.get("schema")
    if schema:
        try:
            parse_schema(schema)
        except QueryError:
            return (
                f"unknown schema {_shown(schema)}; use Person, Organization, Company, Vessel, "
                "Aircraft or LegalEntity"
            )
    for text in _split(values.get("birth_date", "")):
        parsed = parse_birth_date(text)
        if parsed is None or parsed.year is None:
            return f"birth date {_shown(text)} is not a date (use YYYY-MM-DD, DD/MM/YYYY or YYYY)"
    for text in _split(values.get("country", "")):
        if country_code(text) is None:
            return f"country {_shown(text)} is not a country name or code"
    if len(_split(values.get("id", ""))) > 50:
        return "more than 50 identifiers in one cell"
    return None


def _cell_text(value: object) -> str:
    """A cell value as text: dates as ISO dates, whole numbers without a trailing ``.0``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    if isinstance(value, list | tuple):
        return "; ".join(t for t in (_cell_text(v) for v in value) if t)
    return str(value).strip()


# -- formats ----------------------------------------------------------------------------------


def detect_format(path: Path) -> str:
    """``csv``, ``xlsx``, ``parquet`` or ``jsonl``: binary formats by their magic bytes, then
    the extension, then the first character of a text file."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except FileNotFoundError:
        raise InputFileError(path, "no such file") from None
    except IsADirectoryError:
        raise InputFileError(path, "is a folder, not a file") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot be read: {exc.strerror}") from None
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputFileError(
            path, "is an old binary Excel (.xls) file; save it as .xlsx or CSV (UTF-8)"
        )
    suffix = path.suffix.lower()
    if suffix in (".xls",):
        raise InputFileError(path, "old .xls files are not read; save it as .xlsx or CSV (UTF-8)")
    by_ext = EXTENSIONS.get(suffix)
    if by_ext in ("xlsx", "parquet"):
        kind = "an Excel workbook" if by_ext == "xlsx" else "a Parquet file"
        raise InputFileError(path, f"the name says {kind} but the content is not one")
    if by_ext is not None:
        return by_ext
    text = head.lstrip(codecs.BOM_UTF8).lstrip()
    return "jsonl" if text.startswith(b"{") else "csv"


def output_format(path: Path) -> str:
    """The format to write, from the output file's extension."""
    found = EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise BatchError(
            f"{path}: cannot tell the output format from the extension {path.suffix!r}; "
            "use .csv, .xlsx, .parquet or .jsonl"
        )
    return found


def read_rows(
    path: Path, mapping: ColumnMapping, *, format: str | None = None, start: int = 0
) -> Iterator[InputRow]:
    """The rows of ``path`` as queries, in file order, bad rows included (with ``error`` set).

    ``start`` skips that many rows (as counted by this function, bad rows included, blank
    lines not) without building them: a resumed batch continues where it stopped.
    Raises ``InputFileError`` (``MissingColumnError``) for a file that cannot be read at all.
    """
    fmt = format or detect_format(path)
    if fmt not in FORMATS:
        raise BatchError(f"unknown input format {fmt!r}; use one of {', '.join(FORMATS)}")
    readers = {
        "csv": _read_csv,
        "xlsx": _read_xlsx,
        "parquet": _read_parquet,
        "jsonl": _read_jsonl,
    }
    return readers[fmt](path, mapping, start)


def estimate_rows(path: Path, format: str | None = None) -> int | None:
    """About how many rows ``read_rows`` will give (for a progress bar), cheaply; None if unknown."""
    fmt = format or detect_format(path)
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(path).metadata.num_rows)
        if fmt == "xlsx":
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True)
            try:
                ws = wb.worksheets[0]
                return max((ws.max_row or 1) - 1, 0)
            finally:
                wb.close()
        lines = 0
        last = b"\n"
        with path.open("rb") as fh:
            while block := fh.read(_BLOCK):
                lines += block.count(b"\n")
                last = block[-1:]
        if last != b"\n":
            lines += 1
        return max(lines - 1, 0) if fmt == "csv" else lines
    except Exception:  # only an estimate: the reader itself reports what is wrong
        return None


def check_utf8(path: Path) -> bool:
    """Raise ``InputFileError`` at the first byte that is not UTF-8; True if the file has a BOM.

    Reading the whole file once costs well under a second per 100 MB and means a
    wrongly-encoded file is refused before anything is screened.
    """
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset = 0
    lines = 1
    bom = False
    with path.open("rb") as fh:
        first = True
        while True:
            block = fh.read(_BLOCK)
            if first:
                first = False
                if block.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                    raise InputFileError(
                        path,
                        "is UTF-16 text; save it as UTF-8 (in Excel: 'CSV UTF-8') and run again",
                    )
                bom = block.startswith(codecs.BOM_UTF8)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                # The decoder may hold back up to 3 bytes of an incomplete sequence.
                pos = max(offset + exc.start - len(exc.object) + len(block), offset)
                bad = block[pos - offset : pos - offset + 1]
                line = lines + block[: pos - offset].count(b"\n")
                raise InputFileError(
                    path,
                    f"not UTF-8 text: byte 0x{bad.hex() or '??'} at byte offset {pos:,} "
                    f"({exc.reason}). Save the file as UTF-8 (in Excel: 'CSV UTF-8') and run "
                    "again; nothing was screened",
                    line=line,
                ) from None
            if not block:
                return bom
            lines += block.count(b"\n")
            offset += len(block)


def _resolve_columns(path: Path, header: Sequence[str], mapping: ColumnMapping) -> dict[str, int]:
    """The position of each mapped column: exact name first, then ignoring case and spaces."""
    exact: dict[str, int] = {}
    loose: dict[str, int] = {}
    for i, col in enumerate(header):
        exact.setdefault(col, i)
        loose.setdefault(col.strip().casefold(), i)
    found = {}
    for key, column in mapping.columns.items():
        pos = exact.get(column)
        if pos is None:
            pos = loose.get(column.strip().casefold())
        if pos is None:
            raise MissingColumnError(path, column, key, [c for c in header if c])
        found[key] = pos
    return found


def _values_at(cells: Sequence[object], columns: dict[str, int]) -> dict[str, str]:
    n = len(cells)
    return {key: (_cell_text(cells[pos]) if pos < n else "") for key, pos in columns.items()}


# CSV


def _sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the header and the next lines into the same, largest number
    of fields."""
    if not lines:
        return ","
    best, best_key = ",", (-1, -1)
    for delim in _DELIMITERS:
        try:
            rows = list(csv.reader(lines, delimiter=delim))
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        consistent = sum(1 for r in rows[1:] if len(r) == width)
        key = (consistent, width)
        if key > best_key:
            best, best_key = delim, key
    return best


def _read_csv(path: Path, mapping: ColumnMapping, start: int) -> Iterator[InputRow]:
    bom = check_utf8(path)
    if path.stat().st_size == 0:
        raise InputFileError(path, "is empty; expected a header line naming the columns")
    encoding = "utf-8-sig" if bom else "utf-8"
    if path.suffix.lower() == ".tsv":
        delimiter = "\t"
    else:
        with path.open("r", encoding=encoding, newline="") as fh:
            delimiter = _sniff_delimiter(_head_lines(fh, 20))
    with path.open("r", encoding=encoding, newline="") as fh:
        yield from _csv_rows(path, fh, mapping, start, delimiter)


def _head_lines(fh: IO[str], n: int) -> list[str]:
    lines = []
    for line in fh:
        if line.strip():
            lines.append(line)
        if len(lines) >= n:
            break
    return lines


def _csv_rows(
    path: Path, fh: IO[str], mapping: ColumnMapping, start: int, delimiter: str
) -> Iterator[InputRow]:
    old_limit = csv.field_size_limit(_CSV_FIELD_LIMIT)
    try:
        reader = csv.reader(fh, delimiter=delimiter, strict=False)
        header: list[str] | None = None
        line_end = 0
        try:
            for cells in reader:
                first_line = line_end + 1
                line_end = reader.line_num
                if not any(c.strip() for c in cells):
                    continue
                header = [c.strip() for c in cells]
                break
            if header is None:
                raise InputFileError(path, "has no header line naming the columns")
            columns = _resolve_columns(path, header, mapping)
            width = len(header)
            index = 0
            for cells in reader:
                first_line = line_end + 1
                line_end = reader.line_num
                if not any(c.strip() for c in cells):
                    continue  # blank lines (and Excel's trailing ",,,") are not rows
                index += 1
                if index <= start:
                    continue
                if len(cells) != width:
                    yield InputRow(
                        first_line,
                        None,
                        None,
                        f"row {first_line}: {len(cells)} fields where the header has {width} "
                        "(a delimiter inside an unquoted value?)",
                        _values_at(cells, columns),
                    )
                    continue
                yield build_row(first_line, _values_at(cells, columns), mapping)
        except csv.Error as exc:
            raise InputFileError(path, f"malformed CSV: {exc}", line=line_end + 1) from None
    finally:
        csv.field_size_limit(old_limit)


# XLSX


def _read_xlsx(path: Path, mapping: ColumnMapping, start: int) -> Iterator[InputRow]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputFileError(path, f"not a readable Excel (.xlsx) workbook: {exc}") from None
    try:
        if not wb.worksheets:
            raise InputFileError(path, "the workbook has no worksheet")
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header: list[str] | None = None
        rownum = 0
        for cells in rows:
            rownum += 1
            if cells and any(c is not None and str(c).strip() for c in cells):
                header = [_cell_text(c) for c in cells]
                break
        if header is None:
            raise InputFileError(path, f"the sheet {ws.title!r} is empty; expected a header row")
        columns = _resolve_columns(path, header, mapping)
        index = 0
        for cells in rows:
            rownum += 1
            if not cells or all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                continue
            index += 1
            if index <= start:
                continue
            yield build_row(rownum, _values_at(cells, columns), mapping)
    finally:
        wb.close()


# Parquet


def _read_parquet(path: Path, mapping: ColumnMapping, start: int) -> Iterator[InputRow]:
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        raise BatchError("reading Parquet needs pyarrow: pip install pyarrow") from None
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises its own ArrowInvalid / OSError types
        raise InputFileError(path, f"not a readable Parquet file: {exc}") from None
    header = list(pf.schema_arrow.names)
    columns = _resolve_columns(path, header, mapping)
    wanted = sorted(set(columns.values()))
    names = [header[i] for i in wanted]
    local = {key: wanted.index(pos) for key, pos in columns.items()}
    seen = 0
    try:
        for batch in pf.iter_batches(batch_size=8192, columns=names):
            n = batch.num_rows
            if seen + n <= start:
                seen += n
                continue
            skip = max(start - seen, 0)
            cols = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            for i in range(skip, n):
                cells = [c[i] for c in cols]
                yield build_row(seen + i + 1, _values_at(cells, local), mapping)
            seen += n
    except OSError as exc:
        raise InputFileError(path, f"the Parquet file is damaged: {exc}") from None


# JSON lines


def _read_jsonl(path: Path, mapping: ColumnMapping, start: int) -> Iterator[InputRow]:
    bom = check_utf8(path)
    encoding = "utf-8-sig" if bom else "utf-8"
    _check_jsonl_keys(path, mapping, encoding)
    columns = mapping.columns
    index = 0
    with path.open("r", encoding=encoding, newline="\n") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            index += 1
            if index <= start:
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield InputRow(lineno, None, None, f"row {lineno}: not valid JSON ({exc.msg})", {})
                continue
            if not isinstance(obj, dict):
                yield InputRow(lineno, None, None, f"row {lineno}: not a JSON object", {})
                continue
            values = {key: _cell_text(_lookup(obj, col)) for key, col in columns.items()}
            yield build_row(lineno, values, mapping)


def _lookup(obj: Mapping[str, Any], column: str) -> object:
    if column in obj:
        return obj[column]
    folded = column.strip().casefold()
    for key, value in obj.items():
        if isinstance(key, str) and key.strip().casefold() == folded:
            return value
    return None


def _check_jsonl_keys(path: Path, mapping: ColumnMapping, encoding: str) -> None:
    """Refuse a mapped key that appears in none of the first 100 objects (a typo in the
    mapping, not a sparse optional field)."""
    keys: dict[str, None] = {}
    seen = 0
    with path.open("r", encoding=encoding) as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                keys.update(dict.fromkeys(k for k in obj if isinstance(k, str)))
                seen += 1
            if seen >= 100:
                break
    if seen == 0:
        raise InputFileError(path, "has no JSON object lines to read")
    folded = {k.strip().casefold() for k in keys}
    for key, column in mapping.columns.items():
        if column not in keys and column.strip().casefold() not in folded:
            raise MissingColumnError(path, column, key, list(keys))
