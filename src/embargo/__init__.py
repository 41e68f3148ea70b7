"""Embargo: sanctions and export-control screening.

The public API is what ``__all__`` lists; everything else is internal and may change.
"""

from embargo.errors import (
    ConfigError,
    EmbargoError,
    FetchError,
    NotFoundError,
    ParseError,
    QueryError,
    SourceError,
    StoreError,
)
from embargo.model import (
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
)
from embargo.settings import Settings
from embargo.store import ListVersion, Store

__version__ = "0.1.0"

__all__ = [
    "Address",
    "BirthDate",
    "ConfigError",
    "EmbargoError",
    "Entity",
    "FetchError",
    "IdType",
    "Identifier",
    "ListVersion",
    "Listing",
    "Measure",
    "Name",
    "NameKind",
    "NotFoundError",
    "ParseError",
    "QueryError",
    "Relation",
    "Schema",
    "Settings",
    "SourceError",
    "Store",
    "StoreError",
    "__version__",
]
