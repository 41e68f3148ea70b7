"""One-line builders for entities in tests."""

from __future__ import annotations

from embargo.model import (
    BirthDate,
    Entity,
    Identifier,
    IdType,
    Listing,
    Measure,
    Name,
    NameKind,
    Schema,
)
from embargo.model.measures import ofac_listing
from embargo.model.values import make_name, parse_birth_date


def entity(
    name: str,
    *aliases: str,
    schema: Schema = Schema.PERSON,
    id: str | None = None,
    source: str = "test_list",
    birth: str | None = None,
    countries: tuple[str, ...] = (),
    ids: tuple[tuple[IdType, str], ...] = (),
    listing: Listing | None = None,
    weak: tuple[str, ...] = (),
) -> Entity:
    names: list[Name] = []
    for text, kind in [
        (name, NameKind.PRIMARY),
        *((a, NameKind.ALIAS) for a in aliases),
        *((w, NameKind.WEAK) for w in weak),
    ]:
        made = make_name(text, kind)
        assert made is not None
        names.append(made)
    source_id = id or name.lower().replace(" ", "-")
    bd: list[BirthDate] = []
    if birth:
        parsed = parse_birth_date(birth)
        assert parsed is not None
        bd.append(parsed)
    return Entity(
        id=f"{source}-{source_id}",
        schema=schema,
        source=source,
        source_id=source_id,
        names=names,
        birth_dates=bd,
        nationalities=list(countries),
        identifiers=[Identifier(type=t, value=v) for t, v in ids],
        listings=[listing or ofac_listing(source, ["SDGT"], sdn=True)],
    )


def blocked(name: str, *aliases: str, **kw: object) -> Entity:
    return entity(name, *aliases, **kw)  # type: ignore[arg-type]


__all__ = ["Measure", "blocked", "entity"]
