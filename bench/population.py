"""A non-listed population for measuring alert rates: people and companies from Faker.

Names come from Faker's locale providers (``pip install faker``, the ``bench`` extra), in the
locale's own script; for locales that do not write in Latin script half of the people are
romanised with ICU, as a Western bank would hold them (except where ICU cannot: see
``NOT_ROMANISED``). Birth dates are drawn here, not by
Faker, so that the population does not change with the day the benchmark runs.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import icu

LOCALES: tuple[str, ...] = (
    "en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "pt_BR", "pl_PL", "ru_RU", "uk_UA",
    "tr_TR", "ar_AA", "fa_IR", "he_IL", "el_GR", "hy_AM", "ka_GE", "zh_CN", "ja_JP", "ko_KR",
    "hi_IN", "th_TH", "vi_VN", "id_ID", "nl_NL", "sv_SE", "cs_CZ", "ro_RO", "hu_HU",
)  # fmt: skip

# Locales whose names Faker writes in a script other than Latin.
NON_LATIN = frozenset(
    str.split("ru_RU uk_UA ar_AA fa_IR he_IL el_GR hy_AM ka_GE zh_CN ja_JP ko_KR hi_IN th_TH")
)
# Kanji have no reading without a dictionary (ICU would read Japanese names as Chinese), and
# Arabic, Persian and Hebrew are written without most vowels ("مهدیه" would become "Mhdyh",
# which nobody writes): these stay in their own script.
NOT_ROMANISED = frozenset({"ja_JP", "ar_AA", "fa_IR", "he_IL"})

BIRTH_YEARS = (1935, 2006)


@dataclass(frozen=True)
class Party:
    name: str
    schema: str  # "Person" | "Company"
    locale: str
    birth_date: str | None = None  # ISO date, people only
    romanised: bool = False

    def query(self, birth_date: str | None = None) -> dict[str, object]:
        props: dict[str, list[str]] = {"name": [self.name]}
        if birth_date:
            props["birthDate"] = [birth_date]
        return {"schema": self.schema, "properties": props}


@cache
def _romaniser() -> icu.Transliterator:
    return icu.Transliterator.createInstance("Any-Latin; Latin-ASCII")


def romanise(name: str, locale: str) -> str:
    """A Latin-script form of a native-script name, title-cased per word."""
    if locale == "ko_KR" and " " not in name and len(name) >= 2:
        # Korean names are written without a space; the first syllable is the family name.
        name = f"{name[0]} {name[1:]}"
    latin = _romaniser().transliterate(name)
    latin = re.sub(r"[^A-Za-z\s'-]", "", latin)
    return " ".join(w[:1].upper() + w[1:].lower() for w in latin.split())


def _fakers(seed: int, locales: Sequence[str]) -> list[Any]:
    try:
        from faker import Faker
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SystemExit(
            "the alert-rate benchmark needs Faker: pip install 'faker>=40' "
            "(or the project's 'bench' extra)"
        ) from exc
    out: list[Any] = []
    for i, locale in enumerate(locales):
        fake = Faker(locale)
        fake.seed_instance(seed * 1000 + i)
        out.append(fake)
    return out


def _birth_date(rng: random.Random) -> str:
    year = rng.randint(*BIRTH_YEARS)
    month = rng.randint(1, 12)
    day = rng.randint(1, 28 if month == 2 else 30)
    return date(year, month, day).isoformat()


def people(count: int, seed: int, locales: Sequence[str] = LOCALES) -> list[Party]:
    """``count`` people, the locales taken in turn, each with a birth date."""
    rng = random.Random(f"{seed}:people")
    fakers = _fakers(seed, locales)
    out: list[Party] = []
    for i in range(count):
        k = i % len(locales)
        locale = locales[k]
        name = " ".join(str(fakers[k].name()).split())
        romanised = False
        if locale in NON_LATIN and locale not in NOT_ROMANISED and rng.random() < 0.5:
            latin = romanise(name, locale)
            if latin:
                name, romanised = latin, True
        out.append(Party(name, "Person", locale, _birth_date(rng), romanised))
    return out


def companies(count: int, seed: int, locales: Sequence[str] = LOCALES) -> list[Party]:
    """``count`` companies, the locales taken in turn."""
    fakers = _fakers(seed + 7919, locales)
    out: list[Party] = []
    for i in range(count):
        k = i % len(locales)
        name = " ".join(str(fakers[k].company()).split())
        out.append(Party(name, "Company", locales[k]))
    return out


def faker_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("faker")
    except Exception:
        return None
