"""The summary of an evaluation run: accuracy, refusals, false-cited answers, citations,
retrieval and latency over all items, and the same per split and category (``breakdown``).
Every definition is in docs/eval.md."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.evaluation.metrics import ItemResult


@dataclass(frozen=True)
class Metrics:
    """The summary of a run; a share is ``None`` when nothing was there to measure."""

    items: int
    answerable: int
    unanswerable: int
    answered: int  # answerable items that were not refused
    with_quote: int
    accuracy: float | None  # items passed, answerable and unanswerable alike
    false_cited: int  # cited answers to unanswerable items, or stating a forbidden fact
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
    two_article_items: int = 0
    two_part_items: int = 0
    follow_up_items: int = 0
    two_article_all_cited: float | None = None  # two-article items citing every article
    two_part_ok: float | None = None  # two-part items complete or naming the missing part
    follow_up_accuracy: float | None = None
    answered_latency_p50_ms: float | None = None  # over the answers that were not refusals
    declined_by: dict[str, int] | None = None  # refusals by what declined them

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in vars(self).items()}


def _category(results: Sequence[ItemResult], name: str) -> list[ItemResult]:
    return [r for r in results if r.item.category == name]


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
    answered_latencies = [
        float(r.answer.timings["total_ms"])
        for r in results
        if "total_ms" in r.answer.timings and not r.answer.refused
    ]
    two_article = [r for r in _category(results, "two_article") if r.item.answerable]
    two_part = [r for r in results if r.parts_ok is not None]
    follow_ups = _category(results, "follow_up")
    declined = Counter(r.answer.declined_by or "unknown" for r in results if r.answer.refused)
    return Metrics(
        items=len(results),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        answered=len(answered),
        with_quote=len(quoted),
        accuracy=share(sum(r.passed for r in results), len(results)),
        false_cited=sum(r.false_cited for r in results),
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
        two_article_items=len(two_article),
        two_part_items=len(two_part),
        follow_up_items=len(follow_ups),
        two_article_all_cited=share(
            sum(bool(r.all_sources_cited) for r in two_article), len(two_article)
        ),
        two_part_ok=share(sum(bool(r.parts_ok) for r in two_part), len(two_part)),
        follow_up_accuracy=share(sum(r.passed for r in follow_ups), len(follow_ups)),
        answered_latency_p50_ms=percentile(answered_latencies, 50),
        declined_by=dict(sorted(declined.items())),
    )


def breakdown(results: Sequence[ItemResult], top_k: int) -> dict[str, dict[str, Metrics]]:
    """``split -> category -> Metrics`` (``"all"`` for the whole split or set)."""
    out: dict[str, dict[str, Metrics]] = {}
    splits = sorted({r.item.split or "none" for r in results})
    for split in ["all", *splits] if len(splits) > 1 else splits:
        mine = [r for r in results if split == "all" or (r.item.split or "none") == split]
        groups: dict[str, Metrics] = {"all": summarize(mine, top_k)}
        for name in sorted({r.item.category for r in mine if r.item.category}):
            groups[name] = summarize(_category(mine, name), top_k)
        out[split] = groups
    return out
