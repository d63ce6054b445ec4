"""What a SOURCE of ``assistant add`` holds: the articles of a page URL, a feed (URL or
file), a JSON/JSONL export, an HTML or text file, or a folder of them; or, for each one that
cannot be read, the one-line reason."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from assistant.errors import SeedsError
from assistant.ingest.articles import MAX_ARTICLE_BYTES, is_hidden, parse_article
from assistant.ingest.encoding import decode_page
from assistant.ingest.exports import read_export
from assistant.ingest.extracted import Extracted, now_iso
from assistant.ingest.feeds import looks_like_feed, parse_feed
from assistant.ingest.fetch import FEED_TYPES, PAGE_TYPES, Fetcher
from assistant.ingest.html import extract_html

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
FEED_SUFFIXES = (".rss", ".atom", ".xml")
EXPORT_SUFFIXES = (".json", ".jsonl", ".ndjson")
TEXT_SUFFIXES = (".txt", ".md")
READABLE = HTML_SUFFIXES + FEED_SUFFIXES + EXPORT_SUFFIXES + TEXT_SUFFIXES
MAX_EXPORT_BYTES = 500_000_000


@dataclass(frozen=True)
class Item:
    """One article found in a source, or why one could not be read."""

    origin: str  # the URL, file (and line) it came from
    article: Extracted | None
    problem: str | None = None
    note: str | None = None  # e.g. a feed entry kept from its own content


@dataclass(frozen=True)
class Reading:
    """How to read sources: treat them as feeds, map export fields, fetch links (or not)."""

    fetcher: Fetcher | None  # None: never fetch (indexing a folder), feed entries kept as is
    feed: bool = False
    mapping: Mapping[str, str] | None = None


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def is_jsonl(text: str) -> bool:
    """One JSON object a line (rather than one JSON document)?"""
    lines = [line for line in text.strip().splitlines()[:3] if line.strip()]
    return len(lines) > 1 and all(line.lstrip().startswith("{") for line in lines)


def read_source(source: str, how: Reading) -> Iterator[Item]:
    """Every article (or rejection) of one SOURCE."""
    if is_url(source):
        yield from _read_url(source, how)
        return
    if "://" in source:
        yield Item(source, None, "only http:// and https:// links can be added")
        return
    path = Path(source).expanduser()
    if path.is_dir():
        for file in sorted(path.rglob("*")):
            relative = file.relative_to(path)
            if file.is_file() and file.suffix.lower() in READABLE and not is_hidden(relative.parts):
                yield from read_file(file, how)
    elif path.is_file():
        yield from read_file(path, how)
    else:
        yield Item(source, None, "no such file or folder")


def _read_url(url: str, how: Reading) -> Iterator[Item]:
    if how.fetcher is None:
        yield Item(url, None, "links are not fetched here")
        return
    try:
        page = how.fetcher.get(url)
        if how.feed or page.media_type in FEED_TYPES or looks_like_feed(page.data):
            yield from _feed_items(page.data, page.url, how)
        elif "json" in page.media_type:
            text = decode_page(page.data, page.charset)
            yield from _export_items(text, is_jsonl(text), page.url, how)
        else:
            article = extract_html(page.data, page.url, page.charset)
            yield Item(url, replace(article, fetched=now_iso()))
    except SeedsError as exc:
        yield Item(url, None, str(exc).removeprefix(f"{url[:200]}: "))


def read_file(path: Path, how: Reading) -> Iterator[Item]:
    """The articles of one file, by its kind (``--feed`` makes any file a feed)."""
    origin = str(path)
    suffix = path.suffix.lower()
    try:
        size = path.stat().st_size
        limit = MAX_EXPORT_BYTES if suffix in EXPORT_SUFFIXES else MAX_ARTICLE_BYTES
        if size > limit:
            raise SeedsError(f"{size:,} bytes is over the {limit:,}-byte limit")
        data = path.read_bytes()
        if how.feed or suffix in FEED_SUFFIXES:
            yield from _feed_items(data, None, how, origin)
        elif suffix in EXPORT_SUFFIXES:
            text = decode_page(data)
            yield from _export_items(text, suffix != ".json", origin, how)
        elif suffix in HTML_SUFFIXES:
            yield Item(origin, replace(extract_html(data), fetched=now_iso()))
        elif suffix in TEXT_SUFFIXES:
            yield Item(origin, _text_article(path.name, decode_page(data), suffix))
        else:
            raise SeedsError(
                f"unsupported file type {suffix or '(none)'}; add .html pages, .xml/.rss/.atom "
                "feeds, .json/.jsonl exports or .txt/.md articles"
            )
    except SeedsError as exc:
        yield Item(origin, None, str(exc))
    except OSError as exc:
        yield Item(origin, None, f"cannot read ({exc.strerror})")


def _text_article(name: str, text: str, suffix: str) -> Extracted:
    article = parse_article(name, text)
    paragraphs = tuple(" ".join(text[s.start : s.end].split()) for s in article.content_spans)
    if not paragraphs:
        raise SeedsError("no article text in the file")
    meta = article.meta
    return Extracted(
        title=article.title,
        paragraphs=paragraphs,
        format=suffix.lstrip("."),
        url=meta.url,
        outlet=meta.outlet.split("; ")[0] if meta.outlet else None,
        published=meta.published,
        author=meta.author,
        fetched=now_iso(),
    )


def _export_items(text: str, jsonl: bool, origin: str, how: Reading) -> Iterator[Item]:
    for record in read_export(text, jsonl, how.mapping):
        where = f"{origin}:{record.line}"
        if record.article is None:
            yield Item(where, None, record.problem)
        else:
            yield Item(where, replace(record.article, fetched=now_iso()))


def _feed_items(data: bytes, url: str | None, how: Reading, origin: str = "") -> Iterator[Item]:
    """Each entry's linked page, extracted; the entry's own text when that fails."""
    entries = parse_feed(data, url)
    for entry in entries:
        where = entry.link or origin or url or "feed entry"
        page_problem = "links are not fetched here"
        if entry.link and how.fetcher is not None:
            try:
                page = how.fetcher.get(entry.link, PAGE_TYPES)
                article = extract_html(page.data, page.url, page.charset)
                fallback = entry.fallback
                yield Item(where, _filled(article, fallback))
                continue
            except SeedsError as exc:
                page_problem = str(exc).removeprefix(f"{entry.link[:200]}: ")
        if entry.fallback is not None:
            note = f"kept the feed entry's own text (page: {page_problem})" if entry.link else None
            yield Item(where, replace(entry.fallback, fetched=now_iso()), note=note)
        else:
            yield Item(where, None, f"{page_problem}; the feed entry has no text of its own")


def _filled(article: Extracted, entry: Extracted | None) -> Extracted:
    """The page's article with what the page lacks taken from its feed entry."""
    if entry is None:
        return replace(article, fetched=now_iso())
    return replace(
        article,
        url=article.url or entry.url,
        outlet=article.outlet or entry.outlet,
        published=article.published or entry.published,
        author=article.author or entry.author,
        fetched=now_iso(),
    )
