"""What an answer shows about its sources, as plain data for the page.

One colour per marker; citations grouped by the article they quote; an answer's text and a
cited article cut into segments (plain text, markers, highlighted spans) that the page turns
into DOM text nodes, never into HTML; the "as of" date line; the backend and time taken.
Nothing here imports Streamlit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from assistant.answer.contract import LEADING_MARKERS, MARKER
from assistant.text import split_sentences
from assistant.types import Answer, Citation
from ui.markup import long_date, one_line

COLOURS = ("blue", "orange", "green", "violet", "red", "yellow", "gray")  # Streamlit's names
UNDERSTOOD = "understood as: "
BACKEND_NOTICE = "backend "


def colour(n: int) -> str:
    """The colour of marker ``[n]``: its chip in the answer and its span in the article."""
    return COLOURS[(n - 1) % len(COLOURS)]


@dataclass(frozen=True)
class SourceGroup:
    """The citations of one answer that quote the same article, with what is known of it."""

    source: str
    title: str
    citations: tuple[Citation, ...]
    outlet: str | None = None
    published: str | None = None
    author: str | None = None
    url: str | None = None

    @property
    def meta(self) -> str:
        """``"Reuters · 12 July 2016 · by Ann Lee"``: the parts that are known."""
        author = f"by {self.author}" if self.author else None
        return " · ".join(p for p in (self.outlet, long_date(self.published), author) if p)


def group_by_article(citations: Sequence[Citation]) -> list[SourceGroup]:
    """Citations grouped by article, articles in the order they are first cited."""
    order: dict[str, list[Citation]] = {}
    for c in citations:
        order.setdefault(c.source, []).append(c)
    groups = []
    for source, cited in order.items():
        first = cited[0]

        def known(field: str, cited: list[Citation] = cited) -> str | None:
            return next((v for c in cited if (v := getattr(c, field, None))), None)

        groups.append(
            SourceGroup(
                source,
                first.title,
                tuple(cited),
                known("outlet"),
                known("published"),
                known("author"),
                safe_url(known("url")),
            )
        )
    return groups


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) link, else ``None`` (no ``javascript:``)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def answer_segments(answer: Answer) -> list[dict[str, Any]]:
    """The answer's text as segments: ``{"t": text, "gap": bool}`` and, for each cited
    number of a marker, ``{"n", "colour", "quote", "title"}``.

    ``gap`` marks a sentence that cites nothing: in a checked answer that is the sentence
    saying what the articles do not cover, which the page shows apart.
    """
    text = answer.text
    by_n = {c.n: c for c in answer.citations}
    gaps = _uncited(text) if answer.citations and not answer.refused else [False] * len(text)
    segments: list[dict[str, Any]] = []
    pos = 0
    for match in MARKER.finditer(text):
        segments += _text_segments(text, pos, match.start(), gaps)
        for number in (int(n) for n in re.findall(r"\d+", match.group(1))):
            c = by_n.get(number)
            if c is not None:
                quote = one_line(c.quote, 300)
                segments.append({"n": c.n, "colour": colour(c.n), "quote": quote, "title": c.title})
        pos = match.end()
    segments += _text_segments(text, pos, len(text), gaps)
    return segments


def _text_segments(text: str, start: int, end: int, gaps: list[bool]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(start, end):
        if out and out[-1]["gap"] == gaps[i]:
            out[-1]["t"] += text[i]
        else:
            out.append({"t": text[i], "gap": gaps[i]})
    return out


def _uncited(text: str) -> list[bool]:
    """Per character of ``text``: is it in a sentence without a marker (markers written
    after the full stop count for the sentence before)?"""
    spans = list(split_sentences(text))
    flags = [False] * len(text)
    for i, (start, end) in enumerate(spans):
        lead = LEADING_MARKERS.match(text, start, end)
        body = lead.end() if lead else start  # markers in front belong to the sentence before
        body += len(text[body:end]) - len(text[body:end].lstrip())
        nxt = spans[i + 1] if i + 1 < len(spans) else (end, end)
        cited = MARKER.search(text, body, end) or LEADING_MARKERS.match(text, nxt[0], nxt[1])
        if not cited and MARKER.sub("", text[body:end]).strip(" .,;:"):
            flags[body:end] = [True] * (end - body)
    return flags


def article_segments(
    raw: str, citations: Sequence[Citation], focus: int
) -> tuple[list[dict[str, Any]], list[int]]:
    """The article ``raw`` as segments ``{"t"}`` and highlighted ``{"t", "n", "colour",
    "focus"}`` for each citation whose span still holds its quote; and the numbers whose
    span no longer does (the article changed since it was indexed)."""
    stale = [c.n for c in citations if raw[c.start : c.end] != c.quote]
    spans = sorted((c for c in citations if c.n not in stale), key=lambda c: (c.start, c.n))
    segments: list[dict[str, Any]] = []
    pos = 0
    for c in spans:
        start = max(c.start, pos)
        if start >= c.end:
            continue  # the same sentence cited twice: the first marker's colour shows
        if start > pos:
            segments.append({"t": raw[pos:start]})
        segments.append(
            {"t": raw[start : c.end], "n": c.n, "colour": colour(c.n), "focus": c.n == focus}
        )
        pos = c.end
    if pos < len(raw):
        segments.append({"t": raw[pos:]})
    return segments, stale


def dates_line(citations: Sequence[Citation]) -> str | None:
    """``"as of 12 July 2016"`` from the cited articles' dates (the range when they differ);
    ``None`` when no cited article has a date."""
    dates = sorted({str(c.published) for c in citations if getattr(c, "published", None)})
    if not dates:
        return None
    last = long_date(dates[-1])
    if len(dates) == 1:
        return f"as of {last}"
    return f"as of {last} (articles from {long_date(dates[0])} to {last})"


def meta_line(answer: Answer) -> str:
    """The backend and the seconds taken, e.g. ``"extractive · 0.4 s"``."""
    total = answer.timings.get("total_ms")
    seconds = f"{total / 1000:.1f} s" if total is not None else None
    return " · ".join(p for p in (answer.backend, seconds) if p)


def understood_as(answer: Answer) -> str | None:
    """How a follow-up was understood (``"understood as: …"`` notice), without the prefix."""
    found = [n for n in answer.notices if n.startswith(UNDERSTOOD)]
    return found[0][len(UNDERSTOOD) :] if found else None


def other_notices(answer: Answer) -> list[str]:
    """The notes shown under an answer: not the backend choice (the sidebar has it) and not
    the rewrite (shown under the question)."""
    return [n for n in answer.notices if not n.startswith((UNDERSTOOD, BACKEND_NOTICE))]


def uncovered(answer: Answer) -> str | None:
    """What the articles do not cover, when the answer says so in a field of its own."""
    value = getattr(answer, "uncovered", None)
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(v) for v in value if v)
    return str(value) if value else None
