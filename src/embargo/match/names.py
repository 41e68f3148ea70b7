"""Name analysis: a name string becomes a ``NameForm`` of weighted, typed parts.

rigour (a compiled library made for sanctions name matching) tokenises, strips honorifics,
recognises legal forms as types (``OOO``, ``ООО``, ``LLC``, ``GmbH`` ...), stopwords and
particles, numbers, and tags parts with symbols: known given/family names across scripts
(``NAME``), nicknames (``NICK``), initials, synonyms. Embargo adds the evasion clean-up,
a Latin form for every script, a phonetic key, a consonant skeleton, patronymic and title
recognition, and a weight per part from how common the token is among listed names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from rigour.names import NamePartTag, NameTypeTag, analyze_names
from rigour.text.phonetics import metaphone

from embargo.match.normalize import (
    GREEK,
    HANGUL,
    clean_evasion,
    fold_latin,
    latinize,
    loose_skeleton,
    ocr_key,
    skeleton,
    translit_key,
)
from embargo.match.stats import (
    TokenStats,
    common_skeletons,
    common_tokens,
    default_stats,
    is_syllabic,
)
from embargo.model import NameKind, Schema

# Part tags, as short strings so parts stay cheap to compare.
LEGAL = "legal"
STOP = "stop"
NUM = "num"
PATRONYMIC = "patronymic"
TITLE = "title"
GIVEN = "given"
FAMILY = "family"
PLAIN = ""

_RIGOUR_TAGS = {
    NamePartTag.LEGAL: LEGAL,
    NamePartTag.STOP: STOP,
    NamePartTag.NUM: NUM,
    NamePartTag.PATRONYMIC: PATRONYMIC,
    NamePartTag.MATRONYMIC: PATRONYMIC,
    NamePartTag.GIVEN: GIVEN,
    NamePartTag.MIDDLE: GIVEN,
    NamePartTag.FAMILY: FAMILY,
    NamePartTag.TITLE: TITLE,
    NamePartTag.HONORIFIC: TITLE,
}

# Honorifics and religious or military titles that rigour keeps as name parts; they say
# nothing about identity, so they weigh almost nothing.
TITLES = frozenset(
    [
        "sheikh",
        "shaikh",
        "shaykh",
        "sheik",
        "haji",
        "hajji",
        "hadji",
        "mullah",
        "mulla",
        "maulvi",
        "mawlawi",
        "maulana",
        "mawlana",
        "qari",
        "imam",
        "ayatollah",
        "hojatoleslam",
        "sayyid",
        "sayed",
        "syed",
        "sayyed",
        "emir",
        "amir",
        "prince",
        "princess",
        "king",
        "general",
        "gen",
        "colonel",
        "col",
        "major",
        "maj",
        "captain",
        "capt",
        "lieutenant",
        "lt",
        "commander",
        "admiral",
        "brigadier",
        "dr",
        "doctor",
        "prof",
        "professor",
        "mr",
        "mrs",
        "ms",
        "miss",
        "sir",
        "lord",
        "lady",
        "dame",
        "hon",
        "honourable",
        "honorable",
        "rev",
        "reverend",
        "father",
        "brother",
        "sister",
        "engineer",
        "eng",
        "ing",
        "dipl",
        "abu",
        "umm",
    ]
)
# "abu"/"umm" (father/mother of) are kunya markers; they carry little identity on their own.
PARTICLES = frozenset(
    [
        "al",
        "el",
        "ul",
        "ur",
        "ad",
        "ud",
        "as",
        "ash",
        "at",
        "ath",
        "az",
        "ibn",
        "bin",
        "ben",
        "bint",
        "binti",
        "ould",
        "ait",
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "della",
        "di",
        "da",
        "dos",
        "das",
        "do",
        "du",
        "le",
        "la",
        "les",
        "y",
        "e",
        "und",
        "and",
        "of",
        "the",
    ]
)
_PATRONYMIC = re.compile(
    r"(ovich|evich|ovych|evych|ovna|evna|ichna|ogly|oglu|uly|kyzy|qizi|ovic|evic)$"
)

_LOW_TAGS = (STOP, TITLE, LEGAL)
_ABJAD = re.compile("[\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_DENSE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")

_TYPE_TAGS = {
    Schema.PERSON: NameTypeTag.PER,
    Schema.ORGANIZATION: NameTypeTag.ORG,
    Schema.COMPANY: NameTypeTag.ORG,
    Schema.VESSEL: NameTypeTag.OBJ,
    Schema.AIRCRAFT: NameTypeTag.OBJ,
    Schema.UNKNOWN: NameTypeTag.ENT,
}


@lru_cache(maxsize=16_384)  # bounded: an index build meets ~100,000 distinct tokens
def _token_facts(text: str, latin: str) -> tuple[str, str, bool, bool, bool, bool, bool, str, str]:
    """What a token's spelling says, whatever its place in a name: phonetic key, consonant
    skeleton, abjad and dense script, commonness, transliteration and OCR keys. Tokens
    recur across names and queries, so this is worked out once per token."""
    abjad = bool(_ABJAD.search(text))
    dense = bool(_DENSE.search(text))
    hangul = dense and bool(HANGUL.search(text))
    greek = bool(GREEK.search(text))
    # Shared by many people: a whole Chinese or Korean name of two or three characters,
    # or a token on the common-names list.
    common = (
        (dense and 2 <= len(text) <= 3)
        or latin in common_tokens()
        or is_syllabic(latin)
        or (abjad and loose_skeleton(latin) in common_skeletons())
    )
    return (
        metaphone(latin) if latin.isalpha() and len(latin) > 1 else "",
        skeleton(latin),
        abjad,
        dense,
        hangul,
        greek,
        common,
        translit_key(latin),
        ocr_key(latin),
    )


class Part:
    """One token of a name, with everything the comparison needs precomputed."""

    __slots__ = (
        "abjad",
        "common",
        "core",
        "dense",
        "greek",
        "hangul",
        "index",
        "latin",
        "low",
        "okey",
        "phon",
        "skel",
        "skey",
        "symbols",
        "tag",
        "text",
        "tkey",
        "weight",
    )

    def __init__(
        self,
        index: int,
        text: str,
        latin: str,
        tag: str,
        symbols: frozenset[str],
        weight: float,
    ) -> None:
        self.index = index
        self.text = text
        self.latin = latin
        self.tag = tag
        self.symbols = symbols
        self.weight = weight
        (
            self.phon,
            self.skel,
            self.abjad,
            self.dense,
            self.hangul,
            self.greek,
            self.common,
            self.tkey,
            self.okey,
        ) = _token_facts(text, latin)
        # What the comparison asks of every part, decided once: particles, titles and legal
        # forms are "low"; "core" parts (not low, not numbers) make conflicts when left over.
        self.low = tag in _LOW_TAGS
        self.core = not self.low and tag != NUM
        # The part's spelling as one string: the key of the spelling-similarity cache.
        script = "a" if self.abjad else "h" if self.hangul else "g" if self.greek else ""
        self.skey = f"{latin}\x1f{tag}\x1f{script}"

    def __repr__(self) -> str:
        return f"Part({self.text!r}, {self.latin!r}, tag={self.tag!r}, w={self.weight:.2f})"


class NameForm:
    """An analysed name: its parts in order, and the name's own properties."""

    __slots__ = (
        "compact",
        "core_count",
        "core_weight",
        "kind",
        "lang",
        "legal",
        "parts",
        "person",
        "script",
        "spelled",
        "text",
        "weight",
    )

    def __init__(
        self,
        text: str,
        parts: tuple[Part, ...],
        *,
        kind: NameKind = NameKind.PRIMARY,
        script: str | None = None,
        person: bool = False,
        lang: str | None = None,
    ) -> None:
        self.text = text
        self.parts = parts
        self.kind = kind
        self.script = script
        self.person = person
        self.lang = lang
        self.compact = "".join(p.latin for p in parts if p.tag != LEGAL)
        self.spelled = "".join(p.latin for p in parts)
        self.weight = sum(p.weight for p in parts)
        self.legal = frozenset(s for p in parts if p.tag == LEGAL for s in (p.symbols or {p.latin}))
        self.core_count = sum(1 for p in parts if p.core)
        # The weight of the identity a query must account for (patronymics left out).
        self.core_weight = sum(p.weight for p in parts if p.core and p.tag != PATRONYMIC)

    def __repr__(self) -> str:
        return f"NameForm({self.text!r}, {list(self.parts)!r})"


def type_tag(schema: Schema | str) -> NameTypeTag:
    return _TYPE_TAGS.get(Schema(schema), NameTypeTag.ENT)


_ROMAN = re.compile(r"^m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$")
_ROMAN_WORDS = frozenset(
    {"mix", "dim", "mid", "lid", "mil", "mill", "civic", "di", "li", "mi", "dc", "cd", "mci", "vic"}
)


def is_roman_numeral(latin: str) -> bool:
    """ "II", "XV", "XIV" as in "Trust XV" or "Fund III" (not words like "mix" or "civic")."""
    return 2 <= len(latin) <= 6 and latin not in _ROMAN_WORDS and bool(_ROMAN.match(latin))


# Words of legal-form phrases, in the spellings lists use. A phrase rigour recognises becomes
# one legal-form part; these catch its words when a typo, an accent or a joined word keeps
# rigour from recognising it ("LIMITED LIABILITY COPPANY"), so they weigh little instead of
# looking like distinctive name words.
LEGAL_WORDS = frozenset(
    """limited liability company companies corporation incorporated joint stock public private
    closed open society societe anonyme anonima sociedad responsabilidad limitada gesellschaft
    beschrankter haftung aktiengesellschaft obshchestvo obschestvo ogranichennoi ogranichennoy
    otvetstvennostyu otvetstvennostiu aktsionernoye aktsionernoe otkrytoye otkrytoe zakrytoye
    zakrytoe publichnoye publichnoe tovarystvo tovaristvo partnership holding holdings""".split()
)


@lru_cache(maxsize=65536)
def _legal_word(latin: str) -> bool:
    if latin in LEGAL_WORDS:
        return True
    if len(latin) < 6:
        return False
    from rapidfuzz.distance import OSA

    return any(
        abs(len(w) - len(latin)) <= 2 and OSA.distance(w, latin) <= (1 if len(w) < 9 else 2)
        for w in LEGAL_WORDS
        if len(w) >= 6
    )


def _part_tag(latin: str, rigour_tag: str, person: bool, last: bool, org: bool) -> str:
    # "II" in a person's name is a generation ("John Smith III") only at its end; inside it
    # is more likely a misread Korean "Il" ("Mun II Pak").
    if is_roman_numeral(latin) and (not person or last):
        return NUM
    if rigour_tag in (LEGAL, NUM):
        return rigour_tag
    if org and _legal_word(latin):
        return LEGAL
    if latin in TITLES and person:
        return TITLE
    if latin in PARTICLES or rigour_tag == STOP:
        return STOP
    if person and (rigour_tag == PATRONYMIC or _PATRONYMIC.search(latin)):
        return PATRONYMIC
    return rigour_tag


_SURROGATES = re.compile("[\ud800-\udfff]")


def _scrub(text: str) -> str:
    """The text without lone surrogates: Python's ``json`` decodes ``"\\ud800"`` into a str
    no UTF-8 encoder (nor rigour) accepts; they carry no letter to match on."""
    if text.isascii():
        return text
    return _SURROGATES.sub("", text)


# Company forms written with a slash (Brazil's "S/A", sociedade anônima; "S/C"): one legal
# form, not two initials.
_SLASHED_FORM = re.compile(r"(?<![\w/])([Ss])/([AaCc])(?![\w/])")


def analyze(
    text: str,
    schema: Schema | str = Schema.UNKNOWN,
    *,
    kind: NameKind = NameKind.PRIMARY,
    query: bool = False,
    stats: TokenStats | None = None,
    lang: str | None = None,
    script: str | None = None,
) -> NameForm | None:
    """Analyse one name. Returns None when nothing matchable is left (e.g. only punctuation)."""
    stats = stats or default_stats()
    schema = Schema(schema)
    cleaned = fold_latin(clean_evasion(_scrub(text)))
    person = schema is Schema.PERSON
    if not person and "/" in cleaned:
        cleaned = _SLASHED_FORM.sub(r"\1\2", cleaned)
    tt = type_tag(schema)
    names = analyze_names(
        tt, [cleaned], infer_initials=query and person, consolidate=False, phonetics=False
    )
    if not names:
        return None
    rname = max(names, key=lambda n: len(n.parts))
    span_symbols: dict[int, set[str]] = {}
    for span in rname.spans:
        sym = span.symbol
        key = f"{sym.category.value}:{sym.id}"
        for p in span.parts:
            span_symbols.setdefault(p.index, set()).add(key)
    parts: list[Part] = []
    org = schema in (Schema.ORGANIZATION, Schema.COMPANY, Schema.UNKNOWN)
    last_index = rname.parts[-1].index if rname.parts else -1
    for rp in rname.parts:
        ascii_ok = rp.comparable.isascii() and not GREEK.search(rp.form)
        latin = rp.comparable if ascii_ok else latinize(rp.form)
        # Dense scripts latinise one part to several syllables ("習近平" -> "xi jin ping"):
        # keep them as one token, as Latin-script lists write the name ("Xi Jinping").
        latin = latin.replace("'", "").replace(" ", "").strip("-")
        if not latin:
            latin = latinize(rp.form)
        if not latin:
            continue
        # A party of unknown kind may be a person: its titles and patronymics are read too.
        tag = _part_tag(
            latin,
            _RIGOUR_TAGS.get(rp.tag, PLAIN),
            person or schema is Schema.UNKNOWN,
            rp.index == last_index,
            org,
        )
        symbols = frozenset(span_symbols.get(rp.index, ()))
        parts.append(
            Part(len(parts), rp.form, latin, tag, symbols, stats.weight(latin, tag, bool(symbols)))
        )
    if not parts:
        return None
    if len(parts) > 1:
        # Only a whole name of two or three Han or Hangul characters is a common name as such;
        # syllables written apart ("타옙 나일") are a transliterated foreign name.
        for part in parts:
            if part.dense and part.latin not in common_tokens():
                part.common = False
    return NameForm(text, tuple(parts), kind=kind, script=script, person=person, lang=lang)


@lru_cache(maxsize=20000)
def analyze_cached(text: str, schema: str, query: bool = True) -> NameForm | None:
    return analyze(text, schema, query=query)


_ALTERNATIVES = re.compile(r"(?<=[^\W\d_]{2})\s*/\s*(?=[^\W\d_]{2})")


def name_variants(text: str) -> list[str]:
    """The name, and its alternatives when a publisher packs several into one field with
    a slash ("Al-Qa'ida/Islamic Army"). Legal-form abbreviations with slashes ("A/S") stay."""
    parts = [p.strip() for p in _ALTERNATIVES.split(text) if p.strip()]
    if len(parts) < 2:
        return [text]
    return [text, *(p for p in parts if len(p) >= 3)]


def analyze_all(texts: Iterable[str], schema: Schema | str, **kw: object) -> list[NameForm]:
    out = []
    for text in texts:
        form = analyze(text, schema, **kw)  # type: ignore[arg-type]
        if form is not None:
            out.append(form)
    return out
