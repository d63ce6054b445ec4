"""Metrics of answers against pinned question items: pure functions, no index, no model.

A *pinned item* says what a good answer looks like: keywords (groups of alternatives, every
group must match, word-boundary aware), the acceptable cited articles (``sources``), whether
the articles answer it at all (``answerable``) and optionally ``quote``, an exact substring of
the gold evidence. ``score_item`` turns one ``Answer`` into an ``ItemResult``; ``summarize``
turns the results into ``Metrics`` (see docs/eval.md for every definition).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.answer.conformance import check_answer
from assistant.answer.contract import claims, marker_numbers, uncovered_parts
from assistant.text import normalize
from assistant.types import Answer, Citation

Groups = tuple[tuple[str, ...], ...]  # keyword groups of alternatives


@dataclass(frozen=True)
class PinnedPart:
    """One ask of a two-part question."""

    ask: str
    answerable: bool
    keywords: Groups = ()
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class PinnedItem:
    """One question of a pinned set (one line of the JSONL file)."""

    id: str
    question: str
    answerable: bool
    keywords: Groups = ()
    sources: tuple[str, ...] = ()
    quote: str | None = None
    line: int = 0  # line number in the file it came from (for messages)
    split: str | None = None  # "dev" (tune on it) or "test" (report only)
    category: str | None = None
    turns: tuple[str, ...] = ()  # earlier user questions of a follow-up
    forbid: tuple[str, ...] = ()  # facts that must not appear in the answer
    parts: tuple[PinnedPart, ...] = ()


def keyword_found(keyword: str, text: str) -> bool:
    """Case-insensitive, word-boundary-aware match, curly quotes and NBSP folded."""
    pattern = rf"(?<!\w){re.escape(normalize(keyword))}(?!\w)"
    return re.search(pattern, normalize(text), re.IGNORECASE) is not None


def keywords_match(text: str, groups: Sequence[Sequence[str]]) -> bool:
    """Every group has at least one alternative in ``text`` (true for no groups)."""
    return all(any(keyword_found(k, text) for k in group) for group in groups)


def _folded(text: str) -> str:
    return " ".join(normalize(text).lower().split())


def contains(haystack: str, needle: str) -> bool:
    """``needle`` inside ``haystack`` after folding case, quotes, dashes and blanks."""
    return _folded(needle) in _folded(haystack)


def supports(citation: Citation, item: PinnedItem) -> bool:
    """ALCE-style: the cited quote holds the gold quote, or at least all the keywords,
    and it comes from an acceptable source."""
    if item.sources and citation.source not in item.sources:
        return False
    if item.quote and contains(citation.quote, item.quote):
        return True
    return bool(item.keywords) and keywords_match(citation.quote, item.keywords)


def forbidden_in(text: str, item: PinnedItem) -> tuple[str, ...]:
    """The ``forbid`` facts of ``item`` that ``text`` states."""
    return tuple(f for f in item.forbid if keyword_found(f, text))


def parts_outcome(answer: Answer, item: PinnedItem) -> bool | None:
    """A two-part item: every answerable part's keywords are in the answer and every part
    the articles do not answer is named as not covered (``None`` for other items)."""
    if not item.parts:
        return None
    if answer.refused:
        return False
    named = uncovered_parts(answer.text)
    for part in item.parts:
        if part.answerable and not keywords_match(answer.text, part.keywords):
            return False
        if not part.answerable and not named:
            return False
    return True


@dataclass(frozen=True)
class ItemResult:
    """How one answer fared against its pinned item."""

    item: PinnedItem
    answer: Answer
    passed: bool  # answerable: correct; unanswerable: refused; never with a forbidden fact
    keywords_ok: bool | None  # None for unanswerable items
    first_source_ok: bool | None
    citations: int
    supporting: int  # citations that support the item (passage level)
    expected_source_citations: int  # citations from an acceptable source
    claims: int
    supported_claims: int  # claims with at least one supporting citation
    contract_problems: tuple[str, ...]
    retrieval_rank: int | None  # 1-based rank of the first passage holding the gold quote
    evidence_hit: bool | None  # gold quote inside one of the selected evidence sentences
    forbidden: tuple[str, ...] = ()  # forbidden facts the answer states
    all_sources_cited: bool | None = None  # answerable: every expected article is cited
    parts_ok: bool | None = None  # two-part items: complete, or the missing part named

    @property
    def false_cited(self) -> bool:
        """A cited answer to a question the articles do not answer, or one stating a
        forbidden (spliced or false) fact."""
        if self.answer.refused:
            return False
        return not self.item.answerable or bool(self.forbidden)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.item.id,
            "split": self.item.split,
            "category": self.item.category,
            "question": self.item.question,
            "answerable": self.item.answerable,
            "passed": self.passed,
            "refused": self.answer.refused,
            "declined_by": self.answer.declined_by,
            "false_cited": self.false_cited,
            "forbidden": list(self.forbidden),
            "keywords_ok": self.keywords_ok,
            "first_source_ok": self.first_source_ok,
            "all_sources_cited": self.all_sources_cited,
            "parts_ok": self.parts_ok,
            "citations": self.citations,
            "supporting_citations": self.supporting,
            "expected_source_citations": self.expected_source_citations,
            "claims": self.claims,
            "supported_claims": self.supported_claims,
            "contract_problems": list(self.contract_problems),
            "retrieval_rank": self.retrieval_rank,
            "evidence_hit": self.evidence_hit,
            "answer": self.answer.to_dict(),
        }


def score_item(
    item: PinnedItem,
    answer: Answer,
    seeds_dir: Path,
    retrieval_rank: int | None = None,
    evidence_hit: bool | None = None,
) -> ItemResult:
    """Score one answer; retrieval facts are measured by the caller (they need the index)."""
    problems = tuple(check_answer(answer.to_dict(), seeds_dir))
    by_n = {c.n: c for c in answer.citations}
    supporting = {c.n for c in answer.citations if supports(c, item)}
    answer_claims = [] if answer.refused else claims(answer.text)
    supported_claims = sum(
        any(n in supporting for n in marker_numbers(claim) if n in by_n) for claim in answer_claims
    )
    forbidden = () if answer.refused else forbidden_in(answer.text, item)
    keywords_ok = first_ok = all_cited = None
    parts_ok = parts_outcome(answer, item)
    if item.answerable:
        keywords_ok = not answer.refused and keywords_match(answer.text, item.keywords)
        first_ok = bool(answer.citations) and answer.citations[0].source in item.sources
        cited = {c.source for c in answer.citations}
        all_cited = not answer.refused and set(item.sources) <= cited
        passed = bool(parts_ok if parts_ok is not None else keywords_ok and first_ok)
        passed = passed and bool(first_ok)
    else:
        passed = answer.refused
    passed = passed and not forbidden
    return ItemResult(
        item=item,
        answer=answer,
        passed=passed,
        keywords_ok=keywords_ok,
        first_source_ok=first_ok,
        citations=len(answer.citations),
        supporting=len(supporting),
        expected_source_citations=sum(c.source in item.sources for c in answer.citations),
        claims=len(answer_claims),
        supported_claims=supported_claims,
        contract_problems=problems,
        retrieval_rank=retrieval_rank,
        evidence_hit=evidence_hit,
        forbidden=forbidden,
        all_sources_cited=all_cited,
        parts_ok=parts_ok,
    )
