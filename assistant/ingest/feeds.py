"""The entries of an RSS or Atom feed (``feedparser``): link, title, date, author, content.

Each entry's linked page is fetched and extracted by the caller; the entry's own content
(or summary) is what is kept when the page cannot be fetched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.errors import SeedsError
from assistant.ingest.extracted import Extracted, clean_line, iso_day, paragraphs_of
from assistant.ingest.html import fragment_text

MAX_ENTRIES = 500


@dataclass(frozen=True)
class FeedEntry:
    """One entry, with the entry's own text as the fallback article."""

    link: str | None
    fallback: Extracted | None  # None when the entry carries no text of its own


def looks_like_feed(data: bytes) -> bool:
    """Does this body start like an RSS, RDF or Atom document?"""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<?xml"):
        head = head[head.find(b"?>") + 2 :].lstrip()
    while head.startswith(b"<!--"):
        head = head[head.find(b"-->") + 3 :].lstrip()
    return head.startswith((b"<rss", b"<feed", b"<rdf:rdf"))


def parse_feed(data: bytes, url: str | None = None) -> list[FeedEntry]:
    """The entries of a feed; ``SeedsError`` with the reason when it does not parse."""
    import feedparser

    parsed: Any = feedparser.parse(data, response_headers={"content-location": url or ""})
    version = str(parsed.get("version") or "")
    if not version or not parsed.entries:
        why = parsed.get("bozo_exception") if version else None
        detail = f" ({str(why).splitlines()[0][:120]})" if why else ""
        raise SeedsError(f"not an RSS or Atom feed with entries{detail}")
    outlet = clean_line(str(parsed.feed.get("title") or "")) or None
    kind = "atom" if version.startswith("atom") else "rss"
    return [_entry(e, outlet, kind) for e in parsed.entries[:MAX_ENTRIES]]


def _entry(entry: Any, outlet: str | None, kind: str) -> FeedEntry:
    link = entry.get("link") or None
    title = clean_line(str(entry.get("title") or ""))
    contents = [c.get("value", "") for c in entry.get("content", []) if isinstance(c, dict)]
    html = "\n".join(contents) or str(entry.get("summary") or "")
    paragraphs = paragraphs_of(fragment_text(html), title) if html else ()
    published = entry.get("published") or entry.get("updated") or entry.get("dc_date")
    fallback = Extracted(
        title=title or (paragraphs[0][:120] if paragraphs else ""),
        paragraphs=paragraphs,
        format=kind,
        url=link,
        outlet=outlet,
        published=iso_day(published),
        author=clean_line(str(entry.get("author") or "")) or None,
    )
    return FeedEntry(link, fallback if paragraphs else None)
