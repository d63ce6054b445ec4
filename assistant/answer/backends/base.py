"""The interface every answer backend implements, and what a backend declares about itself."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence

from assistant.answer.contract import REFUSAL, Draft, Notice, collect
from assistant.types import Evidence

__all__ = ["REFUSAL", "Backend", "Draft", "Notice"]


class Backend(ABC):
    """Writes an answer from numbered evidence sentences, citing them as ``[n]``.

    Backends never decide what the sources are: they only see the evidence they are
    given, and their ``[n]`` markers are verified against it afterwards.
    """

    #: shown in ``Answer.backend``, e.g. ``"extractive"`` or ``"openai:gpt-4o-mini"``
    name: str = "backend"
    #: the text is evidence sentences copied verbatim: only its markers need resolving,
    #: not its claims verifying
    verbatim: bool = False
    #: ``judge`` gives probabilities (the search may then pass on more questions to it)
    judges: bool = False

    @abstractmethod
    def stream(self, question: str, evidence: Sequence[Evidence]) -> Iterator[str | Notice]:
        """Text deltas of the answer (with ``[n]`` markers, or ``REFUSAL``), and ``Notice``
        items about it, in the order they arise."""

    def generate(self, question: str, evidence: Sequence[Evidence]) -> Draft:
        """The whole answer and its notices."""
        return collect(self.stream(question, evidence))

    def judge(
        self, question: str, asks: Sequence[str], evidence: Sequence[Evidence]
    ) -> tuple[float, ...] | None:
        """For each ask of ``question``, the probability that ``evidence`` states its answer;
        ``None`` when this backend cannot judge (the search's decision stands)."""
        return None

    def check_claims(
        self, question: str, claims: Sequence[str], evidence: Sequence[Evidence]
    ) -> tuple[float, ...] | None:
        """For each claim of an answer to ``question`` (text without markers), the
        probability that ``evidence`` states it; ``None`` when this backend cannot judge."""
        return None

    def condense(self, history: Sequence[Mapping[str, str]], question: str) -> str | None:
        """``question`` rewritten with ``history`` into one standalone question, or ``None``
        when this backend cannot rewrite (the deterministic heuristic is used instead)."""
        return None
