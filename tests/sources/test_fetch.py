"""``fetch`` against a real HTTP server on 127.0.0.1 (no mocking of httpx)."""

from __future__ import annotations

import contextlib
import email.utils
import gzip
import hashlib
import io
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from embargo.errors import FetchError
from embargo.sources.fetch import (
    USER_AGENT,
    CacheEntry,
    FetchResult,
    _retry_after,
    extract_single,
    fetch,
    is_zip_name,
)

LIST_XML = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<sdnList><publshInformation>'
    b"<Publish_Date>05/07/2024</Publish_Date><Record_Count>1</Record_Count>"
    b"</publshInformation><sdnEntry><uid>36</uid><lastName>AEROCARIBBEAN AIRLINES</lastName>"
    b"<sdnType>Entity</sdnType></sdnEntry></sdnList>\n"
)
ETAG = '"5f2a-61c8"'
LAST_MODIFIED = "Tue, 07 May 2024 14:03:11 GMT"
HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Service unavailable</title></head>"
    b"<body><h1>We are performing scheduled maintenance.</h1></body></html>\n"
)

# Fast settings: every test module run stays well under ten seconds.
# Generous for ordinary replies (a loaded CI machine can be slow); the timeout tests set their own.
FAST: dict[str, Any] = {"max_bytes": 100_000, "timeout": 3.0, "retries": 0, "backoff": 0.01}


# --- a small scriptable HTTP/1.1 server ---------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    declared: int | None = None  # Content-Length to announce; None means len(body)
    chunked: bool = False  # no Content-Length: chunked transfer encoding
    delay: float = 0.0  # sleep before the status line
    stall: float = 0.0  # sleep after half the body


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, list[Reply]]
    log: list[Seen]
    lock: threading.Lock

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hang up on purpose in timeout tests


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        srv = self.server
        with srv.lock:
            srv.log.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}))
            replies = srv.routes.get(self.path)
            if not replies:
                reply = Reply(404, b"not found")
            else:
                # Replies are used in order; the last one repeats for every later request.
                reply = replies.pop(0) if len(replies) > 1 else replies[0]
        if reply.delay:
            time.sleep(reply.delay)
        etag = reply.headers.get("ETag")
        if reply.status == 200 and etag and self.headers.get("If-None-Match") == etag:
            reply = Reply(304, headers={"ETag": etag})
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._send(reply)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.status == 304:
            self.end_headers()
            return
        if reply.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(reply.body), 1000):
                piece = reply.body[i : i + 1000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        declared = len(reply.body) if reply.declared is None else reply.declared
        self.send_header("Content-Length", str(declared))
        self.end_headers()
        half = len(reply.body) // 2 if reply.stall else len(reply.body)
        self.wfile.write(reply.body[:half])
        self.wfile.flush()
        if reply.stall:
            time.sleep(reply.stall)
            self.wfile.write(reply.body[half:])
        if declared != len(reply.body):
            self.close_connection = True  # hang up early, as a failing server does


class Server:
    def __init__(self, httpd: _Server) -> None:
        self.httpd = httpd
        self.base = f"http://127.0.0.1:{httpd.server_address[1]}"

    def route(self, path: str, *replies: Reply) -> str:
        self.httpd.routes[path] = list(replies)
        return self.base + path

    @property
    def log(self) -> list[Seen]:
        return self.httpd.log

    def hits(self, path: str) -> int:
        return sum(1 for seen in self.log if seen.path == path)


@pytest.fixture
def server() -> Iterator[Server]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.routes, httpd.log, httpd.lock = {}, [], threading.Lock()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield Server(httpd)
    finally:
        httpd.shutdown()
        httpd.server_close()


def ok(body: bytes = LIST_XML, /, **headers: str) -> Reply:
    return Reply(200, body, {"Content-Type": "application/xml", **headers})


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cache_of(result: FetchResult) -> CacheEntry:
    assert result.sha256 is not None and result.size is not None
    return CacheEntry(result.url, result.etag, result.last_modified, result.sha256, result.size)


# --- conditional GET ----------------------------------------------------------------------


def test_download_then_not_modified(server: Server, tmp_path: Path) -> None:
    url = server.route("/SDN.XML", ok(ETag=ETAG, **{"Last-Modified": LAST_MODIFIED}))
    dest = tmp_path / "SDN.XML"

    first = fetch(url, dest, **FAST)
    assert first == FetchResult(url, dest, False, ETAG, LAST_MODIFIED, sha(LIST_XML), len(LIST_XML))
    assert dest.read_bytes() == LIST_XML
    request = server.log[0].headers
    assert request["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("embargo/") and "github.com/embargo-screening" in USER_AGENT
    assert "if-none-match" not in request and "if-modified-since" not in request

    before = dest.stat().st_mtime_ns
    second = fetch(url, dest, cache=cache_of(first), **FAST)
    request = server.log[1].headers
    assert request["if-none-match"] == ETAG
    assert request["if-modified-since"] == LAST_MODIFIED
    assert second.not_modified and second.path is None
    assert (second.etag, second.last_modified) == (ETAG, LAST_MODIFIED)
    assert (second.sha256, second.size) == (first.sha256, first.size)
    assert dest.read_bytes() == LIST_XML and dest.stat().st_mtime_ns == before
    assert leftovers(tmp_path) == []


def test_same_content_without_304_is_unchanged(server: Server, tmp_path: Path) -> None:
    # Publishers behind CDNs often ignore validators and hand out a fresh ETag every time.
    url = server.route("/list.xml", ok(ETag='"v2"'))
    dest = tmp_path / "list.xml"
    dest.write_bytes(LIST_XML)
    old = CacheEntry(url, '"v1"', None, sha(LIST_XML), len(LIST_XML))
    result = fetch(url, dest, cache=old, **FAST)
    assert server.log[0].headers["if-none-match"] == '"v1"'
    assert "if-modified-since" not in server.log[0].headers
    assert result.not_modified and result.path is None
    assert result.etag == '"v2"'  # the new validators are kept for the next request
    assert result.sha256 == old.sha256
    assert leftovers(tmp_path) == []


def test_changed_content_replaces_dest(server: Server, tmp_path: Path) -> None:
    new_body = LIST_XML.replace(b"36", b"37")
    url = server.route("/list.xml", ok(new_body, ETag='"v2"'))
    dest = tmp_path / "list.xml"
    dest.write_bytes(LIST_XML)
    old = CacheEntry(url, '"v1"', None, sha(LIST_XML), len(LIST_XML))
    result = fetch(url, dest, cache=old, **FAST)
    assert not result.not_modified and result.path == dest
    assert dest.read_bytes() == new_body and result.sha256 == sha(new_body)


def test_gzip_body_is_decoded_and_capped(server: Server, tmp_path: Path) -> None:
    url = server.route("/gz", ok(gzip.compress(LIST_XML), **{"Content-Encoding": "gzip"}))
    result = fetch(url, tmp_path / "a.xml", **FAST)
    assert (tmp_path / "a.xml").read_bytes() == LIST_XML and result.size == len(LIST_XML)

    # A small compressed body that inflates past the cap is a decompression bomb.
    bomb = gzip.compress(b"<a>" + b" " * 500_000)
    assert len(bomb) < FAST["max_bytes"]
    url = server.route("/bomb", ok(bomb, **{"Content-Encoding": "gzip"}))
    with pytest.raises(FetchError, match="over the size cap"):
        fetch(url, tmp_path / "b.xml", **FAST)
    assert not (tmp_path / "b.xml").exists() and leftovers(tmp_path) == []


def test_progress_reports_bytes_and_total(server: Server, tmp_path: Path) -> None:
    body = LIST_XML * 300  # several chunks
    url = server.route("/big.xml", ok(body))
    calls: list[tuple[int, int | None]] = []
    fetch(url, tmp_path / "big.xml", progress=lambda n, t: calls.append((n, t)), **FAST)
    assert calls[-1] == (len(body), len(body))
    assert [n for n, _ in calls] == sorted(n for n, _ in calls)


# --- retries ------------------------------------------------------------------------------


def test_server_error_then_success_is_retried(server: Server, tmp_path: Path) -> None:
    url = server.route("/flaky", Reply(500, b"oops"), Reply(502, b"bad gateway"), ok())
    result = fetch(url, tmp_path / "f.xml", **{**FAST, "retries": 3})
    assert server.hits("/flaky") == 3
    assert result.path is not None and result.path.read_bytes() == LIST_XML


def test_server_error_forever_gives_up(server: Server, tmp_path: Path) -> None:
    url = server.route("/down", Reply(500, b"oops"))
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        fetch(url, tmp_path / "d.xml", **{**FAST, "retries": 2})
    assert server.hits("/down") == 3
    assert err.value.url == url
    assert "HTTP 500 Internal Server Error" in err.value.reason
    assert "gave up after 3 attempts" in err.value.reason
    assert str(err.value).startswith(url)
    # Exponential backoff: 0.01 + 0.02 seconds of waiting, not more.
    assert time.monotonic() - started < 1.0


def test_not_found_is_not_retried(server: Server, tmp_path: Path) -> None:
    url = server.route("/gone", Reply(404, b"no such file"))
    with pytest.raises(FetchError, match="HTTP 404 Not Found") as err:
        fetch(url, tmp_path / "g.xml", **{**FAST, "retries": 3})
    assert server.hits("/gone") == 1
    assert "attempt" not in err.value.reason


def test_retry_after_is_honoured_up_to_the_bound(server: Server, tmp_path: Path) -> None:
    url = server.route("/busy", Reply(429, b"slow down", {"Retry-After": "1"}), ok())
    started = time.monotonic()
    fetch(url, tmp_path / "b.xml", **{**FAST, "retries": 1, "max_wait": 0.3})
    waited = time.monotonic() - started
    assert server.hits("/busy") == 2
    assert 0.3 <= waited < 0.9  # longer than the 0.01 s backoff, capped below the asked 1 s


def test_retry_after_forms() -> None:
    assert _retry_after("7") == 7.0
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past
    soon = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < (_retry_after(soon) or 0) <= 30
    assert _retry_after("soon") is None and _retry_after(None) is None


def test_connection_refused_is_retried_then_fails(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/SDN.XML"
    with pytest.raises(FetchError, match="connection failed") as err:
        fetch(url, tmp_path / "x.xml", **{**FAST, "retries": 1})
    assert "gave up after 2 attempts" in err.value.reason


def test_slow_server_times_out(server: Server, tmp_path: Path) -> None:
    url = server.route("/slow", Reply(200, LIST_XML, delay=1.5))
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out") as err:
        fetch(url, tmp_path / "s.xml", **{**FAST, "timeout": 0.2, "retries": 1})
    assert server.hits("/slow") == 2
    assert "0.2 s" in err.value.reason
    assert time.monotonic() - started < 3.0  # two short timeouts, not two 1.5 s waits


def test_body_stalling_midway_times_out(server: Server, tmp_path: Path) -> None:
    dest = tmp_path / "s.xml"
    dest.write_bytes(b"previous good file")
    url = server.route("/stall", Reply(200, LIST_XML, stall=1.5))
    with pytest.raises(FetchError, match=r"timed out .* while reading the body"):
        fetch(url, dest, **{**FAST, "timeout": 0.2})
    assert dest.read_bytes() == b"previous good file" and leftovers(tmp_path) == []


# --- bodies that must not replace the previous file ---------------------------------------


def test_truncated_body_keeps_previous_file(server: Server, tmp_path: Path) -> None:
    dest = tmp_path / "SDN.XML"
    dest.write_bytes(b"previous good file")
    url = server.route("/cut", Reply(200, LIST_XML[:100], declared=len(LIST_XML)))
    with pytest.raises(FetchError, match="truncated") as err:
        fetch(url, dest, **{**FAST, "retries": 1})
    assert f"received 100 of the {len(LIST_XML)} bytes" in err.value.reason
    assert server.hits("/cut") == 2  # a connection dropped mid-body is worth one more try
    assert dest.read_bytes() == b"previous good file"
    assert leftovers(tmp_path) == []


def test_declared_size_over_cap(server: Server, tmp_path: Path) -> None:
    url = server.route("/huge", ok(b"<a>" + b"x" * 5000 + b"</a>"))
    with pytest.raises(FetchError, match="announces 5,007 bytes, over the size cap of 1,000"):
        fetch(url, tmp_path / "h.xml", **{**FAST, "max_bytes": 1000})
    assert not (tmp_path / "h.xml").exists()


def test_undeclared_size_over_cap(server: Server, tmp_path: Path) -> None:
    dest = tmp_path / "h.xml"
    dest.write_bytes(b"previous good file")
    url = server.route("/chunked", Reply(200, b"<a>" + b"x" * 5000, chunked=True))
    with pytest.raises(FetchError, match=r"body passed .* over the size cap of 1,000"):
        fetch(url, dest, **{**FAST, "max_bytes": 1000})
    assert dest.read_bytes() == b"previous good file" and leftovers(tmp_path) == []


def test_chunked_body_within_cap_is_fine(server: Server, tmp_path: Path) -> None:
    url = server.route("/chunked", Reply(200, LIST_XML * 5, chunked=True))
    calls: list[tuple[int, int | None]] = []
    fetch(url, tmp_path / "c.xml", progress=lambda n, t: calls.append((n, t)), **FAST)
    assert (tmp_path / "c.xml").read_bytes() == LIST_XML * 5
    assert calls[-1] == (len(LIST_XML) * 5, None)


def test_html_content_type_is_refused(server: Server, tmp_path: Path) -> None:
    url = server.route(
        "/maint", Reply(200, HTML_PAGE, {"Content-Type": "text/html; charset=utf-8"})
    )
    with pytest.raises(FetchError) as err:
        fetch(url, tmp_path / "m.xml", **FAST)
    assert (
        "the server returned an HTML page instead of the list file (HTTP 200, text/html)"
        in err.value.reason
    )
    assert not (tmp_path / "m.xml").exists()


def test_html_body_under_another_type_is_refused(server: Server, tmp_path: Path) -> None:
    url = server.route("/maint", ok(b"\n  " + HTML_PAGE))
    with pytest.raises(FetchError, match=r"HTML page .*\(HTTP 200, application/xml\)"):
        fetch(url, tmp_path / "m.xml", **FAST)
    assert leftovers(tmp_path) == []


def test_empty_body_is_refused(server: Server, tmp_path: Path) -> None:
    url = server.route("/empty", ok(b""))
    with pytest.raises(FetchError, match="empty body"):
        fetch(url, tmp_path / "e.xml", **FAST)


def test_checksum(server: Server, tmp_path: Path) -> None:
    url = server.route("/sum", ok())
    dest = tmp_path / "sum.xml"
    with pytest.raises(FetchError, match="checksum mismatch") as err:
        fetch(url, dest, expected_sha256="0" * 64, **FAST)
    assert sha(LIST_XML) in err.value.reason and not dest.exists()
    result = fetch(url, dest, expected_sha256=sha(LIST_XML).upper(), **FAST)
    assert result.path == dest and dest.read_bytes() == LIST_XML


# --- redirects and schemes ----------------------------------------------------------------


def test_redirect_is_followed(server: Server, tmp_path: Path) -> None:
    server.route("/new/SDN.XML", ok(ETag=ETAG))
    url = server.route("/legacy/sdn.xml", Reply(301, b"", {"Location": "/new/SDN.XML"}))
    result = fetch(url, tmp_path / "SDN.XML", **FAST)
    assert [s.path for s in server.log] == ["/legacy/sdn.xml", "/new/SDN.XML"]
    assert all(s.headers["user-agent"] == USER_AGENT for s in server.log)
    assert result.url == url and result.etag == ETAG
    assert (tmp_path / "SDN.XML").read_bytes() == LIST_XML


def test_redirect_with_callers_client(server: Server, tmp_path: Path) -> None:
    # Even a client set to follow redirects itself goes through fetch's checked redirects.
    server.route("/b", ok())
    url = server.route("/a", Reply(302, b"", {"Location": "ftp://example.org/list.xml"}))
    with (
        httpx.Client(follow_redirects=True) as client,
        pytest.raises(FetchError, match="non-http"),
    ):
        fetch(url, tmp_path / "x.xml", client=client, **FAST)
    server.route("/a", Reply(302, b"", {"Location": server.base + "/b"}))
    with httpx.Client(follow_redirects=True) as client:
        assert fetch(url, tmp_path / "x.xml", client=client, **FAST).path is not None
        assert not client.is_closed  # a caller's client is left open for reuse
    assert server.log[-1].headers["user-agent"] == USER_AGENT


def test_redirect_loop_is_stopped(server: Server, tmp_path: Path) -> None:
    url = server.route("/loop", Reply(302, b"", {"Location": "/loop"}))
    with pytest.raises(FetchError, match="too many redirects"):
        fetch(url, tmp_path / "x.xml", **FAST)


def test_only_http_urls(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="only http and https"):
        fetch("file:///etc/passwd", tmp_path / "x", **FAST)


# --- zip archives -------------------------------------------------------------------------


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_extract_single_member(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "list.zip", {"export/sdn.xml": LIST_XML})
    dest = tmp_path / "out" / "sdn.xml"
    assert extract_single(archive, dest, max_bytes=10_000) == dest
    assert dest.read_bytes() == LIST_XML
    assert leftovers(dest.parent) == []


def test_extract_ignores_folders_and_picks_named_member(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("export/", b"")
        zf.writestr("export/a.csv", b"a,b\n1,2\n")
        zf.writestr("export/readme.txt", b"read me")
    archive = tmp_path / "two.zip"
    archive.write_bytes(buf.getvalue())
    with pytest.raises(FetchError, match=r"exactly one file .* found 2"):
        extract_single(archive, tmp_path / "a.csv", max_bytes=10_000)
    extract_single(archive, tmp_path / "a.csv", max_bytes=10_000, member="export/a.csv")
    assert (tmp_path / "a.csv").read_bytes() == b"a,b\n1,2\n"
    with pytest.raises(FetchError, match="no member 'nope'"):
        extract_single(archive, tmp_path / "a.csv", max_bytes=10_000, member="nope")


@pytest.mark.parametrize(
    "name", ["../evil.xml", "a/../../evil.xml", "/etc/cron.d/x", "C:\\x.xml", "..\\x"]
)
def test_extract_rejects_path_traversal(tmp_path: Path, name: str) -> None:
    archive = make_zip(tmp_path / "bad.zip", {name: LIST_XML})
    dest = tmp_path / "out.xml"
    with pytest.raises(FetchError, match="unsafe path") as err:
        extract_single(archive, dest, max_bytes=10_000)
    assert err.value.url == str(archive)
    assert not dest.exists() and not (tmp_path.parent / "evil.xml").exists()


def test_extract_refuses_zip_bomb(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "bomb.zip", {"sdn.xml": b"\0" * 1_000_000})
    assert archive.stat().st_size < 10_000
    dest = tmp_path / "sdn.xml"
    dest.write_bytes(b"previous good file")
    with pytest.raises(FetchError, match="over the size cap of 100,000"):
        extract_single(archive, dest, max_bytes=100_000)
    assert dest.read_bytes() == b"previous good file" and leftovers(tmp_path) == []


def test_extract_refuses_lying_directory(tmp_path: Path) -> None:
    # The directory claims 10 bytes for a 1 MB member: the declared-size check passes, so
    # extraction must stop on its own and refuse the member rather than write past the cap.
    archive = make_zip(tmp_path / "liar.zip", {"sdn.xml": b"\0" * 1_000_000})
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        info = zf.infolist()[0]
    central = data.rindex(b"PK\x01\x02")
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")  # uncompressed size
    local = info.header_offset
    data[local + 22 : local + 26] = (10).to_bytes(4, "little")
    archive.write_bytes(bytes(data))
    with pytest.raises(FetchError, match="corrupt"):
        extract_single(archive, tmp_path / "sdn.xml", max_bytes=1000)
    assert not (tmp_path / "sdn.xml").exists()


def test_extract_not_a_zip(tmp_path: Path) -> None:
    bad = tmp_path / "list.zip"
    bad.write_bytes(HTML_PAGE)
    with pytest.raises(FetchError, match="not a readable zip archive"):
        extract_single(bad, tmp_path / "x.xml", max_bytes=10_000)


def test_is_zip_name() -> None:
    assert is_zip_name("https://example.org/files/list.ZIP?token=abc")
    assert is_zip_name("consolidated.zip")
    assert not is_zip_name("https://example.org/download?file=list.zip")
    assert not is_zip_name("SDN.XML")
