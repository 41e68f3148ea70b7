"""Finding listed parties mentioned inside free text (payment messages, news, contracts).

Names in running text are runs of capitalised words (or words in a non-Latin script),
possibly joined by particles ("bin", "al", "von", "de"). Each run, and each of its sub-runs
of two or more words, is screened; the best match per entity inside a run becomes a mention
with its character offsets. A single word is reported only when it is a listed name on its
own and a rare one ("ROSOBORONEXPORT"), never for a surname alone ("Putin"), but such a word
is linked to an entity already found in full elsewhere in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec

from embargo.match.matcher import Match
from embargo.match.names import PARTICLES

if TYPE_CHECKING:
    from embargo.screening import Screener

MAX_TEXT = 1_000_000  # characters
MAX_RUN = 6  # words in one candidate name
TEXT_THRESHOLD = 0.8  # running text is noisier than a name field: ask for more
MIN_COVERAGE = 0.75  # share of the listed name's weight a phrase must match

_WORD = re.compile(r"[^\W_][\w'’.\-]*", re.UNICODE)
_SENTENCE_BREAK = re.compile(r"[.!?;:\n\"“”()\[\]]")


@dataclass
class Mention:
    start: int
    end: int
    text: str
    entity_id: str
    caption: str
    score: float
    match: Match
    linked: bool = False  # a short reference to an entity found in full elsewhere
    also_at: list[tuple[int, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "entity_id": self.entity_id,
            "caption": self.caption,
            "score": round(self.score, 4),
            "linked": self.linked,
            "listings": [msgspec.to_builtins(lst) for lst in self.match.entity.listings],
            "explanation": self.match.explanation.to_dict(),
        }


def _is_name_word(word: str) -> bool:
    first = word[0]
    if first.isupper():
        return True
    return not first.isascii() and first.isalpha() and not first.islower()


def _runs(text: str) -> list[list[tuple[int, int, str]]]:
    """Runs of name-like words, split at sentence punctuation."""
    runs: list[list[tuple[int, int, str]]] = []
    current: list[tuple[int, int, str]] = []
    last_end = 0
    for m in _WORD.finditer(text):
        word = m.group(0).rstrip(".'’-")
        if not word:
            continue
        gap = text[last_end : m.start()]
        if current and (_SENTENCE_BREAK.search(gap) or len(gap) > 3):
            runs.append(current)
            current = []
        if _is_name_word(word) or (current and word.lower() in PARTICLES):
            current.append((m.start(), m.start() + len(word), word))
        elif current:
            runs.append(current)
            current = []
        last_end = m.start() + len(m.group(0))
        if m.group(0).endswith(".") and len(word) > 3 and current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    # Trailing particles are not part of a name.
    return [r for r in (_trim(run) for run in runs) if r]


def _trim(run: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    while run and run[-1][2].lower() in PARTICLES:
        run = run[:-1]
    while run and run[0][2].lower() in PARTICLES:
        run = run[1:]
    return run


def find_mentions(
    screener: Screener,
    text: str,
    *,
    threshold: float = TEXT_THRESHOLD,
    sources: list[str] | None = None,
) -> list[Mention]:
    """Listed parties mentioned in ``text``, in order of appearance."""
    from embargo.errors import QueryError

    if len(text) > MAX_TEXT:
        raise QueryError(f"text: {len(text):,} characters is over the limit of {MAX_TEXT:,}")
    found: dict[str, Mention] = {}
    singles: list[tuple[int, int, str]] = []
    cache: dict[str, list[Match]] = {}

    def screen(phrase: str) -> list[Match]:
        if phrase not in cache:
            query = {"schema": "LegalEntity", "properties": {"name": [phrase]}}
            cache[phrase] = screener.screen(query, limit=10, threshold=threshold, sources=sources)
        return cache[phrase]

    for run in _runs(text):
        run = run[: MAX_RUN * 3]
        best: dict[str, tuple[Match, int, int]] = {}
        for i in range(len(run)):
            for j in range(i + 1, min(len(run), i + MAX_RUN) + 1):
                words = run[i:j]
                if len(words) == 1:
                    singles.append(words[0])
                    if not _rare_single(screener, words[0][2]):
                        continue
                start, end = words[0][0], words[-1][1]
                for match in screen(text[start:end]):
                    name = match.explanation.name
                    # In running text a phrase must account for most of the listed name:
                    # "United States" is not a mention of "United Wa State Army".
                    if not match.match or name is None or name.candidate_coverage < MIN_COVERAGE:
                        continue
                    held = best.get(match.entity_id)
                    # Prefer the better score; on a tie, the longer phrase.
                    if held is None or (match.score, end - start) > (
                        held[0].score,
                        held[2] - held[1],
                    ):
                        best[match.entity_id] = (match, start, end)
        for entity_id, (match, start, end) in best.items():
            if entity_id in found:
                found[entity_id].also_at.append((start, end))
                continue
            found[entity_id] = Mention(
                start, end, text[start:end], entity_id, match.entity.caption, match.score, match
            )
    _link_short_references(found, singles, text)
    return sorted(found.values(), key=lambda m: (m.start, -m.score))


def _rare_single(screener: Screener, word: str) -> bool:
    """A single word is screened only if it is long and a whole listed name by itself
    ("ROSOBORONEXPORT"); a short one ("United") is too often an ordinary word."""
    if len(word) < 8:
        return False
    index = screener.index
    return ("c" + word.lower()) in index.postings


def _link_short_references(
    found: dict[str, Mention], singles: list[tuple[int, int, str]], text: str
) -> None:
    """Attach later bare-surname references ("Putin said") to an entity found in full."""
    for mention in list(found.values()):
        tokens = {t.lower() for t in re.findall(r"\w+", mention.text) if len(t) > 3}
        for start, end, word in singles:
            inside = mention.start <= start < mention.end
            if word.lower() in tokens and not inside and (start, end) not in mention.also_at:
                mention.also_at.append((start, end))
