"""An in-process scripted backend for unit tests: a real ``Backend`` subclass, no model."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

from assistant.answer.backends.base import Backend, Notice
from assistant.types import Evidence

Reply = str | Exception | Callable[[str, Sequence[Evidence]], str]


class FakeBackend(Backend):
    """Answers each call with the next reply of its script (the last one repeats).

    A reply is text (markers ``[n]`` refer to the evidence numbers it is given), an
    exception to raise, or a function of ``(question, evidence)``. ``notices`` are yielded
    after the text of every answer; ``condensed`` is what ``condense`` returns. With
    ``claim_probability`` (a function of a claim's text) the backend judges: ``judge`` says
    every ask is stated and ``check_claims`` scores each claim with it.
    """

    def __init__(
        self,
        *replies: Reply,
        name: str = "fake",
        chunk: int = 5,
        notices: Sequence[str] = (),
        condensed: str | None = None,
        verbatim: bool = False,
        claim_probability: Callable[[str], float] | None = None,
    ) -> None:
        self.replies = list(replies) or ["The articles do not contain the answer."]
        self.name = name
        self.chunk = chunk
        self.notices = tuple(notices)
        self.condensed = condensed
        self.verbatim = verbatim
        self.calls: list[tuple[str, list[Evidence]]] = []
        self.condense_calls: list[str] = []
        self.claim_probability = claim_probability
        self.judges = claim_probability is not None
        self.checked: list[str] = []

    def stream(self, question: str, evidence: Sequence[Evidence]) -> Iterator[str | Notice]:
        self.calls.append((question, list(evidence)))
        reply = self.replies[min(len(self.calls), len(self.replies)) - 1]
        if isinstance(reply, Exception):
            raise reply
        text = reply if isinstance(reply, str) else reply(question, evidence)
        for i in range(0, len(text), self.chunk):
            yield text[i : i + self.chunk]
        for notice in self.notices:
            yield Notice(notice)

    def condense(self, history: Sequence[Mapping[str, str]], question: str) -> str | None:
        self.condense_calls.append(question)
        return self.condensed

    def judge(
        self, question: str, asks: Sequence[str], evidence: Sequence[Evidence]
    ) -> tuple[float, ...] | None:
        return None if self.claim_probability is None else tuple(1.0 for _ in asks)

    def check_claims(
        self, question: str, claims: Sequence[str], evidence: Sequence[Evidence]
    ) -> tuple[float, ...] | None:
        if self.claim_probability is None:
            return None
        self.checked.extend(claims)
        return tuple(self.claim_probability(c) for c in claims)
