"""``ui.flow``: questions answered in order by one worker, follow-ups read with the answers
before them, Stop keeping what was written, failures kept as turns, narrowing passed on."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from assistant.errors import QuestionError
from assistant.types import Answer, ArticleInfo
from ui.flow import DONE, FAILED, NO_ANSWER, QUEUED, STOPPED, WRITING, Chat
from ui.narrowing import Narrowing

CATALOG = [ArticleInfo("a.txt", "A", 1, "2016-07-01"), ArticleInfo("b.txt", "B", 1, None)]


class ScriptedAssistant:
    """Streams "<question> answer" word by word; ``hold`` pauses after the first word until
    ``release`` is set; records every call."""

    def __init__(self, hold: bool = False, fail: BaseException | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.hold = hold
        self.fail = fail
        self.release = threading.Event()
        self.closed = 0

    def articles(self) -> Sequence[ArticleInfo]:
        return CATALOG

    def stream_chat(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        sources: Sequence[str] | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> Iterator[str | Answer]:
        self.calls.append(
            {"messages": list(messages), "sources": sources, "since": since, "until": until}
        )
        return self._items(messages[-1]["content"])

    def _items(self, question: str) -> Iterator[str | Answer]:
        try:
            if self.fail is not None:
                raise self.fail
            yield question
            if self.hold:
                self.release.wait(10)
            yield " answer [1]"
            yield Answer(question, f"{question} answer [1]", False, (), "scripted")
        finally:
            self.closed += 1


def settle(chat: Chat, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while chat.live:
        assert time.monotonic() < deadline, chat.turns()
        chat.wait(0.05)


def wait_for(chat: Chat, turn_id: str, status: str, draft: str = "") -> None:
    deadline = time.monotonic() + 10
    while True:
        turn = chat.turn(turn_id)
        if turn is not None and turn.status == status and draft in turn.draft:
            return
        assert time.monotonic() < deadline, turn
        chat.wait(0.05)


def test_questions_are_answered_in_order_with_the_answers_before_them() -> None:
    chat, assistant = Chat(), ScriptedAssistant(hold=True)
    first = chat.ask("Q1")
    chat.start(assistant)
    wait_for(chat, first.id, WRITING, "Q1")
    second = chat.ask("Q2")  # asked while the first is being written
    chat.start(assistant)  # a rerun: no second worker
    assert chat.turn(second.id).status == QUEUED  # type: ignore[union-attr]
    assert not chat.clear()  # no new conversation while an answer is written
    assistant.release.set()
    settle(chat)
    assert [t.status for t in chat.turns()] == [DONE, DONE]
    assert [t.answer.text for t in chat.turns() if t.answer] == [
        "Q1 answer [1]",
        "Q2 answer [1]",
    ]
    assert assistant.calls[1]["messages"] == [
        {"role": "user", "content": "Q1"},
        {"role": "assistant", "content": "Q1 answer [1]"},
        {"role": "user", "content": "Q2"},
    ]
    exported = chat.messages()
    assert [m["role"] for m in exported] == ["user", "assistant"] * 2
    assert exported[1]["answer"].text == "Q1 answer [1]"
    assert chat.clear() and chat.turns() == []


def test_stop_keeps_the_partial_answer_and_the_next_question_still_gets_answered() -> None:
    chat, assistant = Chat(), ScriptedAssistant(hold=True)
    first, _, third = chat.ask("Q1"), chat.ask("Q2"), chat.ask("Q3")
    chat.start(assistant)
    wait_for(chat, first.id, WRITING, "Q1")
    chat.stop(third.id)  # a waiting question can be dropped
    assert chat.turn(third.id).status == STOPPED  # type: ignore[union-attr]
    chat.stop(first.id)
    assistant.release.set()
    settle(chat)
    turns = chat.turns()
    assert [t.status for t in turns] == [STOPPED, DONE, STOPPED]
    assert turns[0].partial.startswith("Q1") and turns[0].answer is None
    assert turns[2].draft == "" and len(assistant.calls) == 2  # Q3 was never asked
    assert assistant.closed == 2  # the stopped stream was closed
    assert chat.messages()[1] == {"role": "assistant", "content": turns[0].partial, "stopped": True}
    assert assistant.calls[1]["messages"][1] == {"role": "assistant", "content": turns[0].partial}


@pytest.mark.parametrize(
    ("fail", "error"),
    [
        (QuestionError("the question is empty; type a question."), "the question is empty"),
        (RuntimeError("boom"), "unexpected error (RuntimeError: boom)"),
    ],
)
def test_a_failure_becomes_a_turn_that_says_what_happened(fail: Exception, error: str) -> None:
    chat = Chat()
    turn = chat.ask("  ")
    chat.start(ScriptedAssistant(fail=fail))
    settle(chat)
    done = chat.turn(turn.id)
    assert done is not None and done.status == FAILED and error in str(done.error)
    assert chat.messages()[1]["error"] == done.error


def test_a_stream_without_an_answer_is_reported() -> None:
    class Silent(ScriptedAssistant):
        def _items(self, question: str) -> Iterator[str | Answer]:
            yield "half"

    chat = Chat()
    turn = chat.ask("Q")
    chat.start(Silent())
    settle(chat)
    assert chat.turn(turn.id).error == NO_ANSWER  # type: ignore[union-attr]


def test_the_narrowing_goes_to_sources_since_and_until() -> None:
    chat, assistant = Chat(), ScriptedAssistant()
    chat.ask("Q1", Narrowing(("a.txt",), since="2016-07-01", until="2016-07-31"))
    chat.ask("Q2")
    chat.start(assistant)
    settle(chat)
    assert [(c["sources"], c["since"], c["until"]) for c in assistant.calls] == [
        (("a.txt",), "2016-07-01", "2016-07-31"),
        (None, None, None),
    ]
    assert chat.messages()[0]["narrowing"]["articles"] == ["a.txt"]
