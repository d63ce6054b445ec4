"""One conversation's turns, and the worker thread that answers them in order.

Streamlit reruns the page script on every click, upload and new question, and a rerun stops
the script wherever it is. So answers are never written by the script: each conversation
has one worker thread that takes its questions in the order they were asked and streams
``Assistant.stream_chat`` into the turn, and the script only adds questions and shows the
turns as they stand. A rerun therefore never discards an answer being written; a question
asked meanwhile waits its turn (and is read with the answers before it); ``stop`` ends the
answer being written and keeps what was written, marked stopped. Nothing here imports
Streamlit.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from assistant.answer.contract import strip_markers
from assistant.errors import AssistantError
from assistant.types import Answer, ArticleInfo
from ui.narrowing import Narrowing

QUEUED, WRITING, DONE, STOPPED, FAILED = "queued", "writing", "done", "stopped", "failed"
NO_ANSWER = "the assistant returned no answer; try again."
EVERYTHING = Narrowing()  # no narrowing: every article is searched


class Answering(Protocol):
    """What the worker needs of an ``Assistant``."""

    def articles(self) -> Sequence[ArticleInfo]: ...

    def stream_chat(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        sources: Sequence[str] | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> Iterator[str | Answer]: ...


@dataclass(frozen=True)
class Turn:
    """A question and where its answer stands: ``queued``, ``writing`` (``draft`` grows),
    ``done`` (``answer``), ``stopped`` (``draft`` kept) or ``failed`` (``error``)."""

    id: str
    question: str
    narrowing: Narrowing = EVERYTHING
    status: str = QUEUED
    draft: str = ""
    answer: Answer | None = None
    error: str | None = None

    @property
    def live(self) -> bool:
        """Still to be answered or being answered."""
        return self.status in (QUEUED, WRITING)

    @property
    def partial(self) -> str:
        """The draft as far as it was written, without its unchecked markers."""
        return " ".join(strip_markers(self.draft, "").split())


class Chat:
    """The turns of one conversation; safe to use from the script and the worker at once."""

    def __init__(self) -> None:
        self._turns: list[Turn] = []
        self._stops: dict[str, threading.Event] = {}
        self._changed = threading.Condition(threading.RLock())
        self._worker: threading.Thread | None = None

    # --- asked by the page -------------------------------------------------------------
    def ask(self, question: str, narrowing: Narrowing = EVERYTHING) -> Turn:
        """Queue a question, to be searched as ``narrowing`` says; ``start`` has it answered
        after the ones before it."""
        turn = Turn(uuid.uuid4().hex, question, narrowing)
        with self._changed:
            self._turns.append(turn)
            self._stops[turn.id] = threading.Event()
            self._changed.notify_all()
        return turn

    def turns(self) -> list[Turn]:
        with self._changed:
            return list(self._turns)

    def turn(self, turn_id: str) -> Turn | None:
        with self._changed:
            return next((t for t in self._turns if t.id == turn_id), None)

    @property
    def live(self) -> bool:
        """Is any answer still waiting or being written?"""
        with self._changed:
            return any(t.live for t in self._turns)

    def stop(self, turn_id: str) -> None:
        """End the answer being written (kept, marked stopped); a waiting one is dropped
        from the queue and marked stopped too."""
        with self._changed:
            turn = self.turn(turn_id)
            if turn is None or not turn.live:
                return
            self._stops[turn_id].set()
            if turn.status == QUEUED:
                self._set(turn_id, status=STOPPED)

    def clear(self) -> bool:
        """Start a new conversation; refused (``False``) while an answer is being written."""
        with self._changed:
            if self.live:
                return False
            self._turns, self._stops = [], {}
            self._changed.notify_all()
            return True

    def wait(self, timeout: float) -> None:
        """Until a turn changes, or ``timeout`` seconds."""
        with self._changed:
            self._changed.wait(timeout)

    def start(self, assistant: Answering) -> None:
        """Make sure a worker is answering the queued questions (no-op when one is)."""
        with self._changed:
            if self._worker is not None or not any(t.status == QUEUED for t in self._turns):
                return
            self._worker = threading.Thread(
                target=self._work, args=(assistant,), name="chat-answers", daemon=True
            )
            self._worker.start()

    def history(self, turn_id: str) -> list[dict[str, str]]:
        """The turns up to ``turn_id`` as ``{"role", "content"}`` for follow-up handling."""
        messages: list[dict[str, str]] = []
        with self._changed:
            for t in self._turns:
                messages.append({"role": "user", "content": t.question})
                if t.id == turn_id:
                    break
                content = t.answer.text if t.answer else t.partial or t.error or ""
                messages.append({"role": "assistant", "content": content})
        return messages

    def messages(self) -> list[dict[str, Any]]:
        """Every turn as export messages (see ``ui.export``)."""
        out: list[dict[str, Any]] = []
        for t in self.turns():
            user: dict[str, Any] = {"role": "user", "content": t.question}
            if t.narrowing.active:
                user["narrowing"] = t.narrowing.to_dict()
            reply: dict[str, Any] = {"role": "assistant", "content": t.partial}
            if t.answer is not None:
                reply.update(content=t.answer.text, answer=t.answer)
            elif t.status == STOPPED:
                reply["stopped"] = True
            elif t.error:
                reply["error"] = t.error
            else:
                continue  # still to come
            out += [user, reply]
        return out

    # --- the worker ----------------------------------------------------------------------
    def _set(self, turn_id: str, **changes: Any) -> None:
        with self._changed:
            self._turns = [replace(t, **changes) if t.id == turn_id else t for t in self._turns]
            self._changed.notify_all()

    def _append(self, turn_id: str, delta: str) -> None:
        with self._changed:
            turn = self.turn(turn_id)
            if turn is not None:
                self._set(turn_id, draft=turn.draft + delta)

    def _next(self) -> Turn | None:
        """The next queued turn, marked as being written; ``None`` ends the worker."""
        with self._changed:
            turn = next((t for t in self._turns if t.status == QUEUED), None)
            if turn is None:
                self._worker = None
                return None
            self._set(turn.id, status=WRITING)
            return turn

    def _work(self, assistant: Answering) -> None:
        while (turn := self._next()) is not None:
            try:
                self._set(turn.id, **self._answer(assistant, turn))
            except BaseException as exc:  # never leave a turn "writing" for ever
                self._set(turn.id, status=FAILED, error=_unexpected(exc))
                with self._changed:
                    self._worker = None
                raise

    def _answer(self, assistant: Answering, turn: Turn) -> dict[str, Any]:
        """Stream one answer into its turn; the turn's final fields."""
        stop = self._stops.get(turn.id) or threading.Event()
        narrowing = turn.narrowing
        try:
            sources = narrowing.sources(assistant.articles()) if narrowing.active else None
            items = assistant.stream_chat(
                self.history(turn.id),
                sources=sources,
                since=narrowing.since,
                until=narrowing.until,
            )
            try:
                for item in items:
                    if isinstance(item, Answer):
                        return {"status": DONE, "answer": item}
                    self._append(turn.id, item)
                    if stop.is_set():
                        return {"status": STOPPED}
            finally:
                close = getattr(items, "close", None)
                if close is not None:
                    close()
        except AssistantError as exc:
            return {"status": FAILED, "error": str(exc)}
        except Exception as exc:  # never a traceback page; say what happened instead
            return {"status": FAILED, "error": _unexpected(exc)}
        return {"status": STOPPED} if stop.is_set() else {"status": FAILED, "error": NO_ANSWER}


def _unexpected(exc: BaseException) -> str:
    return f"unexpected error ({type(exc).__name__}: {exc}); try again or re-index."
