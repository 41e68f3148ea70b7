"""Web UI fixtures: a real ``embargo serve`` process (authentication and four-eyes on) over a
temporary SQLite database with the fixture lists, users made with the auth service, and a
customer book imported through the API so that alerts exist; a headless Chromium driven by
Selenium. One server and one browser per test module."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from embargo.auth.service import AuthService
from embargo.settings import Settings
from embargo.store import Store
from tests.api.conftest import Server, load_lists, start_server
from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
# The lists the UI tests need: Putin is on the SDN and EU lists, Rosoboronexport on the SDN.
WEB_LISTS = ("ofac_xml/sdn.xml", "eu_fsf/eu_fsf.xml", "un_sc/un_consolidated.xml")
BOOK = """ref,name,dob,country,kind
K1,Vladimir Putin,1952-10-07,ru,Person
K2,Jane Ordinary,1980-01-01,gb,Person
K3,Rosoboronexport,,,Company
K4,Sea Glory,,,Vessel
"""
PASSWORDS = {
    "alice": "alice-password-1",
    "bob": "bob-password-12",
    "vera": "vera-password-1",
}
ROLES = {"alice": "analyst", "bob": "reviewer", "vera": "viewer"}


@dataclass
class WebServer:
    server: Server
    passwords: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory, fixtures: Path) -> Iterator[WebServer]:
    tmp = tmp_path_factory.mktemp("web")
    settings = Settings(data_dir=tmp / "data", database_url=f"sqlite:///{tmp / 'embargo.db'}")
    load_lists(settings, fixtures, WEB_LISTS)
    store = Store.open(settings.db_url)
    try:
        auth = AuthService(store)
        for name, role in ROLES.items():
            auth.create_user(name, role, PASSWORDS[name], actor="test-setup")
        _info, key = auth.create_key("alice", actor="test-setup", label="book import")
    finally:
        store.close()
    with pytest.MonkeyPatch.context() as mp:
        # Authentication and four-eyes are on by default; say so, so that a changed default
        # cannot turn these tests into tests of something else.
        mp.setenv("EMBARGO_AUTH", "on")
        mp.setenv("EMBARGO_FOUR_EYES", "on")
        mp.delenv("EMBARGO_FOUR_EYES_SOURCES", raising=False)
        mp.delenv("EMBARGO_FOUR_EYES_MEASURES", raising=False)
        server = start_server(settings, tmp / "server.log")
    try:
        server.wait_ready()
        imported = httpx.post(
            f"{server.url}/customers/import",
            params={
                "ref_column": "ref",
                "birth_date_column": "dob",
                "country_column": "country",
                "schema_column": "kind",
                "filename": "book.csv",
            },
            content=BOOK.encode(),
            headers={"Authorization": f"Bearer {key}"},
            timeout=120,
        )
        assert imported.status_code == 200, imported.text
        assert imported.json()["screening"]["alerts"], imported.json()
        yield WebServer(server, PASSWORDS)
    finally:
        server.stop()


def chromium_or_skip() -> None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            pytest.skip(f"{path} is not installed: the browser tests need Chromium")
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.skip("selenium is not installed")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1366,900",
        # No calls home: the test checks that the pages make no request off this machine.
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
    ):
        options.add_argument(arg)
    # Every request the pages make, as DevTools sees it.
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    profile = Path(os.environ.get("TMPDIR", "/tmp")) / f"embargo-chromium-{os.getpid()}"
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(60)
    # The browser's own start page loads built-in resources: read them off the log, so that
    # it holds only what the pages under test ask for.
    driver.get("about:blank")
    driver.get_log("performance")
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
