"""Entities and matches in the shape yente clients read, plus Embargo's own ``embargo`` block.

A result is a FollowTheMoney entity (``id``, ``caption``, ``schema``, ``properties``,
``datasets``, ``referents``, ``target``, ``first_seen``, ``last_seen``, ``last_change``) with
yente's scoring fields (``score``, ``match``, ``features``, ``explanations``). What yente has
no field for (each listing with its measure and plain-words summary, the full explanation of
the score) goes under the key ``embargo``, which yente clients ignore.

``id`` is the Embargo id (``us_ofac_sdn-35096``), so that ``/entities/{id}`` finds it; the
FtM-safe form the exporter writes (``us-ofac-sdn-35096``) is among the ``referents`` and is
found by ``/entities`` too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import msgspec

from embargo.match.matcher import Explanation, Match
from embargo.model import Entity, Measure
from embargo.model.values import country_code
from embargo.sources.ftm import FTM_SCHEMA, ftm_id, to_ftm

# yente's topic names for what a listing means.
MEASURE_TOPICS: dict[Measure, str] = {
    Measure.BLOCKING: "sanction",
    Measure.SECTORAL: "sanction",
    Measure.MENU_BASED: "sanction",
    Measure.OTHER: "sanction",
    Measure.EXPORT_CONTROL: "export.control",
    Measure.DEBARMENT: "debarment",
}
# FtM's names for the property a linked entity is found under, seen from the party.
_REVERSE = {
    "Sanction": "sanctions",
    "Identification": "identification",
    "Passport": "identification",
    "CryptoWallet": "cryptoWallets",
}
_BACK_REFS = frozenset({"entity", "holder"})
_COUNTRY_PROPS = frozenset(
    {"nationality", "citizenship", "country", "jurisdiction", "flag", "birthCountry"}
)


def topics(entity: Entity) -> list[str]:
    """yente-style topics: from what each listing means, plus any an import carried."""
    found = {MEASURE_TOPICS[lst.measure] for lst in entity.listings}
    found.update(entity.extra.get("topics", ()))
    return sorted(found)


def _iso_datetime(value: str | None) -> str | None:
    """A date or date-time as yente's ISO date-time (seconds, no zone), or None."""
    if not value:
        return None
    text = value.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).strftime("%Y-%m-%dT%H:%M:%S")
    except ValueError:
        pass
    try:
        return date.fromisoformat(text[:10]).strftime("%Y-%m-%dT00:00:00")
    except ValueError:
        return None


def listing_dicts(entity: Entity) -> list[dict[str, Any]]:
    return [msgspec.to_builtins(lst) for lst in entity.listings]


Pairs = tuple[tuple[str, Any], ...]


class EntityRenderer:
    """Renders entities, keeping the FtM form of recently returned ones (they never change
    while the index that holds them is in use; a new index gets a new renderer).

    The kept form is pre-encoded JSON (``msgspec.Raw``) in tuples of strings: objects the
    cyclic garbage collector does not track. Kept as dicts and lists, twenty thousand
    entities would add a few hundred thousand objects to every full collection, and a
    full collection stops the worker's every request while it runs.
    """

    def __init__(self, last_seen: Mapping[str, str] | None = None, size: int = 20_000) -> None:
        self._cache: dict[str, tuple[Pairs, Pairs]] = {}
        self._size = size
        self.last_seen = dict(last_seen or {})  # source -> when its active version was loaded

    def parts(self, entity: Entity) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the yente entity fields, the ``embargo`` block) for one entity, as new dicts."""
        party = to_ftm(entity)[0]
        props = dict(party["properties"])
        props.pop("addressEntity", None)  # ids of Address entities that only /entities shows
        entity_topics = topics(entity)
        if entity_topics:
            props["topics"] = entity_topics
        referents = [r for r in party.get("referents", []) if r != entity.id]
        fid = ftm_id(entity.id)
        if fid != entity.id:
            referents.append(fid)
        base = {
            "id": entity.id,
            "caption": entity.caption,
            "schema": FTM_SCHEMA[entity.schema],
            "properties": props,
            "datasets": [entity.source],
            "referents": referents,
            "target": True,
            "first_seen": _iso_datetime(party.get("first_seen")),
            "last_seen": _iso_datetime(party.get("last_seen"))
            or _iso_datetime(self.last_seen.get(entity.source)),
            "last_change": _iso_datetime(party.get("last_change")),
        }
        extra = {
            "source": entity.source,
            "source_id": entity.source_id,
            "source_url": entity.source_url,
            "measures": sorted({lst.measure.value for lst in entity.listings}),
            "listings": listing_dicts(entity),
        }
        return base, extra

    def _kept(self, entity: Entity) -> tuple[Pairs, Pairs]:
        kept = self._cache.get(entity.id)
        if kept is None:
            base, extra = self.parts(entity)
            kept = (_frozen(base), _frozen(extra))
            if len(self._cache) >= self._size:
                self._cache.clear()  # a cheap bound; hot entities come back at once
            self._cache[entity.id] = kept
        return kept

    def entity(self, entity: Entity) -> dict[str, Any]:
        """The entity for a response body (values may be pre-encoded ``msgspec.Raw``)."""
        base, extra = self._kept(entity)
        out = dict(base)
        out["embargo"] = dict(extra)
        return out

    def match(self, match: Match, *, explain: bool = True) -> dict[str, Any]:
        """One /match result for a response body (values may be pre-encoded)."""
        base, extra = self._kept(match.entity)
        features, explanations = yente_features(match.explanation)
        out = dict(base)
        out["score"] = round(match.score, 4)
        out["match"] = match.match
        out["features"] = features
        out["explanations"] = explanations
        block = dict(extra)
        if explain:
            block["explanation"] = match.explanation.to_dict()
        out["embargo"] = block
        return out


_raw_encoder = msgspec.json.Encoder()


def _frozen(data: dict[str, Any]) -> Pairs:
    """A dict as (key, value) pairs with containers pre-encoded as JSON."""
    return tuple(
        (key, msgspec.Raw(_raw_encoder.encode(value)) if isinstance(value, dict | list) else value)
        for key, value in data.items()
    )


def yente_features(explanation: Explanation) -> tuple[dict[str, float], dict[str, dict[str, Any]]]:
    """The evidence as yente's ``features`` (name -> number) and ``explanations``
    (name -> {score, detail, query, candidate}).

    ``name_match`` is the name comparison score (0 to 1); every other feature is the change in
    log-odds it made (positive supports the match), as Embargo's explanation states it.
    """
    features: dict[str, float] = {}
    explanations: dict[str, dict[str, Any]] = {}
    name = explanation.name
    if name is not None:
        how = sorted({p.how for p in name.parts if p.query and p.candidate and p.score > 0})
        features["name_match"] = round(name.score, 4)
        explanations["name_match"] = {
            "score": round(name.score, 4),
            "detail": f"{name.kind.value} name; " + (", ".join(how) or "no part matched"),
            "query": name.query_name,
            "candidate": name.matched_name,
        }
    for feature in explanation.features:
        key = feature.feature
        n = 2
        while key in features:
            key = f"{feature.feature}_{n}"
            n += 1
        features[key] = round(feature.delta, 3)
        explanations[key] = {
            "score": round(feature.delta, 3),
            "detail": feature.reason,
            "query": None,
            "candidate": None,
        }
    return features, explanations


def echo_query(
    example_id: str | None, schema: str, properties: Mapping[str, Any]
) -> dict[str, Any]:
    """The query as yente echoes it: values as lists of strings, countries as codes."""
    props: dict[str, list[str]] = {}
    for key, raw in properties.items():
        values: Iterable[Any] = raw if isinstance(raw, list) else [raw]
        out: list[str] = []
        for value in values:
            if value is None or isinstance(value, dict | list | bool):
                continue
            text = str(value).strip()
            if not text:
                continue
            if key in _COUNTRY_PROPS:
                text = country_code(text) or text
            if text not in out:
                out.append(text)
        if out:
            props[key] = out
    return {"id": example_id, "schema": schema, "properties": props}


def nested_entity(entity: Entity, renderer: EntityRenderer) -> dict[str, Any]:
    """The entity with its linked FtM entities (sanctions, addresses, identifications) nested
    in its properties, as yente's ``/entities`` returns it."""
    base, extra = renderer.parts(entity)
    out = {**base, "embargo": extra}
    props: dict[str, Any] = out["properties"]
    for linked in to_ftm(entity)[1:]:
        child = {
            "id": linked["id"],
            "caption": linked["caption"],
            "schema": linked["schema"],
            "properties": {k: v for k, v in linked["properties"].items() if k not in _BACK_REFS},
            "datasets": linked["datasets"],
            "referents": linked.get("referents", []),
            "target": False,
        }
        key = "addressEntity" if linked["schema"] == "Address" else _REVERSE.get(linked["schema"])
        if key is not None:
            props.setdefault(key, []).append(child)
    return out
