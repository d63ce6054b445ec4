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
from assistant.answer.contract import claims, marker_numbers
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


@dataclass(frozen=True)
class ItemResult:
    """How one answer fared against its pinned item."""

    item: PinnedItem
    answer: Answer
    passed: bool  # answerable: correct; unanswerable: refused
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.item.id,
            "question": self.item.question,
            "answerable": self.item.answerable,
            "passed": self.passed,
            "refused": self.answer.refused,
            "keywords_ok": self.keywords_ok,
            "first_source_ok": self.first_source_ok,
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
    keywords_ok = first_ok = None
    if item.answerable:
        keywords_ok = not answer.refused and keywords_match(answer.text, item.keywords)
        first_ok = bool(answer.citations) and answer.citations[0].source in item.sources
        passed = bool(keywords_ok and first_ok)
    else:
        passed = answer.refused
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
    )


@dataclass(frozen=True)
class Metrics:
    """The summary of a run; a share is ``None`` when nothing was there to measure."""

    items: int
    answerable: int
    unanswerable: int
    answered: int  # answerable items that were not refused
    with_quote: int
    answer_accuracy: float | None
    refusal_accuracy: float | None
    false_refusal_rate: float | None
    source_precision: float | None
    source_recall: float | None
    citation_precision: float | None
    citation_recall: float | None
    faithfulness: float | None
    hit_at_1: float | None
    hit_at_2: float | None
    hit_at_k: float | None
    evidence_hit: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in vars(self).items()}


def share(hits: int, total: int) -> float | None:
    return hits / total if total else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100) with linear interpolation; ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(results: Sequence[ItemResult], top_k: int) -> Metrics:
    """Aggregate item results; ``top_k`` is the retrieval depth the ranks were cut at."""
    answerable = [r for r in results if r.item.answerable]
    unanswerable = [r for r in results if not r.item.answerable]
    answered = [r for r in answerable if not r.answer.refused]
    quoted = [r for r in answerable if r.item.quote]
    ranks = [r.retrieval_rank for r in quoted]
    cites = sum(r.citations for r in answered)
    latencies = [
        float(r.answer.timings["total_ms"]) for r in results if "total_ms" in r.answer.timings
    ]
    return Metrics(
        items=len(results),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        answered=len(answered),
        with_quote=len(quoted),
        answer_accuracy=share(sum(r.passed for r in answerable), len(answerable)),
        refusal_accuracy=share(sum(r.passed for r in unanswerable), len(unanswerable)),
        false_refusal_rate=share(len(answerable) - len(answered), len(answerable)),
        source_precision=share(sum(r.expected_source_citations for r in answered), cites),
        source_recall=share(sum(r.expected_source_citations > 0 for r in answered), len(answered)),
        citation_precision=share(sum(r.supporting for r in answered), cites),
        citation_recall=share(
            sum(r.supported_claims for r in answered), sum(r.claims for r in answered)
        ),
        faithfulness=share(sum(not r.contract_problems for r in results), len(results)),
        hit_at_1=share(sum(k is not None and k <= 1 for k in ranks), len(quoted)),
        hit_at_2=share(sum(k is not None and k <= 2 for k in ranks), len(quoted)),
        hit_at_k=share(sum(k is not None and k <= top_k for k in ranks), len(quoted)),
        evidence_hit=share(sum(bool(r.evidence_hit) for r in quoted), len(quoted)),
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
    )
