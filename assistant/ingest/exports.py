"""Articles in JSON and JSONL exports of news APIs and archives.

A JSONL file holds one article object a line; a JSON file a list of them, or an object
holding that list (``articles``, ``items``, ``results``, ``data``, ``docs``). Common field
names are understood (title/headline, text/body/content, date/published/published_at,
url/link, source/outlet/publisher, author/byline); ``--map field=key`` (a dotted key such
as ``source.name`` reaches inside objects) names others. A line that cannot be read or
holds no text is rejected with its line number; the other lines are kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from assistant.errors import SeedsError
from assistant.ingest.extracted import Extracted, clean_line, iso_day, paragraphs_of
from assistant.ingest.html import fragment_text

FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline", "name", "webTitle"),
    "text": ("text", "body", "content", "article", "articleBody", "full_text", "bodyText"),
    "published": (
        "published",
        "date",
        "published_at",
        "publishedAt",
        "pubDate",
        "datePublished",
        "publication_date",
        "webPublicationDate",
    ),
    "url": ("url", "link", "webUrl", "href", "uri"),
    "outlet": ("outlet", "source", "publisher", "site", "source_name", "sitename", "domain"),
    "author": ("author", "byline", "authors", "creator"),
}
_LISTS = ("articles", "items", "results", "data", "docs", "entries", "stories")
MAX_RECORDS = 200_000


@dataclass(frozen=True)
class Record:
    """One export item: its article, or why it was rejected."""

    line: int
    article: Extracted | None
    problem: str | None = None


def parse_mapping(pairs: list[str] | None) -> dict[str, str]:
    """``["text=story", "outlet=source.name"]`` as a mapping; ``SeedsError`` for a bad one."""
    mapping: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, key = pair.partition("=")
        if not sep or name.strip() not in FIELDS or not key.strip():
            raise SeedsError(
                f"--map {pair!r}: write FIELD=KEY with FIELD one of {', '.join(FIELDS)}"
            )
        mapping[name.strip()] = key.strip()
    return mapping


def read_export(data: str, jsonl: bool, mapping: Mapping[str, str] | None = None) -> list[Record]:
    """Every item of a JSON or JSONL export, in order."""
    items = _jsonl_items(data) if jsonl else _json_items(data)
    kind = "jsonl" if jsonl else "json"
    return [_record(n, item, kind, mapping or {}) for n, item in items]


def _jsonl_items(data: str) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(data.splitlines(), start=1):
        if number > MAX_RECORDS:
            return
        if line.strip():
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, SeedsError(f"not JSON ({exc.msg})")


def _json_items(data: str) -> Iterator[tuple[int, Any]]:
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as exc:
        raise SeedsError(f"not JSON ({exc.msg} at line {exc.lineno})") from None
    if isinstance(doc, dict):
        found = next((doc[k] for k in _LISTS if isinstance(doc.get(k), list)), None)
        inner = doc.get("response")
        if found is None and isinstance(inner, dict):
            found = next((inner[k] for k in _LISTS if isinstance(inner.get(k), list)), None)
        doc = found if found is not None else [doc]
    if not isinstance(doc, list):
        raise SeedsError("a JSON export must hold a list of article objects")
    yield from enumerate(doc[:MAX_RECORDS], start=1)


def _get(item: Mapping[str, Any], key: str) -> Any:
    value: Any = item
    for part in key.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _display(value: Any) -> str | None:
    """A name, or a list of names, or an object with a ``name``/``title``, as one line."""
    if isinstance(value, list):
        names = [n for n in (_display(v) for v in value) if n]
        return ", ".join(names) or None
    if isinstance(value, Mapping):
        value = value.get("name") or value.get("title") or value.get("id")
    return clean_line(str(value)) or None if value not in (None, "") else None


def _field(item: Mapping[str, Any], name: str, mapping: Mapping[str, str]) -> Any:
    keys = (mapping[name],) if name in mapping else FIELDS[name]
    return next((v for k in keys if (v := _get(item, k)) not in (None, "", [])), None)


def _record(number: int, item: Any, kind: str, mapping: Mapping[str, str]) -> Record:
    if isinstance(item, SeedsError):
        return Record(number, None, str(item))
    if not isinstance(item, Mapping):
        return Record(number, None, "not an object")
    body = _field(item, "text", mapping)
    title = clean_line(str(_field(item, "title", mapping) or ""))
    text = body if isinstance(body, str) else ""
    paragraphs = paragraphs_of(fragment_text(text) if "<" in text else text, title)
    if not paragraphs:
        tried = mapping.get("text") or ", ".join(FIELDS["text"])
        return Record(number, None, f"no article text (looked for {tried}; use --map text=KEY)")
    url = _display(_field(item, "url", mapping))
    return Record(
        number,
        Extracted(
            title=title or paragraphs[0][:120],
            paragraphs=paragraphs,
            format=kind,
            url=url if url and url.startswith(("http://", "https://")) else None,
            outlet=_display(_field(item, "outlet", mapping)),
            published=iso_day(_field(item, "published", mapping)),
            author=_display(_field(item, "author", mapping)),
        ),
    )
