"""YAML front matter at the top of an article file: where the article comes from.

An article file may open with ``---``, YAML lines (title, url, outlet, published, author,
format, fetched, also) and a closing ``---``. The front matter is never article text: the
body starts after it, and offsets still index the whole file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import yaml

_OPEN = re.compile(r"\A\ufeff?---[ \t]*\n")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
MAX_FRONT_MATTER = 20_000  # characters: a longer block is text, not front matter
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's safe loader when built
FIELD_ORDER = ("title", "url", "outlet", "published", "author", "format", "fetched", "also")


@dataclass(frozen=True)
class FrontMatter:
    """The parsed block (string values only) and where the body starts in the raw text."""

    fields: dict[str, Any]
    body_start: int


def split_front_matter(raw: str) -> FrontMatter:
    """The front matter of ``raw`` (empty, body at 0, when there is none or it is not YAML)."""
    opened = _OPEN.match(raw)
    if not opened:
        return FrontMatter({}, 0)
    closed = _CLOSE.search(raw, opened.end(), opened.end() + MAX_FRONT_MATTER)
    if not closed:
        return FrontMatter({}, 0)
    try:
        data = yaml.load(raw[opened.end() : closed.start()], Loader=_LOADER)
    except yaml.YAMLError:
        return FrontMatter({}, 0)
    if not isinstance(data, dict):
        return FrontMatter({}, 0)
    end = closed.end() + (1 if raw[closed.end() : closed.end() + 1] == "\n" else 0)
    return FrontMatter({str(k): _plain(v) for k, v in data.items()}, end)


def _plain(value: Any) -> Any:
    """YAML dates and times as ISO strings; lists and mappings kept, other scalars as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return None if value is None else str(value)


def render_front_matter(fields: dict[str, Any]) -> str:
    """``---`` YAML ``---`` for ``fields`` (known keys first, empty values left out)."""
    ordered = {k: fields[k] for k in FIELD_ORDER if fields.get(k) not in (None, "", [])}
    ordered.update(
        {k: v for k, v in fields.items() if k not in FIELD_ORDER and v not in (None, "", [])}
    )
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(ordered, Dumper=dumper, sort_keys=False, allow_unicode=True, width=10_000)
    return f"---\n{text}---\n"
