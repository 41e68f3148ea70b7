"""Ownership links and the 50% rule: which parties are blocked because blocked persons own them.

Pure computation, no I/O: the links and the listed (blocked) parties go in, one ``Aggregate``
per party comes out, each naming the stakes and paths that produced it.

How the OFAC rule is read
-------------------------
OFAC's *Revised Guidance on Entities Owned by Persons Whose Property and Interests in Property
Are Blocked* (13 August 2014) and its FAQs 398-402 say:

* An entity owned 50 percent or more, directly or indirectly, individually or **in the
  aggregate**, by one or more blocked persons is itself blocked, whether or not it is listed.
  Stakes of different blocked persons add (FAQ 399; the guidance's example: two blocked
  persons with 25% each block the entity), whatever program each is blocked under.
* "Indirectly" (FAQ 401) means ownership *through entities that are themselves 50 percent or
  more owned in the aggregate by blocked persons*. Such an entity is blocked, so its **whole**
  stake counts as held by a blocked person: stakes are not multiplied down a chain. FAQ 401
  example 1: X (blocked) owns 50% of A, A owns 50% of B, so B is blocked (not 25%). Example 3:
  X owns 50% of A and 10% of B, A owns 40% of B: B is 50% owned by blocked persons.
* Conversely, ownership through an entity that is *not* blocked does not count at all: if X
  owns 25% of A and 25% of B, and A and B each own 50% of C, X is not considered to own any
  of C. So "indirect stakes multiply along a chain" is not what OFAC does: a multiplied
  look-through understates chains of blocked entities (50% of 50% is 25%, yet B is blocked)
  and overstates stakes held through entities that are not blocked (25% here, OFAC says 0%).
* Control without 50% ownership does not block under the rule (FAQ 398), but OFAC urges
  caution with entities that blocked persons control or own significantly below 50%. Both
  show up here as *cautions*, never as a block.

So "blocked" is a fixpoint: a party is blocked when it is listed, or when the stakes in it held
by blocked parties add up to the threshold. It is computed as the **least** fixpoint, in
rounds: round 0 is the listed parties; round *k* adds every party whose stakes held by the
parties blocked in rounds before *k* reach the threshold. The set only grows, so this ends
after at most one round per party, on any graph, cycles included; and a cycle with no listed
owner never blocks itself (A owning B owning A proves nothing about either).

The EU/UK rule
--------------
``eu_uk_control``: an entity is frozen when frozen persons own *more than* 50% of it, or a
frozen person controls it (a link with ``control=True``). Ownership is aggregated, as the
European Commission's FAQ on Regulation 269/2014 (asset freeze, question 8) says to. OFSI's
general guidance (4.14) says it would not *simply* aggregate different designated persons'
holdings without a joint arrangement, so when a freeze rests only on the sum of several
owners' stakes the result carries a caution saying so. Frozen entities' holdings count as
held by a frozen person, as under OFAC.

The look-through rule
---------------------
``look_through_50`` is *not* how OFAC reads its rule (see FAQ 401 above); ``ofac_50`` stays the
default. It is there for users whose policy or counsel reads the 50% rule as a multiplied
look-through: "indirect stakes multiply along a chain; stakes of different blocked owners
add". A party's share is its *effective ownership* by listed persons: the sum, over every
simple ownership path from a listed person to the party, of the product of the stakes along
the path (X 60% of A, A 50% of B: 30% of B through A). Paths from different listed persons,
and different paths from one (a diamond), add; the party is blocked at 50% or more. Whether an
intermediate entity is blocked plays no part. The two rules part ways both ways, so neither is
the more cautious one:

* a chain of blocked entities: X 60% of A, A 50% of B. ``ofac_50`` blocks B (A is blocked, its
  whole 50% counts); the look-through gives 30%, not blocked;
* a stake held through an entity that is not blocked: X 40% of A, A 50% of C, and X 30% of C.
  ``ofac_50`` counts 30% (A is not blocked, its stake does not count); the look-through
  counts 40% × 50% + 30% = 50%, blocked.

So OFAC's determination is computed alongside, and a look-through result whose verdict differs
from ``ofac_50``'s says so in a caution. Details:

* A path ends at the first *listed* person met going up: a listed owner's whole stake already
  counts, and running on to its own listed owners would count the same shares twice.
* Paths are simple (they never revisit a party). Cycles are reported as under the other
  rules; a stake that comes back round a cross-holding counts once, not as the geometric
  series of every turn round the cycle.
* The number of paths can grow exponentially, so they are not enumerated where they need not
  be: the sum is worked out link by link, owners before what they own (a party's share is
  the sum over its owners of stake × the owner's share, 1 for a listed owner), which is exact
  whatever the depth. Only inside a cycle does "never revisit a party" need the paths
  themselves; there they are walked, bounded by ``MAX_DEPTH`` links inside the cycle,
  ``MAX_WALK`` partial paths per party and ``CYCLE_BUDGET`` for the whole analysis
  (``analyse(max_depth=, max_walk=, cycle_budget=)``). When a bound cuts a path that could
  have reached the party, its share (and that of what it owns) is a lower bound, and the
  party and the analysis say so. The paths shown are found best first, only when read.
* A result's contributions are one per listed person (its effective stake over all its paths;
  stakes under 0.0001% are in the total but not itemised), its paths the biggest products
  first, each as ``X (listed) 60% → A 50% → B = 30%``; a party blocked by ownership has
  ``round`` 1 (there are no rounds: it rests on listed persons only).
* Unknown stakes, over-100% data and duplicate links are handled as below: a path through a
  stake of unknown size counts 0% and is named in a caution; the aggregate is capped at 100%.

Data problems
-------------
* **Cycles** (A owns B owns A) are found (strongly connected components) and reported; they
  need no special treatment in the fixpoint. A stake held by an owner that became blocked only
  after the party (possibly *through* it, round the cycle) is listed but marked
  ``counted=False``: the determination never rests on it.
* **Over 100%**: when the stated stakes in one party add up to more than 100% the data is
  inconsistent. Nothing is scaled down: scaling would shrink a blocked owner's stated stake
  because of someone else's over-statement and could unblock a party. The blocked persons'
  aggregate is instead **capped at 100%**, and the party and the total are reported.
* **The same pair stated twice** (two sources, or two records) is one stake: the highest stated
  percentage is used (again the conservative choice) and a difference is reported.
* A stake of unknown size counts as 0% but is reported as a caution (the aggregate may be
  higher); a party stated to own itself is ignored and reported.
"""

from __future__ import annotations

import heapq
import math
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final, NamedTuple

EPS: Final = 1e-9  # stakes are sums of decimal percentages: compare with a little slack
MAX_PATHS: Final = 20  # paths shown per party
# Inside ownership cycles the look-through enumerates paths, which can grow exponentially: it
# follows at most MAX_DEPTH links inside a cycle and MAX_WALK partial paths per party (and
# CYCLE_BUDGET in all), and says where it stopped. It also shows at most MAX_WALK candidates.
MAX_DEPTH: Final = 10
MAX_WALK: Final = 10_000
CYCLE_BUDGET: Final = 200_000  # partial paths walked inside cycles, all parties together
_MIN_WALK: Final = 20  # a party's walk when the budget is spent: its direct entries at least
_ITEMISED: Final = 1e-6  # a listed person's stake below this (0.0001%) is in the total only
_UNKNOWN_SHOWN: Final = 5  # listed persons named per party for stakes of unknown size


@dataclass(frozen=True)
class OwnershipLink:
    """``owner`` holds ``percentage`` percent (0-100) of ``owned``; ``None`` when unknown.

    Parties are Embargo entity ids or free references (a party no list names). ``control``
    says the owner controls the owned party by other means (voting agreements, the right to
    appoint the board, ...), which counts under the EU/UK rule only.
    """

    owner: str
    owned: str
    percentage: float | None
    source: str
    control: bool = False
    note: str | None = None

    def __post_init__(self) -> None:
        if not self.owner or not self.owned:
            raise ValueError("an ownership link needs both an owner and an owned party")
        pct = self.percentage
        if pct is not None and (math.isnan(pct) or pct < 0 or pct > 100):
            raise ValueError(f"percentage must be between 0 and 100, not {pct}")

    @property
    def share(self) -> float | None:
        """The stake as a fraction of 1."""
        return None if self.percentage is None else self.percentage / 100


@dataclass(frozen=True)
class Rule:
    """A test for when ownership by blocked (frozen) persons blocks (freezes) a party."""

    name: str
    title: str
    inclusive: bool  # True: threshold or more; False: more than the threshold
    control: bool  # control by a blocked person suffices
    word: str  # "blocked" / "frozen"
    basis: str
    threshold: float = 0.5
    # False: the fixpoint (a blocked entity's whole stake counts, nothing is multiplied);
    # True: the multiplied look-through (stakes multiply along every path from a listed person).
    look_through: bool = False

    def meets(self, share: float) -> bool:
        if self.inclusive:
            return share >= self.threshold - EPS
        return share > self.threshold + EPS

    @property
    def test_text(self) -> str:
        pct = _pct(self.threshold)
        return f"{pct} or more" if self.inclusive else f"more than {pct}"


OFAC_50: Final = Rule(
    name="ofac_50",
    title="OFAC's 50 Percent Rule",
    inclusive=True,
    control=False,
    word="blocked",
    basis=(
        "OFAC, Revised Guidance on Entities Owned by Persons Whose Property and Interests in "
        "Property Are Blocked (13 August 2014); OFAC FAQs 398-402"
    ),
)
EU_UK_CONTROL: Final = Rule(
    name="eu_uk_control",
    title="the EU/UK ownership-or-control test",
    inclusive=False,
    control=True,
    word="frozen",
    basis=(
        "EU: Regulation 269/2014 art. 2 and the Commission's asset-freeze FAQ 8 (aggregated "
        "ownership); UK: OFSI general guidance, chapter 4 (owned or controlled, directly or "
        "indirectly)"
    ),
)
LOOK_THROUGH_50: Final = Rule(
    name="look_through_50",
    title="the look-through (multiplied stakes) 50% test",
    inclusive=True,
    control=False,
    word="blocked",
    basis=(
        "Not OFAC's own reading (OFAC FAQ 401 does not multiply stakes down a chain of blocked "
        "entities): effective ownership, the stakes multiplied along every ownership path from "
        "a listed person and added up, for policies or counsel that read the 50% rule so; "
        "blocked at 50% or more"
    ),
    look_through=True,
)
RULES: Final[dict[str, Rule]] = {r.name: r for r in (OFAC_50, EU_UK_CONTROL, LOOK_THROUGH_50)}


def get_rule(rule: str | Rule) -> Rule:
    if isinstance(rule, Rule):
        return rule
    try:
        return RULES[rule]
    except KeyError:
        raise ValueError(f"unknown rule {rule!r}; choose one of {', '.join(RULES)}") from None


@dataclass(frozen=True)
class Step:
    """One link of a path: ``owner`` holds ``percentage`` of (and/or controls) ``owned``."""

    owner: str
    owned: str
    percentage: float | None
    control: bool

    def to_dict(self, names: Mapping[str, str]) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "owner_name": names.get(self.owner, self.owner),
            "owned": self.owned,
            "owned_name": names.get(self.owned, self.owned),
            "percentage": self.percentage,
            "control": self.control,
        }


# A path under construction, last step first: (step, rest of the path towards the party).
_Chain = tuple[Step, "_Chain | None"]


@dataclass(frozen=True)
class Contribution:
    """A stake in a party held by a blocked owner.

    Under the look-through there is one per listed person, ``percentage`` being its effective
    stake: the sum of the products over all its paths to the party.
    """

    owner: str
    percentage: float | None
    control: bool
    owner_listed: bool  # listed itself, rather than blocked by ownership
    # False when the determination does not rest on this stake: the party is listed itself, or
    # the owner became blocked only after the party (possibly because of it: a cycle).
    counted: bool
    sources: tuple[str, ...]


class _Explained(NamedTuple):
    paths: tuple[tuple[Step, ...], ...]
    truncated: bool
    sentences: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Aggregate:
    """What blocked persons hold of one party, and what follows under one rule.

    ``paths``, ``path_sentences`` and ``explanation`` are worked out when first read: a
    party's paths can be as long as the deepest ownership chain, and most results of an
    analysis are never looked at.
    """

    party: str
    name: str
    rule: str
    listed: bool
    blocked: bool  # listed, or blocked by ownership under the rule
    share: float  # aggregate stake of blocked owners, capped to [0, 1]
    stated_share: float  # the same before the cap (over 1 only on inconsistent data)
    control: bool  # a blocked owner controls the party
    owners_total: float  # all stated stakes in the party, blocked owners or not
    round: int | None  # fixpoint round it became blocked in; 0 = listed; None = not blocked
    contributions: tuple[Contribution, ...]
    cycle: tuple[str, ...]  # the ownership cycle it is part of, closed: (A, B, A); or ()
    warnings: tuple[str, ...]
    cautions: tuple[str, ...]
    listed_as: str | None
    explainer: _Names = field(repr=False, compare=False)

    @property
    def by_ownership(self) -> bool:
        return self.blocked and not self.listed

    @cached_property
    def _explained(self) -> _Explained:
        return self.explainer.explain(self)

    @property
    def paths(self) -> tuple[tuple[Step, ...], ...]:
        """Paths from a listed party to this one, biggest stakes first."""
        return self._explained.paths

    @property
    def paths_truncated(self) -> bool:
        return self._explained.truncated

    @property
    def path_sentences(self) -> tuple[str, ...]:
        return self._explained.sentences

    @property
    def explanation(self) -> str:
        return self._explained.text

    def to_dict(self) -> dict[str, Any]:
        names = self.explainer.names
        return {
            "party": self.party,
            "name": self.name,
            "rule": self.rule,
            "listed": self.listed,
            "listed_as": self.listed_as,
            "blocked": self.blocked,
            "blocked_by_ownership": self.by_ownership,
            "share": round(self.share, 9),
            "stated_share": round(self.stated_share, 9),
            "control": self.control,
            "owners_total": round(self.owners_total, 9),
            "round": self.round,
            "contributions": [
                {
                    "owner": c.owner,
                    "owner_name": names.get(c.owner, c.owner),
                    "percentage": c.percentage,
                    "control": c.control,
                    "owner_status": "listed" if c.owner_listed else "blocked by ownership",
                    "counted": c.counted,
                    "sources": list(c.sources),
                }
                for c in self.contributions
            ],
            "paths": [
                {
                    "steps": [s.to_dict(names) for s in path],
                    "sentence": sentence,
                }
                for path, sentence in zip(self.paths, self.path_sentences, strict=True)
            ],
            "paths_truncated": self.paths_truncated,
            "cycle": list(self.cycle),
            "warnings": list(self.warnings),
            "cautions": list(self.cautions),
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class OwnershipAnalysis:
    rule: Rule
    parties: dict[str, Aggregate]
    cycles: tuple[tuple[str, ...], ...]  # each closed: (A, B, A)
    warnings: tuple[str, ...]
    rounds: int

    @property
    def blocked_by_ownership(self) -> list[Aggregate]:
        return sorted(
            (a for a in self.parties.values() if a.by_ownership),
            key=lambda a: (a.name.casefold(), a.party),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule.name,
            "rule_title": self.rule.title,
            "basis": self.rule.basis,
            "rounds": self.rounds,
            "blocked_by_ownership": [a.to_dict() for a in self.blocked_by_ownership],
            "cycles": [list(c) for c in self.cycles],
            "warnings": list(self.warnings),
        }


# ---- the computation ------------------------------------------------------------------------


@dataclass
class _Edge:
    share: float | None
    control: bool
    sources: list[str]
    stated: dict[str, float]  # source -> stated share, to report disagreements


def _merge(links: Iterable[OwnershipLink]) -> tuple[dict[str, dict[str, _Edge]], list[str]]:
    """owned -> owner -> one edge per pair; warnings for self-links and disagreements."""
    edges: dict[str, dict[str, _Edge]] = defaultdict(dict)
    warnings: list[str] = []
    for link in links:
        if link.owner == link.owned:
            warnings.append(
                f"{link.owner} is stated to own {_pct_or_unknown(link.share)} of itself "
                f"({link.source}); ignored"
            )
            continue
        edge = edges[link.owned].get(link.owner)
        if edge is None:
            edge = edges[link.owned][link.owner] = _Edge(None, False, [], {})
        if link.source not in edge.sources:
            edge.sources.append(link.source)
        edge.control = edge.control or link.control
        share = link.share
        if share is not None:
            edge.stated[link.source] = max(share, edge.stated.get(link.source, 0.0))
            edge.share = share if edge.share is None else max(edge.share, share)
    return edges, warnings


def _disagreements(edges: dict[str, dict[str, _Edge]], names: Mapping[str, str]) -> list[str]:
    out = []
    for owned, owners in edges.items():
        for owner, edge in owners.items():
            values = set(edge.stated.values())
            if len(values) > 1 and max(values) - min(values) > EPS and edge.share is not None:
                stated = ", ".join(f"{_pct(v)} ({src})" for src, v in sorted(edge.stated.items()))
                out.append(
                    f"the stake of {names.get(owner, owner)} in {names.get(owned, owned)} is "
                    f"stated differently: {stated}; the highest, {_pct(edge.share)}, is used"
                )
    return out


def _successors(edges: dict[str, dict[str, _Edge]]) -> dict[str, list[str]]:
    succ: dict[str, list[str]] = defaultdict(list)
    for owned, owners in edges.items():
        for owner in owners:
            succ[owner].append(owned)
    for targets in succ.values():
        targets.sort()
    return succ


def _components(succ: Mapping[str, list[str]], nodes: list[str]) -> list[list[str]]:
    """The strongly connected components, each sorted, a component after every one it reaches.

    So, read backwards, owners come before what they own (cycles aside).
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    # Iterative Tarjan: ownership chains can be far deeper than Python's recursion limit.
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = succ.get(node, [])
            if i < len(targets):
                work.append((node, i + 1))
                nxt = targets[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def _cycles(edges: dict[str, dict[str, _Edge]]) -> list[tuple[str, ...]]:
    """One closed cycle (A, B, ..., A) per strongly connected component with a cycle."""
    succ = _successors(edges)
    components = [c for c in _components(succ, sorted(set(succ) | set(edges))) if len(c) > 1]
    out = []
    for component in components:
        members = set(component)
        start = component[0]
        # Shortest way back to the start inside the component: a readable concrete cycle.
        previous: dict[str, str] = {}
        frontier = [start]
        found = False
        while frontier and not found:
            nxt_frontier = []
            for node in frontier:
                for nxt in succ.get(node, []):
                    if nxt not in members:
                        continue
                    if nxt == start:
                        previous[start] = node
                        found = True
                        break
                    if nxt not in previous:
                        previous[nxt] = node
                        nxt_frontier.append(nxt)
                if found:
                    break
            frontier = nxt_frontier
        path = [start]
        node = previous[start]
        while node != start:
            path.append(node)
            node = previous[node]
        path.append(start)
        path.reverse()
        out.append(tuple(path))
    return sorted(out)


def analyse(
    links: Iterable[OwnershipLink],
    blocked: Collection[str] | Mapping[str, str],
    *,
    rule: str | Rule = OFAC_50,
    names: Mapping[str, str] | None = None,
    parties: Iterable[str] = (),
    max_paths: int = MAX_PATHS,
    max_depth: int = MAX_DEPTH,
    max_walk: int = MAX_WALK,
    cycle_budget: int = CYCLE_BUDGET,
) -> OwnershipAnalysis:
    """Apply ``rule`` to the ownership graph whose listed (blocked) parties are ``blocked``.

    ``blocked`` may map each listed party to a description of its listing ("US OFAC SDN
    List"), used in explanations. ``names`` gives display names for party ids; ``parties``
    adds parties that no link names, so that they get a result too. ``max_paths`` bounds the
    paths shown per party; ``max_depth``, ``max_walk`` and ``cycle_budget`` bound the
    look-through's walk inside ownership cycles.
    """
    the_rule = get_rule(rule)
    labels: dict[str, str] = dict(names or {})
    listed_as: dict[str, str] = dict(blocked) if isinstance(blocked, Mapping) else {}
    seeds = set(blocked)
    edges, warnings = _merge(links)
    warnings.extend(_disagreements(edges, labels))
    holdings: dict[str, list[str]] = defaultdict(list)
    for owned, owners in edges.items():
        for owner in owners:
            holdings[owner].append(owned)
    everyone = set(seeds) | set(edges) | set(holdings) | set(parties)

    cycles = _cycles(edges)
    cycle_of: dict[str, tuple[str, ...]] = {}
    cycle_texts: list[str] = []
    handled = (
        "paths never revisit a party" if the_rule.look_through else "a cycle never blocks itself"
    )
    for cycle in cycles:
        for member in cycle:
            cycle_of[member] = cycle  # shared, not copied: a cycle can hold every party
        cycle_texts.append(_cycle_text(cycle, labels))
        warnings.append(f"ownership cycle: {cycle_texts[-1]} (handled: {handled})")

    party_warnings: dict[str, list[str]] = defaultdict(list)
    totals: dict[str, float] = {}
    for owned, owners in edges.items():
        total = sum(e.share for e in owners.values() if e.share is not None)
        totals[owned] = total
        if total > 1 + EPS:
            text = (
                f"the stated stakes in {labels.get(owned, owned)} add up to {_pct(total)}, "
                f"over 100%: the data is inconsistent; the {the_rule.word} persons' aggregate "
                "is capped at 100%, nothing is scaled down"
            )
            warnings.append(text)
            party_warnings[owned].append(text)
    for cycle, text in zip(cycles, cycle_texts, strict=True):
        note = f"part of an ownership cycle: {text}"
        for member in cycle[:-1]:
            party_warnings[member].append(note)

    if the_rule.look_through:
        # OFAC's own determination rides along, so that a party the two readings disagree on
        # says so: a user who picked the look-through must not miss an OFAC block unawares.
        ofac_round, _ = _fixpoint(OFAC_50, edges, holdings, seeds)
        walker = _LookThrough(
            the_rule,
            edges,
            seeds,
            labels,
            listed_as,
            ofac_round,
            max_paths,
            max_depth,
            max_walk,
            cycle_budget,
        )
        out: dict[str, Aggregate] = {}
        for party in sorted(everyone):
            out[party] = walker.aggregate(
                party,
                owners_total=totals.get(party, 0.0),
                cycle=cycle_of.get(party, ()),
                warnings=party_warnings.get(party, []),
            )
        warnings.extend(walker.summary())
        rounds = 1 if any(a.by_ownership for a in out.values()) else 0
        return OwnershipAnalysis(the_rule, out, tuple(cycles), tuple(warnings), rounds)

    round_of, rounds = _fixpoint(the_rule, edges, holdings, seeds)
    builder = _Explainer(the_rule, edges, round_of, labels, listed_as, max_paths)
    out = {}
    for party in sorted(everyone):
        out[party] = builder.aggregate(
            party,
            owners_total=totals.get(party, 0.0),
            cycle=cycle_of.get(party, ()),
            warnings=party_warnings.get(party, []),
        )
    return OwnershipAnalysis(the_rule, out, tuple(cycles), tuple(warnings), rounds)


def _fixpoint(
    rule: Rule,
    edges: dict[str, dict[str, _Edge]],
    holdings: Mapping[str, list[str]],
    seeds: Collection[str],
) -> tuple[dict[str, int], int]:
    """The least fixpoint, in rounds, so that each blocked party's round says what it rests on.

    Returns party -> the round it became blocked in (0: listed), and the number of rounds.
    """
    round_of: dict[str, int] = {s: 0 for s in seeds}
    acc: dict[str, float] = defaultdict(float)
    controlled: set[str] = set()
    frontier = sorted(seeds)
    rounds = 0
    while frontier:
        touched: set[str] = set()
        for owner in frontier:
            for owned in holdings.get(owner, ()):
                if owned in round_of:
                    continue
                edge = edges[owned][owner]
                if edge.share:
                    acc[owned] += edge.share
                if edge.control:
                    controlled.add(owned)
                touched.add(owned)
        newly = sorted(
            p for p in touched if rule.meets(min(acc[p], 1.0)) or (rule.control and p in controlled)
        )
        if newly:
            rounds += 1
        for party in newly:
            round_of[party] = rounds
        frontier = newly
    return round_of, rounds


def effective_ownership(
    links: Iterable[OwnershipLink],
    blocked: Collection[str] | Mapping[str, str],
    *,
    rule: str | Rule = OFAC_50,
    names: Mapping[str, str] | None = None,
) -> dict[str, Aggregate]:
    """For each party, the aggregate share held directly or indirectly by blocked persons."""
    return analyse(links, blocked, rule=rule, names=names).parties


# ---- explanations ---------------------------------------------------------------------------


class _Names(ABC):
    """What every rule's explainer has: display names, and the explanation of one result."""

    names: dict[str, str]
    listed_as: dict[str, str]

    def label(self, party: str) -> str:
        return self.names.get(party, party)

    def tag(self, party: str) -> str:
        """A party as a path starts from it: ``X (listed: US OFAC SDN List)``."""
        listing = self.listed_as.get(party)
        return f"{self.label(party)} (listed{': ' + listing if listing else ''})"

    @abstractmethod
    def explain(self, agg: Aggregate) -> _Explained: ...


class _Explainer(_Names):
    """The fixpoint rules' results and explanations (``ofac_50``, ``eu_uk_control``)."""

    def __init__(
        self,
        rule: Rule,
        edges: dict[str, dict[str, _Edge]],
        round_of: dict[str, int],
        names: dict[str, str],
        listed_as: dict[str, str],
        max_paths: int,
    ) -> None:
        self.rule = rule
        self.edges = edges
        self.round_of = round_of
        self.names = names
        self.listed_as = listed_as
        self.max_paths = max_paths
        self._shares: dict[str, float] = {}
        self._owners: dict[str, list[tuple[str, _Edge]]] = {}
        self._why: dict[str, str] = {}

    def blocked_owners(self, party: str) -> list[tuple[str, _Edge]]:
        if party not in self._owners:
            owners = [(o, e) for o, e in self.edges.get(party, {}).items() if o in self.round_of]
            owners.sort(key=lambda oe: (-(oe[1].share or 0.0), not oe[1].control, oe[0]))
            self._owners[party] = owners
        return self._owners[party]

    def share(self, party: str) -> float:
        if party not in self._shares:
            self._shares[party] = sum(e.share or 0.0 for _, e in self.blocked_owners(party))
        return self._shares[party]

    def relevant(self, edge: _Edge) -> bool:
        return bool(edge.share) or (self.rule.control and edge.control)

    def counted(self, party: str, owner: str, edge: _Edge) -> bool:
        """Does the party's determination rest on this owner's stake?"""
        party_round = self.round_of.get(party)
        if party_round == 0 or not self.relevant(edge):
            return False
        return party_round is None or self.round_of[owner] < party_round

    def paths(self, party: str) -> Iterator[tuple[Step, ...]]:
        """Paths from listed parties, each intermediate blocked in an earlier round.

        Rounds strictly fall along a path, so paths never loop. The walk is iterative (a chain
        can be deeper than the recursion limit), keeps the path built so far as a linked list
        (no copying per step), and takes the biggest stakes first.
        """
        stack: list[tuple[str, _Chain | None]] = [(party, None)]
        while stack:
            node, chain = stack.pop()
            if chain is not None and self.round_of.get(node) == 0:
                path: list[Step] = []
                link: _Chain | None = chain
                while link is not None:
                    path.append(link[0])
                    link = link[1]
                yield tuple(path)
                continue
            more = [
                (owner, (Step(owner, node, _percent(edge.share), edge.control), chain))
                for owner, edge in self.blocked_owners(node)
                if self.counted(node, owner, edge)
            ]
            stack.extend(reversed(more))

    def step_text(self, step: Step) -> str:
        owned = self.label(step.owned)
        if step.percentage is not None and step.control and self.rule.control:
            return f"owns {_num(step.percentage)}% of {owned} and controls it"
        if step.percentage is not None:
            return f"owns {_num(step.percentage)}% of {owned}"
        return f"controls {owned}"

    def why_blocked(self, party: str) -> str:
        """Why an intermediate party is blocked, in a few words."""
        if party not in self._why:
            word = self.rule.word
            share = sum(
                e.share or 0.0
                for o, e in self.blocked_owners(party)
                if self.counted(party, o, e) and e.share
            )
            if self.rule.meets(min(share, 1.0)):
                self._why[party] = f"{_pct(min(share, 1.0))} owned by {word} persons"
            else:
                self._why[party] = f"controlled by a {word} person"
        return self._why[party]

    def sentence(self, path: tuple[Step, ...]) -> str:
        first = path[0]
        parts = [f"{self.tag(first.owner)} {self.step_text(first)}"]
        for step in path[1:]:
            parts.append(
                f"{self.label(step.owner)} is {self.rule.word} "
                f"({self.why_blocked(step.owner)}) and {self.step_text(step)}"
            )
        return "; ".join(parts)

    def aggregate(
        self,
        party: str,
        *,
        owners_total: float,
        cycle: tuple[str, ...],
        warnings: list[str],
    ) -> Aggregate:
        owners = self.blocked_owners(party)
        stated = self.share(party)
        share = min(stated, 1.0)
        party_round = self.round_of.get(party)
        listed = party_round == 0
        contributions = tuple(
            Contribution(
                owner=o,
                percentage=_percent(e.share),
                control=e.control,
                owner_listed=self.round_of[o] == 0,
                counted=self.counted(party, o, e),
                sources=tuple(e.sources),
            )
            for o, e in owners
        )
        return Aggregate(
            party=party,
            name=self.label(party),
            rule=self.rule.name,
            listed=listed,
            blocked=party_round is not None,
            share=share,
            stated_share=stated,
            control=any(e.control for _, e in owners),
            owners_total=owners_total,
            round=party_round,
            contributions=contributions,
            cycle=cycle,
            warnings=tuple(warnings),
            cautions=tuple(self.cautions(party, owners, share, party_round)),
            listed_as=self.listed_as.get(party) if listed else None,
            explainer=self,
        )

    def explain(self, agg: Aggregate) -> _Explained:
        rule = self.rule
        word = rule.word
        party, name, share = agg.party, agg.name, agg.share
        owners = self.blocked_owners(party)
        paths: list[tuple[Step, ...]] = []
        truncated = False
        for path in self.paths(party):
            if len(paths) == self.max_paths:
                truncated = True
                break
            paths.append(path)
        sentences = tuple(self.sentence(p) for p in paths)
        if agg.listed:
            listing = agg.listed_as
            head = f"{name} is listed itself{' (' + listing + ')' if listing else ''}: {word}."
            if agg.stated_share:
                head += f" {word.capitalize()} persons also own {_pct(share)} of it."
        elif agg.blocked:
            counted_stated = sum(e.share or 0.0 for o, e in owners if self.counted(party, o, e))
            counted_share = min(counted_stated, 1.0)
            if rule.meets(counted_share):
                capped = (
                    f" (stated: {_pct(counted_stated)}, capped)" if counted_stated > 1 + EPS else ""
                )
                head = (
                    f"{name} is treated as {word} under {rule.title}: {word} persons own "
                    f"{_pct(counted_share)}{capped} of it in aggregate ({rule.test_text} is "
                    "enough)."
                )
            else:
                controller = next(o for o, e in owners if e.control and self.counted(party, o, e))
                head = (
                    f"{name} is treated as {word} under {rule.title}: it is controlled by "
                    f"{self.label(controller)}, a {word} person."
                )
            late = [
                self.label(c.owner)
                for c in agg.contributions
                if not c.counted and (c.percentage or (c.control and rule.control))
            ]
            if late:
                head += (
                    f" {', '.join(late)} ({word} only after it, through its own holdings) "
                    f"{'also hold' if len(late) > 1 else 'also holds'} a stake: with it, "
                    f"{word} persons own {_pct(share)}."
                )
        elif owners:
            head = (
                f"{name} is not {word} under {rule.title}: {word} persons own {_pct(share)} of "
                f"it in aggregate ({rule.test_text} would be needed)."
            )
        else:
            head = f"{name} is not {word} under {rule.title}: no {word} person owns any of it."
        text = head
        if sentences:
            text += " Via: " + "; and ".join(sentences) + "."
        if truncated:
            text += f" (Only the first {self.max_paths} paths are shown.)"
        for note in agg.warnings:
            text += f" Warning: {note}."
        return _Explained(tuple(paths), truncated, sentences, text)

    def cautions(
        self,
        party: str,
        owners: list[tuple[str, _Edge]],
        share: float,
        party_round: int | None,
    ) -> list[str]:
        rule = self.rule
        word = rule.word
        out: list[str] = []
        if party_round is None and share > 0:
            if not rule.control:
                out.append(
                    f"{word} persons own {_pct(share)}: below the 50% rule, but OFAC urges "
                    "caution with entities in which blocked persons hold a significant "
                    "interest (FAQ 398)"
                )
            else:
                out.append(
                    f"{word} persons own {_pct(share)}: not enough on ownership alone; check "
                    "whether they control it by other means"
                )
        if not rule.control:
            for owner, edge in owners:
                if edge.control:
                    out.append(
                        f"{self.label(owner)} ({word}) is stated to control it: control alone "
                        "does not block under the 50% rule, but OFAC urges caution (FAQ 398)"
                    )
        for owner, edge in owners:
            if edge.share is None and not (rule.control and edge.control):
                out.append(
                    f"{self.label(owner)} ({word}) holds a stake of unknown size: the "
                    "aggregate may be higher"
                )
        if party_round is not None and party_round > 0 and rule.control:
            counted = [(o, e) for o, e in owners if self.counted(party, o, e)]
            by_control = any(e.control for _, e in counted)
            single = any(rule.meets(e.share or 0.0) for _, e in counted)
            if not by_control and not single and len(counted) > 1:
                out.append(
                    "frozen only by adding the stakes of several frozen owners: the EU "
                    "aggregates them, but OFSI (UK) would not without a joint arrangement "
                    "between them (general guidance 4.14)"
                )
        return out


@dataclass
class _Sum:
    """What listed persons hold of one party under the look-through, over all its paths."""

    total: float = 0.0  # the sum of the products over the paths of known stakes: exact
    paths: int = 0  # how many such paths there are
    # The same by listed person, for the result's contributions. A person whose stake through
    # an owner is negligible (under _ITEMISED) is not carried on below it: on deep groups
    # every listed person can be an ancestor of every party, at stakes like 10^-30.
    by_owner: dict[str, float] = field(default_factory=dict)
    # listed person -> one of its paths of known stakes (last step first), to extend downwards
    routes: dict[str, _Chain | None] = field(default_factory=dict)
    # listed person -> one path through a stake of unknown size (at most _UNKNOWN_SHOWN)
    unknown: dict[str, _Chain] = field(default_factory=dict)
    sources: dict[str, dict[str, None]] = field(default_factory=dict)  # along its paths
    stopped: bool = False  # a walk inside an ownership cycle, here or above, hit its bound
    cut: bool = False  # ... or left out paths over max_depth links

    def absorb(
        self,
        upstream: _Sum,
        share: float | None,
        extend: Callable[[_Chain | None], _Chain],
        sources: Iterable[str],
        exclude: str | None = None,
    ) -> None:
        """Add ``upstream``'s paths continued down to here by links of product ``share``.

        ``share`` is None when a link of unknown size is among them; ``extend`` continues an
        upstream path; ``exclude`` leaves out the paths of one listed person (a listed
        party's own result: the paths starting at it are not stakes in it).
        """
        self.stopped = self.stopped or upstream.stopped
        self.cut = self.cut or upstream.cut
        if share is not None:
            own = upstream.by_owner.get(exclude, 0.0) if exclude else 0.0
            self.total += (upstream.total - own) * share
            self.paths += upstream.paths
        added = tuple(sources)
        for owner, route in upstream.routes.items():
            if owner == exclude:
                continue
            if share is None:
                if owner not in self.unknown and len(self.unknown) < _UNKNOWN_SHOWN:
                    self.unknown[owner] = extend(route)
                continue
            value = upstream.by_owner[owner] * share
            if value < _ITEMISED and owner not in self.by_owner:
                continue
            self.by_owner[owner] = self.by_owner.get(owner, 0.0) + value
            if owner not in self.routes:
                self.routes[owner] = extend(route)
            mine = self.sources.setdefault(owner, {})
            mine.update(upstream.sources.get(owner, {}))
            mine.update(dict.fromkeys(added))
        for owner, chain in upstream.unknown.items():
            known = owner == exclude or owner in self.unknown
            if not known and len(self.unknown) < _UNKNOWN_SHOWN:
                self.unknown[owner] = extend(chain)
                mine = self.sources.setdefault(owner, {})
                mine.update(upstream.sources.get(owner, {}))
                mine.update(dict.fromkeys(added))


_EMPTY: Final = _Sum()


class _LookThrough(_Names):
    """The multiplied look-through (``look_through_50``): effective ownership.

    A party's share is the sum, over every simple ownership path from a listed person to it,
    of the product of the stakes along the path. A path ends at the first listed person met
    going up: a listed owner's whole stake already counts, so a path running on through it to
    its own listed owners would count the same shares twice.

    The sum is worked out link by link, owners before what they own: outside ownership cycles
    a party's share is the sum over its owners of stake × the owner's share (1 for a listed
    owner), exact whatever the depth, with no path enumerated. Only inside a cycle (a strongly
    connected component) does "never revisit a party" need the paths themselves, and only
    there are they enumerated, within ``max_depth`` links inside the cycle and ``max_walk``
    partial paths per party. A path leaves a component for good once it leaves it, so the
    parts outside come from the owners' sums.
    """

    def __init__(
        self,
        rule: Rule,
        edges: dict[str, dict[str, _Edge]],
        seeds: set[str],
        names: dict[str, str],
        listed_as: dict[str, str],
        ofac_round: dict[str, int],
        max_paths: int,
        max_depth: int,
        max_walk: int,
        cycle_budget: int,
    ) -> None:
        if max_depth < 1 or max_walk < 1:
            raise ValueError("max_depth and max_walk must be at least 1")
        self.cycle_budget = cycle_budget
        self.rule = rule
        self.edges = edges
        self.seeds = seeds
        self.names = names
        self.listed_as = listed_as
        self.ofac_round = ofac_round
        self.max_paths = max_paths
        self.max_depth = max_depth
        self.max_walk = max_walk
        self._owners: dict[str, list[tuple[str, _Edge]]] = {}
        self._units: dict[str, _Sum] = {}
        self.sums: dict[str, _Sum] = {}
        self.stopped: list[str] = []
        self.cut: list[str] = []
        self._compute()

    def owners(self, party: str) -> list[tuple[str, _Edge]]:
        """The owners of a party, biggest stakes first; a stated 0% stake leads nowhere."""
        if party not in self._owners:
            owners = [(o, e) for o, e in self.edges.get(party, {}).items() if e.share != 0]
            owners.sort(key=lambda oe: (-(oe[1].share or 0.0), oe[0]))
            self._owners[party] = owners
        return self._owners[party]

    def unit(self, listed: str) -> _Sum:
        """A listed person, as the start of its paths."""
        if listed not in self._units:
            self._units[listed] = _Sum(
                total=1.0,
                paths=1,
                by_owner={listed: 1.0},
                routes={listed: None},
                sources={listed: {}},
            )
        return self._units[listed]

    def upstream(self, owner: str) -> _Sum | None:
        return self.unit(owner) if owner in self.seeds else self.sums.get(owner)

    def _compute(self) -> None:
        # The graph paths run in: a listed party ends every path that reaches it, so links into
        # listed parties are left out, and with them every cycle through a listed party.
        succ: dict[str, list[str]] = defaultdict(list)
        for owned, owners in self.edges.items():
            if owned in self.seeds:
                continue
            for owner, edge in owners.items():
                if edge.share != 0:
                    succ[owner].append(owned)
        reached = set(self.seeds)  # only what listed persons reach can hold anything
        frontier = sorted(self.seeds)
        while frontier:
            node = frontier.pop()
            for owned in succ.get(node, ()):
                if owned not in reached:
                    reached.add(owned)
                    frontier.append(owned)
        inside = {n: sorted(t for t in succ.get(n, ()) if t in reached) for n in reached}
        components = _components(inside, sorted(reached))
        # The walks inside cycles share one budget, each party getting a fair part of what is
        # left, so that one huge cycle cannot take the analysis hostage.
        waiting = sum(len(c) for c in components if len(c) > 1)
        budget = self.cycle_budget
        for component in reversed(components):
            if len(component) == 1 and component[0] not in self.seeds:
                self.sums[component[0]] = self._linked(component[0])
            elif len(component) > 1:
                members = set(component)
                entries = self._entries(members)
                for party in component:
                    limit = min(self.max_walk, max(_MIN_WALK, budget // waiting))
                    self.sums[party], used = self._walked(party, members, entries, limit)
                    budget = max(0, budget - used)
                    waiting -= 1
        # A listed party's own share (what other listed persons hold of it), for its result.
        for party in sorted(self.seeds):
            self.sums[party] = self._linked(party, exclude=party)

    def _linked(self, party: str, exclude: str | None = None) -> _Sum:
        total = _Sum()
        for owner, edge in self.owners(party):
            up = self.upstream(owner)
            if up is None or owner == exclude:
                continue
            step = Step(owner, party, _percent(edge.share), edge.control)
            total.absorb(up, edge.share, _down(step, None), edge.sources, exclude)
        return total

    def _walked(
        self, party: str, members: set[str], entries: frozenset[str], limit: int
    ) -> tuple[_Sum, int]:
        """The sum for a party inside an ownership cycle, from its simple paths inside it.

        Returns it with the number of partial paths visited (at most ``limit``).
        """
        total = _Sum()
        stack: list[tuple[str, _Chain | None, float | None, int]] = [(party, None, 1.0, 0)]
        visits = 0
        while stack:
            if visits == limit:
                total.stopped = True
                break
            visits += 1
            node, chain, product, depth = stack.pop()
            more = []
            for owner, edge in self.owners(node):
                if owner in members:
                    if owner == party or _on_chain(chain, owner):
                        continue
                    if depth == self.max_depth:
                        if not total.cut:
                            total.cut = _continues(self, owner, members, entries, party, chain)
                        continue
                    step = Step(owner, node, _percent(edge.share), edge.control)
                    after = None if product is None or edge.share is None else product * edge.share
                    more.append((owner, (step, chain), after, depth + 1))
                    continue
                up = self.upstream(owner)  # where the path enters the cycle from above
                if up is None:
                    continue
                entry = Step(owner, node, _percent(edge.share), edge.control)
                factor = None if product is None or edge.share is None else product * edge.share
                total.absorb(up, factor, _down(entry, chain), _chain_sources(self, entry, chain))
            stack.extend(reversed(more))
        return total, visits

    def _entries(self, members: set[str]) -> frozenset[str]:
        """The members of a cycle that a path from a listed person can enter it by."""
        return frozenset(
            m
            for m in members
            if any(o not in members and self.upstream(o) for o, _ in self.owners(m))
        )

    def top(self, party: str) -> list[tuple[float, tuple[Step, ...]]]:
        """The ``max_paths`` paths of known stakes with the biggest products, biggest first.

        Best first: a stake is at most 100%, so a path's product never grows as it goes up, and
        paths come off the heap in falling order. Worked out only when an explanation is read.
        """
        out: list[tuple[float, tuple[Step, ...]]] = []
        heap: list[tuple[float, int, str, _Chain | None]] = [(-1.0, 0, party, None)]
        pushed = pops = 0
        while heap and len(out) < self.max_paths and pops < self.max_walk:
            pops += 1
            negative, _, node, chain = heapq.heappop(heap)
            if chain is not None and node in self.seeds:
                out.append((-negative, _unchain(chain)))
                continue
            for owner, edge in self.owners(node):
                if edge.share is None or owner == party or _on_chain(chain, owner):
                    continue
                if owner not in self.seeds and not self.sums.get(owner, _EMPTY).paths:
                    continue  # no path of known stakes reaches it
                pushed += 1
                step = Step(owner, node, _percent(edge.share), edge.control)
                heapq.heappush(heap, (negative * edge.share, pushed, owner, (step, chain)))
        return out

    def aggregate(
        self,
        party: str,
        *,
        owners_total: float,
        cycle: tuple[str, ...],
        warnings: list[str],
    ) -> Aggregate:
        found = self.sums.get(party, _EMPTY)
        listed = party in self.seeds
        stated = found.total
        share = min(stated, 1.0)
        blocked = listed or self.rule.meets(share)
        notes = list(warnings)
        if found.stopped:
            self.stopped.append(party)
            notes.append(
                "inside an ownership cycle at or above it, the look-through stopped walking "
                f"paths (too many): the {self.rule.word} persons' share may be higher"
            )
        if found.cut:
            self.cut.append(party)
            notes.append(
                f"inside an ownership cycle at or above it, paths longer than {self.max_depth} "
                f"links are not followed: the {self.rule.word} persons' share may be higher"
            )
        direct = self.edges.get(party, {})
        ranked = sorted(found.by_owner.items(), key=lambda ov: (-ov[1], ov[0]))
        ranked += sorted((o, 0.0) for o in found.unknown if o not in found.by_owner)
        contributions = tuple(
            Contribution(
                owner=owner,
                percentage=_percent(value) if owner in found.by_owner else None,
                control=owner in direct and direct[owner].control,
                owner_listed=True,
                counted=not listed and value > 0,
                sources=tuple(found.sources.get(owner, ())),
            )
            for owner, value in ranked
        )
        return Aggregate(
            party=party,
            name=self.label(party),
            rule=self.rule.name,
            listed=listed,
            blocked=blocked,
            share=share,
            stated_share=stated,
            control=any(e.control for o, e in direct.items() if o in self.seeds),
            owners_total=owners_total,
            # No rounds here: a determination rests on listed persons' stakes only. 1 marks
            # "blocked by ownership", as the first round of the fixpoint rules does.
            round=0 if listed else 1 if blocked else None,
            contributions=contributions,
            cycle=cycle,
            warnings=tuple(notes),
            cautions=tuple(self.cautions(party, found, share, listed, blocked)),
            listed_as=self.listed_as.get(party) if listed else None,
            explainer=self,
        )

    def route(self, chain: _Chain) -> str:
        path = _unchain(chain)[::-1]  # routes are kept last step first
        return " → ".join([self.label(path[0].owner), *(self.label(s.owned) for s in path)])

    def sentence(self, product: float, path: tuple[Step, ...]) -> str:
        """``X (listed) 60% → A 50% → B = 30%``."""
        parts = [self.tag(path[0].owner)]
        parts.extend(f"{_num(step.percentage or 0.0)}% → {self.label(step.owned)}" for step in path)
        return f"{' '.join(parts)} = {_pct(product)}"

    def cautions(
        self, party: str, found: _Sum, share: float, listed: bool, blocked: bool
    ) -> list[str]:
        word = self.rule.word
        out: list[str] = []
        if not blocked and share > 0:
            out.append(
                f"{word} persons own {_pct(share)} through multiplied stakes: below the 50% "
                "rule, but OFAC urges caution with entities in which blocked persons hold a "
                "significant interest (FAQ 398)"
            )
        if not listed:
            # The two readings part ways on chains of blocked entities (OFAC counts their whole
            # stake) and on stakes held through entities that are not blocked (OFAC: none).
            by_ofac = self.ofac_round.get(party, 0) > 0
            if by_ofac and not blocked:
                out.append(
                    f"{word} under {OFAC_50.title} (ofac_50): OFAC counts the whole stake of an "
                    "entity that is itself blocked and does not multiply stakes down the chain "
                    "(FAQ 401)"
                )
            elif blocked and not by_ofac:
                out.append(
                    f"not {word} under {OFAC_50.title} (ofac_50): OFAC does not count stakes "
                    "held through entities that are not themselves blocked (FAQ 401)"
                )
        for owner, edge in self.edges.get(party, {}).items():
            if owner in self.seeds and edge.control:
                out.append(
                    f"{self.label(owner)} ({word}) is stated to control it: control alone "
                    "does not block under the 50% rule, but OFAC urges caution (FAQ 398)"
                )
        for owner, chain in sorted(found.unknown.items()):
            out.append(
                f"{self.label(owner)} ({word}) holds a stake of unknown size "
                f"({self.route(chain)}): the aggregate may be higher"
            )
        return out

    def explain(self, agg: Aggregate) -> _Explained:
        rule, word, name = self.rule, self.rule.word, agg.name
        found = self.sums.get(agg.party, _EMPTY)
        shown = [] if agg.listed else self.top(agg.party)
        paths = tuple(path for _, path in shown)
        sentences = tuple(self.sentence(product, path) for product, path in shown)
        total = found.paths
        truncated = not agg.listed and len(paths) < total
        if agg.listed:
            listing = agg.listed_as
            head = f"{name} is listed itself{' (' + listing + ')' if listing else ''}: {word}."
            if agg.stated_share:
                head += f" {word.capitalize()} persons also own {_pct(agg.share)} of it."
        elif total or found.unknown:  # unknown stakes count 0%, and say so
            capped = (
                f" (stated: {_pct(agg.stated_share)}, capped)" if agg.stated_share > 1 + EPS else ""
            )
            verdict = f"is treated as {word}" if agg.blocked else f"is not {word}"
            need = "is enough" if agg.blocked else "would be needed"
            head = (
                f"{name} {verdict} under {rule.title}: {word} persons' stakes, multiplied along "
                f"each ownership path and added up, come to {_pct(agg.share)}{capped} of it "
                f"({rule.test_text} {need})."
            )
        else:
            head = (
                f"{name} is not {word} under {rule.title}: no {word} person owns any of it, "
                "directly or through other parties."
            )
        text = head
        if sentences:
            text += " Via: " + "; and ".join(sentences) + "."
        if truncated:
            text += f" (Only the {len(paths)} biggest of {total:,} paths are shown.)"
        for note in agg.warnings:
            text += f" Warning: {note}."
        return _Explained(paths, truncated, sentences, text)

    def summary(self) -> list[str]:
        """Analysis-wide warnings: where the walk's bounds may have hidden stakes."""
        out = []
        for parties, why in (
            (self.stopped, "stopped walking paths (too many)"),
            (self.cut, f"did not follow paths longer than {self.max_depth} links"),
        ):
            if parties:
                shown = ", ".join(self.label(p) for p in parties[:5])
                more = f" and {len(parties) - 5:,} more" if len(parties) > 5 else ""
                out.append(
                    f"inside ownership cycles the look-through {why} for {len(parties):,} "
                    f"part{'y' if len(parties) == 1 else 'ies'} ({shown}{more}): their "
                    f"{self.rule.word} persons' share may be higher"
                )
        return out


def _down(entry: Step, chain: _Chain | None) -> Callable[[_Chain | None], _Chain]:
    """Continue an owner's path (last step first) by ``entry`` and then a walk's steps."""

    def extend(route: _Chain | None) -> _Chain:
        out: _Chain = (entry, route)
        link = chain  # the walk's steps, topmost first: each goes below the previous
        while link is not None:
            out = (link[0], out)
            link = link[1]
        return out

    return extend


def _continues(
    walker: _LookThrough,
    start: str,
    members: set[str],
    entries: frozenset[str],
    party: str,
    chain: _Chain | None,
) -> bool:
    """Could a path cut at the depth bound have gone on from ``start`` to enter the cycle?

    A search up from ``start`` avoiding the party and the path so far: what it finds is a
    simple continuation, so a cut is reported only when it really hides a path.
    """
    avoid = {party}
    link = chain
    while link is not None:
        avoid.add(link[0].owner)
        link = link[1]
    seen = {start}
    frontier = [start]
    while frontier:
        node = frontier.pop()
        if node in entries:
            return True
        for owner, _ in walker.owners(node):
            if owner in members and owner not in seen and owner not in avoid:
                seen.add(owner)
                frontier.append(owner)
    return False


def _chain_sources(walker: _LookThrough, entry: Step, chain: _Chain | None) -> list[str]:
    out = list(walker.edges[entry.owned][entry.owner].sources)
    link = chain
    while link is not None:
        out.extend(walker.edges[link[0].owned][link[0].owner].sources)
        link = link[1]
    return out


def _unchain(chain: _Chain) -> tuple[Step, ...]:
    path: list[Step] = []
    link: _Chain | None = chain
    while link is not None:
        path.append(link[0])
        link = link[1]
    return tuple(path)


def _on_chain(chain: _Chain | None, party: str) -> bool:
    """Is ``party`` an owner on the path so far? (At most ``max_depth`` links to look at.)"""
    while chain is not None:
        if chain[0].owner == party:
            return True
        chain = chain[1]
    return False


def _cycle_text(cycle: tuple[str, ...], labels: Mapping[str, str], most: int = 12) -> str:
    shown = [labels.get(p, p) for p in cycle[:most]]
    if len(cycle) > most + 1:
        shown.append(f"… ({len(cycle) - most - 1} more)")
    if len(cycle) > most:
        shown.append(labels.get(cycle[-1], cycle[-1]))
    return " → ".join(shown)


def _percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 9)


def _num(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text or "0"


def _pct(share: float) -> str:
    return f"{_num(share * 100)}%"


def _pct_or_unknown(share: float | None) -> str:
    return "an unknown share" if share is None else _pct(share)


__all__ = [
    "CYCLE_BUDGET",
    "EU_UK_CONTROL",
    "LOOK_THROUGH_50",
    "MAX_DEPTH",
    "MAX_WALK",
    "OFAC_50",
    "RULES",
    "Aggregate",
    "Contribution",
    "OwnershipAnalysis",
    "OwnershipLink",
    "Rule",
    "Step",
    "analyse",
    "effective_ownership",
    "get_rule",
]
