"""The candidate index: a rebuild after a list update reuses the earlier index's name
analyses and gives the index a full build gives; a saved index loads only for its versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import embargo.match.index as index_module
from embargo.match.index import MatchIndex, name_keys
from embargo.model import Schema
from tests.builders import entity

BEFORE = [
    entity("Vladimir Vladimirovich PUTIN", "Владимир Путин", id="1", source="us_ofac_sdn"),
    entity("ROSOBORONEKSPORT OAO", schema=Schema.COMPANY, id="2", source="us_ofac_sdn"),
    entity("Ismail DEMIR", id="3", source="us_ofac_sdn", birth="1960"),
]
# The update: one entity gains an alias, one is delisted, one is new.
AFTER = [
    entity("Vladimir Vladimirovich PUTIN", "Владимир Путин", id="1", source="us_ofac_sdn"),
    entity(
        "ROSOBORONEKSPORT OAO",
        "ROSOBORONEXPORT JSC",
        schema=Schema.COMPANY,
        id="2",
        source="us_ofac_sdn",
    ),
    entity("Haluk GORGUN", id="4", source="us_ofac_sdn"),
]


def shape(index: MatchIndex) -> tuple[Any, ...]:
    forms = [
        (
            index.entities.ids[owner],
            form.text,
            form.kind,
            form.script,
            form.person,
            tuple((p.text, p.latin, p.tkey, p.skey, p.phon, p.tag) for p in form.parts),
        )
        for owner, form in zip(index.name_owner, index.name_forms, strict=True)
    ]
    postings = {k: v.tolist() for k, v in index.postings.items()}
    return forms, postings, index.key_weight


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names analysed, in order (the real analysis runs)."""
    seen: list[str] = []
    real = index_module.analyze

    def analyze(text: str, schema: Schema, **kw: Any) -> Any:
        seen.append(text)
        return real(text, schema, **kw)

    monkeypatch.setattr(index_module, "analyze", analyze)
    return seen


def test_rebuild_reuses_analyses_and_equals_a_full_build(counted: list[str]) -> None:
    previous = MatchIndex.build(BEFORE)
    counted.clear()
    rebuilt = MatchIndex.build(AFTER, previous=previous)
    analysed = [t.upper() for t in counted]
    assert shape(rebuilt) == shape(MatchIndex.build(AFTER))
    # Only the names the earlier lists did not have were analysed again.
    assert analysed and all("GORGUN" in t or "JSC" in t for t in analysed), analysed
    assert any("GORGUN" in t for t in analysed) and any("JSC" in t for t in analysed)
    # The delisted entity is gone, whatever the earlier index held.
    assert len(rebuilt) == 3 and not any("DEMIR" in f.text.upper() for f in rebuilt.name_forms)


def test_rebuild_does_not_reuse_under_other_token_statistics(counted: list[str]) -> None:
    from embargo.match.stats import default_stats

    previous = MatchIndex.build(BEFORE)
    counted.clear()
    MatchIndex.build(BEFORE, previous=previous, stats=default_stats())
    assert any("PUTIN" in t.upper() for t in counted)


def test_saved_index_loads_for_its_versions_only(tmp_path: Path) -> None:
    path = tmp_path / "index.pickle"
    MatchIndex.build(BEFORE, signature="v1").save(path)
    assert MatchIndex.load(path, "v2") is None
    loaded = MatchIndex.load(path, "v1")
    assert loaded is not None and shape(loaded) == shape(MatchIndex.build(BEFORE))
    anyversion = MatchIndex.load(path, None)
    assert anyversion is not None and anyversion.signature == "v1"
    assert len(anyversion.analysed) >= 4  # the analyses travel with it


@pytest.mark.parametrize("content", [b"", b"not a pickle", b"\x80\x05K\x01."])
def test_a_damaged_saved_index_is_ignored(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "index.pickle"
    path.write_bytes(content)
    assert MatchIndex.load(path, None) is None


def test_hangul_and_latin_meet_through_cross_script_keys_only() -> None:
    from embargo.match.names import analyze

    index = MatchIndex.build([*AFTER, entity("Sergey LAVROV", id="5", source="us_ofac_sdn")])
    latin = analyze("Sergey Lavrov", Schema.PERSON, query=True)
    hangul = analyze("세르게이 라브로프", Schema.PERSON, query=True)
    assert latin is not None and hangul is not None
    # A Latin query asks for Hangul-listed names only, a Hangul query for Latin ones.
    assert all(not k.startswith("kL") for k in name_keys(latin, query=True))
    assert any(k.startswith("kL") for k in name_keys(hangul, query=True))
    found = [index.entities.ids[c.entity] for c in index.candidates([hangul], limit=5)]
    assert found[:1] == ["us_ofac_sdn-5"]
