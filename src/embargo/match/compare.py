"""Comparing two analysed names: align their parts, score the alignment, say how.

Every part of the query is paired with at most one part of the candidate. A pair is scored
by the strongest evidence that the two parts are the same token: identical Latin form,
a shared rigour symbol (the same given name across scripts, a nickname, a legal-form type),
an initial, a phonetic or consonant-skeleton match, or edit distance within a budget that
grows with token length. Parts left over on one side only ("Vladimir PUTIN" against
"Vladimir Vladimirovich PUTIN") cost little; parts left over on *both* sides are a
conflict ("AL-TIKRITI" against "AL-DULAIMI") and cost a lot, because two different tokens in
the same place are evidence of two different people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from rapidfuzz.distance import OSA, JaroWinkler

from embargo.match.names import (
    FAMILY,
    GIVEN,
    LEGAL,
    NUM,
    PATRONYMIC,
    STOP,
    TITLE,
    NameForm,
    Part,
)
from embargo.match.normalize import (
    greek_skeleton,
    hangul_skeleton,
    korean_skeleton,
    loose_skeleton,
)

# How a query part matched a candidate part (shown in explanations).
EXACT = "exact"
TRANSLITERATED = "transliterated"
NAME_EQUIVALENT = "name-equivalent"  # the same name in another language or script (rigour)
NICKNAME = "nickname"
LEGAL_FORM = "legal-form"
SYNONYM = "synonym"
INITIAL = "initial"
PHONETIC = "phonetic"
FUZZY = "fuzzy"
JOINED = "joined"  # one side writes as one word what the other writes as two
REVERSED = "reversed"
OCR = "ocr"
CONSONANTS = "consonants"  # Arabic, Hebrew (unvowelled) or Hangul against Latin, by consonants

_SYMBOL_SCORES = {
    "NAME": (0.90, NAME_EQUIVALENT),
    "NICK": (0.85, NICKNAME),
    "ORG_CLASS": (1.0, LEGAL_FORM),
    "SYMBOL": (0.92, SYNONYM),
    "DOMAIN": (0.9, SYNONYM),
    "NUMERIC": (1.0, SYNONYM),
    "LOCATION": (0.9, SYNONYM),
}
_LOW_TAGS = (STOP, TITLE, LEGAL)
_VOWEL = re.compile("[aeiouy]")

# Weights of left-over parts, relative to their own weight: a part only one side has, and a
# part in a conflict (both sides have left-overs).
EXTRA_QUERY = 0.4
EXTRA_CANDIDATE = 0.4
EXTRA_CANDIDATE_PATRONYMIC = 0.2
# People's full names carry given names a query may leave out; an organisation's extra
# distinctive word usually names a different organisation ("Bank of X", "X Trading").
EXTRA_CANDIDATE_ORG = 0.6
EXTRA_QUERY_ORG = 0.6
CONFLICT = 1.35
# Multiplier per pair of person-name parts that appear in crossed order ("Hans Friedrich" /
# "Friedrich Hans"): small, because lists write surnames first as often as last.
ORDER_PENALTY = 0.96
BUDGET_ONE_EDIT = 5
USE_JW = False
PHONETIC_SCORE = 0.86
TRUNCATED_SCORE = 0.75
NASAB_PENALTY = 0.7
LEGAL_MISMATCH = 0.9
# How much each edit costs relative to token length.
FUZZY_SLOPE = 1.0


@dataclass(frozen=True, slots=True)
class PartMatch:
    query: str | None  # the query part's text (None: candidate part left over)
    candidate: str | None
    score: float
    how: str  # one of the constants above, or "missing" / "extra" / "conflict"
    weight: float


@dataclass(frozen=True, slots=True)
class NameScore:
    score: float  # 0..1, name evidence only
    parts: tuple[PartMatch, ...]
    conflict: bool  # both sides had unexplained parts
    coverage: float  # share of the query's weight that found a counterpart
    candidate_coverage: float = 1.0  # share of the candidate's weight that did
    matched: tuple[int, ...] = ()  # indices of the query parts that found a counterpart
    consonants_only: bool = False  # every core part matched only by consonant skeleton


# Spelling similarity of two parts, by the query part's spelling key, then the candidate's:
# one lookup per query part, then one per pair, on strings whose hashes are cached.
_spelling: dict[str, dict[str, tuple[float, str]]] = {}
_spelling_size = 0
_SPELLING_MAX = 500_000


def _budget(length: int) -> int:
    """Edits allowed for a token of this length before it is a different token."""
    if length <= BUDGET_ONE_EDIT:
        return 1
    return 2 + (length - BUDGET_ONE_EDIT - 1) // 5


def part_similarity(a: Part, b: Part) -> tuple[float, str]:
    """How strongly two parts are the same token (0..1), and the kind of evidence."""
    if a.latin == b.latin:
        return (
            1.0,
            EXACT if a.text == b.text or a.text.lower() == b.text.lower() else TRANSLITERATED,
        )
    if (a.dense and b.dense) or (a.tag == LEGAL and b.tag == LEGAL):
        return _similarity(a, b, symbols=True)  # rare; compared character by character
    # Spelling evidence depends only on the strings and tags: cache it under plain strings
    # (which the garbage collector does not track), and add name-table evidence, which
    # depends on the parts' symbols, outside the cache.
    row = _spelling_row(a)
    hit = row.get(b.skey)
    if hit is None:
        hit = _remember(row, a, b)
    if a.symbols and b.symbols and not a.symbols.isdisjoint(b.symbols):
        sym = _symbol_similarity(a, b)
        if sym[0] > hit[0]:
            return sym
    return hit


def _spelling_row(a: Part) -> dict[str, tuple[float, str]]:
    row = _spelling.get(a.skey)
    if row is None:
        row = _spelling[a.skey] = {}
    return row


def _remember(row: dict[str, tuple[float, str]], a: Part, b: Part) -> tuple[float, str]:
    global _spelling_size
    hit = _similarity(a, b, symbols=False)
    if _spelling_size >= _SPELLING_MAX:
        _spelling.clear()
        _spelling_size = 0
        _spelling[a.skey] = row
    row[b.skey] = hit
    _spelling_size += 1
    return hit


def _pair_scores(
    qparts: tuple[Part, ...], cparts: tuple[Part, ...], explain: bool
) -> list[tuple[float, int, int, str]]:
    """Every (score, query index, candidate index, how) with a score above zero, in the
    order ``part_similarity`` over all pairs gives; the same logic, with the per-pair
    lookups hoisted out of the inner loop (this is the matcher's innermost loop)."""
    pairs: list[tuple[float, int, int, str]] = []
    for i, a in enumerate(qparts):
        al = a.latin
        asym = a.symbols
        special = a.dense or a.tag == LEGAL
        row = _spelling_row(a)
        for j, b in enumerate(cparts):
            if al == b.latin:
                how = (
                    EXACT
                    if not explain or a.text == b.text or a.text.lower() == b.text.lower()
                    else TRANSLITERATED
                )
                pairs.append((1.0, i, j, how))
            elif special and ((a.dense and b.dense) or (a.tag == LEGAL and b.tag == LEGAL)):
                score, how = _similarity(a, b, symbols=True)
                if score > 0:
                    pairs.append((score, i, j, how))
            else:
                hit = row.get(b.skey)
                if hit is None:
                    hit = _remember(row, a, b)
                score, how = hit
                bsym = b.symbols
                if asym and bsym and not asym.isdisjoint(bsym):
                    sym = _symbol_similarity(a, b)
                    if sym[0] > score:
                        score, how = sym
                if score > 0:
                    pairs.append((score, i, j, how))
    return pairs


def _symbol_similarity(a: Part, b: Part) -> tuple[float, str]:
    best, how = 0.0, ""
    for sym in a.symbols & b.symbols:
        cat = sym.split(":", 1)[0]
        if cat == "INITIAL":
            continue
        score, kind = _SYMBOL_SCORES.get(cat, (0.85, SYNONYM))
        if cat == "NAME" and (max(len(a.latin), len(b.latin)) <= 3 or (a.abjad != b.abjad)):
            # Name tables equate short syllables ("hui"/"su") and unvowelled Arabic
            # and Hebrew spellings loosely: weaker evidence there.
            score = 0.78
        if score > best:
            best, how = score, kind
    return best, how


def _consonant_agreement(
    sa: str, sb: str, latin_side: str, size: int, minimum: int, one_edit_from: int
) -> float:
    """How far two consonant skeletons (of a spelling in another script and a Latin one)
    agree: 0.78 the same, 0.7 one edit apart once ``size`` (what the shorter one holds)
    reaches ``one_edit_from``, else 0 — and 0 below ``minimum``, or when the Latin side is a
    word without vowels: an acronym ("SHFT") is all skeleton."""
    if size < minimum or not _VOWEL.search(latin_side):
        return 0.0
    if sa == sb:
        return 0.78
    return 0.7 if size >= one_edit_from and OSA.distance(sa, sb) <= 1 else 0.0


def _similarity(a: Part, b: Part, *, symbols: bool) -> tuple[float, str]:
    best, how = 0.0, ""
    if a.tag == LEGAL and b.tag == LEGAL:
        # Legal forms compare as types: OAO, JSC and AO are one type; LLC and JSC are two.
        shared = a.symbols & b.symbols
        return (1.0, LEGAL_FORM) if shared else (0.0, "")
    if symbols and a.symbols and b.symbols:
        best, how = _symbol_similarity(a, b)
    la, lb = a.latin, b.latin
    if a.dense and b.dense and a.text != b.text:
        # Han and Hangul names are a few syllables each written by one character: one
        # different character is another name, even where the readings coincide.
        diff = sum(1 for x, y in zip(a.text, b.text, strict=False) if x != y) + abs(
            len(a.text) - len(b.text)
        )
        return (max(best, 0.5), how or FUZZY) if diff <= 1 and best else (best, how)
    if a.tag == NUM or b.tag == NUM or la.isdigit() or lb.isdigit():
        # Numbers are the same or not: "Trust 2004-1" and "Trust 2004-2" differ.
        return (best, how) if best else (0.0, "")
    if len(la) == 1 or len(lb) == 1:
        short, long_ = (la, lb) if len(la) == 1 else (lb, la)
        if long_.startswith(short):
            return max((0.75, INITIAL), (best, how))
        return best, how
    longest = max(len(la), len(lb))
    shortest = min(len(la), len(lb))
    if a.tkey == b.tkey and shortest >= 4 and best < 0.92:
        # Romanisation standards differ (Dzhavad / Javad); in a short Latin word the same
        # rules make different words alike ("Speer" / "Spir"), so it counts for less there.
        cross_script = a.text.isascii() != b.text.isascii()
        best, how = (0.92, TRANSLITERATED) if cross_script or shortest >= 6 else (0.8, PHONETIC)
    elif a.okey == b.okey and shortest >= 4 and best < 0.88:
        best, how = 0.88, OCR  # a scanner's misreading: rn / m, vv / w, cl / d
    if a.abjad and b.abjad and shortest <= 4:
        # Abjad scripts write consonants only: in a short token each one is the name.
        return best, how
    budget = _budget(shortest)
    # Only distances up to budget + 1 are read below; the length difference is a lower
    # bound, and the cut-off lets the distance computation stop early.
    dist = (
        OSA.distance(la, lb, score_cutoff=budget + 2)
        if longest - shortest <= budget + 1
        else budget + 2
    )
    if dist <= budget:
        fuzzy = 1.0 - FUZZY_SLOPE * dist / longest
        # A shared first letter makes a typo likelier than a different name.
        if la[0] == lb[0]:
            fuzzy = min(1.0, fuzzy + 0.04)
        if fuzzy > best:
            best, how = fuzzy, FUZZY
    if (
        best < TRUNCATED_SCORE
        and shortest >= 4
        and shortest * 2 >= longest
        and PATRONYMIC not in (a.tag, b.tag)
        and (la.startswith(lb) or lb.startswith(la))
    ):
        best, how = TRUNCATED_SCORE, FUZZY  # a name cut short ("Abiy" / "Abiyot")
    if best < TRUNCATED_SCORE and shortest >= 4 and la == lb[::-1]:
        best, how = TRUNCATED_SCORE, REVERSED  # written backwards, an old evasion trick
    if a.phon and a.phon == b.phon and best < PHONETIC_SCORE:
        # Sounding alike is strong evidence only when the spellings are close as well
        # ("Moresi" and "Mahrous" share a phonetic key, not a name).
        close = dist <= budget + 1
        # Short words collide phonetically by chance ("Zeman"/"ZAMAN", "Mude"/"Mado").
        score = (PHONETIC_SCORE if shortest > 5 else 0.7) if close else 0.6
        if score > best:
            best, how = score, PHONETIC
    if (a.abjad != b.abjad or a.greek != b.greek) and best < 0.8:
        # Arabic and Hebrew script write few vowels, Greek writes foreign sounds with
        # letters of its own: compare consonant skeletons loosely.
        sa = greek_skeleton(a.text) if a.greek else loose_skeleton(la)
        sb = greek_skeleton(b.text) if b.greek else loose_skeleton(lb)
        latin_side = lb if a.abjad or a.greek else la
        score = _consonant_agreement(sa, sb, latin_side, min(len(sa), len(sb)), 1, 5)
        if score:
            best, how = score, CONSONANTS
    if a.hangul != b.hangul and best < 0.8:
        # A foreign name in Hangul: compared by its consonants in the classes Korean
        # writes them with (see ``hangul_skeleton``), vowels as slots ("V").
        ka = hangul_skeleton(a.text) if a.hangul else korean_skeleton(la)
        kb = hangul_skeleton(b.text) if b.hangul else korean_skeleton(lb)
        consonants = min(len(ka) - ka.count("V"), len(kb) - kb.count("V"))
        score = _consonant_agreement(ka, kb, lb if a.hangul else la, consonants, 2, 4)
        if score:
            best, how = score, CONSONANTS
    if USE_JW and best < 0.7 and longest >= 5 and PATRONYMIC not in (a.tag, b.tag):
        jw = JaroWinkler.similarity(la, lb)
        if jw >= 0.9 and jw - 0.15 > best:
            best, how = jw - 0.15, FUZZY
    if best < 0.55:
        return 0.0, ""
    return best, how


def _low(part: Part) -> bool:
    return part.tag in _LOW_TAGS


def _identity_how(a: Part, b: Part) -> str:
    if a.text == b.text:
        return EXACT
    if a.tag == LEGAL or b.tag == LEGAL:
        return LEGAL_FORM
    return EXACT if a.text.lower() == b.text.lower() else TRANSLITERATED


_NASAB = frozenset({"bin", "ibn", "ben", "bint", "binti", "ould", "walad", "ait"})


def _nasab_swapped(
    q: NameForm, c: NameForm, groups: list[tuple[list[int], list[int], float, str]]
) -> bool:
    """Whether a part before "bin" in one name matched a part after "bin" in the other."""
    qb = next((p.index for p in q.parts if p.latin in _NASAB), None)
    cb = next((p.index for p in c.parts if p.latin in _NASAB), None)
    if qb is None or cb is None:
        return False
    for qi, cj, _, _ in groups:
        i, j = qi[0], cj[0]
        if i != qb and j != cb and (i < qb) != (j < cb):
            return True
    return False


_SURE = frozenset({EXACT, TRANSLITERATED, NAME_EQUIVALENT, NICKNAME, LEGAL_FORM, JOINED})


def _single_weak_token(
    q: NameForm, c: NameForm, groups: list[tuple[list[int], list[int], float, str]]
) -> bool:
    if q.core_count != 1 and c.core_count != 1:
        return False
    hows = [how for qi, _, _, how in groups if q.parts[qi[0]].core]
    return bool(hows) and all(how not in _SURE for how in hows)


def _core(part: Part) -> bool:
    """Parts whose absence on one side and presence of another on the other side is a
    conflict; particles, titles, legal forms and numbers are not."""
    return part.tag not in (STOP, TITLE, LEGAL, NUM)


def _acronym(q: NameForm, c: NameForm) -> float:
    """A one-word query that spells the initials of the candidate ("PLA")."""
    if len(q.parts) != 1 or len(c.parts) < 2:
        return 0.0
    token = q.parts[0].latin
    if not (2 <= len(token) <= 6 and token.isalpha()):
        return 0.0
    initials = "".join(p.latin[0] for p in c.parts if p.tag not in (LEGAL,) and p.latin)
    without_stop = "".join(p.latin[0] for p in c.parts if not _low(p) and p.latin)
    return 0.8 if token in (initials, without_stop) else 0.0


def compare_names(q: NameForm, c: NameForm, explain: bool = True) -> NameScore:
    """Score how well name ``c`` (a listed name) explains query name ``q``.

    With ``explain=False`` the part-by-part explanation is not built: candidates are
    ranked without it and only the chosen pair is explained.
    """
    qparts, cparts = q.parts, c.parts
    # Whole-name identity after transliteration, spacing and punctuation ("SiemensAG",
    # "Xi Jinping" / "xi jin ping"): strong evidence however the tokens fall.
    if (
        q.compact
        and q.compact == c.compact
        and q.legal == c.legal
        and not any(p.dense for p in qparts)
    ):
        same_shape = len(qparts) == len(cparts)
        matches = (
            tuple(
                PartMatch(a.text, b.text, 1.0, _identity_how(a, b), a.weight + b.weight)
                for a, b in zip(qparts, cparts, strict=False)
            )
            if same_shape
            else (PartMatch(q.text, c.text, 0.97, JOINED, 1.0),)
        )
        everything = tuple(range(len(qparts)))
        return NameScore(1.0 if same_shape else 0.97, matches, False, 1.0, 1.0, everything)
    if len(qparts) != len(cparts) and q.spelled == c.spelled and not q.person:
        # The same letters, spaced differently around a legal form ("SiemensAG").
        joined = (PartMatch(q.text, c.text, 0.97, JOINED, 1.0),)
        return NameScore(0.97, joined, False, 1.0, 1.0, tuple(range(len(qparts))))
    pairs = _pair_scores(qparts, cparts, explain)
    pairs.sort(key=lambda t: (-t[0], abs(t[1] - t[2])))
    groups: list[tuple[list[int], list[int], float, str]] = []
    q_used: set[int] = set()
    c_used: set[int] = set()
    for score, i, j, how in pairs:
        if i in q_used or j in c_used:
            continue
        groups.append(([i], [j], score, how))
        q_used.add(i)
        c_used.add(j)
    if len(q_used) < len(qparts) and len(c_used) < len(cparts):
        groups.extend(_match_joined(qparts, cparts, q_used, c_used))
    num = 0.0
    den = 0.0
    out: list[PartMatch] = []
    crossings = 0
    last_j = -1
    person = q.person or c.person
    for qi, cj, score, how in sorted(groups, key=lambda g: g[0][0]):
        a, b = qparts[qi[0]], cparts[cj[0]]
        if len(qi) == 1 and len(cj) == 1:
            w = a.weight + b.weight
        else:
            w = sum(qparts[i].weight for i in qi) + sum(cparts[j].weight for j in cj)
        if a.tag != b.tag and a.tag in (GIVEN, FAMILY) and b.tag in (GIVEN, FAMILY):
            score *= 0.9
        if not a.low:
            if cj[0] < last_j:
                crossings += 1
            last_j = cj[0]
        num += score * w
        den += w
        if explain:
            out.append(
                PartMatch(
                    " ".join(qparts[i].text for i in qi),
                    " ".join(cparts[j].text for j in cj),
                    score,
                    how,
                    w,
                )
            )
    q_left = [p for p in qparts if p.index not in q_used] if len(q_used) < len(qparts) else []
    c_left = [p for p in cparts if p.index not in c_used] if len(c_used) < len(cparts) else []
    q_real = any(p.core for p in q_left)
    conflict = q_real and any(p.core for p in c_left)
    if q_real and person and c.core_count == 1:
        # A one-word listed name (a nickname, a nom de guerre) found inside a longer
        # personal name is a coincidence of one word, not a match ("Denis LUCAS"/"LUCAS").
        conflict = True
    for p in q_left:
        in_conflict = conflict and p.core
        if in_conflict:
            factor = CONFLICT
        elif person or p.low:
            factor = EXTRA_QUERY
        else:
            factor = EXTRA_QUERY_ORG
        den += p.weight * 2 * factor
        if explain:
            how = "conflict" if in_conflict else "missing"
            out.append(PartMatch(p.text, None, 0.0, how, p.weight))
    for p in c_left:
        in_conflict = conflict and p.core
        if in_conflict:
            factor = CONFLICT
        elif p.tag == PATRONYMIC or p.low:
            factor = EXTRA_CANDIDATE_PATRONYMIC
        elif person:
            factor = EXTRA_CANDIDATE
        else:
            factor = EXTRA_CANDIDATE_ORG
        den += p.weight * 2 * factor
        if explain:
            how = "conflict" if in_conflict else "extra"
            out.append(PartMatch(None, p.text, 0.0, how, p.weight))
    score = num / den if den else 0.0
    if crossings and q.person:
        score *= ORDER_PENALTY**crossings
        if _nasab_swapped(q, c, groups):
            # "X bin Y" is X, son of Y: swapping the names around "bin" is another person.
            score *= NASAB_PENALTY
    # Initials alone ("N. N.") identify nobody.
    if groups and all(
        len(qparts[i].latin) == 1 or qparts[i].low for qi, _, _, _ in groups for i in qi
    ):
        score = min(score, 0.5)
    if q.legal and c.legal and not q.legal & c.legal:
        # Two different legal forms (an AG and a GmbH) are two different companies more
        # often than one company that changed its form.
        score *= LEGAL_MISMATCH
    q_total = q.weight or 1.0
    covered = sum(qparts[i].weight for i in q_used)
    # A query none of whose distinctive parts matched is not a match, however the
    # particles and legal forms line up ("Trading LLC" against "Oil Trading LLC").
    if all(qparts[i].low for i in q_used):
        score = min(score, 0.3)
    if _single_weak_token(q, c, groups):
        # A one-word name matched only by sound or spelling likeness, not the same word:
        # many words are that close to some listed name.
        score -= 0.1
    acronym = _acronym(q, c)
    if acronym > score:
        parts = (PartMatch(q.parts[0].text, c.text, acronym, "acronym", 1.0),)
        return NameScore(acronym, parts, False, 1.0, 1.0, (0,))
    # How much of the listed name's identity the query accounts for: its core parts only,
    # so a missing patronymic or legal form does not count against it.
    c_total = c.core_weight or 1.0
    c_covered = sum(
        p.weight for p in cparts if p.core and p.tag != PATRONYMIC and p.index in c_used
    )
    core_hows = [how for qi, _, _, how in groups if qparts[qi[0]].core]
    consonants_only = bool(core_hows) and all(how == CONSONANTS for how in core_hows)
    return NameScore(
        score,
        tuple(out),
        conflict,
        covered / q_total,
        c_covered / c_total,
        tuple(sorted(q_used)),
        consonants_only,
    )


def _match_joined(
    qparts: tuple[Part, ...],
    cparts: tuple[Part, ...],
    q_used: set[int],
    c_used: set[int],
) -> list[tuple[list[int], list[int], float, str]]:
    """Pair two adjacent left-over parts on one side with one left-over part on the other
    ("Jin Ping" / "Jinping", "Abdul Rahman" / "Abdulrahman")."""
    out: list[tuple[list[int], list[int], float, str]] = []
    for side_a, used_a, side_b, used_b, a_is_query in (
        (qparts, q_used, cparts, c_used, True),
        (cparts, c_used, qparts, q_used, False),
    ):
        for x, y in pairwise(side_a):
            if x.index in used_a or y.index in used_a:
                continue
            combined = x.latin + y.latin
            for z in side_b:
                if z.index in used_b:
                    continue
                allowed = _budget(len(z.latin)) // 2
                # The distance is at least the difference in length.
                if abs(len(combined) - len(z.latin)) > allowed:
                    continue
                dist = OSA.distance(combined, z.latin, score_cutoff=allowed + 1)
                if dist <= allowed:
                    score = 1.0 - dist / max(len(combined), len(z.latin))
                    used_a.update((x.index, y.index))
                    used_b.add(z.index)
                    if a_is_query:
                        out.append(([x.index, y.index], [z.index], score, JOINED))
                    else:
                        out.append(([z.index], [x.index, y.index], score, JOINED))
                    break
    return out
