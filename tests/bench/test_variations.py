"""Each name variation generator of the accuracy benchmark makes the kind of variation its
class promises, declines names it cannot vary, and is deterministic given its seed."""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable

import pytest

from bench import variations as v

SEEDS = range(25)

Check = Callable[[str, str], bool]


def outputs(gen: v.Generator, name: str) -> list[str]:
    out = []
    for seed in SEEDS:
        result = gen(name, random.Random(seed))
        assert result is not None, f"{gen.__name__} declined {name!r}"
        assert result != name
        out.append(result)
    return out


def words(text: str) -> list[str]:
    return text.replace(",", "").split()


def one_replacement(pairs: list[tuple[str, str]]) -> Check:
    """The result is the name with exactly one occurrence of ``a`` replaced by ``b``
    (case-insensitively, for one of the pairs)."""

    def check(name: str, result: str) -> bool:
        low = name.lower()
        for a, b in pairs:
            for m in re.finditer(re.escape(a), low):
                i, j = m.span()
                if (low[:i] + b + low[j:]) == result.lower():
                    return True
        return False

    return check


def strip_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def script_of(text: str) -> set[str]:
    return {unicodedata.name(c).split()[0] for c in text if c.isalpha()}


# (generator, name, property every variation of the name must have)
PROPERTIES: list[tuple[v.Generator, str, Check]] = [
    (v.transliteration, "Aleksandr", lambda n, r: r == "Alexandr"),
    (v.transliteration, "Khalil", lambda n, r: r == "Halil"),
    (
        v.transliteration,
        "Zhukov",
        lambda n, r: r in {"Jukov", "Zukov", "Zhukoff", "Zhoukov", "Zhukow"},
    ),
    (
        v.transliteration,
        "Limited Liability Company Yuri",
        lambda n, r: r.startswith("Limited Liability Company ") and r != n,
    ),
    (v.diacritics, "Sergei IVANOV", lambda n, r: strip_marks(r) == n and r != n),
    (
        v.name_order,
        "Vladimir Vladimirovich PUTIN",
        lambda n, r: sorted(words(r)) == sorted(words(n)) and r != n,
    ),
    (
        v.name_order,
        "Maria Del Rosario GARCIA DURAN",
        lambda n, r: (
            r
            in {
                "DURAN GARCIA Rosario Del Maria",
                "Del Rosario GARCIA DURAN Maria",
                "GARCIA DURAN, Maria Del Rosario",
            }
        ),
    ),
    (
        v.dropped_token,
        "Vladimir Vladimirovich PUTIN",
        lambda n, r: r == "Vladimir PUTIN",
    ),
    (
        v.added_token,
        "Ahmad HASSAN",
        lambda n, r: (
            words(r)[0] == "Ahmad"
            and words(r)[2] == "HASSAN"
            and words(r)[1] in v.COMMON_GIVEN_NAMES
        ),
    ),
    (
        v.initials,
        "Vladimir Vladimirovich PUTIN",
        lambda n, r: (
            r in {"V. Vladimirovich PUTIN", "V Vladimirovich PUTIN", "V. V. PUTIN", "V V PUTIN"}
        ),
    ),
    (
        v.titles,
        "Ahmad HASSAN",
        lambda n, r: r.endswith(" Ahmad HASSAN") and r[: -len(" Ahmad HASSAN")] in v.TITLES,
    ),
    (v.particles, "Ayman AL-ZAWAHIRI", lambda n, r: r == "Ayman ZAWAHIRI"),
    (v.particles, "Osama bin LADEN", lambda n, r: r == "Osama LADEN"),
    (
        v.particles,
        "Vladimir PUTIN",
        lambda n, r: (
            r
            in {
                "Vladimir AL-PUTIN",
                "Vladimir bin PUTIN",
                "Vladimir ibn PUTIN",
                "Vladimir von PUTIN",
                "Vladimir de PUTIN",
                "Vladimir van PUTIN",
            }
        ),
    ),
    (
        v.legal_form,
        "ROSOBORONEXPORT OAO",
        lambda n, r: (
            r == "ROSOBORONEXPORT"
            or (
                r.startswith("ROSOBORONEXPORT ")
                and r.split(" ", 1)[1] in {f.upper() for f in v.LEGAL_FORMS[1]}
            )
        ),
    ),
    (
        v.legal_form,
        "Acme Trading LLC",
        lambda n, r: (
            r
            in {
                "Acme Trading",
                "Acme Trading L.L.C.",
                "Acme Trading Limited Liability Company",
                "Acme Trading OOO",
            }
        ),
    ),
    (
        v.legal_form,
        "Siemens Gesellschaft mit beschränkter Haftung",
        lambda n, r: r in {"Siemens", "Siemens GmbH", "Siemens Gesellschaft mbH"},
    ),
    (v.typo, "Rosoboronexport", lambda n, r: _levenshtein(n.lower(), r.lower()) == 1),
    (v.transposition, "Hassan", lambda n, r: _adjacent_swap(n, r)),
    (
        v.ocr,
        "Mohammed Idris",
        one_replacement([("m", "rn"), ("d", "cl"), ("o", "0"), ("i", "l")]),
    ),
    (v.ocr, "Wolf", one_replacement([("w", "vv"), ("l", "1"), ("o", "0"), ("l", "i")])),
    (
        v.phonetic,
        "Philip Mokkar",
        one_replacement(
            [
                ("ph", "f"),
                ("f", "ph"),
                ("ck", "k"),
                ("i", "ee"),
                ("kk", "k"),
                ("ka", "ca"),
                ("ok", "okk"),
                ("ip", "ipp"),
                ("il", "ill"),
            ]
        ),
    ),
    (
        v.truncation,
        "Ayman Mohammed AL-ZAWAHIRI",
        lambda n, r: (
            n.startswith(r) and len(r) < len(n) and (r == "Ayman Mohammed" or len(r) >= len(n) - 2)
        ),
    ),
    (
        v.joined_split,
        "Abdul Rahman Rosoboronexport",
        lambda n, r: (
            r.replace(" ", "") == n.replace(" ", "") and abs(len(r.split()) - len(n.split())) == 1
        ),
    ),
    (
        v.homoglyphs,
        "ROSOBORONEXPORT",
        lambda n, r: "".join(_unhomoglyph(c) for c in r) == n and script_of(r) - {"LATIN"} != set(),
    ),
    (
        v.invisible,
        "Vladimir PUTIN",
        lambda n, r: "".join(c for c in r if c not in v.INVISIBLE) == n and len(r) > len(n),
    ),
    (
        v.digits,
        "Rosoboronexport",
        lambda n, r: re.search(r"[0-9@]", r) is not None and _unleet(r) == n.lower(),
    ),
    (v.cyrillic, "Vladimir Vladimirovich PUTIN", lambda n, r: r == "Владимир Владимирович Путин"),
    (v.cyrillic, "Yevgeniy PRIGOZHIN", lambda n, r: r == "Евгений Пригожин"),
    (v.greek, "Vladimir PUTIN", lambda n, r: r == "Βλαδιμιρ Πουτιν"),
    (v.arabic, "Osama bin LADEN", lambda n, r: script_of(r) == {"ARABIC"} and len(r.split()) == 3),
    (v.hebrew, "Moshe COHEN", lambda n, r: script_of(r) == {"HEBREW"} and r.split()[-1][-1] == "ן"),
    (v.armenian, "Vladimir PUTIN", lambda n, r: r == "Վլադիմիր Պուտին"),
    (v.georgian, "Vladimir PUTIN", lambda n, r: r == "ვლადიმირ ფუთინ"),
    (v.hangul, "Osama bin LADEN", lambda n, r: r == "오사마 빈 라덴"),
]


def _levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _adjacent_swap(a: str, b: str) -> bool:
    diff = [i for i, (x, y) in enumerate(zip(a.lower(), b.lower(), strict=True)) if x != y]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and sorted(a.lower()) == sorted(b.lower())


_BACK = {g: latin for latin, glyphs in v.HOMOGLYPHS.items() for g in glyphs}


def _unhomoglyph(c: str) -> str:
    return _BACK.get(c, c)


def _unleet(text: str) -> str:
    back = {digit: letter for letter, digit in v.LEET.items()}
    return "".join(back.get(c, c) for c in text.lower())


@pytest.mark.parametrize(
    ("gen", "name", "check"),
    PROPERTIES,
    ids=[f"{g.__name__}-{n}" for g, n, _ in PROPERTIES],
)
def test_generator_makes_its_kind_of_variation(gen: v.Generator, name: str, check: Check) -> None:
    for result in outputs(gen, name):
        assert check(name, result), f"{gen.__name__}({name!r}) -> {result!r}"


DECLINED: list[tuple[v.Generator, str]] = [
    (v.name_order, "Caesar"),
    (v.dropped_token, "Vladimir PUTIN"),
    (v.added_token, "Caesar"),
    (v.initials, "Caesar"),
    (v.legal_form, "Vladimir PUTIN"),
    (v.typo, "Kim Jong Un"),
    (v.truncation, "Kim Jong"),
    (v.joined_split, "Caesar"),
    (v.cyrillic, "Umar the Chechen"),
    (v.hangul, "Владимир Путин"),
]


@pytest.mark.parametrize(("gen", "name"), DECLINED, ids=[f"{g.__name__}-{n}" for g, n in DECLINED])
def test_generator_declines_what_it_cannot_vary(gen: v.Generator, name: str) -> None:
    assert gen(name, random.Random(0)) is None


@pytest.mark.parametrize("cls", v.CLASSES, ids=[c.name for c in v.CLASSES])
def test_classes_are_deterministic_and_documented(cls: v.VariationClass) -> None:
    name = "Mohammed Ibrahim AL-RASHID" if "Person" in cls.schemas else "Acme Trading LLC"
    first = cls.generate(name, random.Random("seed"))
    again = cls.generate(name, random.Random("seed"))
    assert first == again
    assert first is not None and first != name
    assert cls.group in v.GROUPS
    assert len(cls.description) > 20


def test_class_names_are_unique_and_every_group_has_classes() -> None:
    names = [c.name for c in v.CLASSES]
    assert len(names) == len(set(names))
    assert {c.group for c in v.CLASSES} == set(v.GROUPS)
    assert v.by_name("typo").generate is v.typo
