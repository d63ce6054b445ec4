"""Turn ``[n]`` markers in answer text into verified citations with exact spans.

Markers may be ``[1]``, ``[1, 2]`` or ``[1][2]``. Markers that point at no evidence are
dropped; the rest are renumbered in order of first use, so the first citation is ``[1]``.
``verify`` goes further for model-written answers: each claim (sentence) keeps only markers
whose evidence shares content words with it, and only while its cited evidence ``supports``
it: holds at least half its content words, every negation or reversal word and every number
it uses, so "The meeting was cancelled [1]" does not pass on "meeting" alone, nor "July 12"
on a passage that says July 13. Claims left without a marker are dropped, and an answer that
contains the refusal sentence or keeps nothing cited becomes a refusal. The check is
lexical: it catches invented and twisted claims that add words or numbers, not a
contradiction written in the evidence's own words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answer.contract import MARKER, REFUSAL, claims, is_refusal, marker_numbers
from assistant.text import content_terms, numbers, polarity_words
from assistant.types import Citation, Evidence

MIN_COVER = 0.5  # share of a claim's content words its cited evidence must contain


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
    citations = tuple(_citation(new, by_n[old]) for old, new in order.items())
    return new_text, citations


def _citation(n: int, item: Evidence) -> Citation:
    passage, sentence, meta = item.passage, item.sentence, item.passage.meta
    return Citation(
        n=n,
        source=passage.source,
        title=passage.title,
        passage_id=passage.id,
        start=sentence.start,
        end=sentence.end,
        quote=sentence.text,
        url=meta.url,
        outlet=meta.outlet,
        published=meta.published,
        author=meta.author,
    )


# --- verification of model-written answers -------------------------------------------------


@dataclass(frozen=True)
class Verified:
    """A model's answer after verification: only cited, supported claims remain."""

    text: str
    citations: tuple[Citation, ...]
    refused: bool
    dropped: tuple[str, ...] = ()  # claims removed because no valid, supported marker backed them


def shares_words(claim: str, item: Evidence) -> bool:
    """Does the claim share a content word with the evidence sentence it cites?

    A claim without content words of its own ("Yes [1].") cannot be checked and is kept.
    """
    own = set(content_terms(MARKER.sub(" ", claim)))
    return not own or bool(own & set(content_terms(item.sentence.text)))


def supports(claim: str, cited: Sequence[Evidence]) -> bool:
    """Does the cited evidence hold the claim? Its sentences must contain at least
    ``MIN_COVER`` of the claim's content words and every negation or reversal word it uses
    ("not", "cancelled", "denied"); its passages (text and title) every number it uses."""
    claim = MARKER.sub(" ", claim)
    sentences = [e.sentence.text for e in cited]
    own = set(content_terms(claim))
    held = {t for s in sentences for t in content_terms(s)}
    if own and len(own & held) < MIN_COVER * len(own):
        return False
    if not polarity_words(claim) <= {w for s in sentences for w in polarity_words(s)}:
        return False
    return numbers(claim) <= {
        n for e in cited for n in numbers(e.passage.title + " " + e.passage.text)
    }


def verify(text: str, evidence: Sequence[Evidence]) -> Verified:
    """Keep each claim only with markers that point at evidence sharing its words, and only
    while that evidence ``supports`` it; then resolve.

    An answer that contains the refusal sentence, or keeps no cited claim, is a refusal.
    """
    if not text.strip() or is_refusal(text):
        return Verified(REFUSAL, (), True)
    by_n = {e.n: e for e in evidence}
    kept: list[str] = []
    dropped: list[str] = []
    for claim in claims(text):
        good = {n for n in marker_numbers(claim) if n in by_n and shares_words(claim, by_n[n])}
        if not supports(claim, [by_n[n] for n in sorted(good)]):
            good = set()

        def check(match: re.Match[str], good: set[int] = good) -> str:
            found = (int(x) for x in re.findall(r"\d+", match.group(1)))
            return "".join(f"[{n}]" for n in dict.fromkeys(found) if n in good)

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
