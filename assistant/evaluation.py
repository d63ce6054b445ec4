"""``assistant eval``: run a pinned question set through an ``Assistant`` and measure it.

* ``load_set`` reads and validates a JSONL set (format in docs/eval.md); a bad line raises
  ``EvalSetError`` naming ``file:line`` and the fix.
* ``evaluate`` asks every question, measures retrieval of the gold quote and scores each
  answer with ``assistant.metrics``; the result is a frozen ``EvalReport`` (``to_dict`` for JSON).
* ``format_table``, ``check_thresholds`` and the snapshot helpers serve the CLI and the tests.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError
from assistant.metrics import ItemResult, Metrics, PinnedItem, contains, score_item, summarize
from assistant.questions import clean_question
from assistant.types import Answer

if TYPE_CHECKING:
    from assistant.engine import Assistant

DEFAULT_SET = Path("tests/regression/questions.jsonl")
KEYS = frozenset({"id", "question", "answerable", "keywords", "sources", "quote"})


class EvalSetError(AssistantError):
    """A pinned question set cannot be read or has a malformed line."""

    exit_code = 2


def _fail(path: Path, number: int, why: str) -> EvalSetError:
    return EvalSetError(f"{path}:{number}: {why}; see docs/eval.md for the format.")


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def parse_item(data: Any, path: Path, number: int) -> PinnedItem:
    """One validated item from a decoded JSON line."""
    if not isinstance(data, dict):
        raise _fail(path, number, "each line must be a JSON object")
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise _fail(path, number, f"unknown field(s) {unknown}; allowed: {sorted(KEYS)}")
    question = data.get("question")
    if not isinstance(question, str) or not question.strip():
        raise _fail(path, number, 'needs a non-empty "question" string')
    answerable = data.get("answerable")
    if not isinstance(answerable, bool):
        raise _fail(path, number, 'needs "answerable": true or false')
    raw_groups = data.get("keywords", [])
    if not isinstance(raw_groups, list):
        raise _fail(path, number, '"keywords" must be a list of lists of alternatives')
    groups = [[g] if isinstance(g, str) else g for g in raw_groups]
    if not all(_strings(g) and g for g in groups):
        raise _fail(path, number, '"keywords" must be a list of lists of non-empty strings')
    sources = data.get("sources", [])
    if not _strings(sources):
        raise _fail(path, number, '"sources" must be a list of article file names')
    if answerable and not (groups and sources):
        raise _fail(path, number, 'an answerable item needs "keywords" and "sources"')
    quote = data.get("quote")
    if quote is not None and (not isinstance(quote, str) or not quote.strip()):
        raise _fail(path, number, '"quote" must be a non-empty string')
    raw_id = data.get("id", f"line{number}")
    if not isinstance(raw_id, str | int):
        raise _fail(path, number, '"id" must be a string')
    return PinnedItem(
        id=str(raw_id),
        question=question,
        answerable=answerable,
        keywords=tuple(tuple(g) for g in groups),
        sources=tuple(sources),
        quote=quote,
        line=number,
    )


def load_set(path: Path) -> list[PinnedItem]:
    """Every item of a JSONL pinned set; blank lines are skipped, ids must be unique."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or "not UTF-8"
        raise EvalSetError(f"cannot read {path} ({why}); check the path.") from None
    items: list[PinnedItem] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise _fail(path, number, f"not valid JSON ({exc.args[0]})") from None
        item = parse_item(data, path, number)
        if item.id in seen:
            raise _fail(path, number, f"id {item.id!r} already used on line {seen[item.id]}")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise EvalSetError(f"{path} has no questions; add JSONL lines (see docs/eval.md).")
    return items


@dataclass(frozen=True)
class EvalReport:
    """The outcome of one evaluation run."""

    file: str
    backend: str
    top_k: int
    metrics: Metrics
    results: tuple[ItemResult, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "backend": self.backend,
            "top_k": self.top_k,
            "metrics": self.metrics.to_dict(),
            "items": [r.to_dict() for r in self.results],
        }

    @property
    def failures(self) -> list[ItemResult]:
        return [r for r in self.results if not r.passed or r.contract_problems]


def failure_reason(result: ItemResult) -> str:
    """One line: the item id, what went wrong, and the answer."""
    if result.contract_problems:
        why = "; ".join(result.contract_problems)
    elif not result.item.answerable:
        why = "should be declined"
    elif result.answer.refused:
        why = "declined an answerable question"
    elif not result.keywords_ok:
        why = "keywords missing"
    else:
        why = "first citation not from an expected source"
    return f"{result.item.id}: {why}: {' '.join(result.answer.text.split())}"


def retrieval_facts(assistant: Assistant, item: PinnedItem) -> tuple[int | None, bool | None]:
    """Rank of the first retrieved passage holding the gold quote, and whether a selected
    evidence sentence holds it; ``(None, None)`` for items without a quote."""
    if not item.quote:
        return None, None
    text = clean_question(item.question, assistant.settings.max_question_chars)
    # The fused ranking itself (Assistant.select only exposes the chosen sentences).
    hits = assistant._ensure_searcher().retriever.retrieve(text)
    rank = next((i for i, h in enumerate(hits, 1) if contains(h.passage.text, item.quote)), None)
    selection, _ = assistant.select(text)
    return rank, any(contains(e.sentence.text, item.quote) for e in selection.evidence)


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
        answer = assistant.ask(item.question, id=item.id)
        rank, hit = retrieval_facts(assistant, item)
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
    )


# (metric field, label, denominator field) in table order
ROWS = (
    ("answer_accuracy", "answer accuracy", "answerable"),
    ("refusal_accuracy", "refusal accuracy (unanswerable declined)", "unanswerable"),
    ("false_refusal_rate", "false-refusal rate", "answerable"),
    ("source_precision", "citation precision, source level", "answered"),
    ("source_recall", "citation recall, source level", "answered"),
    ("citation_precision", "citation precision, passage level (ALCE)", "answered"),
    ("citation_recall", "citation recall, passage level (ALCE)", "answered"),
    ("faithfulness", "citation faithfulness (exact spans, contract)", "items"),
    ("hit_at_1", "retrieval hit@1 of the gold quote", "with_quote"),
    ("hit_at_2", "retrieval hit@2", "with_quote"),
    ("hit_at_k", "retrieval hit@k (k = top_k)", "with_quote"),
    ("evidence_hit", "gold quote among the evidence sentences", "with_quote"),
    ("latency_p50_ms", "latency p50 (ms)", "items"),
    ("latency_p95_ms", "latency p95 (ms)", "items"),
)


def _cell(value: float | None, ms: bool) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0f}" if ms else f"{value:.3f}"


def format_table(report: EvalReport) -> str:
    """A Markdown table of the metrics (ready to paste into the README)."""
    m = report.metrics.to_dict()
    lines = [
        f"{report.file or 'questions'} · backend {report.backend} · top_k {report.top_k}",
        "",
        "| metric | value | over |",
        "|---|---:|---|",
    ]
    for key, label, over in ROWS:
        value = _cell(m[key], key.endswith("_ms"))
        lines.append(f"| {label} | {value} | {m[over]} {over.replace('_', ' ')} |")
    return "\n".join(lines)


# CLI option dest -> (metric, "min" or "max")
THRESHOLDS = {
    "min_accuracy": ("answer_accuracy", "min"),
    "min_refusal": ("refusal_accuracy", "min"),
    "max_false_refusal": ("false_refusal_rate", "max"),
    "min_source_precision": ("source_precision", "min"),
    "min_source_recall": ("source_recall", "min"),
    "min_citation_precision": ("citation_precision", "min"),
    "min_citation_recall": ("citation_recall", "min"),
    "min_faithfulness": ("faithfulness", "min"),
    "min_hit": ("hit_at_k", "min"),
    "max_p95_ms": ("latency_p95_ms", "max"),
}


def check_thresholds(metrics: Metrics, limits: Mapping[str, float | None]) -> list[str]:
    """One line per limit missed; ``limits`` maps ``THRESHOLDS`` keys to values (or None)."""
    missed = []
    values = metrics.to_dict()
    for option, limit in limits.items():
        if limit is None:
            continue
        metric, kind = THRESHOLDS[option]
        value = values[metric]
        flag = "--" + option.replace("_", "-")
        if value is None:
            missed.append(f"{metric} was not measured (nothing to measure) but {flag} is set")
        elif (kind == "min" and value < limit) or (kind == "max" and value > limit):
            missed.append(f"{metric} = {value:.4g} misses {flag} {limit:g}")
    return missed


# --- snapshots ---------------------------------------------------------------------------
def snapshot_path(questions: Path, backend: str) -> Path:
    """``<set folder>/snapshots/<backend family>.jsonl`` (``local:qwen`` → ``local``) for the
    set named ``questions.jsonl``, ``<set name>.<backend family>.jsonl`` for any other set."""
    family = backend.split(":")[0]
    name = family if questions.stem == "questions" else f"{questions.stem}.{family}"
    return questions.parent / "snapshots" / f"{name}.jsonl"


def snapshot_record(answer: Answer) -> dict[str, Any]:
    """The answer's JSON without timings (they change every run), in contract key order."""
    record = answer.to_dict()
    del record["timings"]
    return record


def write_snapshot(path: Path, answers: Iterable[Answer]) -> int:
    """Write one record a line; returns how many."""
    lines = [json.dumps(snapshot_record(a), ensure_ascii=False) for a in answers]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def read_snapshot(path: Path) -> dict[str, dict[str, Any]]:
    """Snapshot records by id."""
    lines = path.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    return {str(r["id"]): r for r in records}


def snapshot_diff(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> str:
    """A unified diff of the records that differ, pretty-printed, by id; "" when equal."""
    chunks: list[str] = []
    for key in sorted(set(expected) | set(actual)):
        if expected.get(key) == actual.get(key):
            continue
        old = _pretty(expected.get(key))
        new = _pretty(actual.get(key))
        chunks.extend(
            difflib.unified_diff(old, new, f"snapshot/{key}", f"current/{key}", lineterm="")
        )
    return "\n".join(chunks)


def _pretty(record: Any) -> list[str]:
    if record is None:
        return []
    return json.dumps(record, ensure_ascii=False, indent=1).splitlines()
