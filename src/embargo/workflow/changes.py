"""Customer data and what changed: normalising a customer, hashing it, and the differences that
decide whether a whitelisted (customer, listed entity) pair must alert again.

A false-positive decision holds while neither side changes in a way that matters:

- the customer: any change of its data (names, birth dates, countries, identifiers, schema)
  is a new customer version with a new content hash, and lapses the decision;
- the listed entity: only the fields a reviewer weighs when ruling a match out count. A new
  name (alias, spelling, script), a new or changed birth date, or a new or changed identifier
  lapses the decision; so does a birth date or identifier that disappears (the fact that told
  the two apart may have been exactly that one). A name that disappears, a new listing,
  programme, address or remark does not: they cannot turn a non-match into a match.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from embargo.errors import QueryError
from embargo.match.query import parse_query
from embargo.model import Entity

# -- customers ------------------------------------------------------------------------------


def _clean_values(key: str, raw: object) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str | int | float) and not isinstance(raw, bool):
        raw = [raw]
    if not isinstance(raw, list | tuple):
        raise QueryError(f"properties.{key}: must be a list of strings")
    out: list[str] = []
    for value in raw:
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise QueryError(f"properties.{key}: values must be strings")
        text = " ".join(str(value).split())
        if text and text not in out:
            out.append(text)
    return out


def normalize_customer(data: object) -> dict[str, Any]:
    """A customer's data as a clean query dict ``{"schema": ..., "properties": {...}}``.

    Validated like a screening query (``QueryError`` naming the field), values stripped of
    surplus whitespace and duplicates, empty properties dropped, keys sorted.
    """
    query = parse_query(data)
    if not any(ch.isalnum() for name in query.names for ch in name):
        raise QueryError("properties.name: no name has any letters or digits to match on")
    assert isinstance(data, Mapping)  # parse_query checked it
    props = data.get("properties") or {}
    clean: dict[str, list[str]] = {}
    for key in sorted(props):
        if not isinstance(key, str) or not key.strip():
            raise QueryError("properties: property names must be non-empty strings")
        values = _clean_values(key, props[key])
        if values:
            clean[key.strip()] = values
    return {"schema": query.schema.value, "properties": clean}


def customer_hash(data: Mapping[str, Any]) -> str:
    """The content hash of normalised customer data; the order of values does not count."""
    props = data.get("properties") or {}
    canonical = {
        "schema": data.get("schema"),
        "properties": {k: sorted(v) for k, v in sorted(props.items())},
    }
    body = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def customer_caption(data: Mapping[str, Any]) -> str:
    props = data.get("properties") or {}
    for key in ("name", "alias"):
        if props.get(key):
            return str(props[key][0])
    parts = [props[k][0] for k in ("firstName", "middleName", "lastName") if props.get(k)]
    return " ".join(parts) or "?"


def customer_changes(
    old: Mapping[str, Any] | None, new: Mapping[str, Any]
) -> dict[str, dict[str, list[str]]]:
    """Property -> {"removed": [...], "added": [...]} between two versions of a customer."""
    out: dict[str, dict[str, list[str]]] = {}
    if old is None:
        return out
    if old.get("schema") != new.get("schema"):
        out["schema"] = {"removed": [str(old.get("schema"))], "added": [str(new.get("schema"))]}
    before = old.get("properties") or {}
    after = new.get("properties") or {}
    for key in sorted(set(before) | set(after)):
        a, b = list(before.get(key, [])), list(after.get(key, []))
        removed = [v for v in a if v not in b]
        added = [v for v in b if v not in a]
        if removed or added:
            out[key] = {"removed": removed, "added": added}
    return out


def describe_customer_changes(changes: Mapping[str, Mapping[str, list[str]]]) -> list[str]:
    """Plain sentences: "customer name: 'A' removed, 'B' added"."""
    lines = []
    for key, diff in changes.items():
        bits = [f"{v!r} removed" for v in diff.get("removed", [])]
        bits += [f"{v!r} added" for v in diff.get("added", [])]
        lines.append(f"customer {key}: {', '.join(bits)}")
    return lines


# -- listed entities --------------------------------------------------------------------------

ENTITY_FIELDS = ("names", "birth_dates", "identifiers")
_LABELS = {"names": "name", "birth_dates": "birth date", "identifiers": "identifier"}
_ID_NOISE = re.compile(r"[\s\-./]+")


def entity_key(entity: Entity) -> dict[str, list[str]]:
    """The fields of a listed entity a false-positive decision rests on, as display strings."""
    names = list(dict.fromkeys(n.full for n in entity.names))
    dates = list(dict.fromkeys(b.iso or b.text for b in entity.birth_dates))
    ids = list(dict.fromkeys(f"{i.type.value}: {i.value}" for i in entity.identifiers))
    return {"names": names, "birth_dates": dates, "identifiers": ids}


def _norm(field: str, value: str) -> str:
    if field == "identifiers":
        value = value.split(": ", 1)[-1]  # a re-typed identifier with the same number is the same
        return _ID_NOISE.sub("", value).upper()
    return " ".join(value.casefold().split())


def entity_key_changes(
    old: Mapping[str, list[str]], new: Mapping[str, list[str]]
) -> dict[str, dict[str, list[str]]]:
    """Field -> {"removed": [...], "added": [...]}, ignoring case, spacing and id punctuation."""
    out: dict[str, dict[str, list[str]]] = {}
    for field in ENTITY_FIELDS:
        before = {_norm(field, v): v for v in old.get(field, [])}
        after = {_norm(field, v): v for v in new.get(field, [])}
        removed = [v for k, v in before.items() if k not in after]
        added = [v for k, v in after.items() if k not in before]
        if removed or added:
            out[field] = {"removed": removed, "added": added}
    return out


def entity_changes_matter(changes: Mapping[str, Mapping[str, list[str]]]) -> bool:
    """Whether listed-entity changes lapse a false-positive decision (see the module doc)."""
    for field, diff in changes.items():
        if diff.get("added"):
            return True
        if field != "names" and diff.get("removed"):
            return True
    return False


def describe_entity_changes(changes: Mapping[str, Mapping[str, list[str]]]) -> list[str]:
    """Plain sentences: "the listed entity gained the name 'X'"."""
    lines = []
    for field, diff in changes.items():
        label = _LABELS.get(field, field)
        added, removed = diff.get("added", []), diff.get("removed", [])
        if added and removed and field != "names":
            lines.append(
                f"the listed entity's {label} changed from "
                f"{', '.join(repr(v) for v in removed)} to {', '.join(repr(v) for v in added)}"
            )
            continue
        for value in added:
            lines.append(f"the listed entity gained the {label} {value!r}")
        for value in removed:
            lines.append(f"the listed entity no longer has the {label} {value!r}")
    return lines


__all__ = [
    "customer_caption",
    "customer_changes",
    "customer_hash",
    "describe_customer_changes",
    "describe_entity_changes",
    "entity_changes_matter",
    "entity_key",
    "entity_key_changes",
    "normalize_customer",
]
