"""How much a name token says about identity: rare tokens weigh more than common ones.

"Rosoboronexport" identifies a party; "Mohammed", "Trading" or "Company" barely narrow it
down. Weights come from document frequencies of Latin-form tokens across the names on the
official lists (a table derived by ``scripts/build_token_stats.py``; it holds counts only for
tokens that occur in at least a few names, never whole names), so the same pair of names gets
the same score whether it is screened against the index or compared directly.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

STATS_FILE = Path(__file__).parent / "data" / "token_stats.json"
COMMON_FILE = Path(__file__).parent / "data" / "common_names.json"

# Tag weights: what a part of that kind is worth relative to a plain token.
TAG_WEIGHTS = {
    "legal": 0.25,  # legal forms are compared as types and weighed down
    "stop": 0.2,  # particles and stopwords: al, bin, von, of, the
    "title": 0.1,  # honorifics: sheikh, haji, general
    "patronymic": 0.55,
    "num": 0.7,
}


class TokenStats:
    """Document frequencies of tokens; ``weight`` turns them into a 0.3-1.0 weight."""

    def __init__(self, df: dict[str, int], total: int) -> None:
        self.df = df
        self.total = max(total, 1)
        self._log_total = math.log(self.total + 1)
        self._cache: dict[tuple[str, str, bool], float] = {}

    @classmethod
    def load(cls, path: Path = STATS_FILE) -> TokenStats:
        if not path.exists():
            return cls({}, 1)
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(dict(data["df"]), int(data["total"]))

    def idf(self, token: str) -> float:
        """Inverse document frequency normalised to 0..1 (1 = never seen)."""
        df = self.df.get(token, 0)
        return math.log((self.total + 1) / (df + 1)) / self._log_total

    def weight(self, token: str, tag: str = "", known_name: bool = False) -> float:
        key = (token, tag, known_name)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if tag in TAG_WEIGHTS:
            w = TAG_WEIGHTS[tag]
        else:
            idf = self.idf(token)
            w = 0.3 + 0.7 * idf
            if len(token) <= 2 and not token.isdigit():
                w = min(w, 0.5)  # initials and fragments identify little
        if len(self._cache) < 200_000:
            self._cache[key] = w
        return w


@lru_cache(maxsize=1)
def default_stats() -> TokenStats:
    return TokenStats.load()


@lru_cache(maxsize=1)
def _common_groups() -> dict[str, list[str]]:
    if not COMMON_FILE.exists():
        return {}
    data: dict[str, list[str]] = json.loads(COMMON_FILE.read_text(encoding="utf-8"))["tokens"]
    return data


@lru_cache(maxsize=1)
def syllables() -> frozenset[str]:
    """Mandarin pinyin syllables and the syllables Korean given names are made of."""
    return frozenset(
        t
        for t, groups in _common_groups().items()
        if "pinyin_syllables" in groups or "korean_given_syllables" in groups
    )


@lru_cache(maxsize=65536)
def is_syllabic(token: str) -> bool:
    """A romanised Chinese or Korean given name written as one word ("Gyeonghui",
    "Jinping"): two or three syllables, each a common name syllable."""
    if not 4 <= len(token) <= 12 or not token.isalpha():
        return False
    known = syllables()

    def split(rest: str, parts: int) -> bool:
        if not rest:
            return parts >= 2
        if parts == 3:
            return False
        return any(
            rest[:i] in known and split(rest[i:], parts + 1)
            for i in range(2, min(6, len(rest)) + 1)
        )

    return split(token, 0)


@lru_cache(maxsize=1)
def common_tokens() -> frozenset[str]:
    """Name tokens many people in the population share (``scripts/build_common_names.py``):
    common surnames and given names, and the syllables Chinese and Korean names are made of."""
    return frozenset(_common_groups())


@lru_cache(maxsize=1)
def common_skeletons() -> frozenset[str]:
    """Consonant skeletons of common Arabic, Persian and Hebrew names: a name in those scripts
    is compared by its consonants, so its commonness is too."""
    from embargo.match.normalize import loose_skeleton

    groups = ("arabic", "persian_turkish", "hebrew")
    return frozenset(
        sk
        for t, g in _common_groups().items()
        if any(x in g for x in groups)
        for sk in (loose_skeleton(t),)
        if len(sk) >= 2
    )
