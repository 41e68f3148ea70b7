"""Name analysis rules: tags, weights, legal forms, titles, particles, patronymics."""

from __future__ import annotations

import pytest

from embargo.match.names import FAMILY, LEGAL, NUM, PATRONYMIC, PLAIN, STOP, TITLE, analyze
from embargo.model import NameKind, Schema


def tags(text: str, schema: Schema = Schema.PERSON) -> list[tuple[str, str]]:
    form = analyze(text, schema)
    assert form is not None
    return [(p.latin, p.tag) for p in form.parts]


@pytest.mark.parametrize(
    ("text", "schema", "expected"),
    [
        # Legal forms in many languages and scripts are recognised as a type.
        ("ROSOBORONEKSPORT OAO", Schema.COMPANY, [("rosoboroneksport", PLAIN), ("ao", LEGAL)]),
        ("ООО Ромашка", Schema.COMPANY, [("ooo", LEGAL), ("romashka", PLAIN)]),
        ("Siemens Aktiengesellschaft", Schema.COMPANY, [("siemens", PLAIN), ("ag", LEGAL)]),
        ("Acme Sp. z o.o.", Schema.COMPANY, [("acme", PLAIN), ("spzoo", LEGAL)]),
        ("Acme GmbH", Schema.COMPANY, [("acme", PLAIN), ("gmbh", LEGAL)]),
        ("Jesus S/A", Schema.COMPANY, [("jesus", PLAIN), ("sa", LEGAL)]),  # Brazil's S/A
        ("AC/DC Ltd", Schema.COMPANY, [("ac", PLAIN), ("dc", PLAIN), ("ltd", LEGAL)]),
        # Particles and titles weigh little; patronymics are recognised.
        (
            "Sheikh Isa bin Tarif",
            Schema.PERSON,
            [("sheikh", TITLE), ("isa", PLAIN), ("bin", STOP), ("tarif", PLAIN)],
        ),
        (
            "Ursula von der Leyen",
            Schema.PERSON,
            [("ursula", PLAIN), ("von", STOP), ("der", STOP), ("leyen", PLAIN)],
        ),
        (
            "Vladimir Vladimirovich Putin",
            Schema.PERSON,
            [("vladimir", PLAIN), ("vladimirovich", PATRONYMIC), ("putin", PLAIN)],
        ),
        (
            "Recep Tayyip Erdoğan",
            Schema.PERSON,
            [("recep", PLAIN), ("tayyip", PLAIN), ("erdogan", PLAIN)],
        ),
        # Honorifics rigour removes entirely.
        ("Mr. John Smith", Schema.PERSON, [("john", PLAIN), ("smith", PLAIN)]),
        # Numbers stay numbers.
        ("Snow Storm 2", Schema.VESSEL, [("snow", PLAIN), ("storm", PLAIN), ("2", NUM)]),
    ],
)
def test_part_tags(text: str, schema: Schema, expected: list[tuple[str, str]]) -> None:
    got = tags(text, schema)
    # rigour may tag a person's parts as given/family from its name tables; that is fine here.
    normal = [(latin, PLAIN if tag == FAMILY or tag == "given" else tag) for latin, tag in got]
    assert normal == expected


def test_rare_tokens_weigh_more_than_common_ones() -> None:
    form = analyze("Mohammed Rosoboronexport", Schema.PERSON)
    assert form is not None
    common, rare = form.parts
    assert rare.weight > common.weight


def test_legal_forms_and_particles_weigh_less() -> None:
    form = analyze("Zarubezhneft Trading OOO", Schema.COMPANY)
    assert form is not None
    weights = {p.latin: p.weight for p in form.parts}
    assert weights["ooo"] < weights["trading"] < weights["zarubezhneft"] + 0.01


def test_original_script_name_keeps_kind_and_latin_form() -> None:
    form = analyze("Владимир Путин", Schema.PERSON, kind=NameKind.ORIGINAL_SCRIPT)
    assert form is not None
    assert form.kind is NameKind.ORIGINAL_SCRIPT
    assert [p.latin for p in form.parts] == ["vladimir", "putin"]


def test_nothing_left_is_none() -> None:
    assert analyze("---", Schema.PERSON) is None
