"""The entity model: what every source produces and every consumer reads."""

from embargo.model.entity import (
    Address,
    BirthDate,
    Entity,
    Identifier,
    IdType,
    Listing,
    Measure,
    Name,
    NameKind,
    Relation,
    Schema,
    entities_from_json,
    entity_from_json,
    entity_to_json,
)

__all__ = [
    "Address",
    "BirthDate",
    "Entity",
    "IdType",
    "Identifier",
    "Listing",
    "Measure",
    "Name",
    "NameKind",
    "Relation",
    "Schema",
    "entities_from_json",
    "entity_from_json",
    "entity_to_json",
]
