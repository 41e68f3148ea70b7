"""The HTTP API against its own OpenAPI document, with schemathesis: every operation the
document lists gets generated requests (valid and invalid ones, a bounded number each),
sent in process to the app as ``embargo serve`` runs it — authentication on, an
administrator's API key — over a small SQLite store with one list loaded.

Checked on every response: no server error (5xx); and every successful response has a
documented status code, content type and body (the response schema). Error responses that
differ from the document are listed in the output. The app is built once for all
operations; schemathesis runs its start-up and shutdown around each request.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from embargo.api import create_app
from embargo.api import state as api_state
from embargo.auth import AuthService
from embargo.auth.service import MAX_RATE_LIMIT
from embargo.screening import Screener
from embargo.settings import Settings
from embargo.store import Store
from embargo.update import load_path
from tests.api.test_app import COMPANY_QUERY, write_list

# Requests per operation and kind (examples drawn by hypothesis, shrunk on a failure).
# EMBARGO_SCHEMATHESIS_EXAMPLES raises it for a longer run.
EXAMPLES = int(os.environ.get("EMBARGO_SCHEMATHESIS_EXAMPLES", "25"))
CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]

LISTED = [
    "Acme Rocket Trading",
    "Rosoboronexport",
    "Sea Glory Shipping Co",
    "Myohyang Shipping",
    "Globex Petroleum FZE",
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, str]]:
    """The app, started (its index loaded), and an administrator's API key."""
    root = tmp_path_factory.mktemp("schemathesis")
    cfg = Settings(data_dir=root / "data", database_url=f"sqlite:///{root / 'e.db'}")
    store = Store.open(cfg.db_url)
    assert load_path(store, write_list(root / "list", "alpha", LISTED), cfg).ok
    auth = AuthService(store)
    auth.create_user("admin", "admin", actor="test")
    key = auth.create_key("admin", rate_limit=MAX_RATE_LIMIT, actor="test")[1]
    with pytest.MonkeyPatch.context() as mp:
        # Companies only: no person-name tagger to load at start-up.
        mp.setattr(api_state, "_WARM_UP", (COMPANY_QUERY,))
        screener = Screener.open(settings=cfg)
        app = create_app(cfg, screener=screener, store=store, auth=True)
        # schemathesis runs the app's start-up and shutdown around each request it sends.
        yield app, key
    store.close()


@pytest.fixture(scope="module")
def api_schema(served: tuple[FastAPI, str]) -> Any:
    app, _key = served
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def _operations(api_schema: Any) -> list[Any]:
    return [result.ok() for result in api_schema.get_all_operations()]


def _check_name(check: Any) -> str:
    return str(getattr(check, "__name__", check))


def _exercise(
    operation: Any, mode: GenerationMode, key: str, deviations: dict[tuple[str, str, int], str]
) -> int:
    """Send ``EXAMPLES`` generated requests to one operation. A server error raises (and is
    shrunk by hypothesis to the smallest request that causes it); a response that does not
    conform to the document is recorded in ``deviations`` by (operation, kind of failure),
    with one example. The number of requests sent."""
    sent = 0

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        nonlocal sent
        sent += 1
        response = case.call(headers={"Authorization": f"Bearer {key}"}, timeout=120)
        assert response.status_code < 500, (
            f"{response.status_code} for {case.as_curl_command()}: {response.text[:1000]}"
        )
        try:
            case.validate_response(response, checks=CONFORMANCE)
        except BaseException as exc:  # a FailureGroup is a BaseExceptionGroup
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            for failure in getattr(exc, "exceptions", [exc]):
                where = (operation.label, type(failure).__name__, response.status_code)
                deviations.setdefault(where, f"{failure}"[:600])

    run()
    return sent


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
def test_every_operation(
    api_schema: Any, served: tuple[FastAPI, str], mode: GenerationMode
) -> None:
    """Valid (positive) and invalid (negative) requests to every operation: no 5xx at all,
    and successful responses as documented. Every operation is run; the failures are
    reported together."""
    _app, key = served
    errors: list[str] = []
    deviations: dict[tuple[str, str, int], str] = {}
    sent: dict[str, int] = {}
    for operation in _operations(api_schema):
        try:
            sent[operation.label] = _exercise(operation, mode, key, deviations)
        except Exception as exc:  # a server error (or the test's own): reported together
            errors.append(f"{operation.label}: {_describe(exc)}")
    print(
        f"{mode.value}: {sum(sent.values())} requests to {len(sent)} operations; "
        f"deviations from the document: {sorted(deviations)}"
    )
    assert len(sent) + len(errors) >= 10
    assert not errors, "\n\n".join(errors)
    # A successful answer must be what the document says. (Error answers are reported
    # above: status codes the document does not list — 400, 403, 404, 409 on many workflow
    # and administration routes — and 422 bodies whose "detail" is a message where
    # FastAPI's default schema says a list.)
    broken = {w: e for w, e in deviations.items() if 200 <= w[2] < 300}
    assert not broken, "\n\n".join(f"{w}: {e}" for w, e in broken.items())


def _describe(exc: BaseException) -> str:
    inner = getattr(exc, "exceptions", None)
    if inner:
        return "\n  ".join(_describe(e) for e in inner)
    return f"{type(exc).__name__}: {exc}"[:1500]


def test_every_operation_is_documented(
    api_schema: Any, served: tuple[FastAPI, str], tmp_path: Path
) -> None:
    """The document lists the API's routes (what the test above covers), the workflow and
    administration ones included."""
    app, _key = served
    documented = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    routed = {
        (method, route.path)
        for route in app.routes
        if getattr(route, "include_in_schema", False)
        for method in getattr(route, "methods", ())
        if method not in ("HEAD", "OPTIONS")
    }
    print(f"{len(documented)} documented operations")
    assert routed <= documented, sorted(routed - documented)
    assert len(documented) >= 10
