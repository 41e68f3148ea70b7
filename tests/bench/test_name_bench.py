"""The name-pair benchmark's arithmetic, and a guard on the matcher's figures on the real pairs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import name_bench
from embargo.screening import Screener


def case(is_match: bool, score: float, quality: str = "MEDIUM") -> name_bench.Case:
    return name_bench.Case("g", "Person", "a", "b", is_match, quality, "", score=score)


def test_precision_recall_f1_and_calibration_table() -> None:
    cases = [
        case(True, 0.95, "STRONG"),  # TP
        case(True, 0.8),  # TP
        case(True, 0.4),  # FN
        case(False, 0.75),  # FP
        case(False, 0.1, "STRONG"),  # TN
        case(False, 0.05),  # TN
    ]
    result = name_bench.evaluate(cases, 0.7)
    assert (result["embargo"]["tp"], result["embargo"]["fp"], result["embargo"]["fn"]) == (2, 1, 1)
    assert result["embargo"]["precision"] == pytest.approx(2 / 3)
    assert result["embargo"]["f1"] == pytest.approx(2 / 3)
    assert result["strong_wrong"] == []
    means = {m["class"]: m["mean"] for m in result["means"]}
    assert means["match STRONG"] == 0.95 and means["non-match STRONG"] == 0.1
    assert means["match WEAK"] is None
    assert result["monotonic"] is True  # 0.95, 0.6, 0.4, 0.1
    bins = {b["bin"]: (b["n"], b["share_true_matches"]) for b in result["reliability"]}
    assert bins["0.0-0.1"] == (1, 0.0) and bins["0.9-1.0"] == (1, 1.0)
    assert [c["score"] for c in result["worst_errors"]] == [0.4, 0.75]


def test_a_wrong_strong_case_is_reported() -> None:
    result = name_bench.evaluate([case(False, 0.9, "STRONG"), case(True, 0.9)], 0.7)
    assert [c["score"] for c in result["strong_wrong"]] == [0.9]


@pytest.mark.slow
def test_the_matcher_on_the_public_pairs(shared_data: Path) -> None:
    """A regression guard below the figures in README: every STRONG case right, F1 ≥ 0.90,
    and well above the field's reference matcher on the same rows."""
    cases = name_bench.read_cases(shared_data / "benchmarks" / "nomenklatura_name_bench")
    assert len(cases) == 826
    screener = Screener.from_entities([])
    name_bench.score_cases(cases, screener)
    result = name_bench.evaluate(cases, screener.algorithm.threshold)
    assert result["strong_wrong"] == []
    assert result["embargo"]["f1"] >= 0.90
    assert result["reference_rows"] >= 800
    assert result["embargo_on_reference_rows"]["f1"] > result["reference"]["f1"] + 0.08
