"""Name comparison: table-driven pairs that must and must not match, and how they matched."""

from __future__ import annotations

import pytest

from embargo.match.compare import (
    CONSONANTS,
    FUZZY,
    INITIAL,
    JOINED,
    LEGAL_FORM,
    NICKNAME,
    TRANSLITERATED,
    compare_names,
)
from embargo.match.names import analyze
from embargo.model import Schema


def score(a: str, b: str, schema: Schema = Schema.PERSON) -> float:
    qa, qb = analyze(a, schema, query=True), analyze(b, schema)
    assert qa is not None and qb is not None
    return compare_names(qa, qb).score


def hows(a: str, b: str, schema: Schema = Schema.PERSON) -> set[str]:
    qa, qb = analyze(a, schema, query=True), analyze(b, schema)
    assert qa is not None and qb is not None
    return {p.how for p in compare_names(qa, qb).parts}


MATCHING = [
    ("Vladimir Putin", "Vladimir Vladimirovich PUTIN", Schema.PERSON),  # missing patronymic
    ("PUTIN, Vladimir", "Vladimir PUTIN", Schema.PERSON),  # surname first
    ("Владимир Путин", "Vladimir PUTIN", Schema.PERSON),  # Cyrillic
    ("Vladimir Poutine", "Vladimir PUTIN", Schema.PERSON),  # French transliteration
    ("Rosoboronexport", "ROSOBORONEKSPORT OAO", Schema.COMPANY),  # transliteration, legal form
    ("Rosoboroneksport JSC", "ROSOBORONEKSPORT OAO", Schema.COMPANY),  # legal form as a type
    ("Usama bin Ladin", "Usama bin Muhammad bin Awad BIN LADIN", Schema.PERSON),
    ("Osama bin Laden", "Usama BIN LADIN", Schema.PERSON),  # phonetic spellings
    ("V. Putin", "Vladimir PUTIN", Schema.PERSON),  # initial
    ("Xi Jinping", "习近平", Schema.PERSON),  # Chinese
    ("SiemensAG", "Siemens AG", Schema.COMPANY),  # joined words
    ("Ismail Demir", "Ismail DEMIR", Schema.PERSON),
    ("Presidency of Defence Industries", "PRESIDENCY OF DEFENSE INDUSTRIES", Schema.ORGANIZATION),
    ("Ted Doe", "Theodore Doe", Schema.PERSON),  # nickname
    ("브라디밀 푸틴", "Vladimir PUTIN", Schema.PERSON),  # Hangul, by consonant classes
    ("세르게이 라브로프", "Sergey LAVROV", Schema.PERSON),
    ("Βλαντιμίρ Πούτιν", "Vladimir PUTIN", Schema.PERSON),  # Greek
    ("Τζαλαλουδδίν Χακκανί", "Jalaluddin HAQQANI", Schema.PERSON),
    ("אנדריי פבלוביטש", "Andrey PAVLOVICH", Schema.PERSON),  # Hebrew
]

NOT_MATCHING = [
    ("Vladimir Putin", "Vladimir Olegovich POTANIN", Schema.PERSON),
    ("SADDAM HUSSEIN AL-DULAIMI", "SADDAM HUSSEIN AL-TIKRITI", Schema.PERSON),  # conflicting family
    ("Usama bin Laden", "Shaikh Isa Bin Tarif Al Bin Ali", Schema.PERSON),
    ("Volkswagen AG", "Siemens AG", Schema.COMPANY),  # only the legal form in common
    ("Trading LLC", "Zarubezhneft Trading LLC", Schema.COMPANY),
    ("习近朋", "习近平", Schema.PERSON),  # one different Han character is another name
    ("Angelo Cruz", "Angela Merkel", Schema.PERSON),
    ("브라디밀 푸틴", "Vladimir Olegovich POTANIN", Schema.PERSON),  # Hangul: vowels count
    ("세르게이 라브로프", "Sergey LAVRENTIEV", Schema.PERSON),
    ("Βλαντιμίρ Πούτιν", "Vladimir POTANIN", Schema.PERSON),
    ("Jesus S/A", "Jesus ARREDONDO-SANCHEZ", Schema.COMPANY),  # S/A is a legal form
]


@pytest.mark.parametrize(("a", "b", "schema"), MATCHING)
def test_matching_pairs(a: str, b: str, schema: Schema) -> None:
    assert score(a, b, schema) >= 0.7, (a, b)


@pytest.mark.parametrize(("a", "b", "schema"), NOT_MATCHING)
def test_non_matching_pairs(a: str, b: str, schema: Schema) -> None:
    assert score(a, b, schema) < 0.6, (a, b)


@pytest.mark.parametrize(
    ("a", "b", "schema", "how"),
    [
        ("Vladimir Putin", "Владимир Путин", Schema.PERSON, TRANSLITERATED),
        ("Rosoboronexport", "ROSOBORONEKSPORT", Schema.COMPANY, TRANSLITERATED),  # x / ks
        ("Rosoboronexprot", "ROSOBORONEXPORT", Schema.COMPANY, FUZZY),  # a typo
        ("V Putin", "Vladimir Putin", Schema.PERSON, INITIAL),
        ("Acme OAO", "Acme JSC", Schema.COMPANY, LEGAL_FORM),
        ("Ted Doe", "Theodore Doe", Schema.PERSON, NICKNAME),
        ("Abdul Rahman Yasin", "Abdulrahman YASIN", Schema.PERSON, JOINED),
        ("브라디밀 푸틴", "Vladimir PUTIN", Schema.PERSON, CONSONANTS),
        ("Τζαλαλουδδίν Χακκανί", "Jalaluddin HAQQANI", Schema.PERSON, CONSONANTS),
    ],
)
def test_explains_how_parts_matched(a: str, b: str, schema: Schema, how: str) -> None:
    assert how in hows(a, b, schema)


def test_conflict_costs_more_than_a_missing_part() -> None:
    missing = score("Hamid Karzai", "Hamid Mohammad KARZAI")
    conflict = score("Hamid Karzai", "Hamid Mohammad RABBANI")
    assert missing > 0.7 > conflict


def test_word_order_costs_a_little() -> None:
    assert score("Hans Friedrich", "Friedrich Hans") < score("Hans Friedrich", "Hans Friedrich")
    assert score("Hans Friedrich", "Friedrich Hans") > 0.7


def test_acronym() -> None:
    assert score("PLA", "People's Liberation Army", Schema.ORGANIZATION) >= 0.7
