"""Reading party files: formats, column mapping, row numbers, bad rows, bad files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from embargo.batch.io import (
    BatchError,
    ColumnMapping,
    InputFileError,
    InputRow,
    MissingColumnError,
    detect_format,
    estimate_rows,
    read_rows,
)
from embargo.errors import EmbargoError

MAPPING = ColumnMapping(
    ref="customer_id", name="full_name", birth_date="dob", country="nationality", id="passport"
)


def rows(path: Path, mapping: ColumnMapping = MAPPING, **kw: object) -> list[InputRow]:
    return list(read_rows(path, mapping, **kw))  # type: ignore[arg-type]


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


CSV_TEXT = (
    "customer_id;full_name;dob;nationality;passport;notes\n"
    "C1;Vladimir Putin;1952-10-07;ru;;vip\n"
    "\n"
    'C2;Rosoboronexport;;"ru; by";;\n'
    'C3;"Smith;\nJohn";07/10/1952;;"P123; P456";\n'
    "C4;Maria Garcia;1960;Spain;;\n"
)


def test_csv_semicolon_rows_and_queries(tmp_path: Path) -> None:
    got = rows(write(tmp_path / "parties.csv", CSV_TEXT))
    assert [r.row for r in got] == [2, 4, 5, 7]  # lines as in an editor; blank line skipped
    assert [r.ref for r in got] == ["C1", "C2", "C3", "C4"]
    assert all(r.error is None for r in got)
    assert got[0].query == {
        "schema": "LegalEntity",
        "properties": {"name": ["Vladimir Putin"], "birthDate": ["1952-10-07"], "country": ["ru"]},
    }
    assert got[1].query is not None and got[1].query["properties"]["country"] == ["ru", "by"]
    assert got[2].query is not None
    assert got[2].query["properties"]["name"] == ["Smith;\nJohn"]
    assert got[2].query["properties"]["idNumber"] == ["P123", "P456"]
    assert got[3].values == {
        "name": "Maria Garcia",
        "ref": "C4",
        "birth_date": "1960",
        "country": "Spain",
        "id": "",
    }


def test_csv_comma_tab_and_bom(tmp_path: Path) -> None:
    comma = write(tmp_path / "a.csv", '\ufeffname,country\n"Putin, Vladimir",ru\nAcme,\n')
    got = rows(comma, ColumnMapping(country="country"))
    assert [r.values["name"] for r in got] == ["Putin, Vladimir", "Acme"]
    tab = write(tmp_path / "b.txt", "Name\tCountry\nAcme Ltd\tgb\n")
    (row,) = rows(tab, ColumnMapping(country="country"))  # column names matched ignoring case
    assert row.query == {
        "schema": "LegalEntity",
        "properties": {"name": ["Acme Ltd"], "country": ["gb"]},
    }


def test_single_column_csv_with_unquoted_comma_is_a_bad_row(tmp_path: Path) -> None:
    path = write(tmp_path / "names.csv", "name\nAcme Ltd\nSmith, John\n")
    good, bad = rows(path, ColumnMapping())
    assert good.error is None
    assert bad.query is None and bad.error is not None
    assert bad.error.startswith("row 3: 2 fields where the header has 1")


def test_bad_rows_reported_with_row_numbers(tmp_path: Path) -> None:
    long_name = "A" * 10_000
    text = (
        "ref,name,dob,schema,country\n"
        "r1,,,,\n"
        f"r2,{long_name},,,\n"
        "r3,Jane Doe,31/02/19xx,,\n"
        "r4,Jane Doe,,Spaceship,\n"
        "r5,Jane Doe,,,Narnia\n"
        "r6,!!!,,,\n"
        "r7,Jane Doe,1980-05-01,person,fr\n"
        "r8,Jane Doe,too,many,fields,here\n"
    )
    mapping = ColumnMapping(ref="ref", birth_date="dob", schema="schema", country="country")
    got = rows(write(tmp_path / "bad.csv", text), mapping)
    errors = {r.ref: r.error for r in got}
    assert errors["r1"] == "row 2: empty name"
    assert errors["r2"] == "row 3: the name is 10,000 characters long; the limit is 500"
    assert errors["r3"] is not None and errors["r3"].startswith(
        "row 4: birth date '31/02/19xx' is not a date"
    )
    assert errors["r4"] is not None and errors["r4"].startswith("row 5: unknown schema 'Spaceship'")
    assert errors["r5"] == "row 6: country 'Narnia' is not a country name or code"
    assert errors["r6"] == "row 7: the name '!!!' has no letters or digits"
    assert errors["r7"] is None
    ok = next(r for r in got if r.ref == "r7")
    assert ok.query is not None and ok.query["schema"] == "person"
    assert [r.ref for r in got][-1] is None  # the broken row's ref cannot be trusted
    assert got[-1].error is not None and got[-1].error.startswith("row 9: 6 fields")
    assert len(got) == 8  # nothing dropped


def test_ten_megabyte_name_is_a_bad_row_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text("name\n" + "B" * (10 * 1024 * 1024) + "\nAcme\n", encoding="utf-8")
    big, small = rows(path, ColumnMapping())
    assert big.error == "row 2: the name is 10,485,760 characters long; the limit is 500"
    assert small.error is None and small.row == 3


def test_wrong_encoding_refused_with_line_and_byte(tmp_path: Path) -> None:
    text = "name,country\nAcme,gb\nJürgen Müller,de\n"
    path = write(tmp_path / "latin1.csv", text, "cp1252")
    with pytest.raises(InputFileError) as err:
        rows(path, ColumnMapping(country="country"))
    message = str(err.value)
    assert str(path) in message and "line 3" in message
    assert "byte 0xfc at byte offset 22" in message and "UTF-8" in message
    assert err.value.line == 3 and isinstance(err.value, EmbargoError)
    utf16 = write(tmp_path / "utf16.csv", "\ufeff" + text, "utf-16-le")
    with pytest.raises(InputFileError, match="UTF-16"):
        rows(utf16, ColumnMapping())


def test_missing_column_names_it_and_the_columns_that_exist(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "id,full_name\n1,Acme\n")
    with pytest.raises(MissingColumnError) as err:
        rows(path, ColumnMapping(name="full_name", birth_date="dob"))
    assert err.value.column == "dob" and err.value.available == ["id", "full_name"]
    assert "no column 'dob' for the birth date" in str(err.value)
    assert "'id', 'full_name'" in str(err.value) and str(path) in str(err.value)
    with pytest.raises(MissingColumnError, match="no column 'name'"):
        rows(path, ColumnMapping())


def test_empty_and_headerless_files(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="empty"):
        rows(write(tmp_path / "e.csv", ""), ColumnMapping())
    with pytest.raises(InputFileError, match="no header"):
        rows(write(tmp_path / "blank.csv", "\n\n"), ColumnMapping())


def test_start_skips_rows_already_done(tmp_path: Path) -> None:
    path = write(tmp_path / "parties.csv", CSV_TEXT)
    full = rows(path)
    assert rows(path, start=2) == full[2:]
    assert rows(path, start=10) == []


def test_xlsx(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["customer_id", "full_name", "dob", "nationality", "passport"])
    ws.append([101, "Vladimir Putin", dt.datetime(1952, 10, 7), "Russia", 123456])
    ws.append([None, None, None, None, None])
    ws.append([102, "", None, None, None])
    ws.append([103, "Acme Ltd", None, "gb; ie", "X-1"])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    assert detect_format(path) == "xlsx"
    got = rows(path)
    assert [r.row for r in got] == [2, 4, 5]
    assert got[0].ref == "101"
    assert got[0].values["birth_date"] == "1952-10-07" and got[0].values["id"] == "123456"
    assert got[1].error == "row 4: empty name"
    assert got[2].query is not None and got[2].query["properties"]["country"] == ["gb", "ie"]
    assert rows(path, start=1) == got[1:]
    assert estimate_rows(path) == 4
    with pytest.raises(MissingColumnError, match="'customer_id', 'full_name'"):
        rows(path, ColumnMapping(name="nom"))


def test_parquet(tmp_path: Path) -> None:
    table = pa.table(
        {
            "full_name": ["Vladimir Putin", None, "Acme Ltd"],
            "customer_id": [1, 2, 3],
            "dob": [dt.date(1952, 10, 7), None, None],
            "nationality": [["ru"], None, ["gb", "ie"]],
            "passport": [None, None, "X-1"],
        }
    )
    path = tmp_path / "parties.parquet"
    pq.write_table(table, path, row_group_size=2)
    assert detect_format(path) == "parquet"
    got = rows(path)
    assert [r.row for r in got] == [1, 2, 3]
    assert got[0].values["birth_date"] == "1952-10-07" and got[0].ref == "1"
    assert got[1].error == "row 2: empty name"
    assert got[2].query is not None and got[2].query["properties"]["country"] == ["gb", "ie"]
    assert rows(path, start=2) == got[2:]
    with pytest.raises(MissingColumnError, match="'full_name', 'customer_id'"):
        rows(path, ColumnMapping())


def test_jsonl(tmp_path: Path) -> None:
    lines = [
        json.dumps({"customer_id": "a", "full_name": "Vladimir Putin", "nationality": ["ru"]}),
        "",
        "{not json",
        json.dumps({"customer_id": "b", "full_name": "Acme", "passport": 42}),
        json.dumps(["a list"]),
    ]
    path = write(tmp_path / "parties.jsonl", "\n".join(lines) + "\n")
    mapping = dataclasses.replace(MAPPING, birth_date=None)
    got = rows(path, mapping)
    assert [r.row for r in got] == [1, 3, 4, 5]
    assert got[0].query is not None and got[0].query["properties"]["country"] == ["ru"]
    assert got[1].error is not None and got[1].error.startswith("row 3: not valid JSON")
    assert got[2].values == {"name": "Acme", "ref": "b", "country": "", "id": "42"}
    assert got[3].error == "row 5: not a JSON object"
    assert rows(path, mapping, start=2) == got[2:]
    with pytest.raises(MissingColumnError, match="no column 'dob'"):
        rows(path)
    with pytest.raises(MissingColumnError, match="no column 'name'"):
        rows(path, ColumnMapping())


def test_detect_format(tmp_path: Path) -> None:
    assert detect_format(write(tmp_path / "x.data", '{"name": "a"}\n')) == "jsonl"
    assert detect_format(write(tmp_path / "y.data", "name\nAcme\n")) == "csv"
    assert detect_format(write(tmp_path / "z.ndjson", "")) == "jsonl"
    with pytest.raises(InputFileError, match="not one"):
        detect_format(write(tmp_path / "fake.xlsx", "name\nAcme\n"))
    with pytest.raises(InputFileError, match="xls"):
        detect_format(
            tmp_path.joinpath("old.xls").write_bytes(b"\xd0\xcf\x11\xe0rest")
            and (tmp_path / "old.xls")
        )
    with pytest.raises(InputFileError, match="no such file"):
        detect_format(tmp_path / "missing.csv")


def test_mapping_file_json_and_key_value(tmp_path: Path) -> None:
    js = write(
        tmp_path / "m.json",
        json.dumps(
            {
                "ref": "customer_id",
                "name": "full_name",
                "birthDate": "dob",
                "default_schema": "Person",
            }
        ),
    )
    m = ColumnMapping.from_file(js)
    assert m == ColumnMapping(
        ref="customer_id", name="full_name", birth_date="dob", default_schema="Person"
    )
    kv = write(tmp_path / "m.yaml", "# our export\nref: customer_id\nname: 'Full Name'\ncountry:\n")
    assert ColumnMapping.from_file(kv) == ColumnMapping(ref="customer_id", name="Full Name")
    with pytest.raises(BatchError, match="unknown key 'colour'"):
        ColumnMapping.from_file(write(tmp_path / "bad.json", '{"colour": "x"}'))
    with pytest.raises(BatchError, match="line 1"):
        ColumnMapping.from_file(write(tmp_path / "broken.json", '{"name": '))
    with pytest.raises(BatchError, match="unknown schema"):
        ColumnMapping(default_schema="Spaceship")
