"""``assistant index`` over a seeds folder holding pages, a feed and an export: each gets
its article files under ``.articles/``, citations name them with exact offsets, and
questions about page furniture are declined."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.engine import Assistant

PAGES = Path(__file__).parent / "data" / "pages"
FEED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Valley Gazette</title>
<entry><title>Dam spillway opens</title><link href="https://gazette.example/dam"/>
<updated>2016-07-11T07:00:00Z</updated><author><name>Ana Ruiz</name></author>
<content type="html">&lt;p&gt;The dam's spillway was opened on Monday for the first time in
eleven years after heavy rain filled the reservoir to 104 per cent.&lt;/p&gt;</content></entry>
</feed>"""
EXPORT = [
    {"headline": "Library extends opening hours", "body": "The city library will open until "
     "9pm on weekdays from August, the council said, after a survey of 2,300 residents.",
     "publishedAt": "2016-07-20T10:00:00Z", "source": {"name": "City Times"},
     "url": "https://citytimes.example/library"},
    {"headline": "A line without its text"},
]  # fmt: skip


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("formats")
    seeds = root / "seeds"
    (seeds / "pages").mkdir(parents=True)
    for name in ("herald_bridge.html", "blog_grain.html", "nav_only.html"):
        shutil.copy(PAGES / name, seeds / "pages" / name)
    (seeds / "gazette.atom").write_text(FEED, encoding="utf-8")
    lines = "\n".join(json.dumps(item) for item in EXPORT) + "\n"
    (seeds / "export.jsonl").write_text(lines, encoding="utf-8")
    return Assistant(seeds_dir=seeds, index_dir=root / "index", backend="extractive")


def test_every_format_is_indexed_under_articles(folder: Assistant) -> None:
    report = folder.index()
    assert report.added == 4, report.summary()
    skipped = dict(report.skipped)
    assert "no article text" in skipped["pages/nav_only.html"]
    assert "no article text" in skipped["export.jsonl:2"]
    sources = {a.source: a for a in folder.articles()}
    assert set(sources) == {
        ".articles/pages/herald_bridge.html.md",
        ".articles/pages/blog_grain.html.md",
        ".articles/gazette.atom/0001-dam-spillway-opens.md",
        ".articles/export.jsonl/0001-library-extends-opening-hours.md",
    }
    library = sources[".articles/export.jsonl/0001-library-extends-opening-hours.md"]
    assert (library.outlet, library.date) == ("City Times", "2016-07-20")
    again = folder.index()
    assert (again.added, again.updated, again.embedded) == (0, 0, 0)


@pytest.mark.parametrize(
    ("question", "source", "words"),
    [
        ("How many steel expansion joints were replaced on the harbour bridge?",
         ".articles/pages/herald_bridge.html.md", "42 steel expansion joints"),
        ("How much wheat does the union expect growers to bring in?",
         ".articles/pages/blog_grain.html.md", "13.1 million tonnes"),
        ("How full was the reservoir when the spillway opened?",
         ".articles/gazette.atom/0001-dam-spillway-opens.md", "104 per cent"),
    ],
)  # fmt: skip
def test_answers_cite_the_article_files(folder: Assistant, question: str, source: str,
                                        words: str) -> None:  # fmt: skip
    folder.index()
    answer = folder.ask(question)
    assert not answer.refused, answer.notices
    cited = answer.citations[0]
    assert cited.source == source and words in cited.quote
    raw = (folder.settings.seeds_dir / cited.source).read_text(encoding="utf-8")
    assert raw[cited.start : cited.end] == cited.quote


@pytest.mark.parametrize(
    "question",
    [
        "Which ferry tickets are 40% off in the holiday sale?",
        "What did the commenter Greg_K say about the bridge being a hoax?",
        "How do I manage my cookie settings?",
        "Which pies were ranked the ten best in the state?",
        "Who said the mayor resigned?",
        "What were the barley prices in the related posts?",
    ],
)
def test_questions_about_page_furniture_are_declined(folder: Assistant, question: str) -> None:
    folder.index()
    answer = folder.ask(question)
    assert answer.refused, (question, answer.text)


def test_a_removed_page_takes_its_article_with_it(folder: Assistant) -> None:
    folder.index()
    (folder.settings.seeds_dir / "pages" / "blog_grain.html").unlink()
    report = folder.index()
    assert report.removed == 1
    assert not (folder.settings.seeds_dir / ".articles/pages/blog_grain.html.md").exists()
