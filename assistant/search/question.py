"""What a question asks for: its kind of answer, the names and numbers it takes for given,
its focus, and its parts when it asks two things at once.

``analyse("When will the council meet and who chairs it?")`` gives two ``Ask`` parts, the
first expecting a time and the second a person. Evidence selection uses this to require that
a sentence holds an answer of the right kind that the question itself does not already
contain ("How old is X?" is not answered by a sentence that only names X), and that the
names the question is about are stated where the answer is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.text import STOPWORDS, content_terms, digits, normalize, words

# Expected answer kinds.
PERSON, TIME, DATE, QUANTITY, PLACE, REASON, CHOICE, POLAR, OTHER = (
    "person time date quantity place reason choice polar other".split()
)

_AUXILIARIES = frozenset(
    "is are was were do does did has have had will would can could should may might must "
    "shall".split()
)
_WH = frozenset("who whom whose what when where which why how".split())
_QUANTITY_HOW = frozenset(
    "many much old long far big large high strong fast often deep tall heavy wide severe "
    "badly serious".split()
)
_QUANTITY_NOUNS = frozenset(
    "number amount figure rate percentage proportion share age cost price toll total score "
    "margin size sum value count speed distance length height weight tally budget "
    "salary pay fee fine bill debt growth ratio population temperature".split()
)
_PREPOSITIONS = ("in", "on", "at", "by", "for")  # that may lead a question: "In which ..."
_SORT_NOUNS = frozenset("type kind sort form variety brand class".split())
_TIME_NOUNS = frozenset("date day year month time week hour period season decade".split())
_PLACE_NOUNS = frozenset(
    "country city town state place region province capital nation area island suburb "
    "territory venue airport port village district continent street site location".split()
)
_PERSON_NOUNS = frozenset(
    "person man woman people leader minister president official spokesman spokeswoman player "
    "captain coach member chief head director name driver pilot author writer general officer "
    "diplomat envoy ambassador soldier negotiator delegate representative commander".split()
)
_REASON_LEADS = re.compile(
    r"^(?:why\b|what (?:\w+ly )?(?:caused|causes|cause|led|leads|prompted|prompts|triggered"
    r"|sparked|set off|sets off|made|makes|is behind|was behind|were behind|drove|drives"
    r"|brought|brings)\b"
    r"|how come\b|for what reason\b|what (?:is|was|were|are) the (?:reason|cause|motive)s?\b)",
    re.IGNORECASE,
)
_SPLIT = re.compile(
    r"(?:,\s*and\s+|\s+and\s+|;\s*|\?\s+(?:and\s+)?)"
    r"(?=(?:who|whom|whose|what|when|where|which|why|how|is|are|was|were|did|does|do|has|have"
    r"|will|can)\b)",
    re.IGNORECASE,
)
_NAME = re.compile(r"[A-Z][\w'’.&-]*(?:\s+(?:of|the|de|la|van|von|bin|al)?\s*[A-Z][\w'’.&-]*)*")
# Names news use for the same country or government (a capital for its government).
_ALIAS_GROUPS = (
    "us america american americans washington pentagon",
    "uk britain british london",
    "russia russian russians moscow kremlin",
    "china chinese beijing",
    "israel israeli israelis jerusalem",
    "palestinian palestinians palestine",
    "iran iranian tehran",
    "iraq iraqi baghdad",
    "afghanistan afghan afghans kabul",
    "pakistan pakistani islamabad",
    "india indian new delhi",
    "indonesia indonesian jakarta",
    "australia australian australians canberra",
    "france french paris",
    "germany german berlin",
    "japan japanese tokyo",
    "ukraine ukrainian kiev kyiv",
    "nato alliance",
    "europe european europeans",
    "un",
)
_WHOLE_NAMES = {"united states": "us", "united kingdom": "uk", "united nations": "un"}


@lru_cache(maxsize=1)
def _aliases() -> dict[str, frozenset[str]]:
    """stem -> the stems of every name of the same country or body."""
    table: dict[str, frozenset[str]] = {}
    for group in _ALIAS_GROUPS:
        stems = frozenset(t for word in group.split() for t in content_terms(word))
        for stem in stems:
            table[stem] = stems
    return table


@dataclass(frozen=True)
class Ask:
    """One thing a question asks."""

    text: str
    kind: str  # one of PERSON, TIME, DATE, QUANTITY, PLACE, REASON, CHOICE, POLAR, OTHER
    focus: tuple[str, ...]  # stemmed head words of "what X" / "which X" / "how many X"
    names: tuple[str, ...]  # the names (capitalised phrases) it takes for given
    numbers: frozenset[str]  # digit runs it takes for given ("2001", "13")
    terms: tuple[str, ...]  # its stemmed content terms


@dataclass(frozen=True)
class Question:
    """A question and what it asks: one ``Ask`` per part."""

    text: str
    asks: tuple[Ask, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n for a in self.asks for n in a.names))


def kind_of(text: str) -> tuple[str, tuple[str, ...]]:
    """The kind of answer ``text`` asks for and the stemmed focus words."""
    q = normalize(text).strip()
    tokens = words(q)
    if not tokens:
        return OTHER, ()
    if tokens[0] not in _WH and tokens[0] not in _AUXILIARIES:
        # "Roughly how many ...", "In that meeting, who ...", "By how many wickets ...": start
        # at the first wh-word; a preposition before "what"/"which" stays ("In which city")
        at = next((i for i, t in enumerate(tokens) if t in _WH), None)
        if at is not None and (tokens[at] == "how" or tokens[at - 1] not in _PREPOSITIONS):
            tokens = tokens[at:]
            q = " ".join(tokens)
    first, second = tokens[0], tokens[1] if len(tokens) > 1 else ""
    if _REASON_LEADS.search(q):
        return REASON, ()
    if first in ("who", "whom", "whose"):
        # "Who is the U.S. Secretary of Defense?": the person must be described as that
        role = 3 if tokens[1:3] in (["is", "the"], ["was", "the"], ["are", "the"]) else None
        role = 4 if tokens[1:4] in (["will", "be", "the"], ["would", "be", "the"]) else role
        if role is not None:
            return PERSON, _focus(tokens[role:], keep_of=True)
        return PERSON, ()
    if first == "when":
        return TIME, ()
    if first == "where":
        return PLACE, ()
    if first == "how" and second in _QUANTITY_HOW:
        return QUANTITY, _focus(tokens[2:])
    if first in ("what", "which") or (
        first in _PREPOSITIONS
        and second
        in (
            "what",
            "which",
        )
    ):
        start = 1 if first in ("what", "which") else 2
        focus = _focus(tokens[start:])
        head = set(focus)
        if head & {"date", "day"}:
            return DATE, focus
        if head & _TIME_NOUNS:
            return TIME, focus
        if head & {_stem(w) for w in _QUANTITY_NOUNS} or (tokens[start : start + 1] == ["score"]):
            return QUANTITY, focus
        if head & {_stem(w) for w in _PLACE_NOUNS}:
            return PLACE, focus
        if head & {_stem(w) for w in _PERSON_NOUNS}:
            return PERSON, focus
        if re.search(r"\bor\b", q) and first == "which":
            return CHOICE, focus
        return OTHER, focus
    if first in _AUXILIARIES:
        return (CHOICE if re.search(r",?\s+or\b", q) else POLAR), ()
    return OTHER, ()


def _stem(word: str) -> str:
    terms = content_terms(word)
    return terms[0] if terms else word


def _focus(tokens: list[str], keep_of: bool = False) -> tuple[str, ...]:
    """The head noun phrase after "what"/"which"/"how many": up to the first auxiliary
    ("What is the estimated cost of ..." -> estimated cost)."""
    out: list[str] = []
    if len(tokens) > 1 and tokens[0] in ("is", "was", "are", "were") and tokens[1] == "the":
        tokens = tokens[2:]
    if len(tokens) > 2 and tokens[0] in _SORT_NOUNS and tokens[1] == "of":
        tokens = tokens[2:]  # "what type of cancer": the head is "cancer"
    for token in tokens:
        if token == "of" and keep_of:
            continue
        if token in _AUXILIARIES or token in ("of", "in", "on", "at", "did", "does", "do"):
            break
        if token not in STOPWORDS:
            out.append(token)
        if len(out) >= 3:
            break
    return tuple(_stem(t) for t in out)


def question_names(text: str) -> tuple[str, ...]:
    """Capitalised phrases of ``text`` after its first word: the names it is about."""
    flat = normalize(text)
    found = []
    for match in _NAME.finditer(flat):
        name = match.group(0)
        if match.start() == 0 or flat[: match.start()].rstrip().endswith(("?", ".", ":")):
            phrase = name.split(maxsplit=1)  # a sentence's first word is capitalised anyway
            if phrase[0].lower() in STOPWORDS or _is_question_word(phrase[0]):
                if len(phrase) < 2:
                    continue
                name = phrase[1]
            elif len(phrase) < 2 and not name.isupper():
                continue  # a lone capitalised first word ("Despite ...") is not a name
        tokens = [t for t in name.split() if t.lower() not in STOPWORDS]
        if tokens and not _is_question_word(tokens[0]):
            found.append(" ".join(tokens))
    return tuple(dict.fromkeys(found))


def _is_question_word(word: str) -> bool:
    return word.lower() in {"who", "what", "when", "where", "which", "why", "how", "whose"}


def name_forms(name: str) -> tuple[tuple[frozenset[str], ...], ...]:
    """The ways a text can state ``name``: its own words, and its short form ("United
    States" as "U.S."), each word with its aliases (``name_terms``)."""
    forms = [name_terms(name)]
    whole = " ".join(words(name))
    for long, short in _WHOLE_NAMES.items():
        if whole.startswith(long):
            forms.append(name_terms(short + " " + " ".join(whole.split()[len(long.split()) :])))
        elif whole.split()[:1] == [short]:
            forms.append(name_terms(long + " " + " ".join(whole.split()[1:])))
    return tuple(f for f in forms if f)


def name_terms(name: str) -> tuple[frozenset[str], ...]:
    """For each word of a name, the stems that count as stating it (aliases included)."""
    out = []
    table = _aliases()
    for word in name.split():
        stems = set(content_terms(word))
        if not stems:
            continue
        for stem in list(stems):
            stems |= table.get(stem, frozenset())
        out.append(frozenset(stems))
    return tuple(out)


@lru_cache(maxsize=2048)
def analyse(text: str) -> Question:
    """The parts of ``text`` and what each asks for."""
    pieces = [p.strip(" ,;?") for p in _SPLIT.split(text) if p and p.strip(" ,;?")]
    if len(pieces) > 1 and content_terms(pieces[0]):
        asks = [_ask(p) for p in pieces]
    else:
        asks = [_ask(text)]
    return Question(text, tuple(asks))


def _ask(part: str) -> Ask:
    kind, focus = kind_of(part)
    names = question_names(part) or ()
    return Ask(
        text=part,
        kind=kind,
        focus=focus,
        names=names,
        numbers=frozenset(digits(part)),  # "one of the victims", "the two states": words
        # in a question are mostly determiners, not figures to find
        terms=tuple(dict.fromkeys(content_terms(part))),
    )
