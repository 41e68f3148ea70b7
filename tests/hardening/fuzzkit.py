"""Seeds, mutations and a runner for fuzzing the list parsers.

Used by ``tests/hardening/test_fuzz_parsers.py`` (hypothesis, and a fast bulk run of at least
10,000 inputs per format) and by ``bench/fuzz.py`` (the long nightly-style run).

A *seed* is a small, valid input of one format, cut from the hand-written fixtures under
``tests/fixtures/sources/`` (one record per seed, so each parse is cheap and mutations reach
deep into a record); the spreadsheet formats are built in memory from the CSV fixtures. A
*mutation* turns a seed into a hostile input: bytes flipped, cut, inserted or duplicated;
lines or CSV rows, XML elements and JSON values deleted, duplicated or replaced by odd
values; the text re-encoded; deep nesting; huge values. Every input is reproducible from
``(base seed, format, index)``.

The contract checked (``check_case``): ``parse_input`` — what ``embargo update --from`` runs —
either returns entities that can be stored (``entity_to_json``), or raises an
``EmbargoError`` (in practice ``ParseError``); and every format's ``sniff`` returns a
source name or None. Anything else is a failure, reported with the input.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import random
import re
import resource
import shutil
import signal
import time
import traceback
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import FrameType
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

from embargo.errors import EmbargoError
from embargo.model import entity_to_json
from embargo.settings import Settings
from embargo.sources.base import FormatSpec, read_head
from embargo.sources.registry import formats as _formats
from embargo.update import ListInput, parse_input

formats = cache(_formats)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sources"
SETTINGS = Settings(max_download_bytes=64 * 1024 * 1024)

# A hang is an input that takes this long; the slowest input is reported either way.
HANG_SECONDS = 20.0
# Every format's sniff is tried on one input in this many (on all of them, in the others the
# input's own format's): sniffing is a third of the cost of an input.
SNIFF_EVERY = 8


# -- seeds ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seed:
    """One small valid input of a format.

    ``files`` holds the file set as written to disk (the primary file first); for the
    spreadsheet formats ``members`` holds the archive's members, which mutations edit
    before the archive is zipped again.
    """

    format: str
    source: str
    kind: str  # xml | csv | json | jsonl | zip
    primary: str
    files: tuple[tuple[str, bytes], ...]
    members: tuple[tuple[str, bytes], ...] = ()
    label: str = ""

    @property
    def data(self) -> bytes:
        return self.files[0][1]


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def xml_records(data: bytes, tags: set[str]) -> list[bytes]:
    """The document once per record, keeping that record alone (and everything else)."""
    root = etree.fromstring(data)
    records = [el for el in root.iter() if _local(el.tag) in tags]
    out = []
    for keep in range(len(records)):
        copy = etree.fromstring(data)
        found = [el for el in copy.iter() if _local(el.tag) in tags]
        for i, el in enumerate(found):
            if i != keep:
                parent = el.getparent()
                assert parent is not None
                parent.remove(el)
        out.append(etree.tostring(copy, xml_declaration=True, encoding="UTF-8"))
    return out


def csv_windows(data: bytes, header_lines: int, size: int) -> list[bytes]:
    """The header with each window of ``size`` data rows (rows kept whole, quotes and all)."""
    text = data.decode("utf-8-sig")
    newline = "\r\n" if "\r\n" in text else "\n"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    head, body = rows[:header_lines], [r for r in rows[header_lines:] if any(r)]
    out = []
    for start in range(0, len(body), size):
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, lineterminator=newline)
        writer.writerows(head + body[start : start + size])
        out.append(buf.getvalue().encode("utf-8"))
    return out


def jsonl_windows(data: bytes, size: int) -> list[bytes]:
    lines = [ln for ln in data.splitlines(keepends=True) if ln.strip()]
    return [b"".join(lines[i : i + size]) for i in range(0, len(lines), size)]


def _zip(members: Sequence[tuple[str, bytes]], *, stored: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, content in members:
            kind = zipfile.ZIP_STORED if stored or name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, content, compress_type=kind, compresslevel=1)
    return buf.getvalue()


ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_ODS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
    "<office:body><office:spreadsheet>"
)


def ods_content(rows: Sequence[Sequence[str]]) -> bytes:
    out = io.StringIO()
    out.write(_ODS_HEAD + '<table:table table:name="Sheet1">')
    for row in rows:
        out.write("<table:table-row>")
        for value in row:
            if value:
                out.write(
                    '<table:table-cell office:value-type="string">'
                    f"<text:p>{escape(value)}</text:p></table:table-cell>"
                )
            else:
                out.write("<table:table-cell/>")
        out.write('<table:table-cell table:number-columns-repeated="1000"/></table:table-row>')
    out.write("</table:table></office:spreadsheet></office:body></office:document-content>")
    return out.getvalue().encode("utf-8")


def ods_members(content: bytes) -> tuple[tuple[str, bytes], ...]:
    return (
        ("mimetype", ODS_MIME),
        ("META-INF/manifest.xml", b"<manifest:manifest/>"),
        ("content.xml", content),
    )


def xlsx_members(rows: Sequence[Sequence[str]]) -> tuple[tuple[str, bytes], ...]:
    """A minimal workbook (inline strings, no styles), as small as openpyxl reads."""

    def col(i: int) -> str:
        name = ""
        i += 1
        while i:
            i, r = divmod(i - 1, 26)
            name = chr(65 + r) + name
        return name

    sheet = io.StringIO()
    sheet.write(
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    )
    for r, row in enumerate(rows, start=1):
        sheet.write(f'<row r="{r}">')
        for c, value in enumerate(row):
            if value:
                sheet.write(f'<c r="{col(c)}{r}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
        sheet.write("</row>")
    sheet.write("</sheetData></worksheet>")
    ns = "http://schemas.openxmlformats.org"
    return (
        (
            "[Content_Types].xml",
            (
                '<?xml version="1.0" encoding="UTF-8"?>'
                f'<Types xmlns="{ns}/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
                'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
                'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
            ).encode(),
        ),
        (
            "_rels/.rels",
            (
                '<?xml version="1.0" encoding="UTF-8"?>'
                f'<Relationships xmlns="{ns}/package/2006/relationships">'
                f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/'
                'officeDocument" Target="xl/workbook.xml"/></Relationships>'
            ).encode(),
        ),
        (
            "xl/workbook.xml",
            (
                '<?xml version="1.0" encoding="UTF-8"?>'
                f'<workbook xmlns="{ns}/spreadsheetml/2006/main" '
                f'xmlns:r="{ns}/officeDocument/2006/relationships">'
                '<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>'
            ).encode(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            (
                '<?xml version="1.0" encoding="UTF-8"?>'
                f'<Relationships xmlns="{ns}/package/2006/relationships">'
                f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/'
                'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
            ).encode(),
        ),
        ("xl/worksheets/sheet1.xml", sheet.getvalue().encode("utf-8")),
    )


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [r for r in csv.reader(fh) if any(r)]


def _single(fmt: str, source: str, kind: str, name: str, blobs: Sequence[bytes]) -> list[Seed]:
    return [
        Seed(fmt, source, kind, name, ((name, b),), label=f"{name}#{i}")
        for i, b in enumerate(blobs)
    ]


@cache
def seeds() -> dict[str, list[Seed]]:
    """Every registered format's seeds (built once per process)."""
    f = FIXTURES
    out: dict[str, list[Seed]] = {}

    def add(items: list[Seed]) -> None:
        for s in items:
            out.setdefault(s.format, []).append(s)

    add(
        _single(
            "ofac-xml",
            "us_ofac_sdn",
            "xml",
            "sdn.xml",
            xml_records((f / "ofac_xml/sdn.xml").read_bytes(), {"sdnEntry"}),
        )
    )
    add(
        _single(
            "ofac-advanced-xml",
            "us_ofac_sdn",
            "xml",
            "sdn_advanced.xml",
            xml_records(
                (f / "ofac_advanced/sdn_advanced.xml").read_bytes(),
                {"DistinctParty"},
            ),
        )
    )
    add(
        _single(
            "ofac-enhanced-xml",
            "us_ofac_sdn",
            "xml",
            "sdn_enhanced.xml",
            xml_records((f / "ofac_enhanced/sdn_enhanced.xml").read_bytes(), {"entity"}),
        )
    )
    add(
        _single(
            "eu-fsf-xml",
            "eu_fsf",
            "xml",
            "eu_fsf.xml",
            xml_records((f / "eu_fsf/eu_fsf.xml").read_bytes(), {"sanctionEntity"}),
        )
    )
    add(
        _single(
            "un-sc-xml",
            "un_sc",
            "xml",
            "un_consolidated.xml",
            xml_records((f / "un_sc/un_consolidated.xml").read_bytes(), {"INDIVIDUAL", "ENTITY"}),
        )
    )
    add(
        _single(
            "uk-fcdo-xml",
            "gb_fcdo",
            "xml",
            "UK-Sanctions-List.xml",
            xml_records((f / "uk_fcdo/UK-Sanctions-List.xml").read_bytes(), {"Designation"}),
        )
    )
    add(
        _single(
            "uk-fcdo-csv",
            "gb_fcdo",
            "csv",
            "UK-Sanctions-List.csv",
            csv_windows((f / "uk_fcdo/UK-Sanctions-List.csv").read_bytes(), 2, 3),
        )
    )
    add(
        _single(
            "uk-ofsi-csv",
            "gb_ofsi",
            "csv",
            "ConList.csv",
            csv_windows((f / "uk_ofsi/ConList.csv").read_bytes(), 2, 4),
        )
    )
    add(
        _single(
            "us-csl-csv",
            "us_trade_csl",
            "csv",
            "consolidated.csv",
            csv_windows((f / "us_csl/consolidated.csv").read_bytes(), 1, 3),
        )
    )
    add(
        _single(
            "os-simple-csv",
            "ftm_ukraine_war_and_sanctions",
            "csv",
            "targets.simple.csv",
            csv_windows((f / "opensanctions/targets.simple.csv").read_bytes(), 1, 2),
        )
    )
    peps = f / "opensanctions/peps"
    add(
        [
            Seed(
                "os-simple-csv",
                "ftm_example_peps",
                "csv",
                "targets.simple.csv",
                (
                    ("targets.simple.csv", (peps / "targets.simple.csv").read_bytes()),
                    ("index.json", (peps / "index.json").read_bytes()),
                ),
                label="peps with index.json",
            )
        ]
    )
    csl = json.loads((f / "us_csl/consolidated.json").read_bytes())
    add(
        _single(
            "us-csl-json",
            "us_trade_csl",
            "json",
            "consolidated.json",
            [
                json.dumps({**csl, "total": 1, "results": [r]}, ensure_ascii=False).encode()
                for r in csl["results"]
            ],
        )
    )
    add(
        _single(
            "ftm-json",
            "ftm_us_ofac_sdn",
            "jsonl",
            "entities.ftm.json",
            jsonl_windows((f / "ftm/entities.ftm.json").read_bytes(), 4),
        )
    )
    add(
        _single(
            "ftm-nested-json",
            "ftm_us_ofac_sdn",
            "jsonl",
            "targets.nested.json",
            jsonl_windows((f / "ftm/targets.nested.json").read_bytes(), 1),
        )
    )
    add(
        _single(
            "senzing-json",
            "ftm_example_sanctions",
            "jsonl",
            "senzing.json",
            jsonl_windows((f / "opensanctions/senzing.json").read_bytes(), 2),
        )
    )
    for folder, primary, companions in (
        ("sdn", "sdn.csv", ("add.csv", "alt.csv", "sdn_comments.csv")),
        ("cons", "CONS_PRIM.CSV", ("CONS_ADD.CSV", "CONS_ALT.CSV", "CONS_COMMENTS.CSV")),
    ):
        base = f / "ofac_csv" / folder
        add(
            [
                Seed(
                    "ofac-csv",
                    "us_ofac_sdn" if folder == "sdn" else "us_ofac_cons",
                    "csv",
                    primary,
                    tuple((n, (base / n).read_bytes()) for n in (primary, *companions)),
                    label=folder,
                )
            ]
        )
    # Spreadsheets: built from the CSV fixtures, one group of rows per seed.
    ofsi = _csv_rows(f / "uk_ofsi/ConList.csv")
    for i in range(2, len(ofsi), 2):
        members = xlsx_members(ofsi[:2] + ofsi[i : i + 2])
        add(
            [
                Seed(
                    "uk-ofsi-xlsx",
                    "gb_ofsi",
                    "zip",
                    "ConList.xlsx",
                    (("ConList.xlsx", _zip(members)),),
                    members,
                    label=f"rows {i}",
                )
            ]
        )
    fcdo = _csv_rows(f / "uk_fcdo/UK-Sanctions-List.csv")
    for i in range(2, len(fcdo), 3):
        members = ods_members(ods_content(fcdo[:2] + fcdo[i : i + 3]))
        add(
            [
                Seed(
                    "uk-fcdo-ods",
                    "gb_fcdo",
                    "zip",
                    "UK-Sanctions-List.ods",
                    (("UK-Sanctions-List.ods", _zip(members)),),
                    members,
                    label=f"rows {i}",
                )
            ]
        )
    summary = (f / "uk_fcdo/summary-content.xml").read_bytes()
    members = ods_members(summary)
    add(
        [
            Seed(
                "uk-fcdo-ods-summary",
                "gb_fcdo",
                "zip",
                "FCDO_SL_Mon_Aug 11 2025.ods",
                (("FCDO_SL_Mon_Aug 11 2025.ods", _zip(members)),),
                members,
                label="summary",
            )
        ]
    )
    missing = set(formats()) - set(out)
    assert not missing, f"no fuzzing seeds for formats {sorted(missing)}"
    return out


# -- odd values ---------------------------------------------------------------------------------

ODD_TEXT = [
    "",
    " ",
    "\t",
    "0",
    "-0-",
    "-1",
    "1e309",
    "NaN",
    "Infinity",
    "99999999999999999999999999",
    "0000-00-00",
    "2024-02-30",
    "29/02/2023",
    "31.12.9999",
    "00/00/0000",
    "99/99/9999",
    "-2000-01-01",
    "0001-01-01",
    "1900",
    "circa 1970",
    "Jan 32 2020",
    "between 1960 and 1950",
    "dd/mm/1945",
    "ZZ",
    "xx",
    "USSR",
    "Person",
    "Vessel",
    "Aircraft",
    "Individual",
    "Entity",
    "Ship",
    "individual",
    "-",
    "--",
    "/",
    ";",
    "|",
    ",",
    "]",
    "[",
    "()",
    "{}",
    "%s",
    "{0}",
    "\\",
    "'",
    '"',
    "<",
    "&",
    "a.k.a.",
    "Linked To: ",
    "DOB ",
    "\u200b",
    "\u202e",
    "\ufeff",
    "\u00a0",
    "a\u0301\u0301\u0301\u0301",
    "\u0130",
    "\u00df",
    "\u01c5",
    "\ufb03",
    "\u216b",
    "\U0001d518\U0001d52b",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "\u0645\u062d\u0645\u062f",
    "\u7fd2\u8fd1\u5e73",
    "\uae40\uc815\uc740",
    "\u0928\u0930\u0947\u0928\u094d\u0926\u094d\u0930",
    "\u0412\u043b\u0430\u0434\u0438\u043c\u0438\u0440",
    "x" * 3000,
    "A " * 800,
]
# XML 1.0 cannot hold these at all: inserted as bytes only, where the parser must reject them.
CONTROL = ["\x00", "\x01", "\x08", "\x0b", "\x1f", "\x7f", "\ud800", "\udfff", "\uffff"]
ODD_JSON: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**63,
    10**30,
    1.5,
    1e308,
    -1e308,
    "",
    "x",
    [],
    {},
    [None],
    [[]],
    {"": None},
    {"id": None},
    [1, "a", None],
    "\ud800",
]
INTERESTING_BYTES = [
    b"\x00",
    b"\xff",
    b"\x80",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xe2\x80",
    b"<",
    b">",
    b"&",
    b"&#0;",
    b"&#xD800;",
    b"&unknown;",
    b"]]>",
    b"<![CDATA[",
    b"<!--",
    b"<?x?>",
    b'"',
    b"'",
    b",",
    b";",
    b"\n",
    b"\r",
    b"\r\n",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b"\\",
    b"\\u0000",
    b"\\ud800",
    b"|",
    b"\t",
    b"-0-",
    b"PK\x03\x04",
    b"<html>",
]
ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252", "utf-8-sig"]


# -- mutations --------------------------------------------------------------------------------

Mutation = Callable[[bytes, random.Random], bytes]


def _pos(data: bytes, rng: random.Random) -> int:
    return rng.randrange(len(data) + 1)


def flip_bits(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(buf))
        buf[i] ^= 1 << rng.randrange(8)
    return bytes(buf)


def set_bytes(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not buf:
            break
        i = rng.randrange(len(buf))
        token = rng.choice(INTERESTING_BYTES)
        buf[i : i + 1] = token
    return bytes(buf)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: _pos(data, rng)]


def insert_junk(data: bytes, rng: random.Random) -> bytes:
    i = _pos(data, rng)
    if rng.random() < 0.5:
        junk = rng.randbytes(rng.randint(1, 64))
    else:
        junk = b"".join(rng.choice(INTERESTING_BYTES) for _ in range(rng.randint(1, 6)))
    return data[:i] + junk + data[i:]


def delete_range(data: bytes, rng: random.Random) -> bytes:
    i, j = sorted((_pos(data, rng), _pos(data, rng)))
    return data[:i] + data[j:]


def duplicate_range(data: bytes, rng: random.Random) -> bytes:
    i, j = sorted((_pos(data, rng), _pos(data, rng)))
    k = _pos(data, rng)
    chunk = data[i:j][:4096]
    return data[:k] + chunk + data[k:]


def random_bytes(_data: bytes, rng: random.Random) -> bytes:
    return rng.randbytes(rng.randint(1, 512))


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def dup_line(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    if not lines:
        return data
    i = rng.randrange(len(lines))
    lines.insert(rng.randrange(len(lines) + 1), lines[i])
    return b"".join(lines)


def del_line(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    if not lines:
        return data
    del lines[rng.randrange(len(lines))]
    return b"".join(lines)


def swap_lines(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    if len(lines) < 2:
        return data
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"".join(lines)


def reencode(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", errors="replace")
    encoding = rng.choice(ENCODINGS)
    return text.encode(encoding, errors="replace")


def bad_utf8(data: bytes, rng: random.Random) -> bytes:
    i = _pos(data, rng)
    token = rng.choice([b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x80", b"\xf8\x88\x80\x80"])
    return data[:i] + token + data[i:]


def huge_value(data: bytes, rng: random.Random) -> bytes:
    """A run of one character, up to a few hundred kilobytes, in place of a few bytes."""
    i = _pos(data, rng)
    # 140,000 passes the csv module's field size limit (131,072 characters).
    n = rng.choice([1_000, 40_000, 140_000])
    fill = rng.choice([b"A", b" ", b"x,", b'"', b"\\", b"&amp;", "\u0416".encode()])
    if fill == b"x,":
        n = min(n, 20_000)  # a CSV row of ten thousand cells is enough
    return data[:i] + fill * (n // len(fill)) + data[i + rng.randint(0, 8) :]


def control_chars(data: bytes, rng: random.Random) -> bytes:
    i = _pos(data, rng)
    return data[:i] + rng.choice(CONTROL).encode("utf-8", "surrogatepass") + data[i:]


BYTE_MUTATIONS: list[Mutation] = [
    flip_bits,
    set_bytes,
    truncate,
    insert_junk,
    delete_range,
    duplicate_range,
    dup_line,
    del_line,
    swap_lines,
    reencode,
    bad_utf8,
    control_chars,
]


# Structure-aware mutations: parse the seed's own format and change it in a way that keeps it
# well-formed, so the input reaches the record-reading code rather than the syntax check.


def _xml_safe(text: str) -> str:
    return "".join(
        c
        for c in text
        if c in "\t\n\r" or ("\x20" <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd") or c > "\uffff"
    )


def _odd_text(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return "".join(rng.choice(ODD_TEXT) for _ in range(rng.randint(2, 4)))
    return rng.choice(ODD_TEXT)


def xml_mutate(data: bytes, rng: random.Random) -> bytes:
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))
    except etree.XMLSyntaxError:
        return flip_bits(data, rng)
    elements = _elements(root)
    for _ in range(rng.randint(1, 3)):
        el = rng.choice(elements)
        parent = el.getparent()
        op = rng.randrange(10)
        if op == 0 and parent is not None:
            parent.remove(el)
            elements = _elements(root)
        elif op == 1 and parent is not None:
            parent.insert(parent.index(el), _copy(el))
        elif op in (2, 3):
            el.text = _xml_safe(_odd_text(rng))
        elif op == 4:
            for child in list(el):
                el.remove(child)
        elif op == 5 and isinstance(el.tag, str):
            el.tag = rng.choice([t.tag for t in elements if isinstance(t.tag, str)])
        elif op == 6 and el.attrib:
            key = rng.choice(list(el.attrib))
            if rng.random() < 0.5:
                del el.attrib[key]
            else:
                el.attrib[key] = _xml_safe(_odd_text(rng))
        elif op == 7 and isinstance(el.tag, str):
            el.set(rng.choice(["ID", "uid", "id", "type", "Type", "repeat"]), _odd_text(rng))
        elif op == 8 and parent is not None:
            parent.replace(el, etree.Element(el.tag if isinstance(el.tag, str) else "x"))
            elements = _elements(root)
        elif op == 9:
            other = rng.choice(elements)
            if (
                other is not el
                and el not in other.iterancestors()
                and other.getparent() is not None
            ):
                other.append(_copy(el))
                elements = _elements(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def xml_nest(data: bytes, rng: random.Random) -> bytes:
    """Deep nesting: an element inside copies of itself, thousands of levels deep."""
    tags = _TAG.findall(data[:4096]) or [b"x"]
    tag = rng.choice(tags)
    depth = rng.choice([50, 3000, 100_000])
    start = data.find(b">", data.find(b"<" + tags[0])) + 1 if tags[0] != b"x" else 0
    i = rng.randint(max(start, 0), len(data))
    close = b"</" + tag + b">" if rng.random() < 0.8 else b""
    return data[:i] + b"<" + tag + b">" * 1 + (b"<" + tag + b">") * depth + close * depth + data[i:]


_TAG = re.compile(rb"<([A-Za-z_][\w.:-]*)[\s>]")


def _elements(root: Any) -> list[Any]:
    return list(root.iter(etree.Element))  # elements only: no comments or PIs


def _copy(el: Any) -> Any:
    from copy import deepcopy

    return deepcopy(el)


def csv_mutate(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", errors="replace")
    newline = "\r\n" if "\r\n" in text else "\n"
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        return flip_bits(data, rng)
    if not rows:
        return data
    for _ in range(rng.randint(1, 3)):
        r = rng.randrange(len(rows))
        row = rows[r]
        op = rng.randrange(7)
        if op in (0, 1) and row:
            row[rng.randrange(len(row))] = _odd_text(rng)
        elif op == 2:
            row.insert(rng.randrange(len(row) + 1), _odd_text(rng))
        elif op == 3 and row:
            del row[rng.randrange(len(row))]
        elif op == 4:
            rows.insert(rng.randrange(len(rows) + 1), list(row))
        elif op == 5 and len(rows) > 1:
            del rows[r]
        elif op == 6 and len(row) > 1:
            i, j = rng.randrange(len(row)), rng.randrange(len(row))
            row[i], row[j] = row[j], row[i]
    buf = io.StringIO(newline="")
    quoting = rng.choice([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])
    csv.writer(buf, lineterminator=newline, quoting=quoting).writerows(rows)
    return buf.getvalue().encode("utf-8", errors="surrogatepass")


def _json_paths(value: Any, max_depth: int = 12) -> list[tuple[Any, ...]]:
    """Paths to the values of a JSON document (not below ``max_depth``: nested mutations can
    make documents thousands of levels deep)."""
    out: list[tuple[Any, ...]] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [((), value)]
    while stack:
        path, node = stack.pop()
        out.append(path)
        if len(path) >= max_depth:
            continue
        if isinstance(node, dict):
            stack.extend(((*path, k), v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend(((*path, i), v) for i, v in enumerate(node))
    return out


def _json_value(rng: random.Random) -> Any:
    if rng.random() < 0.5:
        return _odd_text(rng)
    return _copy(rng.choice(ODD_JSON))


def _json_edit(doc: Any, rng: random.Random) -> Any:
    paths = _json_paths(doc)
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(paths)
        if not path:
            doc = _json_value(rng) if rng.random() < 0.3 else [doc]
            paths = _json_paths(doc)
            continue
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        op = rng.randrange(5)
        if op in (0, 1):
            parent[key] = _json_value(rng)
        elif op == 2:
            del parent[key]
        elif op == 3:
            parent[key] = [parent[key], parent[key]]
        else:
            parent[key] = f"__deep_{rng.choice([10, 900, 5000, 100_000])}__"
        paths = _json_paths(doc)
    return doc


_DEEP = re.compile(r'"__deep_(\d+)__"')


def _dumps(doc: Any) -> bytes:
    """JSON text; a ``__deep_N__`` marker becomes a value nested N arrays deep (more than
    ``json.dumps`` itself can write)."""
    text = json.dumps(doc, ensure_ascii=False)
    text = _DEEP.sub(lambda m: "[" * int(m.group(1)) + "1" + "]" * int(m.group(1)), text)
    return text.encode("utf-8", errors="surrogatepass")


def json_mutate(data: bytes, rng: random.Random) -> bytes:
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return flip_bits(data, rng)
    return _dumps(_json_edit(doc, rng))


def jsonl_mutate(data: bytes, rng: random.Random) -> bytes:
    lines = [ln for ln in data.splitlines() if ln.strip()]
    if not lines:
        return data
    i = rng.randrange(len(lines))
    try:
        doc = json.loads(lines[i])
    except (ValueError, RecursionError):
        return flip_bits(data, rng)
    lines[i] = _dumps(_json_edit(doc, rng))
    return b"\n".join(lines) + b"\n"


STRUCTURE_MUTATIONS: dict[str, Mutation] = {
    "xml": xml_mutate,
    "csv": csv_mutate,
    "json": json_mutate,
    "jsonl": jsonl_mutate,
}


def mutate_bytes(data: bytes, kind: str, rng: random.Random) -> tuple[bytes, list[str]]:
    """One to three mutations, structure-aware half of the time."""
    done: list[str] = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        roll = rng.random()
        if roll < 0.45 and kind in STRUCTURE_MUTATIONS:
            fn = STRUCTURE_MUTATIONS[kind]
        elif roll < 0.5 and kind == "xml":
            fn = xml_nest
        elif roll < 0.52:
            fn = huge_value
        elif roll < 0.53:
            fn = random_bytes
        else:
            fn = rng.choice(BYTE_MUTATIONS)
        data = fn(data, rng)
        done.append(fn.__name__)
    return data, done


@dataclass(frozen=True)
class Case:
    source: str
    files: tuple[tuple[str, bytes], ...]
    primary: str
    how: str  # which seed and which mutations, for the report


def mutate(seed: Seed, rng: random.Random) -> Case:
    files = list(seed.files)
    if seed.kind == "zip":
        members = list(seed.members)
        if rng.random() < 0.25:
            data, done = mutate_bytes(files[0][1], "zip", rng)
            files[0] = (files[0][0], data)
            return Case(
                seed.source, tuple(files), seed.primary, f"{seed.label}: archive {'+'.join(done)}"
            )
        i = rng.randrange(len(members))
        if members[i][0].endswith(".xml") and rng.random() < 0.75:
            i = max(range(len(members)), key=lambda k: len(members[k][1]))
        name, content = members[i]
        data, done = mutate_bytes(content, "xml" if name.endswith(".xml") else "bin", rng)
        members[i] = (name, data)
        if rng.random() < 0.1:
            del members[rng.randrange(len(members))]
        files[0] = (files[0][0], _zip(members, stored=rng.random() < 0.3))
        return Case(
            seed.source, tuple(files), seed.primary, f"{seed.label}: {name} {'+'.join(done)}"
        )
    i = 0 if len(files) == 1 or rng.random() < 0.6 else rng.randrange(len(files))
    name, content = files[i]
    kind = seed.kind if i == 0 else ("json" if name.endswith(".json") else "csv")
    data, done = mutate_bytes(content, kind, rng)
    files[i] = (name, data)
    return Case(seed.source, tuple(files), seed.primary, f"{seed.label}: {name} {'+'.join(done)}")


MUTATIONS: dict[str, Mutation] = {
    fn.__name__: fn
    for fn in (
        *BYTE_MUTATIONS,
        huge_value,
        random_bytes,
        xml_mutate,
        xml_nest,
        csv_mutate,
        json_mutate,
        jsonl_mutate,
    )
}


def mutation_names(kind: str) -> list[str]:
    """The mutations that make sense for a file of this kind (``bin``: an archive)."""
    names = [fn.__name__ for fn in (*BYTE_MUTATIONS, huge_value, random_bytes)]
    if kind == "xml":
        names += ["xml_mutate", "xml_nest"]
    elif kind in STRUCTURE_MUTATIONS:
        names.append(STRUCTURE_MUTATIONS[kind].__name__)
    return names


def targets(seed: Seed) -> list[tuple[int, str]]:
    """What a mutation can change: (index, kind); for a spreadsheet, -1 is the archive."""
    if seed.kind == "zip":
        return [(-1, "bin")] + [
            (i, "xml" if name.endswith(".xml") else "bin")
            for i, (name, _data) in enumerate(seed.members)
        ]
    return [
        (i, seed.kind if i == 0 else ("json" if name.endswith(".json") else "csv"))
        for i, (name, _data) in enumerate(seed.files)
    ]


def apply_ops(seed: Seed, target: int, ops: Sequence[tuple[str, int]]) -> Case:
    """``ops`` — (mutation name, its random seed) — applied in turn to file ``target`` of
    the seed, or for a spreadsheet to member ``target`` (-1: the archive's bytes)."""
    how = f"{seed.label}: target {target} " + "+".join(f"{n}({r})" for n, r in ops)
    if seed.kind == "zip" and target >= 0:
        members = list(seed.members)
        name, data = members[target]
        for op, r in ops:
            data = MUTATIONS[op](data, random.Random(r))
        members[target] = (name, data)
        archive = _zip(members)
        return Case(seed.source, ((seed.primary, archive),), seed.primary, how)
    files = list(seed.files)
    name, data = files[max(target, 0)]
    for op, r in ops:
        data = MUTATIONS[op](data, random.Random(r))
    files[max(target, 0)] = (name, data)
    return Case(seed.source, tuple(files), seed.primary, how)


def generate(base: int, fmt: str, index: int) -> Case:
    """Input number ``index`` of a format's bulk run; the same for the same arguments."""
    rng = random.Random(f"{base}:{fmt}:{index}")
    seed = rng.choice(seeds()[fmt])
    return mutate(seed, rng)


# -- running one input ------------------------------------------------------------------------


class Hang(Exception):
    pass


def _alarm(_signum: int, _frame: FrameType | None) -> None:
    raise Hang(f"no result after {HANG_SECONDS} s")


@contextlib.contextmanager
def deadline(seconds: float = HANG_SECONDS) -> Iterator[None]:
    """Raise ``Hang`` in the main thread after ``seconds`` (POSIX timers)."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def write_case(case: Case, folder: Path) -> Path:
    """Write the input's files into ``folder``, which holds nothing else afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    names = {name for name, _data in case.files}
    for old in folder.iterdir():
        if old.name not in names:
            if old.is_dir():
                shutil.rmtree(old)
            else:
                old.unlink()
    for name, data in case.files:
        (folder / name).write_bytes(data)
    return folder / case.primary


def check_case(spec: FormatSpec, case: Case, folder: Path, *, sniff_all: bool = True) -> str:
    """The outcome of one input: ``ok`` or the EmbargoError's class name; raises otherwise.

    ``sniff_all``: every format's ``sniff`` is tried on the input as well (as ``discover``
    does for each file of a folder), not only the input's own format's."""
    path = write_case(case, folder)
    head = read_head(path)
    for other in formats().values() if sniff_all else (spec,):
        found = other.sniff(path, head)
        if found is not None and not isinstance(found, str):
            raise AssertionError(f"{other.name}.sniff returned {found!r}")
    try:
        entities, _report = parse_input(ListInput(path, spec, case.source), SETTINGS)
    except EmbargoError as exc:
        if not str(exc):
            raise AssertionError(f"{type(exc).__name__} without a message") from exc
        return type(exc).__name__
    for entity in entities:
        entity_to_json(entity)
    return "ok"


@dataclass
class Failure:
    format: str
    index: int
    how: str
    error: str
    trace: str
    case: Case

    def save(self, folder: Path) -> Path:
        """Write the input's files where a developer can load them again."""
        dest = folder / f"{self.format}-{self.index}"
        write_case(self.case, dest)
        (dest / "FAILURE.txt").write_text(f"{self.how}\n\n{self.trace}", encoding="utf-8")
        return dest


@dataclass
class SliceResult:
    format: str
    inputs: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    slowest: float = 0.0
    slowest_how: str = ""
    seconds: float = 0.0
    max_rss_mb: float = 0.0
    # The peak resident size over the size when the slice started: what the inputs added.
    rss_growth_mb: float = 0.0


def warm_up(fmt: str, workdir: Path) -> None:
    """Parse every seed of the format once, so that data the parsers load on first use (and
    caches) is in place before inputs are timed."""
    spec = formats()[fmt]
    for seed in seeds()[fmt]:
        case = Case(seed.source, seed.files, seed.primary, seed.label)
        check_case(spec, case, workdir / f"warm-{os.getpid()}")


def fuzz_slice(
    fmt: str,
    base: int,
    start: int,
    count: int,
    workdir: str,
    *,
    max_failures: int = 5,
    memory_limit_mb: int | None = None,
) -> SliceResult:
    """Run inputs ``start .. start+count`` of a format's bulk run (in a worker process)."""
    if memory_limit_mb is not None:
        limit_address_space(memory_limit_mb)
    spec = formats()[fmt]
    result = SliceResult(fmt)
    rss_start = rss_mb()
    folder = Path(workdir) / f"{fmt}-{os.getpid()}"
    seen: set[str] = set()
    t0 = time.perf_counter()
    for index in range(start, start + count):
        case = generate(base, fmt, index)
        t = time.perf_counter()
        try:
            with deadline():
                outcome = check_case(spec, case, folder, sniff_all=index % SNIFF_EVERY == 0)
        except Exception as exc:
            outcome = "FAILED"
            key = f"{type(exc).__name__}:{_where(exc)}"
            if key not in seen and len(result.failures) < max_failures:
                seen.add(key)
                result.failures.append(
                    Failure(fmt, index, case.how, repr(exc)[:500], traceback.format_exc(), case)
                )
        elapsed = time.perf_counter() - t
        if elapsed > result.slowest:
            result.slowest, result.slowest_how = elapsed, f"#{index} {case.how}"
        result.inputs += 1
        result.outcomes[outcome] = result.outcomes.get(outcome, 0) + 1
    result.seconds = time.perf_counter() - t0
    result.max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result.rss_growth_mb = max(0.0, result.max_rss_mb - rss_start)
    with contextlib.suppress(OSError):
        shutil.rmtree(folder)
    return result


def _where(exc: BaseException) -> str:
    """The innermost frame of the project's code that raised, to group failures."""
    tb = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in tb if "/embargo/" in f.filename]
    frame = (ours or tb)[-1] if (ours or tb) else None
    return f"{frame.filename}:{frame.lineno}" if frame else "?"


def rss_mb() -> float:
    """This process's resident size now (Linux; 0 elsewhere)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def vm_size_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) / 1024
    return 0.0


def limit_address_space(extra_mb: int) -> None:
    """Cap this process's address space at its current size plus ``extra_mb``: an input that
    makes a parser allocate without bound then fails with MemoryError instead of thrashing."""
    limit = int((vm_size_mb() + extra_mb) * 1024 * 1024)
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def run_parallel(
    fmt: str,
    base: int,
    total: int,
    workdir: Path,
    *,
    jobs: int = 2,
    memory_limit_mb: int | None = 1024,
) -> SliceResult:
    """A format's bulk run split over ``jobs`` forked processes, merged."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    warm_up(fmt, workdir)  # before forking: lazily loaded data is then shared by the workers
    per = -(-total // jobs)
    ranges = [(s, min(per, total - s)) for s in range(0, total, per)]
    merged = SliceResult(fmt)
    if jobs == 1:
        parts = [fuzz_slice(fmt, base, s, n, str(workdir)) for s, n in ranges]
    else:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            futures = [
                pool.submit(
                    fuzz_slice, fmt, base, s, n, str(workdir), memory_limit_mb=memory_limit_mb
                )
                for s, n in ranges
            ]
            parts = [f.result() for f in futures]
    for part in parts:
        merged.inputs += part.inputs
        for k, v in part.outcomes.items():
            merged.outcomes[k] = merged.outcomes.get(k, 0) + v
        merged.failures += part.failures
        if part.slowest > merged.slowest:
            merged.slowest, merged.slowest_how = part.slowest, part.slowest_how
        merged.seconds = max(merged.seconds, part.seconds)
        merged.max_rss_mb = max(merged.max_rss_mb, part.max_rss_mb)
        merged.rss_growth_mb = max(merged.rss_growth_mb, part.rss_growth_mb)
    return merged
