"""Property-based fuzzing of name analysis and of the screening facade.

``analyze`` takes any text — every script, control characters, lone surrogates (Python's
``json`` decodes ``"\\ud800"`` into one), combining marks, very long strings — and returns a
``NameForm`` or None, never raises. ``Screener.screen``, ``compare`` and ``screen_text`` take
any query-like value and return a result or raise ``QueryError`` (the documented error for
a bad query), never anything else.
"""

from __future__ import annotations

import math
import random
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embargo.errors import QueryError
from embargo.match.names import NameForm, analyze
from embargo.match.query import KNOWN_PROPS, MAX_NAME_LENGTH, MAX_VALUES
from embargo.model import Schema
from embargo.screening import Comparison, Screener
from embargo.settings import Settings
from embargo.update import discover, parse_input

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sources"

FUZZ = settings(
    derandomize=True,  # the same examples on every run: a CI failure reproduces locally
    deadline=2000,  # milliseconds per example; the slowest real example takes a few
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

# -- text ---------------------------------------------------------------------------------

# Every code point, lone surrogates included (hypothesis leaves them out by default).
ANY_CHAR = st.characters(exclude_categories=())
COMBINING = st.characters(min_codepoint=0x300, max_codepoint=0x36F)
CONTROL = st.sampled_from(
    [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]]
    + ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202e", "\u2066"]
    + ["\u2069", "\ufeff", "\ufffe", "\uffff", "\u00ad", "\u034f", "\u180e"]
)
# Letters of the scripts lists are written in, so that names with real words come out.
SCRIPTS = st.sampled_from(
    [
        (0x41, 0x5A),
        (0x61, 0x7A),
        (0xC0, 0x24F),  # Latin with diacritics
        (0x370, 0x3FF),  # Greek
        (0x400, 0x4FF),  # Cyrillic
        (0x530, 0x58F),  # Armenian
        (0x590, 0x5FF),  # Hebrew
        (0x600, 0x6FF),  # Arabic
        (0x900, 0x97F),  # Devanagari
        (0xE00, 0xE7F),  # Thai
        (0x10A0, 0x10FF),  # Georgian
        (0x3040, 0x30FF),  # Kana
        (0x4E00, 0x9FFF),  # Han
        (0xAC00, 0xD7AF),  # Hangul
        (0x1D400, 0x1D7FF),  # mathematical alphanumerics (homoglyph evasion)
        (0xFF01, 0xFF5E),  # full-width forms
    ]
).flatmap(lambda r: st.characters(min_codepoint=r[0], max_codepoint=r[1]))
NAME_CHAR = st.one_of(ANY_CHAR, COMBINING, CONTROL, SCRIPTS, st.sampled_from(" -.,'/&()"))
WORDS = [
    "Vladimir",
    "PUTIN",
    "al-Qaida",
    "bin",
    "OOO",
    "Limited",
    "LLC",
    "Mohammed",
    "Ivanovich",
    "Sheikh",
    "III",
    "von",
    "&",
    "Bank",
    "Rosoboronexport",
]
NAMES = st.one_of(
    st.text(NAME_CHAR, max_size=60),
    st.lists(st.one_of(st.sampled_from(WORDS), st.text(NAME_CHAR, max_size=12)), max_size=8).map(
        " ".join
    ),
    st.tuples(st.sampled_from(WORDS), st.text(COMBINING, min_size=1, max_size=40)).map("".join),
)


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Load what name analysis loads on first use (several seconds) before any deadline."""
    for schema in Schema:
        analyze("Vladimir Putin", schema, query=True)
        analyze("ООО Рособоронэкспорт", schema)


def check_form(form: NameForm | None, text: str) -> None:
    if form is None:
        return
    assert isinstance(form, NameForm)
    assert form.text == text
    assert form.parts, "a NameForm without parts"
    for part in form.parts:
        assert part.latin, part
        assert math.isfinite(part.weight) and part.weight >= 0, part
        part.latin.encode("utf-8")  # storable and comparable as text
    assert math.isfinite(form.weight)


@settings(FUZZ, max_examples=1500)
@given(text=NAMES, schema=st.sampled_from(list(Schema)), query=st.booleans())
def test_analyze_any_text(text: str, schema: Schema, query: bool) -> None:
    form = analyze(text, schema, query=query)
    check_form(form, text)
    again = analyze(text, schema, query=query)
    assert (again is None) == (form is None)
    if form is not None and again is not None:
        assert [p.latin for p in again.parts] == [p.latin for p in form.parts]


LONG = {
    "latin words": " ".join(["Mohammed", "bin", "Salman"] * 3000),
    "one word": "a" * 100_000,
    "combining marks": "a" + "\u0301" * 50_000,
    "han": "習近平" * 20_000,
    "arabic": "محمد بن سلمان " * 5000,
    "controls": "\x00\x01\x1f\x7f" * 20_000,
    "zero-width": "A\u200b" * 30_000,
    "lone surrogates": "\ud800Ivan\udfff" * 5000,
    "dashes": "- " * 40_000 + "x",
    "digits": "1234567890" * 10_000,
}


@pytest.mark.parametrize("kind", sorted(LONG))
def test_analyze_long_text(kind: str) -> None:
    """Long strings take time in proportion to their length: no quadratic blow-up."""
    text = LONG[kind]
    for schema in (Schema.PERSON, Schema.COMPANY, Schema.UNKNOWN):
        t = time.perf_counter()
        form = analyze(text, schema, query=True)
        elapsed = time.perf_counter() - t
        check_form(form, text)
        assert elapsed < 5.0, f"{kind} ({len(text):,} characters) took {elapsed:.1f} s"


# -- queries ------------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([5000, -400, 63]).map(lambda n: 10**n if n > 0 else -(10**-n)),
    st.floats(allow_nan=True, allow_infinity=True),
    NAMES,
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
SCHEMA_VALUES = st.one_of(
    st.sampled_from(
        ["Person", "Company", "Organization", "Vessel", "Aircraft", "LegalEntity", "Thing"]
    ),
    st.sampled_from(["person", " PERSON ", "", "Sanction", "Address", "Ownership"]),
    JSON,
)
VALUE_LISTS = st.one_of(
    st.lists(st.one_of(NAMES, SCALARS), max_size=3),
    st.just(["x" * (MAX_NAME_LENGTH + 1)]),
    JSON,
)
PROPERTIES = st.dictionaries(
    st.one_of(st.sampled_from(sorted(KNOWN_PROPS)), st.text(max_size=10)), VALUE_LISTS, max_size=6
)
QUERIES = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {"properties": st.one_of(PROPERTIES, JSON)}, optional={"schema": SCHEMA_VALUES}
    ),
    st.fixed_dictionaries(
        {
            "schema": SCHEMA_VALUES,
            "properties": st.fixed_dictionaries(
                {"name": st.lists(NAMES, min_size=1, max_size=3)},
                optional={
                    "birthDate": VALUE_LISTS,
                    "nationality": VALUE_LISTS,
                    "country": VALUE_LISTS,
                    "idNumber": VALUE_LISTS,
                    "gender": VALUE_LISTS,
                    "firstName": VALUE_LISTS,
                    "lastName": VALUE_LISTS,
                },
            ),
        }
    ),
)
THRESHOLDS = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))


@pytest.fixture(scope="module")
def screener() -> Screener:
    """A screener over the entities of three fixture lists (small, quick to build)."""
    entities = []
    for folder in ("ofac_xml", "eu_fsf", "un_sc"):
        for inp in discover(FIXTURES / folder)[0]:
            entities += parse_input(inp, Settings())[0]
    return Screener.from_entities(entities)


def _screen(screener: Screener, query: Any, **kwargs: Any) -> None:
    try:
        matches = screener.screen(query, **kwargs)
    except QueryError as exc:
        assert str(exc)
        return
    assert isinstance(matches, list)
    scores = [m.score for m in matches]
    assert all(math.isfinite(s) and 0.0 <= s <= 1.0 for s in scores), scores
    assert scores == sorted(scores, reverse=True)
    for m in matches:
        m.explanation.to_dict()


@settings(FUZZ, max_examples=800)
@given(
    query=QUERIES,
    limit=st.integers(-3, 40),
    threshold=THRESHOLDS,
    sources=st.one_of(st.none(), st.lists(st.text(max_size=12), max_size=3)),
)
def test_screen_any_query(
    screener: Screener, query: Any, limit: int, threshold: float | None, sources: Any
) -> None:
    _screen(screener, query, limit=limit, threshold=threshold, sources=sources)


@settings(FUZZ, max_examples=400)
@given(a=QUERIES, b=QUERIES, threshold=THRESHOLDS)
def test_compare_any_queries(screener: Screener, a: Any, b: Any, threshold: float | None) -> None:
    try:
        result = screener.compare(a, b, threshold=threshold)
    except QueryError as exc:
        assert str(exc)
        return
    assert isinstance(result, Comparison)
    assert math.isfinite(result.score) and 0.0 <= result.score <= 1.0
    result.to_dict()


TEXTS = st.one_of(
    st.text(NAME_CHAR, max_size=300),
    st.lists(st.one_of(st.sampled_from(WORDS), st.text(NAME_CHAR, max_size=10)), max_size=40).map(
        " ".join
    ),
)


@settings(FUZZ, max_examples=300)
@given(text=TEXTS, threshold=st.floats(0, 1))
def test_screen_text_any_text(screener: Screener, text: str, threshold: float) -> None:
    try:
        mentions = screener.screen_text(text, threshold=threshold)
    except QueryError as exc:
        assert str(exc)
        return
    for m in mentions:
        assert 0 <= m.start < m.end <= len(text)
        assert text[m.start : m.end] == m.text
        m.to_dict()


@pytest.mark.parametrize(
    "query",
    [
        {"schema": "Person", "properties": {"name": ["\ud800Vladimir Putin\udfff"]}},
        {"schema": "Person", "properties": {"name": ["Putin"], "birthDate": [10**5000]}},
        {"schema": "Person", "properties": {"name": [10**5000]}},
        {"schema": "Person", "properties": {"name": ["a" + "\u0301" * 400]}},
        {"schema": "Company", "properties": {"name": ["\x00\x01\x02"]}},
        {"properties": {"name": [["nested"]]}},
        {"properties": {"name": ["x"] * (MAX_VALUES + 1)}},
        {"properties": {"name": ["x" * (MAX_NAME_LENGTH + 1)]}},
        {"schema": ["Person"], "properties": {"name": ["x"]}},
    ],
    ids=[
        "surrogates",
        "huge-int-date",
        "huge-int-name",
        "combining",
        "controls",
        "nested",
        "too-many-values",
        "too-long",
        "list-schema",
    ],
)
def test_odd_queries(screener: Screener, query: dict[str, Any]) -> None:
    """Found by the fuzzing above (surrogates crashed name analysis, a huge integer crashed
    query validation); each gives a result or a QueryError."""
    _screen(screener, query)


def test_screen_text_long(screener: Screener) -> None:
    """A long text is screened or refused with a QueryError (its length limit)."""
    text = "Payment to Vladimir Putin and OOO Rosoboronexport for goods. " * 200
    t = time.perf_counter()
    mentions = screener.screen_text(text)
    assert time.perf_counter() - t < 30
    assert any("Putin" in m.text for m in mentions)
    with pytest.raises(QueryError, match="over the limit"):
        screener.screen_text("x" * 1_000_001)


# -- bulk run: 10,000 inputs --------------------------------------------------------------

BULK_NAMES = 10_000
_POOLS = [
    "".join(chr(c) for c in range(0x20, 0x7F)),
    "".join(chr(c) for c in range(0xC0, 0x250)),
    "".join(chr(c) for c in range(0x400, 0x500)),
    "".join(chr(c) for c in range(0x600, 0x700)),
    "".join(chr(c) for c in range(0x4E00, 0x4F00)),
    "".join(chr(c) for c in range(0xAC00, 0xAD00)),
    "".join(chr(c) for c in range(0x300, 0x370)),  # combining marks
    "".join(chr(c) for c in [*range(0x20), *range(0x7F, 0xA0), 0x200B, 0x202E, 0xFEFF, 0xD800]),
    "".join(chr(c) for c in range(0x1D400, 0x1D500)),  # mathematical letters
    " -.,'/&()",
]


def _bulk_name(rng: random.Random) -> str:
    """A name of listed words and random letters from a few scripts, controls and marks."""
    parts = []
    for _ in range(rng.randint(1, 6)):
        if rng.random() < 0.4:
            parts.append(rng.choice(WORDS))
        else:
            pool = rng.choice(_POOLS)
            parts.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 12))))
    name = rng.choice([" ", "", "-", "  "]).join(parts)
    if rng.random() < 0.01:
        name *= rng.randint(50, 500)  # long
    return name


def test_bulk_names(screener: Screener) -> None:
    """10,000 generated names through name analysis (normalisation and latinisation of
    every part, as a listed name or as a query) and ``Screener.compare`` against another:
    every one ends in a result (or a QueryError for a query without a usable name), none
    takes more than a few seconds, and memory does not keep growing."""
    from tests.hardening.fuzzkit import rss_mb

    rng = random.Random(20240601)
    schemas = list(Schema)
    outcomes: dict[str, int] = {}
    slowest = (0.0, "")
    rss_start = rss_mb()
    t0 = time.perf_counter()
    for i in range(BULK_NAMES):
        text = _bulk_name(rng)
        other = _bulk_name(rng) if rng.random() < 0.5 else text.upper()
        schema = rng.choice(schemas)
        t = time.perf_counter()
        check_form(analyze(text, schema, query=rng.random() < 0.5), text)
        a = {"schema": schema.value, "properties": {"name": [text]}}
        b = {"schema": schema.value, "properties": {"name": [other]}}
        try:
            result = screener.compare(a, b)
        except QueryError as exc:
            assert str(exc)
            outcome = "QueryError"
        else:
            assert math.isfinite(result.score) and 0.0 <= result.score <= 1.0
            outcome = "match" if result.match else "no match"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        elapsed = time.perf_counter() - t
        if elapsed > slowest[0]:
            slowest = (elapsed, f"#{i} ({len(text):,} characters)")
    grown = rss_mb() - rss_start
    done = sum(outcomes.values())
    print(
        f"names: {done:,} inputs in {time.perf_counter() - t0:.1f} s, outcomes {outcomes}, "
        f"slowest {slowest[0]:.2f} s ({slowest[1]}), RSS +{grown:.0f} MB"
    )
    assert done == BULK_NAMES
    assert outcomes.get("no match", 0) > 0 and outcomes.get("match", 0) > 0, outcomes
    assert slowest[0] < 15.0, slowest
    assert grown < 400, f"RSS grew by {grown:.0f} MB"


def test_compare_with_lone_surrogates(screener: Screener) -> None:
    """Found by the bulk run: a lone surrogate in the second name crashed ``compare`` (the
    script lookup could not encode it)."""
    a = {"schema": "Person", "properties": {"name": ["Vladimir Putin"]}}
    b = {"schema": "Person", "properties": {"name": ["Vladimir \ud800Путин\udfff"]}}
    assert 0.0 <= screener.compare(a, b).score <= 1.0
    assert 0.0 <= screener.compare(b, a).score <= 1.0
