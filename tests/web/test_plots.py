"""The SVG chart helper: well-formed SVG, labelled axes, one mark per value, tooltips, and
a readable message instead of a chart when there is nothing to draw."""

from __future__ import annotations

import pytest
from lxml import etree

from embargo.web.plots import Series, bar_chart, line_chart, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> etree._Element:
    root = etree.fromstring(svg.encode())
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    return root


def texts(root: etree._Element, cls: str) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text") if cls in (t.get("class") or "")]


def test_bar_chart_has_axes_labels_and_one_bar_per_value() -> None:
    svg = bar_chart(
        "Alerts per day",
        ["11-01", "11-02", "11-03"],
        [Series("us_ofac_sdn", [3, 0, 7]), Series("eu_fsf", [1, 2, 0])],
        x_label="day",
        y_label="alerts",
    )
    root = parse(svg)
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert len(bars) == 6
    tooltips = [b.find(f"{SVG}title").text for b in bars]
    assert "us_ofac_sdn, 11-03: 7" in tooltips and "eu_fsf, 11-02: 2" in tooltips
    assert texts(root, "axis-label x") == ["day"]
    assert texts(root, "axis-label y") == ["alerts"]
    assert texts(root, "chart-title") == ["Alerts per day"]
    assert texts(root, "tick x") == ["11-01", "11-02", "11-03"]
    ticks = [float(t) for t in texts(root, "tick y")]
    assert ticks[0] == 0 and ticks[-1] >= 7
    assert root.find(f"{SVG}title").text == "Alerts per day"
    # Two series: a legend names both.
    legend = [t.text for g in root.iter(f"{SVG}g") for t in g.iter(f"{SVG}text")]
    assert legend == ["us_ofac_sdn", "eu_fsf"]
    # The tallest bar reaches the plot's top tick; a zero is drawn flat.
    heights = {b.find(f"{SVG}title").text: float(b.get("height")) for b in bars}
    assert heights["us_ofac_sdn, 11-02: 0"] == 0
    assert heights["us_ofac_sdn, 11-03: 7"] > heights["us_ofac_sdn, 11-01: 3"] > 0


def test_stacked_bars_sit_on_each_other() -> None:
    root = parse(
        bar_chart(
            "Stacked",
            ["a"],
            [Series("x", [2]), Series("y", [3])],
            x_label="k",
            y_label="n",
            stacked=True,
        )
    )
    x, y = (r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar")
    # The second segment ends where the first begins.
    assert float(y.get("y")) + float(y.get("height")) == pytest.approx(float(x.get("y")), abs=0.2)


def test_line_chart_points_and_percent_ticks() -> None:
    root = parse(
        line_chart(
            "False-positive rate",
            ["11-01", "11-02"],
            [Series("rate", [0.25, 0.5])],
            x_label="day",
            y_label="share",
            percent=True,
        )
    )
    points = list(root.iter(f"{SVG}circle"))
    assert len(points) == 2
    assert [p.find(f"{SVG}title").text for p in points] == ["11-01: 25%", "11-02: 50%"]
    assert len(list(root.iter(f"{SVG}polyline"))) == 1
    assert all(t.endswith("%") for t in texts(root, "tick y"))


def test_empty_data_gives_a_message_not_a_broken_chart() -> None:
    for svg in (
        bar_chart("Nothing", [], [], x_label="x", y_label="y"),
        line_chart("Nothing", [], [], x_label="x", y_label="y", empty="No decisions yet"),
    ):
        root = parse(svg)
        assert not [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
        assert texts(root, "chart-empty") in (["No data yet"], ["No decisions yet"])


def test_text_is_escaped() -> None:
    root = parse(bar_chart("<script>", ["a&b"], [Series("<s>", [1])], x_label="<x>", y_label="y"))
    assert texts(root, "chart-title") == ["<script>"]
    assert not list(root.iter("script")) and not list(root.iter(f"{SVG}script"))


def test_mismatched_series_is_an_error() -> None:
    with pytest.raises(ValueError, match="2 values for 3 labels"):
        bar_chart("x", ["a", "b", "c"], [Series("s", [1, 2])], x_label="x", y_label="y")


@pytest.mark.parametrize(
    ("top", "expected_last"), [(7, 8), (1, 1), (0.3, 0.3), (1234, 1250), (0, 1)]
)
def test_nice_ticks_cover_the_data(top: float, expected_last: float) -> None:
    ticks = nice_ticks(top)
    assert ticks[0] == 0
    assert ticks[-1] == pytest.approx(expected_last)
    assert ticks == sorted(ticks)


def test_counts_get_whole_number_ticks() -> None:
    assert nice_ticks(1, integer=True) == [0, 1]
    assert nice_ticks(3, integer=True) == [0, 1, 2, 3]
    root = parse(bar_chart("n", ["a"], [Series("s", [1])], x_label="x", y_label="y", integer=True))
    assert texts(root, "tick y") == ["0", "1"]


def test_review_time_reads_in_minutes_when_reviews_are_quick() -> None:
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from embargo.web.dashboard import review_time
    from embargo.workflow.model import Alert

    raised = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    base = Alert(
        **{f: None for f in Alert.__dataclass_fields__ if f not in ("decisions", "assignments")}
    )
    quick = replace(
        base,
        status="closed",
        decision="false_positive",
        created_at=raised,
        decided_at=raised + timedelta(minutes=30),
    )
    root = parse(review_time([quick]).svg)
    assert texts(root, "axis-label y") == ["minutes"]
    (bar,) = (r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar")
    assert bar.find(f"{SVG}title").text == "11-02: 30"
    slow = replace(quick, decided_at=raised + timedelta(hours=5))
    assert texts(parse(review_time([slow]).svg), "axis-label y") == ["hours"]
