"""Pinned questions: every one must pass on the extractive backend in every CI run."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant import Answer
from assistant.answer.conformance import check_answer
from tests.conftest import SEEDS

PINNED = Path(__file__).with_name("questions.jsonl")
ITEMS: list[dict[str, Any]] = [
    json.loads(line) for line in PINNED.read_text(encoding="utf-8").splitlines() if line.strip()
]


def keyword_found(keyword: str, text: str) -> bool:
    """Case-insensitive, word-boundary-aware match."""
    return re.search(rf"(?<!\w){re.escape(keyword)}(?!\w)", text, re.IGNORECASE) is not None


def test_the_set_is_big_enough() -> None:
    answerable = [i for i in ITEMS if i["answerable"]]
    assert len(answerable) >= 25 and len(ITEMS) - len(answerable) >= 8
    assert len({i["id"] for i in ITEMS}) == len(ITEMS)


@pytest.mark.parametrize("item", ITEMS, ids=[i["id"] for i in ITEMS])
def test_pinned_question(pinned_answer: Callable[[str, str], Answer], item: dict[str, Any]) -> None:
    answer = pinned_answer(item["id"], item["question"])
    assert check_answer(answer.to_dict(), SEEDS) == []
    if not item["answerable"]:
        assert answer.refused, f"should be declined, got: {answer.text}"
        return
    assert not answer.refused, "an answerable question was declined"
    for group in item["keywords"]:
        assert any(keyword_found(k, answer.text) for k in group), f"{group} not in {answer.text}"
    assert answer.citations[0].source in item["sources"]
