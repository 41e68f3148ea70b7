"""A yente client works unchanged: yente's own /match examples are accepted, and the
responses validate against yente's response models (tests/fixtures/api/, origin noted there)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from embargo.api.models import EntityMatchResponse

API_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "api"
REQUESTS: list[dict[str, Any]] = json.loads((API_FIXTURES / "yente_requests.json").read_text())
MODEL: dict[str, Any] = json.loads((API_FIXTURES / "yente_response_model.json").read_text())


def _split(text: str, sep: str) -> list[str]:
    """Split at ``sep`` outside brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch == "["
        depth -= ch == "]"
        if ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _fields(models: dict[str, Any], name: str) -> dict[str, Any]:
    spec = dict(models[name])
    parent = spec.pop("_extends", None)
    if parent is not None:
        spec = {**_fields(models, parent), **spec}
    return spec


def conforms(value: Any, type_: str, models: dict[str, Any], where: str) -> list[str]:
    """Problems found checking ``value`` against a transcribed yente type (empty: fine).

    Types are checked as pydantic checks them in a client: ints for floats are fine, strings
    for datetimes must parse, extra fields are ignored.
    """
    options = _split(type_, "|")
    if len(options) > 1:
        found = [conforms(value, opt, models, where) for opt in options]
        return [] if any(not p for p in found) else found[0]
    t = type_
    if t == "null":
        return [] if value is None else [f"{where}: expected null"]
    if t == "str":
        return [] if isinstance(value, str) else [f"{where}: expected a string, got {value!r}"]
    if t == "bool":
        return [] if isinstance(value, bool) else [f"{where}: expected a boolean"]
    if t == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{where}: expected an integer"]
    if t == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{where}: expected a number"]
    if t == "datetime":
        try:
            datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return [f"{where}: {value!r} is not a date-time"]
        return [] if isinstance(value, str) else [f"{where}: expected a date-time string"]
    if t == "list":
        return [] if isinstance(value, list) else [f"{where}: expected a list"]
    if t.startswith("list[") and t.endswith("]"):
        if not isinstance(value, list):
            return [f"{where}: expected a list"]
        return [
            p for i, v in enumerate(value) for p in conforms(v, t[5:-1], models, f"{where}[{i}]")
        ]
    if t.startswith("dict[") and t.endswith("]"):
        if not isinstance(value, dict):
            return [f"{where}: expected an object"]
        return [p for k, v in value.items() for p in conforms(v, t[5:-1], models, f"{where}.{k}")]
    if t in models:
        if not isinstance(value, dict):
            return [f"{where}: expected a {t} object"]
        problems: list[str] = []
        for field, spec in _fields(models, t).items():
            if field.startswith("_"):
                continue
            if field not in value:
                if spec["required"]:
                    problems.append(f"{where}: missing required field {field!r} of {t}")
                continue
            problems += conforms(value[field], spec["type"], models, f"{where}.{field}")
        return problems
    raise AssertionError(f"unknown type {t!r} in the model fixture")


def validate(data: Any) -> None:
    models = MODEL["models"]
    problems = conforms(data, MODEL["root"], models, "response")
    legacy = {**models, **{k: v for k, v in MODEL["legacy"].items() if not k.startswith("_")}}
    problems += conforms(data, MODEL["root"], legacy, "response(yente 3.x)")
    assert not problems, "\n".join(problems[:20])


def test_validator_catches_what_yente_would_reject() -> None:
    good = {
        "responses": {
            "q": {
                "status": 200,
                "results": [],
                "total": {"value": 0, "relation": "eq"},
                "query": {"schema": "Person", "properties": {"name": ["x"]}},
            }
        },
        "limit": 5,
    }
    assert not conforms(good, "EntityMatchResponse", MODEL["models"], "r")
    bad_result = {"id": "x", "caption": "x", "schema": "Person", "properties": {}, "match": True}
    problems = conforms(bad_result, "ScoredEntityResponse", MODEL["models"], "r")
    assert problems == ["r: missing required field 'explanations' of ScoredEntityResponse"]
    assert conforms({"value": "3"}, "TotalSpec", MODEL["models"], "t")
    assert conforms({"first_seen": "yesterday"}, "EntityResponse", MODEL["models"], "e")


@pytest.mark.parametrize("example", REQUESTS, ids=[r["name"] for r in REQUESTS])
def test_yente_examples(client: httpx.Client, example: dict[str, Any]) -> None:
    resp = client.post("/match/default", json=example["body"], params=example["params"])
    expect = example["expect"]
    assert resp.status_code == expect["status"], resp.text
    data = resp.json()
    if resp.status_code != 200:
        assert isinstance(data["detail"], str)
        return
    validate(data)
    EntityMatchResponse.model_validate(data)  # Embargo's documented model agrees
    queries = example["body"]["queries"]
    assert set(data["responses"]) == set(queries)
    assert resp.headers["x-batch-size"] == str(len(queries))
    for key, sent in queries.items():
        answer = data["responses"][key]
        assert answer["query"]["schema"] == sent["schema"]
        assert set(answer["query"]["properties"]) == set(sent["properties"])
        assert len(answer["results"]) <= data["limit"]
    for key, code in expect.get("country_echo", {}).items():
        assert data["responses"][key]["query"]["properties"]["country"] == [code]
    for key, value in expect.get("id_echo", {}).items():
        assert data["responses"][key]["query"]["id"] == value
    for key, matched in expect.get("top_match", {}).items():
        top = data["responses"][key]["results"][0]
        assert top["match"] is matched and top["caption"].lower().endswith("putin")
