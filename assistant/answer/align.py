"""Cite a small model's answer by aligning each sentence to the evidence it came from.

Small local models forget ``[n]`` markers or put the wrong ones, so
their markers are only a hint: ``CitingStream`` strips them from the streamed text and, at
the end of every sentence, writes the markers of the evidence sentences that cover most of
its content words. A sentence that no evidence covers gets no marker (verification then
drops it), and sentences that merely decline ("The articles do not contain ...") are held
back and never shown, so one stray refusal cannot discard a supported answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from assistant.answer.citations import supports
from assistant.answer.contract import LEADING_MARKERS, MARKER, REFUSAL
from assistant.text import content_terms, words
from assistant.types import Evidence

MIN_GAIN = 0.2  # a second evidence sentence is cited only if it covers this much more
MODEL_KEEP = 0.75  # the model's own marker is kept if it covers this share of the best's cover
_REFUSAL_WORDS = words(REFUSAL)[:7]  # "the articles do not contain the answer"
_DECLINE = re.compile(
    r"\b(?:do(?:es)?\s+not|don't|doesn't|cannot|can't|no|not)\b[^.]{0,40}?"
    r"\b(?:contain|mention|provide|say|specify|include|state|information|answer|details?)\b",
    re.IGNORECASE,
)
_ABBREV = re.compile(
    r"(?:\b[A-Za-z]|\b(?:[A-Z]\.)+[A-Z]|\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Gen|Sen|Rep|Gov|Lt|Col|"
    r"Prof|No|vs|etc|Inc|Ltd|Co|Corp|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec))$"
)
_CLOSERS = "\"')]’”»"
_PARTIAL_MARKER = re.compile(r"\s*(?:\[\s*[\d,;\s]*)?")


def cite(
    claim: str, evidence: Sequence[Evidence], model_ns: Sequence[int] = (), question: str = ""
) -> list[int]:
    """The evidence numbers that support ``claim``, by content-word overlap; [] if none does."""
    terms = set(content_terms(claim))
    if _DECLINE.search(claim):
        return []
    cover = {e.n: terms & set(content_terms(e.sentence.text)) for e in evidence}
    if not terms:  # "Yes [1]." cannot be checked by its words; keep the model's valid markers
        return [n for n in dict.fromkeys(model_ns) if n in cover]
    if not cover:
        return []
    best = max(cover, key=lambda n: (len(cover[n]), n in model_ns))
    chosen = [best]
    covered = set(cover[best])
    for n in dict.fromkeys(model_ns):  # the model's own markers, when nearly as good
        if n in cover and n != best and len(cover[n]) >= MODEL_KEEP * len(cover[best]) > 0:
            chosen.append(n)
            covered |= cover[n]
    for n in sorted(cover, key=lambda n: -len(cover[n] - covered)):  # a second fact's source
        if n not in chosen and len(cover[n] - covered) >= max(1.0, MIN_GAIN * len(terms)):
            chosen.append(n)
            covered |= cover[n]
            break
    by_n = {e.n: e for e in evidence}
    return chosen if supports(claim, [by_n[n] for n in chosen], question) else []


def refusal_state(text: str) -> str:
    """``"yes"`` if ``text`` starts with the refusal sentence, ``"maybe"`` if it might, else no."""
    found = words(text)
    partial = found.pop() if found and text[-1:].isalnum() else None  # a word still growing
    if len(found) >= len(_REFUSAL_WORDS):
        return "yes" if found[: len(_REFUSAL_WORDS)] == _REFUSAL_WORDS else "no"
    if found != _REFUSAL_WORDS[: len(found)]:
        return "no"
    if partial is None or _REFUSAL_WORDS[len(found)].startswith(partial):
        return "maybe"
    return "no"


class StreamRewriter:
    """A filter over streamed text: ``feed(delta)`` returns what can be shown now,
    ``close()`` the rest once the stream has ended; ``run`` drives it over a stream."""

    def feed(self, delta: str) -> str:
        raise NotImplementedError

    def close(self) -> str:
        raise NotImplementedError

    def run(self, deltas: Iterable[str]) -> Iterator[str]:
        """The rewritten stream (empty pieces left out)."""
        for delta in deltas:
            text = self.feed(delta)
            if text:
                yield text
        tail = self.close()
        if tail:
            yield tail


class CitingStream(StreamRewriter):
    """Rewrites streamed model text so that each sentence ends with aligned ``[n]`` markers.

    ``feed(delta)`` returns the text that is safe to show now; ``close()`` the rest. Text is
    held back only while it could still be a marker, a sentence end or the refusal sentence.
    """

    def __init__(self, evidence: Sequence[Evidence], question: str = "") -> None:
        self.evidence = list(evidence)
        self.question = question
        self.pending = ""
        self.sentence = ""  # shown text of the current sentence (markers stripped)
        self.model_ns: list[int] = []
        self.skipping = False  # inside a refusal sentence, which is never shown
        self.cited = 0  # sentences that received at least one marker
        self.shown = ""

    def feed(self, delta: str) -> str:
        self.pending += delta
        return self._drain(final=False)

    def close(self) -> str:
        out = self._drain(final=True)
        if self.sentence.strip() or self.skipping:
            extra = self._end_sentence()
            self.shown += extra
            out += extra
        return out

    # --- internals ---------------------------------------------------------------------
    def _emit(self, text: str, out: list[str]) -> None:
        if not self.skipping:
            self.sentence += text
            out.append(text)

    def _end_sentence(self) -> str:
        text, found = self.sentence, self.model_ns
        skipped = self.skipping
        self.sentence, self.model_ns, self.skipping = "", [], False
        if skipped:
            return ""
        numbers = cite(text, self.evidence, found, self.question)
        if not numbers:
            return ""
        self.cited += 1
        return ("" if text.endswith(" ") else " ") + "".join(f"[{n}]" for n in numbers)

    def _drain(self, final: bool) -> str:
        out: list[str] = []
        while self.pending:
            if not self.sentence.strip() and not self.skipping:
                state = refusal_state(self.pending)
                if state == "maybe" and not final:
                    break
                if state == "yes":
                    self.skipping = True
            found = re.search(r"[\[.!?\n]", self.pending)
            if found is None:
                self._emit(self.pending, out)
                self.pending = ""
                break
            self._emit(self.pending[: found.start()], out)
            rest = self.pending = self.pending[found.start() :]
            if rest[0] == "[":
                if not self._at_bracket(rest, final, out):
                    break
            elif rest[0] == "\n":
                skipped = self.skipping
                markers = self._end_sentence() if self.sentence.strip() or skipped else ""
                out.append(markers + ("" if skipped else "\n"))
                self.pending = rest[1:]
            elif not self._at_punctuation(rest, final, out):
                break
        text = "".join(out)
        self.shown += text
        return text

    def _at_bracket(self, rest: str, final: bool, out: list[str]) -> bool:
        """``rest`` starts with "[": take a marker (its numbers are the model's hint) or a
        plain bracket; ``False`` while it may still become a marker."""
        marker = MARKER.match(rest)
        if marker:
            self.model_ns += [int(x) for x in re.findall(r"\d+", marker.group(1))]
            self.pending = rest[marker.end() :]
            return True
        if not final and _PARTIAL_MARKER.fullmatch(rest):
            return False
        self._emit("[", out)
        self.pending = rest[1:]
        return True

    def _at_punctuation(self, rest: str, final: bool, out: list[str]) -> bool:
        """``rest`` starts with ". ! ?": end the sentence there (writing its markers) unless
        it is an abbreviation or the text goes on; ``False`` while that cannot be told yet."""
        n_punct = len(rest) - len(rest.lstrip(".!?"))
        end = n_punct + len(rest[n_punct:]) - len(rest[n_punct:].lstrip(_CLOSERS))
        punct, tail = rest[:end], rest[end:]
        trailing = LEADING_MARKERS.match(tail)
        if trailing:
            self.model_ns += [int(x) for x in re.findall(r"\d+", trailing.group(0))]
            tail = tail[trailing.end() :]
        elif not final and _PARTIAL_MARKER.fullmatch(tail):
            return False  # cannot tell yet what follows the punctuation
        nxt = tail.lstrip()
        if not nxt and tail and not final:
            return False  # wait for the first letter of what follows
        abbreviation = punct[0] == "." and _ABBREV.search(self.sentence.rstrip())
        starts_new = (not tail or tail[0].isspace()) and not nxt[:1].islower()
        if abbreviation or not starts_new:
            self._emit(punct, out)
            self.pending = tail
            return True
        skipped = self.skipping
        markers = self._end_sentence()
        if not skipped and punct[-1] in _CLOSERS and markers:  # «"... level." [1]»
            out.append(punct + " " + markers.strip())
        elif not skipped:
            out.append(markers + punct)
        self.pending = tail
        return True
