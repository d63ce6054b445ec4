"""``assistant add`` against a news site on 127.0.0.1: pages, a feed, bad URLs; the same URL
twice, a changed page, and citations that carry outlet, date, link and exact offsets."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.engine import Assistant
from assistant.ingest.fetch import Fetcher, FetchError, FetchPolicy
from tests.news_server import NewsServer, Route

PAGES = Path(__file__).parent / "data" / "pages"
HTML = "text/html; charset=utf-8"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def feed(site: NewsServer) -> bytes:
    items = [
        ("Harbour bridge reopens", "/news/bridge", "Bridge open again."),
        (
            "Ferry fares rise",
            "/gone",
            "<p>Ferry fares will rise by 5 per cent from Monday, "
            "the operator said, blaming higher fuel costs.</p><script>steal()</script>",
        ),
        ("Slow story", "/slow", ""),
    ]
    entries = "".join(
        f"<item><title>{t}</title><link>{site.url(p)}</link>"
        f"<pubDate>Sat, 09 Jul 2016 08:00:00 GMT</pubDate>"
        f"<description><![CDATA[{d}]]></description></item>"
        for t, p, d in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Coastal Herald - Local</title><link>{site.url('/')}</link>{entries}"
        "</channel></rss>"
    ).encode()


@pytest.fixture(scope="module")
def site() -> Iterator[NewsServer]:
    routes = {
        "/robots.txt": Route(b"User-agent: *\nDisallow: /private/\n", "text/plain"),
        "/news/bridge": Route(page("herald_bridge.html")),
        "/amp/summit": Route(page("wire_amp_summit.html")),
        "/blog/grain": Route(page("blog_grain.html"), "text/html; charset=windows-1252"),
        "/nav": Route(page("nav_only.html")),
        "/slow": Route(page("herald_bridge.html"), delay=3.0),
        "/huge": Route(b"<html><body>" + b"<p>word " * 60_000 + b"</body></html>"),
        "/logo.png": Route(b"\x89PNG\r\n", "image/png"),
        "/private/memo": Route(page("herald_bridge.html")),
        "/moved": Route(b"", status=301, location="/news/bridge"),
        "/loop": Route(b"", status=302, location="/loop"),
    }
    with NewsServer(routes) as server:
        server.routes["/feed.xml"] = Route(feed(server), "application/rss+xml")
        yield server


@pytest.fixture(scope="module")
def news(site: NewsServer, tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("news")
    return Assistant(
        seeds_dir=root / "seeds",
        index_dir=root / "index",
        backend="extractive",
        allow_private_hosts=True,
        fetch_timeout=1.0,
        fetch_max_bytes=200_000,
    )


def test_a_page_becomes_an_article_file_with_its_metadata(news: Assistant, site: NewsServer):
    report = news.add(site.url("/news/bridge"))
    assert [a.status for a in report.articles] == ["added"], report.summary()
    assert report.index is not None and report.index.added == 1
    source = report.articles[0].source
    text = (news.settings.seeds_dir / source).read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: Harbour bridge reopens after three weeks of repairs\n")
    assert "outlet: The Coastal Herald\npublished: '2016-07-08'\nauthor: Priya Natarajan\n" in text
    assert "format: html\nfetched: " in text
    answer = news.ask("How many steel expansion joints did engineers replace on the bridge?")
    assert not answer.refused, answer.notices
    cited = answer.citations[0]
    assert "42 steel expansion joints" in cited.quote
    assert (cited.outlet, cited.published, cited.author) == (
        "The Coastal Herald",
        "2016-07-08",
        "Priya Natarajan",
    )
    assert cited.url == "https://www.coastalherald.example/news/2016/07/08/harbour-bridge-reopens"
    raw = (news.settings.seeds_dir / cited.source).read_text(encoding="utf-8")
    assert raw[cited.start : cited.end] == cited.quote
    info = {a.source: a for a in news.articles()}[source]
    assert (info.outlet, info.date, info.url) == ("The Coastal Herald", "2016-07-08", cited.url)


def test_the_same_url_again_changes_nothing(news: Assistant, site: NewsServer) -> None:
    again = news.add([site.url("/news/bridge"), site.url("/moved")])
    assert [a.status for a in again.articles] == ["unchanged", "unchanged"]
    assert again.index is not None and again.index.embedded == 0


def test_a_changed_page_updates_only_its_own_passages(news: Assistant, site: NewsServer):
    news.add(site.url("/amp/summit"))
    before = {p.id: p.text for p in news.passages()}
    site.routes["/news/bridge"] = Route(
        page("herald_bridge.html").replace(b"42 steel expansion joints", b"44 steel joints")
    )
    report = news.add(site.url("/news/bridge"))
    assert [a.status for a in report.articles] == ["updated"]
    assert report.index is not None and (report.index.updated, report.index.added) == (1, 0)
    after = {p.id: p.text for p in news.passages()}
    changed = {pid for pid in after if after[pid] != before.get(pid)}
    assert changed and all(pid.startswith("news/coastalherald-example/") for pid in changed)
    assert report.index.embedded == sum(1 for pid in after if pid.startswith("news/coastal"))
    assert news.ask("How many steel joints were replaced on the bridge?").citations


def test_a_feed_fetches_each_entry_and_keeps_its_own_text_when_the_page_fails(
    news: Assistant, site: NewsServer
) -> None:
    report = news.add(site.url("/feed.xml"))  # detected from the content type
    by_origin = {a.origin: a for a in report.articles}
    assert by_origin[site.url("/news/bridge")].status == "unchanged"
    fares = by_origin[site.url("/gone")]
    assert fares.status == "added" and "HTTP 404" in fares.note
    text = (news.settings.seeds_dir / fares.source).read_text(encoding="utf-8")
    assert "Ferry fares will rise by 5 per cent" in text and "steal" not in text
    assert "outlet: Coastal Herald - Local" in text and "published: '2016-07-09'" in text
    assert [(r.origin, r.reason) for r in report.rejected] == [
        (site.url("/slow"), "timed out; the feed entry has no text of its own")
    ]


def test_bad_sources_get_one_line_and_lose_nothing(news: Assistant, site: NewsServer) -> None:
    before = {a.source for a in news.articles()}
    bad = ["/missing", "/nav", "/huge", "/logo.png", "/private/memo", "/loop", "/slow"]
    report = news.add([site.url(p) for p in bad] + ["ftp://example.org/x", "no/such/file.html"])
    reasons = [r.reason for r in report.rejected]
    assert not report.articles and len(reasons) == 9
    for reason, expected in zip(
        reasons,
        [
            "HTTP 404",
            "no article text",
            "200,000-byte cap",
            "content type image/png",
            "robots.txt",
            "more than 5 redirects",
            "timed out",
            "only http:// and https://",
            "no such file or folder",
        ],
        strict=True,
    ):
        assert expected in reason and "\n" not in reason
    assert {a.source for a in news.articles()} == before


def test_private_hosts_are_refused_unless_allowed(site: NewsServer) -> None:
    with Fetcher(FetchPolicy()) as fetcher, pytest.raises(FetchError, match="non-public"):
        fetcher.get(site.url("/news/bridge"))
    assert site.url("/news/bridge").startswith("http://127.0.0.1:")
    with Fetcher(FetchPolicy()) as fetcher, pytest.raises(FetchError, match="non-public"):
        fetcher.get("http://localhost:9/")  # refused before any connection is tried
    with Fetcher(FetchPolicy(allow_private=True)) as fetcher:
        assert b"Harbour bridge" in fetcher.get(site.url("/news/bridge")).data


def test_cli_add(site: NewsServer, tmp_path: Path) -> None:
    base = [sys.executable, "-m", "assistant.cli", "add", "--seeds", str(tmp_path / "seeds")]
    base += ["--index", str(tmp_path / "index")]
    env = {k: v for k, v in os.environ.items() if k != "ASSISTANT_ALLOW_PRIVATE_HOSTS"}
    refused = subprocess.run(
        [*base, site.url("/blog/grain")], capture_output=True, text=True, env=env, timeout=120
    )
    assert refused.returncode == 1 and "non-public address 127.0.0.1" in refused.stdout
    assert "Traceback" not in refused.stderr + refused.stdout
    done = subprocess.run(
        [*base, site.url("/blog/grain")],
        capture_output=True,
        text=True,
        env={**env, "ASSISTANT_ALLOW_PRIVATE_HOSTS": "1"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "1 added" in done.stdout and "indexed 1 articles" in done.stdout
    listed = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "articles", *base[4:]],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Drought cuts wheat harvest by a fifth (4 passages, Farming Today, 2016-08-02)" in (
        listed.stdout
    )


def test_the_environment_variable_allows_private_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.config import load_settings
    from assistant.ingest.service import fetch_policy

    assert not fetch_policy(load_settings()).allow_private
    monkeypatch.setenv("ASSISTANT_ALLOW_PRIVATE_HOSTS", "1")
    assert fetch_policy(load_settings()).allow_private
