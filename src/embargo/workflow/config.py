"""Review settings, read from ``EMBARGO_*`` environment variables.

| variable                   | default            | meaning                                  |
|----------------------------|--------------------|------------------------------------------|
| EMBARGO_FOUR_EYES          | on                 | a second, different reviewer must        |
|                            |                    | confirm some decisions (on/off, 1/0, ...)|
| EMBARGO_FOUR_EYES_SOURCES  | none               | comma-separated sources (``us_ofac_sdn,  |
|                            |                    | un_sc``): every decision on their alerts |
|                            |                    | needs a second reviewer                  |
| EMBARGO_FOUR_EYES_MEASURES | none               | comma-separated measures (``blocking``): |
|                            |                    | the same, by what the listing means      |
| EMBARGO_ALERT_THRESHOLD    | the algorithm's    | the score (0 to 1) at or above which a   |
|                            | (0.7)              | screening raises an alert                |
| EMBARGO_ALERT_LIMIT        | 10                 | matches considered per screening         |

With four-eyes on, a ``true_match`` always needs a second reviewer; so does any decision on an
alert whose listed entity comes from one of the high-risk sources or carries one of the
high-risk measures.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from embargo.errors import ConfigError
from embargo.model import Measure

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be on or off (true/false, 1/0, yes/no), got {raw!r}")


def _env_list(name: str) -> list[str]:
    raw = os.environ.get(name) or ""
    return [part.strip() for part in raw.split(",") if part.strip()]


def _measures(values: Iterable[str], where: str) -> frozenset[str]:
    known = {m.value for m in Measure}
    out = set()
    for value in values:
        v = value.strip().lower()
        if v not in known:
            raise ConfigError(
                f"{where}: unknown measure {value!r}; use one of {', '.join(sorted(known))}"
            )
        out.add(v)
    return frozenset(out)


# Matches kept per customer screening: as many as the screener's candidate places (30), so
# that every listed entity a screening finds at or above the threshold raises its alert.
# Fewer would drop the weakest silently, and a delisting could then promote one of them
# between two screenings of an unchanged customer.
DEFAULT_ALERT_LIMIT = 30


@dataclass(frozen=True)
class WorkflowConfig:
    """How screenings raise alerts and which decisions need a second reviewer."""

    four_eyes: bool = True
    four_eyes_sources: frozenset[str] = field(default_factory=frozenset)
    four_eyes_measures: frozenset[str] = field(default_factory=frozenset)
    threshold: float | None = None  # None: the matching algorithm's documented threshold
    limit: int = DEFAULT_ALERT_LIMIT

    def __post_init__(self) -> None:
        if self.threshold is not None and not 0.0 <= self.threshold <= 1.0:
            raise ConfigError(f"alert threshold must be between 0 and 1, got {self.threshold}")
        if self.limit < 1:
            raise ConfigError(f"alert limit must be at least 1, got {self.limit}")
        object.__setattr__(self, "four_eyes_sources", frozenset(self.four_eyes_sources))
        object.__setattr__(
            self, "four_eyes_measures", _measures(self.four_eyes_measures, "four_eyes_measures")
        )

    @classmethod
    def from_env(cls) -> WorkflowConfig:
        threshold_raw = (os.environ.get("EMBARGO_ALERT_THRESHOLD") or "").strip()
        threshold: float | None = None
        if threshold_raw:
            try:
                threshold = float(threshold_raw)
            except ValueError:
                raise ConfigError(
                    f"EMBARGO_ALERT_THRESHOLD must be a number between 0 and 1, "
                    f"got {threshold_raw!r}"
                ) from None
        limit_raw = (os.environ.get("EMBARGO_ALERT_LIMIT") or "").strip()
        limit = DEFAULT_ALERT_LIMIT
        if limit_raw:
            try:
                limit = int(limit_raw)
            except ValueError:
                raise ConfigError(
                    f"EMBARGO_ALERT_LIMIT must be a whole number, got {limit_raw!r}"
                ) from None
        return cls(
            four_eyes=_env_bool("EMBARGO_FOUR_EYES", True),
            four_eyes_sources=frozenset(_env_list("EMBARGO_FOUR_EYES_SOURCES")),
            four_eyes_measures=_measures(
                _env_list("EMBARGO_FOUR_EYES_MEASURES"), "EMBARGO_FOUR_EYES_MEASURES"
            ),
            threshold=threshold,
            limit=limit,
        )

    def needs_second_review(self, decision: str, source: str, measures: Iterable[str]) -> bool:
        """Whether a decision on an alert (listed entity from ``source`` with these measures)
        needs a second, different reviewer to confirm it."""
        if not self.four_eyes:
            return False
        if decision == "true_match":
            return True
        if source in self.four_eyes_sources:
            return True
        return any(m in self.four_eyes_measures for m in measures)

    def to_dict(self) -> dict[str, Any]:
        return {
            "four_eyes": self.four_eyes,
            "four_eyes_sources": sorted(self.four_eyes_sources),
            "four_eyes_measures": sorted(self.four_eyes_measures),
            "threshold": self.threshold,
            "limit": self.limit,
        }


__all__ = ["WorkflowConfig"]
