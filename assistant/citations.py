"""Turn ``[n]`` markers in answer text into verified citations with exact spans.

Markers may be ``[1]``, ``[1, 2]`` or ``[1][2]``. Markers that point at no evidence are
dropped; the rest are renumbered in order of first use, so the first citation is ``[1]``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.types import Citation, Evidence

MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")


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
