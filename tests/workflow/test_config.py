"""Review settings from the environment."""

from __future__ import annotations

import pytest

from embargo.errors import ConfigError
from embargo.workflow import WorkflowConfig


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FOUR_EYES", "FOUR_EYES_SOURCES", "FOUR_EYES_MEASURES", "ALERT_THRESHOLD"):
        monkeypatch.delenv(f"EMBARGO_{name}", raising=False)
    config = WorkflowConfig.from_env()
    assert config.four_eyes and config.threshold is None and config.limit == 30
    assert config.needs_second_review("true_match", "us_ofac_sdn", ["blocking"])
    assert not config.needs_second_review("false_positive", "us_ofac_sdn", ["blocking"])
    assert not config.needs_second_review("escalate", "us_ofac_sdn", ["blocking"])


def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBARGO_FOUR_EYES", "Yes")
    monkeypatch.setenv("EMBARGO_FOUR_EYES_SOURCES", " us_ofac_sdn, un_sc ,")
    monkeypatch.setenv("EMBARGO_FOUR_EYES_MEASURES", "Blocking")
    monkeypatch.setenv("EMBARGO_ALERT_THRESHOLD", "0.8")
    monkeypatch.setenv("EMBARGO_ALERT_LIMIT", "5")
    config = WorkflowConfig.from_env()
    assert config.four_eyes_sources == {"us_ofac_sdn", "un_sc"}
    assert config.four_eyes_measures == {"blocking"}
    assert (config.threshold, config.limit) == (0.8, 5)
    assert config.needs_second_review("false_positive", "un_sc", [])
    assert config.needs_second_review("escalate", "eu_fsf", ["blocking"])
    assert not config.needs_second_review("false_positive", "eu_fsf", ["sectoral"])
    monkeypatch.setenv("EMBARGO_FOUR_EYES", "off")
    assert not WorkflowConfig.from_env().needs_second_review("true_match", "un_sc", [])
    assert WorkflowConfig.from_env().to_dict()["four_eyes_sources"] == ["un_sc", "us_ofac_sdn"]


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("EMBARGO_FOUR_EYES", "perhaps", "must be on or off"),
        ("EMBARGO_FOUR_EYES_MEASURES", "blocking,frozen", "unknown measure 'frozen'"),
        ("EMBARGO_ALERT_THRESHOLD", "high", "must be a number"),
        ("EMBARGO_ALERT_THRESHOLD", "1.5", "between 0 and 1"),
        ("EMBARGO_ALERT_LIMIT", "0", "at least 1"),
    ],
)
def test_bad_values(monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=says):
        WorkflowConfig.from_env()
