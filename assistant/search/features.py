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

from assistant.search.answer_types import holds
from assistant.search.question import Ask, name_forms
from assistant.search.roles import agent, predicate_terms, tokens
from assistant.text import content_terms, matches, numbers, polarity_words

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
