"""The curated public API: what ``from embargo import *`` offers is deliberate."""

from __future__ import annotations

import embargo


def test_all_is_pinned() -> None:
    assert sorted(embargo.__all__) == sorted(
        [
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
    )


def test_every_name_resolves() -> None:
    for name in embargo.__all__:
        assert getattr(embargo, name) is not None


def test_errors_share_one_base() -> None:
    for name in (
        "ConfigError",
        "FetchError",
        "NotFoundError",
        "ParseError",
        "QueryError",
        "SourceError",
        "StoreError",
    ):
        assert issubclass(getattr(embargo, name), embargo.EmbargoError)
