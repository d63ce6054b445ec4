"""Shared helpers of the benchmark scripts: pinned questions, scoring, percentiles, tables."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "tests" / "regression" / "questions.jsonl"
RESULTS = ROOT / "benchmarks" / "results"
# name -> (question set, its articles folder), relative to ROOT: the eval sets nobody tuned
# on and the pinned set, in the order the benchmarks run them
EVAL_SETS = {
    "seeds": ("tests/eval/seeds.jsonl", "seeds"),
    "lee": ("tests/eval/lee.jsonl", "tests/data/lee_background"),
    "pinned": ("tests/regression/questions.jsonl", "seeds"),
}


def load_questions(path: Path = QUESTIONS, limit: int | None = None) -> list[dict[str, Any]]:
    items = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return items[:limit] if limit else items


def keywords_match(text: str, groups: Sequence[Sequence[str]]) -> bool:
    """Every group of alternatives has one alternative in ``text`` (case-insensitive)."""
    low = text.lower()
    return all(any(k.lower() in low for k in group) for group in groups)


def score(item: dict[str, Any], answer: Any, seeds: Path) -> dict[str, Any]:
    """Per-question metrics of one ``Answer`` against a pinned item."""
    expected = set(item.get("sources") or [])
    spans_ok = True
    for c in answer.citations:
        raw = (seeds / c.source).read_text(encoding="utf-8")
        spans_ok &= raw[c.start : c.end] == c.quote
    sources = {c.source for c in answer.citations}
    row: dict[str, Any] = {
        "id": item["id"],
        "answerable": item["answerable"],
        "refused": answer.refused,
        "answer": answer.text,
        "sources": sorted(sources),
        "first_token_ms": answer.timings.get("first_token_ms"),
        "total_ms": answer.timings.get("total_ms"),
    }
    if item["answerable"]:
        row["keywords_ok"] = keywords_match(answer.text, item.get("keywords") or [])
        row["cites_expected"] = bool(sources & expected)
        row["correct"] = not answer.refused and row["keywords_ok"] and row["cites_expected"]
        row["citations_ok"] = bool(answer.citations) and spans_ok and sources <= expected
    else:
        row["declined"] = answer.refused
    return row


def p50(values: Iterable[float | None]) -> float | None:
    found = [v for v in values if v is not None]
    return round(statistics.median(found), 1) if found else None


def summarize(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]

    def share(items: Sequence[dict[str, Any]], key: str) -> float | None:
        return round(sum(bool(r[key]) for r in items) / len(items), 3) if items else None

    return {
        "questions": len(rows),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "accuracy": share(answerable, "correct"),
        "citations_correct": share(answerable, "citations_ok"),
        "correct_with_citations": round(
            sum(r["correct"] and r["citations_ok"] for r in answerable) / len(answerable), 3
        )
        if answerable
        else None,
        "answerable_refused": share(answerable, "refused"),
        "unanswerable_declined": share(unanswerable, "declined"),
        "first_token_p50_ms": p50(r["first_token_ms"] for r in answerable),
        "total_p50_ms": p50(r["total_ms"] for r in answerable),
        "first_token_p50_ms_all": p50(r["first_token_ms"] for r in rows),
        "total_p50_ms_all": p50(r["total_ms"] for r in rows),
    }


def machine(note: str = "") -> dict[str, Any]:
    """The machine a result was measured on, and what else ran on it (``--note``)."""
    cpuinfo = (
        Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []
    )
    return {
        "cpus": os.cpu_count(),
        "cpu": next((x.split(":", 1)[1].strip() for x in cpuinfo if "model name" in x), "?"),
        "ram_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "time": time.strftime("%Y-%m-%d %H:%M:%S"),
        "other_work": note or "not stated (pass --note)",
    }


def add_note_argument(parser: Any) -> None:
    """``--note``: what else ran on the machine, recorded in the result's ``machine``."""
    parser.add_argument("--note", default="", help="what else ran on the machine meanwhile")


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """A Markdown table of ``rows`` with the given ``columns``."""
    cells = [[_fmt(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    for row in cells:
        lines.append("| " + " | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) + " |")
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3g}" if value < 10 else f"{value:.0f}"
    return str(value)


def write_json(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
