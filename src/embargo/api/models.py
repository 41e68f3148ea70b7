"""Request and response models: validation of request bodies, and the OpenAPI documentation.

The shapes follow yente's (``EntityMatchQuery``, ``EntityMatchResponse``, ``SearchResponse``)
field for field, so that a yente client reads Embargo's responses unchanged; Embargo's extras
sit under ``embargo``. Responses are built as plain data and encoded directly (validating every
outgoing result through these models would cost more than the screening), so the response
models here document the output; the test suite checks real responses against them and
against yente's own models.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from embargo.api.limits import MAX_BATCH

# -- /match request ------------------------------------------------------------------------


class EntityExample(BaseModel):
    """One party to screen, as a FollowTheMoney entity: schema plus properties."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    id: str | None = Field(None, examples=["my-customer-42"], description="Echoed back.")
    schema_: str = Field(
        ...,
        alias="schema",
        examples=["Person"],
        description="Person, Company, Organization, LegalEntity, Vessel or Airplane.",
    )
    properties: dict[str, Any] = Field(
        ...,
        examples=[{"name": ["Vladimir Putin"], "birthDate": ["1952-10-07"], "country": ["ru"]}],
        description="FtM properties, each a list of strings (a single string is accepted): "
        "name, alias, previousName, weakAlias, firstName, middleName, fatherName, lastName, "
        "birthDate, nationality, citizenship, country, jurisdiction, flag, birthCountry, "
        "gender, idNumber, passportNumber, taxNumber, registrationNumber, innCode, ogrnCode, "
        "imoNumber, mmsi, leiCode, swiftBic, vatCode, socialSecurityNumber, cryptoWallet.",
    )


class EntityMatchQuery(BaseModel):
    """A batch of parties to screen, keyed by names the client chooses."""

    model_config = ConfigDict(extra="ignore")

    queries: dict[str, EntityExample] = Field(
        ...,
        description=f"At most {MAX_BATCH} queries.",
        examples=[
            {
                "q1": {"schema": "Person", "properties": {"name": ["Vladimir Putin"]}},
                "q2": {"schema": "Company", "properties": {"name": ["Rosoboronexport"]}},
            }
        ],
    )
    weights: dict[str, float] = Field(
        default_factory=dict, description="Accepted for yente compatibility; not used."
    )
    config: dict[str, Any] = Field(
        default_factory=dict, description="Accepted for yente compatibility; not used."
    )


class TextQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(..., description="The document to search for listed parties.")
    threshold: float | None = Field(None, ge=0.0, le=1.0)
    dataset: str = Field("default", description="A source or collection name.")


# -- responses (documentation) -----------------------------------------------------------


class ErrorResponse(BaseModel):
    detail: str = Field(..., examples=["properties.name: a query needs at least one name"])


class TotalSpec(BaseModel):
    value: int = Field(..., examples=[3])
    relation: str = Field("eq", examples=["eq"])


class FeatureResult(BaseModel):
    score: float
    detail: str | None = None
    query: str | None = None
    candidate: str | None = None


class EntityResponse(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(..., examples=["us_ofac_sdn-35096"])
    caption: str = Field(..., examples=["Vladimir Vladimirovich PUTIN"])
    schema_: str = Field(..., alias="schema", examples=["Person"])
    properties: dict[str, list[Any]] = Field(..., examples=[{"name": ["Vladimir PUTIN"]}])
    datasets: list[str] = Field(default_factory=list, examples=[["us_ofac_sdn"]])
    referents: list[str] = Field(default_factory=list, examples=[["us-ofac-sdn-35096"]])
    target: bool = True
    first_seen: str | None = None
    last_seen: str | None = None
    last_change: str | None = None
    embargo: dict[str, Any] = Field(
        default_factory=dict,
        description="Embargo's extras: source, source_id, source_url, measures, listings "
        "(authority, list, measure, plain-words summary, programs, dates, reference).",
    )


class ScoredEntityResponse(EntityResponse):
    score: float = Field(..., examples=[0.97])
    match: bool = Field(..., description="Whether the score reaches the threshold.")
    features: dict[str, float] = Field(
        default_factory=dict,
        description="name_match: the name score (0-1); other features: their change in log-odds.",
    )
    explanations: dict[str, FeatureResult] = Field(default_factory=dict)


class EntityMatches(BaseModel):
    status: int = 200
    results: list[ScoredEntityResponse]
    total: TotalSpec
    query: dict[str, Any]


class EntityMatchResponse(BaseModel):
    responses: dict[str, EntityMatches]
    matcher: dict[str, Any] = Field(
        ..., description="The algorithm that scored the results (its real name) and weights."
    )
    limit: int
    embargo: dict[str, Any] = Field(
        default_factory=dict,
        description="request_id, audit_id (the audit record of this call), dataset scope.",
    )


class SearchFacetItem(BaseModel):
    name: str
    label: str
    count: int


class SearchFacet(BaseModel):
    label: str
    values: list[SearchFacetItem]


class SearchResponse(BaseModel):
    results: list[EntityResponse]
    total: TotalSpec
    limit: int
    offset: int
    facets: dict[str, SearchFacet] = Field(default_factory=dict)


class Mention(BaseModel):
    start: int
    end: int
    text: str
    entity_id: str
    caption: str
    score: float
    linked: bool
    listings: list[dict[str, Any]]
    explanation: dict[str, Any]


class TextResponse(BaseModel):
    mentions: list[Mention]
    threshold: float
    embargo: dict[str, Any] = Field(default_factory=dict)
