"""Dates in questions: "in July 2016", "last week", "latest", "before the Warsaw summit".

``read_dates`` turns the date words of a question into a ``DateHint``: a publication-date
range, newest-first, or an event to resolve (by the searcher, from the articles that report
it). Relative words ("last week", "this month", "yesterday") are resolved against the
newest article date in the index, not the clock, and the hint says how it read them, so
the answer can state it. The matched words are taken out of the search text.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from assistant.ingest.dates import MONTH_NAMES

_MONTH = "|".join(MONTH_NAMES + [m[:3] for m in MONTH_NAMES] + ["sept"])
_YEAR = r"(?:19|20)\d{2}"
_DAY_DATE = re.compile(
    rf"\b(?:on|dated)\s+(?P<m>{_MONTH})\.?\s+(?P<d>\d{{1,2}}),?\s+(?P<y>{_YEAR})\b", re.I
)
_MONTH_YEAR = re.compile(
    rf"\b(?P<w>in|during|from|since|after|before|until)\s+(?:(?:early|mid|late)[- ])?"
    rf"(?P<m>{_MONTH})\.?,?\s+(?P<y>{_YEAR})\b",
    re.I,
)
_YEAR_ONLY = re.compile(rf"\b(?P<w>in|during|since|before|until)\s+(?P<y>{_YEAR})\b(?!\s*-)", re.I)
_RELATIVE = re.compile(
    r"\b(?:(?P<which>last|this|past|previous)\s+(?P<unit>week|month|year)"
    r"|(?:in\s+)?the\s+(?:past|last)\s+(?P<n>\d{1,3}|two|three|four|five|six|seven|ten)\s+"
    r"(?P<units>days|weeks|months)|(?P<day>yesterday|today))\b",
    re.I,
)
_LATEST = re.compile(
    r"\b(?:the\s+)?(?:latest|most recent|newest)\s+(?:news|reports?|on)\b"
    r"|\bwhat(?:'s| is) the latest\b",
    re.I,
)
_LATEST_WORD = re.compile(r"\b(?:latest|most recent|newest)\b", re.I)
_EVENT = re.compile(
    r"\b(?P<side>before|after|ahead of)\s+(?P<event>the\s+[A-Z][\w-]+(?:\s+[A-Z\d][\w-]*){0,3}"
    r"(?:\s+(?:summit|talks|election|vote|meeting|referendum|conference|games|cup|war|"
    r"attacks?|crisis|deal|visit))?)",
)
_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10}
_MONTHS = {name: i for i, name in enumerate(MONTH_NAMES, start=1)}


@dataclass(frozen=True)
class DateHint:
    """What a question's date words ask of the search."""

    words: str  # the words that were read, as written
    since: str | None = None  # ISO dates, inclusive
    until: str | None = None
    newest_first: bool = False  # "latest": prefer the newest articles
    event: str | None = None  # "before/after <event>": resolved from the articles
    after_event: bool = False
    reading: str = ""  # how the words were read, for the answer's notice
    strip: bool = True  # take the words out of the search text (not an event: it is the topic)

    def notice(self) -> str:
        return f"dates: “{self.words}” read as {self.reading}"


def strip_words(question: str, hint: DateHint) -> str:
    """The question without the date words (what is searched for)."""
    if not hint.strip:
        return question
    words = _LATEST_WORD.sub(" ", hint.words) if hint.newest_first else ""
    text = question.replace(hint.words, f" {words} ", 1)
    return " ".join(text.split()) or question


def read_dates(question: str, newest: date | None) -> DateHint | None:
    """The date hint of ``question`` (``newest``: the newest article date, for relative
    words); ``None`` when it has no date words this understands."""
    for reader in (_exact_day, _month_year, _year, _relative, _latest, _event):
        hint = reader(question, newest)
        if hint is not None:
            return hint
    return None


def _month_number(name: str) -> int:
    key = name.lower().rstrip(".")
    return _MONTHS.get(key) or next(i for n, i in _MONTHS.items() if n.startswith(key[:3]))


def _bounded(word: str, first: date, last: date) -> tuple[str | None, str | None]:
    """The range a period gives after a preposition: in/during -> the period; since/from/
    after -> from it on; before/until -> up to it."""
    word = word.lower()
    if word in ("since", "from"):
        return first.isoformat(), None
    if word == "after":
        return (last + timedelta(days=1)).isoformat(), None
    if word == "before":
        return None, (first - timedelta(days=1)).isoformat()
    if word == "until":
        return None, last.isoformat()
    return first.isoformat(), last.isoformat()


def _hint(words: str, since: str | None, until: str | None, why: str = "") -> DateHint:
    span = f"{since or 'any date'} to {until or 'the newest'}"
    return DateHint(words, since, until, reading=f"articles published {span}{why}")


def _exact_day(question: str, newest: date | None) -> DateHint | None:
    found = _DAY_DATE.search(question)
    if not found:
        return None
    try:
        day = date(int(found["y"]), _month_number(found["m"]), int(found["d"]))
    except ValueError:
        return None
    return _hint(found[0], day.isoformat(), day.isoformat())


def _month_year(question: str, newest: date | None) -> DateHint | None:
    found = _MONTH_YEAR.search(question)
    if not found:
        return None
    year, month = int(found["y"]), _month_number(found["m"])
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    return _hint(found[0], *_bounded(found["w"], first, last))


def _year(question: str, newest: date | None) -> DateHint | None:
    found = _YEAR_ONLY.search(question)
    if not found:
        return None
    year = int(found["y"])
    return _hint(found[0], *_bounded(found["w"], date(year, 1, 1), date(year, 12, 31)))


def _relative(question: str, newest: date | None) -> DateHint | None:
    found = _RELATIVE.search(question)
    if not found or newest is None:
        return None
    first, last = _relative_range(found, newest)
    why = f" (relative to the newest article, {newest.isoformat()})"
    return _hint(found[0], first.isoformat(), last.isoformat(), why)


def _relative_range(found: re.Match[str], newest: date) -> tuple[date, date]:
    if found["day"]:
        day = newest - timedelta(days=1) if found["day"].lower() == "yesterday" else newest
        return day, day
    if found["units"]:
        n = int(found["n"]) if found["n"].isdigit() else _NUMBERS[found["n"].lower()]
        days = {"days": 1, "weeks": 7, "months": 30}[found["units"].lower()] * n
        return newest - timedelta(days=days), newest
    unit, which = found["unit"].lower(), found["which"].lower()
    if which in ("this",):
        first = {
            "week": newest - timedelta(days=newest.weekday()),
            "month": newest.replace(day=1),
            "year": newest.replace(month=1, day=1),
        }[unit]
        return first, newest
    days = {"week": 7, "month": 31, "year": 365}[unit]
    return newest - timedelta(days=days), newest


def _latest(question: str, newest: date | None) -> DateHint | None:
    found = _LATEST.search(question)
    if not found:
        return None
    return DateHint(found[0], newest_first=True, reading="the newest articles first")


def _event(question: str, newest: date | None) -> DateHint | None:
    found = _EVENT.search(question)
    if not found:
        return None
    after = found["side"].lower() == "after"
    side = "after" if after else "before"
    return DateHint(
        found[0],
        event=found["event"],
        after_event=after,
        reading=f"articles published {side} the first report of {found['event']}",
    )
