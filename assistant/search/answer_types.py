"""Does a sentence hold an answer of the kind a question asks for, beyond the question's own
words? A number for "how many", a date for "on what date", a name for "who", a cause for
"why". "How old is X?" is not answered by a sentence that only repeats X, nor "In what year
...?" by the year the question itself gives.
"""

from __future__ import annotations

import re

from assistant.ingest.dates import MONTH_NAMES
from assistant.search.question import (
    DATE,
    PERSON,
    PLACE,
    QUANTITY,
    REASON,
    TIME,
    Ask,
)
from assistant.text import normalize, numbers, words

_MONTH = "|".join([*MONTH_NAMES, *(m[:3] for m in MONTH_NAMES), "sept"])
_WEEKDAY = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_CALENDAR = re.compile(
    rf"\b(?:(?:{_MONTH})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?"
    rf"(?:{_MONTH})\b|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|(?:{_WEEKDAY}))",
    re.IGNORECASE,
)
_TIME_WORDS = re.compile(
    rf"\b(?:(?:{_MONTH})|(?:{_WEEKDAY})|yesterday|today|tonight|tomorrow|overnight|ago|"
    r"(?:last|next|this|earlier|later|coming)\s+(?:week|month|year|night|weekend|season|"
    r"summer|winter|spring|autumn|morning|afternoon|evening|decade|century)|"
    r"(?:early|mid|late)-?\s*(?:\d{4}|january|february|march|april|june|july|august|september|"
    r"october|november|december|next|this|last)|in\s+\d{4}|since\s+\d{4}|"
    r"\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|weekend|morning|afternoon|evening|night|"
    r"(?:[1-2]\d{3})s?)\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred hundreds thousand thousands million millions billion billions trillion dozen "
    "dozens half quarter third double twice triple single".split()
)
_CAUSE = re.compile(
    r"\b(?:because|due to|owing to|thanks to|as a result|result(?:ed|s)? (?:of|from)|caused|"
    r"cause[sd]?|causing|blam(?:e|ed|es|ing)|reasons?|after|following|amid|since|so that|"
    r"in order to|led to|leading to|sparked|triggered|prompted|began when|started when|"
    r"over (?:his|her|its|their|the)|in protest|in response|aimed at|designed to|to (?:help|"
    r"stop|prevent|avoid|ensure|protect|allow|make|force|boost|reduce|improve|keep)|"
    r"struck by|brought down|forced|says? (?:it|he|she|they) (?:was|were|is|are)|"
    r"ruled out|found|concluded|determined|deemed|because of|hence|therefore|so|"
    r"to (?!the\b|a\b|an\b|his\b|her\b|their\b|its\b|be\b|me\b|us\b|them\b|him\b)[a-z]{3,})\b",
    re.IGNORECASE,
)
_TITLES = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|Sir|Dame|Lord|Lady|Prof|President|Premier|Minister|Senator|Senior|"
    r"Secretary|General|Chief|Judge|Justice|King|Queen|Prince|Princess|Pope|Sheikh|Captain|"
    r"Colonel|Commissioner|Mayor|Governor|Ambassador|Deputy|Spokesman|Spokeswoman)\b"
)
_PERSON_WORDS = frozenset(
    "he she spokesman spokeswoman spokesperson minister president premier leader official "
    "officials chief director manager captain coach player nurse pilot driver man woman men "
    "women boy girl teenager police officer officers soldier soldiers worker workers resident "
    "residents student students doctor doctors lawyer judge ambassador envoy secretary "
    "chairman chairwoman head members member commander negotiator reporter journalist "
    "analyst economist author writer expert experts owner founder".split()
)
_CAPITAL = re.compile(r"(?<![\w'’])[A-Z][\w'’.-]*")


def _new_numbers(text: str, ask: Ask) -> bool:
    found = numbers(text) - ask.numbers
    if found:
        return True
    given = set(words(ask.text))
    return any(w in _NUMBER_WORDS and w not in given for w in words(text))


def _new_names(text: str, ask: Ask) -> bool:
    """A capitalised word that is not the sentence's first word and not in the question."""
    given = {w for name in ask.names for w in words(name)} | set(words(ask.text))
    flat = normalize(text)
    for match in _CAPITAL.finditer(flat):
        if match.start() == 0:
            continue
        token = words(match.group(0))
        if token and token[0] not in given:
            return True
    return False


_AGE = re.compile(
    r"\b\d{1,3}(?:-year-old|-years-old| years? old|-year old)\b|\baged? \d{1,3}\b|"
    r",\s*\d{1,3}\s*,|\b(?:" + "|".join(sorted(_NUMBER_WORDS)) + r")-year-old\b",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"[$£€¥]\s*\d|\b\d[\d,.]*\s*(?:million|billion|trillion|m|bn)?\s*(?:dollars?|cents?|"
    r"pounds?|euros?|yen|rupees?|francs?|marks?)\b|\b(?:US|A|NZ)\$",
    re.IGNORECASE,
)
_DURATION = re.compile(
    r"\b(?:\d[\d,.]*|a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|few|"
    r"twelve|eighteen|twenty|thirty|forty|fifty|hundred)[\s-]+(?:years?|months?|weeks?|days?|"
    r"hours?|minutes?|seconds?|seasons?|decades?|terms?|nights?)\b|\bsince\b|\buntil\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(
    r"\bper ?cent\b|%|\bpercentage points?\b|\bone in \w+\b|\b(?:half|third|quarter|"
    r"two-thirds|three-quarters|majority|minority)\b",
    re.IGNORECASE,
)
_MONEY_WORDS = frozenset(
    "cost costs worth pay paid spend spent price prices raise raised fund funding budget "
    "fine fined compensation salary earn earns charge tax revenue bill payout package".split()
)
_PERCENT_WORDS = frozenset("percentage proportion share rate per cent percent".split())


def _quantity(ask: Ask, sentence: str) -> bool:
    """A number of the right sort: an age for "how old", money for "how much ... cost", a
    span of time for "how long", a share for "what percentage", else any new number."""
    asked = words(ask.text)
    how = asked[asked.index("how") + 1] if "how" in asked[:-1] else ""
    if how == "old" or "age" in asked:
        return bool(_AGE.search(sentence))
    if how == "long" and not {"metres", "kilometres", "km", "miles", "metre"} & set(asked):
        return bool(_DURATION.search(sentence)) and _new_numbers(sentence, ask)
    if _PERCENT_WORDS & set(asked):
        return bool(_PERCENT.search(sentence)) and _new_numbers(sentence, ask)
    if (how == "much" or "amount" in asked) and _MONEY_WORDS & set(asked):
        return bool(_MONEY.search(sentence))
    return _new_numbers(sentence, ask)


def holds(ask: Ask, sentence: str, context: str = "") -> bool:
    """Does ``sentence`` (read with ``context``, the sentence before it) hold an answer of the
    kind ``ask`` expects, that the question does not already give?"""
    kind = ask.kind
    if kind == QUANTITY:
        return _quantity(ask, sentence)
    if kind == DATE:
        return any(m.group(0).lower() not in ask.text.lower() for m in _CALENDAR.finditer(sentence))
    if kind == TIME:
        return any(
            m.group(0).lower() not in ask.text.lower()
            for m in _TIME_WORDS.finditer(normalize(sentence))
        )
    if kind == PERSON:
        if _new_names(sentence, ask):
            return True
        if words(ask.text)[:1] in (["which"], ["what"]):  # "which officer": a name is asked
            return False
        return bool(_PERSON_WORDS & (set(words(sentence)) - set(words(ask.text))))
    if kind == PLACE:
        return _new_names(sentence, ask)
    if kind == REASON:
        return bool(_CAUSE.search(sentence))
    return True
