"""What every source format module provides, and the report a parse produces.

A format module exposes one ``FormatSpec``: a ``sniff`` that recognises its files from their
first bytes and name, and a ``parse`` that streams entities from a file. Parsers raise
``ParseError`` (naming file, line or element, and reason) for a file that cannot be trusted as
a whole, and call ``report.skip`` for a single record they cannot use, so nothing is dropped
without a trace.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from embargo.errors import ParseError
from embargo.model import Entity

HEAD_BYTES: Final = 64 * 1024

# ``sniff`` returns this for a file that belongs to a set read through another file (the OFAC
# CSV set's add.csv, alt.csv and comments files), so a folder scan neither loads nor flags it.
COMPANION: Final = "<companion>"


@dataclass
class Skip:
    where: str  # e.g. "sdn.xml, line 1234, sdnEntry uid=36935"
    reason: str


@dataclass
class ParseReport:
    source: str
    format: str
    files: list[Path] = field(default_factory=list)
    publisher_date: str | None = None  # ISO date the publisher gives the list
    stated_count: int | None = None  # the record count the file states about itself, if any
    records: int = 0  # top-level records read (before grouping, e.g. OFSI rows)
    skipped: list[Skip] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def skip(self, where: str, reason: str) -> None:
        self.skipped.append(Skip(where, reason))

    def warn(self, message: str) -> None:
        self.warnings.append(message)


Sniffer = Callable[[Path, bytes], str | None]
Parser = Callable[[Path, ParseReport], Iterator[Entity]]


def _single(path: Path) -> list[Path]:
    return [path]


@dataclass(frozen=True)
class FormatSpec:
    """One publisher file format.

    ``sniff(path, head)`` returns the Embargo source name the file belongs to, ``COMPANION``,
    or None when the file is not in this format. ``parse(path, report)`` yields entities.
    ``files(path)`` lists every file a load reads (for the content hash), default just ``path``.
    """

    name: str
    title: str
    sniff: Sniffer
    parse: Parser
    files: Callable[[Path], list[Path]] = _single
    extensions: tuple[str, ...] = ()


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    with path.open("rb") as fh:
        return fh.read(size)


def text_head(head: bytes) -> str:
    """The head decoded leniently, BOM removed, for format sniffing only."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore")
    return head.decode("utf-8", errors="ignore")


def looks_like_html(head: bytes) -> bool:
    start = text_head(head[:2048]).lstrip().lower()
    return start.startswith(("<!doctype html", "<html")) or "<html" in start[:512]


def check_file(path: Path, *, max_bytes: int) -> None:
    """Reject what no parser should try: a missing, empty, oversized or HTML file."""
    if not path.exists():
        raise ParseError(path, "file not found")
    if not path.is_file():
        raise ParseError(path, "not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise ParseError(path, "file is empty")
    if size > max_bytes:
        raise ParseError(
            path,
            f"file is {size:,} bytes, over the size cap of {max_bytes:,} bytes "
            "(raise EMBARGO_MAX_DOWNLOAD_MB if this file is genuine)",
        )
    head = read_head(path, 4096)
    if looks_like_html(head):
        raise ParseError(
            path,
            "file is an HTML page, not a list file (the publisher's site probably returned an "
            "error or a login page instead of the file)",
        )


def content_hash(paths: Sequence[Path]) -> str:
    """SHA-256 over the bytes of every file of a load, in the given order."""
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def entity_id(source: str, source_id: str) -> str:
    return f"{source}-{source_id}"


def _line_count(path: Path) -> int:
    """How many lines the file has (a last line without a newline counts)."""
    count, last = 0, b"\n"
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def xml_error(path: Path, exc: Exception, *, whole_file: bool = True) -> ParseError:
    """A ParseError for an lxml syntax error, keeping its line number.

    lxml places some errors at line 0 (an empty document); they are reported at line 1. A file
    cut off inside a tag or an attribute fails with lxml's message about that token
    ("Specification mandates value for attribute ..."), so an error on the file's last line
    says the file is most likely truncated. ``whole_file=False`` is for XML read from inside
    ``path`` (an ODS archive's ``content.xml``), whose lines are not the file's.
    """
    line = None
    position = getattr(exc, "position", None)
    if position:
        line = position[0]
    reason = str(exc)
    msg = getattr(exc, "msg", None)
    if msg:
        reason = str(msg)
    line = max(line or 1, 1)
    truncated = "Document is empty" in reason or "Premature end of data" in reason
    truncated = truncated or "not closed" in reason
    if not truncated and whole_file:
        # A file that cannot be read again keeps lxml's message alone.
        with contextlib.suppress(OSError):
            truncated = line >= _line_count(path)
    if truncated:
        reason = f"XML is truncated or malformed ({reason})"
    return ParseError(path, reason, line=line)
