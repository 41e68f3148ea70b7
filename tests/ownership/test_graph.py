"""The 50% rule on hand-built graphs: each case states who is blocked, the aggregate and the
path that explains it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from embargo.ownership import (
    EU_UK_CONTROL,
    OFAC_50,
    Aggregate,
    OwnershipLink,
    analyse,
    effective_ownership,
    get_rule,
)

Spec = tuple[str, str, float | None] | tuple[str, str, float | None, bool]


def links(*specs: Spec, source: str = "registry") -> list[OwnershipLink]:
    out = []
    for spec in specs:
        owner, owned, pct = spec[0], spec[1], spec[2]
        control = bool(spec[3]) if len(spec) > 3 else False
        out.append(OwnershipLink(owner, owned, pct, source, control))
    return out


def steps(agg: Aggregate) -> list[list[tuple[str, str, float | None]]]:
    return [[(s.owner, s.owned, s.percentage) for s in path] for path in agg.paths]


@dataclass
class Case:
    id: str
    links: list[OwnershipLink]
    seeds: set[str]
    rule: str = "ofac_50"
    blocked: set[str] = field(default_factory=set)  # blocked by ownership, exactly these
    shares: dict[str, float] = field(default_factory=dict)
    paths: dict[str, list[list[tuple[str, str, float | None]]]] = field(default_factory=dict)
    explained: dict[str, list[str]] = field(default_factory=dict)  # phrases in explanation
    cautions: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # phrases in the analysis warnings


CASES = [
    Case(
        "chain: SDN 100% -> A 60% -> B; B blocked via A",
        links(("SDN", "A", 100), ("A", "B", 60)),
        {"SDN"},
        blocked={"A", "B"},
        shares={"A": 1.0, "B": 0.6},
        paths={"B": [[("SDN", "A", 100), ("A", "B", 60)]]},
        explained={
            "B": [
                "B is treated as blocked under OFAC's 50 Percent Rule: blocked persons own 60% "
                "of it in aggregate (50% or more is enough).",
                "SDN (listed) owns 100% of A; A is blocked (100% owned by blocked persons) and "
                "owns 60% of B",
            ]
        },
    ),
    Case(
        # FAQ 401 example 1: a multiplied look-through would say 25%; OFAC says B is blocked.
        "chain of 50% stakes is not multiplied (FAQ 401 example 1)",
        links(("X", "A", 50), ("A", "B", 50)),
        {"X"},
        blocked={"A", "B"},
        shares={"A": 0.5, "B": 0.5},
        paths={"B": [[("X", "A", 50), ("A", "B", 50)]]},
    ),
    Case(
        "two blocked owners adding to 50% (25% + 25%)",
        links(("X", "P", 25), ("Y", "P", 25), ("Z", "P", 50)),
        {"X", "Y"},
        blocked={"P"},
        shares={"P": 0.5},
        paths={"P": [[("X", "P", 25)], [("Y", "P", 25)]]},
        explained={"P": ["blocked persons own 50% of it in aggregate", "Y (listed) owns 25% of P"]},
    ),
    Case(
        "49.9% is not blocked",
        links(("X", "P", 24.9), ("Y", "P", 25), ("Z", "P", 50.1)),
        {"X", "Y"},
        blocked=set(),
        shares={"P": 0.499},
        paths={"P": [[("Y", "P", 25)], [("X", "P", 24.9)]]},
        explained={"P": ["P is not blocked", "own 49.9% of it in aggregate"]},
        cautions={"P": ["below the 50% rule", "FAQ 398"]},
    ),
    Case(
        "FAQ 401 example 2: X 50% of A and B, each 25% of C",
        links(("X", "A", 50), ("X", "B", 50), ("A", "C", 25), ("B", "C", 25)),
        {"X"},
        blocked={"A", "B", "C"},
        shares={"C": 0.5},
        paths={
            "C": [
                [("X", "A", 50), ("A", "C", 25)],
                [("X", "B", 50), ("B", "C", 25)],
            ]
        },
    ),
    Case(
        "FAQ 401 example 3: X 50% of A and 10% of B, A 40% of B",
        links(("X", "A", 50), ("X", "B", 10), ("A", "B", 40)),
        {"X"},
        blocked={"A", "B"},
        shares={"B": 0.5},
        paths={"B": [[("X", "A", 50), ("A", "B", 40)], [("X", "B", 10)]]},
    ),
    Case(
        "stakes through entities that are not blocked do not count",
        links(("X", "A", 25), ("X", "B", 25), ("A", "C", 50), ("B", "C", 50)),
        {"X"},
        blocked=set(),
        shares={"A": 0.25, "B": 0.25, "C": 0.0},
        paths={"C": []},
        explained={"C": ["no blocked person owns any of it"]},
    ),
    Case(
        "a cycle with no listed owner never blocks itself",
        links(("A", "B", 100), ("B", "A", 100)),
        set(),
        blocked=set(),
        shares={"A": 0.0, "B": 0.0},
        warnings=["ownership cycle: A → B → A"],
    ),
    Case(
        "a cycle below the threshold: reported, and the fixpoint stays unblocked",
        links(("X", "A", 30), ("A", "B", 60), ("B", "A", 40)),
        {"X"},
        blocked=set(),
        shares={"A": 0.3, "B": 0.0},
        explained={"A": ["Warning: part of an ownership cycle: A → B → A"]},
        warnings=["ownership cycle: A → B → A"],
    ),
    Case(
        "a cycle that is blocked: the stake coming back round is listed, not relied on",
        links(("X", "A", 60), ("A", "B", 100), ("B", "A", 10)),
        {"X"},
        blocked={"A", "B"},
        shares={"A": 0.7, "B": 1.0},
        paths={"A": [[("X", "A", 60)]], "B": [[("X", "A", 60), ("A", "B", 100)]]},
        explained={
            "A": [
                "blocked persons own 60% of it in aggregate",
                "B (blocked only after it, through its own holdings) also holds a stake: "
                "with it, blocked persons own 70%",
            ]
        },
        warnings=["ownership cycle: A → B → A"],
    ),
    Case(
        "over 100%: reported with the total, the blocked stake is kept as stated",
        links(("X", "P", 60), ("Y", "P", 70)),
        {"X"},
        blocked={"P"},
        shares={"P": 0.6},
        warnings=["the stated stakes in P add up to 130%, over 100%"],
        explained={"P": ["Warning: the stated stakes in P add up to 130%"]},
    ),
    Case(
        "over 100% held by blocked owners: capped at 100%",
        links(("X", "P", 80), ("Z", "P", 40)),
        {"X", "Z"},
        blocked={"P"},
        shares={"P": 1.0},
        explained={"P": ["own 100% (stated: 120%, capped) of it"]},
        warnings=["add up to 120%"],
    ),
    Case(
        "control without majority: not blocked under OFAC, with a caution",
        links(("X", "P", 10, True), ("Y", "P", 90)),
        {"X"},
        blocked=set(),
        shares={"P": 0.1},
        cautions={"P": ["X (blocked) is stated to control it", "FAQ 398"]},
    ),
    Case(
        "control without majority: frozen under the EU/UK test",
        links(("X", "P", 10, True), ("Y", "P", 90), ("P", "Q", 51)),
        {"X"},
        rule="eu_uk_control",
        blocked={"P", "Q"},
        shares={"P": 0.1, "Q": 0.51},
        paths={"P": [[("X", "P", 10)]], "Q": [[("X", "P", 10), ("P", "Q", 51)]]},
        explained={
            "P": ["P is treated as frozen", "it is controlled by X, a frozen person"],
            "Q": [
                "X (listed) owns 10% of P and controls it; P is frozen (controlled by a frozen "
                "person) and owns 51% of Q"
            ],
        },
    ),
    Case(
        "control with no stated percentage: frozen under the EU/UK test",
        links(("X", "P", None, True)),
        {"X"},
        rule="eu_uk_control",
        blocked={"P"},
        shares={"P": 0.0},
        paths={"P": [[("X", "P", None)]]},
        explained={"P": ["X (listed) controls P"]},
    ),
    Case(
        "exactly 50%: blocked under OFAC",
        links(("X", "P", 50)),
        {"X"},
        blocked={"P"},
        shares={"P": 0.5},
    ),
    Case(
        "exactly 50%: not frozen under the EU/UK test (more than 50% needed)",
        links(("X", "P", 50)),
        {"X"},
        rule="eu_uk_control",
        blocked=set(),
        shares={"P": 0.5},
        explained={"P": ["more than 50% would be needed"]},
    ),
    Case(
        "EU aggregates 30% + 25%; the UK would not without a joint arrangement",
        links(("X", "P", 30), ("Y", "P", 25)),
        {"X", "Y"},
        rule="eu_uk_control",
        blocked={"P"},
        shares={"P": 0.55},
        cautions={"P": ["OFSI (UK) would not without a joint arrangement"]},
    ),
    Case(
        "a stake of unknown size counts as 0% and is flagged",
        links(("X", "P", None), ("Y", "P", 30)),
        {"X", "Y"},
        blocked=set(),
        shares={"P": 0.3},
        cautions={"P": ["X (blocked) holds a stake of unknown size"]},
    ),
    Case(
        "a party stated to own itself is ignored",
        links(("P", "P", 40), ("X", "P", 45)),
        {"X"},
        blocked=set(),
        shares={"P": 0.45},
        warnings=["P is stated to own 40% of itself (registry); ignored"],
    ),
    Case(
        "a listed party is blocked by its listing, not by ownership",
        links(("X", "Y", 60)),
        {"X", "Y"},
        blocked=set(),
        shares={"Y": 0.6},
        paths={"Y": []},
        explained={"Y": ["Y is listed itself: blocked. Blocked persons also own 60% of it."]},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_on_hand_built_graph(case: Case) -> None:
    analysis = analyse(case.links, case.seeds, rule=case.rule)
    by_ownership = {p for p, a in analysis.parties.items() if a.by_ownership}
    assert by_ownership == case.blocked
    for party, share in case.shares.items():
        assert analysis.parties[party].share == pytest.approx(share)
    for party, expected in case.paths.items():
        assert steps(analysis.parties[party]) == expected
    for party, phrases in case.explained.items():
        for phrase in phrases:
            assert phrase in analysis.parties[party].explanation
    for party, phrases in case.cautions.items():
        text = " | ".join(analysis.parties[party].cautions)
        for phrase in phrases:
            assert phrase in text
    for phrase in case.warnings:
        assert any(phrase in w for w in analysis.warnings), analysis.warnings
    for seed in case.seeds:
        assert analysis.parties[seed].listed and analysis.parties[seed].round == 0


def test_every_path_sentence_names_each_step() -> None:
    analysis = analyse(
        links(("X", "A", 50), ("X", "B", 50), ("A", "C", 25), ("B", "C", 25)),
        {"X": "US OFAC SDN List (RUSSIA-EO14024)"},
        names={"X": "Ivan PETROV", "A": "Alpha LLC", "B": "Beta LLC", "C": "Gamma JSC"},
    )
    gamma = analysis.parties["C"]
    assert gamma.path_sentences == (
        "Ivan PETROV (listed: US OFAC SDN List (RUSSIA-EO14024)) owns 50% of Alpha LLC; "
        "Alpha LLC is blocked (50% owned by blocked persons) and owns 25% of Gamma JSC",
        "Ivan PETROV (listed: US OFAC SDN List (RUSSIA-EO14024)) owns 50% of Beta LLC; "
        "Beta LLC is blocked (50% owned by blocked persons) and owns 25% of Gamma JSC",
    )
    data = gamma.to_dict()
    assert data["blocked_by_ownership"] and data["share"] == 0.5 and data["round"] == 2
    first = data["paths"][0]
    assert [s["owner_name"] for s in first["steps"]] == ["Ivan PETROV", "Alpha LLC"]
    assert first["steps"][1] == {
        "owner": "A",
        "owner_name": "Alpha LLC",
        "owned": "C",
        "owned_name": "Gamma JSC",
        "percentage": 25.0,
        "control": False,
    }
    assert {c["owner"]: c["owner_status"] for c in data["contributions"]} == {
        "A": "blocked by ownership",
        "B": "blocked by ownership",
    }


def test_contribution_from_later_round_is_not_counted() -> None:
    analysis = analyse(links(("X", "A", 60), ("A", "B", 100), ("B", "A", 10)), {"X"})
    contributions = {c.owner: c for c in analysis.parties["A"].contributions}
    assert contributions["X"].counted and contributions["X"].owner_listed
    assert not contributions["B"].counted and not contributions["B"].owner_listed
    assert analysis.parties["A"].cycle == ("A", "B", "A")
    assert analysis.cycles == (("A", "B", "A"),)


def test_same_stake_from_two_sources_is_one_stake_and_the_difference_is_reported() -> None:
    data = [
        OwnershipLink("X", "P", 40, "registry"),
        OwnershipLink("X", "P", 55, "press"),
    ]
    analysis = analyse(data, {"X"})
    agg = analysis.parties["P"]
    assert agg.blocked and agg.share == pytest.approx(0.55)
    (contribution,) = agg.contributions
    assert contribution.sources == ("registry", "press")
    assert any("stated differently: 55% (press), 40% (registry)" in w for w in analysis.warnings)
    agreed = analyse([*data[:1], OwnershipLink("X", "P", 40, "press")], {"X"})
    assert agreed.parties["P"].share == pytest.approx(0.4) and not agreed.warnings


def test_longer_cycle_is_reported_as_a_concrete_cycle() -> None:
    analysis = analyse(links(("A", "B", 60), ("B", "C", 60), ("C", "A", 60), ("C", "D", 60)), {"S"})
    assert analysis.cycles == (("A", "B", "C", "A"),)
    assert analysis.parties["B"].cycle == ("A", "B", "C", "A")
    assert analysis.parties["D"].cycle == ()


def test_deep_chain_has_no_recursion_limit() -> None:
    depth = 5000
    chain = [OwnershipLink(f"P{i}", f"P{i + 1}", 100, "r") for i in range(depth)]
    chain.append(OwnershipLink(f"P{depth}", "P0", 1, "r"))  # and one huge cycle
    analysis = analyse(chain, {"P0"}, max_paths=3)
    last = analysis.parties[f"P{depth}"]
    assert last.blocked and last.round == depth
    assert len(last.paths) == 1 and len(last.paths[0]) == depth
    assert len(analysis.cycles) == 1 and len(analysis.cycles[0]) == depth + 2
    assert "… (4989 more)" in analysis.warnings[0]


def test_paths_are_capped() -> None:
    owners = [OwnershipLink(f"X{i}", "P", 2, "r") for i in range(30)]
    agg = analyse(owners, {f"X{i}" for i in range(30)}, max_paths=20).parties["P"]
    assert agg.blocked and len(agg.paths) == 20 and agg.paths_truncated
    assert "Only the first 20 paths are shown" in agg.explanation


def test_effective_ownership_returns_every_party() -> None:
    result = effective_ownership(links(("X", "A", 50), ("Q", "R", 10)), {"X"})
    assert set(result) == {"X", "A", "Q", "R"}
    assert result["A"].blocked and not result["R"].blocked


def test_extra_parties_get_a_result() -> None:
    analysis = analyse([], set(), parties=["LONELY"])
    assert not analysis.parties["LONELY"].blocked
    assert "no blocked person owns any of it" in analysis.parties["LONELY"].explanation


def test_rules_and_link_validation() -> None:
    assert get_rule("ofac_50") is OFAC_50 and get_rule(EU_UK_CONTROL) is EU_UK_CONTROL
    with pytest.raises(ValueError, match="unknown rule"):
        get_rule("fifty")
    with pytest.raises(ValueError, match="between 0 and 100"):
        OwnershipLink("A", "B", 101, "s")
    with pytest.raises(ValueError, match="between 0 and 100"):
        OwnershipLink("A", "B", float("nan"), "s")
    with pytest.raises(ValueError, match="owner and an owned"):
        OwnershipLink("", "B", 10, "s")
    assert OFAC_50.meets(0.5) and not OFAC_50.meets(0.499)
    assert EU_UK_CONTROL.meets(0.5001) and not EU_UK_CONTROL.meets(0.5)
    # float sums of decimal stakes must not miss the threshold by a rounding error
    assert OFAC_50.meets(0.1 + 0.2 + 0.2)
