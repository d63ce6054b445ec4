"""Cite a chat-completions model's answer by alignment when the model wrote no ``[n]`` at all.

Its one job is the choice between the model's own markers and aligned ones. Small models
served through an OpenAI-compatible server (llama.cpp, Ollama) often answer correctly but
write no ``[n]``, and verification would turn every such answer into a refusal. So:

* as soon as the model writes a marker, its text is passed through byte for byte, and
  ``verify`` judges its markers as for any model that cites;
* an answer with no marker anywhere, which is not the refusal sentence, gets the markers of
  ``align.CitingStream`` (each sentence cites the evidence covering most of its words; a
  sentence nothing covers gets none and is then dropped by verification), with a notice.

Markers can only be ruled out at the end, so text streams through unchanged up to the end
of the first sentence that alignment would cite (where its marker would go); from there it
is held until the model writes a marker (then it flows on unchanged) or finishes (then the
aligned text follows). A model that cites its first sentence, or refuses, streams as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answer.align import CitingStream, StreamRewriter
from assistant.answer.contract import MARKER, is_refusal
from assistant.types import Evidence

ALIGNED_NOTICE = (
    "the model wrote no [n] citations, so they were attached by matching each of its "
    "sentences to the evidence sentence that says the same"
)
UNMATCHED_NOTICE = (
    "the model wrote no [n] citations and none of its sentences matched the evidence, "
    "so nothing of its answer could be shown as grounded"
)


class UncitedAligner(StreamRewriter):
    """``run(deltas)`` yields the model's text, with aligned markers only if it wrote none."""

    def __init__(self, evidence: Sequence[Evidence], question: str = "") -> None:
        self.citing = CitingStream(evidence, question)
        self.raw = ""  # everything the model wrote
        self.sent = ""  # everything passed on; always a prefix of the final text
        self.verbatim = False  # the model wrote a marker or the refusal: pass its text on
        self.notices: tuple[str, ...] = ()

    def feed(self, delta: str) -> str:
        """The text that can be passed on now."""
        self.raw += delta
        if not self.verbatim and (MARKER.search(self.raw) or is_refusal(self.raw)):
            self.verbatim = True
        if self.verbatim:
            return self._advance(self.raw)
        self.citing.feed(delta)
        # the aligned text equals the raw text up to its first inserted marker
        return self._advance(_common_prefix(self.raw, self.citing.shown))

    def close(self) -> str:
        """The rest of the answer, once the model has finished."""
        if self.verbatim or not self.raw.strip():
            return self._advance(self.raw)
        self.citing.close()
        self.notices = (ALIGNED_NOTICE if self.citing.cited else UNMATCHED_NOTICE,)
        return self._advance(self.citing.shown)

    def _advance(self, text: str) -> str:
        new = text[len(self.sent) :]
        self.sent = text
        return new


def _common_prefix(one: str, two: str) -> str:
    same = next((i for i, (a, b) in enumerate(zip(one, two, strict=False)) if a != b), None)
    return one[: min(len(one), len(two)) if same is None else same]
