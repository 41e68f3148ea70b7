"""Text normalisation for matching: the evasion tricks first, then scripts.

Invisible characters (zero-width spaces, soft hyphens, joiners) and homoglyphs (a Cyrillic
``а`` inside a Latin word, a ``0`` for an ``o``) are how a listed name is smuggled past a
screener, so they are undone before anything else. Then every name gets a Latin form:
rigour/ICU transliteration for Cyrillic, Greek, Armenian, Georgian, Arabic, Persian, Hebrew,
Chinese (pinyin), Japanese kana, Korean, Thai and Devanagari, and a small table for Khmer,
which ICU does not cover.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import icu
from rigour.text.translit import ascii_text

# Characters that render as nothing. U+00AD soft hyphen, U+034F combining grapheme joiner,
# U+061C Arabic letter mark, U+115F/U+1160 Hangul fillers, U+17B4/U+17B5 Khmer inherent
# vowels (invisible), U+180E Mongolian vowel separator, U+200B-U+200F zero-width and
# direction marks, U+202A-U+202E embeddings, U+2060-U+2064 word joiner and invisible
# operators, U+2066-U+2069 isolates, U+FEFF byte order mark.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff]"
)

# Cyrillic and Greek letters that look like Latin ones. Applied only inside a word that also
# holds Latin letters: a whole Cyrillic word is a real Cyrillic name and is transliterated.
_HOMOGLYPHS = str.maketrans(
    {
        "а": "a",
        "в": "b",
        "е": "e",
        "ё": "e",
        "к": "k",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "с": "c",
        "т": "t",
        "у": "y",
        "х": "x",
        "і": "i",
        "ї": "i",
        "ј": "j",
        "ѕ": "s",
        "ԁ": "d",
        "ԛ": "q",
        "ԝ": "w",
        "ɡ": "g",
        "А": "A",
        "В": "B",
        "Е": "E",
        "К": "K",
        "М": "M",
        "Н": "H",
        "О": "O",
        "Р": "P",
        "С": "C",
        "Т": "T",
        "У": "Y",
        "Х": "X",
        "І": "I",
        "Ј": "J",
        "Ѕ": "S",
        "α": "a",
        "β": "b",
        "ε": "e",
        "ι": "i",
        "κ": "k",
        "ν": "v",
        "ο": "o",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "χ": "x",
        "Α": "A",
        "Β": "B",
        "Ε": "E",
        "Ζ": "Z",
        "Η": "H",
        "Ι": "I",
        "Κ": "K",
        "Μ": "M",
        "Ν": "N",
        "Ο": "O",
        "Ρ": "P",
        "Τ": "T",
        "Υ": "Y",
        "Χ": "X",
    }
)
# Digits and symbols standing in for letters ("R0S0B0R0NEXP0RT", "$ergei", "@li").
_LEETSPEAK = str.maketrans(
    {
        "0": "o",
        "1": "l",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "8": "b",
        "@": "a",
        "$": "s",
        "|": "l",
        "!": "i",
    }
)
_WORD = re.compile(r"[^\s,;/()\[\]{}\"“”„«»]+")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
_OTHER_LETTER = re.compile(r"[\u0370-\u03ff\u0400-\u04ff]")
_DIGIT = re.compile(r"\d")


_CODE = re.compile(r"^[A-Za-z]{1,3}-?\d{2,}[A-Za-z]?$")  # model codes: A320, S-400, MiG29
_ORDINAL = re.compile(r"^\d+(st|nd|rd|th|e|er|eme|o|a|º|ª)$", re.I)
_LEET_DIGITS = frozenset("013457 8")


def _fix_word(match: re.Match[str]) -> str:
    word = match.group(0)
    latin = len(_LATIN_LETTER.findall(word))
    if latin and _OTHER_LETTER.search(word):
        word = word.translate(_HOMOGLYPHS)
    digits = len(_DIGIT.findall(word))
    # Letters and look-alike digits mixed in one word are a disguised word ("R0S0B0R0NEXP0RT",
    # "K0", "130n"); pure numbers ("2004-1"), ordinals ("5th") and model codes ("A320",
    # "S-400") are kept as they are.
    if (
        digits
        and latin
        and not _CODE.match(word)
        and not _ORDINAL.match(word)
        and all(c in _LEET_DIGITS for c in _DIGIT.findall(word))
    ) or (latin >= 2 and any(c in word for c in "@$|!")):
        word = word.translate(_LEETSPEAK)
    return word


_ARABIC_ARTICLE = re.compile("(?<![\u0600-\u06ff])\u0627\u0644(?=[\u0600-\u06ff]{3,})")


def clean_evasion(text: str) -> str:
    """Remove invisible characters and undo homoglyph and digit-for-letter substitutions."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = _WORD.sub(_fix_word, text)
    # Arabic writes the article joined to the word ("العبيدي"); Latin lists write "AL-UBAYDI".
    return _ARABIC_ARTICLE.sub("\u0627\u0644 ", text)


def fold_latin(text: str) -> str:
    """Latin letters without diacritics ("COMPANŸ" -> "COMPANY", "Hasán" -> "Hasan"); other
    scripts untouched, so that legal forms and names are recognised however they are accented."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        if "\u00c0" <= ch <= "\u024f" or "\u1e00" <= ch <= "\u1eff":
            base = unicodedata.normalize("NFKD", ch)
            stripped = "".join(c for c in base if not unicodedata.combining(c))
            out.append(stripped or ch)
        else:
            out.append(ch)
    return "".join(out)


_ICU = icu.Transliterator.createInstance("Any-Latin; Latin-ASCII")

# Khmer: ICU has no Khmer-Latin transform; a compact romanisation close to UNGEGN usage.
_KHMER_CONSONANTS = {
    "ក": "k",
    "ខ": "kh",
    "គ": "k",
    "ឃ": "kh",
    "ង": "ng",
    "ច": "ch",
    "ឆ": "chh",
    "ជ": "ch",
    "ឈ": "chh",
    "ញ": "nh",
    "ដ": "d",
    "ឋ": "th",
    "ឌ": "d",
    "ឍ": "th",
    "ណ": "n",
    "ត": "t",
    "ថ": "th",
    "ទ": "t",
    "ធ": "th",
    "ន": "n",
    "ប": "b",
    "ផ": "ph",
    "ព": "p",
    "ភ": "ph",
    "ម": "m",
    "យ": "y",
    "រ": "r",
    "ល": "l",
    "វ": "v",
    "ស": "s",
    "ហ": "h",
    "ឡ": "l",
    "អ": "",
}
_KHMER_VOWELS = {
    "ា": "a",
    "ិ": "e",
    "ី": "ei",
    "ឹ": "oe",
    "ឺ": "eu",
    "ុ": "o",
    "ូ": "ou",
    "ួ": "uo",
    "ើ": "aeu",
    "ឿ": "oea",
    "ៀ": "ie",
    "េ": "e",
    "ែ": "ae",
    "ៃ": "ai",
    "ោ": "ao",
    "ៅ": "au",
    "ំ": "m",
    "ះ": "h",
    "ៈ": "",
    "ឥ": "e",
    "ឦ": "ei",
    "ឧ": "o",
    "ឩ": "ou",
    "ឪ": "au",
    "ឫ": "rue",
    "ឬ": "rue",
    "ឭ": "lue",
    "ឮ": "lue",
    "ឯ": "ae",
    "ឰ": "ai",
    "ឱ": "ao",
    "ឳ": "au",
}
_KHMER_SIGNS = set("៉៊់៌៍៎៏័៑្ៗ៓។៕")


def _khmer_to_latin(text: str) -> str:
    out: list[str] = []
    chars = list(text)
    for i, ch in enumerate(chars):
        if ch in _KHMER_CONSONANTS:
            latin = _KHMER_CONSONANTS[ch]
            nxt = chars[i + 1] if i + 1 < len(chars) else ""
            if ch == "ប" and nxt == "៉":
                latin = "p"  # the musĕkâtônd sign turns b into p
            out.append(latin)
            following = chars[i + 2] if nxt in "៉៊" and i + 2 < len(chars) else nxt
            prev = chars[i - 1] if i > 0 else ""
            # An inherent vowel sounds between two consonants of a syllable.
            if (
                following in _KHMER_CONSONANTS
                and prev != "្"
                and i + 1 < len(chars)
                and not (i + 2 >= len(chars))
            ) or (following in _KHMER_CONSONANTS and prev not in _KHMER_CONSONANTS):
                out.append("o")
        elif ch in _KHMER_VOWELS:
            out.append(_KHMER_VOWELS[ch])
        elif ch in _KHMER_SIGNS:
            continue
        else:
            out.append(ch)
    return "".join(out)


_KHMER = re.compile("[\u1780-\u17ff]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
GREEK = re.compile("[\u0370-\u03ff\u1f00-\u1fff]")


# Greek spells sounds it has no letter for with pairs: μπ b, ντ d, γκ g, τζ j, τσ ts.
_GREEK_DIGRAPHS = (
    (re.compile("τζ"), "j"),
    (re.compile("τσ"), "ts"),
    (re.compile(r"\bμπ"), "b"),
    (re.compile("μπ"), "mb"),
    (re.compile(r"\bντ"), "d"),
    (re.compile("ντ"), "nd"),
    (re.compile(r"\bγκ"), "g"),
    (re.compile("γκ"), "ng"),
    (re.compile("γγ"), "ng"),
)


@lru_cache(maxsize=65536)
def latinize(text: str) -> str:
    """A lower-case ASCII form of a name part in any script."""
    if not _NON_ASCII.search(text):
        return text.lower()
    if GREEK.search(text):
        lowered = text.lower()
        for pattern, latin in _GREEK_DIGRAPHS:
            lowered = pattern.sub(latin, lowered)
        text = lowered
    if _KHMER.search(text):
        text = _khmer_to_latin(text)
    out = ascii_text(text)
    if "?" in out or _NON_ASCII.search(out):
        out = _ICU.transliterate(text)
    out = unicodedata.normalize("NFKD", out)
    out = "".join(c for c in out if c.isascii() and (c.isalnum() or c == " "))
    return out.lower().strip()


_VOWELS = re.compile(r"[aeiouy]+")
_DOUBLES = re.compile(r"(.)\1+")


@lru_cache(maxsize=65536)
def skeleton(latin: str) -> str:
    """Consonant skeleton of a Latin form ("muhammad" -> "mhmd"), for abjad-script names
    (Arabic, Persian, Hebrew write few vowels) and vowel-drift transliterations."""
    stripped = re.sub(r"[^a-z0-9]", "", latin.replace("kh", "h").replace("ph", "f"))
    if not stripped:
        return ""
    head, tail = stripped[0], stripped[1:]
    tail = _VOWELS.sub("", tail)
    return _DOUBLES.sub(r"\1", head + tail) if head not in "aeiouy" else _DOUBLES.sub(r"\1", tail)


_LOOSE = str.maketrans(
    {"z": "s", "q": "k", "c": "k", "g": "k", "v": "b", "f": "b", "p": "b", "j": "k", "x": "ks"}
)
_LOOSE_DIGRAPHS = (
    ("tsch", "s"),
    ("tch", "s"),
    ("sch", "s"),
    ("sh", "s"),
    ("ch", "s"),
    ("ts", "s"),
    ("tz", "s"),
    ("th", "t"),
    ("dh", "d"),
    ("kh", "h"),  # Hebrew writes kh and h alike (ח); Arabic h (ح) goes too
    ("gh", "k"),
    ("ph", "b"),
    ("ou", "u"),
)


@lru_cache(maxsize=65536)
def loose_skeleton(latin: str) -> str:
    """A consonant skeleton for matching an abjad script (Arabic, Persian, Hebrew) against
    Latin: those scripts write few vowels, use w/y (waw/vav, ya/yod) as vowel letters, and one
    letter for sounds Latin tells apart (b/p/v/f, k/q/g/j, s/z/sh/ch/ts), so all of these
    are merged, h and vowels dropped."""
    # Doubled letters are merged first: before h, w and vowels go, so that "Mohammed" (mmd)
    # and "Ahmed" (md) stay apart; and before letters are merged into classes, so that an
    # unvowelled "pb" (Hebrew פבלוביץ, "Pavlovich") keeps both its letters as the Latin does.
    base = _DOUBLES.sub(r"\1", re.sub(r"[^a-z]", "", latin))
    for a, b in _LOOSE_DIGRAPHS:
        base = base.replace(a, b)
    return re.sub("[aeiouyhw]", "", base.translate(_LOOSE))


# -- Greek against Latin -----------------------------------------------------------------
# Greek spells a foreign name with letters of its own for sounds Latin writes otherwise:
# h and kh as χ (or not at all), u as ου, b as μπ, d as ντ, g as γκ, j as τζ, sh as σ, and
# vowels merge (η ι υ ει οι are all i). A Greek spelling and a Latin one are compared by
# their loose consonant skeletons (``loose_skeleton``) after these letters are read back.
_GREEK_BACK = (
    ("ου", "u"),
    ("αι", "e"),
    ("ει", "i"),
    ("οι", "i"),
    ("μπ", "b"),
    ("ντ", "d"),
    ("γκ", "ng"),  # inside a word ("Ματιουσένκο"); a word-initial one is a g, read first
    ("γγ", "ng"),
    ("τζ", "j"),
    ("τσ", "ts"),
)
_GREEK_LETTERS = str.maketrans(
    {
        "α": "a",
        "β": "v",
        "γ": "g",
        "δ": "d",
        "ε": "e",
        "ζ": "z",
        "η": "i",
        "θ": "th",
        "ι": "i",
        "κ": "k",
        "λ": "l",
        "μ": "m",
        "ν": "n",
        "ξ": "ks",
        "ο": "o",
        "π": "p",
        "ρ": "r",
        "σ": "s",
        "ς": "s",
        "τ": "t",
        "υ": "i",
        "φ": "f",
        "χ": "h",
        "ψ": "ps",
        "ω": "o",
    }
)


@lru_cache(maxsize=16_384)
def greek_skeleton(text: str) -> str:
    """The loose consonant skeleton of a Greek spelling, read back as the Latin it stands
    for ("Χακκανι" -> "kn", as "Haqqani")."""
    low = "".join(
        c for c in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(c)
    )
    low = re.sub(r"\bγκ", "g", low)
    for a, b in _GREEK_BACK:
        low = low.replace(a, b)
    return loose_skeleton(low.translate(_GREEK_LETTERS))


# -- Hangul against Latin ----------------------------------------------------------------
# Korean writes a foreign name syllable by syllable: consonant clusters get an epenthetic
# vowel (ㅡ: "Vladimir" 블라디미르, beul-la-di-mi-reu), r and l are one letter (ㄹ), b and v
# one (ㅂ), p and f one (ㅍ), s/z/j/ch/sh nearly one (ㅅ ㅈ ㅊ), and h is weak. Vowels drift
# with each transcriber, so a Hangul spelling and a Latin one are compared by their
# consonants in these classes: the same skeleton from "블라디미르" and "Vladimir" (PLTML).
HANGUL = re.compile("[\uac00-\ud7a3]")
_HANGUL_INITIALS = (
    "K",  # ㄱ
    "K",  # ㄲ
    "N",  # ㄴ
    "T",  # ㄷ
    "T",  # ㄸ
    "L",  # ㄹ
    "M",  # ㅁ
    "P",  # ㅂ
    "P",  # ㅃ
    "S",  # ㅅ
    "S",  # ㅆ
    "",  # ㅇ: silent before a vowel
    "S",  # ㅈ
    "S",  # ㅉ
    "S",  # ㅊ
    "K",  # ㅋ
    "T",  # ㅌ
    "P",  # ㅍ
    "",  # ㅎ: weak, often for a Latin "kh" or "h" that is not written at all
)
_HANGUL_FINALS = (
    "",  # none
    "K",  # ㄱ
    "K",  # ㄲ
    "KS",  # ㄳ
    "N",  # ㄴ
    "NS",  # ㄵ
    "N",  # ㄶ
    "T",  # ㄷ
    "L",  # ㄹ
    "LK",  # ㄺ
    "LM",  # ㄻ
    "LP",  # ㄼ
    "LS",  # ㄽ
    "LT",  # ㄾ
    "LP",  # ㄿ
    "L",  # ㅀ
    "M",  # ㅁ
    "P",  # ㅂ
    "PS",  # ㅄ
    "S",  # ㅅ
    "S",  # ㅆ
    "N",  # ㅇ: ng
    "S",  # ㅈ
    "S",  # ㅊ
    "K",  # ㅋ
    "T",  # ㅌ
    "P",  # ㅍ
    "",  # ㅎ
)
_KOREAN_LATIN_DIGRAPHS = (
    ("tsch", "S"),
    ("tch", "S"),
    ("sch", "S"),
    ("zh", "S"),
    ("sh", "S"),
    ("ch", "S"),
    ("kh", ""),
    ("gh", "K"),
    ("th", "T"),
    ("dh", "T"),
    ("ph", "P"),
    ("ng", "N"),
    ("x", "KS"),
)
_KOREAN_LATIN = str.maketrans(
    {
        **dict.fromkeys("kgcq", "K"),
        **dict.fromkeys("dt", "T"),
        **dict.fromkeys("bvpf", "P"),
        **dict.fromkeys("szj", "S"),
        **dict.fromkeys("lr", "L"),
        "m": "M",
        "n": "N",
    }
)


_EU = 18  # ㅡ, the vowel Korean adds to split a consonant cluster ("Vladimir" 브라디미르)


@lru_cache(maxsize=16_384)
def hangul_skeleton(text: str) -> str:
    """The consonant classes of a Hangul spelling, each run of vowels as one V, doubles
    merged ("브라디밀" -> "PLVTVMVL"). An open syllable on ㅡ is a consonant of a cluster:
    its vowel is not counted."""
    out: list[str] = []
    for ch in text:
        code = ord(ch) - 0xAC00
        if not 0 <= code < 11172:
            continue
        vowel, final = (code // 28) % 21, code % 28
        out.append(_HANGUL_INITIALS[code // 588])
        if vowel != _EU or final:
            out.append("V")
        out.append(_HANGUL_FINALS[final])
    return _DOUBLES.sub(r"\1", "".join(out))


@lru_cache(maxsize=65_536)
def korean_skeleton(latin: str) -> str:
    """The consonant classes of a Latin spelling as Korean would write them, each run of
    vowels (y and w with them) as one V, h dropped, doubles merged ("vladimir" ->
    "PLVTVMVL")."""
    base = re.sub(r"[^a-z]", "", latin)
    for a, b in _KOREAN_LATIN_DIGRAPHS:
        base = base.replace(a, b)
    base = re.sub("[aeiouyw]", "V", base.translate(_KOREAN_LATIN))
    return _DOUBLES.sub(r"\1", re.sub("[a-z]", "", base))


# Spelling rules that differ between romanisation standards and languages, applied in order:
# one key for "Dzhavad"/"Javad", "Tschina"/"China", "Hidzhazi"/"Hijazi", "Yusuf"/"Iusuf".
_TRANSLIT_RULES = (
    ("dzh", "j"),
    ("dj", "j"),
    ("tsch", "C"),
    ("tch", "C"),
    ("sch", "sh"),
    ("ch", "C"),  # ч: ch, tch, tsch, cz, and the ts Greek writes for it
    ("cz", "C"),
    ("ts", "C"),
    ("tz", "C"),
    ("zh", "j"),
    ("kh", "h"),
    ("gh", "g"),
    ("ph", "f"),
    ("th", "t"),
    ("ck", "k"),
    ("q", "k"),
    ("x", "ks"),
    ("w", "v"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("y", "i"),
    ("c", "k"),
)


@lru_cache(maxsize=65536)
def translit_key(latin: str) -> str:
    """A form that is the same for one name in different romanisations."""
    key = latin
    for a, b in _TRANSLIT_RULES:
        key = key.replace(a, b)
    key = key.replace("h", "") if len(key) > 3 else key
    return _DOUBLES.sub(r"\1", key).lower()


_OCR_RULES = (
    ("rn", "m"),
    ("vv", "w"),
    ("cl", "d"),
    ("ii", "u"),
    ("0", "o"),
    ("1", "l"),
    ("5", "s"),
)


@lru_cache(maxsize=65536)
def ocr_key(latin: str) -> str:
    """A form that is the same for a name and its common optical-character-recognition
    misreadings (rn/m, vv/w, cl/d, 0/o, 1/l)."""
    key = latin
    for a, b in _OCR_RULES:
        key = key.replace(a, b)
    return key.replace("l", "i")
