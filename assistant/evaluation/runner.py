"""Run a pinned question set through an ``Assistant`` and score every answer.

``evaluate`` searches each question once, answers from that search (so the retrieval facts,
the rank of the gold quote and whether it was among the evidence, describe the very search
the answer came from) and scores the answer with ``evaluation.metrics``; the result is a
frozen ``EvalReport`` (``to_dict`` for JSON).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.evaluation.metrics import ItemResult, PinnedItem, contains, score_item
from assistant.evaluation.summary import Metrics, breakdown, summarize

if TYPE_CHECKING:
    from assistant.engine import Assistant
    from assistant.search.searcher import SearchResult
    from assistant.types import Answer


@dataclass(frozen=True)
class EvalReport:
    """The outcome of one evaluation run."""

    file: str
    backend: str
    top_k: int
    metrics: Metrics
    results: tuple[ItemResult, ...]
    groups: dict[str, dict[str, Metrics]] = field(default_factory=dict)  # split -> category

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "backend": self.backend,
            "top_k": self.top_k,
            "metrics": self.metrics.to_dict(),
            "breakdown": {
                split: {name: m.to_dict() for name, m in groups.items()}
                for split, groups in self.groups.items()
            },
            "items": [r.to_dict() for r in self.results],
        }

    @property
    def failures(self) -> list[ItemResult]:
        return [r for r in self.results if not r.passed or r.contract_problems]


def failure_reason(result: ItemResult) -> str:
    """One line: the item id, what went wrong, and the answer."""
    if result.contract_problems:
        why = "; ".join(result.contract_problems)
    elif result.forbidden:
        why = f"states a forbidden fact ({', '.join(result.forbidden)})"
    elif not result.item.answerable:
        why = "should be declined"
    elif result.answer.refused:
        why = "declined an answerable question"
    elif result.parts_ok is False:
        why = "a part is missing and not named as uncovered"
    elif not result.keywords_ok and result.parts_ok is None:
        why = "keywords missing"
    else:
        why = "first citation not from an expected source"
    return f"{result.item.id}: {why}: {' '.join(result.answer.text.split())}"


def retrieval_facts(found: SearchResult, item: PinnedItem) -> tuple[int | None, bool | None]:
    """Rank of the first retrieved passage holding the gold quote, and whether a selected
    evidence sentence holds it; ``(None, None)`` for items without a quote."""
    if not item.quote:
        return None, None
    quote = item.quote
    rank = next((i for i, h in enumerate(found.hits, 1) if contains(h.passage.text, quote)), None)
    return rank, any(contains(e.sentence.text, quote) for e in found.selection.evidence)


def ask_item(assistant: Assistant, item: PinnedItem) -> tuple[SearchResult, Answer]:
    """The search and the answer for one item; a follow-up's earlier ``turns`` are asked
    first, in one conversation, as a user would."""
    if not item.turns:
        found = assistant.search(item.question)
        return found, assistant.answer(found, question=item.question, id=item.id)
    messages: list[dict[str, str]] = []
    for turn in item.turns:
        messages.append({"role": "user", "content": turn})
        messages.append({"role": "assistant", "content": assistant.chat(messages).text})
    messages.append({"role": "user", "content": item.question})
    query, notices = assistant.understand(messages)
    found = assistant.search(query)
    return found, assistant.answer(found, question=item.question, id=item.id, notices=notices)


def evaluate(
    assistant: Assistant,
    items: Sequence[PinnedItem],
    *,
    file: str = "",
    progress: Callable[[int, ItemResult], None] | None = None,
) -> EvalReport:
    """Ask every item's question and score the answers."""
    results: list[ItemResult] = []
    for number, item in enumerate(items, start=1):
        found, answer = ask_item(assistant, item)
        rank, hit = retrieval_facts(found, item)
        result = score_item(item, answer, assistant.settings.seeds_dir, rank, hit)
        results.append(result)
        if progress is not None:
            progress(number, result)
    top_k = assistant.settings.top_k
    return EvalReport(
        file=file,
        backend=assistant.backend.name,
        top_k=top_k,
        metrics=summarize(results, top_k),
        results=tuple(results),
        groups=breakdown(results, top_k),
    )
