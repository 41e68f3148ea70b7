"""Property tests on random small ownership graphs (cycles, self-links, over-100% data)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embargo.ownership import LOOK_THROUGH_50, RULES, OwnershipAnalysis, OwnershipLink, analyse

PARTIES = [f"P{i}" for i in range(7)]
STAKES = st.one_of(
    st.none(),
    st.sampled_from([0.0, 10.0, 24.9, 25.0, 33.3, 49.9, 50.0, 50.1, 60.0, 100.0]),
    st.floats(min_value=0, max_value=100, allow_nan=False),
)
LINK = st.builds(
    OwnershipLink,
    owner=st.sampled_from(PARTIES),
    owned=st.sampled_from(PARTIES),
    percentage=STAKES,
    source=st.sampled_from(["registry", "press"]),
    control=st.booleans(),
)
GRAPHS = st.lists(LINK, max_size=25)
SEEDS = st.sets(st.sampled_from(PARTIES), max_size=3)
# The fixpoint rules; the look-through has its own reference below.
RULE_NAMES = st.sampled_from(sorted(name for name, rule in RULES.items() if not rule.look_through))


def reference(links: list[OwnershipLink], seeds: set[str], rule_name: str) -> set[str]:
    """The least fixpoint, the slow obvious way: add whoever qualifies until nobody does."""
    rule = RULES[rule_name]
    stakes: dict[tuple[str, str], float] = {}
    control: set[tuple[str, str]] = set()
    for link in links:
        if link.owner == link.owned:
            continue
        key = (link.owner, link.owned)
        if link.share is not None:
            stakes[key] = max(stakes.get(key, 0.0), link.share)
        if link.control:
            control.add(key)
    blocked = set(seeds)
    while True:
        new = set()
        for party in PARTIES:
            if party in blocked:
                continue
            share = sum(s for (o, p), s in stakes.items() if p == party and o in blocked)
            controlled = any(p == party and o in blocked for (o, p) in control)
            if rule.meets(min(share, 1.0)) or (rule.control and controlled):
                new.add(party)
        if not new:
            return blocked
        blocked |= new


def blocked_set(analysis: OwnershipAnalysis) -> set[str]:
    return {p for p, a in analysis.parties.items() if a.blocked}


@settings(max_examples=300, deadline=None)
@given(GRAPHS, SEEDS, RULE_NAMES)
def test_aggregate_is_a_capped_share_and_the_least_fixpoint(
    links: list[OwnershipLink], seeds: set[str], rule_name: str
) -> None:
    analysis = analyse(links, seeds, rule=rule_name)  # terminates on any graph, cycles too
    for agg in analysis.parties.values():
        assert 0.0 <= agg.share <= 1.0
        assert agg.stated_share >= agg.share - 1e-12
    assert blocked_set(analysis) == reference(links, seeds, rule_name)
    rule = RULES[rule_name]
    for party, agg in analysis.parties.items():
        if party in seeds:
            assert agg.listed and agg.round == 0
        elif not agg.blocked:
            # a fixpoint: what blocked owners hold is not enough
            assert not rule.meets(agg.share)
            assert not (rule.control and agg.control)


@settings(max_examples=300, deadline=None)
@given(GRAPHS, SEEDS, st.sampled_from(PARTIES), RULE_NAMES)
def test_monotone_in_added_blocked_owners(
    links: list[OwnershipLink], seeds: set[str], extra: str, rule_name: str
) -> None:
    before = analyse(links, seeds, rule=rule_name)
    after = analyse(links, seeds | {extra}, rule=rule_name)
    assert blocked_set(before) <= blocked_set(after)
    for party, agg in before.parties.items():
        assert after.parties[party].share >= agg.share - 1e-12


@settings(max_examples=200, deadline=None)
@given(GRAPHS, SEEDS, RULE_NAMES)
def test_paths_run_from_a_listed_party_without_loops(
    links: list[OwnershipLink], seeds: set[str], rule_name: str
) -> None:
    analysis = analyse(links, seeds, rule=rule_name)
    for party, agg in analysis.parties.items():
        if agg.by_ownership:
            assert agg.paths, f"{party} is blocked with no path: {agg.explanation}"
        for path in agg.paths:
            assert path[0].owner in seeds and path[-1].owned == party
            for a, b in itertools.pairwise(path):
                assert a.owned == b.owner
            visited = [path[0].owner, *(s.owned for s in path)]
            assert len(visited) == len(set(visited))
            for step in path[:-1]:
                assert analysis.parties[step.owned].by_ownership
        assert len(agg.path_sentences) == len(agg.paths)
        assert agg.explanation


def look_through_reference(links: list[OwnershipLink], seeds: set[str], party: str) -> float:
    """Effective ownership, the slow obvious way: recurse over every simple path upwards."""
    stakes: dict[tuple[str, str], float] = {}
    for link in links:
        if link.owner != link.owned and link.share is not None:
            key = (link.owner, link.owned)
            stakes[key] = max(stakes.get(key, 0.0), link.share)

    def up(node: str, seen: frozenset[str]) -> float:
        total = 0.0
        for (owner, owned), share in stakes.items():
            if owned != node or owner in seen:
                continue
            if owner in seeds:  # a path ends at the first listed owner met
                total += share
            else:
                total += share * up(owner, seen | {owner})
        return total

    return up(party, frozenset({party}))


@settings(max_examples=300, deadline=None)
@given(GRAPHS, SEEDS)
def test_look_through_is_the_sum_over_simple_paths(
    links: list[OwnershipLink], seeds: set[str]
) -> None:
    analysis = analyse(links, seeds, rule=LOOK_THROUGH_50)  # 7 parties: never over the bounds
    assert not any("look-through stopped" in w or "did not follow" in w for w in analysis.warnings)
    for party, agg in analysis.parties.items():
        expected = look_through_reference(links, seeds, party)
        assert agg.stated_share == pytest.approx(expected, abs=1e-9)
        assert agg.share == pytest.approx(min(expected, 1.0), abs=1e-9)
        assert agg.blocked == (party in seeds or LOOK_THROUGH_50.meets(agg.share))
        for path in agg.paths:
            assert path[0].owner in seeds and path[-1].owned == party
            visited = [path[0].owner, *(s.owned for s in path)]
            assert len(visited) == len(set(visited))
            assert not any(s.owned in seeds for s in path[:-1])  # no listed intermediate
        if agg.by_ownership:
            assert agg.paths, f"{party} is blocked with no path: {agg.explanation}"
        assert len(agg.path_sentences) == len(agg.paths)
