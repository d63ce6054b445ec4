"""The model-free backend: the best evidence sentences, verbatim, each with its marker."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from assistant.answer.backends.base import REFUSAL, Backend, Notice
from assistant.text import content_terms
from assistant.types import Evidence

# A further sentence joins the answer only when it is nearly as well supported as the best
# one and adds words the answer does not have yet.
RELATIVE_SUPPORT = 0.85
MIN_NEW_TERMS = 3
_ACRONYM_END = re.compile(r"\b[A-Z]\.[A-Z]\.$")  # "... and U.S." keeps its full stop


class ExtractiveBackend(Backend):
    """Deterministic and fast; the backend of CI's pinned answers and the fallback."""

    name = "extractive"
    verbatim = True

    def __init__(self, max_sentences: int = 2) -> None:
        self.max_sentences = max_sentences

    def choose(self, evidence: Sequence[Evidence]) -> list[Evidence]:
        """The sentences chosen to answer each part of the question (``primary``), then
        others nearly as well supported that add words the answer does not have yet."""
        if not evidence:
            return []
        best = evidence[0]
        primary = [e for e in evidence if e.primary] or [best]
        chosen = list(primary)
        seen = {t for e in chosen for t in content_terms(e.sentence.text)}
        for item in evidence[1:]:
            if item in chosen:
                continue
            if len(chosen) >= self.max_sentences:
                break
            if item.support < best.support * RELATIVE_SUPPORT:
                break
            terms = set(content_terms(item.sentence.text))
            if len(terms - seen) < MIN_NEW_TERMS:
                continue
            chosen.append(item)
            seen |= terms
        return chosen

    def quotes(self, evidence: Sequence[Evidence]) -> str:
        """The chosen evidence sentences with their markers, or ``REFUSAL``."""
        chosen = self.choose(evidence)
        if not chosen:
            return REFUSAL
        return " ".join(_with_marker(e) for e in chosen)

    def stream(self, question: str, evidence: Sequence[Evidence]) -> Iterator[str | Notice]:
        yield self.quotes(evidence)


def _with_marker(item: Evidence) -> str:
    """The sentence with its marker before the final full stop: "... on July 13 [1]." """
    text = " ".join(item.sentence.text.split())
    if text[-1:] in ".!?" and not text.endswith("...") and not _ACRONYM_END.search(text):
        return f"{text[:-1]} [{item.n}]{text[-1]}"
    return f"{text} [{item.n}]"
