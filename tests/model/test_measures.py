"""The listing builders: which list and measure a publisher's wording means."""

from __future__ import annotations

import pytest

from embargo.model import Measure
from embargo.model.measures import (
    SUMMARIES,
    csl_list_code,
    csl_listing,
    generic_listing,
    ofac_list_code,
    ofac_listing,
)

OFAC_CODES = ("SDN", "SSI", "NS-MBS", "CAPTA", "CMIC", "FSE", "PLC")

# (list name, programs, sdn flag, expected code)
OFAC_LIST_CODES = [
    # the names OFAC's own files state (Enhanced and Advanced XML)
    ("SDN List", (), False, "SDN"),
    ("Sectoral Sanctions Identifications List", (), False, "SSI"),
    ("Non-SDN Menu-Based Sanctions List", (), False, "NS-MBS"),
    ("CAPTA List", (), False, "CAPTA"),
    ("Non-SDN CMIC List", (), False, "CMIC"),
    ("FSE List", (), False, "FSE"),
    ("Non-SDN Palestinian Legislative Council List", (), False, "PLC"),
    # the names ofac_listing writes, read back (an FtM import of an Embargo export)
    ("Correspondent Account or Payable-Through Account Sanctions List", (), False, "CAPTA"),
    ("Non-SDN Chinese Military-Industrial Complex Companies List", (), False, "CMIC"),
    ("Foreign Sanctions Evaders List", (), False, "FSE"),
    # a list name that names no list falls back to the programs
    ("Consolidated List", ("UKRAINE-EO13662",), False, "SSI"),
    ("Non-SDN Consolidated Sanctions List", (), False, "NS-OTHER"),
    # programs, as the classic XML and CSV (which state no list) give them; the lists are
    # those the Enhanced XML states for the same parties
    (None, ("UKRAINE-EO13662",), False, "SSI"),
    (None, ("UKRAINE-EO13662", "RUSSIA-EO14024"), False, "SSI"),
    (None, ("RUSSIA-EO14024",), False, "NS-MBS"),  # National Wealth Fund and others
    (None, ("BURMA-EO14014",), False, "NS-MBS"),  # MYANMA OIL AND GAS ENTERPRISE
    (None, ("ILLICIT-DRUGS-EO14059",), False, "NS-MBS"),  # MARTELLY, Michel Joseph
    (None, ("CAATSA - RUSSIA",), False, "NS-MBS"),
    # ROSOBORONEXPORT: in CONSOLIDATED.XML for its SSI listing, with its SDN programs
    (None, ("SYRIA", "UKRAINE-EO13662", "RUSSIA-EO14024", "IRAN-CON-ARMS-EO"), False, "SSI"),
    # ROSNEFT TRADING: SSI by UKRAINE-EO13662; VENEZUELA-EO13850 is its SDN program
    (None, ("UKRAINE-EO13662", "VENEZUELA-EO13850"), False, "SSI"),
    (None, ("VENEZUELA-EO13850",), False, "NS-OTHER"),
    (None, ("IRAN-CON-ARMS-EO",), False, "NS-OTHER"),
    (None, ("561-Related",), False, "CAPTA"),
    (None, ("CMIC-EO13959",), False, "CMIC"),
    (None, ("FSE-IR",), False, "FSE"),
    (None, ("NS-PLC", "SDGT"), False, "PLC"),
    (None, ("MBS",), False, "NS-MBS"),  # the CSL's program for the menu-based list
    (None, ("SDGT",), True, "SDN"),
]


@pytest.mark.parametrize(("list_name", "programs", "sdn", "code"), OFAC_LIST_CODES)
def test_ofac_list_code(
    list_name: str | None, programs: tuple[str, ...], sdn: bool, code: str
) -> None:
    assert ofac_list_code(list_name, programs, sdn=sdn) == code


@pytest.mark.parametrize("code", OFAC_CODES)
def test_ofac_listing_names_read_back(code: str) -> None:
    """The list a listing names leads back to the same list, for both code lookups."""
    listing = ofac_listing("s", (), sdn=code == "SDN", list_name=code if code != "SDN" else None)
    assert ofac_list_code(listing.list, (), sdn=False) == code
    assert csl_list_code(listing.list) == code


@pytest.mark.parametrize(
    ("code", "measure"),
    [
        ("SDN", Measure.BLOCKING),
        ("SSI", Measure.SECTORAL),
        ("NS-MBS", Measure.MENU_BASED),
        ("CAPTA", Measure.SECTORAL),
        ("CMIC", Measure.SECTORAL),
        ("FSE", Measure.OTHER),
        ("PLC", Measure.OTHER),
    ],
)
def test_ofac_listing_measures(code: str, measure: Measure) -> None:
    listing = ofac_listing(
        "us_ofac_cons",
        [" CAATSA - RUSSIA ", "CAATSA - RUSSIA", ""],
        sdn=code == "SDN",
        list_name=None if code == "SDN" else code,
        measures=["Sec. 235(a)(2)", "Sec. 235(a)(2)"],
    )
    assert listing.authority == "US OFAC" and listing.measure is measure
    assert listing.programs == ("CAATSA - RUSSIA",)
    assert listing.measures == ("Sec. 235(a)(2)",)
    # Only a menu-based listing spells out its menu in the summary.
    assert ("Sec. 235(a)(2)" in listing.summary) is (measure is Measure.MENU_BASED)


CSL_LIST_CODES = [
    # the CSL's own source labels (2022 file)
    ("Specially Designated Nationals (SDN) - Treasury Department", "SDN"),
    ("Entity List (EL) - Bureau of Industry and Security", "EL"),
    ("Denied Persons List (DPL) - Bureau of Industry and Security", "DPL"),
    ("Military End User (MEU) List - Bureau of Industry and Security", "MEU"),
    ("Unverified List (UVL) - Bureau of Industry and Security", "UVL"),
    ("ITAR Debarred (DTC) - State Department", "DTC"),
    ("Nonproliferation Sanctions (ISN) - State Department", "ISN"),
    ("Sectoral Sanctions Identifications List (SSI) - Treasury Department", "SSI"),
    ("Non-SDN Menu-Based Sanctions List (NS-MBS List) - Treasury Department", "NS-MBS"),
    ("Capta List (CAP) - Treasury Department", "CAPTA"),
    ("Non-SDN Chinese Military-Industrial Complex Companies List (CMIC) - Treasury Department", (
        "CMIC"
    )),
    ("Foreign Sanctions Evaders (FSE) - Treasury Department", "FSE"),
    ("Palestinian Legislative Council List (PLC) - Treasury Department", "PLC"),
    # bare codes and "<code> List"
    ("SDN List", "SDN"),
    ("SDN", "SDN"),
    ("CAPTA List", "CAPTA"),
    ("EL", "EL"),
    # the builders' list names
    ("Entity List", "EL"),
    ("ITAR Debarred List", "DTC"),
    ("Correspondent Account or Payable-Through Account Sanctions List", "CAPTA"),
    # unknown
    ("Non-SDN Consolidated Sanctions List", None),
    ("Some Other List", None),
]  # fmt: skip


@pytest.mark.parametrize(("label", "code"), CSL_LIST_CODES)
def test_csl_list_code(label: str, code: str | None) -> None:
    assert csl_list_code(label) == code


def test_csl_listing_passes_measures_to_ofac_lists() -> None:
    listing = csl_listing(
        "us_trade_csl",
        "Non-SDN Menu-Based Sanctions List (NS-MBS List) - Treasury Department",
        ["CAATSA - RUSSIA"],
        measures=["Sec. 235(a)(2)", "Sec. 235(a)(3)"],
        listed_on="2020-12-14",
    )
    assert (listing.authority, listing.list, listing.measure) == (
        "US OFAC",
        "Non-SDN Menu-Based Sanctions List",
        Measure.MENU_BASED,
    )
    assert listing.measures == ("Sec. 235(a)(2)", "Sec. 235(a)(3)")
    assert "Sec. 235(a)(3)" in listing.summary and listing.listed_on == "2020-12-14"


def test_csl_listing_bis_licence_terms_then_measures() -> None:
    listing = csl_listing(
        "us_trade_csl",
        "Entity List (EL) - Bureau of Industry and Security",
        ["EAR"],
        license_requirement="For all items subject to the EAR.",
        license_policy="Presumption of denial.",
        measures=["Foreign direct product rule"],
    )
    assert (listing.authority, listing.list, listing.measure) == (
        "US BIS",
        "Entity List",
        Measure.EXPORT_CONTROL,
    )
    assert listing.measures == (
        "Licence requirement: For all items subject to the EAR.",
        "Licence review policy: Presumption of denial.",
        "Foreign direct product rule",
    )


def test_csl_listing_unknown_list_is_other() -> None:
    listing = csl_listing("us_trade_csl", "Some Other List", ["X"], measures=["m"])
    assert (listing.authority, listing.list, listing.measure) == (
        "US government",
        "Some Other List",
        Measure.OTHER,
    )
    assert listing.measures == ("m",)


def test_generic_listing() -> None:
    listing = generic_listing(
        "ftm_ua_nsdc",
        "National Security and Defense Council of Ukraine",
        "NSDC sanctions",
        [" UA-NSDC ", "UA-NSDC", ""],
        measures=["blocking of assets", "blocking of assets"],
        listed_on="2023-01-20",
        reference="1234",
        url="https://example.org/1234",
    )
    assert listing.measure is Measure.OTHER and listing.summary == SUMMARIES[Measure.OTHER]
    assert (listing.authority, listing.list, listing.source) == (
        "National Security and Defense Council of Ukraine",
        "NSDC sanctions",
        "ftm_ua_nsdc",
    )
    assert listing.programs == ("UA-NSDC",) and listing.measures == ("blocking of assets",)
    assert (listing.listed_on, listing.reference, listing.url) == (
        "2023-01-20",
        "1234",
        "https://example.org/1234",
    )
