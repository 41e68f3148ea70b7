"""The matching algorithm: name evidence plus secondary features, calibrated and explained.

The best-matching pair of names gives a name score; a logistic curve turns it into log-odds;
each secondary feature adds or takes away log-odds; the sigmoid of the total is the score,
meant to be read as the probability that a reviewer would confirm the match. Algorithms are
registered under versioned names so that every result says which one produced it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from embargo.errors import QueryError
from embargo.match.compare import NameScore, PartMatch, compare_names
from embargo.match.features import FeatureResult, Weights, compatible_schemas, secondary_features
from embargo.match.index import EntityRef
from embargo.match.names import LEGAL, STOP, TITLE, NameForm
from embargo.match.query import Query
from embargo.model import Entity, NameKind

LOW_TAGS = (LEGAL, STOP, TITLE)


@dataclass(frozen=True)
class Algorithm:
    name: str
    description: str
    # The name score at which the name alone gives even odds, and how steeply odds rise.
    name_midpoint: float = 0.62
    name_slope: float = 12.0
    # Matching only a weak (low-quality) alias, which publishers warn against relying on.
    weak_alias: float = -4.0
    threshold: float = 0.7  # the documented default decision threshold
    weights: Weights = field(default_factory=Weights)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "threshold": self.threshold,
            "name_midpoint": self.name_midpoint,
            "name_slope": self.name_slope,
            "weak_alias": self.weak_alias,
            "weights": msgspec.structs.asdict(self.weights)
            if isinstance(self.weights, msgspec.Struct)
            else self.weights.__dict__,
        }


ALGORITHMS: dict[str, Algorithm] = {
    a.name: a
    for a in (
        Algorithm(
            name="embargo-v1",
            description=(
                "Part-aligned name comparison (transliteration, rigour name symbols, phonetic, "
                "edit distance within a length budget, token rarity), calibrated to a "
                "probability, with birth date, country, identifier and gender evidence."
            ),
        ),
    )
}
DEFAULT_ALGORITHM = "embargo-v1"


def get_algorithm(name: str | None) -> Algorithm:
    if not name or name in ("best", "default"):
        return ALGORITHMS[DEFAULT_ALGORITHM]
    if name not in ALGORITHMS:
        raise QueryError(
            f"algorithm: unknown algorithm {name!r}; available: {', '.join(sorted(ALGORITHMS))}"
        )
    return ALGORITHMS[name]


@dataclass(frozen=True)
class NameEvidence:
    query_name: str
    matched_name: str
    kind: NameKind
    script: str | None
    score: float
    parts: tuple[PartMatch, ...]
    conflict: bool
    candidate_coverage: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "query_name": self.query_name,
            "matched_name": self.matched_name,
            "name_kind": self.kind.value,
            "script": self.script,
            "score": round(self.score, 4),
            "parts": [
                {
                    "query": p.query,
                    "candidate": p.candidate,
                    "how": p.how,
                    "score": round(p.score, 3),
                }
                for p in self.parts
            ],
        }


@dataclass(frozen=True)
class Explanation:
    algorithm: str
    name: NameEvidence | None
    name_log_odds: float
    features: tuple[FeatureResult, ...]
    summary: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "algorithm": self.algorithm,
            "summary": self.summary,
            "name": self.name.to_dict() if self.name else None,
            "name_log_odds": round(self.name_log_odds, 3),
            "features": [
                {"feature": f.feature, "delta": round(f.delta, 3), "reason": f.reason}
                for f in self.features
            ],
        }


class Match:
    """One listed entity found for a query, with its score and (built when first read) the
    explanation. Ranking candidates needs only scores; most never have their explanation
    read, so it is not built for them."""

    __slots__ = ("_entity", "_explain", "_explanation", "_load", "entity_id", "match", "score")

    def __init__(
        self,
        entity_id: str,
        score: float,
        match: bool,
        entity: Entity | Callable[[], Entity],
        explanation: Explanation | None = None,
        explain: Callable[[], Explanation] | None = None,
    ) -> None:
        if explanation is None and explain is None:
            raise ValueError("a Match needs an explanation or a way to build one")
        self.entity_id = entity_id
        self.score = score
        self.match = match
        self._entity: Entity | None
        self._load: Callable[[], Entity] | None
        if isinstance(entity, Entity):
            self._entity, self._load = entity, None
        else:
            self._entity, self._load = None, entity
        self._explanation = explanation
        self._explain = explain

    @property
    def entity(self) -> Entity:
        if self._entity is None:
            assert self._load is not None
            self._entity = self._load()
        return self._entity

    @property
    def explanation(self) -> Explanation:
        if self._explanation is None:
            assert self._explain is not None
            self._explanation = self._explain()
            self._explain = None
        return self._explanation

    @property
    def listings(self) -> list[Any]:
        return list(self.entity.listings)

    @property
    def caption(self) -> str:
        return self.entity.caption

    def __repr__(self) -> str:
        return f"Match({self.entity_id!r}, score={self.score:.3f}, match={self.match})"

    def to_dict(self, *, include_entity: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "entity_id": self.entity_id,
            "caption": self.entity.caption,
            "schema": self.entity.schema.value,
            "score": round(self.score, 4),
            "match": self.match,
            "listings": [msgspec.to_builtins(lst) for lst in self.entity.listings],
            "explanation": self.explanation.to_dict(),
        }
        if include_entity:
            out["entity"] = msgspec.to_builtins(self.entity)
        return out


def sigmoid(x: float) -> float:
    if x < -30:
        return 0.0
    if x > 30:
        return 1.0
    return 1.0 / (1.0 + math.exp(-x))


NameMemo = dict[tuple[int, int], NameScore]


def best_name(
    query_forms: Sequence[NameForm],
    candidate_forms: Sequence[NameForm],
    memo: NameMemo | None = None,
) -> tuple[NameForm, NameForm, NameScore] | None:
    """The best-scoring (query name, listed name) pair. ``memo`` shares comparisons across
    the candidates of one query: the same name is often listed by several publishers."""
    best: tuple[NameForm, NameForm, NameScore] | None = None
    best_key = -1.0
    weak = NameKind.WEAK
    for qf in query_forms:
        qid = id(qf)
        for cf in candidate_forms:
            if memo is None:
                result = compare_names(qf, cf, explain=False)
            else:
                key_ = (qid, id(cf.parts))
                cached = memo.get(key_)
                if cached is None:
                    cached = memo[key_] = compare_names(qf, cf, explain=False)
                result = cached
            # A weak alias wins only when clearly better than a strong name.
            key = result.score - 0.05 if cf.kind is weak else result.score
            if key > best_key:
                best, best_key = (qf, cf, result), key
    return best


def score_entity(
    algorithm: Algorithm,
    query: Query,
    query_forms: Sequence[NameForm],
    entity: Entity | EntityRef,
    candidate_forms: Sequence[NameForm],
    threshold: float | None = None,
    memo: NameMemo | None = None,
    population_prior: bool = True,
) -> Match | None:
    """Score one candidate entity against a query; None when the schemas are incompatible.

    ``population_prior``: weigh in how many people outside the lists share the name (a
    match on "Wang Wei" alone is weak evidence that a customer is the listed Wang Wei).
    Screening a population against lists wants it; comparing two given records does not.
    """
    if not compatible_schemas(query.schema, entity.schema):
        return None
    found = best_name(query_forms, candidate_forms, memo)
    if found is None:
        return None
    qf, cf, name_score = found
    name_lo = algorithm.name_slope * (name_score.score - algorithm.name_midpoint)
    # Secondary evidence needs the whole entity; a name-only query does not, and most
    # candidates of a query are never read further, so they are not decoded.
    full: Entity | None = entity if isinstance(entity, Entity) else None
    features: list[FeatureResult] = []
    if query.birth_dates or query.countries or query.identifiers or query.gender:
        if full is None:
            assert isinstance(entity, EntityRef)
            full = entity.load()
        features = secondary_features(query, full, algorithm.weights)
    common = common_name_feature(qf, name_score, algorithm.weights) if population_prior else None
    if common is not None:
        features.insert(0, common)
    if name_score.consonants_only:
        features.insert(
            0,
            FeatureResult(
                "consonants_only",
                algorithm.weights.consonants_only,
                "the names agree only in their consonants (a name in Arabic or Hebrew script "
                "is written without vowels, a foreign name in Hangul with vowels of its own, "
                "and many Latin names share its consonants)",
            ),
        )
    if cf.kind is NameKind.WEAK:
        features.insert(
            0,
            FeatureResult(
                "weak_alias",
                algorithm.weak_alias,
                f"matched only the low-quality alias {cf.text!r}, which the publisher warns "
                "is not reliable on its own",
            ),
        )
    score = sigmoid(name_lo + sum(f.delta for f in features))
    limit = algorithm.threshold if threshold is None else threshold

    def explain() -> Explanation:
        detailed = compare_names(qf, cf, explain=True)
        evidence = NameEvidence(
            query_name=qf.text,
            matched_name=cf.text,
            kind=cf.kind,
            script=cf.script,
            score=detailed.score,
            parts=detailed.parts,
            conflict=detailed.conflict,
            candidate_coverage=detailed.candidate_coverage,
        )
        summary = _summary(evidence, features, score, limit)
        return Explanation(algorithm.name, evidence, name_lo, tuple(features), summary)

    source: Entity | Callable[[], Entity] = (
        full if full is not None else entity.load  # type: ignore[union-attr]
    )
    return Match(entity.id, score, score >= limit, source, explain=explain)


def common_name_feature(qf: NameForm, name: NameScore, w: Weights) -> FeatureResult | None:
    """Weak name evidence when every matched distinctive part is a common name token."""
    parts = qf.parts
    core = [parts[i] for i in name.matched if not parts[i].low]
    if not core or not all(p.common for p in core) or len(core) > 3:
        return None
    delta = (w.common_name_1, w.common_name_2, w.common_name_3)[len(core) - 1]
    text = " ".join(p.text for p in core)
    return FeatureResult(
        "common_name",
        delta,
        f"{text!r} is a name many people share; a name match alone is weak evidence",
    )


def _summary(
    name: NameEvidence, features: Sequence[FeatureResult], score: float, limit: float
) -> str:
    how = sorted({p.how for p in name.parts if p.query and p.candidate and p.score > 0})
    bits = [f"{name.query_name!r} ~ {name.matched_name!r} ({name.kind.value} name"]
    if name.script:
        bits[0] += f", {name.script} script"
    bits[0] += f"; {', '.join(how) if how else 'no part matched'}; name score {name.score:.2f})"
    for f in features:
        bits.append(f"{f.reason} ({'+' if f.delta >= 0 else ''}{f.delta:.1f})")
    verdict = "match" if score >= limit else "no match"
    return f"{verdict} at {score:.2f} (threshold {limit:.2f}): " + "; ".join(bits)
