"""The look-through rule (``look_through_50``) on hand-built graphs, beside OFAC's ``ofac_50``.

Each case states who is blocked by ownership under the look-through, the aggregate, the exact
path sentences, and, where the two readings part ways, what ``ofac_50`` says of the same graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from embargo.ownership import LOOK_THROUGH_50, RULES, OwnershipLink, analyse, get_rule

Spec = tuple[str, str, float | None] | tuple[str, str, float | None, bool]


def links(*specs: Spec, source: str = "registry") -> list[OwnershipLink]:
    out = []
    for spec in specs:
        control = bool(spec[3]) if len(spec) > 3 else False
        out.append(OwnershipLink(spec[0], spec[1], spec[2], source, control))
    return out


@dataclass
class Case:
    id: str
    links: list[OwnershipLink]
    seeds: set[str]
    blocked: set[str]  # blocked by ownership under the look-through, exactly these
    ofac_blocked: set[str]  # and under ofac_50, on the same graph
    shares: dict[str, float] = field(default_factory=dict)
    sentences: dict[str, tuple[str, ...]] = field(default_factory=dict)  # exact
    explained: dict[str, list[str]] = field(default_factory=dict)  # phrases in explanation
    cautions: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # phrases in the analysis warnings


CASES = [
    Case(
        # The difference between the two readings: OFAC (FAQ 401) counts A's whole 50% because
        # A is blocked; the look-through multiplies 60% by 50%.
        "chain 60% x 50% = 30%: not blocked by look-through, blocked under ofac_50",
        links(("X", "A", 60), ("A", "B", 50)),
        {"X"},
        blocked={"A"},
        ofac_blocked={"A", "B"},
        shares={"A": 0.6, "B": 0.3},
        sentences={"B": ("X (listed) 60% → A 50% → B = 30%",), "A": ("X (listed) 60% → A = 60%",)},
        explained={
            "B": [
                "B is not blocked under the look-through (multiplied stakes) 50% test: blocked "
                "persons' stakes, multiplied along each ownership path and added up, come to 30% "
                "of it (50% or more would be needed). Via: X (listed) 60% → A 50% → B = 30%."
            ]
        },
        cautions={
            "B": [
                "blocked persons own 30% through multiplied stakes: below the 50% rule",
                "blocked under OFAC's 50 Percent Rule (ofac_50): OFAC counts the whole stake of "
                "an entity that is itself blocked",
            ]
        },
    ),
    Case(
        "chain 100% x 50% = 50%: blocked",
        links(("X", "A", 100), ("A", "B", 50)),
        {"X"},
        blocked={"A", "B"},
        ofac_blocked={"A", "B"},
        shares={"B": 0.5},
        sentences={"B": ("X (listed) 100% → A 50% → B = 50%",)},
        explained={"B": ["B is treated as blocked under the look-through", "come to 50% of it"]},
    ),
    Case(
        # 50% x 60% + 40% x 50% = 30% + 20%. B is not blocked (40%), yet its stake counts,
        # multiplied; under ofac_50 only A's whole 60% counts, and P is blocked too.
        "two blocked owners adding to exactly 50% through paths",
        links(("X", "A", 50), ("A", "P", 60), ("Y", "B", 40), ("B", "P", 50)),
        {"X", "Y"},
        blocked={"A", "P"},
        ofac_blocked={"A", "P"},
        shares={"P": 0.5, "B": 0.4},
        sentences={
            "P": ("X (listed) 50% → A 60% → P = 30%", "Y (listed) 40% → B 50% → P = 20%"),
        },
        explained={"P": ["come to 50% of it (50% or more is enough)"]},
    ),
    Case(
        "two blocked owners adding to exactly 50%, second path 50% x 40%",
        links(("X", "A", 50), ("A", "P", 60), ("Y", "B", 50), ("B", "P", 40)),
        {"X", "Y"},
        blocked={"A", "B", "P"},
        ofac_blocked={"A", "B", "P"},
        shares={"P": 0.5},
        sentences={
            "P": ("X (listed) 50% → A 60% → P = 30%", "Y (listed) 50% → B 40% → P = 20%"),
        },
        explained={"P": ["come to 50% of it (50% or more is enough)"]},
    ),
    Case(
        "49.9% through paths is not blocked",
        links(("X", "A", 50), ("A", "P", 59.8), ("Y", "B", 50), ("B", "P", 40)),
        {"X", "Y"},
        blocked={"A", "B"},
        ofac_blocked={"A", "B", "P"},
        shares={"P": 0.499},
        sentences={
            "P": ("X (listed) 50% → A 59.8% → P = 29.9%", "Y (listed) 50% → B 40% → P = 20%"),
        },
        explained={"P": ["P is not blocked", "come to 49.9% of it"]},
    ),
    Case(
        "diamond: two paths from one owner add (25% + 25%)",
        links(("X", "A", 50), ("X", "B", 50), ("A", "C", 50), ("B", "C", 50)),
        {"X"},
        blocked={"A", "B", "C"},
        ofac_blocked={"A", "B", "C"},
        shares={"C": 0.5},
        sentences={
            "C": ("X (listed) 50% → A 50% → C = 25%", "X (listed) 50% → B 50% → C = 25%"),
        },
    ),
    Case(
        # FAQ 401 example 2: OFAC blocks C (A and B are blocked, 25% + 25%); multiplied, 25%.
        "FAQ 401 example 2 multiplied: 12.5% + 12.5%",
        links(("X", "A", 50), ("X", "B", 50), ("A", "C", 25), ("B", "C", 25)),
        {"X"},
        blocked={"A", "B"},
        ofac_blocked={"A", "B", "C"},
        shares={"C": 0.25},
        sentences={
            "C": ("X (listed) 50% → A 25% → C = 12.5%", "X (listed) 50% → B 25% → C = 12.5%"),
        },
    ),
    Case(
        # The other way round: A is not blocked (40%), so OFAC counts nothing through it.
        "a stake through an entity that is not blocked counts: blocked only by look-through",
        links(("X", "A", 40), ("A", "C", 50), ("X", "C", 30)),
        {"X"},
        blocked={"C"},
        ofac_blocked=set(),
        shares={"C": 0.5, "A": 0.4},
        sentences={"C": ("X (listed) 30% → C = 30%", "X (listed) 40% → A 50% → C = 20%")},
        cautions={
            "C": [
                "not blocked under OFAC's 50 Percent Rule (ofac_50): OFAC does not count stakes "
                "held through entities that are not themselves blocked"
            ]
        },
    ),
    Case(
        # The stake coming back round the cycle (X → A → B → A) would revisit A: not a path.
        "a cycle: paths never revisit a party, and the cycle is reported",
        links(("X", "A", 60), ("A", "B", 100), ("B", "A", 10)),
        {"X"},
        blocked={"A", "B"},
        ofac_blocked={"A", "B"},
        shares={"A": 0.6, "B": 0.6},
        sentences={"A": ("X (listed) 60% → A = 60%",), "B": ("X (listed) 60% → A 100% → B = 60%",)},
        explained={"A": ["Warning: part of an ownership cycle: A → B → A."]},
        warnings=["ownership cycle: A → B → A (handled: paths never revisit a party)"],
    ),
    Case(
        "a cycle below the threshold: 30% and 30% x 60%",
        links(("X", "A", 30), ("A", "B", 60), ("B", "A", 40)),
        {"X"},
        blocked=set(),
        ofac_blocked=set(),
        shares={"A": 0.3, "B": 0.18},
        sentences={"B": ("X (listed) 30% → A 60% → B = 18%",)},
        warnings=["ownership cycle: A → B → A"],
    ),
    Case(
        "a cycle with no listed owner never blocks itself",
        links(("A", "B", 100), ("B", "A", 100)),
        set(),
        blocked=set(),
        ofac_blocked=set(),
        shares={"A": 0.0, "B": 0.0},
        explained={"A": ["no blocked person owns any of it, directly or through other parties"]},
        warnings=["ownership cycle: A → B → A"],
    ),
    Case(
        "over 100% through paths: reported, and capped at 100%",
        links(("X", "A", 80), ("Y", "A", 80), ("A", "B", 100)),
        {"X", "Y"},
        blocked={"A", "B"},
        ofac_blocked={"A", "B"},
        shares={"A": 1.0, "B": 1.0},
        sentences={
            "B": ("X (listed) 80% → A 100% → B = 80%", "Y (listed) 80% → A 100% → B = 80%"),
        },
        explained={
            "B": ["come to 100% (stated: 160%, capped) of it"],
            "A": ["Warning: the stated stakes in A add up to 160%, over 100%"],
        },
        warnings=["the stated stakes in A add up to 160%, over 100%: the data is inconsistent"],
    ),
    Case(
        # A listed owner's whole stake counts; its own listed owner is not counted again.
        "a path ends at the first listed owner: no double counting",
        links(("X", "Y", 100), ("Y", "P", 40)),
        {"X", "Y"},
        blocked=set(),
        ofac_blocked=set(),
        shares={"P": 0.4},
        sentences={"P": ("Y (listed) 40% → P = 40%",)},
    ),
    Case(
        "a stake of unknown size counts as 0% and is flagged with its path",
        links(("X", "A", None), ("A", "P", 60), ("Y", "P", 30)),
        {"X", "Y"},
        blocked=set(),
        ofac_blocked=set(),
        shares={"P": 0.3, "A": 0.0},
        sentences={"P": ("Y (listed) 30% → P = 30%",)},
        explained={"A": ["A is not blocked", "come to 0% of it"]},
        cautions={
            "P": ["X (blocked) holds a stake of unknown size (X → A → P): the aggregate may be"],
            "A": ["X (blocked) holds a stake of unknown size (X → A)"],
        },
    ),
    Case(
        "control alone does not block; cautioned as under OFAC",
        links(("X", "P", 10, True), ("Y", "P", 90)),
        {"X"},
        blocked=set(),
        ofac_blocked=set(),
        shares={"P": 0.1},
        cautions={"P": ["X (blocked) is stated to control it", "FAQ 398"]},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_look_through_on_hand_built_graph(case: Case) -> None:
    analysis = analyse(case.links, case.seeds, rule="look_through_50")
    assert {p for p, a in analysis.parties.items() if a.by_ownership} == case.blocked
    ofac = analyse(case.links, case.seeds, rule="ofac_50")
    assert {p for p, a in ofac.parties.items() if a.by_ownership} == case.ofac_blocked
    for party, share in case.shares.items():
        assert analysis.parties[party].share == pytest.approx(share)
    for party, sentences in case.sentences.items():
        assert analysis.parties[party].path_sentences == sentences
    for party, phrases in case.explained.items():
        for phrase in phrases:
            assert phrase in analysis.parties[party].explanation
    for party, phrases in case.cautions.items():
        text = " | ".join(analysis.parties[party].cautions)
        for phrase in phrases:
            assert phrase in text
    for phrase in case.warnings:
        assert any(phrase in w for w in analysis.warnings), analysis.warnings
    for party, agg in analysis.parties.items():
        assert agg.rule == "look_through_50"
        assert agg.listed == (party in case.seeds)
        # the verdict is the threshold applied to the capped sum of the shown paths' products
        assert agg.blocked == (agg.listed or agg.share >= 0.5 - 1e-9)


def test_paths_steps_and_contributions_in_to_dict() -> None:
    analysis = analyse(
        [
            OwnershipLink("X", "A", 60, "registry"),
            OwnershipLink("A", "B", 50, "registry"),
            OwnershipLink("X", "B", 25, "press"),
        ],
        {"X": "US OFAC SDN List (RUSSIA-EO14024)"},
        rule=LOOK_THROUGH_50,
        names={"X": "Ivan PETROV", "A": "Alpha LLC", "B": "Beta LLC"},
    )
    beta = analysis.parties["B"]
    assert beta.by_ownership and beta.share == pytest.approx(0.55) and beta.round == 1
    assert [[(s.owner, s.owned, s.percentage) for s in p] for p in beta.paths] == [
        [("X", "A", 60), ("A", "B", 50)],
        [("X", "B", 25)],
    ]
    data = beta.to_dict()
    assert data["rule"] == "look_through_50" and data["blocked_by_ownership"]
    assert [p["sentence"] for p in data["paths"]] == [
        "Ivan PETROV (listed: US OFAC SDN List (RUSSIA-EO14024)) 60% → Alpha LLC 50% → "
        "Beta LLC = 30%",
        "Ivan PETROV (listed: US OFAC SDN List (RUSSIA-EO14024)) 25% → Beta LLC = 25%",
    ]
    assert data["paths"][0]["steps"][1]["owner_name"] == "Alpha LLC"
    # one contribution per listed person: its effective stake over all its paths
    assert data["contributions"] == [
        {
            "owner": "X",
            "owner_name": "Ivan PETROV",
            "percentage": 55.0,
            "control": False,
            "owner_status": "listed",
            "counted": True,
            "sources": ["registry", "press"],
        }
    ]
    whole = analysis.to_dict()
    assert whole["rule"] == "look_through_50" and whole["rounds"] == 1
    assert [a["party"] for a in whole["blocked_by_ownership"]] == ["A", "B"]


def test_duplicate_links_use_the_highest_stake_along_a_path() -> None:
    data = [
        OwnershipLink("X", "A", 100, "registry"),
        OwnershipLink("A", "P", 40, "registry"),
        OwnershipLink("A", "P", 55, "press"),
    ]
    analysis = analyse(data, {"X"}, rule="look_through_50")
    agg = analysis.parties["P"]
    assert agg.blocked and agg.share == pytest.approx(0.55)
    assert agg.path_sentences == ("X (listed) 100% → A 55% → P = 55%",)
    assert any("stated differently: 55% (press), 40% (registry)" in w for w in analysis.warnings)


def test_deep_chain_is_exact_whatever_its_depth() -> None:
    # Outside cycles the share is summed link by link: no depth limit, no path enumerated.
    depth = 2000
    chain = [OwnershipLink(f"P{i}", f"P{i + 1}", 100, "r") for i in range(depth)]
    analysis = analyse(chain, {"P0"}, rule="look_through_50", max_depth=10)
    last = analysis.parties[f"P{depth}"]
    assert last.blocked and last.share == 1.0 and not analysis.warnings
    assert len(last.paths) == 1 and len(last.paths[0]) == depth
    assert last.path_sentences[0].endswith(f"100% → P{depth - 1} 100% → P{depth} = 100%")


def test_depth_bound_inside_a_cycle_is_reported() -> None:
    # A ring of 12: R0 owns R1 ... owns R11, which owns 10% of R0; X (listed) 90% of R0.
    ring = [OwnershipLink(f"R{i}", f"R{i + 1}", 100, "r") for i in range(11)]
    ring += [OwnershipLink("R11", "R0", 10, "r"), OwnershipLink("X", "R0", 90, "r")]
    analysis = analyse(ring, {"X"}, rule="look_through_50", max_depth=10)
    assert analysis.parties["R10"].blocked and analysis.parties["R10"].share == pytest.approx(0.9)
    assert analysis.parties["R10"].path_sentences == (
        "X (listed) 90% → R0 100% → R1 100% → R2 100% → R3 100% → R4 100% → R5 100% → R6 "
        "100% → R7 100% → R8 100% → R9 100% → R10 = 90%",
    )
    far = analysis.parties["R11"]  # 11 links inside the cycle from R0
    assert not far.blocked and far.share == 0.0
    assert "paths longer than 10 links are not followed" in far.explanation
    assert any(
        "the look-through did not follow paths longer than 10 links for 1 party (R11)" in w
        for w in analysis.warnings
    )
    deeper = analyse(ring, {"X"}, rule="look_through_50", max_depth=11)
    assert deeper.parties["R11"].blocked and deeper.parties["R11"].share == pytest.approx(0.9)
    assert not any("look-through" in w for w in deeper.warnings)


def test_shown_paths_are_the_biggest_and_the_rest_counted() -> None:
    owners = [OwnershipLink(f"X{i:02}", "P", 1 + i / 10, "r") for i in range(30)]
    seeds = {f"X{i:02}" for i in range(30)}
    agg = analyse(owners, seeds, rule="look_through_50", max_paths=3).parties["P"]
    assert agg.share == pytest.approx(sum(1 + i / 10 for i in range(30)) / 100)
    assert agg.blocked and agg.paths_truncated and len(agg.contributions) == 30
    assert agg.path_sentences == (
        "X29 (listed) 3.9% → P = 3.9%",
        "X28 (listed) 3.8% → P = 3.8%",
        "X27 (listed) 3.7% → P = 3.7%",
    )
    assert "(Only the 3 biggest of 30 paths are shown.)" in agg.explanation


def test_dense_graph_stays_bounded() -> None:
    # Every party owns every other: the simple paths number in the factorials, and the walk
    # must stop at its bound instead of enumerating them.
    parties = [f"N{i}" for i in range(12)]
    dense = [OwnershipLink(a, b, 5, "r") for a in parties for b in parties if a != b]
    analysis = analyse(dense, {"N0"}, rule="look_through_50", max_walk=200)
    agg = analysis.parties["N5"]
    assert not agg.blocked and 0.05 <= agg.share < 0.5
    assert "the look-through stopped walking paths (too many)" in agg.explanation
    # N0 too: what the others hold of it comes out of the cut-short walks
    assert any(
        "inside ownership cycles the look-through stopped walking paths (too many) for 12 "
        "parties (N0, N1, N10, N11, N2 and 7 more)" in w
        for w in analysis.warnings
    )
    # One budget for all the walks: a smaller one gives each party less, never nothing.
    starved = analyse(dense, {"N0"}, rule="look_through_50", cycle_budget=50)
    assert 0.05 <= starved.parties["N5"].share <= agg.share


def test_the_rule_is_registered() -> None:
    assert get_rule("look_through_50") is LOOK_THROUGH_50 is RULES["look_through_50"]
    assert LOOK_THROUGH_50.look_through and LOOK_THROUGH_50.meets(0.5)
    assert "FAQ 401" in LOOK_THROUGH_50.basis
    with pytest.raises(ValueError, match="at least 1"):
        analyse([], set(), rule="look_through_50", max_depth=0)
