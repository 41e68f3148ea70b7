"""Embargo's exceptions. Every error a user can cause is an ``EmbargoError``::

    EmbargoError
    ├── ConfigError            a setting or option is invalid
    ├── SourceError            a list could not be obtained or read
    │   ├── FetchError         download failed (HTTP status, timeout, size cap, HTML page)
    │   └── ParseError         a file is malformed; names the file, line/element and reason
    ├── StoreError             the database refused an operation
    │   └── NotFoundError      no such entity, list version or record
    └── QueryError             a screening query is malformed (empty name, unknown schema, ...)

Front ends catch ``EmbargoError`` and show its message; anything else is a bug.
"""

from __future__ import annotations

from pathlib import Path


class EmbargoError(Exception):
    """Base class for every error Embargo reports to its users."""


class ConfigError(EmbargoError):
    pass


class SourceError(EmbargoError):
    pass


class FetchError(SourceError):
    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


class ParseError(SourceError):
    """A list file could not be read. The message names the file, the place and the reason."""

    def __init__(
        self,
        path: Path | str,
        reason: str,
        *,
        line: int | None = None,
        element: str | None = None,
    ) -> None:
        self.path = str(path)
        self.reason = reason
        self.line = line
        self.element = element
        where = self.path
        if line is not None:
            where += f", line {line}"
        if element:
            where += f", {element}"
        super().__init__(f"{where}: {reason}")


class StoreError(EmbargoError):
    pass


class NotFoundError(StoreError):
    pass


class QueryError(EmbargoError):
    pass
