"""``embargo update`` over HTTP, against a real server on 127.0.0.1 acting as a mirror."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from embargo.settings import Settings
from embargo.store import Store
from embargo.update import update_sources

FIXTURE = Path(__file__).parent / "fixtures/sources/ofac_xml/sdn.xml"


class Mirror(BaseHTTPRequestHandler):
    files: ClassVar[dict[str, bytes]] = {}
    mode = "ok"
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        if self.mode == "error":
            self.send_response(500)
            self.end_headers()
            return
        body = self.files.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        etag = f'"{len(body)}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def mirror() -> Iterator[str]:
    Mirror.files = {"/us_ofac_sdn/SDN.XML": FIXTURE.read_bytes()}
    Mirror.mode = "ok"
    Mirror.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Mirror)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_fetch_load_then_not_modified_then_failure(
    mirror: str, store: Store, settings: Settings
) -> None:
    settings = replace(settings, mirror_url=mirror, fetch_retries=1, fetch_timeout=5)
    first = update_sources(store, settings, ["us_ofac_sdn"])
    (outcome,) = first.outcomes
    assert outcome.status == "loaded" and outcome.entities == 3
    version = store.active_version("us_ofac_sdn")
    assert version is not None and version.origin == f"{mirror}/us_ofac_sdn/SDN.XML"

    again = update_sources(store, settings, ["us_ofac_sdn"])
    assert again.outcomes[0].status == "not-modified"

    Mirror.mode = "error"
    failed = update_sources(store, settings, ["us_ofac_sdn"])
    assert failed.outcomes[0].status == "failed" and "500" in failed.outcomes[0].message
    assert store.active_version("us_ofac_sdn") == version
    assert [r.action for r in store.audit_records()][-1] == "list.fetch_failed"


def test_html_error_page_is_refused(mirror: str, store: Store, settings: Settings) -> None:
    Mirror.files["/us_ofac_sdn/SDN.XML"] = b"<!DOCTYPE html><html><body>Maintenance</body></html>"
    settings = replace(settings, mirror_url=mirror, fetch_retries=0)
    (outcome,) = update_sources(store, settings, ["us_ofac_sdn"]).outcomes
    assert outcome.status == "failed" and "HTML" in outcome.message
    assert store.active_version("us_ofac_sdn") is None
