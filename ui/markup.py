"""Safe Markdown for text that comes from articles or models, and short one-line labels.

Every ASCII punctuation character gets a backslash (CommonMark allows that for all of them),
so no heading, link, image, HTML tag, LaTeX or ``:color[...]`` directive can be smuggled in
through an article or an answer. Nothing here imports Streamlit.
"""

from __future__ import annotations

import string
from datetime import date

_PUNCTUATION = frozenset(string.punctuation)


def escape_chars(text: str) -> str:
    """``text`` with a backslash before every ASCII punctuation character."""
    return "".join("\\" + ch if ch in _PUNCTUATION else ch for ch in text)


def hard_lines(markdown: str) -> str:
    """Trim each line (indentation never becomes a code block) and keep line breaks."""
    lines = markdown.replace("\r", "").split("\n")
    return "  \n".join(line.lstrip(" \t\u00a0").rstrip() for line in lines)


def escape_markdown(text: str) -> str:
    """``text`` as Markdown that Streamlit shows literally, line breaks kept.

    Every ASCII punctuation character is backslash-escaped; each line is trimmed on the left
    (so indentation never becomes a code block) and ends in a hard line break.
    """
    return hard_lines(escape_chars(text))


def one_line(text: str, limit: int = 120) -> str:
    """``text`` on one line (runs of blanks collapsed), cut at a word with … past ``limit``."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:.") + "…"


def long_date(iso: str | None) -> str | None:
    """``"2016-07-12"`` as ``"12 July 2016"``; ``None`` (or a string that is not a date) as is."""
    if not iso:
        return None
    try:
        day = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{day.day} {day:%B %Y}"
