"""FollowTheMoney (FtM) JSON lines: import ``entities.ftm.json`` / ``targets.nested.json``, and export.

FtM is the interchange model of OpenSanctions and the wider open-data ecosystem: one JSON
object per line, ``{id, caption, schema, properties: {prop: [values]}, datasets, target, ...}``.
A party (Person, Organization, Company, LegalEntity, Vessel, Airplane) is spread over several
entities: ``Sanction`` entities point at it through ``entity``, ``Identification``/``Passport``
through ``holder``, links (``Ownership``, ``Family``, ``Directorship``...) through their two
ends, and the party points at its ``Address`` entities through ``addressEntity``.
``targets.nested.json`` holds the same graph with the linked entities inlined as objects.

What the importer does:

* **Ids.** A target keeps its FtM id as its Embargo id (and ``source_id``), so screening
  results join back to the FtM source; ``referents`` (the publishers' own ids, e.g.
  ``ofac-32733``) are kept in ``extra["referents"]``, and a link that names an entity by one
  of its referents still finds it.
* **Source name.** ``ftm_<dataset>``, the dataset being the first entry of ``datasets`` on the
  file's first line (``ftm_eu_fsf``); ``ftm_<folder>`` when the first line names none.
* **Targets only.** Parties with ``"target": false`` are context (the companies a sanctioned
  person owns, a PEP's relatives): they name the other end of relations and are reported with
  ``report.skip`` when they stand on their own line; they are not screened.
* **Listings.** Each ``Sanction`` becomes a listing on its target, built by the ``measures``
  builder that fits the sanction's dataset or authority (OFAC, EU, UN, UK, US CSL); any other
  authority gets a ``Measure.OTHER`` listing that names it (``measures.generic_listing``). A
  sanction whose ``status`` says it ended (``expired``, ``inactive``, ...) is skipped, not
  listed. A target with no ``Sanction`` entity but the topic
  ``sanction`` (OpenSanctions' eu_fsf sample has none) gets the listing of each dataset it
  comes from that is one known list (``eu_fsf`` -> EU), or else one ``OTHER`` listing naming
  its datasets, so that a match still reads as a sanctions hit. A target with neither (a PEP)
  gets no listing: it is screenable and a match says who the party is, but it is not a
  sanctions hit; ``topics`` stay in ``extra`` so a screener can say "politically exposed".
* **Nothing silent.** Every line and every linked entity is used or reported: an ``Address``
  no target uses, a ``Passport`` without a number, a link between two non-targets, an entity
  of a schema Embargo does not read (Payment, Event, ...) are each ``report.skip``-ed.

The exporter (``to_ftm``, ``write_ftm``) writes an entity as its party entity plus one
``Sanction`` per listing, ``Address`` entities for structured addresses and ``Identification``
/``Passport``/``CryptoWallet`` entities where a flat identifier property would lose the
country, the publisher's label or the type. Ids of these are derived from the party id and
their content, so exporting twice gives the same file. FtM ids allow only letters, digits,
``.`` and ``-``: an Embargo id such as ``us_ofac_sdn-35096`` is written as
``us-ofac-sdn-35096`` with the original in ``referents``, and the importer gives it back. FtM
has no property for the name of a list, so a listing's list goes into the Sanction's
``summary``, its source into the Sanction's ``datasets`` and ``publisher`` says "Embargo", which
tells the importer to trust that summary.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO

import msgspec

from embargo.errors import ParseError
from embargo.model import (
    Address,
    BirthDate,
    Entity,
    Identifier,
    IdType,
    Listing,
    Name,
    NameKind,
    Relation,
    Schema,
)
from embargo.model.measures import (
    csl_list_code,
    csl_listing,
    eu_listing,
    generic_listing,
    ofac_listing,
    uk_listing,
    un_listing,
)
from embargo.model.values import (
    clean,
    country_code,
    id_type,
    make_name,
    mark_original_scripts,
    parse_birth_date,
    parse_date,
    parse_gender,
)
from embargo.sources.base import HEAD_BYTES, FormatSpec, ParseReport, text_head

SOURCE_PREFIX: Final = "ftm_"

PARTY_SCHEMAS: Final[dict[str, Schema]] = {
    "Person": Schema.PERSON,
    "Organization": Schema.ORGANIZATION,
    "PublicBody": Schema.ORGANIZATION,
    "Company": Schema.COMPANY,
    "LegalEntity": Schema.UNKNOWN,
    "Vessel": Schema.VESSEL,
    "Airplane": Schema.AIRCRAFT,
    "Aircraft": Schema.AIRCRAFT,
}
# FtM calls an aircraft an Airplane; the other Embargo schema values are FtM names already.
FTM_SCHEMA: Final[dict[Schema, str]] = {
    Schema.PERSON: "Person",
    Schema.ORGANIZATION: "Organization",
    Schema.COMPANY: "Company",
    Schema.UNKNOWN: "LegalEntity",
    Schema.VESSEL: "Vessel",
    Schema.AIRCRAFT: "Airplane",
}

_NAME_PROPS: Final = {
    "name": NameKind.ALIAS,  # the caption among them is the primary name
    "alias": NameKind.ALIAS,
    "weakAlias": NameKind.WEAK,
    "abbreviation": NameKind.WEAK,  # short forms match far too much to be strong aliases
    "previousName": NameKind.FORMER,
}
_PART_PROPS: Final = {
    "firstName": "first",
    "secondName": "middle",
    "middleName": "middle",
    "fatherName": "patronymic",
    "lastName": "last",
}
# FtM's identifier properties; their types are the ones ``values.id_type`` gives them.
ID_PROPS: Final[dict[str, IdType]] = {
    prop: id_type(prop)
    for prop in (
        "passportNumber", "idNumber", "socialSecurityNumber", "taxNumber", "innCode",
        "vatCode", "irsCode", "registrationNumber", "ogrnCode", "okpoCode", "uscCode",
        "dunsCode", "uniqueEntityId", "licenseNumber", "npiCode", "bvdId", "permId", "kppCode",
        "cageCode", "isinCode", "ricCode", "bikCode", "imoNumber", "mmsi", "leiCode",
        "swiftBic", "serialNumber", "icaoCode",
    )
}  # fmt: skip
_DEFAULT_ID_PROP: Final[dict[IdType, str]] = {
    IdType.PASSPORT: "passportNumber",
    IdType.NATIONAL_ID: "idNumber",
    IdType.SOCIAL_SECURITY: "socialSecurityNumber",
    IdType.TAX_ID: "taxNumber",
    IdType.REGISTRATION: "registrationNumber",
    IdType.IMO: "imoNumber",
    IdType.MMSI: "mmsi",
    IdType.LEI: "leiCode",
    IdType.SWIFT_BIC: "swiftBic",
    IdType.AIRCRAFT: "registrationNumber",
}
_COUNTRY_PROPS: Final = {
    "nationality": "nationalities",
    "citizenship": "citizenships",
    "country": "countries",
    "jurisdiction": "countries",
    "mainCountry": "countries",
    "birthCountry": "countries",
    "flag": "countries",
}
_REMARK_PROPS: Final = ("notes", "summary", "description")
# Properties holding other entities' ids: used to resolve links, never copied to ``extra``.
_REF_PROPS: Final = frozenset({"addressEntity", "owner", "operator", "parent", "proof"})
_PARTY_LINKS: Final = {"owner": "owned-by", "operator": "operated-by", "parent": "subsidiary-of"}
# FtM metadata outside ``properties`` that is worth keeping.
_META: Final = ("datasets", "referents", "first_seen", "last_seen", "last_change")

# Link schemas: (source property, target property, kind on the source, kind on the target,
# property naming the relationship). A relation's kind reads from the entity holding it:
# "owns" on the owner names the asset, "owned-by" on the asset names the owner.
_LINKS: Final[dict[str, tuple[str, str, str, str, str | None]]] = {
    "Ownership": ("owner", "asset", "owns", "owned-by", None),
    "Directorship": ("director", "organization", "director-of", "has-director", "role"),
    "Membership": ("member", "organization", "member-of", "has-member", "role"),
    "Employment": ("employee", "employer", "employee-of", "employer-of", "role"),
    "Representation": ("agent", "client", "agent-of", "represented-by", "role"),
    "Family": ("person", "relative", "relative", "relative-of", "relationship"),
    "Associate": ("person", "associate", "associate", "associate-of", "relationship"),
    "UnknownLink": ("subject", "object", "linked-to", "linked-to", "role"),
    "Succession": ("predecessor", "successor", "predecessor-of", "successor-of", None),
    "Control": ("controller", "controlled", "controls", "controlled-by", "role"),
}
_ENDED_STATUS = re.compile(
    r"^(expired|inactive|revoked|lifted|delisted|removed|terminated|suspended|ended)\b", re.I
)
_HYPHENS = re.compile(r"[\u2010-\u2015]")
_IMO_PREFIX = re.compile(r"^IMO\s*", re.I)

# ---- which listing builder a sanction calls ------------------------------------------------

# Dataset names (Embargo source names and OpenSanctions dataset names) of the lists the
# ``measures`` builders know.
DATASET_BUILDERS: Final[dict[str, str]] = {
    "us_ofac_sdn": "ofac-sdn",
    "us_ofac_cons": "ofac-cons",
    "eu_fsf": "eu",
    "un_sc": "un",
    "un_sc_sanctions": "un",
    "gb_fcdo": "uk-fcdo",
    "gb_fcdo_sanctions": "uk-fcdo",
    "gb_ofsi": "uk-ofsi",
    "gb_hmt_sanctions": "uk-ofsi",
    "us_trade_csl": "csl",
}
# The authority names the ``measures`` builders write: an exact match is an Embargo export.
_EMBARGO_AUTHORITIES: Final[dict[str, str]] = {
    "US OFAC": "ofac",
    "EU": "eu",
    "UN Security Council": "un",
    "UK FCDO": "uk-fcdo",
    "UK OFSI": "uk-ofsi",
    "UK HM Treasury (OFSI)": "uk-ofsi",  # the name earlier exports wrote
    "US BIS": "csl",
    "US State Department (DDTC)": "csl",
    "US State Department (ISN)": "csl",
    "US government": "csl",
}
_UK_AUTHORITIES: Final = {
    "uk-fcdo": ("UK FCDO", "UK Sanctions List"),
    "uk-ofsi": ("UK OFSI", "OFSI Consolidated List"),  # as uk_ofsi writes them
}
# Written into ``publisher`` of every Sanction Embargo exports, so the importer can trust the
# list name it put in ``summary``.
EMBARGO_PUBLISHER: Final = "Embargo"


def _authority_builder(authorities: Sequence[str]) -> str | None:
    """The builder an authority's own name points to, when the dataset does not say."""
    for raw in authorities:
        text = _HYPHENS.sub("-", raw).lower().strip()
        if "office of foreign assets control" in text:
            return "ofac"
        if text == "european union" or "directorate-general for financial stab" in text:
            return "eu"
        if text == "european commission":
            return "eu"
        if "security council" in text:
            return "un"
        if "commonwealth" in text or "fcdo" in text.split():
            return "uk-fcdo"
        if "financial sanctions implementation" in text:
            return "uk-ofsi"
        if csl_list_code(raw) is not None:
            return "csl"
    return None


def _list_name(summaries: Sequence[str], trusted: bool) -> str | None:
    """A Sanction ``summary`` that names a list (Embargo writes the list there)."""
    for text in summaries:
        if trusted or (len(text) <= 100 and ("list" in text.lower() or csl_list_code(text))):
            return text
    return None


def sanction_listing(
    source: str,
    *,
    datasets: Sequence[str],
    authorities: Sequence[str],
    programs: Sequence[str],
    program_ids: Sequence[str] = (),
    provisions: Sequence[str] = (),
    reasons: Sequence[str] = (),
    summaries: Sequence[str] = (),
    listed_on: str | None = None,
    reference: str | None = None,
    url: str | None = None,
    trusted: bool = False,
) -> Listing:
    """A listing for one FtM ``Sanction``, by the builder its authority or dataset calls for.

    An authority named exactly as Embargo names it comes first (an Embargo export), then the
    dataset (OpenSanctions names each list's dataset), then the authority's own wording.
    ``trusted`` says ``summary`` is the list name (Embargo wrote it).
    """
    exact = next((a for a in authorities if a in _EMBARGO_AUTHORITIES), None)
    kind = _EMBARGO_AUTHORITIES[exact] if exact else None
    kind = kind or next((DATASET_BUILDERS[d] for d in datasets if d in DATASET_BUILDERS), None)
    kind = kind or _authority_builder(authorities)
    list_name = _list_name(summaries, trusted)
    legal_basis = "; ".join(reasons) or None
    if kind in ("ofac", "ofac-sdn", "ofac-cons"):
        if kind == "ofac":
            upper = (list_name or "SDN").upper()
            sdn = "SDN" in upper and "NON-SDN" not in upper
        else:
            sdn = kind == "ofac-sdn"
        return ofac_listing(
            source,
            programs or program_ids,
            sdn=sdn,
            list_name=None if sdn else list_name,
            measures=provisions,
            listed_on=listed_on,
            legal_basis=legal_basis,
            reference=reference,
            url=url,
        )
    if kind == "eu":
        return eu_listing(
            source,
            programs[0] if programs else None,
            listed_on=listed_on,
            legal_basis=legal_basis,
            reference=reference,
            url=url,
        )
    if kind == "un":
        return un_listing(
            source,
            programs[0] if programs else None,
            listed_on=listed_on,
            reference=reference,
            url=url,
        )
    if kind in ("uk-fcdo", "uk-ofsi"):
        authority, default_list = _UK_AUTHORITIES[kind]
        return uk_listing(
            source,
            programs[0] if programs else None,
            sanctions_imposed=provisions,
            authority=exact or authority,
            list_name=list_name or default_list,
            listed_on=listed_on,
            reference=reference,
            url=url,
        )
    if kind == "csl":
        label = list_name
        rest = list(programs)
        if label is None:
            label = next((p for p in programs if csl_list_code(p)), None)
            rest = [p for p in programs if p != label]
        if label is None:
            label = next((a for a in authorities if csl_list_code(a)), None)
        label = label or (authorities[0] if authorities else "Consolidated Screening List")
        requirement = _prefixed(provisions, "Licence requirement: ") or (
            None if trusted or not reasons else reasons[0]
        )
        policy = _prefixed(provisions, "Licence review policy: ")
        if policy is None and not trusted:
            policy = next(iter(provisions), None)
        return csl_listing(
            source,
            label,
            rest,
            license_requirement=requirement,
            license_policy=policy,
            listed_on=listed_on,
            legal_basis=legal_basis if trusted or not reasons else None,
            url=url,
        )
    authority = authorities[0] if authorities else (datasets[0] if datasets else "unknown")
    fallback = (programs[0] if programs else None) or (datasets[0] if datasets else authority)
    return generic_listing(
        source,
        authority,
        list_name or fallback,
        programs or program_ids,
        measures=provisions,
        listed_on=listed_on,
        legal_basis=legal_basis,
        reference=reference,
        url=url,
    )


def _prefixed(values: Sequence[str], prefix: str) -> str | None:
    for value in values:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return None


def dataset_listing(source: str, dataset: str, title: str | None = None) -> Listing:
    """The listing implied by being in a sanctions dataset, when no Sanction says more."""
    return sanction_listing(
        source,
        datasets=[dataset],
        authorities=[title or dataset],
        programs=[],
        summaries=[title] if title else [],
    )


# ---- reading -------------------------------------------------------------------------------


def _values(props: dict[str, Any], key: str) -> list[str]:
    raw = props.get(key)
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    out: list[str] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            continue
        text = clean(str(item))
        if text and text not in out:
            out.append(text)
    return out


def _first(props: dict[str, Any], key: str) -> str | None:
    values = _values(props, key)
    return values[0] if values else None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


_FTM_ID: Final = re.compile(r"^[0-9a-zA-Z]([0-9a-zA-Z.\-]*[0-9a-zA-Z])?$")


def ftm_id(value: str) -> str:
    """``value`` as a valid FtM id: letters, digits, dots and dashes (no ``_``, no ``:``).

    Embargo ids such as ``us_ofac_sdn-35096`` are not; the exporter writes the FtM-safe id and
    keeps the Embargo id in ``referents``, which the importer uses to give it back.
    """
    if _FTM_ID.match(value):
        return value
    safe = re.sub(r"[^0-9A-Za-z.\-]+", "-", value).strip(".-")
    return safe or hashlib.sha1(value.encode("utf-8")).hexdigest()


def _flatten(data: dict[str, Any], nested: list[dict[str, Any]]) -> set[str]:
    """Replace inlined entities in ``data["properties"]`` by their ids (in place).

    The inlined entities (flattened too) are appended to ``nested``; the names of the
    properties that held them are returned, since those are links, not attributes.
    """
    props = data.get("properties")
    link_props: set[str] = set()
    if not isinstance(props, dict):
        return link_props
    for key, raw in list(props.items()):
        if not isinstance(raw, list):
            raw = [raw]
        if not any(isinstance(v, dict) for v in raw):
            continue
        kept: list[Any] = []
        for value in raw:
            if isinstance(value, dict) and isinstance(value.get("id"), str):
                _flatten(value, nested)
                nested.append(value)
                kept.append(value["id"])
            elif not isinstance(value, dict):
                kept.append(value)
        props[key] = kept
        link_props.add(key)
    return link_props


@dataclass
class _Adjunct:
    data: dict[str, Any]
    where: str
    used: bool = False


@dataclass
class _Attachments:
    listings: list[Listing] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    positions: list[str] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)


class _Graph:
    """The entities of one file (or one nested line): targets, context parties, adjuncts."""

    def __init__(self, report: ParseReport) -> None:
        self.report = report
        self.captions: dict[str, str] = {}
        self.target_ids: set[str] = set()
        self.adjuncts: list[_Adjunct] = []
        self.addresses: dict[str, _Adjunct] = {}
        self.positions: dict[str, _Adjunct] = {}
        self.attach: dict[str, _Attachments] = {}
        self.aliases: dict[str, str] = {}
        self.original: dict[str, str] = {}
        self.unresolved = 0

    def canon(self, ref: str) -> str:
        """The id an entity has in this file, for a reference by one of its ``referents``."""
        return self.aliases.get(ref, ref)

    def refs(self, props: dict[str, Any], key: str) -> list[str]:
        return [self.canon(v) for v in _values(props, key)]

    def caption(self, entity_id: str) -> str:
        return self.captions.get(entity_id, entity_id)

    def add(self, data: dict[str, Any], where: str, *, top_level: bool) -> str:
        """Index one entity; returns 'target', 'context' or 'adjunct'."""
        entity_id = data["id"]
        schema = str(data.get("schema"))
        if not isinstance(data.get("properties"), dict):
            data["properties"] = {}
        props = data["properties"]
        caption = clean(str(data.get("caption") or "")) or _first(props, "name")
        if caption:
            self.captions.setdefault(entity_id, caption)
        referents = data.get("referents")
        if isinstance(referents, list):
            for referent in referents:
                if isinstance(referent, str):
                    self.aliases.setdefault(referent, entity_id)
                    if referent != entity_id and ftm_id(referent) == entity_id:
                        # An Embargo export: the id FtM could not carry is the referent.
                        self.original[entity_id] = referent
        if schema in PARTY_SCHEMAS:
            if top_level and data.get("target", True) is not False:
                self.target_ids.add(entity_id)
                return "target"
            return "context"
        adjunct = _Adjunct(data, where)
        self.adjuncts.append(adjunct)
        if schema == "Address":
            self.addresses.setdefault(entity_id, adjunct)
        elif schema == "Position":
            self.positions.setdefault(entity_id, adjunct)
        return "adjunct"

    def _to(self, entity_id: str) -> _Attachments:
        return self.attach.setdefault(entity_id, _Attachments())

    def resolve(self) -> None:
        """Turn every adjunct into listings, identifiers and relations on its targets."""
        for adjunct in self.adjuncts:
            schema = str(adjunct.data.get("schema"))
            props: dict[str, Any] = adjunct.data.get("properties") or {}
            reason = self._resolve_one(adjunct, schema, props)
            if reason is not None:
                self.report.skip(adjunct.where, reason)

    def _resolve_one(self, adjunct: _Adjunct, schema: str, props: dict[str, Any]) -> str | None:
        if schema == "Sanction":
            return self._sanction(adjunct, props)
        if schema in ("Identification", "Passport", "CryptoWallet"):
            return self._identification(adjunct, schema, props)
        if schema in _LINKS:
            return self._link(adjunct, schema, props)
        if schema == "Occupancy":
            return self._occupancy(adjunct, props)
        if schema == "Note":
            texts = _values(props, "description") + _values(props, "summary")
            holders = [t for t in self.refs(props, "entity") if t in self.target_ids]
            for holder in holders:
                self._to(holder).remarks.extend(texts)
            adjunct.used = bool(holders and texts)
            return None if adjunct.used else "note without text or not about a target"
        if schema in ("Address", "Position"):
            return None  # used when a target refers to it; unreferenced ones reported later
        return f"schema {schema} is not used for screening"

    def _sanction(self, adjunct: _Adjunct, props: dict[str, Any]) -> str | None:
        entities = self.refs(props, "entity")
        if not entities:
            return "Sanction without an entity"
        status = _first(props, "status")
        if status and _ENDED_STATUS.match(status):
            return f"sanction has ended (status {status!r})"
        targets = [e for e in entities if e in self.target_ids]
        if not targets:
            return f"sanction on {', '.join(entities)}, which is not a target in this file"
        datasets = [d for d in adjunct.data.get("datasets") or [] if isinstance(d, str)]
        dates = [d for d in (parse_date(v) for v in _values(props, "listingDate")) if d]
        dates = dates or [d for d in (parse_date(v) for v in _values(props, "startDate")) if d]
        urls = _values(props, "sourceUrl") or _values(props, "programUrl")
        listing = sanction_listing(
            self.report.source,
            datasets=datasets,
            authorities=_values(props, "authority"),
            programs=_values(props, "program"),
            program_ids=_values(props, "programId"),
            provisions=_values(props, "provisions"),
            reasons=_values(props, "reason"),
            summaries=_values(props, "summary"),
            listed_on=min(dates) if dates else None,
            reference=_first(props, "authorityId") or _first(props, "unscId"),
            url=urls[0] if urls else None,
            trusted=EMBARGO_PUBLISHER in _values(props, "publisher"),
        )
        for target in targets:
            if listing not in self._to(target).listings:
                self._to(target).listings.append(listing)
        adjunct.used = True
        return None

    def _identification(self, adjunct: _Adjunct, schema: str, props: dict[str, Any]) -> str | None:
        holders = [h for h in self.refs(props, "holder") if h in self.target_ids]
        if schema == "CryptoWallet":
            number = _first(props, "publicKey") or _first(props, "cryptoAddress")
            kind, label = (
                IdType.CRYPTO_WALLET,
                _first(props, "summary") or _first(props, "currency"),
            )
        else:
            number = _first(props, "number") or _first(props, "passportNumber")
            kind, label = _identification_type(schema, _first(props, "type"), props)
        if number is None:
            return f"{schema} without a number"
        if not holders:
            return f"{schema} of {', '.join(_values(props, 'holder')) or 'nobody'}, not a target"
        dates = " ".join(
            f"{k} {v}"
            for k, v in (
                ("issued", parse_date(_first(props, "startDate"))),
                ("expires", parse_date(_first(props, "endDate"))),
            )
            if v
        )
        note = _first(props, "description") or dates or None
        ident = Identifier(
            type=kind,
            value=number,
            label=label,
            country=country_code(_first(props, "country")),
            note=note,
        )
        for holder in holders:
            self._to(holder).identifiers.append(ident)
        adjunct.used = True
        return None

    def _link(self, adjunct: _Adjunct, schema: str, props: dict[str, Any]) -> str | None:
        source_prop, target_prop, fwd, rev, role_prop = _LINKS[schema]
        role = _first(props, role_prop) if role_prop else None
        ended = _first(props, "endDate") is not None
        for one in self.refs(props, source_prop):
            for other in self.refs(props, target_prop):
                for holder, kind, party in ((one, fwd, other), (other, rev, one)):
                    if holder not in self.target_ids:
                        continue
                    text = ("former-" if ended else "") + kind + (f":{role}" if role else "")
                    if party not in self.captions:
                        self.unresolved += 1
                    relation = Relation(
                        kind=text,
                        target=self.caption(party),
                        target_id=self.original.get(party, party),
                    )
                    if relation not in self._to(holder).relations:
                        self._to(holder).relations.append(relation)
                    adjunct.used = True
        return None if adjunct.used else f"{schema} between parties that are not targets"

    def _occupancy(self, adjunct: _Adjunct, props: dict[str, Any]) -> str | None:
        holders = [h for h in self.refs(props, "holder") if h in self.target_ids]
        posts = self.refs(props, "post")
        if not posts:
            return "Occupancy without a post"
        if not holders:
            return "Occupancy of a party that is not a target"
        for post in posts:
            position = self.positions.get(post)
            name = self.caption(post)
            if position is not None:
                position.used = True
            for holder in holders:
                if name not in self._to(holder).positions:
                    self._to(holder).positions.append(name)
        adjunct.used = True
        return None

    def report_unused(self) -> None:
        for adjunct in (*self.addresses.values(), *self.positions.values()):
            if not adjunct.used:
                schema = adjunct.data.get("schema")
                self.report.skip(adjunct.where, f"{schema} not used by any target")


def _identification_type(
    schema: str, text: str | None, props: dict[str, Any]
) -> tuple[IdType, str | None]:
    """An Identification's type: Embargo writes the IdType value, other publishers a label."""
    summary = _first(props, "summary")
    if text is not None:
        try:
            return IdType(text), summary
        except ValueError:
            pass
    if schema == "Passport":
        return IdType.PASSPORT, text
    return id_type(text), text


def _address(adjunct: _Adjunct) -> Address | None:
    props: dict[str, Any] = adjunct.data.get("properties") or {}
    street = ", ".join(_values(props, "street") + _values(props, "street2")) or None
    city = _first(props, "city")
    region = _first(props, "region") or _first(props, "state")
    postal = _first(props, "postalCode")
    country = _first(props, "country")
    full = _first(props, "full") or clean(
        ", ".join(p for p in (_first(props, "postOfficeBox"), street, city, region, postal) if p)
    )
    if full is None:
        return None
    return Address(
        full=full,
        street=street,
        city=city,
        region=region,
        postal_code=postal,
        country=country_code(country),
    )


def _contains(haystack: str, needle: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack, re.I) is not None


def _with_parts(full: str, kind: NameKind, parts: dict[str, list[str]]) -> Name | None:
    """A person name with the name parts that occur in it (FtM keeps parts in one bag).

    Surname, patronymic and middle name are matched first; the given name is then the
    longest ``firstName`` value in the name that does not swallow one of them (OFAC-derived
    data often has ``firstName`` "Maria Aleksandrovna" beside ``middleName`` "Aleksandrovna").
    """
    found: dict[str, str] = {}
    for attr in ("last", "patronymic", "middle", "first"):
        taken = [v.lower() for v in found.values()]
        candidates = [
            v
            for v in parts.get(attr, [])
            if _contains(full, v) and not any(t in v.lower() for t in taken)
        ]
        best = max(candidates, key=len, default=None)
        if best is not None:
            found[attr] = best
    if "middle" in found and found["middle"].lower() == found.get("patronymic", "").lower():
        del found["middle"]
    return make_name(
        full,
        kind,
        first=found.get("first"),
        middle=found.get("middle"),
        last=found.get("last"),
        patronymic=found.get("patronymic"),
    )


def _natural_order(text: str, lasts: list[str]) -> str:
    """``OSETROVA, Maria`` -> ``Maria OSETROVA`` when the part before the comma is a surname."""
    head, sep, tail = text.partition(", ")
    if sep and "," not in tail and any(head.lower() == last.lower() for last in lasts):
        return f"{tail} {head}"
    return text


def _build_names(data: dict[str, Any], props: dict[str, Any], schema: Schema) -> list[Name]:
    parts: dict[str, list[str]] = {}
    if schema is Schema.PERSON:
        for prop, attr in _PART_PROPS.items():
            parts.setdefault(attr, []).extend(_values(props, prop))
    lasts = parts.get("last", [])
    caption = clean(str(data.get("caption") or ""))
    names: list[Name] = []

    def add(text: str, kind: NameKind) -> None:
        if schema is Schema.PERSON:
            text = _natural_order(text, lasts)
            name = _with_parts(text, kind, parts)
        else:
            name = make_name(text, kind)
        if name is not None and all(n.full != name.full for n in names):
            names.append(name)

    if caption and caption != data.get("id"):
        add(caption, NameKind.PRIMARY)
    for prop, kind in _NAME_PROPS.items():
        for text in _values(props, prop):
            if not names:
                add(text, NameKind.PRIMARY)
            else:
                add(text, kind)
    if not names and schema is Schema.PERSON:
        name = make_name(
            None,
            first=_first(props, "firstName"),
            middle=_first(props, "middleName") or _first(props, "secondName"),
            patronymic=_first(props, "fatherName"),
            last=_first(props, "lastName"),
        )
        if name is not None:
            names.append(name)
    return names


def _build_party(
    data: dict[str, Any], link_props: set[str], graph: _Graph, where: str
) -> Entity | None:
    report = graph.report
    entity_id: str = data["id"]
    schema = PARTY_SCHEMAS[str(data["schema"])]
    props: dict[str, Any] = data.get("properties") or {}
    names = _build_names(data, props, schema)
    if not names:
        report.skip(where, "target has no name")
        return None
    embargo_id = graph.original.get(entity_id, entity_id)
    entity = Entity(
        id=embargo_id, schema=schema, source=report.source, source_id=embargo_id, names=names
    )
    handled = set(_NAME_PROPS) | set(_PART_PROPS) | _REF_PROPS | link_props
    for prop, kind in ID_PROPS.items():
        handled.add(prop)
        id_kind = (
            IdType.AIRCRAFT if schema is Schema.AIRCRAFT and prop == "registrationNumber" else kind
        )
        for value in _values(props, prop):
            if id_kind is IdType.IMO:
                value = _IMO_PREFIX.sub("", value) or value  # "IMO9123456" and "9123456"
            ident = Identifier(type=id_kind, value=value, label=prop)
            if ident not in entity.identifiers:
                entity.identifiers.append(ident)
    for prop, attr in _COUNTRY_PROPS.items():
        target: list[str] = getattr(entity, attr)
        for value in _values(props, prop):
            code = country_code(value)
            if code is None:
                report.warn(f"{where}: unknown country {value!r} in {prop}")
            elif code not in target:
                target.append(code)
    handled |= {"nationality", "citizenship", "country", "jurisdiction", "mainCountry"}
    for value in _values(props, "birthDate"):
        bd = parse_birth_date(value)
        if bd and bd not in entity.birth_dates:
            entity.birth_dates.append(bd)
    entity.birth_places.extend(_values(props, "birthPlace"))
    genders = _values(props, "gender")
    entity.gender = parse_gender(genders[0]) if len(genders) == 1 else None
    if len(genders) > 1 or (genders and entity.gender is None):
        entity.add_extra("gender", "; ".join(genders))
    entity.positions.extend(_values(props, "position"))
    entity.titles.extend(_values(props, "title"))
    for prop in _REMARK_PROPS:
        entity.remarks.extend(v for v in _values(props, prop) if v not in entity.remarks)
    urls = _values(props, "sourceUrl")
    if urls:
        entity.source_url = urls[0]
        for url in urls[1:]:
            entity.add_extra("sourceUrl", url)
    handled |= {"birthDate", "birthPlace", "gender", "position", "title", "sourceUrl"}
    handled |= set(_REMARK_PROPS)
    for ref in graph.refs(props, "addressEntity"):
        adjunct = graph.addresses.get(ref)
        address = _address(adjunct) if adjunct is not None else None
        if adjunct is None or address is None:
            graph.unresolved += 1
            continue
        adjunct.used = True
        if all(a.full != address.full for a in entity.addresses):
            entity.addresses.append(address)
    for text in _values(props, "address"):
        if all(a.full != text for a in entity.addresses):
            entity.addresses.append(Address(full=text))
    handled.add("address")
    for prop, link in _PARTY_LINKS.items():
        for ref in graph.refs(props, prop):
            entity.relations.append(
                Relation(
                    kind=link, target=graph.caption(ref), target_id=graph.original.get(ref, ref)
                )
            )
    for key in sorted(props):
        if key in handled:
            continue
        for value in _values(props, key):
            entity.add_extra(key, value)
    for key in _META:
        meta = data.get(key)
        for item in meta if isinstance(meta, list) else [meta]:
            if isinstance(item, str) and item != embargo_id:
                entity.add_extra(key, item)
    found = graph.attach.get(entity_id)
    if found is not None:
        entity.listings.extend(found.listings)
        for ident in found.identifiers:
            _merge_identifier(entity.identifiers, ident)
        entity.relations.extend(r for r in found.relations if r not in entity.relations)
        entity.positions.extend(p for p in found.positions if p not in entity.positions)
        entity.remarks.extend(r for r in found.remarks if r not in entity.remarks)
    if not entity.listings and "sanction" in _values(props, "topics"):
        datasets = [d for d in data.get("datasets") or [] if isinstance(d, str)]
        entity.listings.extend(topic_listings(report.source, datasets, _values(props, "programId")))
    mark_original_scripts(entity)
    return entity


def topic_listings(
    source: str, datasets: Sequence[str], program_ids: Sequence[str] = ()
) -> list[Listing]:
    """Listings for a party tagged ``sanction`` that no Sanction record describes.

    Only a dataset that is one known list says which list and measure apply; otherwise the
    party still gets one ``OTHER`` listing, so that a match reads as a sanctions hit.
    """
    listings: list[Listing] = []
    for dataset in datasets:
        if DATASET_BUILDERS.get(dataset, "csl") != "csl":  # CSL: which of its 13 lists?
            listing = dataset_listing(source, dataset)
            if listing not in listings:
                listings.append(listing)
    if not listings:
        names = ", ".join(datasets) or source.removeprefix(SOURCE_PREFIX)
        list_name = f"sanctioned (topic 'sanction'; datasets: {names})"
        listings.append(generic_listing(source, "OpenSanctions", list_name, program_ids))
    return listings


def _merge_identifier(identifiers: list[Identifier], new: Identifier) -> None:
    """Add an identifier from an Identification entity, enriching a flat one of equal value.

    A flat property knows the type exactly but not the country or the publisher's label;
    the Identification knows those. Both describe one document when the number is the same.
    """
    for index, old in enumerate(identifiers):
        if old.value == new.value and (
            old.type is new.type or new.type is IdType.OTHER or old.type is IdType.OTHER
        ):
            identifiers[index] = Identifier(
                type=old.type if old.type is not IdType.OTHER else new.type,
                value=old.value,
                label=new.label or old.label,
                country=new.country or old.country,
                note=new.note or old.note,
            )
            return
    if new not in identifiers:
        identifiers.append(new)


# ---- the two file layouts ------------------------------------------------------------------


def _decode_line(path: Path, raw: bytes, number: int) -> dict[str, Any] | None:
    line = raw.strip()
    if not line:
        return None
    try:
        data = msgspec.json.decode(line)
    except msgspec.DecodeError as exc:
        raise ParseError(path, f"malformed JSON ({exc})", line=number) from None
    except RecursionError:
        raise ParseError(path, "JSON nested too deeply to be an entity", line=number) from None
    if not isinstance(data, dict):
        raise ParseError(path, f"line is a JSON {type(data).__name__}, not an object", line=number)
    return data


# What reading an entity of an unexpected shape raises (a number where a list of values
# belongs, a list where an object does, ...): the file is not FtM as published.
_SHAPE_ERRORS: Final = (TypeError, AttributeError, KeyError, IndexError, ValueError)


def _shape_error(path: Path, exc: Exception, line: int | None) -> ParseError:
    return ParseError(
        path,
        f"an entity is not shaped as FollowTheMoney data ({type(exc).__name__}: {exc})",
        line=line,
    )


def _check_entity(data: dict[str, Any], where: str, report: ParseReport) -> bool:
    if not isinstance(data.get("id"), str) or not isinstance(data.get("schema"), str):
        report.skip(where, "entity has no id or no schema")
        return False
    if not isinstance(data.get("properties", {}), dict):
        report.skip(where, "entity properties are not an object")
        return False
    return True


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as fh:
        yield from enumerate(fh, start=1)


def _start(path: Path, report: ParseReport) -> None:
    report.files = [path]
    if path.stat().st_size == 0:
        raise ParseError(path, "file is empty")


def _note_dates(report: ParseReport, data: dict[str, Any]) -> None:
    seen = data.get("last_seen")
    if isinstance(seen, str):
        date = parse_date(seen)
        if date and (report.publisher_date is None or date > report.publisher_date):
            report.publisher_date = date


def _shaped(
    read: Callable[[Path, ParseReport, list[int | None]], Iterator[Entity]],
    path: Path,
    report: ParseReport,
) -> Iterator[Entity]:
    """``read``'s entities, with a ``ParseError`` naming the line for an entity of an
    unexpected shape instead of whatever reading it raised."""
    at: list[int | None] = [None]  # the line being read, kept up to date by ``read``
    try:
        yield from read(path, report, at)
    except UnicodeDecodeError:
        raise  # ``parse_input`` reports the file's encoding
    except _SHAPE_ERRORS as exc:
        raise _shape_error(path, exc, at[0]) from None


def parse_entities(path: Path, report: ParseReport) -> Iterator[Entity]:
    """``entities.ftm.json``: read every line to index links, then build each target.

    Links may come before or after the party they attach to, so the file is read twice:
    first to index captions and keep the (small) linked entities, then to build each target
    without holding all of them in memory. ``publisher_date`` is the newest ``last_seen``.
    """
    return _shaped(_read_entities, path, report)


def parse_nested(path: Path, report: ParseReport) -> Iterator[Entity]:
    """``targets.nested.json``: each line is one target with its linked entities inlined."""
    return _shaped(_read_nested, path, report)


def _read_entities(path: Path, report: ParseReport, at: list[int | None]) -> Iterator[Entity]:
    _start(path, report)
    graph = _Graph(report)
    name = path.name
    target_lines: dict[int, str] = {}
    seen: dict[str, int] = {}
    for number, raw in _lines(path):
        at[0] = number
        data = _decode_line(path, raw, number)
        if data is None:
            continue
        report.records += 1
        where = f"{name}, line {number}"
        if not _check_entity(data, where, report):
            continue
        where = f"{where}, {data['schema']} {data['id']}"
        if data["id"] in seen:
            report.skip(where, f"duplicate of the entity on line {seen[data['id']]}")
            continue
        seen[data["id"]] = number
        _note_dates(report, data)
        nested: list[dict[str, Any]] = []
        _flatten(data, nested)
        role = graph.add(data, where, top_level=True)
        for inner in nested:
            if isinstance(inner.get("schema"), str):
                graph.add(inner, f"{where} > {inner['schema']} {inner['id']}", top_level=False)
        if role == "target":
            target_lines[number] = where
        elif role == "context":
            report.skip(where, "not a target: kept only as the named end of links")
    if report.records == 0:
        raise ParseError(path, "file holds no entities (only blank lines)")
    at[0] = None
    graph.resolve()
    for number, raw in _lines(path):
        target_where = target_lines.get(number)
        if target_where is None:
            continue
        at[0] = number
        data = _decode_line(path, raw, number)
        assert data is not None  # read once already
        link_props = _flatten(data, [])
        entity = _build_party(data, link_props, graph, target_where)
        if entity is not None:
            yield entity
    at[0] = None
    graph.report_unused()
    _warn_unresolved(report, graph)


def _read_nested(path: Path, report: ParseReport, at: list[int | None]) -> Iterator[Entity]:
    _start(path, report)
    name = path.name
    for number, raw in _lines(path):
        at[0] = number
        data = _decode_line(path, raw, number)
        if data is None:
            continue
        report.records += 1
        where = f"{name}, line {number}"
        if not _check_entity(data, where, report):
            continue
        where = f"{where}, {data['schema']} {data['id']}"
        _note_dates(report, data)
        graph = _Graph(report)
        nested: list[dict[str, Any]] = []
        link_props = _flatten(data, nested)
        role = graph.add(data, where, top_level=True)
        for inner in nested:
            if isinstance(inner.get("schema"), str):
                graph.add(inner, f"{where} > {inner['schema']} {inner['id']}", top_level=False)
        if role != "target":
            report.skip(where, f"top-level {data['schema']} is not a target party")
            continue
        graph.resolve()
        entity = _build_party(data, link_props, graph, where)
        graph.report_unused()
        _warn_unresolved(report, graph)
        if entity is not None:
            yield entity
    if report.records == 0:
        raise ParseError(path, "file holds no entities (only blank lines)")


def _warn_unresolved(report: ParseReport, graph: _Graph) -> None:
    if graph.unresolved:
        report.warn(
            f"{graph.unresolved} reference(s) to entities not in the file "
            "(kept by id, or covered by the plain address text)"
        )


# ---- sniffing ------------------------------------------------------------------------------


def _first_line(path: Path, head: bytes) -> bytes:
    if b"\n" in head or len(head) < HEAD_BYTES:
        return head.split(b"\n", 1)[0]
    with path.open("rb") as fh:  # a nested target can be longer than the sniffing head
        return fh.readline(64 * 1024 * 1024)


def _first_entity(path: Path, head: bytes) -> dict[str, Any] | None:
    text = text_head(head).lstrip()
    if not text.startswith("{"):
        return None
    try:
        data = msgspec.json.decode(_first_line(path, head).strip().removeprefix(b"\xef\xbb\xbf"))
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested without end
        return None
    if (
        isinstance(data, dict)
        and isinstance(data.get("id"), str)
        and isinstance(data.get("schema"), str)
        and isinstance(data.get("properties"), dict)
    ):
        return data
    return None


def source_for(path: Path, data: dict[str, Any]) -> str:
    datasets = data.get("datasets")
    if isinstance(datasets, list) and datasets and isinstance(datasets[0], str):
        return SOURCE_PREFIX + _slug(datasets[0])
    return SOURCE_PREFIX + (_slug(path.parent.name) or "unknown")


def _is_nested(path: Path, data: dict[str, Any]) -> bool:
    if "nested" in path.name.lower():
        return True
    props = data.get("properties") or {}
    return any(
        isinstance(v, dict) for vals in props.values() if isinstance(vals, list) for v in vals
    )


def sniff_entities(path: Path, head: bytes) -> str | None:
    data = _first_entity(path, head)
    if data is None or _is_nested(path, data):
        return None
    return source_for(path, data)


def sniff_nested(path: Path, head: bytes) -> str | None:
    data = _first_entity(path, head)
    if data is None or not _is_nested(path, data):
        return None
    return source_for(path, data)


# ---- writing -------------------------------------------------------------------------------


def _props(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The FtM properties each party schema has (followthemoney 4), for writing valid entities.
_THING_PROPS: Final = _props(
    "name alias weakAlias previousName country notes summary description sourceUrl address "
    "addressEntity topics program programId wikidataId keywords createdAt modifiedAt publisher"
)
_LEGAL_ENTITY_PROPS: Final = _THING_PROPS | _props(
    "abbreviation email phone website legalForm incorporationDate dissolutionDate status "
    "sector classification registrationNumber idNumber taxNumber licenseNumber vatCode "
    "jurisdiction mainCountry innCode ogrnCode okpoCode leiCode dunsCode uniqueEntityId npiCode "
    "swiftBic uscCode bvdId icijId opencorporatesUrl taxStatus"
)
_SCHEMA_PROPS: Final[dict[Schema, frozenset[str]]] = {
    Schema.UNKNOWN: _LEGAL_ENTITY_PROPS,
    Schema.PERSON: _LEGAL_ENTITY_PROPS
    | _props(
        "title firstName secondName middleName fatherName motherName lastName nameSuffix "
        "birthDate birthPlace birthCountry deathDate position nationality citizenship "
        "passportNumber socialSecurityNumber gender ethnicity religion political profession "
        "education spokenLanguage"
    ),
    Schema.ORGANIZATION: _LEGAL_ENTITY_PROPS | _props("imoNumber permId cageCode"),
    Schema.COMPANY: _LEGAL_ENTITY_PROPS
    | _props("imoNumber permId cageCode kppCode isinCode ricCode ticker bikCode irsCode capital"),
    Schema.VESSEL: _THING_PROPS
    | _props(
        "imoNumber mmsi callSign flag tonnage grossRegisteredTonnage deadweightTonnage "
        "navigationArea buildDate registrationNumber type model pastFlags pastTypes "
        "registrationDate registrationPort crsNumber nameChangeDate"
    ),
    Schema.AIRCRAFT: _THING_PROPS
    | _props(
        "serialNumber icaoCode manufacturer model type buildDate registrationNumber "
        "registrationDate"
    ),
}
# Properties whose FtM type needs a country code or an ISO date rather than free text.
_COUNTRY_TYPED: Final = _props("flag pastFlags jurisdiction mainCountry birthCountry country")
_DATE_TYPED: Final = _props(
    "incorporationDate dissolutionDate buildDate deathDate registrationDate createdAt "
    "modifiedAt nameChangeDate"
)
# Embargo extra keys written under another FtM property.
_EXTRA_ALIASES: Final = {"vesselType": "type"}


def _digest(*parts: object) -> str:
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


class _Props:
    def __init__(self, allowed: frozenset[str]) -> None:
        self.allowed = allowed
        self.data: dict[str, list[str]] = {}
        self.notes: list[str] = []

    def add(self, prop: str, value: str | None) -> bool:
        if value is None or not value.strip():
            return True
        if prop not in self.allowed:
            return False
        values = self.data.setdefault(prop, [])
        if value not in values:
            values.append(value)
        return True

    def add_or_note(self, prop: str, value: str | None, label: str) -> None:
        if value is None:
            return
        typed: str | None = value
        if prop in _COUNTRY_TYPED:
            typed = country_code(value)
        elif prop in _DATE_TYPED:
            typed = parse_date(value)
        if typed is None or not self.add(prop, typed):
            self.notes.append(f"{label}: {value}")


def _ftm_entity(
    entity_id: str, schema: str, caption: str, props: dict[str, list[str]], datasets: list[str]
) -> dict[str, Any]:
    return {
        "id": entity_id,
        "caption": caption,
        "schema": schema,
        "properties": {k: v for k, v in props.items() if v},
        "datasets": datasets,
        "referents": [],
        "target": False,
    }


def _birth_dates(bd: BirthDate) -> list[str]:
    if bd.year is None:
        return []
    if bd.year_to or bd.circa:
        # FtM has no range or "circa"; every year the date may fall in is the FtM way.
        years = list(bd.years)
        return [f"{y:04d}" for y in years[:12]]
    return [bd.iso] if bd.iso else []


def _identifier_prop(ident: Identifier, schema: Schema, allowed: frozenset[str]) -> str | None:
    if ident.label in allowed and ident.label in ID_PROPS:
        label_type = ID_PROPS[ident.label]
        if schema is Schema.AIRCRAFT and ident.label == "registrationNumber":
            label_type = IdType.AIRCRAFT
        if label_type is ident.type:
            return ident.label
    prop = _DEFAULT_ID_PROP.get(ident.type)
    if ident.type is IdType.AIRCRAFT and schema is not Schema.AIRCRAFT:
        return None
    return prop if prop in allowed else None


def _add_names(props: _Props, entity: Entity) -> None:
    primary_done = False
    for name in entity.names:
        if name.kind is NameKind.PRIMARY and not primary_done:
            props.add("name", name.full)
            primary_done = True
        elif name.kind in (NameKind.PRIMARY, NameKind.ORIGINAL_SCRIPT):
            props.add("name", name.full)
        elif name.kind is NameKind.ALIAS:
            props.add("alias", name.full)
        elif name.kind is NameKind.WEAK:
            props.add("weakAlias", name.full)
        elif name.kind is NameKind.FORMER:
            props.add("previousName", name.full)
        if entity.schema is Schema.PERSON:
            props.add("firstName", name.first)
            props.add("middleName", name.middle)
            props.add("fatherName", name.patronymic)
            props.add("lastName", name.last)
            props.add("title", name.title)


def _add_facts(props: _Props, entity: Entity) -> None:
    for bd in entity.birth_dates:
        values = _birth_dates(bd)
        for value in values:
            props.add_or_note("birthDate", value, "Birth date")
        if not values:
            props.notes.append(f"Birth date: {bd.text}")
    for place in entity.birth_places:
        props.add_or_note("birthPlace", place, "Place of birth")
    for code in entity.nationalities:
        if not props.add("nationality", code):
            props.add("country", code)
    for code in entity.citizenships:
        if not props.add("citizenship", code):
            props.add("country", code)
    for code in entity.countries:
        props.add("country", code)
    if entity.gender:
        props.add_or_note("gender", entity.gender, "Gender")
    for title in entity.titles:
        props.add_or_note("title", title, "Title")
    for position in entity.positions:
        props.add_or_note("position", position, "Position")
    for remark in entity.remarks:
        props.add("notes", remark)
    props.add("sourceUrl", entity.source_url)
    for key, values in entity.extra.items():
        if key in _META:
            continue
        prop = _EXTRA_ALIASES.get(key, key)
        for value in values:
            # OpenSanctions sometimes joins several phones or e-mails in one value.
            parts = value.split(";") if prop in ("phone", "email") else [value]
            for part in parts:
                props.add_or_note(prop, part.strip(), key)


def _address_entities(
    props: _Props, entity: Entity, fid: str, datasets: list[str]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for address in entity.addresses:
        props.add("address", address.full)
        if not (address.street or address.city or address.country or address.postal_code):
            continue
        address_id = f"{fid}-addr-{_digest(address.full)}"
        props.add("addressEntity", address_id)
        fields = {
            "full": address.full,
            "street": address.street,
            "city": address.city,
            "region": address.region,
            "postalCode": address.postal_code,
            "country": address.country,
        }
        data = {k: [v] for k, v in fields.items() if v}
        out.append(_ftm_entity(address_id, "Address", address.full, data, datasets))
    return out


def _identifier_entities(
    props: _Props, entity: Entity, fid: str, datasets: list[str]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for ident in entity.identifiers:
        prop = _identifier_prop(ident, entity.schema, props.allowed)
        if ident.type is not IdType.CRYPTO_WALLET and prop is not None:
            props.add(prop, ident.value)
        # A flat property keeps only the number: write a linked entity when there is more.
        if (
            prop is None
            or ident.type is IdType.CRYPTO_WALLET
            or ident.country is not None
            or ident.note is not None
            or ident.label not in (None, prop)
        ):
            out.append(_identification(fid, ident, datasets))
    return out


def to_ftm(entity: Entity) -> list[dict[str, Any]]:
    """An entity as FtM entities: the party first, then its Sanctions, addresses and ids.

    The party keeps the entity's id when FtM allows it; otherwise (Embargo ids contain ``_``)
    it gets ``ftm_id(entity.id)`` and the Embargo id goes into ``referents``, from which the
    importer restores it.
    """
    fid = ftm_id(entity.id)
    props = _Props(_SCHEMA_PROPS[entity.schema])
    datasets = list(entity.extra.get("datasets") or [entity.source])
    _add_names(props, entity)
    _add_facts(props, entity)
    linked = _address_entities(props, entity, fid, datasets)
    linked += _identifier_entities(props, entity, fid, datasets)
    for note in props.notes:
        props.add("notes", note)
    party = _ftm_entity(fid, FTM_SCHEMA[entity.schema], entity.caption, props.data, datasets)
    party["target"] = True
    referents = list(entity.extra.get("referents", []))
    if fid != entity.id:
        referents.append(entity.id)
    party["referents"] = referents
    for key in ("first_seen", "last_seen", "last_change"):
        if key in entity.extra:
            party[key] = entity.extra[key][0]
    sanctions: dict[str, dict[str, Any]] = {}
    for listing in entity.listings:
        sanction = _sanction(fid, listing)
        sanctions.setdefault(sanction["id"], sanction)  # identical listings: one Sanction
    return [party, *sanctions.values(), *linked]


def _identification(holder: str, ident: Identifier, datasets: list[str]) -> dict[str, Any]:
    ident_id = f"{holder}-id-{_digest(ident.type, ident.value, ident.country)}"
    common = {
        "holder": [holder],
        "summary": [ident.label] if ident.label else [],
        "description": [ident.note] if ident.note else [],
        "country": [ident.country] if ident.country else [],
    }
    if ident.type is IdType.CRYPTO_WALLET:
        data = {**common, "publicKey": [ident.value]}
        return _ftm_entity(ident_id, "CryptoWallet", ident.value, data, datasets)
    # ``type`` carries the Embargo IdType exactly; the publisher's label goes in ``summary``.
    data = {**common, "number": [ident.value], "type": [ident.type.value]}
    schema = "Passport" if ident.type is IdType.PASSPORT else "Identification"
    return _ftm_entity(ident_id, schema, ident.value, data, datasets)


def _sanction(holder: str, listing: Listing) -> dict[str, Any]:
    sanction_id = f"{holder}-sanction-{_digest(msgspec.json.encode(listing).decode())}"
    props: dict[str, list[str]] = {
        "entity": [holder],
        "authority": [listing.authority],
        "summary": [listing.list],
        "program": list(listing.programs),
        "provisions": list(listing.measures),
        "listingDate": [listing.listed_on] if listing.listed_on else [],
        "reason": [listing.legal_basis] if listing.legal_basis else [],
        "authorityId": [listing.reference] if listing.reference else [],
        "sourceUrl": [listing.url] if listing.url else [],
        "description": [listing.summary],
        "publisher": [EMBARGO_PUBLISHER],
    }
    caption = listing.programs[0] if listing.programs else listing.list
    return _ftm_entity(sanction_id, "Sanction", caption, props, [listing.source])


def write_ftm(entities: Iterable[Entity], fh: TextIO) -> int:
    """Write entities as FtM JSON lines; returns the number of FtM entities written."""
    encoder = msgspec.json.Encoder()
    count = 0
    for entity in entities:
        for item in to_ftm(entity):
            fh.write(encoder.encode(item).decode("utf-8"))
            fh.write("\n")
            count += 1
    return count


FORMAT_ENTITIES = FormatSpec(
    name="ftm-json",
    title="FollowTheMoney entities, JSON lines (OpenSanctions entities.ftm.json)",
    sniff=sniff_entities,
    parse=parse_entities,
    extensions=(".json", ".jsonl", ".ftm.json"),
)
FORMAT_NESTED = FormatSpec(
    name="ftm-nested-json",
    title="FollowTheMoney targets with nested links (OpenSanctions targets.nested.json)",
    sniff=sniff_nested,
    parse=parse_nested,
    extensions=(".json",),
)
