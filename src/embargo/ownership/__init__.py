"""Ownership links and the 50% rule: parties blocked because blocked persons own or control them.

``graph`` is the pure computation; ``store`` keeps the links in the database, imports them
(CSV, FtM ``Ownership`` entities) and applies a rule to the active list versions.
"""

from embargo.ownership.graph import (
    EU_UK_CONTROL,
    LOOK_THROUGH_50,
    OFAC_50,
    RULES,
    Aggregate,
    Contribution,
    OwnershipAnalysis,
    OwnershipLink,
    Rule,
    Step,
    analyse,
    effective_ownership,
    get_rule,
)

__all__ = [
    "EU_UK_CONTROL",
    "LOOK_THROUGH_50",
    "OFAC_50",
    "RULES",
    "Aggregate",
    "Contribution",
    "OwnershipAnalysis",
    "OwnershipLink",
    "Rule",
    "Step",
    "analyse",
    "effective_ownership",
    "get_rule",
]
