"""Fixtures of the authentication tests: a small list of companies (an index of them builds in
well under a second), users of every role with their API keys."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from embargo.auth import AuthService, Role
from embargo.screening import Screener
from embargo.settings import Settings

COMPANIES = ["Acme Rocket Trading", "Globex Shipping", "Initech Defence Systems"]
COMPANY_QUERY = {"schema": "Company", "properties": {"name": ["Acme Rocket Trading"]}}
PASSWORD = "a long enough password"
ROLES = (Role.viewer, Role.analyst, Role.reviewer, Role.admin)


def write_companies(folder: Path, dataset: str = "gamma") -> Path:
    """A FollowTheMoney list of sanctioned companies, ids ``<dataset>-<n>``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "entities.ftm.json"
    with path.open("w") as fh:
        for i, name in enumerate(COMPANIES):
            entity = {
                "id": f"{dataset}-{i}",
                "caption": name,
                "schema": "Company",
                "properties": {"name": [name], "topics": ["sanction"], "country": ["ru"]},
                "datasets": [dataset],
                "target": True,
            }
            fh.write(json.dumps(entity) + "\n")
    return path


@pytest.fixture(scope="session")
def companies_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_companies(tmp_path_factory.mktemp("companies"))


@pytest.fixture(scope="session")
def company_screener(companies_file: Path) -> Screener:
    from embargo.update import discover, parse_input

    (inp,), _ = discover(companies_file)
    return Screener.from_entities(parse_input(inp, Settings())[0])


@dataclass
class People:
    """One user per role (named after it), with a key each; ``target`` is for admins to
    change."""

    auth: AuthService
    keys: dict[Role, str]

    def headers(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}


def make_people(auth: AuthService) -> People:
    keys = {}
    for role in ROLES:
        auth.create_user(role.value, role, PASSWORD, actor="test")
        keys[role] = auth.create_key(role.value, rate_limit=100_000, actor="test")[1]
    auth.create_user("target", Role.viewer, PASSWORD, actor="test")
    return People(auth, keys)
