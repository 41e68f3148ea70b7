"""What the pages show, prepared from the shapes the API returns: an explanation laid out
side by side, measures in plain words, entities from alert snapshots, dates for people."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec

from embargo.model import Entity, Measure
from embargo.model.values import country_code

# A listing's measure in the fewest words an analyst needs; the listing's own summary (from
# ``model.measures``) follows it on the page.
MEASURE_WORDS: dict[str, str] = {
    Measure.BLOCKING.value: "Blocking: assets frozen, transactions prohibited",
    Measure.SECTORAL.value: "Sectoral: only the named kinds of transaction prohibited",
    Measure.MENU_BASED.value: "Menu-based: only the selected measures apply",
    Measure.EXPORT_CONTROL.value: "Export control: licence required or exports denied",
    Measure.DEBARMENT.value: "Debarment: barred from specific trade",
    Measure.OTHER.value: "Other restrictions: check the program before transacting",
}
# How a query part met a part of the listed name, as the explanation names it.
HOW_WORDS: dict[str, str] = {
    "exact": "exact",
    "transliterated": "transliterated",
    "name-equivalent": "same name in another language",
    "nickname": "nickname",
    "legal-form": "legal form",
    "synonym": "synonym",
    "initial": "initial",
    "phonetic": "sounds alike",
    "fuzzy": "fuzzy (spelling differs)",
    "joined": "written as one word",
    "reversed": "written backwards",
    "ocr": "scanner misreading",
    "consonants": "consonants agree",
    "missing": "not in the listed name",
    "extra": "not in the query",
    "conflict": "conflicts",
}
_UNMATCHED = frozenset({"missing", "extra", "conflict"})
FEATURE_WORDS = {
    "birth_date": "Birth date",
    "country": "Country",
    "identifier": "Identifier",
    "gender": "Gender",
    "common_name": "Common name",
    "schema": "Kind of party",
}
DECISION_WORDS = {
    "true_match": "true match",
    "false_positive": "false positive",
    "escalate": "escalated",
}
STATUS_WORDS = {
    "open": "open",
    "pending_second_review": "awaiting second review",
    "escalated": "escalated",
    "closed": "closed",
}

# FollowTheMoney property names, as a customer record carries them.
PROPERTY_WORDS = {
    "name": "Name",
    "alias": "Other names",
    "birthDate": "Birth date",
    "country": "Country",
    "nationality": "Nationality",
    "jurisdiction": "Jurisdiction",
    "idNumber": "Identifier",
    "registrationNumber": "Registration number",
    "passportNumber": "Passport",
    "imoNumber": "IMO number",
    "gender": "Gender",
}


def prop_label(key: str) -> str:
    return PROPERTY_WORDS.get(key, key)


def measure_words(measure: str) -> str:
    return MEASURE_WORDS.get(str(measure), str(measure))


@dataclass
class Token:
    text: str
    matched: bool
    how: str


@dataclass
class PartRow:
    query: str | None
    candidate: str | None
    how: str
    how_words: str
    score: float
    matched: bool


@dataclass
class FeatureRow:
    label: str
    delta: float
    reason: str

    @property
    def effect(self) -> str:
        if self.delta > 0:
            return "added"
        if self.delta < 0:
            return "took away"
        return "no effect"


@dataclass
class ExplanationView:
    summary: str
    query_name: str | None = None
    matched_name: str | None = None
    name_kind: str | None = None
    script: str | None = None
    name_score: float | None = None
    query_tokens: list[Token] = field(default_factory=list)
    matched_tokens: list[Token] = field(default_factory=list)
    parts: list[PartRow] = field(default_factory=list)
    features: list[FeatureRow] = field(default_factory=list)


def explanation_view(data: dict[str, Any] | None) -> ExplanationView:
    """An explanation (``Explanation.to_dict()``, as the API returns it and alerts keep it)
    laid out for the page: both names token by token, each matched token marked with how it
    matched, and what every secondary attribute added or took away."""
    if not data:
        return ExplanationView(summary="no explanation was recorded")
    view = ExplanationView(summary=str(data.get("summary", "")))
    name = data.get("name")
    if isinstance(name, dict):
        view.query_name = name.get("query_name")
        view.matched_name = name.get("matched_name")
        view.name_kind = name.get("name_kind")
        view.script = name.get("script")
        view.name_score = name.get("score")
        for part in name.get("parts", []):
            how = str(part.get("how") or "")
            score = float(part.get("score") or 0.0)
            q, c = part.get("query"), part.get("candidate")
            matched = bool(q and c and score > 0 and how not in _UNMATCHED)
            words = HOW_WORDS.get(how, how.replace("-", " "))
            view.parts.append(PartRow(q, c, how, words, score, matched))
            if q:
                view.query_tokens.append(Token(q, matched, words))
            if c:
                view.matched_tokens.append(Token(c, matched, words))
    for feature in data.get("features", []):
        key = str(feature.get("feature", ""))
        view.features.append(
            FeatureRow(
                FEATURE_WORDS.get(key, key.replace("_", " ").capitalize()),
                float(feature.get("delta") or 0.0),
                str(feature.get("reason", "")),
            )
        )
    return view


def entity_from_snapshot(snapshot: dict[str, Any]) -> Entity | None:
    """The listed entity as it was when the alert was raised."""
    try:
        return msgspec.convert(snapshot, Entity)
    except (msgspec.ValidationError, TypeError):
        return None


def when(at: datetime | str | None) -> str:
    """A moment as UTC to the minute ("2026-11-26 04:10 UTC")."""
    if at is None:
        return ""
    if isinstance(at, str):
        try:
            parsed = datetime.fromisoformat(at)
        except ValueError:
            return at
        at = parsed
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def country_label(code: str) -> str:
    return code.upper() if code else ""


def query_from_form(
    name: str,
    schema: str,
    birth_date: str,
    country: str,
    identifier: str,
) -> dict[str, Any]:
    """The screening form as the FollowTheMoney-style query the API's ``/match`` takes."""
    props: dict[str, list[str]] = {"name": [name.strip()]}
    if birth_date.strip():
        props["birthDate"] = [birth_date.strip()]
    if country.strip():
        text = country.strip()
        props["country"] = [country_code(text) or text]
    if identifier.strip():
        props["idNumber"] = [identifier.strip()]
    return {"schema": schema or "LegalEntity", "properties": props}


__all__ = [
    "DECISION_WORDS",
    "HOW_WORDS",
    "MEASURE_WORDS",
    "STATUS_WORDS",
    "ExplanationView",
    "entity_from_snapshot",
    "explanation_view",
    "measure_words",
    "query_from_form",
    "when",
]
