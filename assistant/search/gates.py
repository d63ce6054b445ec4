"""The hard checks a sentence must pass to answer one ask, whatever its support score.

``passes`` holds when the sentence holds an answer of the kind asked, states the question's
numbers, and, by kind: a "Who is the X?" person is described as X; a number counts the thing
asked; a time is that of the event asked about; a figure or time is that of who is asked; a
reversal the question presumes ("Why was it cancelled?") is stated; a "why" ask's event is
stated next to the reason (``REASON_PREDICATE_MIN``); and the sentence does not state the
question's doer and the one acted on the other way round (``roles.roles_reversed``).
"""

from __future__ import annotations

from collections.abc import Mapping

from assistant.search.features import Candidate, coverage
from assistant.search.question import DATE, PERSON, QUANTITY, REASON, TIME, Ask
from assistant.search.roles import predicate_terms, roles_reversed
from assistant.text import content_terms

# A reason is an answer only next to a statement of what it is the reason for: at least this
# IDF-weighted share of the ask's event words ("turn down", "blame", "lash out"; not its
# names) in the sentence or the one before or after it. Chosen on dev
# (benchmarks/reason_predicate.py): 0.4-0.5 decline three false-premise / role-swap "why"
# questions there and lose no answer; from 0.6 right answers are lost (q27, then s032).
REASON_PREDICATE_MIN = 0.45


def event_share(
    ask: Ask, weights: Mapping[str, float], candidate: Candidate, after: str = ""
) -> float:
    """IDF-weighted share of the ask's event words stated in the sentence, the one before
    it or ``after`` (the one after it): a reason and what it explains are often a sentence
    apart ("Iran became less hostile. It has complicated relations with Washington.")."""
    event = predicate_terms(ask)
    if not event:
        return 1.0
    stated = candidate.own | frozenset(content_terms(f"{candidate.before} {after}"))
    return coverage({t: weights.get(t, 1.0) for t in event}, stated)


def passes(
    ask: Ask,
    names: tuple[str, ...],
    values: Mapping[str, float],
    weights: Mapping[str, float],
    candidate: Candidate,
    after: str = "",
) -> bool:
    """Does ``candidate`` (with ``values`` its features for ``ask``; ``names`` the whole
    question's, ``after`` the sentence after it) pass every hard check?"""
    if not values["kind"] or values["numbers"] != 1.0 or values["premise"] != 1.0:
        return False
    who_is = ask.kind == PERSON and ask.focus and ask.text.lower().startswith("who")
    if who_is and values["focus"] != 1.0:
        return False  # "Who is the defence minister?": the person must be described as that
    if ask.kind == QUANTITY and ask.focus and values["focus"] <= 0.0:
        return False  # the number must count the thing asked
    if ask.kind in (TIME, DATE) and values["predicate"] <= 0.0:
        return False  # the time must be that of the event asked about
    if ask.kind in (QUANTITY, TIME, DATE) and values["names_near"] != 1.0:
        return False  # a figure is that of who is asked
    if ask.kind == REASON and event_share(ask, weights, candidate, after) < REASON_PREDICATE_MIN:
        return False  # "Why did A reject B?": it is said that A rejected B
    # "What did A complain about to B?" is not answered by "B complained to A"
    return not roles_reversed(ask, names, candidate.text)
