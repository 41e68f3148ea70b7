"""The one entity model every source parser produces and every consumer reads.

The types are ``msgspec`` structs: typed, immutable by convention, and serialised to JSON
fast enough that the whole active list set can be decoded at start-up in well under a second
per ten thousand entities. Field names follow FollowTheMoney where a counterpart exists so that
import and export stay a mapping, not a translation.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec


class Schema(StrEnum):
    """What kind of party an entity is. Values are FollowTheMoney schema names, except
    ``AIRCRAFT``: FtM calls it ``Airplane``. The value ``Aircraft`` is stored in databases and
    used by the API, so it stays; the FtM reader and writer (``sources.ftm``) translate it.
    """

    PERSON = "Person"
    ORGANIZATION = "Organization"
    COMPANY = "Company"
    VESSEL = "Vessel"
    AIRCRAFT = "Aircraft"  # FtM "Airplane"
    UNKNOWN = "LegalEntity"

    @property
    def is_organization(self) -> bool:
        return self in (Schema.ORGANIZATION, Schema.COMPANY)


class NameKind(StrEnum):
    """How a publisher qualifies a name."""

    PRIMARY = "primary"
    ALIAS = "alias"  # a strong / good-quality alias
    WEAK = "weak"  # a low-quality alias: publishers warn against screening on it alone
    FORMER = "former"  # formerly known as
    # The name as the party writes it, in its own non-Latin script (a Russian's name in
    # Cyrillic). A publisher's rendering into another script (a German's name in the Greek
    # edition of the EU list) is an ALIAS with ``script`` set.
    ORIGINAL_SCRIPT = "original-script"


class Name(msgspec.Struct, frozen=True, omit_defaults=True):
    full: str
    kind: NameKind = NameKind.PRIMARY
    first: str | None = None
    middle: str | None = None
    last: str | None = None
    patronymic: str | None = None
    title: str | None = None
    lang: str | None = None  # ISO 639 code where the publisher gives one
    script: str | None = None  # ISO 15924 code, e.g. "Cyrl", set where the name is not Latin


class BirthDate(msgspec.Struct, frozen=True, omit_defaults=True):
    """A birth date as precise as the publisher gives it.

    ``year`` alone is a year-only date; ``year_to`` makes it a range of years; ``circa`` marks
    an approximate one. ``text`` keeps the publisher's wording.
    """

    text: str
    year: int | None = None
    month: int | None = None
    day: int | None = None
    year_to: int | None = None
    circa: bool = False

    @property
    def iso(self) -> str | None:
        """The date as ISO 8601 at its own precision (``1952``, ``1952-10``, ``1952-10-07``)."""
        if self.year is None:
            return None
        out = f"{self.year:04d}"
        if self.month:
            out += f"-{self.month:02d}"
            if self.day:
                out += f"-{self.day:02d}"
        return out

    @property
    def years(self) -> range:
        """Every year the date could fall in (empty when the year is unknown)."""
        if self.year is None:
            return range(0)
        last = self.year_to if self.year_to and self.year_to >= self.year else self.year
        if self.circa and self.year_to is None:
            return range(self.year - 1, self.year + 2)
        return range(self.year, last + 1)


class IdType(StrEnum):
    PASSPORT = "passport"
    NATIONAL_ID = "national-id"
    TAX_ID = "tax-id"
    REGISTRATION = "registration"
    IMO = "imo"
    MMSI = "mmsi"
    LEI = "lei"
    SWIFT_BIC = "swift-bic"
    CRYPTO_WALLET = "crypto-wallet"
    AIRCRAFT = "aircraft"  # tail number / manufacturer serial number
    DRIVING_LICENCE = "driving-licence"
    SOCIAL_SECURITY = "social-security"
    OTHER = "other"


class Identifier(msgspec.Struct, frozen=True, omit_defaults=True):
    type: IdType
    value: str
    label: str | None = None  # the publisher's own name for the identifier type
    country: str | None = None  # the issuer's country code (see ``Address.country``)
    note: str | None = None


class Address(msgspec.Struct, frozen=True, omit_defaults=True):
    full: str
    street: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    # Country codes everywhere in the model are FollowTheMoney's country vocabulary, as
    # ``values.country_code`` gives it: ISO 3166-1 alpha-2 in lower case ("ru"), plus the ISO
    # 3166-3 codes of former states ("suhh" Soviet Union, "yucs" Yugoslavia, "cshh"
    # Czechoslovakia, "csxx" Serbia and Montenegro: a Soviet birthplace is not Russia) and
    # codes of occupied or disputed territories that sanctions programmes treat apart
    # ("ua-cri" Crimea, "ua-dpr", "ua-lpr", "ge-ab", "md-pmr", "cy-trnc", "x-so"...). Cities
    # and ordinary regions are their country ("Moscow" is "ru").
    country: str | None = None


class Measure(StrEnum):
    """What a listing obliges a screener to do, from most to least restrictive."""

    BLOCKING = "blocking"
    SECTORAL = "sectoral"
    MENU_BASED = "menu-based"
    EXPORT_CONTROL = "export-control"
    DEBARMENT = "debarment"
    OTHER = "other"


class Listing(msgspec.Struct, frozen=True, omit_defaults=True):
    """One listing of an entity by one authority, and what it means."""

    authority: str  # e.g. "US OFAC", "EU", "UK FCDO", "UN Security Council"
    list: str  # e.g. "SDN List", "Entity List"
    source: str  # the Embargo source the listing came from, e.g. "us_ofac_sdn"
    measure: Measure
    summary: str  # the measure in plain words
    programs: tuple[str, ...] = ()  # program codes exactly as published
    measures: tuple[str, ...] = ()  # specific measures where the source names them (menus)
    listed_on: str | None = None  # ISO date
    legal_basis: str | None = None
    reference: str | None = None  # the publisher's reference for the listing (e.g. "QDi.001")
    url: str | None = None


class Relation(msgspec.Struct, frozen=True, omit_defaults=True):
    """A link to another party, as the publisher states it (``Linked To: ...``)."""

    kind: str  # e.g. "linked-to", "owned-by", "vessel-owner"
    target: str  # the other party's name as published
    target_id: str | None = None  # an Embargo entity id where the publisher gives one


class Entity(msgspec.Struct, omit_defaults=True):
    """A listed party: a person, organisation, company, vessel or aircraft."""

    id: str  # stable Embargo id: "<source>-<publisher id>", or the FtM id for FtM imports
    schema: Schema
    source: str
    source_id: str  # the publisher's own id for the record
    names: list[Name]
    listings: list[Listing] = msgspec.field(default_factory=list)
    source_url: str | None = None
    birth_dates: list[BirthDate] = msgspec.field(default_factory=list)
    birth_places: list[str] = msgspec.field(default_factory=list)
    nationalities: list[str] = msgspec.field(default_factory=list)  # country codes, see Address
    citizenships: list[str] = msgspec.field(default_factory=list)
    countries: list[str] = msgspec.field(default_factory=list)  # other associated countries
    addresses: list[Address] = msgspec.field(default_factory=list)
    identifiers: list[Identifier] = msgspec.field(default_factory=list)
    gender: str | None = None  # "male" | "female" | "other"
    titles: list[str] = msgspec.field(default_factory=list)
    positions: list[str] = msgspec.field(default_factory=list)
    remarks: list[str] = msgspec.field(default_factory=list)
    relations: list[Relation] = msgspec.field(default_factory=list)
    # Source attributes with no field of their own (vessel flag, call sign, website, ...),
    # keyed by FollowTheMoney property name where one exists.
    extra: dict[str, list[str]] = msgspec.field(default_factory=dict)

    @property
    def caption(self) -> str:
        for name in self.names:
            if name.kind is NameKind.PRIMARY:
                return name.full
        return self.names[0].full if self.names else self.id

    @property
    def all_countries(self) -> list[str]:
        """Every country the entity is tied to, without duplicates, most specific first."""
        seen: dict[str, None] = {}
        for code in (*self.nationalities, *self.citizenships, *self.countries):
            seen.setdefault(code, None)
        for addr in self.addresses:
            if addr.country:
                seen.setdefault(addr.country, None)
        return list(seen)

    def add_extra(self, key: str, value: str | None) -> None:
        if value is None:
            return
        value = value.strip()
        if value and value not in self.extra.setdefault(key, []):
            self.extra[key].append(value)


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Entity)
_list_decoder = msgspec.json.Decoder(list[Entity])


def entity_to_json(entity: Entity) -> bytes:
    return _encoder.encode(entity)


def entity_from_json(data: bytes | str) -> Entity:
    return _decoder.decode(data)


def entities_from_json(data: bytes | str) -> list[Entity]:
    return _list_decoder.decode(data)
