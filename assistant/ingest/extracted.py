"""An article extracted from a page, feed entry, export line or text file, and the article
file it becomes: Markdown with YAML front matter (title, url, outlet, published, author,
format, fetched), then one paragraph a line, separated by blank lines."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from assistant.ingest.dates import article_date
from assistant.ingest.frontmatter import render_front_matter

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_SLUG = re.compile(r"[^a-z0-9]+")
_ISO_START = re.compile(r"^\d{4}-\d{2}-\d{2}(?:$|[T ])")


@dataclass(frozen=True)
class Extracted:
    """One article's text and metadata, before it is written as an article file."""

    title: str
    paragraphs: tuple[str, ...]
    format: str  # html, rss, atom, json, jsonl, txt, md
    url: str | None = None
    outlet: str | None = None
    published: str | None = None  # ISO date
    author: str | None = None
    fetched: str | None = None  # ISO time the page was fetched
    also: tuple[dict[str, str], ...] = field(default=())  # other outlets that carried it

    @property
    def key(self) -> str:
        """What identifies the article across adds: its link, else its outlet, date, title."""
        return self.url or f"{self.outlet or ''}|{self.published or ''}|{self.title}"

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


def clean_line(text: str) -> str:
    """One paragraph on one line: control and invisible characters out, spaces collapsed."""
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", text))
    return " ".join(text.split())


def paragraphs_of(text: str, title: str = "") -> tuple[str, ...]:
    """The non-empty lines of ``text`` as paragraphs, a leading copy of the title dropped."""
    found = [clean_line(line) for line in text.splitlines()]
    found = [p for p in found if p and p not in ("---", "...")]
    if found and title and found[0].lower() == title.lower():
        found = found[1:]
    return tuple(found)


def iso_day(value: object) -> str | None:
    """A date or time as ``YYYY-MM-DD``: ISO 8601, RFC 822 (feeds), or written out
    ("July 8, 2016"); ``None`` when it is not one."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    if _ISO_START.match(text):
        try:
            return date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            return None
    try:
        return parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return article_date(text)


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def article_text(article: Extracted) -> str:
    """The article file's full text."""
    fields: dict[str, Any] = {
        "title": article.title,
        "url": article.url,
        "outlet": article.outlet,
        "published": article.published,
        "author": article.author,
        "format": article.format,
        "fetched": article.fetched,
        "also": [dict(copy) for copy in article.also],
    }
    return render_front_matter(fields) + "\n" + "\n\n".join(article.paragraphs) + "\n"


def slug(text: str, limit: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _SLUG.sub("-", ascii_text.lower()).strip("-")[:limit].strip("-") or "article"


def article_name(article: Extracted) -> str:
    """``news/<outlet or host>/<title>-<hash of key>.md``: stable for the same link."""
    host = urlsplit(article.url).hostname if article.url else None
    folder = slug(host.removeprefix("www.") if host else article.outlet or "articles", 40)
    digest = hashlib.sha1(article.key.encode("utf-8")).hexdigest()[:10]
    return f"news/{folder}/{slug(article.title)}-{digest}.md"
