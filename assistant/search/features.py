"""The evidence features of one candidate sentence for one ask of a question, and the support
score they add up to.

Each feature is a number in 0..1:

* ``cover`` / ``cover_near``: IDF-weighted share of the ask's words in the sentence / in the
  sentence with the one before it and the article title (words no article uses weigh most);
* ``dense``: the embedding similarity of the ask and the sentence, on the embedding's range;
* ``kind``: the sentence holds an answer of the kind asked (a number, a date, a name, a
  cause) beyond what the question gives (``answer_types``);
* ``names_near`` / ``names_article``: share of the question's names stated near the
  sentence / anywhere in its article;
* ``numbers``: share of the question's numbers stated near the sentence;
* ``novel``: share of the sentence's word weight the question does not already have (a
  sentence that only restates the question answers nothing);
* ``focus``: share of the "what X" head words stated near the sentence;
* ``premise``: the reversal a question takes for granted ("cancel", "reject") is stated;
* ``rank``: 1 / the fused retrieval rank of the sentence's passage;
* ``predicate``: IDF-weighted share of the ask's words that are neither names nor its focus
  (what is said to happen: "cancel", "beat", "complain") found in the sentence itself;
* ``agent``: the name nearest before the sentence's first such word is the one the question
  makes the doer (1), another name (0: "Why did B attack A?" on "A attacked B"), or none (0.5);
* ``swap``: 1 when a question name is missing near the sentence while other names stand
  there instead ("Estonia" asked, a list of other countries given).

``support`` is a logistic function of them, ``WEIGHTS`` and ``BIAS`` fitted on the dev split
(``benchmarks/fit_evidence.py``), never on test items.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from assistant.search.answer_types import holds
from assistant.search.question import Ask, name_forms, name_terms
from assistant.text import STOPWORDS, content_terms, normalize, numbers, polarity_words, stem

_TOKEN = re.compile(r"\w+(?:[.'’]\w+)*")
_ACTING = frozenset(
    "has have had is are was were will would can could should may might must does did do "
    "says said told tells announced confirmed reported claims claimed wants wanted plans "
    "planned hopes hoped warned urged called asked agreed refused rejected denied".split()
)

PREFIX_MIN = 5
PREFIX_EXTRA = 2  # a stem matches a longer one that adds at most this many letters
FEATURES = (
    "cover",
    "cover_near",
    "dense",
    "kind",
    "names_near",
    "names_article",
    "numbers",
    "novel",
    "focus",
    "premise",
    "rank",
    "predicate",
    "agent",
    "swap",
)
# Fitted on the dev split by benchmarks/fit_evidence.py (logistic regression of "this
# sentence holds the gold answer" over the candidates of the dev questions).
WEIGHTS = {
    "cover": 1.38,
    "cover_near": 0.464,
    "dense": 1.406,
    "kind": 2.164,
    "names_near": 0.0,
    "names_article": 2.188,
    "numbers": 0.0,
    "novel": 0.379,
    "focus": 0.19,
    "premise": 0.361,
    "rank": 1.8,
    "predicate": 0.743,
    "agent": 0.398,
    "swap": -0.124,
}
BIAS = -6.676


def matches(term: str, terms: set[str] | frozenset[str]) -> bool:
    """Exact stem match, or one stem a prefix of the other ("analys" ~ "analysi",
    "russia" ~ "russian")."""
    if term in terms:
        return True
    if len(term) < PREFIX_MIN:
        return False
    return any(
        len(other) >= PREFIX_MIN
        and abs(len(other) - len(term)) <= PREFIX_EXTRA
        and (other.startswith(term) or term.startswith(other))
        for other in terms
    )


def coverage(weights: Mapping[str, float], terms: set[str] | frozenset[str]) -> float:
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return sum(w for t, w in weights.items() if matches(t, terms)) / total


def name_share(names: tuple[str, ...], terms: set[str] | frozenset[str]) -> float:
    """Share of ``names`` whose every word is stated in ``terms`` (1.0 for no names)."""
    if not names:
        return 1.0
    stated = 0
    for name in names:
        if any(
            all(any(matches(s, terms) for s in stems) for stems in form)
            for form in name_forms(name)
        ):
            stated += 1
    return stated / len(names)


class Token(NamedTuple):
    """One word: its stem ("" for a stopword), whether it is capitalised, its plain form."""

    stem: str
    capital: bool
    word: str  # lower-cased, "’s" kept so a possessive can be told apart


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


def predicate_terms(ask: Ask) -> dict[str, int]:
    """The ask's terms that are neither names nor focus words, by first position in it."""
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
    first = min(predicate.values())
    doers = [
        name
        for i in range(1, first)
        if asked[i].capital and asked[i].stem
        for name in names
        if _is(asked[i], name)
    ]
    if not doers:
        return 0.5
    subject = doers[-1]
    said = tokens(text)
    wanted = set(predicate)
    verb = next((i for i, t in enumerate(said) if t.stem and matches(t.stem, wanted)), None)
    if verb is None:
        return 0.5
    doer = _doer_before(said, verb)
    if doer is None and before:
        earlier = tokens(before)
        doer = _doer_before(earlier, len(earlier))
    if doer is None:
        return 0.5
    return 1.0 if _is(doer, subject) else 0.0


def swapped(names: tuple[str, ...], near: frozenset[str], text: str, ask: Ask) -> float:
    """1 when a question name is missing near the sentence and other names stand there."""
    missing = [n for n in names if name_share((n,), near) < 1.0]
    if not missing:
        return 0.0
    given = {t.stem for t in tokens(ask.text)}
    others = [t for i, t in enumerate(tokens(text)) if t.capital and i and t.stem not in given]
    return 1.0 if others else 0.0


_ANAPHORA = frozenset("it this these those they he she its their his her such here".split())
_CONNECTORS = frozenset(
    "moreover also however nonetheless nevertheless furthermore additionally besides still "
    "but and so thus".split()
)


def leans_back(sentence: str) -> bool:
    """Does the sentence only make sense after the one before it?"""
    first_words = [w.lower() for w in re.findall(r"[A-Za-z]+", sentence)[:3]]
    if not first_words:
        return False
    return first_words[0] in _CONNECTORS or bool(_ANAPHORA & set(first_words))


@dataclass(frozen=True)
class Candidate:
    """A sentence to score, with the words around it."""

    text: str  # the sentence
    before: str  # the sentence before it in the article ("" for none)
    title: str
    own: frozenset[str]  # stemmed content terms of the sentence
    near: frozenset[str]  # ... of the sentence, the one before it and the title
    article: frozenset[str]  # ... of its whole article (as far as it is known)
    rank: int  # fused retrieval rank of its passage, from 1


def make_candidate(
    text: str, before: str, title: str, article: frozenset[str], rank: int
) -> Candidate:
    own = frozenset(content_terms(text))
    near = own | frozenset(content_terms(f"{before} {title}"))
    return Candidate(text, before, title, own, near, article | near, rank)


def features(
    ask: Ask,
    names: tuple[str, ...],
    weights: Mapping[str, float],
    candidate: Candidate,
    dense: float | None,
) -> dict[str, float]:
    """The features of ``candidate`` for ``ask``; ``names`` are the whole question's names,
    ``weights`` the IDF of the ask's terms, ``dense`` the scaled similarity (None: unknown)."""
    own, near = candidate.own, candidate.near
    cover = coverage(weights, own)
    near_text = f"{candidate.before} {candidate.text} {candidate.title}"
    given = set(ask.terms)
    sentence_weight = {t: weights.get(t, 1.0) for t in own}
    novel_total = sum(sentence_weight.values())
    novel = (
        sum(w for t, w in sentence_weight.items() if not matches(t, given)) / novel_total
        if novel_total
        else 0.0
    )
    premise = polarity_words(ask.text) - {"not"}
    predicate = predicate_terms(ask)
    return {
        "cover": cover,
        "cover_near": coverage(weights, near),
        "dense": cover if dense is None else dense,
        "kind": float(holds(ask, candidate.text, candidate.before)),
        "names_near": name_share(names, near),
        "names_article": name_share(names, candidate.article),
        "numbers": (
            len(ask.numbers & numbers(near_text)) / len(ask.numbers) if ask.numbers else 1.0
        ),
        "novel": novel,
        "focus": (sum(matches(f, near) for f in ask.focus) / len(ask.focus) if ask.focus else 1.0),
        "premise": float(not premise or premise <= polarity_words(near_text)),
        "rank": 1.0 / max(candidate.rank, 1),
        "predicate": coverage({t: weights.get(t, 1.0) for t in predicate}, own)
        if predicate
        else 1.0,
        "agent": agent(ask, names, candidate.text, candidate.before),
        "swap": swapped(names, near, candidate.text, ask),
    }


def support(
    values: Mapping[str, float], weights: Mapping[str, float] = WEIGHTS, bias: float = BIAS
) -> float:
    """The logistic support score of a feature vector, 0..1."""
    z = bias + sum(weights[name] * values[name] for name in FEATURES)
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))
