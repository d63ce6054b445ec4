"""Tell page furniture from reporting, one line of an article's text at a time.

The rules are general, not one site's wording: a line is furniture when it repeats the
title, asks the reader to share, follow, subscribe or comment, states a copyright or photo
credit, or is not a sentence at all (a short label, a menu entry, a headline-like link to
another story). Near the top and the bottom of a text, before its first and after its last
sentence ending in a full stop, short lines that do not end in one are furniture too. A
dateline ("March 1, 2021") is kept: it says when.
Subheadings inside an article are left out by the same rule; they state no claim.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.text import normalize

_SENTENCE_END = re.compile(r"[.!?…][\"'’”)\]]*$")
_PERIOD_END = re.compile(r"[.…][\"'’”)\]]*$")
_WORD = re.compile(r"\S+")
# A breadcrumb ("Home / World / ", "News › Politics ›") in front of a title line.
BREADCRUMB = re.compile(
    r"^(?:home|news|start)\s*[/›»>|]\s*(?:[^/›»>|]{1,40}[/›»>|]\s*)*", re.IGNORECASE
)
_NETWORKS = (
    r"facebook|twitter|instagram|linkedin|pinterest|whatsapp|telegram|tiktok|youtube|reddit"
    r"|stumbleupon|google\+|rss|newsletter|podcast|e-?mail alerts?"
)
_CALL = re.compile(
    rf"\b(?:share|tweet|pin|follow|like|subscribe|sign up|join|download|listen)\b.{{0,80}}"
    rf"\b(?:{_NETWORKS})\b|\b(?:{_NETWORKS})\b.{{0,40}}\b(?:sign up|subscribe)\b"
    r"|^(?:click|tap) here\b|^(?:read|see) (?:more|also|next)\b|^also read"
    r"|^(?:related|recommended|more from|most read|trending|comments?)\b\s*[:(\-–]"
    r"|^(?:advertisement|sponsored(?: content)?|ad)$|^(?:leave|post|add) a comment\b",
    re.IGNORECASE,
)
_LEGAL = re.compile(
    r"^(?:©|\(c\)|copyright\b)|\ball rights reserved\b|\bcookies?\b.{0,60}\b(?:accept|consent"
    r"|policy|settings)\b",
    re.IGNORECASE,
)
_CREDIT = re.compile(
    r"^(?:photo|image|picture|credit|source|file photo)s?\s*:|\bCC[ -]?BY\b"
    r"|\bcreative commons\b|/\s*flickr\b|\bgetty images\b|\bshutterstock\b|\bAP photo\b"
    r"|\breuters/|\bAFP\b|\bwikimedia\b",
    re.IGNORECASE,
)
# A dateline ("March 1, 2021", "2016-07-08 10:00"): it says when, so it is kept.
_DATELINE = re.compile(
    r"^\W*(?:\w+\W+){0,3}(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+"
    r"\d{1,2},?\s+\d{4}|\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
    r"\.?,?\s+\d{4}|\d{4}-\d{2}-\d{2})\b[\w\s:.,]{0,24}$",
    re.IGNORECASE,
)
SHORT_WORDS = 12  # an unpunctuated line this short is a label or a link, not a paragraph
EDGE_WORDS = 8  # near the edges, a line this short that does not end in a full stop


def key(text: str) -> str:
    """``text`` folded for comparing lines (quotes, dashes, spaces, case)."""
    return " ".join(normalize(text).lower().split())


def _headline_like(words: Sequence[str]) -> bool:
    """Most words capitalised, as in a link to another story ("Russia Gathers Troops")."""
    letters = [w for w in words if w[:1].isalpha()]
    capital = sum(1 for w in letters if w[:1].isupper())
    return len(letters) >= 3 and capital >= 0.7 * len(letters)


def is_furniture(line: str, title: str) -> bool:
    """Is this one line furniture wherever it stands in the article?"""
    norm = " ".join(normalize(line).split())
    if key(norm) == key(title):
        return True
    if _CALL.search(norm) or _LEGAL.search(norm):
        return True
    words = _WORD.findall(norm)
    if _SENTENCE_END.search(norm) or _DATELINE.match(norm):
        return False
    return len(words) <= SHORT_WORDS or _headline_like(words) or bool(_CREDIT.search(norm))


def furniture_mask(lines: Sequence[str], title: str) -> list[bool]:
    """For each line of one article's body (in order), whether it is furniture."""
    mask = [is_furniture(line, title) for line in lines]
    ends = [i for i, line in enumerate(lines) if not mask[i] and _PERIOD_END.search(line.strip())]
    first, last = (ends[0], ends[-1]) if ends else (len(lines), -1)
    for i, line in enumerate(lines):
        edge = i < first or i > last
        if (
            edge
            and not mask[i]
            and not _PERIOD_END.search(line.strip())
            and not (_DATELINE.match(" ".join(normalize(line).split())))
        ):
            mask[i] = len(_WORD.findall(line)) < EDGE_WORDS
    return mask
