"""Candidate generation: find the few listed names worth scoring, without scoring them all.

Every name of every active entity is analysed once and indexed under several keys per
part: its Latin form, its phonetic key, its consonant skeletons (strict, and loose for
abjad scripts), a prefix and a suffix for long tokens (a typo rarely hits both ends), rigour
name symbols (the same given name across scripts), adjacent-part joins and the whole name
without spaces. A query hits keys; each hit adds the key's rarity to the name it points to;
the best-scoring entities go on to full comparison. Keys shared by too many names
("mohammed", "company") are skipped when the query has rarer ones.
"""

from __future__ import annotations

import gc
import hashlib
import math
import pickle
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, pairwise
from pathlib import Path
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from embargo.match.names import LEGAL, STOP, TITLE, NameForm, analyze, name_variants
from embargo.match.normalize import (
    greek_skeleton,
    hangul_skeleton,
    korean_skeleton,
    loose_skeleton,
)
from embargo.match.stats import TokenStats, default_stats
from embargo.model import Entity, Schema, entity_from_json, entity_to_json

INDEX_FORMAT = 10


def _code_version() -> str:
    """A hash of the matching code: a persisted index built by other code is rebuilt,
    never loaded into objects whose layout has changed."""
    digest = hashlib.sha256(str(INDEX_FORMAT).encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    for path in sorted((Path(__file__).parent / "data").glob("*.json")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


CODE_VERSION = _code_version()
_SKIP_TAGS = (STOP, TITLE, LEGAL)


# A key that meets a Hangul spelling of a query with the Latin names of the lists, by their
# consonant classes (see ``hangul_skeleton``). Only that way round: every listed entity has
# a Latin name, and a Latin query never meets a Latin name this way (its candidates stay
# what they would be without these keys).
KOREAN = "kL"


def name_keys(form: NameForm, *, query: bool = False) -> set[str]:
    """The index keys of one analysed name: of a listed name, or of a query's (``query``)."""
    keys: set[str] = set()
    parts = [p for p in form.parts if p.tag not in _SKIP_TAGS]
    for p in parts:
        latin = p.latin
        keys.add("t" + latin)
        korean = ""
        if query and p.hangul:
            korean = hangul_skeleton(p.text)
        elif not query and not p.hangul and not p.greek and not p.abjad:
            korean = korean_skeleton(latin)
        if len(korean) - korean.count("V") >= 2:  # two consonants at least, as compared
            keys.add(KOREAN + korean)
        if p.phon:
            keys.add("p" + p.phon)
        if len(p.skel) >= 3:
            keys.add("s" + p.skel)
        loose = greek_skeleton(p.text) if p.greek else loose_skeleton(latin)
        if len(loose) >= 2:
            keys.add("a" + loose)
        if len(latin) >= 6:
            keys.add("b" + latin[:4])
            keys.add("e" + latin[-4:])
        for sym in p.symbols:
            if sym.startswith(("NAME:", "NICK:")):
                keys.add("y" + sym)
    for x, y in pairwise(parts):
        keys.add("t" + x.latin + y.latin)
    if form.compact:
        keys.add("c" + form.compact)
    return keys


class Postings(Mapping[str, "npt.NDArray[np.int32]"]):
    """Every key's posting (the sorted positions of the names holding it) as a slice of one
    array. Hundreds of thousands of small arrays cost a header each in memory, and as many
    objects to write and read when the index is saved and loaded; one array and a dict of
    integers do not."""

    __slots__ = ("data", "spans")

    def __init__(self, lists: Mapping[str, Sequence[int]]) -> None:
        lengths = [len(v) for v in lists.values()]
        self.data: npt.NDArray[np.int32] = np.fromiter(
            chain.from_iterable(lists.values()), dtype=np.int32, count=sum(lengths)
        )
        ends = np.cumsum(np.asarray(lengths, dtype=np.int64)).tolist()
        # (start << 32) | end: one integer per key.
        self.spans: dict[str, int] = {
            k: ((end - n) << 32) | end for k, n, end in zip(lists, lengths, ends, strict=True)
        }

    def get(self, key: str, default: Any = None) -> Any:
        span = self.spans.get(key)
        if span is None:
            return default
        return self.data[span >> 32 : span & 0xFFFFFFFF]

    def __getitem__(self, key: str) -> npt.NDArray[np.int32]:
        span = self.spans[key]
        return self.data[span >> 32 : span & 0xFFFFFFFF]

    def __contains__(self, key: object) -> bool:
        return key in self.spans

    def __iter__(self) -> Iterator[str]:
        return iter(self.spans)

    def __len__(self) -> int:
        return len(self.spans)


class LazyEntities(Sequence[Entity]):
    """The index's entities, kept as their stored JSON and decoded when first read.

    A persisted index then loads as a few hundred thousand byte strings instead of millions
    of objects, and a screener only ever decodes the entities its queries come near.
    """

    def __init__(self, entities: Iterable[Entity] = ()) -> None:
        self.blobs: list[bytes] = []
        self.ids: list[str] = []
        self.sources: list[str] = []
        self.schemas: list[str] = []
        self._cache: dict[int, Entity] = {}
        for entity in entities:
            self.append(entity)

    def append(self, entity: Entity) -> None:
        self.blobs.append(entity_to_json(entity))
        self.ids.append(entity.id)
        self.sources.append(entity.source)
        self.schemas.append(entity.schema.value)

    def __len__(self) -> int:
        return len(self.blobs)

    @overload
    def __getitem__(self, i: int) -> Entity: ...

    @overload
    def __getitem__(self, i: slice) -> list[Entity]: ...

    def __getitem__(self, i: int | slice) -> Entity | list[Entity]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        entity = self._cache.get(i)
        if entity is None:
            entity = entity_from_json(self.blobs[i])
            if len(self._cache) >= 20_000:
                self._cache.clear()
            self._cache[i] = entity
        return entity

    def __iter__(self) -> Iterator[Entity]:
        for i in range(len(self.blobs)):
            yield self[i]

    def __getstate__(self) -> dict[str, object]:
        return {
            "blobs": self.blobs,
            "ids": self.ids,
            "sources": self.sources,
            "schemas": self.schemas,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.blobs = state["blobs"]
        self.ids = state["ids"]
        self.sources = state["sources"]
        self.schemas = state["schemas"]
        self._cache = {}


_SCHEMAS = {s.value: s for s in Schema}


class EntityRef:
    """An entity of the index by position, decoded only if something reads it."""

    __slots__ = ("_entities", "id", "pos", "schema")

    def __init__(self, entities: LazyEntities, pos: int) -> None:
        self._entities = entities
        self.pos = pos
        self.id = entities.ids[pos]
        schema = entities.schemas[pos]
        self.schema = _SCHEMAS.get(schema) or Schema(schema)

    def load(self) -> Entity:
        return self._entities[self.pos]


@dataclass
class Candidate:
    entity: int  # position in ``MatchIndex.entities``
    prescore: float
    names: list[int]  # names of the entity that were hit, best first


class MatchIndex:
    """All names of the active entities, analysed and keyed for candidate lookup."""

    def __init__(
        self,
        entities: Iterable[Entity] | LazyEntities,
        forms: list[list[NameForm]],
        signature: str = "",
    ) -> None:
        self.entities = entities if isinstance(entities, LazyEntities) else LazyEntities(entities)
        self.forms = forms
        self.signature = signature
        # Every (name text, schema) analysed for this index, and its form (None: nothing to
        # match on): the next build, after a list update, analyses only the names it lacks.
        self.analysed: dict[tuple[str, Schema], NameForm | None] = {}
        self.by_id = {eid: i for i, eid in enumerate(self.entities.ids)}
        self.name_owner: list[int] = []
        self.name_forms: list[NameForm] = []
        postings: dict[str, list[int]] = {}
        for ei, entity_forms in enumerate(forms):
            for form in entity_forms:
                ni = len(self.name_forms)
                self.name_forms.append(form)
                self.name_owner.append(ei)
                for key in name_keys(form):
                    postings.setdefault(key, []).append(ni)
        total = max(len(self.name_forms), 1)
        self.key_weight = {k: math.log((total + 1) / (len(v) + 0.5)) for k, v in postings.items()}
        # Postings as sorted integer arrays: accumulation and membership tests run in numpy.
        self.postings = Postings(postings)
        del postings
        self.common_df = max(500, total // 50)
        # Keys shared by more names than this only reinforce candidates found through rarer
        # keys (a query must hit at least one rarer key, unless it has none).
        self.rare_df = max(150, total // 400)
        # Each name's total key weight, to rank hits like a cosine similarity so that long
        # names do not win just by having more keys.
        # The cross-script Korean keys are left out: a Latin name's rank among Latin
        # queries' candidates is what it would be without them.
        norms = np.zeros(len(self.name_forms), dtype=np.float64)
        for key, posting in self.postings.items():
            if not key.startswith(KOREAN):
                np.add.at(norms, posting, self.key_weight[key] ** 2)
        self.name_norm = np.sqrt(norms)
        self.name_norm[self.name_norm == 0] = 1.0
        self.owner_array = np.asarray(self.name_owner, dtype=np.int32)
        # The common keys' postings also as bitmaps over all names (bit ``n % 8`` of byte
        # ``n // 8``): a query tests its candidates against a few of them, and a lookup
        # per candidate is cheaper than a binary search in a posting of thousands.
        self.common_bits: dict[str, npt.NDArray[np.uint8]] = {}
        dense = np.zeros(len(self.name_forms), dtype=bool)
        for key, posting in self.postings.items():
            if len(posting) > self.rare_df:
                dense[posting] = True
                self.common_bits[key] = np.packbits(dense, bitorder="little")
                dense[posting] = False

    def __len__(self) -> int:
        return len(self.entities)

    @classmethod
    def build(
        cls,
        entities: Iterable[Entity],
        *,
        stats: TokenStats | None = None,
        signature: str = "",
        previous: MatchIndex | None = None,
    ) -> MatchIndex:
        """Analyse and key every name of ``entities``. ``previous``: an index built by the
        same code (from earlier list versions, say), whose name analyses are reused: a list
        update then costs the analysis of its new names only."""
        # Hundreds of thousands of small objects are created and kept: the cyclic garbage
        # collector would repeatedly walk them all for nothing (seconds per build).
        with _no_gc():
            return cls._build(entities, stats=stats, signature=signature, previous=previous)

    @classmethod
    def _build(
        cls,
        entities: Iterable[Entity],
        *,
        stats: TokenStats | None = None,
        signature: str = "",
        previous: MatchIndex | None = None,
    ) -> MatchIndex:
        # Analyses depend on the token statistics: reused only under the default ones.
        reuse = previous is not None and stats is None
        stats = stats or default_stats()
        # Entities are kept as JSON as they stream by, never all decoded at once.
        kept = LazyEntities()
        forms: list[list[NameForm]] = []
        # One analysis per distinct (name, schema): publishers list the same names, and
        # shared NameForm parts let a query compare each distinct name only once.
        earlier = previous.analysed if reuse and previous is not None else {}
        cache: dict[tuple[str, Schema], NameForm | None] = {}
        shared: dict[frozenset[str], frozenset[str]] = {}
        for entity in entities:
            entity_forms: list[NameForm] = []
            seen: set[str] = set()
            for name in entity.names:
                for text in name_variants(name.full):
                    if text in seen:
                        continue
                    seen.add(text)
                    key = (text, entity.schema)
                    if key not in cache:
                        cache[key] = (
                            earlier[key]
                            if key in earlier
                            else analyze(text, entity.schema, stats=stats)
                        )
                    form = cache[key]
                    if form is None:
                        continue
                    _share(form, shared)
                    if form.kind is not name.kind or form.script != name.script:
                        form = NameForm(
                            form.text,
                            form.parts,
                            kind=name.kind,
                            script=name.script,
                            person=form.person,
                            lang=name.lang,
                        )
                    entity_forms.append(form)
            if entity_forms:
                kept.append(entity)
                forms.append(entity_forms)
        index = cls(kept, forms, signature)
        index.analysed = cache
        return index

    def candidates(
        self,
        query_forms: Sequence[NameForm],
        *,
        limit: int = 30,
        allowed: Sequence[bool] | None = None,
        cutoff: float = 0.0,
    ) -> list[Candidate]:
        """The entities whose names share the most (and rarest) keys with the query.

        ``cutoff`` drops candidates whose key overlap is below that fraction of the best
        candidate's: with a clear leader, distant also-rans are not worth scoring.
        """
        keys: set[str] = set()
        for form in query_forms:
            keys |= name_keys(form, query=True)
        postings = self.postings
        hits = [(k, p) for k in keys if (p := postings.get(k)) is not None]
        if not hits:
            return []
        hits.sort(key=lambda h: len(h[1]))
        # Cross-script keys only add the names they meet: they never decide which of the
        # query's own keys count as rare.
        korean = [h for h in hits if h[0].startswith(KOREAN)]
        if korean:
            hits = [h for h in hits if not h[0].startswith(KOREAN)]
            korean = [h for h in korean if len(h[1]) <= self.common_df]
        weight = self.key_weight
        rare_df = self.rare_df
        rare = [h for h in hits if len(h[1]) <= rare_df]
        common = [h for h in hits if len(h[1]) > rare_df]
        if not rare:
            # A query of common words only ("John Smith"): take the rarest of them in full.
            rare = [h for h in common[:2] if len(h[1]) <= self.common_df]
            common = common[len(rare) :]
        rare += korean
        if not rare:
            return []
        names, scores = _accumulate([p for _, p in rare], [weight[k] ** 2 for k, _ in rare])
        if common:
            # Which candidates each common key also hits, read from its bitmap.
            byte = names >> 3
            bit = (names & 7).astype(np.uint8)
            bits = self.common_bits
            for key, _ in common:
                scores += ((bits[key][byte] >> bit) & 1) * (weight[key] ** 2)
        scores = scores / self.name_norm[names]
        if allowed is not None:
            mask = np.fromiter((allowed[e] for e in self.owner_array[names]), bool, len(names))
            names, scores = names[mask], scores[mask]
            if not len(names):
                return []
        keep = min(len(names), limit * 4)
        top = (
            np.argpartition(-scores, keep - 1)[:keep]
            if keep < len(names)
            else np.arange(len(names))
        )
        top = top[np.argsort(-scores[top], kind="stable")]
        # Plain Python numbers from here: the loop reads each one once.
        top_names = names[top]
        top_scores: list[float] = scores[top].tolist()
        top_owners: list[int] = self.owner_array[top_names].tolist()
        floor = top_scores[0] * cutoff
        by_entity: dict[int, Candidate] = {}
        for ni, ei, score in zip(top_names.tolist(), top_owners, top_scores, strict=True):
            if score < floor:
                break
            cand = by_entity.get(ei)
            if cand is None:
                if len(by_entity) >= limit:
                    continue
                by_entity[ei] = Candidate(ei, score, [ni])
            elif len(cand.names) < 4:
                cand.names.append(ni)
        return list(by_entity.values())

    # -- persistence ---------------------------------------------------------------------

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as fh, _no_gc():
            # The header first and apart: a loader reads it without unpickling the index.
            pickle.dump((CODE_VERSION, self.signature), fh, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(self, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)

    @staticmethod
    def saved_signature(path: Path) -> str | None:
        """The list versions' signature of the index saved at ``path``, if this code saved
        it; the index itself is not read."""
        try:
            with path.open("rb") as fh:
                fmt, signature = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            return None
        return signature if fmt == CODE_VERSION and isinstance(signature, str) else None

    @classmethod
    def load(cls, path: Path, signature: str | None) -> MatchIndex | None:
        """The index saved at ``path`` if it was built by this code from the same list
        versions (``signature``; None: from whichever versions)."""
        try:
            with path.open("rb") as fh, _no_gc():
                fmt, saved_signature = pickle.load(fh)
                if fmt != CODE_VERSION:
                    return None
                if signature is not None and saved_signature != signature:
                    return None
                index = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            return None
        return index if isinstance(index, cls) else None


def _accumulate(
    postings: list[npt.NDArray[np.int32]], weights: list[float]
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float64]]:
    """The distinct names of ``postings`` (sorted) and, for each, the sum of the weights of
    the postings it is in, added in the order the postings are given."""
    if len(postings) == 1:
        return postings[0], np.full(len(postings[0]), weights[0])
    ids = np.concatenate(postings)
    w = np.repeat(np.asarray(weights), [len(p) for p in postings])
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
    return ids[starts], np.add.reduceat(w[order], starts)


def _share(form: NameForm, symbol_sets: dict[frozenset[str], frozenset[str]]) -> None:
    """Make equal strings and symbol sets of the index one object each: a few tens of
    thousands of distinct tokens recur across hundreds of thousands of name parts."""
    for part in form.parts:
        part.latin = sys.intern(part.latin)
        part.text = sys.intern(part.text)
        part.tkey = sys.intern(part.tkey)
        part.okey = sys.intern(part.okey)
        part.skey = sys.intern(part.skey)
        part.phon = sys.intern(part.phon)
        part.skel = sys.intern(part.skel)
        part.symbols = symbol_sets.setdefault(part.symbols, part.symbols)


def tune_gc() -> None:
    """Collect the youngest generation less often. A screener keeps hundreds of thousands of
    long-lived objects and each query adds short-lived ones; with the default thresholds
    the collector runs full collections over the index again and again (over a third of
    query time, measured)."""
    gen0, _, _ = gc.get_threshold()
    if gen0 < 50_000:
        gc.set_threshold(50_000, 50, 100)


@contextmanager
def _no_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        # The index lives as long as the process: keep the collector off its objects.
        gc.freeze()


def signature_of(version_ids: Iterable[tuple[str, int, str]], extra: str = "") -> str:
    """A key for the set of list versions (source, id, content hash) an index is built from."""
    digest = hashlib.sha256(extra.encode())
    for source, vid, content in sorted(version_ids):
        digest.update(f"{source}:{vid}:{content};".encode())
    return digest.hexdigest()[:24]
