"""Turn ``[n]`` markers in answer text into verified citations with exact spans.

Markers may be ``[1]``, ``[1, 2]`` or ``[1][2]``. Markers that point at no evidence are
dropped; the rest are renumbered in order of first use, so the first citation is ``[1]``.
``verify`` goes further for model-written answers: each claim (sentence) keeps only markers
whose evidence shares content words with it, claims left without a marker are dropped, and
an answer that contains the refusal sentence or keeps nothing cited becomes a refusal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.backends.base import REFUSAL
from assistant.text import content_terms, normalize, split_sentences
from assistant.types import Citation, Evidence

MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
# "the articles do not contain the answer" (without "to this question", which models vary)
_REFUSAL_CORE = " ".join(normalize(REFUSAL).lower().split()[:7])


def marker_numbers(text: str) -> list[int]:
    """Every number cited in ``text``, in order of appearance (repeats kept)."""
    return [int(n) for m in MARKER.finditer(text) for n in re.findall(r"\d+", m.group(1))]


def resolve(text: str, evidence: Sequence[Evidence]) -> tuple[str, tuple[Citation, ...]]:
    """Rewrite ``text``'s markers to 1..k in first-use order and build their citations."""
    by_n = {e.n: e for e in evidence}
    order: dict[int, int] = {}
    for n in marker_numbers(text):
        if n in by_n and n not in order:
            order[n] = len(order) + 1

    def renumber(match: re.Match[str]) -> str:
        kept = []
        for n in (int(x) for x in re.findall(r"\d+", match.group(1))):
            if n in order and f"[{order[n]}]" not in kept:
                kept.append(f"[{order[n]}]")
        return "".join(kept)

    new_text = MARKER.sub(renumber, text)
    new_text = re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", new_text)).strip()
    citations = tuple(
        Citation(
            n=new,
            source=by_n[old].passage.source,
            title=by_n[old].passage.title,
            passage_id=by_n[old].passage.id,
            start=by_n[old].sentence.start,
            end=by_n[old].sentence.end,
            quote=by_n[old].sentence.text,
        )
        for old, new in order.items()
    )
    return new_text, citations


# --- verification of model-written answers -------------------------------------------------


@dataclass(frozen=True)
class Verified:
    """A model's answer after verification: only cited, supported claims remain."""

    text: str
    citations: tuple[Citation, ...]
    refused: bool
    dropped: tuple[str, ...] = ()  # claims removed because no valid, supported marker backed them


def is_refusal(text: str) -> bool:
    """Does ``text`` say (or contain) the refusal sentence, give or take case and blanks?"""
    flat = " ".join(normalize(MARKER.sub(" ", text)).lower().split())
    return _REFUSAL_CORE in flat


def claims(text: str) -> list[str]:
    """The sentences of ``text``; markers written after a full stop join the sentence before."""
    out: list[str] = []
    for start, end in split_sentences(text):
        piece = text[start:end]
        lead = re.match(r"(?:\s*" + MARKER.pattern + r")+", piece)
        if lead and out:
            out[-1] = out[-1] + " " + lead.group(0).strip()
            piece = piece[lead.end() :].strip()
        if piece and not (out and re.fullmatch(r"[\s.,;:!?]*", piece)):
            out.append(piece)
    return out


def supported(claim: str, item: Evidence) -> bool:
    """Does the claim share a content word with the evidence sentence it cites?

    A claim without content words of its own ("Yes [1].") cannot be checked and is kept.
    """
    own = set(content_terms(MARKER.sub(" ", claim)))
    return not own or bool(own & set(content_terms(item.sentence.text)))


def verify(text: str, evidence: Sequence[Evidence]) -> Verified:
    """Keep each claim only with markers that point at evidence sharing its words, then resolve.

    An answer that contains the refusal sentence, or keeps no cited claim, is a refusal.
    """
    if not text.strip() or is_refusal(text):
        return Verified(REFUSAL, (), True)
    by_n = {e.n: e for e in evidence}
    kept: list[str] = []
    dropped: list[str] = []
    for claim in claims(text):

        def check(match: re.Match[str], claim: str = claim) -> str:
            good = [
                n
                for n in (int(x) for x in re.findall(r"\d+", match.group(1)))
                if n in by_n and supported(claim, by_n[n])
            ]
            return "".join(f"[{n}]" for n in dict.fromkeys(good))

        checked = MARKER.sub(check, claim)
        if marker_numbers(checked):
            kept.append(_markers_inside(checked))
        else:
            dropped.append(claim)
    if not kept:
        return Verified(REFUSAL, (), True, tuple(dropped))
    new_text, citations = resolve(" ".join(kept), evidence)
    new_text = re.sub(r"(\[\d+\])(?:\1)+", r"\1", re.sub(r"\]\s+\[", "][", new_text))
    return Verified(new_text, citations, False, tuple(dropped))


def _markers_inside(claim: str) -> str:
    """ "It is so. [1]" -> "It is so [1]." (not after an initial such as "U.S.")."""
    found = re.match(r"^(.*?)([.!?]+)((?:\s*\[\d+\])+)\s*$", claim, re.DOTALL)
    if not found or re.search(r"\b[A-Z]$", found.group(1)):
        return claim
    return f"{found.group(1).rstrip()} {found.group(3).strip()}{found.group(2)}"
