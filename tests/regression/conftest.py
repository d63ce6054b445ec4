"""One answer per pinned question per test session, shared by the pinned and snapshot tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from assistant import Answer, Assistant


@pytest.fixture(scope="session")
def pinned_answer(assistant: Assistant) -> Callable[[str, str], Answer]:
    """``pinned_answer(id, question)``: the extractive answer, asked once per session."""
    cache: dict[tuple[str, str], Answer] = {}

    def answer(item_id: str, question: str) -> Answer:
        key = (item_id, question)
        if key not in cache:
            cache[key] = assistant.ask(question, id=item_id)
        return cache[key]

    return answer
