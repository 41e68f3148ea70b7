"""Ongoing monitoring: a list update screened in reverse against the book, the same alerts as a
full re-screen, notices for delistings, JSON lines and webhook delivery, on both stores."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import click
import msgspec
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from embargo import cli
from embargo.batch.io import ColumnMapping
from embargo.match.index import MatchIndex, signature_of
from embargo.model import Entity, Schema
from embargo.model.measures import ofac_listing
from embargo.screening import Screener
from embargo.settings import Settings
from embargo.store import Store
from embargo.workflow import FourEyesError, Workflow, WorkflowConfig
from embargo.workflow import monitor as monitor_module
from embargo.workflow.commands import evidence, monitor
from embargo.workflow.monitor import MonitorBusyError, Webhook, run_monitor
from embargo.workflow.monitor_tables import (
    customer_key_state,
    customer_key_strings,
    customer_keys,
    key_hash,
    monitor_runs,
)
from tests.builders import entity
from tests.workflow.conftest import save_list

# -- the lists: version 1, and version 2 with additions, changes and removals ------------------


def orlovsky() -> Entity:  # confirmed a true match for C1, then delisted
    return entity("Viktor ORLOVSKY", id="orlovsky", birth="1965-03-02")


def kuznetsky(*aliases: str) -> Entity:  # a false positive for C2; gains an alias
    return entity("Rostislav KUZNETSKY", *aliases, id="kuznetsky", birth="1971")


def berecsky(program: str = "SDGT") -> Entity:  # a false positive for C3; a change that
    return entity(  # does not matter (a new programme)
        "Zoltan BERECSKY",
        id="berecsky",
        birth="1959",
        listing=ofac_listing("test_list", [program], sdn=True),
    )


def castellanos() -> Entity:  # an open alert for C4, then delisted
    return entity("Aurelio CASTELLANOS BRITO", id="castellanos")


def wroblewska() -> Entity:  # new in version 2: matches C5
    return entity("Magdalena WROBLEWSKA-KURTZ", id="wroblewska")


def maliszewski(birth: str) -> Entity:  # birth date changes to C6's
    return entity("Teodor MALISZEWSKI", id="maliszewski", birth=birth)


def vostrikov() -> Entity:  # unchanged; C7 changes its name to this one
    return entity("Sergei VOSTRIKOV", id="vostrikov", birth="1968-11-23")


def ferrante() -> Entity:  # unchanged; a false positive for C8, whose data then changes
    return entity("Ignatius FERRANTE-BLOOM", id="ferrante")


def ardent() -> Entity:
    return entity("ARDENT MARINER SHIPPING LLC", id="ardent", schema=Schema.COMPANY)


VERSION_1 = [
    orlovsky(),
    kuznetsky(),
    berecsky(),
    castellanos(),
    maliszewski("1990"),
    vostrikov(),
    ferrante(),
    ardent(),
]
VERSION_2 = [
    kuznetsky("Rostik KUZNETSKY"),
    berecsky("IRAN"),
    wroblewska(),
    maliszewski("1955"),
    vostrikov(),
    ferrante(),
    ardent(),
]

BOOK = """ref,name,dob,kind
C1,Viktor Orlovsky,1965-03-02,Person
C2,Rostislav Kuznetsky,,Person
C3,Zoltan Berecsky,1959-06-01,Person
C4,Aurelio Castellanos Brito,,Person
C5,Magdalena Wroblewska Kurtz,,Person
C6,Teodor Maliszewski,1955-04-04,Person
C7,Hollis Pemberton-Grange,,Person
C8,Ignatius Ferrante-Bloom,,Person
C9,Brunhilde Oakenshaw,1988-02-02,Person
C10,Quillfeather Logistics GmbH,,Company
"""
MAPPING = ColumnMapping(ref="ref", name="name", birth_date="dob", schema="kind")


def screener_for(store: Store, settings: Settings) -> Callable[[], Screener]:
    def make() -> Screener:
        versions = store.active_versions()
        signature = signature_of((v.source, v.id, v.content_hash) for v in versions)
        index = MatchIndex.build(store.iter_active_entities(), signature=signature)
        return Screener(index, store=store, settings=settings)

    return make


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBARGO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("EMBARGO_FOUR_EYES", "on")
    for name in ("EMBARGO_FOUR_EYES_SOURCES", "EMBARGO_FOUR_EYES_MEASURES"):
        monkeypatch.delenv(name, raising=False)
    for name in ("EMBARGO_ALERT_THRESHOLD", "EMBARGO_ALERT_LIMIT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def wf(store: Store, settings: Settings, env: None) -> Iterator[Workflow]:
    w = Workflow(store, screener_for(store, settings), settings, config=WorkflowConfig())
    yield w
    w.close()


@click.group(cls=cli.EmbargoGroup)
@click.option("--db")
@click.pass_context
def app(ctx: click.Context, db: str | None) -> None:
    """The two commands as ``embargo`` registers them."""
    ctx.obj = cli.Context(db)


app.add_command(monitor)
app.add_command(evidence)


def invoke(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", url, *args], catch_exceptions=False)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def alert_for(wf: Workflow, ref: str) -> int:
    (alert,) = wf.list_alerts(ref=ref, status="active")
    return alert.id


# -- the end-to-end test the issue asks for ---------------------------------------------------


def test_end_to_end_monitoring(wf: Workflow, store: Store, store_url: str, tmp_path: Path) -> None:
    book = tmp_path / "book.csv"
    book.write_text(BOOK)
    summary = wf.import_customers(book, MAPPING, "loader", screen=False)
    assert summary.created == 10 and not summary.errors
    v1 = save_list(store, VERSION_1, date="2024-05-01").version

    # Screen the book against version 1.
    first = wf.screen_customers(actor="loader")
    alerted = {wf.get_alert(a).customer_ref: wf.get_alert(a).entity_id for a in first.alerts}
    assert alerted == {
        "C1": "test_list-orlovsky",
        "C2": "test_list-kuznetsky",
        "C3": "test_list-berecsky",
        "C4": "test_list-castellanos",
        "C8": "test_list-ferrante",
    }  # C6's birth date rules out version 1's Maliszewski

    # Review: a true match under four-eyes (two users), three false positives, one left open.
    c1 = alert_for(wf, "C1")
    assert not wf.decide(c1, "true_match", "same person, same birth date", actor="alice").final
    with pytest.raises(FourEyesError):
        wf.confirm(c1, actor="alice")
    assert wf.confirm(c1, actor="bob").final
    for ref in ("C2", "C3", "C8"):
        assert wf.decide(alert_for(wf, ref), "false_positive", "KYC: other person", "alice").final
    assert len(wf.whitelist()) == 3

    # The first monitoring run finds the baseline (what the book was screened against).
    out = tmp_path / "events.jsonl"
    result = invoke(store_url, "monitor", "--no-update", "--out", str(out), "--as", "monitor")
    assert result.exit_code == 0, result.output
    assert not out.exists() or lines(out) == []

    # Between runs: a customer changes its name, another gains a birth date; version 2.
    wf.upsert_customer(
        "C7", {"schema": "Person", "properties": {"name": ["Sergei Vostrikov"]}}, "loader"
    )
    wf.upsert_customer(
        "C8",
        {
            "schema": "Person",
            "properties": {"name": ["Ignatius Ferrante-Bloom"], "birthDate": ["1970-01-01"]},
        },
        "loader",
    )
    v2 = save_list(store, VERSION_2, date="2024-06-01").version
    diff = store.diff("test_list", v1.id, v2.id)
    assert [i for i, _c in diff.added] == ["test_list-wroblewska"]
    assert sorted(i for i, _c in diff.removed) == ["test_list-castellanos", "test_list-orlovsky"]
    assert sorted(c.entity_id for c in diff.changed) == [
        "test_list-berecsky",
        "test_list-kuznetsky",
        "test_list-maliszewski",
    ]

    result = invoke(store_url, "monitor", "--no-update", "--out", str(out), "--as", "monitor")
    assert result.exit_code == 1, result.output
    events = lines(out)
    alerts = {(e["customer_ref"], e["entity_id"]): e for e in events if e["type"] == "alert"}
    notices = {(e["customer_ref"], e["entity_id"]): e for e in events if e["type"] == "notice"}
    assert set(alerts) == {
        ("C2", "test_list-kuznetsky"),  # whitelisted, but the entity gained a name
        ("C5", "test_list-wroblewska"),  # a new entity
        ("C6", "test_list-maliszewski"),  # a changed birth date now agrees
        ("C7", "test_list-vostrikov"),  # a changed customer, screened in full
        ("C8", "test_list-ferrante"),  # whitelisted, but the customer's data changed
    }
    c2 = alerts[("C2", "test_list-kuznetsky")]
    assert "gained the name 'Rostik KUZNETSKY'" in c2["reason"]
    assert c2["previous_alert_id"] is not None
    assert alerts[("C5", "test_list-wroblewska")]["reason"].startswith("new match")
    assert alerts[("C6", "test_list-maliszewski")]["reason"].startswith("new match")
    assert (
        "customer birthDate: '1970-01-01' added" in alerts[("C8", "test_list-ferrante")]["reason"]
    )
    assert {k: n["kind"] for k, n in notices.items()} == {
        ("C1", "test_list-orlovsky"): "delisted_confirmed_match",
        ("C4", "test_list-castellanos"): "alert_on_delisted_entity",
    }
    assert "confirmed by bob" in notices[("C1", "test_list-orlovsky")]["message"]
    assert all(e["run_id"] == alerts[("C2", "test_list-kuznetsky")]["run_id"] for e in events)

    # C3's false positive still holds: Berecsky only gained a programme. The monitoring
    # screening of C3 says so.
    (c3,) = [s for s in wf.screenings("C3") if s.trigger == "monitor"]
    assert [(o.entity_id, o.outcome) for o in c3.outcomes] == [
        ("test_list-berecsky", "whitelisted")
    ]
    assert c3.scope["kind"] == "list_changes"
    assert {e.customer_ref for e in wf.whitelist()} == {"C3"}

    # Every run is audited with its counts; notices are audited under their customer.
    runs = store.audit_records(action="monitor.run")
    assert len(runs) == 2
    assert runs[-1].details["lists"][0]["added"] == 1
    assert runs[-1].details["lists"][0]["removed"] == 2
    assert len(runs[-1].details["alerts"]) == 5
    assert {r.details["customer"] for r in store.audit_records(action="monitor.notice")} == {
        "C1",
        "C4",
    }
    assert store.verify_audit().ok

    # Nothing new since: a third run is quiet, and a full re-screen raises nothing more.
    result = invoke(store_url, "monitor", "--no-update", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert len(lines(out)) == len(events)
    assert wf.screen_customers(actor="auditor").alerts == []


def test_first_run_without_screenings_is_a_baseline(wf: Workflow, store: Store) -> None:
    save_list(store, VERSION_1)
    run = run_monitor(wf, actor="monitor", update=False)
    assert run.exit_code == 0 and run.alerts == [] and run.notices == []
    assert [(c.source, c.baseline, c.added) for c in run.lists] == [("test_list", "none", 0)]
    save_list(store, VERSION_2, date="2024-06-01")
    run = run_monitor(wf, actor="monitor", update=False)
    assert [(c.added, c.changed, c.removed) for c in run.lists] == [(1, 3, 2)]
    assert run.exit_code == 0  # no customers: nothing to alert on


def test_customer_keys_follow_the_customers(wf: Workflow, store: Store) -> None:
    data = {"schema": "Person", "properties": {"name": ["Teodor Maliszewski"]}}
    change = wf.upsert_customer("K1", data, "loader")
    keys, parts = customer_key_strings(data)
    assert parts == 2
    assert "tmaliszewski" in keys and "tteodormaliszewski" in keys

    def stored() -> set[int]:
        with store.engine.connect() as conn:
            return set(
                conn.execute(
                    select(customer_keys.c.key).where(
                        customer_keys.c.customer_id == change.customer_id
                    )
                ).scalars()
            )

    assert stored() == {key_hash(k) for k in keys}
    renamed = {"schema": "Person", "properties": {"name": ["Sergei Vostrikov"]}}
    wf.upsert_customer("K1", renamed, "loader")
    assert stored() == {key_hash(k) for k in customer_key_strings(renamed)[0]}
    # Keys lost (written by something that did not key them) are rebuilt by the next run.
    with store.engine.begin() as conn:
        conn.execute(customer_keys.delete())
        conn.execute(customer_key_state.delete())
    save_list(store, VERSION_1)
    run = run_monitor(wf, actor="monitor", update=False)
    assert run.customers_keyed == 1
    assert stored() == {key_hash(k) for k in customer_key_strings(renamed)[0]}


def test_a_second_run_at_the_same_time_is_refused(wf: Workflow, store: Store) -> None:
    save_list(store, VERSION_1)
    with store.engine.begin() as conn:
        conn.execute(
            monitor_runs.insert().values(
                started_at=func.now(),
                actor="other",
                status="running",
                summary={},
                alerts=[],
                notices=[],
            )
        )
    with pytest.raises(MonitorBusyError, match="by other has been running"):
        run_monitor(wf, actor="monitor", update=False)


# -- monitoring == a full re-screen, on a generated book -------------------------------------

SYLLABLES = (
    "ka", "to", "mi", "ra", "sen", "lo", "vik", "dar", "bel", "an", "gri", "mun", "es", "zor",
    "pel", "ta", "quin", "or", "ul", "va", "ne", "shi", "bro", "gal",
)  # fmt: skip


def _word(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(n)).title()


def _typo(rng: random.Random, name: str) -> str:
    i = rng.randrange(1, len(name) - 2)
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def generated(seed: int, entities: int, book: int) -> tuple[list[Entity], list[Entity], str]:
    """A list (version 1), its version 2 (60 changes) and a book whose customers carry
    listed names as published, with typos, reordered, and unrelated names."""
    rng = random.Random(seed)
    listed: list[Entity] = []
    for i in range(entities):
        first, last = _word(rng, 2), _word(rng, 3)
        birth = f"{rng.randint(1940, 1999)}" if rng.random() < 0.6 else None
        listed.append(entity(f"{first} {last.upper()}", id=f"g{i}", birth=birth))
    v2 = {e.id: e for e in listed}
    ids = list(v2)
    rng.shuffle(ids)
    for eid in ids[:15]:  # gains an alias
        e = v2[eid]
        alias = _word(rng, 2) + " " + e.names[0].full.split()[-1]
        v2[eid] = msgspec.structs.replace(e, names=[*e.names, *entity(alias).names])
    for eid in ids[15:30]:  # birth date changed
        v2[eid] = msgspec.structs.replace(
            v2[eid], birth_dates=entity("x", birth="1950").birth_dates
        )
    for eid in ids[30:40]:  # removed
        del v2[eid]
    rows = ["ref,name,dob"]
    unrelated: list[str] = []
    for i in range(book):
        r = rng.random()
        dob = ""
        if r < 0.08:
            name = rng.choice(listed).names[0].full
        elif r < 0.14:
            name = _typo(rng, rng.choice(listed).names[0].full)
        elif r < 0.17:
            first, last = rng.choice(listed).names[0].full.split()
            name = f"{last} {first}"
        else:
            name = f"{_word(rng, 2)} {_word(rng, 3)}"
            unrelated.append(name)
            if rng.random() < 0.5:
                dob = f"{rng.randint(1940, 2000)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
        rows.append(f"B{i:05d},{name},{dob}")
    for i, name in enumerate(rng.sample(unrelated, 20)):  # customers newly listed
        v2[f"new{i}"] = entity(name.upper(), id=f"new{i}")
    return listed, list(v2.values()), "\n".join(rows) + "\n"


@pytest.mark.slow
def test_monitoring_raises_the_same_alerts_as_a_full_rescreen(
    wf: Workflow, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed, changed, book_text = generated(7, 400, 2500)
    book = tmp_path / "book.csv"
    book.write_text(book_text)
    wf.import_customers(
        book, ColumnMapping(ref="ref", name="name", birth_date="dob"), "loader", screen=False
    )
    save_list(store, listed, date="2024-05-01")
    initial = wf.screen_customers(actor="loader")
    assert len(initial.alerts) > 150
    # Some false positives, so that whitelisted pairs take part too.
    for alert_id in initial.alerts[:40]:
        wf.decide(alert_id, "false_positive", "generated", actor="alice")
    run_monitor(wf, actor="monitor", update=False)  # the baseline

    save_list(store, changed, date="2024-06-01")
    # Scored in two forked processes, as a big book would be.
    monkeypatch.setattr(monitor_module, "PARALLEL_MIN", 1)
    run = run_monitor(wf, actor="monitor", update=False, workers=2)
    assert run.reverse["workers"] == 2
    assert run.lists[0].added == 20 and run.lists[0].removed == 10
    assert run.candidates < 2500  # reverse screening looked at part of the book only
    monitored = {(a.customer_ref, a.entity_id) for a in run.alerts}
    assert len(monitored) >= 20

    # A full re-screen after it: every alert it raises on top is "drift" — an entity and a
    # customer that both did not change, which the whole lists' index now retrieves because
    # a changed neighbour moved its relative cutoff — never one a change brought about.
    full = wf.screen_customers(actor="auditor", trigger="full")
    changed_ids = {e.id for e in changed} - {e.id for e in listed if e in changed}
    missed = [(wf.get_alert(a).customer_ref, wf.get_alert(a).entity_id) for a in full.alerts]
    assert not [pair for pair in missed if pair[1] in changed_ids]
    assert len(missed) <= 2
    # Every monitoring alert is one the full re-screen finds too: the reverse step's pairs
    # are confirmed by a screening against the whole lists (whose 30 candidate places can
    # cut a pair that the reverse step, with no competition, scores above the threshold).
    found = {
        (s.customer_ref, o.entity_id)
        for s in wf.screenings()
        if s.trigger == "full"
        for o in s.outcomes
        if o.outcome in ("alert", "active_alert")
    }
    assert monitored <= found, sorted(monitored - found)
    assert run.reverse["confirmed"] >= len(monitored) - run.reverse["added"]
    reasons = [a.reason for a in run.alerts if a.previous_alert_id is not None]
    assert reasons and all("no longer holds because" in r for r in reasons)


# -- webhook delivery -------------------------------------------------------------------------


class Hook:
    """A local HTTP server recording POSTed JSON; ``fail`` makes it answer 500."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.attempts = 0
        self.fail = False
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                hook.attempts += 1
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if hook.fail:
                    self.send_response(500)
                    self.end_headers()
                    self.wfile.write(b"down for maintenance")
                    return
                hook.received.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook?token=secret"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    yield h
    h.close()


def _two_versions(wf: Workflow, store: Store, refs: Sequence[tuple[str, str, str]]) -> None:
    for ref, name, birth in refs:
        props = {"name": [name], "birthDate": [birth] if birth else []}
        wf.upsert_customer(ref, {"schema": "Person", "properties": props}, "loader")
    save_list(store, VERSION_1, date="2024-05-01")
    wf.screen_customers(actor="loader")
    run_monitor(wf, actor="monitor", update=False)


def test_webhook_delivery_and_failure(wf: Workflow, store: Store, hook: Hook) -> None:
    _two_versions(wf, store, [("C5", "Magdalena Wroblewska Kurtz", "")])
    save_list(store, VERSION_2, date="2024-06-01")

    # The webhook is down: the alert is stored and emitted, the failure reported and audited.
    hook.fail = True
    emitted: list[dict[str, Any]] = []
    failing = Webhook(hook.url, timeout=5, retries=2, backoff=0.01)
    run = run_monitor(wf, actor="monitor", update=False, webhook=failing, emit=emitted.append)
    assert hook.attempts == 3
    assert run.delivery is not None and not run.delivery.ok
    assert run.delivery.status_code == 500 and "down for maintenance" in (run.delivery.error or "")
    assert run.exit_code == 2
    assert [(e["type"], e["customer_ref"]) for e in emitted] == [("alert", "C5")]
    assert [a.customer_ref for a in wf.list_alerts(status="open")] == ["C5"]
    (failed,) = store.audit_records(action="monitor.webhook_failed")
    assert failed.details["url"] == f"http://127.0.0.1:{hook.server.server_port}/hook"
    assert "secret" not in json.dumps(failed.details)

    # It is back: the next run (nothing new of its own) sends the alert it could not.
    hook.fail = False
    second = run_monitor(wf, actor="monitor", update=False, webhook=failing)
    assert second.alerts == [] and second.delivery is not None and second.delivery.ok
    (payload,) = hook.received
    assert payload["event"] == "embargo.monitor"
    assert payload["redelivered_runs"] == [run.id]
    assert [(a["customer_ref"], a["entity_id"]) for a in payload["alerts"]] == [
        ("C5", "test_list-wroblewska")
    ]
    assert second.exit_code == 0
    assert len(store.audit_records(action="monitor.webhook_delivered")) == 1

    # Delivered once: a third run has nothing to send and sends nothing.
    third = run_monitor(wf, actor="monitor", update=False, webhook=failing)
    assert third.delivery is None and len(hook.received) == 1
    assert store.verify_audit().ok


def test_cli_posts_to_the_webhook(
    wf: Workflow, store: Store, store_url: str, hook: Hook, tmp_path: Path
) -> None:
    _two_versions(
        wf,
        store,
        [("C1", "Viktor Orlovsky", "1965-03-02"), ("C6", "Teodor Maliszewski", "1955-04-04")],
    )
    c1 = alert_for(wf, "C1")
    wf.decide(c1, "true_match", "same", actor="alice")
    wf.confirm(c1, actor="bob")
    assert wf.list_alerts(ref="C6") == []  # version 1's Maliszewski was born in 1990
    # C6 changes (a country): screened in full against version 2, where the birth year agrees.
    props = {"name": ["Teodor Maliszewski"], "birthDate": ["1955-04-04"], "country": ["pl"]}
    wf.upsert_customer("C6", {"schema": "Person", "properties": props}, "loader")
    save_list(store, VERSION_2, date="2024-06-01")
    result = invoke(store_url, "monitor", "--no-update", "--webhook", hook.url)
    assert result.exit_code == 1, result.output
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [(e["type"], e["customer_ref"]) for e in events] == [
        ("alert", "C6"),
        ("notice", "C1"),
    ]
    (payload,) = hook.received
    assert [a["customer_ref"] for a in payload["alerts"]] == ["C6"]
    assert [n["kind"] for n in payload["notices"]] == ["delisted_confirmed_match"]
    assert "webhook" in result.stderr and "delivered" in result.stderr


def test_cli_webhook_unreachable_exits_2(store: Store, store_url: str, env: None) -> None:
    save_list(store, VERSION_1)
    result = invoke(store_url, "monitor", "--no-update", "--webhook", "ftp://example.invalid/hook")
    assert result.exit_code == 2
    assert "not an http(s) URL" in result.stderr


def test_cli_loops_with_interval(store: Store, store_url: str, env: None) -> None:
    save_list(store, VERSION_1)
    result = invoke(store_url, "monitor", "--no-update", "--interval", "1", "--runs", "2")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("monitoring run") == 2


def test_a_list_update_that_fails_is_reported_and_the_run_goes_on(
    wf: Workflow,
    store: Store,
    store_url: str,
    hook: Hook,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without --no-update the run fetches the lists first (here from a mirror that has
    none of them): every failure is reported, exit code 2, and the run still monitors what
    is loaded and is audited."""
    _two_versions(wf, store, [("C5", "Magdalena Wroblewska Kurtz", "")])
    save_list(store, VERSION_2, date="2024-06-01")
    hook.fail = True  # answers 500 to POST; GET is not handled: 501
    monkeypatch.setenv("EMBARGO_MIRROR_URL", hook.url.split("/hook")[0] + "/mirror")
    monkeypatch.setenv("EMBARGO_FETCH_RETRIES", "1")
    out = tmp_path / "events.jsonl"
    result = invoke(store_url, "monitor", "--source", "un_sc", "--out", str(out))
    assert result.exit_code == 2, result.output
    assert "error: un_sc:" in result.stderr
    assert [(e["type"], e["customer_ref"]) for e in lines(out)] == [("alert", "C5")]
    (run,) = store.audit_records(action="monitor.run")[-1:]
    assert run.details["update"][0]["source"] == "un_sc"
    assert run.details["update"][0]["status"] == "failed"
    assert store.audit_records(action="list.fetch_failed")


def test_a_pair_a_full_screening_would_cut_does_not_alert(wf: Workflow, store: Store) -> None:
    """Thirty-five listed namesakes fill a full screening's 30 candidate places; a new,
    slightly different listing scores above the threshold on its own (as the reverse step,
    with no competition, finds it) but a full screening never reaches it: no alert, as a
    full re-screen would raise none."""
    namesakes = [entity("Juan Carlos GARCIA LOPEZ", id=f"garcia-{i}") for i in range(35)]
    wf.upsert_customer(
        "C-GARCIA",
        {"schema": "Person", "properties": {"name": ["Juan Carlos Garcia Lopez"]}},
        "loader",
    )
    save_list(store, namesakes, date="2024-05-01")
    wf.screen_customers(actor="loader")
    run_monitor(wf, actor="monitor", update=False)

    newcomer = entity("Juan Carlo GARCIA LOPES", id="garcia-new")
    alone = Screener.from_entities([newcomer]).screen(
        {"schema": "Person", "properties": {"name": ["Juan Carlos Garcia Lopez"]}}
    )
    assert alone and alone[0].score >= wf.threshold  # a match, taken on its own
    save_list(store, [*namesakes, newcomer], date="2024-06-01")
    run = run_monitor(wf, actor="monitor", update=False)
    assert run.reverse["dropped"] == 1 and run.reverse["confirmed"] == 0
    assert [a.entity_id for a in run.alerts] == []
    full = wf.screen_customers(actor="auditor", trigger="full")
    assert full.alerts == []  # the full re-screen agrees


def test_the_whole_index_is_built_ahead_in_a_forked_process(
    store: Store, settings: Settings
) -> None:
    """A workflow that opens its own screener (as ``embargo monitor`` does): while the
    reverse step runs, a forked process builds and saves the new versions' whole index; the
    forward confirmation loads it, and the next screening finds it saved."""
    own = Workflow(store, None, settings, config=WorkflowConfig())
    try:
        _two_versions(own, store, [("C5", "Magdalena Wroblewska Kurtz", "")])
        assert Screener.index_saved(store, settings)  # version 1's, saved by the screening
        save_list(store, VERSION_2, date="2024-06-01")
        assert not Screener.index_saved(store, settings)  # version 2's is not built yet
        run = run_monitor(own, actor="monitor", update=False)
        assert "index_wait_s" in run.timings
        assert Screener.index_saved(store, settings)
        assert [(a.customer_ref, a.entity_id) for a in run.alerts] == [
            ("C5", "test_list-wroblewska")
        ]
    finally:
        own.close()
