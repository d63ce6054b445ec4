"""The interface every answer backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence

from assistant.types import Evidence

REFUSAL = "The articles do not contain the answer to this question."


class Backend(ABC):
    """Writes an answer from numbered evidence sentences, citing them as ``[n]``.

    Backends never decide what the sources are: they only see the evidence they are
    given, and their ``[n]`` markers are verified against it afterwards.
    """

    #: shown in ``Answer.backend``, e.g. ``"extractive"`` or ``"openai:gpt-4o-mini"``
    name: str = "backend"

    @abstractmethod
    def generate(self, question: str, evidence: Sequence[Evidence]) -> str:
        """The whole answer text, with ``[n]`` markers, or ``REFUSAL``."""

    def stream(self, question: str, evidence: Sequence[Evidence]) -> Iterator[str]:
        """Text deltas of the answer; by default the whole answer at once."""
        yield self.generate(question, evidence)

    @property
    def notices(self) -> tuple[str, ...]:
        """Notes about the last answer this thread generated (e.g. a fallback); none here."""
        return ()
