"""Who does what to whom: the question's doer and action found in a sentence, by word order.

``predicate_terms`` are an ask's words that are neither names nor its focus (what is said to
happen). ``agent`` scores whether the name acting in a sentence is the one the question makes
the doer (a feature); ``roles_reversed`` vetoes a sentence that names the doer after the
action and the one acted on before it ("What did A complain about to B?" on "B complained to
A"; a passive "... by A" is not a reversal).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import NamedTuple

from assistant.search.question import Ask, name_forms, name_terms
from assistant.text import STOPWORDS, matches, normalize, stem

_TOKEN = re.compile(r"\w+(?:[.'’]\w+)*")
_ACTING = frozenset(
    "has have had is are was were will would can could should may might must does did do "
    "says said told tells announced confirmed reported claims claimed wants wanted plans "
    "planned hopes hoped warned urged called asked agreed refused rejected denied".split()
)


class Token(NamedTuple):
    """One word: its stem ("" for a stopword), whether it is capitalised, its plain form."""

    stem: str
    capital: bool
    word: str  # lower-cased, "’s" kept so a possessive can be told apart


_MUTUAL = frozenset("with against and between".split())  # words of a two-sided action


@lru_cache(maxsize=8192)
def tokens(text: str) -> tuple[Token, ...]:
    """The words of ``text`` in order, stopwords kept (with an empty stem)."""
    out = []
    for match in _TOKEN.finditer(normalize(text)):
        word = match.group(0)
        low = word.lower().replace("’", "'")
        plain = re.sub(r"[.']", "", low)
        out.append(Token("" if plain in STOPWORDS else stem(plain), word[:1].isupper(), low))
    return tuple(out)


@lru_cache(maxsize=1024)
def predicate_terms(ask: Ask) -> Mapping[str, int]:
    """The ask's terms that are neither names nor focus words, by first position in it
    (cached: every candidate sentence of a question asks for it several times)."""
    named = {t for name in ask.names for stems in name_terms(name) for t in stems}
    found: dict[str, int] = {}
    for position, token in enumerate(tokens(ask.text)):
        term = token.stem
        if term and term not in named and term not in ask.focus and term in ask.terms:
            found.setdefault(term, position)
    return found


def _is(token: Token, name: str) -> bool:
    """Is the word (exactly, or an alias) part of ``name``? ("Russian" is not "Russia")."""
    return any(token.stem in stems for form in name_forms(name) for stems in form)


def _names_at(words: tuple[Token, ...], span: range, names: tuple[str, ...]) -> list[str]:
    """The ``names`` that capitalised words at the positions ``span`` state, in order."""
    stated = [words[i] for i in span if words[i].capital and words[i].stem]
    return [n for word in stated for n in names if _is(word, n)]


def _first_of(words: tuple[Token, ...], stems: set[str]) -> int | None:
    """The position of the first word matching one of ``stems`` (``None``: none does)."""
    return next((i for i, t in enumerate(words) if t.stem and matches(t.stem, stems)), None)


def _doer_before(words: tuple[Token, ...], end: int) -> Token | None:
    """The nearest capitalised word before ``end`` that acts: followed by a verb such as
    "has", "will", "said" (not a possessive "Russia's", not an adjective "Baltic region")."""
    for i in range(end - 1, -1, -1):
        token = words[i]
        if not token.capital or not token.stem or token.word.endswith("'s"):
            continue
        following = words[i + 1].word if i + 1 < len(words) else ""
        if following in _ACTING or following.endswith("ed"):
            return token
    return None


def agent(ask: Ask, names: tuple[str, ...], text: str, before: str = "") -> float:
    """Is the doer of the sentence's action the name the question makes the doer? 1 yes,
    0 another name acts, 0.5 cannot tell (no doer found in the sentence or the one before)."""
    predicate = predicate_terms(ask)
    if not predicate:
        return 0.5
    asked = tokens(ask.text)
    doers = _names_at(asked, range(1, min(predicate.values())), names)
    if not doers:
        return 0.5
    subject = doers[-1]
    said = tokens(text)
    verb = _first_of(said, set(predicate))
    if verb is None:
        return 0.5
    doer = _doer_before(said, verb)
    if doer is None and before:
        earlier = tokens(before)
        doer = _doer_before(earlier, len(earlier))
    if doer is None:
        return 0.5
    return 1.0 if _is(doer, subject) else 0.0


def roles_reversed(ask: Ask, names: tuple[str, ...], text: str) -> bool:
    """Does the sentence put the question's doer and the one done to the other way round?
    "What did A complain about to B?" on "B complained to A": A stated after the action and
    B before it (a passive "... by A" is not a reversal; nor is a mutual action, "A met
    with B", "A played against B")."""
    predicate = predicate_terms(ask)
    if not predicate:
        return False
    asked = tokens(ask.text)
    first = min(predicate.values())
    doers = set(_names_at(asked, range(1, first), names))
    objects = set(_names_at(asked, range(first, len(asked)), names)) - doers
    if len(doers) != 1 or len(objects) != 1:
        return False
    (doer,), (done_to,) = doers, objects
    object_at = next(i for i in range(first, len(asked)) if _is(asked[i], done_to))
    if any(asked[i].word in _MUTUAL for i in range(first, object_at)):
        return False  # "A cooperates with B" says "B cooperates with A" too
    said = tokens(text)
    verb = _first_of(said, {min(predicate, key=lambda t: predicate[t])})  # the doer's action
    if verb is None:
        return False
    doer_after = [i for i in range(verb + 1, len(said)) if said[i].capital and _is(said[i], doer)]
    if not doer_after or any(said[i].word == "by" for i in range(verb + 1, doer_after[0])):
        return False
    stated_before = _names_at(said, range(verb), names)
    return done_to in stated_before and doer not in stated_before
