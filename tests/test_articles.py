"""Loading articles: titles, boilerplate removal and exact offsets into the raw text."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import SeedsError
from assistant.ingest.articles import find_article_files, parse_article, read_article
from assistant.ingest.chunking import chunk_article
from tests.conftest import SEEDS

BOILERPLATE_BITS = (
    "Home / World",
    "Share on",
    "Pin to Pinterest",
    "What's This?",
    "Like us on Facebook",
    "Also read",
    "subscribe to our newsletter",
    "CC BY",
    "CC by",
    "Flickr",
)


def _raw(path: Path) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def test_seed_titles_come_from_the_first_line() -> None:
    titles = {p.name: read_article(p, SEEDS).title for p in find_article_files(SEEDS)}
    assert titles == {
        "000_5b2b07c4ab0d8861.txt": "Russia and U.S. hold secret negotiations – foreign media",
        "002_cb8aedb33379926a.txt": "WW3 Dismissed! Russia, NATO Find Peace Finally?",
        "004_3b952a9fea412592.txt": "NATO To Meet With Russia To ‘Reduce Tensions’",
    }


@pytest.mark.parametrize("path", find_article_files(SEEDS), ids=lambda p: p.name)
def test_seed_boilerplate_is_stripped_and_offsets_exact(path: Path) -> None:
    article = read_article(path, SEEDS)
    raw = _raw(path)
    assert article.raw == raw
    assert article.content_spans, "every seed has real content"
    for span in article.content_spans:
        text = raw[span.start : span.end]
        assert text.strip() == text and text
        assert text != article.title, "the repeated title is not content"
        for bit in BOILERPLATE_BITS:
            assert bit.lower() not in text.lower(), f"boilerplate {bit!r} kept: {text!r}"
    for passage in chunk_article(article):
        assert raw[passage.start : passage.end] == passage.text
        for sentence in passage.sentences:
            assert raw[sentence.start : sentence.end] == sentence.text


def test_real_content_is_kept() -> None:
    article = read_article(SEEDS / "004_3b952a9fea412592.txt", SEEDS)
    texts = [article.raw[s.start : s.end] for s in article.content_spans]
    assert texts[-1] == "The meeting at the NATO-Russia Council will take place on July 13."
    assert texts[0].startswith("NATO has confirmed that it will hold a meeting")


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_curly_quotes_nbsp_bom_and_windows_line_endings(tmp_path: Path) -> None:
    text = (
        "\ufeffHome / World / “Talks” resume\r\n\r\n“Talks” resume\r\n"
        "Photo: Agency / Flickr CC BY 2.0\r\n"
        "Share on Facebook\r\n"
        "The minister said\u00a0“we are ready” on Monday.  Officials in the U.S. agreed.\r\n"
        "\u00a0Talks will resume on July\u00a013.\u00a0\r\n"
        "Like us on Facebook\r\n"
        "If you want more World news, subscribe to our newsletter.\r\n"
    )
    path = _write(tmp_path, "a.txt", text.encode("utf-8"))
    article = read_article(path, tmp_path)
    raw = _raw(path)
    assert "\r" not in raw  # universal newlines, as the offset contract says
    assert article.title == "“Talks” resume"
    contents = [raw[s.start : s.end] for s in article.content_spans]
    assert contents == [
        "The minister said\u00a0“we are ready” on Monday.  Officials in the U.S. agreed.",
        "Talks will resume on July\u00a013.",
    ]
    passages = chunk_article(article)
    sentences = [s.text for p in passages for s in p.sentences]
    assert sentences == [
        "The minister said\u00a0“we are ready” on Monday.",
        "Officials in the U.S. agreed.",
        "Talks will resume on July\u00a013.",
    ]
    for p in passages:
        assert raw[p.start : p.end] == p.text


def test_empty_and_boilerplate_only_files_have_no_passages(tmp_path: Path) -> None:
    empty = read_article(_write(tmp_path, "empty.txt", b""), tmp_path)
    assert empty.content_spans == () and chunk_article(empty) == []
    only = read_article(
        _write(
            tmp_path,
            "only.md",
            b"Title\n\nTitle\nShare on Facebook\nShare on Twitter\nWhat's This?\n"
            b"Like us on Facebook\nAlso readSomething else\n",
        ),
        tmp_path,
    )
    assert only.title == "Title"
    assert chunk_article(only) == []


def test_sentence_splitting_respects_abbreviations() -> None:
    raw = (
        "Head\n\nGen. Smith met Mr. Jones in Washington. J. Doe was there. "
        "It happened between Russia and U.S. The talks ended. Why? Nobody knows!"
    )
    article = parse_article("x.txt", raw)
    sentences = [s.text for p in chunk_article(article) for s in p.sentences]
    assert sentences == [
        "Gen. Smith met Mr. Jones in Washington.",
        "J. Doe was there.",
        "It happened between Russia and U.S.",
        "The talks ended.",
        "Why?",
        "Nobody knows!",
    ]


def test_passage_ids_are_stable_and_passages_small() -> None:
    path = SEEDS / "002_cb8aedb33379926a.txt"
    first = chunk_article(read_article(path, SEEDS))
    second = chunk_article(read_article(path, SEEDS))
    assert [p.id for p in first] == [p.id for p in second]
    assert [p.id for p in first][:2] == ["002_cb8aedb33379926a#0", "002_cb8aedb33379926a#1"]
    assert all(len(p.sentences) <= 4 and len(p.text) <= 600 for p in first)


def test_nested_folders_hidden_files_and_outside_symlinks(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    (seeds / "2016" / "july").mkdir(parents=True)
    (seeds / "2016" / "july" / "a.txt").write_text("T\n\nBody text here.", encoding="utf-8")
    (seeds / "b.md").write_text("T\n\nBody.", encoding="utf-8")
    (seeds / ".hidden.txt").write_text("T\n\nBody.", encoding="utf-8")
    (seeds / "notes.pdf").write_bytes(b"%PDF")
    outside = tmp_path / "secret.txt"
    outside.write_text("T\n\nSecret.", encoding="utf-8")
    (seeds / "link.txt").symlink_to(outside)
    files = [p.relative_to(seeds).as_posix() for p in find_article_files(seeds)]
    assert files == ["2016/july/a.txt", "b.md"]
    article = read_article(seeds / "2016" / "july" / "a.txt", seeds)
    assert article.source == "2016/july/a.txt"
    assert chunk_article(article)[0].id == "2016/july/a#0"


def test_bad_files_raise_clear_errors(tmp_path: Path) -> None:
    latin = _write(tmp_path, "latin.txt", "Caf\xe9 news".encode("latin-1"))
    with pytest.raises(SeedsError, match="not UTF-8"):
        read_article(latin, tmp_path)
    binary = _write(tmp_path, "bin.txt", b"abc\x00def")
    with pytest.raises(SeedsError, match="binary"):
        read_article(binary, tmp_path)
    with pytest.raises(SeedsError, match="does not exist"):
        find_article_files(tmp_path / "missing")
