"""The lists Embargo knows, where their publishers put them, and the formats it reads.

A *source* is one published list (OFAC's SDN list, the EU consolidated list, ...); a *format*
is one way a publisher writes a list to a file. A source may be published in several formats;
``update`` fetches each source's preferred one, and ``update --from`` reads any of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from embargo.errors import ConfigError
from embargo.sources.base import FormatSpec


@dataclass(frozen=True)
class Download:
    url: str
    format: str  # a FormatSpec name
    filename: str  # the name the file is saved under (parsers sniff on it)


@dataclass(frozen=True)
class SourceSpec:
    name: str
    title: str
    authority: str
    homepage: str
    downloads: tuple[Download, ...] = ()  # the files one update fetches, all of them
    default: bool = True  # fetched by a plain ``embargo update``
    note: str | None = None


_OFAC = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/"

SOURCES: dict[str, SourceSpec] = {
    s.name: s
    for s in (
        SourceSpec(
            "us_ofac_sdn",
            "OFAC Specially Designated Nationals (SDN) List",
            "US Treasury, Office of Foreign Assets Control",
            "https://ofac.treasury.gov/sanctions-list-service",
            (Download(_OFAC + "SDN.XML", "ofac-xml", "SDN.XML"),),
        ),
        SourceSpec(
            "us_ofac_cons",
            "OFAC Consolidated (non-SDN) Sanctions List",
            "US Treasury, Office of Foreign Assets Control",
            "https://ofac.treasury.gov/sanctions-list-service",
            (Download(_OFAC + "CONSOLIDATED.XML", "ofac-xml", "CONSOLIDATED.XML"),),
        ),
        SourceSpec(
            "eu_fsf",
            "EU Financial Sanctions Files (consolidated list)",
            "European Commission (DG FISMA)",
            "https://data.europa.eu/data/datasets/consolidated-list-of-persons-groups-and-entities-subject-to-eu-financial-sanctions",
            (
                Download(
                    "https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/"
                    "content?token=dG9rZW4tMjAxNw",
                    "eu-fsf-xml",
                    "eu_fsf_1_1.xml",
                ),
            ),
        ),
        SourceSpec(
            "gb_fcdo",
            "UK Sanctions List",
            "UK Foreign, Commonwealth & Development Office",
            "https://www.gov.uk/government/publications/the-uk-sanctions-list",
            (
                Download(
                    "https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.csv",
                    "uk-fcdo-csv",
                    "UK-Sanctions-List.csv",
                ),
            ),
        ),
        SourceSpec(
            "gb_ofsi",
            "UK OFSI Consolidated List of Financial Sanctions Targets",
            "UK HM Treasury, Office of Financial Sanctions Implementation",
            "https://www.gov.uk/government/publications/financial-sanctions-consolidated-list-of-targets",
            (
                Download(
                    "https://ofsistorage.blob.core.windows.net/publishlive/2022format/ConList.csv",
                    "uk-ofsi-csv",
                    "ConList.csv",
                ),
            ),
            default=False,
            note="OFSI retired this list on 28 January 2026 in favour of the UK Sanctions List "
            "(gb_fcdo); kept for reading archived files.",
        ),
        SourceSpec(
            "un_sc",
            "UN Security Council Consolidated List",
            "United Nations Security Council",
            "https://main.un.org/securitycouncil/en/content/un-sc-consolidated-list",
            (
                Download(
                    "https://scsanctions.un.org/resources/xml/en/consolidated.xml",
                    "un-sc-xml",
                    "un_consolidated.xml",
                ),
            ),
        ),
        SourceSpec(
            "us_trade_csl",
            "US Consolidated Screening List (Commerce, State, Treasury)",
            "US International Trade Administration",
            "https://www.trade.gov/consolidated-screening-list",
            (
                Download(
                    "https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.csv",
                    "us-csl-csv",
                    "consolidated.csv",
                ),
            ),
        ),
    )
}

# Format modules, in sniffing order (more specific formats first).
_FORMAT_MODULES = (
    "ofac_xml",
    "ofac_csv",
    "ofac_advanced",
    "ofac_enhanced",
    "eu_fsf",
    "un_sc",
    "uk_ofsi",
    "uk_fcdo",
    "us_csl",
    "ftm",
    "opensanctions",
)


def formats() -> dict[str, FormatSpec]:
    """Every format Embargo reads, by name."""
    out: dict[str, FormatSpec] = {}
    for module_name in _FORMAT_MODULES:
        module = import_module(f"embargo.sources.{module_name}")
        for attr in dir(module):
            value = getattr(module, attr)
            if attr.startswith("FORMAT") and isinstance(value, FormatSpec):
                out[value.name] = value
    return out


def get_format(name: str) -> FormatSpec:
    known = formats()
    if name not in known:
        raise ConfigError(f"unknown format {name!r}; known formats: {', '.join(sorted(known))}")
    return known[name]


def get_source(name: str) -> SourceSpec:
    if name not in SOURCES:
        raise ConfigError(f"unknown source {name!r}; known sources: {', '.join(sorted(SOURCES))}")
    return SOURCES[name]
