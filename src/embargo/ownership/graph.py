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

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final, NamedTuple

EPS: Final = 1e-9  # stakes are sums of decimal percentages: compare with a little slack
MAX_PATHS: Final = 20


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
RULES: Final[dict[str, Rule]] = {r.name: r for r in (OFAC_50, EU_UK_CONTROL)}


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
    """A stake in a party held by a blocked owner."""

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
    explainer: _Explainer = field(repr=False, compare=False)

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


def _cycles(edges: dict[str, dict[str, _Edge]]) -> list[tuple[str, ...]]:
    """One closed cycle (A, B, ..., A) per strongly connected component with a cycle."""
    succ: dict[str, list[str]] = defaultdict(list)
    for owned, owners in edges.items():
        for owner in owners:
            succ[owner].append(owned)
    for targets in succ.values():
        targets.sort()
    nodes = sorted(set(succ) | set(edges))
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
                if len(component) > 1:
                    components.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
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
) -> OwnershipAnalysis:
    """Apply ``rule`` to the ownership graph whose listed (blocked) parties are ``blocked``.

    ``blocked`` may map each listed party to a description of its listing ("US OFAC SDN
    List"), used in explanations. ``names`` gives display names for party ids; ``parties``
    adds parties that no link names, so that they get a result too.
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

    # Least fixpoint, in rounds, so that each blocked party's round says what it rests on.
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
            p
            for p in touched
            if the_rule.meets(min(acc[p], 1.0)) or (the_rule.control and p in controlled)
        )
        if newly:
            rounds += 1
        for party in newly:
            round_of[party] = rounds
        frontier = newly

    cycles = _cycles(edges)
    cycle_of: dict[str, tuple[str, ...]] = {}
    cycle_texts: list[str] = []
    for cycle in cycles:
        for member in cycle:
            cycle_of[member] = cycle  # shared, not copied: a cycle can hold every party
        cycle_texts.append(_cycle_text(cycle, labels))
        warnings.append(
            f"ownership cycle: {cycle_texts[-1]} (handled: a cycle never blocks itself)"
        )

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

    builder = _Explainer(the_rule, edges, round_of, labels, listed_as, max_paths)
    out: dict[str, Aggregate] = {}
    for party in sorted(everyone):
        out[party] = builder.aggregate(
            party,
            owners_total=totals.get(party, 0.0),
            cycle=cycle_of.get(party, ()),
            warnings=party_warnings.get(party, []),
        )
    return OwnershipAnalysis(the_rule, out, tuple(cycles), tuple(warnings), rounds)


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


class _Explainer:
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

    def label(self, party: str) -> str:
        return self.names.get(party, party)

    def tag(self, party: str) -> str:
        """A party as a path starts from it: ``X (listed: US OFAC SDN List)``."""
        listing = self.listed_as.get(party)
        return f"{self.label(party)} (listed{': ' + listing if listing else ''})"

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
    "EU_UK_CONTROL",
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
