"""General furniture detection on text files of several sites' layouts (not only the seed
site's): the reporting is kept, the furniture left out, offsets stay exact; YAML front
matter gives the title and metadata and is never text."""

from __future__ import annotations

import pytest

from assistant.ingest.articles import parse_article
from assistant.ingest.chunking import chunk_article

LAYOUTS = {
    "wire": (
        "Oil prices fall on supply glut\n\n"
        "By Sarah Connell\n"
        "LONDON, July 12 (Reuters) - Oil prices fell 2 percent on Tuesday as rising output "
        "from the Middle East added to a global supply glut.\n\n"
        "Brent crude futures were down 96 cents at $46.30 a barrel by 1400 GMT.\n\n"
        "Reporting by Sarah Connell; Editing by Mark Potter\n"
        "Our Standards: The Thomson Reuters Trust Principles\n"
        "Copyright 2016 Thomson Reuters. All rights reserved.\n",
        ["Oil prices fell 2 percent", "Brent crude futures were down 96 cents"],
        ["By Sarah Connell", "Reporting by", "Our Standards", "Copyright"],
    ),
    "blog": (
        "News › Politics › Council votes to close two libraries\n"
        "Council votes to close two libraries\n"
        "Posted 3 hours ago | 12 comments\n"
        "Image: Library entrance (Getty Images)\n"
        "The city council voted 7-4 on Monday night to close the Eastside and Northgate "
        "libraries at the end of the year to save $1.1 million.\n"
        "Advertisement\n"
        "Councillor Ruth Adams, who voted against, said the closures would hurt students.\n"
        "Related: Council budget blows out by $12 million\n"
        "Read more: Libraries around the state cut hours\n"
        "Follow us on Instagram and Twitter for the latest city news.\n"
        "Tags: council, libraries, budget\n"
        "Comments (12)\n",
        ["voted 7-4 on Monday night", "Councillor Ruth Adams"],
        ["Posted 3 hours ago", "Getty Images", "Advertisement", "Related:", "Read more",
         "Follow us", "Tags:", "Comments (12)", "News ›"],
    ),
    "magazine": (
        "Why the tide is turning for electric ferries\n"
        "Share this article\n"
        "Facebook\nTwitter\nWhatsApp\nEmail\n"
        "Electric ferries now carry a third of passengers on Norway's fjords, up from none "
        "in 2014, according to the country's transport ministry.\n"
        "The Future Of Transport On The Water Is Electric And Quiet\n"
        "Operators say battery costs have fallen by half since the first boat entered "
        "service.\n"
        "Sign up for our weekly newsletter and never miss a story!\n"
        "Click here to download our app.\n"
        "© Ocean Weekly 2016\n"
        "Cookie settings: we use cookies to personalise content; accept or manage them.\n",
        ["Electric ferries now carry a third", "battery costs have fallen by half"],
        ["Share this", "WhatsApp", "The Future Of Transport", "Sign up", "Click here",
         "© Ocean Weekly", "Cookie settings"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_reporting_kept_furniture_left_out(layout: str) -> None:
    raw, kept, furniture = LAYOUTS[layout]
    article = parse_article(f"{layout}.txt", raw)
    content = [raw[s.start : s.end] for s in article.content_spans]
    for bit in kept:
        assert any(bit in line for line in content), f"{layout}: lost {bit!r}: {content}"
    for bit in furniture:
        assert not any(bit in line for line in content), f"{layout}: kept {bit!r}"
    for passage in chunk_article(article):
        assert raw[passage.start : passage.end] == passage.text


def test_a_short_one_line_story_and_subheads() -> None:
    raw = "Minister resigns\n\nThe minister resigned.\n"
    assert [raw[s.start : s.end] for s in parse_article("a.txt", raw).content_spans] == [
        "The minister resigned."
    ]
    long = "Title\n\nA first paragraph of reporting that is long enough to count here.\n"
    long += "What happens next\nA second paragraph of reporting follows the subheading here.\n"
    content = [long[s.start : s.end] for s in parse_article("b.txt", long).content_spans]
    assert "What happens next" not in content and len(content) == 2


def test_front_matter_gives_title_and_metadata_and_is_not_text() -> None:
    raw = (
        "---\ntitle: Bridge reopens\nurl: https://herald.example/b\noutlet: The Herald\n"
        "published: 2016-07-08\nauthor: Jo Lee\nalso:\n- outlet: Wire Service\n"
        "  url: https://wire.example/b\n---\n\nThe bridge reopened on Friday, officials said.\n"
    )
    article = parse_article("b.md", raw)
    assert article.title == "Bridge reopens"
    meta = article.meta
    assert (meta.url, meta.outlet, meta.published, meta.author) == (
        "https://herald.example/b", "The Herald; Wire Service", "2016-07-08", "Jo Lee"
    )  # fmt: skip
    spans = article.content_spans
    assert [raw[s.start : s.end] for s in spans] == [
        "The bridge reopened on Friday, officials said."
    ]


def test_text_that_only_looks_like_front_matter_is_text() -> None:
    raw = "---\nnot: [valid: yaml\n---\nHeadline\nThe body of the story is here today.\n"
    article = parse_article("c.md", raw)
    assert article.title == "---"
    unclosed = "---\ntitle: x\nThe body never closes the block, so this is all text.\n"
    assert parse_article("d.md", unclosed).title == "---"


def test_a_dateline_is_kept() -> None:
    raw = "Report on harbour\n\nMarch 1, 2021\n\nThe harbour committee met in town.\n"
    content = [raw[s.start : s.end] for s in parse_article("a.txt", raw).content_spans]
    assert content == ["March 1, 2021", "The harbour committee met in town."]
