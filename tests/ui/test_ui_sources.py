"""Unit tests of ``ui.sources`` and ``ui.narrowing``: marker colours, grouping by article,
answer and article segments, the date and cost lines, and narrowing to sources and dates."""

from __future__ import annotations

import pytest

from assistant.types import Answer, ArticleInfo, Citation
from ui import narrowing, sources
from ui.narrowing import Narrowing

RAW = (
    "Bridge reopens\n\nJuly 12, 2016\n\nThe bridge reopened on Monday. "
    "Repairs cost 2.4 million euros.\n\nTraffic returns on Friday.\n"
)


def cite(n: int, quote: str, source: str = "bridge.txt", raw: str = RAW, **meta: str) -> Citation:
    start = raw.index(quote)
    title = "Bridge reopens" if source == "bridge.txt" else source
    return Citation(n, source, title, f"{source}#1", start, start + len(quote), quote, **meta)


def answer(text: str, citations: tuple[Citation, ...], refused: bool = False) -> Answer:
    timings = {"retrieve_ms": 20.0, "first_token_ms": 30.0, "total_ms": 1234.0}
    notices = ("backend extractive: requested", "understood as: How much were the repairs?")
    return Answer("q", text, refused, citations, "extractive", timings, None, notices)


def test_colours_cycle_through_streamlits_names() -> None:
    assert [sources.colour(n) for n in (1, 2, 7, 8)] == ["blue", "orange", "gray", "blue"]


def test_citations_are_grouped_by_article_with_what_is_known_of_it() -> None:
    a = cite(1, "The bridge reopened on Monday.", published="2016-07-12", outlet="Harbour Post")
    b = cite(2, "Traffic returns on Friday.", author="Ann Lee", url="https://example.org/b")
    other = Citation(3, "other.txt", "Other", "other#1", 0, 5, "Other", url="javascript:alert(1)")
    groups = sources.group_by_article([a, other, b])
    assert [g.source for g in groups] == ["bridge.txt", "other.txt"]
    assert [c.n for c in groups[0].citations] == [1, 2]
    assert groups[0].meta == "Harbour Post · 12 July 2016 · by Ann Lee"
    assert groups[0].url == "https://example.org/b"
    assert groups[1].url is None and groups[1].meta == ""  # no javascript: link


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://a.org/x?y=1", "https://a.org/x?y=1"),
        ("http://a.org", "http://a.org"),
        ("javascript:alert(1)", None),
        ("data:text/html,x", None),
        ("//a.org/x", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_url_keeps_only_http_links(url: str | None, safe: str | None) -> None:
    assert sources.safe_url(url) == safe


def test_answer_segments_split_text_and_markers_and_mark_uncited_sentences() -> None:
    one = cite(1, "The bridge reopened on Monday.")
    two = cite(2, "Repairs cost 2.4 million euros.")
    text = (
        "It reopened on Monday [1]. It cost 2.4 million euros. [2] "
        "The articles do not say who paid."
    )
    segments = sources.answer_segments(answer(text, (one, two)))
    markers = [s for s in segments if "n" in s]
    assert [(m["n"], m["colour"]) for m in markers] == [(1, "blue"), (2, "orange")]
    assert markers[0]["quote"] == "The bridge reopened on Monday."
    assert markers[0]["title"] == "Bridge reopens"
    plain = "".join(s.get("t", f"[{s.get('n')}]") for s in segments)
    assert plain == text
    gaps = "".join(s["t"] for s in segments if s.get("gap"))
    assert gaps == "The articles do not say who paid."  # a marker after the stop counts


def test_answer_segments_of_a_combined_marker_and_of_a_refusal() -> None:
    one, two = cite(1, "The bridge reopened on Monday."), cite(2, "Traffic returns on Friday.")
    segments = sources.answer_segments(answer("Open again [1, 2].", (one, two)))
    assert [s["n"] for s in segments if "n" in s] == [1, 2]
    refusal = sources.answer_segments(answer("The articles do not contain it.", (), True))
    assert refusal == [{"t": "The articles do not contain it.", "gap": False}]


def test_article_segments_highlight_every_cited_span_and_flag_stale_ones() -> None:
    one = cite(1, "The bridge reopened on Monday.")
    two = cite(2, "Traffic returns on Friday.")
    moved = Citation(3, "bridge.txt", "Bridge reopens", "b#2", 0, 6, "Repair")  # text changed
    segments, stale = sources.article_segments(RAW, [two, one, moved], focus=2)
    assert stale == [3]
    assert "".join(s["t"] for s in segments) == RAW  # the whole article, in order
    marks = [s for s in segments if "n" in s]
    assert [(m["n"], m["t"], m["colour"], m["focus"]) for m in marks] == [
        (1, "The bridge reopened on Monday.", "blue", False),
        (2, "Traffic returns on Friday.", "orange", True),
    ]


def test_article_segments_of_overlapping_spans_never_repeat_text() -> None:
    whole = cite(1, "The bridge reopened on Monday. Repairs cost")
    inner = cite(2, "Repairs cost 2.4 million euros.")
    segments, _ = sources.article_segments(RAW, [whole, inner], focus=1)
    assert "".join(s["t"] for s in segments) == RAW
    assert [s["t"] for s in segments if s.get("n") == 2] == [" 2.4 million euros."]


def test_dates_line_meta_line_and_notices() -> None:
    dated = cite(1, "The bridge reopened on Monday.", published="2016-07-12")
    older = cite(2, "Traffic returns on Friday.", published="2016-07-08")
    assert sources.dates_line([dated]) == "as of 12 July 2016"
    assert sources.dates_line([dated, older]) == (
        "as of 12 July 2016 (articles from 8 July 2016 to 12 July 2016)"
    )
    assert sources.dates_line([cite(1, "Traffic returns on Friday.")]) is None
    got = answer("It reopened [1].", (dated,))
    assert sources.meta_line(got) == "extractive · 1.2 s"
    assert sources.understood_as(got) == "How much were the repairs?"
    assert sources.other_notices(got) == []
    assert sources.uncovered(got) is None


def test_narrowing_turns_articles_and_outlets_into_sources() -> None:
    catalog = [
        ArticleInfo("a.txt", "A", 2, "2016-07-01"),
        ArticleInfo("b.txt", "B", 2, None),
        ArticleInfo("c.txt", "C", 2, "2016-08-01"),
    ]
    object.__setattr__(catalog[0], "outlet", "Post")  # as the index will say, once it knows
    object.__setattr__(catalog[2], "outlet", "Herald")
    assert narrowing.outlets(catalog) == ["Herald", "Post"]
    assert Narrowing().sources(catalog) is None and not Narrowing().active
    assert Narrowing(since="2016-07-01").sources(catalog) is None  # dates go to since/until
    assert Narrowing(("a.txt", "b.txt")).sources(catalog) == ("a.txt", "b.txt")
    assert Narrowing(outlets=("Post", "Herald")).sources(catalog) == ("a.txt", "c.txt")
    both = Narrowing(("a.txt", "b.txt"), ("Herald",))
    assert both.sources(catalog) == () and "no article" in str(both.problem(catalog))
    backwards = Narrowing(since="2016-09-01", until="2016-07-01")
    assert "after the end date" in str(backwards.problem(catalog))
    said = Narrowing(("a.txt", "b.txt", "c.txt"), ("Post",), "2016-07-01", "2016-07-31")
    assert said.describe({"a.txt": "A", "b.txt": "B"}) == (
        "3 articles (A, B and 1 more) · outlet Post · published 1 July 2016 to 31 July 2016"
    )
    assert Narrowing(until="2016-07-31").describe({}) == "published until 31 July 2016"
    assert said.to_dict()["outlets"] == ["Post"]


def test_filter_articles_matches_all_words_and_caps_the_list() -> None:
    articles = [ArticleInfo(f"2024/{i:03d}.txt", f"Council budget {i}", 3) for i in range(120)] + [
        ArticleInfo("2016/nato.txt", "NATO-Russia Council to meet", 4, "2016-07-08")
    ]
    shown, matching = narrowing.filter_articles(articles, "")
    assert (len(shown), matching) == (narrowing.ARTICLES_SHOWN, 121)
    shown, matching = narrowing.filter_articles(articles, "nato COUNCIL")
    assert ([a.source for a in shown], matching) == (["2016/nato.txt"], 1)
    shown, matching = narrowing.filter_articles(articles, "budget 11")  # 11, 110..119
    assert matching == 11 and all("11" in a.title for a in shown)


def test_article_options_stay_bounded_on_a_big_archive() -> None:
    small = [ArticleInfo(f"{i}.txt", f"T{i}", 1) for i in range(3)]
    assert narrowing.article_options(small, "", []) == ["0.txt", "1.txt", "2.txt"]
    big = [ArticleInfo(f"{i:05d}.txt", f"Note {i}", 1) for i in range(3000)]
    options = narrowing.article_options(big, "", ["02999.txt"])
    assert len(options) == narrowing.OPTIONS_LIMIT + 1 and options[0] == "02999.txt"
    assert narrowing.article_options(big, "note 1234", []) == ["01234.txt"]
