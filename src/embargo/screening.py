"""``Screener``: the one facade every front end (CLI, HTTP API, batch, monitoring) calls.

from embargo import Screener
screener = Screener.open()                       # the store's active list versions
for match in screener.screen({"schema": "Person", "properties": {"name": ["Vladimir Putin"]}}):
    print(match.score, match.caption, match.explanation.summary)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embargo.errors import QueryError
from embargo.match.compare import NameScore
from embargo.match.index import EntityRef, MatchIndex, signature_of, tune_gc
from embargo.match.matcher import (
    Algorithm,
    Explanation,
    Match,
    NameMemo,
    get_algorithm,
    score_entity,
)
from embargo.match.names import NameForm, analyze, name_variants
from embargo.match.query import Query, parse_query
from embargo.model import Entity
from embargo.settings import Settings
from embargo.store import Store

log = logging.getLogger(__name__)

QueryLike = Query | Mapping[str, Any]


@dataclass(frozen=True)
class Comparison:
    score: float
    match: bool
    explanation: Explanation

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "match": self.match,
            "explanation": self.explanation.to_dict(),
        }


def _as_query(query: QueryLike) -> Query:
    return query if isinstance(query, Query) else parse_query(query)


def query_forms(query: Query) -> list[NameForm]:
    forms = []
    for name in query.names:
        for text in name_variants(name):
            form = analyze(text, query.schema, query=True)
            if form is not None:
                forms.append(form)
    if not forms:
        raise QueryError("properties.name: no name has any letters or digits to match on")
    return forms


class Screener:
    """Screens queries against an index of listed entities."""

    def __init__(
        self,
        index: MatchIndex,
        *,
        store: Store | None = None,
        settings: Settings | None = None,
        algorithm: str | None = None,
    ) -> None:
        self.index = index
        tune_gc()
        self.store = store
        self.settings = settings
        self.algorithm: Algorithm = get_algorithm(algorithm)

    # -- construction --------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        database_url: str | None = None,
        *,
        settings: Settings | None = None,
        algorithm: str | None = None,
        use_cache: bool = True,
    ) -> Screener:
        """A screener over the active list versions in the store (default: the user's)."""
        settings = settings or Settings.from_env(database_url=database_url)
        if database_url:
            settings = Settings(**{**settings.__dict__, "database_url": database_url})
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = Store.open(settings.db_url)
        index = cls._load_index(store, settings, use_cache)
        return cls(index, store=store, settings=settings, algorithm=algorithm)

    @classmethod
    def from_entities(cls, entities: Iterable[Entity], *, algorithm: str | None = None) -> Screener:
        """A screener over entities in memory (tests, benchmarks, one-off lists)."""
        return cls(MatchIndex.build(entities), algorithm=algorithm)

    @staticmethod
    def _signature(store: Store) -> str:
        return signature_of((v.source, v.id, v.content_hash) for v in store.active_versions())

    @staticmethod
    def index_path(store: Store, settings: Settings) -> Path:
        """Where the match index of this store's active list versions is saved."""
        return settings.data_dir / "index" / f"{_safe(store.url)}.pickle"

    @classmethod
    def index_saved(cls, store: Store, settings: Settings) -> bool:
        """Whether the saved index is that of the store's active list versions (read from
        the file's header only)."""
        return MatchIndex.saved_signature(cls.index_path(store, settings)) == cls._signature(store)

    @classmethod
    def prepare_index(cls, store: Store, settings: Settings) -> None:
        """Build and save the index of the store's active list versions, unless it is saved
        already: the next ``open`` (in any process) then only loads it."""
        if not cls.index_saved(store, settings):
            cls._load_index(store, settings, True)

    @classmethod
    def _load_index(
        cls,
        store: Store,
        settings: Settings,
        use_cache: bool,
        previous: MatchIndex | None = None,
    ) -> MatchIndex:
        """The index of the store's active list versions: the saved one if it is theirs,
        else built (reusing the name analyses of ``previous``, or of the saved index) and
        saved."""
        signature = cls._signature(store)
        path = cls.index_path(store, settings)
        if use_cache:
            saved = MatchIndex.load(path, signature)
            if saved is not None:
                return saved
            if previous is None:  # the saved index of earlier versions, for its analyses
                previous = MatchIndex.load(path, None)
        # After a list update, the names the earlier index analysed are not analysed again.
        index = MatchIndex.build(
            store.iter_active_entities(), signature=signature, previous=previous
        )
        del previous
        if use_cache:
            try:
                index.save(path)
            except OSError as exc:  # a read-only data dir still screens, just slower to start
                log.warning("could not save the match index to %s: %s", path, exc)
        return index

    def refresh(self) -> bool:
        """Rebuild the index if the store's active list versions changed. True if rebuilt."""
        if self.store is None or self.settings is None:
            return False
        if self._signature(self.store) == self.index.signature:
            return False
        self.index = self._load_index(self.store, self.settings, True, previous=self.index)
        return True

    # -- screening -----------------------------------------------------------------------

    def screen(
        self,
        query: QueryLike,
        limit: int = 10,
        *,
        threshold: float | None = None,
        sources: Sequence[str] | None = None,
        exclude_sources: Sequence[str] = (),
        exclude_schemas: Sequence[str] = (),
        candidates: int = 30,
        cutoff: float = 0.3,
    ) -> list[Match]:
        """Matches for one query, best first (at most ``limit``; all scores, decide on ``.match``)."""
        q = _as_query(query)
        if limit < 1:
            raise QueryError("limit: must be at least 1")
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise QueryError("threshold: must be between 0 and 1")
        forms = query_forms(q)
        allowed = self._allowed(sources, exclude_sources, exclude_schemas)
        found: list[Match] = []
        index = self.index
        memo: NameMemo = {}
        for cand in index.candidates(
            forms, limit=max(candidates, limit), allowed=allowed, cutoff=cutoff
        ):
            entity = EntityRef(index.entities, cand.entity)
            names = [index.name_forms[ni] for ni in cand.names]
            match = score_entity(self.algorithm, q, forms, entity, names, threshold, memo)
            if match is not None:
                found.append(match)
        found.sort(key=lambda m: (-m.score, m.entity_id))
        return found[:limit]

    def _allowed(
        self,
        sources: Sequence[str] | None,
        exclude_sources: Sequence[str],
        exclude_schemas: Sequence[str],
    ) -> list[bool] | None:
        if sources is None and not exclude_sources and not exclude_schemas:
            return None
        wanted = set(sources) if sources is not None else None
        skip_src = set(exclude_sources)
        skip_schema = set(exclude_schemas)
        entities = self.index.entities
        return [
            (wanted is None or source in wanted)
            and source not in skip_src
            and schema not in skip_schema
            for source, schema in zip(entities.sources, entities.schemas, strict=True)
        ]

    def compare(
        self,
        a: QueryLike,
        b: QueryLike,
        *,
        threshold: float | None = None,
        population_prior: bool = False,
    ) -> Comparison:
        """Score two query-like dicts against each other (``b`` plays the listed party).

        Unlike ``screen``, this judges the two records alone: the common-name prior that
        screening applies is off unless ``population_prior`` is set.
        """
        qa, qb = _as_query(a), _as_query(b)
        candidate = _entity_from_query(qb)
        forms_b = [
            f
            for f in (analyze(t, qb.schema) for n in qb.names for t in name_variants(n))
            if f is not None
        ]
        match = score_entity(
            self.algorithm,
            qa,
            query_forms(qa),
            candidate,
            forms_b,
            threshold,
            population_prior=population_prior,
        )
        if match is None:
            limit = self.algorithm.threshold if threshold is None else threshold
            reason = f"a {qa.schema.value} cannot match a {qb.schema.value}"
            empty = Explanation(self.algorithm.name, None, 0.0, (), f"no match: {reason}")
            return Comparison(0.0, limit <= 0.0, empty)
        return Comparison(match.score, match.match, match.explanation)

    def screen_text(self, text: str, **kwargs: Any) -> list[Any]:
        from embargo.text import find_mentions

        return find_mentions(self, text, **kwargs)

    def entity(self, entity_id: str) -> Entity | None:
        pos = self.index.by_id.get(entity_id)
        return self.index.entities[pos] if pos is not None else None

    def __len__(self) -> int:
        return len(self.index)


def _entity_from_query(q: Query) -> Entity:
    from embargo.model import Identifier, IdType
    from embargo.model.values import make_name

    names = [n for n in (make_name(text) for text in q.names) if n is not None]
    return Entity(
        id="compare",
        schema=q.schema,
        source="compare",
        source_id="compare",
        names=names,
        birth_dates=list(q.birth_dates),
        countries=list(q.countries),
        identifiers=[Identifier(type=IdType.OTHER, value=v) for v in q.identifiers],
        gender=q.gender,
    )


def _safe(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:16]


__all__ = ["Comparison", "Match", "NameScore", "Screener"]
