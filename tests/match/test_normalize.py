"""Evasion clean-up and transliteration, rule by rule."""

from __future__ import annotations

import pytest

from embargo.match.normalize import clean_evasion, latinize, loose_skeleton, skeleton


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
