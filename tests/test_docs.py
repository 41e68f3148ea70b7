"""README stays honest: its commands exist, and CI runs exactly its test command."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from embargo.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1].strip() == "scripts/check"
    assert "\nscripts/check\n" in README


def test_every_command_in_the_readme_exists() -> None:
    commands = set(re.findall(r"`embargo ([a-z]+)", README))
    assert commands, "README documents no commands"
    runner = CliRunner()
    for command in sorted(commands):
        result = runner.invoke(main, [command, "--help"])
        assert result.exit_code == 0, f"embargo {command}: {result.output}"


def test_every_cli_command_is_documented() -> None:
    for name in main.commands:  # type: ignore[attr-defined]
        assert f"`embargo {name}" in README, f"embargo {name} is missing from README"
