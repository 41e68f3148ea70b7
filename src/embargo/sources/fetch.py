"""Downloading publishers' list files safely.

``fetch`` makes a conditional GET (``If-None-Match`` / ``If-Modified-Since`` from the last good
download), streams the body to a temporary file beside ``dest`` and renames it over ``dest`` only
once it is complete and verified, so ``dest`` always holds either the previous good file or the
new one. What it refuses, with a ``FetchError`` naming the URL and the reason: a body over the size
cap (declared or counted), a truncated body, an HTML page where a list file was expected, a
checksum mismatch, a redirect to anything but http(s), and any HTTP status but 200/304.

Connection errors, timeouts, truncated bodies and 5xx/429 answers are retried with exponential
backoff (``Retry-After`` honoured up to ``max_wait``); other 4xx answers are final, since asking
again will not change them.

``extract_single`` takes the one list file out of a downloaded zip archive, guarding against zip
bombs (the same size cap) and member names that would escape the target folder.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO, Final
from urllib.parse import urlsplit

import httpx

from embargo.errors import FetchError
from embargo.sources.base import looks_like_html

__all__ = [
    "USER_AGENT",
    "CacheEntry",
    "FetchResult",
    "extract_single",
    "fetch",
    "is_zip_name",
]


def _package_version() -> str:
    try:
        return version("embargo")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


USER_AGENT: Final = f"embargo/{_package_version()} (+https://github.com/embargo-screening/embargo)"

_CHUNK: Final = 64 * 1024
_HTML_HEAD: Final = 2048  # looks_like_html only inspects this many bytes
_MAX_REDIRECTS: Final = 10
_HTML_TYPES: Final = frozenset({"text/html", "application/xhtml+xml"})

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class CacheEntry:
    """What the store remembers about the last good download of a URL."""

    url: str
    etag: str | None
    last_modified: str | None
    sha256: str
    size: int


@dataclass(frozen=True)
class FetchResult:
    url: str
    path: Path | None  # the downloaded file; None when not modified
    not_modified: bool
    etag: str | None
    last_modified: str | None
    sha256: str | None
    size: int | None


class _Retryable(Exception):
    """A failure that may go away if we ask again (network trouble, 5xx, 429)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def fetch(
    url: str,
    dest: Path,
    *,
    cache: CacheEntry | None = None,
    max_bytes: int,
    timeout: float,
    retries: int,
    expected_sha256: str | None = None,
    client: httpx.Client | None = None,
    progress: Progress | None = None,
    backoff: float = 1.0,
    max_wait: float = 60.0,
) -> FetchResult:
    """Download ``url`` to ``dest``, or report that it has not changed since ``cache``.

    ``timeout`` applies to each connect and each read; ``retries`` is the number of extra
    attempts after the first (so ``retries=3`` makes at most 4 requests). Attempt *n* waits
    ``backoff * 2**(n-1)`` seconds before the next one, or what the server's ``Retry-After``
    asks, never more than ``max_wait``. ``progress(received, total)`` is called after each chunk
    (``total`` is None when the server does not say or the body is compressed).

    A 304 answer, or a 200 whose body hashes to ``cache.sha256``, gives ``not_modified=True``
    and leaves ``dest`` untouched.
    """
    if retries < 0:
        raise ValueError("retries must be >= 0")
    _check_scheme(url, url)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(url, f"cannot create the folder {dest.parent}: {exc}") from exc

    own_client = client is None
    http = client or httpx.Client(
        headers={"User-Agent": USER_AGENT}, timeout=timeout, follow_redirects=False
    )
    try:
        attempts = retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return _attempt(
                    http,
                    url,
                    dest,
                    cache=cache,
                    max_bytes=max_bytes,
                    timeout=timeout,
                    expected_sha256=expected_sha256,
                    progress=progress,
                )
            except _Retryable as exc:
                if attempt == attempts:
                    tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
                    raise FetchError(url, f"{exc.reason} (gave up after {tries})") from exc
                delay = backoff * 2 ** (attempt - 1)
                if exc.retry_after is not None:
                    delay = exc.retry_after
                time.sleep(max(0.0, min(delay, max_wait)))
        raise AssertionError("unreachable")  # the loop either returns or raises
    finally:
        if own_client:
            http.close()


def _attempt(
    http: httpx.Client,
    url: str,
    dest: Path,
    *,
    cache: CacheEntry | None,
    max_bytes: int,
    timeout: float,
    expected_sha256: str | None,
    progress: Progress | None,
) -> FetchResult:
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
    if cache is not None:
        if cache.etag:
            headers["If-None-Match"] = cache.etag
        if cache.last_modified:
            headers["If-Modified-Since"] = cache.last_modified
    request = http.build_request("GET", url, headers=headers, timeout=timeout)

    # Redirects are followed by hand so every hop's scheme can be checked before connecting.
    for _ in range(_MAX_REDIRECTS + 1):
        try:
            response = http.send(request, stream=True, follow_redirects=False)
        except httpx.TimeoutException as exc:
            raise _Retryable(_timeout_reason(exc, timeout)) from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"connection failed: {_describe(exc)}") from exc
        try:
            next_request = response.next_request
            if response.is_redirect and next_request is not None:
                _check_scheme(url, str(next_request.url), came_from=str(request.url))
                request = next_request
                continue
            return _handle(
                response,
                url,
                dest,
                cache=cache,
                max_bytes=max_bytes,
                timeout=timeout,
                expected_sha256=expected_sha256,
                progress=progress,
            )
        finally:
            response.close()
    raise FetchError(url, f"too many redirects (more than {_MAX_REDIRECTS})")


def _handle(
    response: httpx.Response,
    url: str,
    dest: Path,
    *,
    cache: CacheEntry | None,
    max_bytes: int,
    timeout: float,
    expected_sha256: str | None,
    progress: Progress | None,
) -> FetchResult:
    status = response.status_code
    where = "" if str(response.url) == url else f" (from {response.url})"
    if status == 304 and cache is not None:
        return FetchResult(
            url=url,
            path=None,
            not_modified=True,
            etag=response.headers.get("etag") or cache.etag,
            last_modified=response.headers.get("last-modified") or cache.last_modified,
            sha256=cache.sha256,
            size=cache.size,
        )
    if status == 429 or status >= 500:
        raise _Retryable(
            f"HTTP {status} {response.reason_phrase}{where}".rstrip(),
            _retry_after(response.headers.get("retry-after")),
        )
    if status != 200:
        raise FetchError(url, f"HTTP {status} {response.reason_phrase}{where}".rstrip())

    content_type = response.headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    if media in _HTML_TYPES:
        raise FetchError(url, _html_reason(status, media))

    encoded = response.headers.get("content-encoding", "identity").strip().lower()
    declared = _content_length(response.headers.get("content-length"))
    if declared is not None and declared > max_bytes:
        raise FetchError(url, _over_cap(declared, max_bytes, "the server announces"))
    # Content-Length counts the bytes on the wire; with gzip the file's size is unknown up front.
    total = declared if encoded in ("", "identity") else None

    with _temp_beside(url, dest) as (tmp_path, fh):
        digest = hashlib.sha256()
        received = 0
        head = b""
        try:
            for chunk in response.iter_bytes(_CHUNK):
                if not chunk:
                    continue
                received += len(chunk)
                if received > max_bytes:
                    raise FetchError(url, _over_cap(received, max_bytes, "the body passed"))
                if len(head) < _HTML_HEAD:
                    # Checked as soon as the head is complete, so a large HTML page is not
                    # downloaded in full; shorter bodies are checked once they end.
                    head += chunk[: _HTML_HEAD - len(head)]
                    if len(head) == _HTML_HEAD and looks_like_html(head):
                        raise FetchError(url, _html_reason(status, media))
                digest.update(chunk)
                fh.write(chunk)
                if progress is not None:
                    progress(received, total)
        except httpx.RemoteProtocolError as exc:
            got = response.num_bytes_downloaded
            if declared is not None and got < declared:
                raise _Retryable(_truncated(got, declared)) from exc
            raise _Retryable(f"connection broken while reading the body: {_describe(exc)}") from exc
        except httpx.TimeoutException as exc:
            raise _Retryable(_timeout_reason(exc, timeout) + " while reading the body") from exc
        except httpx.DecodingError as exc:
            raise FetchError(
                url, f"the body could not be decoded ({encoded}): {_describe(exc)}"
            ) from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"connection broken while reading the body: {_describe(exc)}") from exc
        except OSError as exc:
            raise FetchError(url, f"cannot write {tmp_path}: {exc}") from exc

        # h11 normally catches an early close itself; this covers transports that do not.
        got = response.num_bytes_downloaded
        if declared is not None and got != declared:
            raise _Retryable(_truncated(got, declared))
        if received == 0:
            raise FetchError(url, f"the server sent an empty body (HTTP {status})")
        if len(head) < _HTML_HEAD and looks_like_html(head):
            raise FetchError(url, _html_reason(status, media))

        sha256 = digest.hexdigest()
        if expected_sha256 is not None and sha256 != expected_sha256.strip().lower():
            raise FetchError(
                url, f"checksum mismatch: expected SHA-256 {expected_sha256}, got {sha256}"
            )
        etag = response.headers.get("etag")
        last_modified = response.headers.get("last-modified")
        if cache is not None and sha256 == cache.sha256:
            return FetchResult(url, None, True, etag, last_modified, sha256, received)

        try:
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
            # mkstemp makes the file private; a public list file should be readable like any other.
            os.chmod(tmp_path, 0o644)
            os.replace(tmp_path, dest)
        except OSError as exc:
            raise FetchError(url, f"cannot save the download as {dest}: {exc}") from exc
        return FetchResult(url, dest, False, etag, last_modified, sha256, received)


@contextmanager
def _temp_beside(where: str, dest: Path) -> Iterator[tuple[Path, IO[bytes]]]:
    """A temporary file in ``dest``'s folder (so the final rename is atomic), removed on exit
    unless it was renamed into place."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    except OSError as exc:
        raise FetchError(where, f"cannot create a temporary file in {dest.parent}: {exc}") from exc
    tmp_path = Path(name)
    fh = os.fdopen(fd, "wb")
    try:
        yield tmp_path, fh
    finally:
        fh.close()
        tmp_path.unlink(missing_ok=True)


def _check_scheme(url: str, target: str, *, came_from: str | None = None) -> None:
    scheme = urlsplit(target).scheme.lower()
    if came_from is None:
        if scheme not in ("http", "https"):
            raise FetchError(url, f"only http and https URLs can be fetched, not {scheme!r}")
        return
    if scheme not in ("http", "https"):
        raise FetchError(url, f"refusing a redirect to a non-http(s) URL: {target}")
    if scheme == "http" and urlsplit(came_from).scheme.lower() == "https":
        # A downgrade would let anyone on the path substitute the list; no publisher needs it.
        raise FetchError(url, f"refusing a redirect from https to plain http: {target}")


def _content_length(raw: str | None) -> int | None:
    if raw is None:
        return None
    raw = raw.strip()
    return int(raw) if raw.isdigit() else None


def _retry_after(raw: str | None) -> float | None:
    """Seconds the server asks us to wait: either a number of seconds or an HTTP date."""
    if raw is None or not raw.strip():
        return None
    raw = raw.strip()
    if raw.isdigit():
        return float(raw)
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _timeout_reason(exc: httpx.TimeoutException, timeout: float) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return f"timed out connecting (no connection within {timeout:g} s)"
    if isinstance(exc, httpx.ReadTimeout):
        return f"timed out waiting for data (nothing received for {timeout:g} s)"
    if isinstance(exc, httpx.PoolTimeout):
        return f"timed out waiting for a free connection ({timeout:g} s)"
    return f"timed out ({timeout:g} s)"


def _describe(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _truncated(got: int, declared: int) -> str:
    return (
        f"download truncated: received {got:,} of the {declared:,} bytes the server announced "
        "(the connection closed early)"
    )


def _over_cap(size: int, max_bytes: int, what: str) -> str:
    return (
        f"{what} {size:,} bytes, over the size cap of {max_bytes:,} bytes "
        "(raise EMBARGO_MAX_DOWNLOAD_MB if this file is genuine)"
    )


def _html_reason(status: int, media: str) -> str:
    return (
        "the server returned an HTML page instead of the list file "
        f"(HTTP {status}, {media or 'no Content-Type'}); the publisher's site may be down "
        "for maintenance or showing an error"
    )


# --- zip archives ---------------------------------------------------------------------------

_DRIVE = re.compile(r"^[A-Za-z]:")
_SKIPPED_MEMBERS: Final = ("__MACOSX/",)


def is_zip_name(url_or_name: str) -> bool:
    """Whether a URL or file name names a zip archive (the query string is ignored)."""
    return urlsplit(url_or_name).path.lower().endswith(".zip")


def extract_single(
    zip_path: Path, dest: Path, *, max_bytes: int, member: str | None = None
) -> Path:
    """Extract the one file in ``zip_path`` (or the one named ``member``) to ``dest``.

    The archive is refused as a whole if any member name is absolute or climbs out with
    ``..``; the member is refused if it is encrypted, a link, or larger than ``max_bytes``
    (checked against the declared size and again while decompressing, since the directory can
    lie). ``dest`` is replaced atomically, only after a complete, CRC-checked extraction.
    """
    where = str(zip_path)
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise FetchError(where, f"not a readable zip archive: {exc}") from exc
    with archive:
        infos = archive.infolist()
        for info in infos:
            _check_member_name(where, info.filename)
        files = [i for i in infos if not i.is_dir() and not i.filename.startswith(_SKIPPED_MEMBERS)]
        info = _choose_member(where, files, member)
        if info.flag_bits & 0x1:
            raise FetchError(where, f"zip member {info.filename!r} is encrypted")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise FetchError(where, f"zip member {info.filename!r} is a symbolic link")
        if info.file_size > max_bytes:
            raise FetchError(
                where,
                f"zip member {info.filename!r}: "
                + _over_cap(info.file_size, max_bytes, "it unpacks to"),
            )
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FetchError(where, f"cannot create the folder {dest.parent}: {exc}") from exc
        with _temp_beside(where, dest) as (tmp_path, fh):
            written = 0
            try:
                with archive.open(info) as src:
                    for chunk in iter(lambda: src.read(_CHUNK), b""):
                        written += len(chunk)
                        if written > max_bytes:
                            raise FetchError(
                                where,
                                f"zip member {info.filename!r}: "
                                + _over_cap(written, max_bytes, "it unpacked past"),
                            )
                        fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
                fh.close()
                os.chmod(tmp_path, 0o644)
                os.replace(tmp_path, dest)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
                raise FetchError(
                    where, f"zip member {info.filename!r} is corrupt or unsupported: {exc}"
                ) from exc
            except OSError as exc:
                raise FetchError(where, f"cannot write {dest}: {exc}") from exc
    return dest


def _check_member_name(where: str, name: str) -> None:
    normal = name.replace("\\", "/")
    parts = normal.split("/")
    if "\x00" in name or normal.startswith("/") or _DRIVE.match(normal) or ".." in parts:
        raise FetchError(
            where,
            f"zip member {name!r} has an unsafe path (absolute or containing '..'); "
            "refusing the archive",
        )


def _choose_member(where: str, files: list[zipfile.ZipInfo], member: str | None) -> zipfile.ZipInfo:
    if member is not None:
        for info in files:
            if info.filename == member:
                return info
        raise FetchError(where, f"zip archive has no member {member!r}")
    if len(files) != 1:
        names = ", ".join(repr(i.filename) for i in files[:5]) or "none"
        raise FetchError(
            where, f"expected exactly one file in the zip archive, found {len(files)}: {names}"
        )
    return files[0]
