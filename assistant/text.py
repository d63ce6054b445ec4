"""Text helpers shared by loading, chunking and evidence scoring.

Normalisation here is for *matching only*; offsets always refer to the raw text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

# Characters treated as blank at the edges of lines and sentences (includes NBSP, BOM).
BLANK = " \t\r\n\f\v\u00a0\u1680\u200b\u202f\u205f\u3000\ufeff" + "".join(
    chr(c) for c in range(0x2000, 0x200B)
)

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
        "\ufeff": "",
    }
)

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them themselves
    then there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself yourselves s t don didn doesn
    isn wasn weren won according said says say tell told many much does did ever whether
    let""".split()
)

_WORD = re.compile(r"\w+(?:[.,'’]\w+)*", re.UNICODE)


def normalize(text: str) -> str:
    """Fold curly quotes, dashes, NBSP and Unicode compatibility forms for matching."""
    return unicodedata.normalize("NFKC", text.translate(_QUOTES))


@lru_cache(maxsize=1)
def _stemmer() -> object:
    import Stemmer  # PyStemmer

    return Stemmer.Stemmer("english")


def stem(word: str) -> str:
    return str(_stemmer().stemWord(word))  # type: ignore[attr-defined]


def words(text: str) -> list[str]:
    """Lower-cased words of ``text``; ``U.S.`` becomes ``us``, ``1,000`` becomes ``1000``."""
    out = []
    for match in _WORD.finditer(normalize(text).lower()):
        token = match.group(0)
        for mark in ".,'’":
            token = token.replace(mark, "")
        if token:
            out.append(token)
    return out


def content_terms(text: str) -> list[str]:
    """Stemmed content words (no stopwords, no 1-letter tokens) for lexical matching."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1]


_PHRASE = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:of\s+|for\s+|and\s+)?[A-Z][a-z]+)+")


def acronyms(text: str) -> set[str]:
    """The initials of the capitalised phrases of ``text`` ("National Security Agency" ->
    "nsa", "Organisation for Economic Cooperation and Development" -> "oecd"), so a name
    written out matches its acronym."""
    found = set()
    for match in _PHRASE.finditer(text):
        capitals = [w[0] for w in match.group(0).split() if w[0].isupper()]
        if 2 <= len(capitals) <= 6:
            found.add("".join(capitals).lower())
    return found


def document_terms(title: str, text: str) -> set[str]:
    """The distinct content terms a passage counts for in document frequencies.

    One definition for the evidence statistics built from passages and those saved with
    the BM25 index, so the two always agree."""
    return set(content_terms(title + " " + text))


# --- words that change what a sentence claims -------------------------------------

_NEGATIONS = frozenset(
    "not no never none nor neither nobody nothing nowhere without cannot didnt doesnt dont "
    "isnt wasnt werent wont cant couldnt wouldnt shouldnt hasnt havent hadnt arent aint".split()
)
# Verbs that turn a fact around: a claim may use them only when its evidence does.
_REVERSALS = (
    "cancel cancelled canceled postpone postponed delay delayed deny denied reject rejected "
    "refuse refused fail failed halt halted suspend suspended withdraw withdrew abandon "
    "abandoned scrap scrapped"
)  # and "call(ed) off", matched as a phrase


@lru_cache(maxsize=1)
def _reversal_stems() -> frozenset[str]:
    return frozenset(stem(w) for w in _REVERSALS.split())


def polarity_words(text: str) -> set[str]:
    """The negation ("not", any form) and reversal verbs (stemmed) ``text`` uses; a leading
    "No," that answers a yes/no question is not a negation of the claim."""
    reversals = _reversal_stems()
    text = re.sub(r"^\s*no\b[,.!:;]?", " ", text, flags=re.IGNORECASE)
    tokens = words(text)
    found = {"not" for w in tokens if w in _NEGATIONS}
    found |= {s for s in map(stem, tokens) if s in reversals}
    if re.search(r"\bcall(?:ed|s|ing)?\s+off\b", text, re.IGNORECASE):
        found.add("call off")
    return found


_NUMBER_WORDS = {
    word: str(value)
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}


def is_number(word: str) -> bool:
    """Is ``word`` a figure ("1,000", "13th") or a number word ("six")?"""
    return word in _NUMBER_WORDS or bool(re.fullmatch(r"[\d.,]+(?:st|nd|rd|th|s)?", word))


def digits(text: str) -> set[str]:
    """The digit runs of ``text``'s words: "1,000" -> "1000", "13th" -> "13"."""
    return {n for w in words(text) for n in re.findall(r"\d+", w)}


def numbers(text: str) -> set[str]:
    """The numbers ``text`` states, as digit runs: its :func:`digits` and the words zero to
    twenty ("six" -> "6"), so a claim's "six" is checked against its source's "6"."""
    return digits(text) | {_NUMBER_WORDS[w] for w in words(text) if w in _NUMBER_WORDS}


# --- sentence splitting -------------------------------------------------------------

_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof gen col lt sgt capt cmdr adm gov sen rep st jr sr inc ltd co corp vs etc "
    "jan feb mar apr jun jul aug sep sept oct nov dec no fig approx dept est".split()
)
# A sentence ends at . ! or ? (plus closing quotes/brackets) followed by blank space.
_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=[" + BLANK + r"]+)")


def _is_boundary(text: str, end: int, stop: int) -> bool:
    """Is the terminator ending at ``end`` a real sentence end?"""
    rest = text[end:stop].lstrip(BLANK)
    if not rest:
        return True
    first = rest[0]
    if not (first.isupper() or first.isdigit() or first in "\"'“‘(["):
        return False
    token_match = re.search(r"(\w+)\.+$", text[:end].rstrip("\"'”’)]"))
    if token_match:
        token = token_match.group(1)
        if token.lower() in _ABBREVIATIONS:
            return False
        before = text[: end - len(token_match.group(0))][-1:]
        if len(token) == 1 and token.isupper() and before != ".":  # "J. Smith", not "U.S."
            return False
    return True


def split_sentences(
    text: str, start: int = 0, stop: int | None = None
) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` spans of the sentences in ``text[start:stop]``, edges trimmed."""
    stop = len(text) if stop is None else stop
    cursor = start
    for match in _END.finditer(text, start, stop):
        if match.end() <= cursor:
            continue
        if _is_boundary(text, match.end(), stop):
            yield from _trimmed(text, cursor, match.end())
            cursor = match.end()
    yield from _trimmed(text, cursor, stop)


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start] in BLANK:
        start += 1
    while end > start and text[end - 1] in BLANK:
        end -= 1
    if end > start:
        yield start, end


PREFIX_MIN = 5
PREFIX_EXTRA = 2  # a stem matches a longer one that adds at most this many letters


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
