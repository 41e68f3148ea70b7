"""What every OFAC format shares: id-list routing, remarks, and the Advanced/Enhanced helpers."""

from __future__ import annotations

from typing import Any

import pytest

from embargo.model import Entity, Identifier, IdType, Measure, NameKind, Relation, Schema
from embargo.sources.ofac_common import (
    ListEntry,
    address_from_parts,
    apply_feature,
    apply_id,
    apply_remarks,
    build_listings,
    linked_to,
    ofac_name,
    parts_name,
    period_birth_date,
    relation_kind,
)


def party(schema: Schema = Schema.ORGANIZATION) -> Entity:
    return Entity(id="us_ofac_sdn-1", schema=schema, source="us_ofac_sdn", source_id="1", names=[])


# ---- apply_id -------------------------------------------------------------------------------

# (label, value, country, what the entity then holds, the measures collected)
APPLY_ID = [
    ("Gender", "Male", None, {"gender": "male"}, []),
    ("Website", "www.example.com", None, {"extra": {"website": ["www.example.com"]}}, []),
    (
        "Nationality of Registration",
        "Russia",
        None,
        {"countries": ["ru"], "extra": {"jurisdiction": ["Russia"]}},
        [],
    ),
    (
        "Secondary sanctions risk:",
        "See Section 11 of Executive Order 14024.",
        None,
        {"extra": {"secondarySanctionsRisk": ["See Section 11 of Executive Order 14024."]}},
        [],
    ),
    # measure labels: the known ones and new ones of the same form
    ("CAATSA Section 235 Information:", "Sec. 235(a)(2)", None, {}, ["Sec. 235(a)(2)"]),
    (
        "Executive Order 13662 Directive Determination -",
        "Subject to Directive 2",
        None,
        {},
        ["Subject to Directive 2"],
    ),
    (
        "Executive Order 14059 information:",
        "Prohibition on any transactions in foreign exchange",
        None,
        {},
        ["Prohibition on any transactions in foreign exchange"],
    ),
    ("Executive Order 99999 information:", "A future menu", None, {}, ["A future menu"]),
    # a measure label that only points to OFAC's site is a remark
    (
        "Executive Order 14024 Directive Information -",
        "For more information on directives, please visit the following link: https://x",
        None,
        {"remarks": ["For more information on directives, please visit the following link: https://x"]},
        [],
    ),
    (
        "Listing Date (CMIC)",
        "03 Jun 2021",
        None,
        {"extra": {"programDates": ["Listing Date (CMIC) 03 Jun 2021"]}},
        [],
    ),
    (
        "Effective Date (EO 14024 Directive 1a):",
        "01 Mar 2022",
        None,
        {"extra": {"programDates": ["Effective Date (EO 14024 Directive 1a): 01 Mar 2022"]}},
        [],
    ),
    # identifiers
    (
        "Passport",
        "7510123456",
        "Russia",
        {"identifiers": [Identifier(IdType.PASSPORT, "7510123456", "Passport", "ru")]},
        [],
    ),
    (
        "Vessel Registration Identification",
        "IMO 9123456",
        None,
        {"identifiers": [Identifier(IdType.IMO, "9123456", "Vessel Registration Identification")]},
        [],
    ),
    (
        "Aircraft Manufacturer's Serial Number (MSN)",
        "1234",
        None,
        {"identifiers": [Identifier(IdType.AIRCRAFT, "1234", "Aircraft Manufacturer's Serial Number (MSN)")]},
        [],
    ),
    # the issuing country written into the number is split off; a city is not
    (
        "Government Gazette Number",
        "33556474 (Russia)",
        None,
        {"identifiers": [Identifier(IdType.REGISTRATION, "33556474", "Government Gazette Number", "ru")]},
        [],
    ),
    (
        "Folio Mercantil No.",
        "22839 (Jalisco)",
        "Mexico",
        {"identifiers": [Identifier(IdType.REGISTRATION, "22839 (Jalisco)", "Folio Mercantil No.", "mx")]},
        [],
    ),
    ("Passport", "-0-", None, {}, []),  # OFAC's null: nothing
]  # fmt: skip


@pytest.mark.parametrize(("label", "value", "country", "holds", "measures"), APPLY_ID)
def test_apply_id(
    label: str, value: str, country: str | None, holds: dict[str, Any], measures: list[str]
) -> None:
    entity = party()
    found: list[str] = []
    apply_id(entity, label, value, country, found)
    assert found == measures
    empty = party()
    for attr in ("gender", "extra", "countries", "identifiers", "remarks"):
        assert getattr(entity, attr) == holds.get(attr, getattr(empty, attr)), attr


# ---- remarks --------------------------------------------------------------------------------

# (remarks text, schema, what the entity then holds, measures, phrases left as text)
REMARKS: list[tuple[str, Schema, dict[str, Any], list[str], list[str]]] = [
    (
        "DOB 07 Oct 1952; alt. DOB 1953; POB St. Petersburg, Russia; Gender Male.",
        Schema.PERSON,
        {"dobs": ["1952-10-07", "1953"], "birth_places": ["St. Petersburg, Russia"], "gender": "male"},
        [],
        [],
    ),
    (
        "DOB 01 Jan 1961 to 31 Dec 1963.",
        Schema.PERSON,
        {"dobs": ["1961"], "year_to": 1963},
        [],
        [],
    ),
    (
        "nationality Russia; alt. nationality Ukraine; citizen Belarus; nationality possibly Palestinian.",
        Schema.PERSON,
        {"nationalities": ["ru", "ua"], "citizenships": ["by"]},
        [],
        ["nationality possibly Palestinian"],
    ),
    # quoted aliases are weak, people in natural order; the quotes only come off
    (
        "a.k.a. 'KOVAL, Vanya'; a.k.a. ''ABD-AL-'IZ'; f.k.a. SIDOROV, Ivan.",
        Schema.PERSON,
        {
            "names": [
                ("Vanya KOVAL", NameKind.WEAK),
                ("'ABD-AL-'IZ", NameKind.WEAK),
                ("Ivan SIDOROV", NameKind.FORMER),
            ]
        },
        [],
        [],
    ),
    (
        "a.k.a. 'NST'.",
        Schema.ORGANIZATION,
        {"names": [("NST", NameKind.WEAK)]},
        [],
        [],
    ),
    # attributes, with and without a colon; registration country before "nationality"
    (
        "Website www.example.com; Email Address info@example.com; Nationality of Registration Russia; "
        "Organization Established Date 12 May 2008.",
        Schema.ORGANIZATION,
        {
            "countries": ["ru"],
            "extra": {
                "website": ["www.example.com"],
                "email": ["info@example.com"],
                "jurisdiction": ["Russia"],
                "incorporationDate": ["12 May 2008"],
            },
        },
        [],
        [],
    ),
    # phone and fax, however OFAC spells them; "Phones LLC" has no number: prose
    (
        "Telephone (357)(22660766); Telephone No. 03889402; Telephone: 982188554432; "
        "Phone Number 74951234567; Fax No. 263-4-487261; Alt. Fax: 9221227700019; Phones LLC.",
        Schema.ORGANIZATION,
        {
            "extra": {
                "phone": ["(357)(22660766)", "03889402", "982188554432", "74951234567"],
                "fax": ["263-4-487261", "9221227700019"],
            }
        },
        [],
        ["Phones LLC"],
    ),
    # measures: the separator varies; "alt." repeats the label
    (
        "Executive Order 13662 Directive Determination - Subject to Directive 2; alt. Executive "
        "Order 13662 Directive Determination - Subject to Directive 4; Executive Order 14024 "
        "Directive Information Subject to Directive 1; Executive Order 14059 information: "
        "Prohibition on any transactions in foreign exchange; CAATSA Section 235 Information: "
        "Sec. 235(a)(2).",
        Schema.ORGANIZATION,
        {},
        [
            "Subject to Directive 2",
            "Subject to Directive 4",
            "Subject to Directive 1",
            "Prohibition on any transactions in foreign exchange",
            "Sec. 235(a)(2)",
        ],
        [],
    ),
    (
        "Executive Order 14024 Directive Information - For more information on directives, "
        "please visit the following link: https://example.org#directives.",
        Schema.ORGANIZATION,
        {
            "remarks": [
                "For more information on directives, please visit the following link: "
                "https://example.org#directives"
            ]
        },
        [],
        [],
    ),
    (
        "Listing Date (CMIC) 03 Jun 2021; Effective Date (EO 14024 Directive 2): 24 Feb 2022.",
        Schema.ORGANIZATION,
        {
            "extra": {
                "programDates": [
                    "Listing Date (CMIC) 03 Jun 2021",
                    "Effective Date (EO 14024 Directive 2): 24 Feb 2022",
                ]
            }
        },
        [],
        [],
    ),
    # identifiers: notes, countries, "alt.", old IMO labels, unknown labels with a country
    (
        "Passport 7510123456 (Russia) issued 02 Feb 2015 expires 02 Feb 2025; alt. Passport "
        "7510999999; Government Gazette Number 09804148 (Russia); Identification Number IMO "
        "8912345; Municipal Licence 4471-B (Ukraine); Digital Currency Address - XBT 1BoatSLRHt.",
        Schema.PERSON,
        {
            "identifiers": [
                Identifier(
                    IdType.PASSPORT,
                    "7510123456",
                    "Passport",
                    "ru",
                    "issued 02 Feb 2015 expires 02 Feb 2025",
                ),
                Identifier(IdType.PASSPORT, "7510999999", "Passport"),
                Identifier(IdType.REGISTRATION, "09804148", "Government Gazette Number", "ru"),
                Identifier(IdType.IMO, "8912345", "Identification Number"),
                Identifier(IdType.OTHER, "4471-B", "Municipal Licence", "ua"),
                Identifier(
                    IdType.CRYPTO_WALLET, "1BoatSLRHt", "Digital Currency Address - XBT"
                ),
            ]
        },
        [],
        [],
    ),
    # a document without a number stays text
    (
        "Passport issued 21 Jun 1992 in Amman, Jordan; U.S.A. Passport issued 1992.",
        Schema.PERSON,
        {},
        [],
        ["Passport issued 21 Jun 1992 in Amman, Jordan", "U.S.A. Passport issued 1992"],
    ),
    # links: only the remarks' own final full stop goes
    (
        "Linked To: NORTHERN STAR TRADING L.L.C.; Linked To: SEVERNY INVEST.",
        Schema.PERSON,
        {"relations": ["NORTHERN STAR TRADING L.L.C.", "SEVERNY INVEST"]},
        [],
        [],
    ),
    ("all offices worldwide.", Schema.ORGANIZATION, {}, [], ["all offices worldwide"]),
]  # fmt: skip


@pytest.mark.parametrize(("remarks", "schema", "holds", "measures", "left"), REMARKS)
def test_apply_remarks(
    remarks: str, schema: Schema, holds: dict[str, Any], measures: list[str], left: list[str]
) -> None:
    entity = party(schema)
    found: list[str] = []
    assert apply_remarks(entity, remarks, found) == left
    assert found == measures
    empty = party(schema)
    assert [b.iso for b in entity.birth_dates] == holds.get("dobs", [])
    if "year_to" in holds:
        assert entity.birth_dates[0].year_to == holds["year_to"]
    assert [(n.full, n.kind) for n in entity.names] == holds.get("names", [])
    assert [r.target for r in entity.relations] == holds.get("relations", [])
    assert all(r.kind == "linked-to" for r in entity.relations)
    for attr in (
        "birth_places",
        "nationalities",
        "citizenships",
        "countries",
        "gender",
        "extra",
        "identifiers",
        "remarks",
    ):
        assert getattr(entity, attr) == holds.get(attr, getattr(empty, attr)), attr


def test_apply_remarks_drops_the_repeated_title_and_keeps_order_of_leftovers() -> None:
    entity = party(Schema.PERSON)
    left = apply_remarks(
        entity, "Deputy Minister of Energy; first; DOB 1962; second.", [], title="Deputy Minister of Energy"
    )  # fmt: skip
    assert left == ["first", "second"]
    assert [b.iso for b in entity.birth_dates] == ["1962"]


def test_apply_remarks_strong_alias_already_there_stays_strong() -> None:
    entity = party()
    entity.names.append(ofac_name("NST", NameKind.ALIAS, Schema.ORGANIZATION))  # type: ignore[arg-type]
    apply_remarks(entity, "a.k.a. 'NST'.", [])
    assert [(n.full, n.kind) for n in entity.names] == [("NST", NameKind.ALIAS)]


@pytest.mark.parametrize(
    ("remarks", "targets"),
    [
        ("(Linked To: HIZBALLAH)", ["HIZBALLAH"]),
        (
            "(Linked To: ISLAMIC REVOLUTIONARY GUARD CORPS (IRGC)-QODS FORCE; Linked To: HIZBALLAH)",
            ["ISLAMIC REVOLUTIONARY GUARD CORPS (IRGC)-QODS FORCE", "HIZBALLAH"],
        ),
        # after other remarks, and a name with its own full stop
        (
            "all offices worldwide; (Linked To: PERSIAN GULF PETROCHEMICAL INDUSTRY CO.)",
            ["PERSIAN GULF PETROCHEMICAL INDUSTRY CO."],
        ),
        (
            "For more information on directives, please visit the following link: "
            "http://x#directives; (Linked To: ROSTEC)",
            ["ROSTEC"],
        ),
        ("Linked To: HIZBALLAH.", ["HIZBALLAH"]),  # the remarks' own full stop
        ("Linked To: R D I S.A..", ["R D I S.A."]),  # only one full stop goes
        ("(Linked To: A; Linked To: A)", ["A"]),
        ("no links here", []),
    ],
)  # fmt: skip
def test_linked_to(remarks: str, targets: list[str]) -> None:
    assert linked_to(remarks) == targets


@pytest.mark.parametrize(
    ("text", "schema", "full", "first", "last"),
    [
        ("PUTIN, Vladimir Vladimirovich", Schema.PERSON, "Vladimir Vladimirovich PUTIN", "Vladimir Vladimirovich", "PUTIN"),
        ("ABU SAYF", Schema.PERSON, "ABU SAYF", None, "ABU SAYF"),
        ("NORTHERN STAR TRADING, L.L.C.", Schema.ORGANIZATION, "NORTHERN STAR TRADING, L.L.C.", None, None),
    ],
)  # fmt: skip
def test_ofac_name(
    text: str, schema: Schema, full: str, first: str | None, last: str | None
) -> None:
    name = ofac_name(text, NameKind.PRIMARY, schema)
    assert name is not None and (name.full, name.first, name.last) == (full, first, last)


# ---- the Advanced and Enhanced helpers ------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "circa", "expected"),
    [
        ((1952, 10, 7), (1952, 10, 7), False, ("1952-10-07", None, False)),
        ((1952, 10, 1), (1952, 10, 31), False, ("1952-10", None, False)),
        ((1962, 1, 1), (1962, 12, 31), False, ("1962", None, False)),
        ((1960, 1, 1), (1962, 12, 31), False, ("1960", 1962, False)),
        ((1960, 1, 1), (1960, 12, 31), True, ("1960", None, True)),
        ((1952, 10, 7), None, False, ("1952-10-07", None, False)),
    ],
)
def test_period_birth_date(
    start: tuple[int, int, int] | None,
    end: tuple[int, int, int] | None,
    circa: bool,
    expected: tuple[str, int | None, bool],
) -> None:
    bd = period_birth_date(start, end, circa=circa)
    assert bd is not None and (bd.iso, bd.year_to, bd.circa) == expected


def test_period_birth_date_keeps_the_publishers_wording() -> None:
    bd = period_birth_date((1952, 10, 7), (1952, 10, 7), text="07 Oct 1952")
    assert bd is not None and (bd.text, bd.iso) == ("07 Oct 1952", "1952-10-07")


def test_apply_feature_routes_measures_with_their_label() -> None:
    entity = party()
    measures: list[tuple[str, str]] = []
    apply_feature(entity, "Executive Order 13662 Directive Determination -", "Subject to Directive 1", measures)  # fmt: skip
    apply_feature(entity, "Nationality Country", "Russia", measures)
    apply_feature(entity, "Vessel Flag", "Panama", measures, country="pa")
    assert measures == [("executive order 13662 directive determination", "Subject to Directive 1")]
    assert entity.nationalities == ["ru"] and entity.countries == ["pa"]
    assert entity.extra == {"flag": ["Panama"]}


def test_build_listings_routes_directives_to_the_sectoral_list() -> None:
    listings = build_listings(
        "us_ofac_cons",
        [
            ListEntry("Consolidated List", ["UKRAINE-EO13662"]),
            ListEntry("SDN List", ["RUSSIA-EO14024"], listed_on="2022-02-24"),
            ListEntry("Sectoral Sanctions Identifications List", ["UKRAINE-EO13662"]),
        ],
        [("executive order 13662 directive determination", "Subject to Directive 1")],
        "https://example.org",
    )
    assert [(li.list, li.measure, li.measures) for li in listings] == [
        ("SDN List", Measure.BLOCKING, ()),
        ("Sectoral Sanctions Identifications List", Measure.SECTORAL, ("Subject to Directive 1",)),
    ]
    assert listings[0].listed_on == "2022-02-24"


def test_parts_name_natural_order_and_original_script() -> None:
    latin = parts_name([("Last Name", "PUTIN"), ("First Name", "Vladimir")], NameKind.PRIMARY, Schema.PERSON)  # fmt: skip
    assert latin is not None and (latin.full, latin.first, latin.last) == (
        "Vladimir PUTIN",
        "Vladimir",
        "PUTIN",
    )
    chinese = parts_name(
        [("Last Name", "朱"), ("First Name", "海仑")],
        NameKind.ALIAS,
        Schema.PERSON,
        script="Chinese Simplified",
        original_script=True,
    )
    assert chinese is not None and chinese.full == "朱海仑"
    assert chinese.kind is NameKind.ORIGINAL_SCRIPT


def test_address_from_parts_reads_a_lone_country() -> None:
    address, code, text = address_from_parts({"": ["Russia"]}, None, None)
    assert address is not None and (address.full, address.country, code, text) == (
        "Russia",
        "ru",
        "ru",
        "Russia",
    )
    full, _, _ = address_from_parts(
        {"ADDRESS1": ["Kremlin"], "CITY": ["Moscow"], "POSTAL CODE": ["103132"]}, "Russia", "ru"
    )
    assert full is not None and full.full == "Kremlin, Moscow, 103132, Russia"


@pytest.mark.parametrize(
    ("label", "former", "kind"),
    [
        ("Owned or Controlled By", False, "owned-by"),
        ("Linked To", True, "former-linked-to"),
        ("Some New Relation", False, "some-new-relation"),
        (None, False, "linked-to"),
    ],
)
def test_relation_kind(label: str | None, former: bool, kind: str) -> None:
    assert relation_kind(label, former=former) == kind


def test_relation_type_is_used_for_linked_to() -> None:
    assert Relation(kind="linked-to", target="X").kind == relation_kind("Linked To")
