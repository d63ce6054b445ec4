"""Write one answer: stream the backend's draft for the selected evidence, then resolve its
citations (verbatim backends) or verify its claims (models), and build the ``Answer``.

A question the search found unanswerable is declined before any backend runs; a draft that
keeps no supported citation becomes the refusal, never an answer shown as grounded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from assistant.answer.backends.base import REFUSAL, Backend, Notice
from assistant.answer.backends.factory import BackendChoice
from assistant.answer.citations import Verified, resolve, verify
from assistant.answer.contract import is_refusal, not_covered
from assistant.answer.disagreement import with_disagreement
from assistant.errors import BackendError
from assistant.search.searcher import SearchResult
from assistant.types import Answer

FallBack = Callable[[BackendChoice, BackendError], BackendChoice]


@dataclass(frozen=True)
class Request:
    """One answer to write: the user's words, what the search found, and the run's facts."""

    question: str
    found: SearchResult
    id: str | None
    notices: tuple[str, ...]
    started: float  # time.perf_counter() when the question arrived
    judge_min: float | None = None  # ask the backend to judge; decline asks judged below
    claim_min: float | None = None  # ask the backend to judge each claim; drop those below


def write(request: Request, choice: BackendChoice, fall_back: FallBack) -> Iterator[str | Answer]:
    """The backend's deltas for the request, then the checked ``Answer``; a ``BackendError``
    goes to ``fall_back``, which re-raises it or names the backend to answer with instead."""
    question, found, id = request.question, request.found, request.id
    notices = (*request.notices, *found.notices)  # e.g. dense search covers a part so far
    started = request.started
    timings = {"retrieve_ms": round(found.retrieve_ms, 1)}
    base = Answer(
        question=question,
        text=REFUSAL,
        refused=True,
        citations=(),
        backend=choice.backend.name,
        id=id,
        notices=(f"backend {choice.backend.name}: {choice.reason}", *notices, *found.notices),
    )
    evidence = found.selection.evidence
    uncovered, declined_by = _judged(request, choice.backend, timings)
    if declined_by is not None:
        timings["first_token_ms"] = timings["total_ms"] = _ms_since(started)
        yield REFUSAL
        yield replace(base, timings=timings, declined_by=declined_by)
        return
    parts: list[str] = []
    said: list[str] = []  # the backend's notices about this answer
    try:
        for item in choice.backend.stream(found.question, evidence):
            if isinstance(item, Notice):
                said.append(item.text)
                continue
            if not parts:
                timings["first_token_ms"] = _ms_since(started)
            parts.append(item)
            yield item
    except BackendError as exc:
        choice = fall_back(choice, exc)
        notice = f"backend {choice.backend.name}: {choice.reason}"
        base = replace(
            base, backend=choice.backend.name, notices=(notice, *notices, *found.notices)
        )
        draft = choice.backend.generate(found.question, evidence)
        parts, said = [draft.text], list(draft.notices)
        timings["first_token_ms"] = _ms_since(started)
        yield draft.text
    draft_text = "".join(parts).strip()
    checked = _checked(draft_text, choice.backend, found, request.claim_min)
    base = replace(base, notices=(*base.notices, *said))
    if checked.dropped and not checked.refused:
        base = replace(base, notices=(*base.notices, _dropped_notice(checked.dropped)))
    if checked.refused:  # an answer without a valid citation is never shown as grounded
        timings["total_ms"] = _ms_since(started)
        by = "model" if is_refusal(draft_text) and not checked.dropped else "verification"
        yield replace(base, timings=timings, declined_by=by)
        return
    text, cited = with_disagreement(checked.text, checked.citations, evidence)  # outlets differ
    if uncovered:  # say which part of the question the articles do not answer
        addition = " ".join(not_covered(part) for part in uncovered)
        yield " " + addition
        text = f"{text} {addition}"
    timings["total_ms"] = _ms_since(started)
    yield replace(
        base, text=text, refused=False, citations=cited, timings=timings, uncovered=uncovered
    )


def _judged(
    request: Request, backend: Backend, timings: dict[str, float]
) -> tuple[tuple[str, ...], str | None]:
    """The parts the articles do not cover, and what declines the whole question: the
    search, or (when the backend judges) the model finding no answered part stated."""
    selection = request.found.selection
    if not selection.answerable:
        return selection.uncovered, "search"
    if request.judge_min is None:
        return selection.uncovered, None
    asks = [a.text for a in selection.asks if a.answerable]
    judged = backend.judge(request.found.question, asks, selection.evidence)
    if judged is None:
        return selection.uncovered, None
    timings["judge_ms"] = _ms_since(request.started) - timings["retrieve_ms"]
    out = tuple(a for a, p in zip(asks, judged, strict=True) if p < request.judge_min)
    return (*selection.uncovered, *out), "judge" if len(out) == len(asks) else None


def _checked(
    draft: str, backend: Backend, found: SearchResult, claim_min: float | None = None
) -> Verified:
    """A verbatim backend's markers resolved; a model's claims verified against the evidence
    (and, with ``claim_min``, each judged by the backend: those below it are dropped)."""
    evidence, question = found.selection.evidence, found.question
    if backend.verbatim:
        text, citations = resolve(draft, evidence)
        return Verified(text, citations, not citations)
    if claim_min is None:
        return verify(draft, evidence, question)

    def keep(claims: Sequence[str]) -> list[bool]:
        judged = backend.check_claims(question, claims, evidence)
        return [True] * len(claims) if judged is None else [p >= claim_min for p in judged]

    return verify(draft, evidence, question, keep)


def _dropped_notice(dropped: Sequence[str]) -> str:
    count = len(dropped)
    plural = "s" * (count != 1)
    return f"removed {count} sentence{plural} of the model's answer with no supported citation"


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
