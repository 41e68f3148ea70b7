"""The analyst pages in a real headless Chromium against a real ``embargo serve``: sign-in,
screening with its explanation, an entity, a four-eyes review by two users, the audit log;
keyboard use, no request leaving 127.0.0.1, refusals without sign-in, role or CSRF token.

The tests run in file order and share one browser (signing in and out as they go); each
step leaves a screenshot in ``test-artifacts/screenshots``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.web.conftest import WebServer, chromium_or_skip

pytestmark = pytest.mark.timeout(300)

STEPS = (
    "01-login-redirect",
    "02-screen-putin",
    "03-entity-putin",
    "04-alert-queue",
    "05-alice-decided",
    "06-alice-cannot-confirm",
    "07-bob-own-decision-refused",
    "08-bob-confirmed",
    "09-audit",
    "10-dashboard",
    "11-viewer-alert",
    "12-no-csrf",
)


def wait_for(driver: Any, css: str, timeout: float = 20) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def find(driver: Any, css: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, css)


def find_all(driver: Any, css: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, css))


def shot(driver: Any, folder: Path, name: str) -> None:
    driver.save_screenshot(str(folder / f"{name}.png"))


def assert_local(driver: Any, origin: str) -> None:
    """Every request the page made (DevTools' log since the last call, and the resource
    timing list) went to the server under test."""
    urls = [
        e["name"]
        for e in driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => ({name: e.name}))"
        )
    ]
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    assert urls, "no requests were seen at all: the check would prove nothing"
    outside = [u for u in urls if not (u.startswith((origin + "/", "data:", "about:")))]
    assert not outside, f"requests left the server: {outside}"


def sign_in(driver: Any, web: WebServer, name: str, next_path: str = "/ui") -> None:
    driver.delete_all_cookies()
    driver.get(f"{web.url}/ui/login?next={next_path}")
    wait_for(driver, "#username").send_keys(name)
    find(driver, "#password").send_keys(web.passwords[name])
    find(driver, "form[action='/ui/login'] button[type=submit]").click()
    wait_for(driver, "[data-testid=current-user]")
    assert name in find(driver, "[data-testid=current-user]").text


def post_form(driver: Any, action: str, fields: dict[str, str]) -> None:
    """Submit a form the page does not offer (as a tampered or stale page would)."""
    driver.execute_script(
        """
        const form = document.createElement('form');
        form.method = 'post';
        form.action = arguments[0];
        for (const [name, value] of Object.entries(arguments[1])) {
            const input = document.createElement('input');
            input.type = 'hidden'; input.name = name; input.value = value;
            form.appendChild(input);
        }
        document.body.appendChild(form);
        form.submit();
        """,
        action,
        fields,
    )


def page_csrf(driver: Any) -> str:
    token: str = find(driver, "form[action='/ui/logout'] input[name=csrf_token]").get_attribute(
        "value"
    )
    assert token
    return token


def alert_id_for(driver: Any, web: WebServer, source: str) -> int:
    driver.get(f"{web.url}/ui/alerts?status=all&source={source}")
    link = wait_for(driver, "a.alert-link")
    return int(link.text.lstrip("#"))


def test_unauthenticated_page_goes_to_login(
    browser: Any, web_server: WebServer, screenshots: Path
) -> None:
    browser.delete_all_cookies()
    browser.get(f"{web_server.url}/ui/alerts?status=open")
    wait_for(browser, "#username")
    parts = urlsplit(browser.current_url)
    assert parts.path == "/ui/login"
    assert "next=/ui/alerts" in browser.current_url.replace("%2F", "/")
    shot(browser, screenshots, "01-login-redirect")
    assert_local(browser, web_server.url)


def test_keyboard_only_sign_in(browser: Any, web_server: WebServer) -> None:
    """The sign-in form with the keyboard alone: the name field has focus, Tab moves to the
    password, Enter submits; on the next page the first Tab reaches the skip link."""
    from selenium.webdriver.common.keys import Keys

    browser.delete_all_cookies()
    browser.get(f"{web_server.url}/ui/login?next=/ui/screen")
    wait_for(browser, "#username")
    active = browser.switch_to.active_element
    assert active.get_attribute("id") == "username"
    active.send_keys("alice", Keys.TAB)
    active = browser.switch_to.active_element
    assert active.get_attribute("id") == "password"
    active.send_keys(web_server.passwords["alice"], Keys.ENTER)
    wait_for(browser, "#name")
    assert urlsplit(browser.current_url).path == "/ui/screen"
    assert browser.switch_to.active_element.get_attribute("id") == "name"
    # On a page without a field in focus, the first Tab reaches the skip link.
    browser.get(f"{web_server.url}/ui/lists")
    wait_for(browser, "main h1")
    browser.switch_to.active_element.send_keys(Keys.TAB)
    skip = browser.switch_to.active_element
    assert skip.get_attribute("class") == "skip-link"
    skip.send_keys(Keys.ENTER)
    assert browser.current_url.endswith("#main")
    assert browser.switch_to.active_element.get_attribute("id") == "main"


def test_screen_putin_explained(browser: Any, web_server: WebServer, screenshots: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    browser.get(f"{web_server.url}/ui/screen")
    name = wait_for(browser, "#name")
    name.send_keys("Vladimir Putin")
    find(browser, "#birth_date").send_keys("1952-10-07")
    find(browser, "#country").send_keys("ru", Keys.ENTER)
    wait_for(browser, "table.results-table")
    rows = find_all(browser, "tr.result")
    assert rows
    sdn = next(r for r in rows if "us_ofac_sdn-35096" in r.text)
    assert "Match" in sdn.find_element("css selector", ".badge").text
    assert "SDN List" in sdn.text
    assert "Blocking: assets frozen, transactions prohibited" in sdn.text
    index = sdn.get_attribute("id").split("-")[1]
    explanation = find(browser, f"#explanation-{index}")
    if not explanation.is_displayed():
        sdn.find_element("xpath", "following-sibling::tr[1]//summary").click()
    marks = [m.text.lower() for m in explanation.find_elements("css selector", "mark")]
    assert "putin" in marks and "vladimir" in marks
    assert "exact" in explanation.text
    assert "Birth date" in explanation.text and "added" in explanation.text
    shot(browser, screenshots, "02-screen-putin")
    assert_local(browser, web_server.url)


def test_entity_page(browser: Any, web_server: WebServer, screenshots: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    browser.get(f"{web_server.url}/ui/screen")
    wait_for(browser, "#name").send_keys("Vladimir Putin", Keys.ENTER)
    link = wait_for(browser, "a.entity-link[href='/ui/entities/us_ofac_sdn-35096']")
    link.click()
    wait_for(browser, "table.names")
    body = find(browser, "main").text
    assert "Vladimir Vladimirovich PUTIN" in body and "Vladimir PUTIN" in body
    assert "SDN List" in body and "RUSSIA-EO14024" in body
    assert "Blocking: assets frozen, transactions prohibited" in body
    publisher = find(browser, "a.publisher-link")
    assert publisher.get_attribute("href").startswith("https://sanctionssearch.ofac.treas.gov/")
    assert "07 Oct 1952" in body
    shot(browser, screenshots, "03-entity-putin")
    assert_local(browser, web_server.url)


def test_four_eyes_review(browser: Any, web_server: WebServer, screenshots: Path) -> None:
    # alice (analyst) decides the SDN alert: a true match waits for a second reviewer.
    sign_in(browser, web_server, "alice")
    sdn_alert = alert_id_for(browser, web_server, "us_ofac_sdn")
    eu_alert = alert_id_for(browser, web_server, "eu_fsf")
    browser.get(f"{web_server.url}/ui/alerts?status=open")
    wait_for(browser, "table.queue")
    shot(browser, screenshots, "04-alert-queue")
    browser.get(f"{web_server.url}/ui/alerts/{sdn_alert}")
    wait_for(browser, "#decide-form")
    body = find(browser, "main").text
    assert "K1" in body and "Vladimir Vladimirovich PUTIN" in body
    assert len(find_all(browser, ".explanation mark")) >= 2
    find(browser, "#decide-form input[value=true_match]").click()
    find(browser, "#reason").send_keys("Same name, birth date and nationality as the SDN entry.")
    find(browser, "#decide-form button[type=submit]").click()
    pending = wait_for(browser, "[data-testid=pending-decision]")
    assert "true match" in pending.text and "alice" in pending.text
    assert "awaiting second review" in find(browser, "[data-testid=alert-status]").text
    shot(browser, screenshots, "05-alice-decided")
    # alice cannot confirm her own decision: no form for her, and posting one is refused.
    assert not find_all(browser, "#confirm-form")
    post_form(browser, f"/ui/alerts/{sdn_alert}/confirm", {"csrf_token": page_csrf(browser)})
    refusal = wait_for(browser, "[data-testid=error-message]")
    assert "reviewer" in refusal.text
    shot(browser, screenshots, "06-alice-cannot-confirm")

    # bob (reviewer) signs in; the workflow refuses him confirming a decision of his own...
    browser.get(f"{web_server.url}/ui")
    find(browser, "form[action='/ui/logout'] button").click()
    wait_for(browser, "#username")
    sign_in(browser, web_server, "bob", f"/ui/alerts/{eu_alert}")
    wait_for(browser, "#decide-form")
    find(browser, "#decide-form input[value=true_match]").click()
    find(browser, "#reason").send_keys("The EU entry is the same person.")
    find(browser, "#decide-form button[type=submit]").click()
    wait_for(browser, "[data-testid=own-decision]")
    assert not find_all(browser, "#confirm-form")
    post_form(browser, f"/ui/alerts/{eu_alert}/confirm", {"csrf_token": page_csrf(browser)})
    refusal = wait_for(browser, "[data-testid=refusal]")
    assert "four-eyes" in refusal.text and "different reviewer" in refusal.text
    assert "awaiting second review" in find(browser, "[data-testid=alert-status]").text
    shot(browser, screenshots, "07-bob-own-decision-refused")

    # ... and he confirms alice's: the decision is final.
    browser.get(f"{web_server.url}/ui/alerts/{sdn_alert}")
    wait_for(browser, "#confirm-form")
    find(browser, "#confirm-reason").send_keys("Checked: agreed.")
    find(browser, "#confirm-form button[type=submit]").click()
    final = wait_for(browser, "[data-testid=final-decision]")
    assert "true match" in final.text and "alice" in final.text and "confirmed by bob" in final.text
    assert "closed" in find(browser, "[data-testid=alert-status]").text
    history = find(browser, "table.history").text
    assert "first" in history and "confirm" in history
    shot(browser, screenshots, "08-bob-confirmed")
    assert_local(browser, web_server.url)

    # The audit log has both decisions, and its chain verifies.
    browser.get(f"{web_server.url}/ui/audit?action=alert.confirm")
    wait_for(browser, "table.audit")
    rows = [r.text for r in find_all(browser, "table.audit tbody tr")]
    assert any(f"alert {sdn_alert}" in r and "bob" in r for r in rows), rows
    status = find(browser, "[data-testid=chain-status]").text
    assert status.startswith("Chain verified")
    browser.get(f"{web_server.url}/ui/audit?action=alert.decide&actor=alice")
    wait_for(browser, "table.audit")
    assert f"alert {sdn_alert}" in find(browser, "table.audit").text
    shot(browser, screenshots, "09-audit")


def test_dashboard_charts(browser: Any, web_server: WebServer, screenshots: Path) -> None:
    browser.get(f"{web_server.url}/ui")
    wait_for(browser, ".charts svg")
    svgs = find_all(browser, ".charts svg")
    assert len(svgs) == 5
    alerts_chart = find(browser, "#chart-alerts svg")
    assert len(alerts_chart.find_elements("css selector", "rect.bar")) >= 2
    decisions = find(browser, "#chart-decisions").get_attribute("innerHTML")
    assert "true match" in decisions
    shot(browser, screenshots, "10-dashboard")
    assert_local(browser, web_server.url)


def test_viewer_cannot_decide(browser: Any, web_server: WebServer, screenshots: Path) -> None:
    sign_in(browser, web_server, "vera")
    browser.get(f"{web_server.url}/ui/alerts?status=open")
    link = wait_for(browser, "a.alert-link")
    alert = int(link.text.lstrip("#"))
    link.click()
    wait_for(browser, "[data-testid=no-decision-rights]")
    assert not find_all(browser, "#decide-form")
    shot(browser, screenshots, "11-viewer-alert")
    post_form(
        browser,
        f"/ui/alerts/{alert}/decide",
        {"csrf_token": page_csrf(browser), "decision": "false_positive", "reason": "x"},
    )
    refusal = wait_for(browser, "[data-testid=error-message]")
    assert "analyst" in refusal.text
    assert "Not allowed" in find(browser, "h1").text


def test_post_without_csrf_token_is_refused(
    browser: Any, web_server: WebServer, screenshots: Path
) -> None:
    sign_in(browser, web_server, "alice")
    browser.get(f"{web_server.url}/ui/alerts?status=open")
    alert = int(wait_for(browser, "a.alert-link").text.lstrip("#"))
    post_form(browser, f"/ui/alerts/{alert}/decide", {"decision": "false_positive", "reason": "x"})
    refusal = wait_for(browser, "[data-testid=error-message]")
    assert "security token" in refusal.text
    shot(browser, screenshots, "12-no-csrf")
    # Nothing was decided.
    browser.get(f"{web_server.url}/ui/alerts/{alert}")
    assert "open" in wait_for(browser, "[data-testid=alert-status]").text


def test_screenshots_saved(screenshots: Path) -> None:
    chromium_or_skip()
    for step in STEPS:
        path = screenshots / f"{step}.png"
        assert path.is_file(), f"{path} was not written"
        data = path.read_bytes()
        assert len(data) > 1000 and data[:8] == b"\x89PNG\r\n\x1a\n", path
        assert re.fullmatch(r"\d\d-[a-z-]+", step)
