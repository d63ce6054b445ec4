"""An article's publication date, parsed from a dateline or byline near the top of its text.

Only the first few non-blank lines are looked at (a dateline or byline), so a date quoted
in the reporting ("the summit on July 8, 2016") is not taken for the article's own date.
"""

from __future__ import annotations

import re
from datetime import date

HEAD_LINES = 5
MONTH_NAMES = (
    "january february march april may june july august september october november december"
).split()
_MONTHS = {
    **{name: i for i, name in enumerate(MONTH_NAMES, start=1)},
    **{name[:3]: i for i, name in enumerate(MONTH_NAMES, start=1)},
    "sept": 9,
}
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_WRITTEN = re.compile(r"\b([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})\b")


def article_date(raw: str) -> str | None:
    """The ISO date (``YYYY-MM-DD``) written in the first lines of ``raw``, if any.

    Accepts ``2016-07-08`` and ``July 8, 2016`` (or ``Jul. 8 2016``); invalid dates such as
    ``2016-02-31`` are ignored. Returns ``None`` when there is none.
    """
    head = [line for line in raw.splitlines()[: HEAD_LINES * 3] if line.strip()][:HEAD_LINES]
    for line in head:
        for match in _ISO.finditer(line):
            found = _valid(int(match[1]), int(match[2]), int(match[3]))
            if found:
                return found
        for match in _WRITTEN.finditer(line):
            month = _MONTHS.get(match[1].lower())
            if month:
                found = _valid(int(match[3]), month, int(match[2]))
                if found:
                    return found
    return None


def _valid(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None
