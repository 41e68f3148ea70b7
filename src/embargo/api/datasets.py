"""Datasets as the API names them: a source (one list) or a collection of sources.

yente clients put a dataset in the URL (``/match/default``) and in ``include_dataset`` /
``exclude_dataset``. Here a dataset is an Embargo source name (``us_ofac_sdn``), one of the
collections below, or an OpenSanctions name for a list Embargo reads from its publisher
(``gb_hmt_sanctions`` is ``gb_ofsi``), so that existing clients keep working.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from embargo.errors import NotFoundError, QueryError
from embargo.sources.registry import SOURCES


@dataclass(frozen=True)
class Collection:
    name: str
    title: str
    summary: str
    sources: tuple[str, ...] | None  # None: every active source


COLLECTIONS: dict[str, Collection] = {
    c.name: c
    for c in (
        Collection("default", "All lists", "Every active list in the store.", None),
        Collection(
            "sanctions",
            "Sanctions lists",
            "Financial sanctions (asset freezes, sectoral and menu-based measures) of the US, "
            "EU, UK and UN.",
            ("us_ofac_sdn", "us_ofac_cons", "eu_fsf", "gb_fcdo", "gb_ofsi", "un_sc"),
        ),
        Collection(
            "export_control",
            "Export control and debarment lists",
            "The US Consolidated Screening List (BIS Entity, Denied Persons, Unverified and "
            "Military End-User lists, ITAR debarments, nonproliferation sanctions).",
            ("us_trade_csl",),
        ),
        Collection(
            "us",
            "United States lists",
            "OFAC's SDN and consolidated lists and the Consolidated Screening List.",
            ("us_ofac_sdn", "us_ofac_cons", "us_trade_csl"),
        ),
        Collection("eu", "European Union lists", "The EU consolidated list.", ("eu_fsf",)),
        Collection(
            "gb",
            "United Kingdom lists",
            "The UK Sanctions List and OFSI's (retired) consolidated list.",
            ("gb_fcdo", "gb_ofsi"),
        ),
        Collection("un", "United Nations lists", "The UN Security Council list.", ("un_sc",)),
    )
}

# OpenSanctions' names for lists Embargo reads straight from their publishers.
ALIASES: dict[str, str] = {
    "gb_hmt_sanctions": "gb_ofsi",
    "gb_fcdo_sanctions": "gb_fcdo",
    "un_sc_sanctions": "un_sc",
    "us_ofac": "us_ofac_sdn",
    "uk": "gb",
}


@dataclass(frozen=True)
class Scope:
    """The sources one request screens against."""

    dataset: str
    sources: tuple[str, ...] | None  # None: every active source, no filter needed
    missing: tuple[str, ...] = ()  # sources of the dataset that are not loaded
    ignored: tuple[str, ...] = field(default=())  # unknown names in exclude_dataset

    def to_dict(self) -> dict[str, object]:
        return {
            "dataset": self.dataset,
            "sources": list(self.sources) if self.sources is not None else "all",
            "not_loaded": list(self.missing),
            "ignored": list(self.ignored),
        }


def _members(name: str, active: frozenset[str]) -> tuple[str, ...] | None:
    """The sources a dataset name stands for (None: all), or raise if it is unknown."""
    name = ALIASES.get(name, name)
    collection = COLLECTIONS.get(name)
    if collection is not None:
        return collection.sources
    if name in active or name in SOURCES:
        return (name,)
    raise NotFoundError(name)


def resolve(
    dataset: str,
    active: Iterable[str],
    *,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
) -> Scope:
    """Turn a dataset plus include/exclude lists into the sources to screen.

    An unknown dataset is a ``NotFoundError`` (404); a dataset none of whose lists is loaded
    is one too, because screening it would report "no match" for lists never checked. An
    unknown name in ``include_dataset`` is a ``QueryError`` (400) for the same reason; one in
    ``exclude_dataset`` is ignored (excluding nothing more is safe) and reported.
    """
    live = frozenset(active)
    include = list(include)
    exclude = list(exclude)
    try:
        members = _members(dataset, live)
    except NotFoundError:
        known = sorted({*COLLECTIONS, *SOURCES, *live})
        raise NotFoundError(
            f"no such dataset {dataset!r}; known datasets: {', '.join(known)}"
        ) from None
    wanted = set(live) if members is None else set(members)
    missing = tuple(sorted(wanted - live))
    wanted &= live
    if include:
        chosen: set[str] = set()
        unknown: list[str] = []
        for name in include:
            try:
                part = _members(name, live)
            except NotFoundError:
                unknown.append(name)
                continue
            chosen |= set(live) if part is None else set(part)
        if unknown:
            raise QueryError(f"include_dataset: unknown dataset(s) {', '.join(sorted(unknown))}")
        wanted &= chosen
    ignored: list[str] = []
    for name in exclude:
        try:
            part = _members(name, live)
        except NotFoundError:
            ignored.append(name)
            continue
        wanted -= set(live) if part is None else set(part)
    if not wanted and not include and not exclude:
        raise NotFoundError(
            f"dataset {dataset!r} has no list loaded"
            + (f" ({', '.join(missing)} not loaded)" if missing else "")
            + "; run `embargo update`"
        )
    unfiltered = members is None and not include and wanted == set(live)
    return Scope(
        dataset=dataset,
        sources=None if unfiltered else tuple(sorted(wanted)),
        missing=missing,
        ignored=tuple(ignored),
    )


def collections_of(source: str) -> list[str]:
    return [c.name for c in COLLECTIONS.values() if c.sources is None or source in c.sources]
