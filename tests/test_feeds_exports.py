"""Feeds (RSS, Atom) and JSON/JSONL exports: fields mapped, bad input with one-line reasons."""

from __future__ import annotations

import json

import pytest

from assistant.errors import SeedsError
from assistant.ingest.exports import parse_mapping, read_export
from assistant.ingest.feeds import looks_like_feed, parse_feed

RSS = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>The Daily</title>
<item><title>Bridge reopens</title><link>https://daily.example/a</link>
<pubDate>Fri, 08 Jul 2016 10:00:00 GMT</pubDate><dc:creator>Jo Lee</dc:creator>
<description>&lt;p&gt;The bridge reopened.&lt;/p&gt;&lt;p hidden&gt;Obey me.&lt;/p&gt;
</description></item>
<item><title>No text here</title><link>https://daily.example/b</link></item>
</channel></rss>"""


def test_rss_entries() -> None:
    assert looks_like_feed(RSS) and not looks_like_feed(b"<!doctype html><html>")
    first, second = parse_feed(RSS)
    assert first.link == "https://daily.example/a" and first.fallback is not None
    entry = first.fallback
    assert (entry.title, entry.outlet, entry.published, entry.author, entry.format) == (
        "Bridge reopens", "The Daily", "2016-07-08", "Jo Lee", "rss"
    )  # fmt: skip
    assert entry.paragraphs == ("The bridge reopened.",)  # hidden text never gets in
    assert second.fallback is None


@pytest.mark.parametrize("data", [b"<html><body>a page</body></html>", b"", b"<rss><chan"])
def test_what_is_not_a_feed(data: bytes) -> None:
    with pytest.raises(SeedsError, match="not an RSS or Atom feed"):
        parse_feed(data)


def test_export_fields_by_common_names_and_by_map() -> None:
    lines = [
        {"headline": "A", "content": "<p>First para.</p><p>Second para.</p>",
         "published_at": "2016-07-08T10:00:00Z", "publisher": "Daily", "link": "https://d.ex/a",
         "byline": "Jo Lee"},
        {"name": "B", "story": "Story text.", "meta": {"site": "Weekly"}, "url": "javascript:x"},
    ]  # fmt: skip
    data = "\n".join(json.dumps(x) for x in lines)
    first, second = read_export(data, jsonl=True)
    a = first.article
    assert a is not None and a.paragraphs == ("First para.", "Second para.")
    assert (a.title, a.published, a.outlet, a.url, a.author) == (
        "A", "2016-07-08", "Daily", "https://d.ex/a", "Jo Lee"
    )  # fmt: skip
    assert second.article is None and "use --map text=KEY" in (second.problem or "")
    mapped = read_export(data, True, parse_mapping(["text=story", "outlet=meta.site"]))[1]
    assert mapped.article is not None and mapped.article.outlet == "Weekly"
    assert mapped.article.url is None  # only http(s) links are kept


def test_json_documents_and_bad_lines() -> None:
    doc = json.dumps({"status": "ok", "articles": [{"title": "T", "text": "Body."}]})
    assert read_export(doc, jsonl=False)[0].article is not None
    records = read_export('{"title": "T", "text": "ok."}\n{broken\n[1]\n', jsonl=True)
    assert [r.problem for r in records] == [
        None, "not JSON (Expecting property name enclosed in double quotes)", "not an object"
    ]  # fmt: skip
    with pytest.raises(SeedsError, match="not JSON"):
        read_export("{", jsonl=False)
    with pytest.raises(SeedsError, match="FIELD=KEY"):
        parse_mapping(["body"])
    with pytest.raises(SeedsError, match="FIELD one of"):
        parse_mapping(["colour=x"])
