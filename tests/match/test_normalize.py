"""Evasion clean-up and transliteration, rule by rule."""

from __future__ import annotations

import pytest

from embargo.match.normalize import (
    clean_evasion,
    greek_skeleton,
    hangul_skeleton,
    korean_skeleton,
    latinize,
    loose_skeleton,
    skeleton,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Vla\u200bdimir Pu\u00adtin", "Vladimir Putin"),  # zero-width space, soft hyphen
        ("Ros\u200doboron\ufeffexport", "Rosoboronexport"),  # zero-width joiner, BOM
        ("Vl\u0430dimir \u0420utin", "Vladimir Putin"),  # Cyrillic а and Р inside Latin words
        ("R0S0B0R0NEXP0RT", "ROSOBORONEXPORT"),  # digits for letters
        ("$ergei", "sergei"),
        ("Brigade 44", "Brigade 44"),  # a real number stays a number
        ("Trust 2004-1", "Trust 2004-1"),
        ("Владимир Путин", "Владимир Путин"),  # a whole Cyrillic name is not a homoglyph attack
        ("ＡＣＭＥ", "ACME"),  # full-width forms
    ],
)
def test_clean_evasion(raw: str, clean: str) -> None:
    assert clean_evasion(raw).lower() == clean.lower()


@pytest.mark.parametrize(
    ("text", "latin"),
    [
        ("Путин", "putin"),  # Cyrillic
        ("Ἀλέξανδρος", "alexandros"),  # Greek
        ("Սարգսյան", "sargsyan"),  # Armenian
        ("ხელაძე", "kheladze"),  # Georgian
        ("習近平", "xi jin ping"),  # Chinese (pinyin)
        ("スズキ", "suzuki"),  # Japanese katakana
        ("김정은", "gimjeongeun"),  # Korean
        ("محمد", "mhmd"),  # Arabic: consonants
        ("נתניהו", "ntnyhw"),  # Hebrew
        ("ប៉ុល", "pol"),  # Khmer (own table; ICU has none)
        ("Erdoğan", "erdogan"),  # Turkish letters
        ("Əliyev", "aliyev"),  # Azeri schwa
        ("Nguyễn", "nguyen"),  # Vietnamese
        ("Müller", "muller"),  # diacritics
    ],
)
def test_latinize(text: str, latin: str) -> None:
    assert latinize(text) == latin


def test_skeletons() -> None:
    assert skeleton("muhammad") == skeleton("mohammed") == "mhmd"
    assert loose_skeleton("mhmd") == loose_skeleton("muhammad")
    assert loose_skeleton("zarari") == loose_skeleton("sarari")


@pytest.mark.parametrize(
    ("latin", "unvowelled"),
    [
        ("pavlovich", "פבלוביטש"),  # p and b side by side stay two letters
        ("mikhailovich", "מיחילוביטש"),  # Hebrew writes kh as ח, as it writes h
        ("haqqani", "הקני"),  # a doubled letter is written once
        ("muhammad", "محمد"),
    ],
)
def test_loose_skeleton_meets_unvowelled_spellings(latin: str, unvowelled: str) -> None:
    assert loose_skeleton(latin) == loose_skeleton(latinize(unvowelled))


def test_loose_skeleton_keeps_mohammed_and_ahmed_apart() -> None:
    assert loose_skeleton("mohammed") != loose_skeleton("ahmed")


@pytest.mark.parametrize(
    ("hangul", "latin"),
    [
        ("브라디밀", "vladimir"),  # ㅂ for v, ㄹ for l and r, ㅡ of a cluster not counted
        ("푸틴", "putin"),
        ("뭇흐니코바", "mushnikova"),  # sh as ㅅ흐, h dropped
        ("사잍셉", "zaitsev"),  # z as ㅅ, final ㅂ for v
        ("세르게이", "sergey"),
        ("라브로프", "lavrov"),  # f and v, p and b: one class each
        ("복다놉", "bogdanov"),
    ],
)
def test_hangul_and_latin_skeletons_meet(hangul: str, latin: str) -> None:
    assert hangul_skeleton(hangul) == korean_skeleton(latin)


@pytest.mark.parametrize(
    ("hangul", "latin"),
    [
        ("푸틴", "potanin"),  # the vowels count: Putin is not Potanin
        ("라브로프", "lavrentiev"),
    ],
)
def test_hangul_and_latin_skeletons_differ(hangul: str, latin: str) -> None:
    assert hangul_skeleton(hangul) != korean_skeleton(latin)


@pytest.mark.parametrize(
    ("greek", "latin"),
    [
        ("Χακκανί", "haqqani"),  # χ for h, a doubled letter once
        ("Τζαλαλουδδίν", "jalaluddin"),  # τζ for j, ου for u
        ("Αμπουσαχμάνοβ", "abushakhmanov"),  # μπ for b, σ for sh, χ for kh
        ("Ματιουσένκο", "matyushenko"),
        ("Ματιουσεγκο", "matyushenko"),  # γκ inside a word: ng
        ("Γκρεφ", "gref"),  # γκ starting a word: g
        ("Βλαντιμίρ", "vladimir"),  # ντ for d
    ],
)
def test_greek_skeleton_reads_greek_spellings_back(greek: str, latin: str) -> None:
    assert greek_skeleton(greek) == loose_skeleton(latin)
