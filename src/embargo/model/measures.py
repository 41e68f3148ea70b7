"""What a listing means: the measure it imposes, in plain words.

Publishers say *that* a party is listed; a screener needs to know *what follows*. Each
authority's lists and programs map to one ``Measure`` with a summary an analyst can act on.
Parsers build listings only through these functions so the wording is the same everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from embargo.model.entity import Listing, Measure

SUMMARIES: dict[Measure, str] = {
    Measure.BLOCKING: (
        "Blocked: all property and interests in property are frozen and (almost) every "
        "transaction with the party is prohibited."
    ),
    Measure.SECTORAL: (
        "Sectoral restrictions: only the kinds of transaction named in the applicable directive "
        "(e.g. new debt, new equity, securities trading, correspondent accounts) are prohibited; "
        "the party is not blocked."
    ),
    Measure.MENU_BASED: (
        "Menu-based sanctions: only the measures selected from the statute's menu apply; the "
        "party is not blocked."
    ),
    Measure.EXPORT_CONTROL: (
        "Export control: exports, re-exports and transfers of controlled items to the party need "
        "a licence or are denied."
    ),
    Measure.DEBARMENT: (
        "Debarment / nonproliferation measures: the party is barred from specific trade "
        "(e.g. defence articles, government procurement, assistance)."
    ),
    Measure.OTHER: "Listed: specific restrictions apply; check the program before transacting.",
}

# One line per OFAC list: (list name, measure, what it means).
_OFAC_LISTS: dict[str, tuple[str, Measure, str]] = {
    "SDN": (
        "SDN List",
        Measure.BLOCKING,
        "Specially Designated National: all property and interests in property subject to US "
        "jurisdiction are blocked, and US persons are generally prohibited from dealing with "
        "the party.",
    ),
    "SSI": (
        "Sectoral Sanctions Identifications List",
        Measure.SECTORAL,
        "Sectoral Sanctions Identification: US persons may not engage in the transactions "
        "prohibited by the named directive (new debt or equity of stated maturities, certain "
        "energy projects); the party is not blocked.",
    ),
    "NS-MBS": (
        "Non-SDN Menu-Based Sanctions List",
        Measure.MENU_BASED,
        "Menu-based sanctions: only the measures OFAC selected from the statute's menu apply "
        "(listed with this listing where OFAC publishes them); the party is not blocked.",
    ),
    "CAPTA": (
        "Correspondent Account or Payable-Through Account Sanctions List",
        Measure.SECTORAL,
        "CAPTA: US financial institutions may not open or maintain correspondent or "
        "payable-through accounts for the party, or only under strict conditions; not blocked.",
    ),
    "CMIC": (
        "Non-SDN Chinese Military-Industrial Complex Companies List",
        Measure.SECTORAL,
        "Chinese Military-Industrial Complex company: US persons may not buy or sell its "
        "publicly traded securities; other dealings are not prohibited.",
    ),
    "FSE": (
        "Foreign Sanctions Evaders List",
        Measure.OTHER,
        "Foreign sanctions evader: US persons may not deal in goods, services or technology "
        "in or related to the United States with the party; property is not blocked.",
    ),
    "PLC": (
        "Non-SDN Palestinian Legislative Council List",
        Measure.OTHER,
        "Member of the Palestinian Legislative Council elected on a party list of a designated "
        "terrorist organisation: not blocked, but transactions need review under the "
        "applicable general licences.",
    ),
}

# Programs that place a party on a given non-SDN OFAC list, for a file that does not say the
# list (the classic XML and the CSV). A non-SDN file carries a party's SDN programs too
# (ROSOBORONEXPORT is in CONSOLIDATED.XML for its sectoral listing, with SYRIA and
# IRAN-CON-ARMS-EO of its SDN listing), so programs that exist only for one non-SDN list come
# first, then the sectoral program, then the programs whose non-SDN listings are menu-based.
# Checked against the lists the Enhanced XML (which states them) gives the same parties:
# RUSSIA-EO14024 alone, BURMA-EO14014 and ILLICIT-DRUGS-EO14059 are the menu-based list;
# VENEZUELA-EO13850 and IRAN-CON-ARMS-EO are SDN programs, never a non-SDN list's own.
_OFAC_PROGRAM_LISTS: tuple[tuple[str, str], ...] = (
    ("NS-PLC", "PLC"),
    ("CMIC", "CMIC"),
    ("FSE", "FSE"),
    ("561-RELATED", "CAPTA"),
    ("CAPTA", "CAPTA"),
    ("NS-ISA", "NS-MBS"),
    ("MBS", "NS-MBS"),
    ("UKRAINE-EO13662", "SSI"),
    ("CAATSA", "NS-MBS"),
    ("RUSSIA-EO14024", "NS-MBS"),
    ("BURMA-EO14014", "NS-MBS"),
    ("ILLICIT-DRUGS-EO14059", "NS-MBS"),
)
# OFAC's list names, as its files and ``ofac_listing`` write them: phrases, then codes as words.
_OFAC_LIST_PHRASES: tuple[tuple[str, str], ...] = (
    ("CAPTA", "CAPTA"),
    ("CORRESPONDENT ACCOUNT", "CAPTA"),
    ("PAYABLE-THROUGH", "CAPTA"),
    ("NS-MBS", "NS-MBS"),
    ("MENU", "NS-MBS"),
    ("SECTORAL", "SSI"),
    ("PALESTINIAN", "PLC"),
    ("EVADER", "FSE"),
    ("CHINESE MILITARY", "CMIC"),
)
_OFAC_LIST_CODES = frozenset({"SSI", "PLC", "FSE", "CMIC"})
_SDN_WORD = re.compile(r"(?<![\w-])SDN\b|SPECIALLY DESIGNATED NATIONAL")


def ofac_list_code(list_name: str | None, programs: Iterable[str], *, sdn: bool) -> str:
    """The OFAC list code for an entry: from the list name a file states, else from programs.

    The name may be OFAC's own ("Non-SDN Menu-Based Sanctions List", "CAPTA List") or the one
    ``ofac_listing`` writes ("Correspondent Account or Payable-Through Account Sanctions
    List"), so that a listing read back (from an FtM export, say) keeps its list.
    """
    if sdn:
        return "SDN"
    name = (list_name or "").upper()
    if name:
        for phrase, code in _OFAC_LIST_PHRASES:
            if phrase in name:
                return code
        for word in re.findall(r"[A-Z]+", name):
            if word in _OFAC_LIST_CODES:
                return str(word)
        if _SDN_WORD.search(name):
            return "SDN"
    upper = [p.upper() for p in programs]
    for prefix, code in _OFAC_PROGRAM_LISTS:
        if any(p.startswith(prefix) for p in upper):
            return code
    return "NS-OTHER"


def ofac_listing(
    source: str,
    programs: Iterable[str],
    *,
    sdn: bool,
    list_name: str | None = None,
    measures: Iterable[str] = (),
    listed_on: str | None = None,
    legal_basis: str | None = None,
    reference: str | None = None,
    url: str | None = None,
) -> Listing:
    programs = tuple(dict.fromkeys(p.strip() for p in programs if p and p.strip()))
    code = ofac_list_code(list_name, programs, sdn=sdn)
    name, measure, summary = _OFAC_LISTS.get(
        code,
        (
            list_name or "Non-SDN Consolidated Sanctions List",
            Measure.OTHER,
            SUMMARIES[Measure.OTHER],
        ),
    )
    detail = tuple(dict.fromkeys(m for m in measures if m))
    if detail and measure is Measure.MENU_BASED:
        summary = summary + " Measures imposed: " + "; ".join(detail) + "."
    return Listing(
        authority="US OFAC",
        list=name,
        source=source,
        measure=measure,
        summary=summary,
        programs=programs,
        measures=detail,
        listed_on=listed_on,
        legal_basis=legal_basis,
        reference=reference,
        url=url,
    )


def generic_listing(
    source: str,
    authority: str,
    list_name: str,
    programs: Iterable[str] = (),
    *,
    measures: Iterable[str] = (),
    listed_on: str | None = None,
    legal_basis: str | None = None,
    reference: str | None = None,
    url: str | None = None,
) -> Listing:
    """A listing by an authority no other builder covers (an FtM import of a national list).

    The measure is ``OTHER``: Embargo does not know what the list obliges, so the summary
    says to check the program, and the authority, list and programs stay as published.
    """
    return Listing(
        authority=authority,
        list=list_name,
        source=source,
        measure=Measure.OTHER,
        summary=SUMMARIES[Measure.OTHER],
        programs=tuple(dict.fromkeys(p.strip() for p in programs if p and p.strip())),
        measures=tuple(dict.fromkeys(m for m in measures if m)),
        listed_on=listed_on,
        legal_basis=legal_basis,
        reference=reference,
        url=url,
    )


def eu_listing(
    source: str,
    programme: str | None,
    *,
    listed_on: str | None = None,
    legal_basis: str | None = None,
    reference: str | None = None,
    url: str | None = None,
) -> Listing:
    return Listing(
        authority="EU",
        list="EU Financial Sanctions (consolidated list)",
        source=source,
        measure=Measure.BLOCKING,
        summary=(
            "EU asset freeze: all funds and economic resources must be frozen, and none may be "
            "made available to the party, directly or indirectly."
        ),
        programs=(programme,) if programme else (),
        listed_on=listed_on,
        legal_basis=legal_basis,
        reference=reference,
        url=url,
    )


def un_listing(
    source: str,
    list_type: str | None,
    *,
    listed_on: str | None = None,
    reference: str | None = None,
    url: str | None = None,
) -> Listing:
    return Listing(
        authority="UN Security Council",
        list="UN Security Council Consolidated List",
        source=source,
        measure=Measure.BLOCKING,
        summary=(
            "UN sanctions: asset freeze, and for individuals travel ban, with arms embargo, "
            "binding on all UN member states through their own law."
        ),
        programs=(list_type,) if list_type else (),
        listed_on=listed_on,
        reference=reference,
        url=url,
    )


def uk_listing(
    source: str,
    regime: str | None,
    *,
    sanctions_imposed: Iterable[str] = (),
    authority: str = "UK FCDO",
    list_name: str = "UK Sanctions List",
    listed_on: str | None = None,
    reference: str | None = None,
    url: str | None = None,
) -> Listing:
    """A UK listing; an asset freeze makes it blocking, other measures alone do not."""
    imposed = tuple(dict.fromkeys(s.strip() for s in sanctions_imposed if s and s.strip()))
    lowered = " ".join(imposed).lower()
    if not imposed or "asset freeze" in lowered:
        measure = Measure.BLOCKING
        summary = (
            "UK asset freeze: funds and economic resources must be frozen and none may be made "
            "available to the party, directly or indirectly."
        )
    elif "trust services" in lowered:
        measure = Measure.SECTORAL
        summary = "UK trust services sanctions: trust services may not be provided to the party."
    else:
        measure = Measure.OTHER
        summary = "UK sanctions other than an asset freeze apply."
    if imposed:
        summary += " Sanctions imposed: " + ", ".join(imposed) + "."
    return Listing(
        authority=authority,
        list=list_name,
        source=source,
        measure=measure,
        summary=summary,
        programs=(regime,) if regime else (),
        measures=imposed,
        listed_on=listed_on,
        reference=reference,
        url=url,
    )


# The trade.gov Consolidated Screening List merges 13 lists of three US agencies. Its ``source``
# column reads e.g. "Entity List (EL) - Bureau of Industry and Security"; the code in
# parentheses identifies the list.
_CSL_LISTS: dict[str, tuple[str, str, Measure, str]] = {
    "EL": (
        "US BIS",
        "Entity List",
        Measure.EXPORT_CONTROL,
        "BIS Entity List: a licence is required to export, re-export or transfer (in-country) "
        "items subject to the EAR to the party; see the licence requirement and review policy.",
    ),
    "DPL": (
        "US BIS",
        "Denied Persons List",
        Measure.EXPORT_CONTROL,
        "BIS Denied Persons List: export privileges are denied; no transaction involving items "
        "subject to the EAR may be made with the party.",
    ),
    "UVL": (
        "US BIS",
        "Unverified List",
        Measure.EXPORT_CONTROL,
        "BIS Unverified List: licence exceptions are unavailable and a UVL statement is required "
        "before exporting to the party.",
    ),
    "MEU": (
        "US BIS",
        "Military End User List",
        Measure.EXPORT_CONTROL,
        "BIS Military End User List: a licence is required to export listed items to the party.",
    ),
    "DTC": (
        "US State Department (DDTC)",
        "ITAR Debarred List",
        Measure.DEBARMENT,
        "ITAR debarred: the party may not take part, directly or indirectly, in the export of "
        "defence articles or defence services.",
    ),
    "ISN": (
        "US State Department (ISN)",
        "Nonproliferation Sanctions",
        Measure.DEBARMENT,
        "Nonproliferation sanctions: US government procurement, assistance and export licences "
        "are barred for the party, as the listed statute specifies.",
    ),
}
_CSL_OFAC_CODES = {
    "SDN": "SDN",
    "SSI": "SSI",
    "NS-MBS LIST": "NS-MBS",
    "NS-MBS": "NS-MBS",
    "CAP": "CAPTA",
    "CAPTA": "CAPTA",
    "CMIC": "CMIC",
    "FSE": "FSE",
    "PLC": "PLC",
}
_CSL_CODE = re.compile(r"\(([^)]+)\)")
_CSL_NAMES = {
    "entity list": "EL",
    "denied persons": "DPL",
    "unverified": "UVL",
    "military end user": "MEU",
    "itar debarred": "DTC",
    "nonproliferation": "ISN",
    "specially designated nationals": "SDN",
    "sectoral sanctions": "SSI",
    "menu-based": "NS-MBS",
    "capta": "CAPTA",
    "correspondent account": "CAPTA",
    "chinese military": "CMIC",
    "foreign sanctions evaders": "FSE",
    "palestinian legislative": "PLC",
}


def csl_list_code(label: str) -> str | None:
    """The list code for a CSL ``source`` value, or None when the list is unknown.

    Reads the CSL's own labels ("Entity List (EL) - Bureau of Industry and Security"), a bare
    code or "<code> List" ("SDN List", "CAPTA List"), and the list names the builders here
    write ("Sectoral Sanctions Identifications List").
    """
    m = _CSL_CODE.search(label)
    if m:
        code = m.group(1).strip().upper()
        if code in _CSL_LISTS:
            return code
        if code in _CSL_OFAC_CODES:
            return _CSL_OFAC_CODES[code]
    bare = re.sub(r"\s+LIST$", "", label.strip().upper())
    if bare in _CSL_LISTS:
        return bare
    if bare in _CSL_OFAC_CODES:
        return _CSL_OFAC_CODES[bare]
    lowered = label.lower()
    for needle, code in _CSL_NAMES.items():
        if needle in lowered:
            return code
    if _SDN_WORD.search(label.upper()):
        return "SDN"
    return None


def csl_listing(
    source: str,
    csl_source: str,
    programs: Iterable[str],
    *,
    license_requirement: str | None = None,
    license_policy: str | None = None,
    measures: Iterable[str] = (),
    listed_on: str | None = None,
    legal_basis: str | None = None,
    url: str | None = None,
) -> Listing:
    """A listing from the US Consolidated Screening List, by its ``source`` column.

    ``measures`` are the measures the row names (OFAC's CAATSA section 235 menu and directive
    terms, carried in its ids); a BIS or State listing lists its licence terms first.
    """
    programs = tuple(dict.fromkeys(p.strip() for p in programs if p and p.strip()))
    label = csl_source.strip()
    code = csl_list_code(label)
    if code in _OFAC_LISTS:
        return ofac_listing(
            source,
            programs,
            sdn=code == "SDN",
            list_name=_OFAC_LISTS[code][0],
            measures=measures,
            listed_on=listed_on,
            legal_basis=legal_basis,
            url=url,
        )
    if code in _CSL_LISTS:
        authority, name, measure, summary = _CSL_LISTS[code]
        detail = tuple(
            dict.fromkeys(
                [
                    *(
                        f"{k}: {v}"
                        for k, v in (
                            ("Licence requirement", license_requirement),
                            ("Licence review policy", license_policy),
                        )
                        if v
                    ),
                    *(m for m in measures if m),
                ]
            )
        )
        return Listing(
            authority=authority,
            list=name,
            source=source,
            measure=measure,
            summary=summary,
            programs=programs,
            measures=detail,
            listed_on=listed_on,
            legal_basis=legal_basis,
            url=url,
        )
    return Listing(
        authority="US government",
        list=label,
        source=source,
        measure=Measure.OTHER,
        summary=SUMMARIES[Measure.OTHER],
        programs=programs,
        measures=tuple(dict.fromkeys(m for m in measures if m)),
        listed_on=listed_on,
        legal_basis=legal_basis,
        url=url,
    )
