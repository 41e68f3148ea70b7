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
def common_tokens() -> frozenset[str]:
    """Name tokens many people in the population share (``scripts/build_common_names.py``):
    common surnames and given names, and the syllables Chinese and Korean names are made of."""
    if not COMMON_FILE.exists():
        return frozenset()
    data = json.loads(COMMON_FILE.read_text(encoding="utf-8"))
    return frozenset(data["tokens"])
