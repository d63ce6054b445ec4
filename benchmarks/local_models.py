"""Compare the embedded local models on the pinned questions, through the whole pipeline.

Each model runs as ``Assistant(backend=LocalBackend(...))`` over ``tests/regression/
questions.jsonl``: answer accuracy (all keyword groups + an expected source cited + not
refused), citation correctness (``raw[start:end] == quote`` and the source expected),
unanswerable questions declined, and latency p50 (time to first token, total). The
extractive backend is measured too, as the floor. Prints a table and writes
``benchmarks/results/local_models.json``.

    .venv/bin/python benchmarks/local_models.py [--models KEY ...] [--limit N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from _common import (
    ROOT,
    add_note_argument,
    load_questions,
    machine,
    score,
    summarize,
    table,
    write_json,
)

from assistant.answer.backends.base import Backend
from assistant.answer.backends.extractive import ExtractiveBackend
from assistant.answer.backends.local import FALLBACK_NOTICE, from_settings
from assistant.answer.backends.model_parts import MODELS
from assistant.config import load_settings
from assistant.engine import Assistant

COLUMNS = [
    "backend",
    "accuracy",
    "citations_correct",
    "correct_with_citations",
    "unanswerable_declined",
    "answerable_refused",
    "fallbacks",
    "first_token_p50_ms",
    "total_p50_ms",
    "load_s",
]


def run(backend: Backend, items: list[dict[str, Any]], seeds: Path, index: Path) -> list[dict]:
    settings = load_settings(seeds_dir=seeds, index_dir=index)
    assistant = Assistant(settings, backend=backend)
    assistant.passages()  # build or open the index before timing
    rows = []
    for item in items:
        answer = assistant.ask(item["question"], id=item["id"])
        row = score(item, answer, seeds)
        row["fallback"] = FALLBACK_NOTICE in answer.notices
        rows.append(row)
        flag = "ok " if row.get("correct", row.get("declined")) else "BAD"
        print(f"  {flag} {item['id']} {row['total_ms']:>7.0f} ms  {answer.text[:90]!r}", flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    add_note_argument(parser)
    args = parser.parse_args()
    items = load_questions(limit=args.limit)
    settings = load_settings()
    results: dict[str, Any] = {
        "machine": machine(args.note),
        "questions": len(items),
        "backends": {},
    }

    candidates: list[str | None] = [None, *args.models]
    for key in candidates:
        started = time.perf_counter()
        if key is None:
            backend: Backend = ExtractiveBackend(settings.max_answer_sentences)
        else:
            backend = from_settings(settings, key)
        load_s = round(time.perf_counter() - started, 2)
        print(f"== {backend.name} (loaded and warmed in {load_s} s)", flush=True)
        rows = run(backend, items, args.seeds, args.index)
        summary = summarize(rows)
        summary["fallbacks"] = sum(r["fallback"] for r in rows)
        summary["load_s"] = load_s
        results["backends"][backend.name] = {"summary": summary, "rows": rows}

    summaries = [{"backend": name, **v["summary"]} for name, v in results["backends"].items()]
    print()
    print(table(summaries, COLUMNS))
    print("\nlatency columns are over answerable questions (declines take ~0 model time)")
    print(f"wrote {write_json('local_models.json', results)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
