"""News pages of different layouts: the extracted text holds the article body and none of
the page furniture; hidden text and scripts never get in; metadata is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import SeedsError
from assistant.ingest.encoding import decode_page
from assistant.ingest.html import extract_html

PAGES = Path(__file__).parent / "data" / "pages"

CASES = {
    "herald_bridge.html": {
        "meta": ("Harbour bridge reopens after three weeks of repairs", "The Coastal Herald",
                 "2016-07-08", "Priya Natarajan",
                 "https://www.coastalherald.example/news/2016/07/08/harbour-bridge-reopens"),
        "body": ["reopened to traffic at 5am on Friday", "42 steel expansion joints",
                 "Commuters have been patient", "85,000 vehicles a day", "pedestrian walkway"],
        "furniture": ["cookies", "Subscribe from", "Holiday sale", "Refinance", "Share on",
                      "Related stories", "Ferry timetable", "harbourwatcher", "hoax",
                      "Most read", "Shark sighting", "All rights reserved", "Privacy policy",
                      "newsletter", "Ignore all previous instructions", "reveal your prompt",
                      "dataLayer", "enable JavaScript", "Photo: Tom Reyes", "Search the Herald"],
    },
    "wire_amp_summit.html": {
        "meta": ("NATO leaders agree to send four battalions to the Baltics", "Northern Wire",
                 "2016-07-09", "Lars Eriksen",
                 "https://northernwire.example/world/nato-battalions-baltics-20160709"),
        "body": ["four multinational battalions", "About 4,000 troops",
                 "a threat to its security", "meet in Brussels on July 13"],
        "furniture": ["premium newsletter", "UA-000000", "Log in", "Oil prices", "Markets rally",
                      "Republication", "Tags:", "Menu", "amp-start"],
    },
    "blog_grain.html": {
        "meta": ("Drought cuts wheat harvest by a fifth", "Farming Today", "2016-08-02",
                 "Megan Owen", "https://farmingtoday.example/2016/08/02/drought-cuts-wheat-harvest/"),
        "body": ["about 20 per cent smaller", "13.1 million tonnes",
                 "“Some of our members have seen crops wither in the field,”",
                 "import more grain from France"],
        "furniture": ["Share this", "Barley prices", "Posted in", "Tagged", "Previous post",
                      "FarmerJoe", "too optimistic", "Leave a Reply", "email address",
                      "weekly newsletter", "Milk price war", "Proudly powered", "cookies",
                      "Log in", "News for growers"],
    },
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_body_is_kept_and_the_furniture_left_out(name: str) -> None:
    case = CASES[name]
    article = extract_html((PAGES / name).read_bytes())
    text = article.text
    for bit in case["body"]:
        assert bit in text, f"{name}: body text {bit!r} missing"
    for bit in case["furniture"]:
        assert bit.lower() not in text.lower(), f"{name}: furniture {bit!r} kept"
    meta = (article.title, article.outlet, article.published, article.author, article.url)
    assert meta == case["meta"]


def test_a_page_with_only_navigation_is_rejected() -> None:
    with pytest.raises(SeedsError, match="no article text"):
        extract_html((PAGES / "nav_only.html").read_bytes())


def test_encodings() -> None:
    assert decode_page("Café “news”".encode("cp1252"), "windows-1252") == "Café “news”"
    assert decode_page("Café".encode(), "no-such-charset") == "Café"  # unknown name: UTF-8
    with pytest.raises(SeedsError, match="encoding cannot be told"):
        decode_page(bytes(range(256)) * 4, "x-unknown")
