"""Turn ``[n]`` markers in answer text into verified citations with exact spans.

Markers may be ``[1]``, ``[1, 2]`` or ``[1][2]``. Markers that point at no evidence are
dropped; the rest are renumbered in order of first use, so the first citation is ``[1]``.
``verify`` goes further for model-written answers: each claim (sentence) keeps only markers
whose evidence shares content words with it, and only while its cited evidence ``supports``
it as an answer to the question: everything it adds beyond the question's words is stated
in the cited sentences, its names stand there (no fact moved to another subject), and so do
its negations, reversal words and numbers; "The meeting was cancelled [1]" does not pass on
"meeting" alone, nor "July 12" on a passage that says July 13, nor a sentence that only
restates the question. Claims left without a marker are dropped, and an answer that
contains the refusal sentence or keeps nothing cited becomes a refusal. The check is
lexical: it catches invented, spliced and twisted claims that add words, names or numbers,
not a contradiction written in the evidence's own words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.answer.contract import (
    MARKER,
    REFUSAL,
    claims,
    is_refusal,
    marker_numbers,
    strip_markers,
)
from assistant.search.answer_types import holds
from assistant.search.features import name_share
from assistant.search.question import DATE, PERSON, PLACE, QUANTITY, TIME, analyse
from assistant.search.roles import agent
from assistant.text import content_terms, is_number, matches, normalize, numbers, polarity_words
from assistant.types import Citation, Evidence

STRICT_KINDS = frozenset({PERSON, TIME, DATE, QUANTITY, PLACE})  # an answer must hold one
ABOUT_SHARE = 0.5  # share of the question's names a sentence must be about
MIN_COVER = 0.5  # without a question: share of a claim's words its evidence must hold
PARAPHRASE_HELD = 2  # added words held that let one more be a paraphrase ("held" for "done")
_CAPITAL = re.compile(r"(?<![\w'’])[A-Z][\w'’.-]*")


def resolve(text: str, evidence: Sequence[Evidence]) -> tuple[str, tuple[Citation, ...]]:
    """Rewrite ``text``'s markers to 1..k in first-use order and build their citations."""
    by_n = {e.n: e for e in evidence}
    order: dict[int, int] = {}
    for n in marker_numbers(text):
        if n in by_n and n not in order:
            order[n] = len(order) + 1

    def renumber(match: re.Match[str]) -> str:
        kept = []
        for n in (int(x) for x in re.findall(r"\d+", match.group(1))):
            if n in order and f"[{order[n]}]" not in kept:
                kept.append(f"[{order[n]}]")
        return "".join(kept)

    new_text = MARKER.sub(renumber, text)
    new_text = re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", new_text)).strip()
    citations = tuple(_citation(new, by_n[old]) for old, new in order.items())
    return new_text, citations


def _citation(n: int, item: Evidence) -> Citation:
    passage, sentence, meta = item.passage, item.sentence, item.passage.meta
    return Citation(
        n=n,
        source=passage.source,
        title=passage.title,
        passage_id=passage.id,
        start=sentence.start,
        end=sentence.end,
        quote=sentence.text,
        url=meta.url,
        outlet=meta.outlet,
        published=meta.published,
        author=meta.author,
    )


# --- verification of model-written answers -------------------------------------------------


@dataclass(frozen=True)
class Verified:
    """A model's answer after verification: only cited, supported claims remain."""

    text: str
    citations: tuple[Citation, ...]
    refused: bool
    dropped: tuple[str, ...] = ()  # claims removed because no valid, supported marker backed them


def shares_words(claim: str, item: Evidence) -> bool:
    """Does the claim share a content word with the evidence sentence it cites?

    A claim without content words of its own ("Yes [1].") cannot be checked and is kept.
    """
    own = set(content_terms(MARKER.sub(" ", claim)))
    return not own or bool(own & set(content_terms(item.sentence.text)))


def _names(text: str) -> list[str]:
    """Capitalised words of ``text`` after its first word: the names a claim is about."""
    flat = normalize(text).strip()
    return [
        m.group(0) for m in _CAPITAL.finditer(flat) if m.start() > 0 and content_terms(m.group(0))
    ]


def _terms(text: str) -> frozenset[str]:
    return frozenset(content_terms(text))


def _about(item: Evidence, names: tuple[str, ...]) -> bool:
    """Is the sentence (with its passage's lead-in and title) about the question's names:
    does it state at least half of them?"""
    if not names:
        return True
    context = _terms(f"{item.passage.title} {item.passage.text}")
    return name_share(names, context) >= ABOUT_SHARE


def supports(claim: str, cited: Sequence[Evidence], question: str = "") -> bool:
    """Does the cited evidence hold the claim, as an answer to ``question``?

    * what the claim adds beyond the question's own words must be stated in the cited
      sentences, by one about the question's subject (at least half of the question's names
      stated around it): a fact is not moved from one country, person, event or article to
      another, and a claim that only restates the question says nothing and is not held;
    * every name the claim uses must be stated in the cited sentences, passages or titles;
    * every negation or reversal word ("not", "cancelled", "denied") and every number it
      uses must be in the cited sentences (numbers: or their titles).

    (``verify`` also requires of the whole answer that it ``answers_kind``.)
    """
    claim = strip_markers(claim)
    if not cited:
        return False
    sentences = [e.sentence.text for e in cited]
    asked = _terms(question)
    own = set(content_terms(claim))
    claim_names = _names(claim)
    named = {t for name in claim_names for t in content_terms(name)}
    added = {t for t in own if not matches(t, asked)}
    figures = numbers(claim)
    if question and not added and not figures - numbers(question):
        return False  # a rephrasing of the question states nothing
    question_names = analyse(question).names if question else ()
    relevant = [e for e in cited if _about(e, question_names)]
    held = frozenset(t for e in relevant for t in _terms(e.sentence.text))
    if not question:  # no question to tell what is new: half the claim's words must be held
        if own and len({t for t in own if matches(t, held)}) < MIN_COVER * len(own):
            return False
    else:  # what it adds is held, one paraphrased word aside when the rest clearly is
        new = added - named  # its numbers count as held here and are checked below
        unheld = [t for t in new if not is_number(t) and not matches(t, held)]
        if len(unheld) > (1 if len(new) - len(unheld) >= PARAPHRASE_HELD else 0):
            return False
    around = frozenset(t for e in cited for t in _terms(f"{e.passage.title} {e.passage.text}"))
    if not all(_literally(name, around) for name in claim_names):
        return False  # a name the model writes must be written there (no alias: not
        # "Moscow" for "the Kremlin")
    if not polarity_words(claim) <= {w for s in sentences for w in polarity_words(s)}:
        return False
    stated = {n for e in cited for n in numbers(f"{e.passage.title} {e.sentence.text}")}
    return figures <= stated and not _other_doer(question, cited)


def _literally(name: str, terms: frozenset[str]) -> bool:
    """Is every word of ``name`` stated in ``terms`` as such (or as its acronym)?"""
    return all(matches(t, terms) for t in content_terms(name))


def _other_doer(question: str, cited: Sequence[Evidence]) -> bool:
    """Does every cited sentence have someone other than the question's doer do what the
    question asks ("How many troops will Russia station?" on "NATO has announced ...")?"""
    if not question:
        return False
    analysed = analyse(question)
    for ask in analysed.asks:
        # a sentence that names the question's subject itself is not judged by word order
        alone = [e for e in cited if name_share(ask.names, _terms(e.sentence.text)) < 1.0]
        verdicts = [agent(ask, ask.names, e.sentence.text, e.context) for e in alone]
        if verdicts and len(alone) == len(cited) and all(v == 0.0 for v in verdicts):
            return True
    return False


def answers_kind(question: str, cited: Sequence[Evidence], answer: str = "") -> bool:
    """When ``question`` asks for a number, a date, a name or a place: does a cited
    sentence hold one the question does not already give, and (given the ``answer``) does
    the answer itself say one? (True for other questions.)"""
    asks = analyse(question).asks if question else ()
    strict = [a for a in asks if a.kind in STRICT_KINDS]
    if not strict:
        return True
    said = not answer or any(holds(a, strip_markers(answer)) for a in strict)
    return said and any(holds(a, e.sentence.text) for a in strict for e in cited)


ClaimCheck = Callable[[Sequence[str]], Sequence[bool]]


def claim_text(claim: str) -> str:
    """A claim as the model judges it: without its markers."""
    return strip_markers(claim).strip()


def verify(
    text: str,
    evidence: Sequence[Evidence],
    question: str = "",
    keep: ClaimCheck | None = None,
) -> Verified:
    """Keep each claim only with markers that point at evidence sharing its words, and only
    while that evidence ``supports`` it (and ``keep``, given the claims' texts without
    markers, keeps it: the model as a judge of each claim); then resolve.

    An answer that contains the refusal sentence, or keeps no cited claim, is a refusal.
    """
    if not text.strip() or is_refusal(text):
        return Verified(REFUSAL, (), True)
    by_n = {e.n: e for e in evidence}
    kept: list[str] = []
    dropped: list[str] = []
    for claim in claims(text):
        good = {n for n in marker_numbers(claim) if n in by_n and shares_words(claim, by_n[n])}
        if not supports(claim, [by_n[n] for n in sorted(good)], question):
            good = set()

        def check(match: re.Match[str], good: set[int] = good) -> str:
            found = (int(x) for x in re.findall(r"\d+", match.group(1)))
            return "".join(f"[{n}]" for n in dict.fromkeys(found) if n in good)

        checked = MARKER.sub(check, claim)
        if marker_numbers(checked):
            kept.append(_markers_inside(checked))
        else:
            dropped.append(claim)
    if kept and keep is not None:
        verdicts = list(keep([claim_text(c) for c in kept]))
        dropped += [c for c, ok in zip(kept, verdicts, strict=True) if not ok]
        kept = [c for c, ok in zip(kept, verdicts, strict=True) if ok]
    cited = [by_n[n] for claim in kept for n in marker_numbers(claim) if n in by_n]
    if kept and not answers_kind(question, cited, " ".join(kept)):  # "$1,000 troops" for
        dropped, kept = [*dropped, *kept], []  # "how much money", no place for "where"
    if not kept:
        return Verified(REFUSAL, (), True, tuple(dropped))
    new_text, citations = resolve(" ".join(kept), evidence)
    new_text = re.sub(r"(\[\d+\])(?:\1)+", r"\1", re.sub(r"\]\s+\[", "][", new_text))
    return Verified(new_text, citations, False, tuple(dropped))


def _markers_inside(claim: str) -> str:
    """ "It is so. [1]" -> "It is so [1]." (not after an initial such as "U.S.")."""
    found = re.match(r"^(.*?)([.!?]+)((?:\s*\[\d+\])+)\s*$", claim, re.DOTALL)
    if not found or re.search(r"\b[A-Z]$", found.group(1)):
        return claim
    return f"{found.group(1).rstrip()} {found.group(3).strip()}{found.group(2)}"
