"""Bad input at the HTTP surface: a clear JSON error with the right status, never a 500 or a
traceback. Sent to the real server process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from embargo.api.limits import MAX_BATCH, MAX_BODY_BYTES


def person(name: Any) -> dict[str, Any]:
    return {"schema": "Person", "properties": {"name": name}}


def check_error(resp: httpx.Response, status: int, *words: str) -> str:
    assert resp.status_code == status, (resp.status_code, resp.text[:500])
    assert resp.headers["content-type"].startswith("application/json")
    assert "Traceback" not in resp.text
    detail = resp.json()["detail"]
    assert isinstance(detail, str) and detail
    for word in words:
        assert word.lower() in detail.lower(), detail
    return detail


MATCH_CASES: list[tuple[str, Any, int, tuple[str, ...]]] = [
    ("empty name", {"queries": {"q": person([""])}}, 400, ("queries.q", "name")),
    ("blank name", {"queries": {"q": person("   ")}}, 400, ("name",)),
    (
        "no name property",
        {"queries": {"q": {"schema": "Person", "properties": {}}}},
        400,
        ("name",),
    ),
    ("punctuation only", {"queries": {"q": person(["?!"])}}, 400, ("letters",)),
    ("long name", {"queries": {"q": person(["x" * 5000])}}, 400, ("5,000", "limit")),
    (
        "unknown schema",
        {"queries": {"q": {"schema": "Spaceship", "properties": {"name": ["x"]}}}},
        400,
        ("schema",),
    ),
    ("missing schema", {"queries": {"q": {"properties": {"name": ["x"]}}}}, 422, ("schema",)),
    ("missing properties", {"queries": {"q": {"schema": "Person"}}}, 422, ("properties",)),
    (
        "properties a list",
        {"queries": {"q": {"schema": "Person", "properties": ["x"]}}},
        422,
        ("properties",),
    ),
    ("name an object", {"queries": {"q": person({"first": "x"})}}, 400, ("properties.name",)),
    (
        "bad birth date",
        {
            "queries": {
                "q": {"schema": "Person", "properties": {"name": ["A B"], "birthDate": ["soon"]}}
            }
        },
        400,
        ("birthDate",),
    ),
    (
        "bad country",
        {
            "queries": {
                "q": {
                    "schema": "Person",
                    "properties": {"name": ["A B"], "nationality": ["Atlantis"]},
                }
            }
        },
        400,
        ("nationality",),
    ),
    ("no queries key", {"query": {}}, 422, ("queries",)),
    ("queries a list", {"queries": [person(["x"])]}, 422, ("queries",)),
    ("queries empty", {"queries": {}}, 400, ("no queries",)),
    ("body a list", [person(["x"])], 422, ()),
    ("body a string", "Vladimir Putin", 422, ()),
    (
        "too many queries",
        {"queries": {f"q{i}": person(["A B"]) for i in range(MAX_BATCH + 1)}},
        422,
        (str(MAX_BATCH),),
    ),
]


@pytest.mark.parametrize(
    ("case", "body", "status", "words"), MATCH_CASES, ids=[c[0] for c in MATCH_CASES]
)
def test_bad_match_bodies(
    client: httpx.Client, case: str, body: Any, status: int, words: tuple[str, ...]
) -> None:
    check_error(client.post("/match/default", json=body), status, *words)


PARAM_CASES: list[tuple[str, dict[str, Any], int, tuple[str, ...]]] = [
    ("limit zero", {"limit": 0}, 422, ("limit",)),
    ("limit huge", {"limit": 100000}, 422, ("limit",)),
    ("limit text", {"limit": "ten"}, 422, ("limit",)),
    ("threshold over 1", {"threshold": 2}, 422, ("threshold",)),
    ("cutoff negative", {"cutoff": -1}, 422, ("cutoff",)),
    ("unknown algorithm", {"algorithm": "neural-net"}, 400, ("algorithm", "neural-net")),
    ("unknown include", {"include_dataset": ["nope"]}, 400, ("include_dataset", "nope")),
    ("unknown exclude_schema", {"exclude_schema": ["Spaceship"]}, 400, ("exclude_schema",)),
    (
        "too many excluded ids",
        {"exclude_entity_ids": [f"id{i}" for i in range(501)]},
        422,
        ("exclude_entity_ids",),
    ),
]


@pytest.mark.parametrize(
    ("case", "params", "status", "words"), PARAM_CASES, ids=[c[0] for c in PARAM_CASES]
)
def test_bad_match_parameters(
    client: httpx.Client, case: str, params: dict[str, Any], status: int, words: tuple[str, ...]
) -> None:
    body = {"queries": {"q": person(["Vladimir Putin"])}}
    check_error(client.post("/match/default", json=body, params=params), status, *words)


def test_unknown_dataset(client: httpx.Client) -> None:
    body = {"queries": {"q": person(["Vladimir Putin"])}}
    check_error(client.post("/match/atlantis", json=body), 404, "atlantis", "known datasets")
    # A known list that is not loaded: not a silent "no match".
    check_error(client.post("/match/gb_hmt_sanctions", json=body), 404, "not loaded")


def test_malformed_json(client: httpx.Client) -> None:
    headers = {"content-type": "application/json"}
    for raw in (b'{"queries": {"q": ', b"{'queries': 1}", b"\xff\xfe\x00garbage", b""):
        resp = client.post("/match/default", content=raw, headers=headers)
        assert resp.status_code in (400, 422), (raw, resp.text)
        check_error(resp, resp.status_code)
    detail = check_error(
        client.post("/match/default", content=b'{"queries": {"q": ', headers=headers), 400, "json"
    )
    assert "character" in detail


def test_wrong_content_type(client: httpx.Client) -> None:
    body = json.dumps({"queries": {"q": person(["Vladimir Putin"])}})
    resp = client.post("/match/default", content=body, headers={"content-type": "text/plain"})
    check_error(resp, 422)


def test_ten_megabyte_name(client: httpx.Client) -> None:
    """The size cap answers before the 10 MB body is read or parsed."""
    body = {"queries": {"q": person(["A" * 10_000_000])}}
    check_error(client.post("/match/default", json=body), 413, "limit")


def test_body_cap_counts_bytes_without_content_length(client: httpx.Client) -> None:
    chunk = b" " * 65536

    def stream() -> Iterator[bytes]:
        yield b'{"queries": {"q": {"schema": "Person", "properties": {"name": ["'
        for _ in range(MAX_BODY_BYTES // len(chunk) + 2):
            yield chunk
        yield b'"]}}}}'

    resp = client.post(
        "/match/default", content=stream(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in resp.request.headers
    check_error(resp, 413, "limit")


def test_body_just_under_the_cap_is_read(client: httpx.Client) -> None:
    padding = " " * (MAX_BODY_BYTES - 200)
    raw = (
        '{"queries": {"q": {"schema": "Person", "properties": {"name": ["Vladimir Putin"]}}}'
        + padding
        + "}"
    )
    resp = client.post("/match/default", content=raw, headers={"content-type": "application/json"})
    assert resp.status_code == 200, resp.text


def test_bad_search(client: httpx.Client) -> None:
    check_error(client.get("/search/default", params={"q": "x" * 600}), 422, "q")
    check_error(
        client.get("/search/default", params={"q": "Putin", "offset": 900, "limit": 200}),
        422,
        "offset",
    )
    check_error(client.get("/search/default", params={"limit": 0}), 422, "limit")
    check_error(client.get("/search/default", params={"schema": "Spaceship"}), 400, "schema")
    check_error(client.get("/search/atlantis", params={"q": "Putin"}), 404, "atlantis")
    check_error(client.get("/search/default", params={"q": "?!"}), 400, "letters")


def test_bad_text(client: httpx.Client) -> None:
    check_error(client.post("/screen/text", json={"txt": "x"}), 422, "text")
    check_error(client.post("/screen/text", json={"text": 42}), 422, "text")
    check_error(client.post("/screen/text", json={"text": "x " * 150_000}), 413, "limit")
    check_error(client.post("/screen/text", json={"text": "x", "dataset": "atlantis"}), 404)


def test_unknown_paths_and_methods(client: httpx.Client) -> None:
    check_error(client.get("/nowhere"), 404)
    check_error(client.get("/match/default"), 405)
    check_error(client.get("/entities/" + "x" * 300), 404)
