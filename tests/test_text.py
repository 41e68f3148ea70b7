"""Free-text screening: listed parties mentioned in documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from embargo import Screener
from embargo.errors import QueryError
from embargo.model import Schema
from embargo.model.measures import ofac_listing
from tests.builders import entity

LISTS = [
    entity("Vladimir Vladimirovich PUTIN", id="35096", source="us_ofac_sdn"),
    entity(
        "ROSOBORONEKSPORT OAO",
        "ROSOBORONEXPORT",
        schema=Schema.COMPANY,
        id="9593",
        source="us_ofac_sdn",
    ),
    entity(
        "UNITED WA STATE ARMY",
        schema=Schema.ORGANIZATION,
        id="7825",
        source="us_ofac_sdn",
        listing=ofac_listing("us_ofac_sdn", ["SDNTK"], sdn=True),
    ),
]


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener.from_entities(LISTS)


def test_payment_message(screener: Screener) -> None:
    text = "Payment ref 4471: invoice for spare parts, beneficiary ROSOBORONEXPORT, Moscow."
    (mention,) = screener.screen_text(text)
    assert mention.entity_id == "us_ofac_sdn-9593"
    assert text[mention.start : mention.end] == "ROSOBORONEXPORT"


def test_full_name_found_and_short_references_linked(screener: Screener) -> None:
    text = "Putin spoke. Later, President Vladimir Putin said more, and Putin left."
    (mention,) = screener.screen_text(text)
    assert mention.text == "Vladimir Putin"
    assert text[mention.start : mention.end] == "Vladimir Putin"
    assert len(mention.also_at) == 2  # the two bare "Putin"s


def test_surname_alone_is_not_a_mention(screener: Screener) -> None:
    assert screener.screen_text("Putin spoke on Monday.") == []


def test_phrase_must_cover_the_listed_name(screener: Screener) -> None:
    assert screener.screen_text("The United States said so.") == []


def test_text_size_limit(screener: Screener) -> None:
    with pytest.raises(QueryError, match="limit"):
        screener.screen_text("x" * 2_000_000)


def test_news_article(real_screener: Screener, shared_data: Path) -> None:
    text = (shared_data / "samples/news_article_2022-08_arms_and_caatsa.txt").read_text(
        encoding="utf-8"
    )
    mentions = real_screener.screen_text(text)
    putin = [m for m in mentions if "PUTIN" in m.caption.upper()]
    sources = {m.match.entity.source for m in putin}
    assert {"us_ofac_sdn", "eu_fsf", "gb_ofsi"} <= sources
    assert all(m.text == "Vladimir Putin" for m in putin)
    flagged = " ".join(m.text for m in mentions).lower()
    assert "erdo" not in flagged and "reuters" not in flagged
    assert {m.match.entity.source for m in mentions} == sources  # nothing but Putin
