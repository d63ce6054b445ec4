"""When cited articles from different outlets give different figures for the same thing,
say which outlet said what and when, instead of leaving the reader with a merged answer.

A figure is a number (with its currency, scale or per cent) and the word after it ("4,000
troops", "$4.2 million", "20 per cent"). When a cited sentence gives a figure and another
outlet's sentence in the evidence (cited or not: a near-repeat is often left uncited) gives
a different number for the same word, the answer gets one added sentence that names each
outlet, its date and its figure, each with its citation, e.g. "The reports differ: Northern
Wire (2016-07-09) gives 4,000 troops [1]; Baltic Times (2016-07-10) gives 5,000 troops [2]."
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answer.citations import resolve
from assistant.answer.contract import MARKER
from assistant.text import STOPWORDS, normalize, stem
from assistant.types import Citation, Evidence

_FIGURE = re.compile(
    r"(?P<figure>[$£€]?\d[\d,]*(?:\.\d+)?(?:\s?(?:%|per ?cent|million|billion|thousand))?)"
    r"\s+(?P<thing>(?:[A-Za-z-]+\s+){0,2}?(?P<word>[A-Za-z-]{3,}))"
)


def _figures(quote: str) -> dict[str, tuple[str, str]]:
    """``stem of the counted word -> (number, "number words")`` for each figure of a quote."""
    found: dict[str, tuple[str, str]] = {}
    for match in _FIGURE.finditer(normalize(quote)):
        words = match["thing"].split()
        kept = [w for w in words if w.lower() not in STOPWORDS]
        if not kept:
            continue
        key = stem(kept[-1].lower())
        value = re.sub(r"[,\s]", "", match["figure"]).lower().replace("percent", "%")
        found.setdefault(key, (value, f"{match['figure']} {' '.join(words)}"))
    return found


def _who(outlet: str, published: str | None) -> str:
    return f"{outlet} ({published})" if published else outlet


@dataclass(frozen=True)
class _Said:
    n: int  # the evidence number
    outlet: str
    published: str | None
    value: str
    words: str


def _claims(items: Sequence[Evidence]) -> dict[str, list[_Said]]:
    """``counted word -> what each evidence sentence with an outlet says of it``."""
    seen: dict[str, list[_Said]] = {}
    for item in items:
        meta = item.passage.meta
        if not meta.outlet:
            continue
        for key, (value, words) in _figures(item.sentence.text).items():
            seen.setdefault(key, []).append(
                _Said(item.n, meta.outlet, meta.published, value, words)
            )
    return seen


def disagreement(cited: Sequence[Evidence], others: Sequence[Evidence]) -> str | None:
    """The sentence (markers in evidence numbers) saying which outlet gave which figure for
    a figure of the cited evidence that another outlet's evidence gives differently."""
    mine, theirs = _claims(cited), _claims(others)
    for key, said in mine.items():
        claims = said + [c for c in theirs.get(key, []) if c.n not in {s.n for s in said}]
        if len({c.outlet for c in claims}) > 1 and len({c.value for c in claims}) > 1:
            parts: dict[tuple[str, str], str] = {}
            for c in claims:
                parts.setdefault(
                    (c.outlet, c.value), f"{_who(c.outlet, c.published)} gives {c.words} [{c.n}]"
                )
            return "The reports differ: " + "; ".join(parts.values()) + "."
    return None


def with_disagreement(
    text: str, citations: Sequence[Citation], evidence: Sequence[Evidence]
) -> tuple[str, tuple[Citation, ...]]:
    """The answer text and citations, with the disagreement sentence (and the citations it
    adds) when a cited figure is given differently by another outlet in the evidence."""
    by_span = {(e.passage.id, e.sentence.start, e.sentence.end): e for e in evidence}
    cited = [by_span.get((c.passage_id, c.start, c.end)) for c in citations]
    if not cited or any(e is None for e in cited):
        return text, tuple(citations)
    mapped = {c.n: e.n for c, e in zip(citations, cited, strict=True) if e is not None}
    items = [e for e in cited if e is not None]
    sentence = disagreement(items, [e for e in evidence if e not in items])
    if sentence is None:
        return text, tuple(citations)
    in_evidence = MARKER.sub(lambda m: _renumbered(m, mapped), text)
    return resolve(f"{in_evidence} {sentence}", evidence)


def _renumbered(match: re.Match[str], mapped: dict[int, int]) -> str:
    numbers = [int(x) for x in re.findall(r"\d+", match.group(1))]
    return "".join(f"[{mapped[n]}]" for n in numbers if n in mapped)
