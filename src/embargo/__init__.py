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
from embargo.match.matcher import Explanation, Match
from embargo.match.query import Query, parse_query
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
from embargo.screening import Comparison, Screener
from embargo.settings import Settings
from embargo.store import ListVersion, Store

__version__ = "0.1.0"

__all__ = [
    "Address",
    "BirthDate",
    "Comparison",
    "ConfigError",
    "EmbargoError",
    "Entity",
    "Explanation",
    "FetchError",
    "IdType",
    "Identifier",
    "ListVersion",
    "Listing",
    "Match",
    "Measure",
    "Name",
    "NameKind",
    "NotFoundError",
    "ParseError",
    "Query",
    "QueryError",
    "Relation",
    "Schema",
    "Screener",
    "Settings",
    "SourceError",
    "Store",
    "StoreError",
    "__version__",
    "parse_query",
]
