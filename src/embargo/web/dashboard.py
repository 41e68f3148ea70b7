"""The dashboard's charts, from the workflow's alerts and the store's list versions."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from embargo.store import ListVersion
from embargo.web.plots import Series, bar_chart, line_chart
from embargo.web.views import DECISION_WORDS
from embargo.workflow.model import Alert

DAYS = 30


@dataclass(frozen=True)
class Chart:
    key: str
    svg: str
    empty: str | None  # the empty-state message when there is nothing to draw


def _day(at: datetime) -> date:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).date()


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _label(d: date) -> str:
    return d.strftime("%m-%d")


def alerts_per_day(alerts: list[Alert], today: date) -> Chart:
    title = f"Alerts raised per day, by list (last {DAYS} days)"
    recent = [a for a in alerts if _day(a.created_at) > today - timedelta(days=DAYS)]
    if not recent:
        return Chart("alerts", bar_chart(title, [], [], x_label="", y_label=""), "No alerts yet.")
    days = _days(min(_day(a.created_at) for a in recent), today)
    counts: dict[str, Counter[date]] = defaultdict(Counter)
    for a in recent:
        counts[a.source][_day(a.created_at)] += 1
    series = [Series(src, [counts[src][d] for d in days]) for src in sorted(counts)]
    svg = bar_chart(
        title,
        [_label(d) for d in days],
        series,
        x_label="day (UTC)",
        y_label="alerts",
        stacked=True,
        integer=True,
    )
    return Chart("alerts", svg, None)


def decisions_by_outcome(alerts: list[Alert]) -> Chart:
    title = "Decisions by outcome"
    counts: Counter[str] = Counter()
    for a in alerts:
        if a.status == "closed" and a.decision:
            counts[DECISION_WORDS.get(a.decision, a.decision)] += 1
        elif a.status == "escalated":
            counts["escalated"] += 1
        elif a.status == "pending_second_review":
            counts["awaiting second review"] += 1
    if not counts:
        return Chart(
            "decisions", bar_chart(title, [], [], x_label="", y_label=""), "No decisions yet."
        )
    order = ["true match", "false positive", "escalated", "awaiting second review"]
    labels = [k for k in order if counts[k]] + sorted(k for k in counts if k not in order)
    svg = bar_chart(
        title,
        labels,
        [Series("alerts", [counts[k] for k in labels])],
        x_label="outcome",
        y_label="alerts",
        integer=True,
    )
    return Chart("decisions", svg, None)


def _decided(alerts: list[Alert]) -> list[Alert]:
    return [a for a in alerts if a.status == "closed" and a.decided_at is not None]


def review_time(alerts: list[Alert]) -> Chart:
    title = "Median review time, alert to final decision"
    hours: dict[date, list[float]] = defaultdict(list)
    for a in _decided(alerts):
        assert a.decided_at is not None
        spent = (a.decided_at - a.created_at).total_seconds() / 3600
        hours[_day(a.decided_at)].append(max(spent, 0.0))
    if not hours:
        return Chart(
            "review_time",
            bar_chart(title, [], [], x_label="", y_label=""),
            "No final decisions yet.",
        )
    days = sorted(hours)
    medians = [statistics.median(hours[d]) for d in days]
    # Reviews done within the hour read better in minutes than as fractions of an hour.
    unit, factor = ("minutes", 60.0) if max(medians) < 2 else ("hours", 1.0)
    svg = bar_chart(
        title,
        [_label(d) for d in days],
        [Series(f"median {unit}", [round(m * factor, 2) for m in medians])],
        x_label="day of decision (UTC)",
        y_label=unit,
    )
    return Chart("review_time", svg, None)


def false_positive_rate(alerts: list[Alert]) -> Chart:
    title = "False-positive rate of final decisions"
    decided: dict[date, list[bool]] = defaultdict(list)
    for a in _decided(alerts):
        assert a.decided_at is not None
        decided[_day(a.decided_at)].append(a.decision == "false_positive")
    if not decided:
        return Chart(
            "fp_rate",
            line_chart(title, [], [], x_label="", y_label=""),
            "No final decisions yet.",
        )
    days = sorted(decided)
    svg = line_chart(
        title,
        [_label(d) for d in days],
        [Series("false positives", [sum(decided[d]) / len(decided[d]) for d in days])],
        x_label="day of decision (UTC)",
        y_label="share false positive",
        percent=True,
    )
    return Chart("fp_rate", svg, None)


def list_sizes(versions: list[ListVersion]) -> Chart:
    """Entities per list at each day a version was loaded (the latest load of that day)."""
    title = "List sizes over their versions (entities)"
    loaded = [v for v in versions if v.status != "failed"]
    if not loaded:
        return Chart(
            "list_sizes", line_chart(title, [], [], x_label="", y_label=""), "No lists loaded."
        )
    days = sorted({_day(v.fetched_at) for v in loaded})
    series = []
    for source in sorted({v.source for v in loaded}):
        history = sorted((v for v in loaded if v.source == source), key=lambda v: v.fetched_at)
        values: list[float] = []
        for d in days:
            known = [v.entity_count for v in history if _day(v.fetched_at) <= d]
            values.append(float(known[-1]) if known else 0.0)
        series.append(Series(source, values))
    svg = line_chart(
        title,
        [d.isoformat() for d in days],
        series,
        x_label="day loaded (UTC)",
        y_label="entities",
    )
    return Chart("list_sizes", svg, None)


def charts(alerts: list[Alert], versions: list[ListVersion], today: date) -> list[Chart]:
    return [
        alerts_per_day(alerts, today),
        decisions_by_outcome(alerts),
        review_time(alerts),
        false_positive_rate(alerts),
        list_sizes(versions),
    ]


__all__ = ["Chart", "charts"]
