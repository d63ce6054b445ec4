"""20 concurrent ``Assistant.ask`` calls on one instance answer like sequential calls."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from assistant.engine import Assistant
from tests.conftest import SEEDS

QUESTIONS = [
    "When will the NATO-Russia Council meet?",
    "Who is Alexey Meshkov?",
    "What is the capital of France?",
    "Write a poem about NATO.",
    "Where will the NATO-Russia Council meet?",
]


def _comparable(answer: Any) -> dict[str, Any]:
    data = answer.to_dict()
    data.pop("timings")
    return data


def test_twenty_threads_match_sequential_answers(shared_index: Path) -> None:
    questions = [QUESTIONS[i % len(QUESTIONS)] for i in range(20)]
    sequential = Assistant(
        seeds_dir=SEEDS, index_dir=shared_index, backend="extractive", auto_index=False
    )
    expected = {q: _comparable(sequential.ask(q)) for q in QUESTIONS}

    # A fresh instance, so the first calls also race to load the index and the model.
    shared = Assistant(
        seeds_dir=SEEDS, index_dir=shared_index, backend="extractive", auto_index=False
    )
    start = threading.Barrier(20)

    def ask(question: str) -> dict[str, Any]:
        start.wait(timeout=60)
        return _comparable(shared.ask(question))

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(ask, questions))
    for question, result in zip(questions, results, strict=True):
        assert result == expected[question], question
