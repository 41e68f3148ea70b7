"""``base.xml_error``: the ParseError every XML reader raises for a file lxml cannot read."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from embargo.sources.base import xml_error


def syntax_error(path: Path) -> etree.XMLSyntaxError:
    try:
        for _ in etree.iterparse(str(path), events=("end",)):
            pass
    except etree.XMLSyntaxError as exc:
        return exc
    raise AssertionError(f"{path} parsed without error")


BODY = "<root>\n" + "".join(f'  <item n="{i}">x</item>\n' for i in range(20)) + "</root>\n"

# (file content, line of the error, whether the message says the file is truncated)
CASES = [
    ("", 1, True),  # empty: lxml says line 0
    ("   \n\n", 3, True),
    (BODY[: BODY.index('n="19"') + 4], 21, True),  # cut inside an attribute, on the last line
    (BODY[: BODY.index("</root>")], 22, True),  # cut before the closing tag
    (BODY.replace('<item n="3">x</item>', '<item n="3">x</itme>'), 5, False),  # mid-file
    ("<root><a></root>\n" + "<!-- -->\n" * 5, 1, False),
]


@pytest.mark.parametrize(("content", "line", "truncated"), CASES)
def test_xml_error(tmp_path: Path, content: str, line: int, truncated: bool) -> None:
    path = tmp_path / "list.xml"
    path.write_text(content, encoding="utf-8")
    error = xml_error(path, syntax_error(path))
    assert error.path == str(path) and error.line == line
    assert error.reason.startswith("XML is truncated or malformed") is truncated


def test_xml_error_at_line_zero_is_line_one(tmp_path: Path) -> None:
    path = tmp_path / "list.xml"
    path.write_bytes(b"")
    error = xml_error(path, etree.XMLSyntaxError("Document is empty", 4, 0, 0))
    assert error.line == 1 and error.reason == "XML is truncated or malformed (Document is empty)"


def test_xml_error_inside_an_archive_does_not_count_the_archives_lines(tmp_path: Path) -> None:
    # An ODS file's content.xml is not the file: its last line says nothing about the zip.
    xml = tmp_path / "content.xml"
    xml.write_text(BODY.replace('</item>\n  <item n="5">', '</itm>\n  <item n="5">'))
    archive = tmp_path / "list.ods"
    archive.write_bytes(b"PK\x03\x04")  # one line
    error = xml_error(archive, syntax_error(xml), whole_file=False)
    assert error.path == str(archive) and error.line == 6
    assert not error.reason.startswith("XML is truncated")


def test_xml_error_for_a_file_gone_keeps_lxmls_message(tmp_path: Path) -> None:
    path = tmp_path / "list.xml"
    path.write_text(BODY.replace('<item n="3">x</item>', '<item n="3">x</itme>'))
    exc = syntax_error(path)
    path.unlink()
    error = xml_error(path, exc)
    assert error.line == 5 and "itme" in error.reason
