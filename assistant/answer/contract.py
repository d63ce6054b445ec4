"""The contract between answer backends and the rest: the refusal sentence, citation markers,
notices, and how an answer's text splits into claims.

Backends write text with ``[n]`` markers (``[1]``, ``[1, 2]`` or ``[1][2]``) pointing at the
numbered evidence sentences they were given, or the fixed ``REFUSAL`` sentence. Notes about
an answer (citations attached by alignment, a fallback) travel in the same stream as
``Notice`` items, so they belong to the answer they describe, whatever thread wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.text import normalize, split_sentences

REFUSAL = "The articles do not contain the answer to this question."
# said of each part of a question the articles do not answer, when another part is answered
NOT_COVERED = "The articles do not say {part}."
_NOT_COVERED = re.compile(r"The articles do not say “(?P<part>[^”]*)”\.")

MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
LEADING_MARKERS = re.compile(r"(?:\s*" + MARKER.pattern + r")+")
# "the articles do not contain the answer" (without "to this question", which models vary)
_REFUSAL_CORE = " ".join(normalize(REFUSAL).lower().split()[:7])


@dataclass(frozen=True)
class Notice:
    """A note about the answer being written, yielded by a backend among its text deltas."""

    text: str


@dataclass(frozen=True)
class Draft:
    """A backend's whole answer: the text with ``[n]`` markers, and its notices."""

    text: str
    notices: tuple[str, ...] = ()


def collect(items: Iterable[str | Notice]) -> Draft:
    """The ``Draft`` a backend's stream of text deltas and notices adds up to."""
    parts: list[str] = []
    notices: list[str] = []
    for item in items:
        if isinstance(item, Notice):
            notices.append(item.text)
        else:
            parts.append(item)
    return Draft("".join(parts), tuple(notices))


def marker_numbers(text: str) -> list[int]:
    """Every number cited in ``text``, in order of appearance (repeats kept)."""
    return [int(n) for m in MARKER.finditer(text) for n in re.findall(r"\d+", m.group(1))]


def strip_markers(text: str, replacement: str = " ") -> str:
    """``text`` with every ``[n]`` marker replaced."""
    return MARKER.sub(replacement, text)


def is_refusal(text: str) -> bool:
    """Does ``text`` say (or contain) the refusal sentence, give or take case and blanks?"""
    flat = " ".join(normalize(strip_markers(text)).lower().split())
    return _REFUSAL_CORE in flat


def not_covered(part: str) -> str:
    """The sentence saying that the articles do not answer ``part`` of a question."""
    flat = " ".join(strip_markers(part, "").split()).rstrip(" ?.!")
    flat = flat[:1].lower() + flat[1:] if flat[:2] != flat[:2].upper() else flat
    return NOT_COVERED.format(part=f"“{flat}”")


def uncovered_parts(text: str) -> list[str]:
    """The parts of a question an answer says the articles do not answer."""
    return [m.group("part") for m in _NOT_COVERED.finditer(text)]


def claims(text: str) -> list[str]:
    """The sentences of ``text``; markers written after a full stop join the sentence before."""
    out: list[str] = []
    for start, end in split_sentences(text):
        piece = text[start:end]
        lead = LEADING_MARKERS.match(piece)
        if lead and out:
            out[-1] = out[-1] + " " + lead.group(0).strip()
            piece = piece[lead.end() :].strip()
        if piece and not (out and re.fullmatch(r"[\s.,;:!?]*", piece)):
            out.append(piece)
    return out
