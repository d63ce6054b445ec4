"""Which articles a question searches: the articles, outlets and date range chosen in the
sidebar, turned into the ``sources``/``since``/``until`` that ``Assistant`` takes, and said
in words. Also the article finder of the sidebar. Nothing here imports Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.types import ArticleInfo
from ui.markup import long_date, one_line

ARTICLES_SHOWN = 50  # sidebar rows; the finder box finds the rest
OPTIONS_LIMIT = 1000  # articles offered in the narrowing box before the finder must help


@dataclass(frozen=True)
class Narrowing:
    """The chosen articles (sources), outlets and inclusive ``YYYY-MM-DD`` date range.

    Each choice narrows further: articles and outlets together mean the chosen articles
    from those outlets.
    """

    articles: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.articles or self.outlets or self.since or self.until)

    def sources(self, catalog: Sequence[ArticleInfo]) -> tuple[str, ...] | None:
        """The ``sources`` to search (``None``: all articles, when none or no outlet is
        chosen)."""
        if not self.articles and not self.outlets:
            return None
        chosen = set(self.articles) if self.articles else None
        outlets = set(self.outlets)
        return tuple(
            a.source
            for a in catalog
            if (chosen is None or a.source in chosen) and (not outlets or outlet_of(a) in outlets)
        )

    def problem(self, catalog: Sequence[ArticleInfo]) -> str | None:
        """Why nothing can be found with this narrowing, if that is so."""
        if self.since and self.until and self.since > self.until:
            return "the start date is after the end date, so no article can match."
        if self.sources(catalog) == ():
            return "no article is both among the chosen articles and from the chosen outlets."
        return None

    def describe(self, titles: Mapping[str, str]) -> str:
        """In words, e.g. ``"2 articles (NATO…, Talks…) · outlet Reuters · from 1 July 2016"``."""
        parts = []
        if self.articles:
            names = [one_line(titles.get(s, s), 40) for s in self.articles[:2]]
            more = f" and {len(self.articles) - 2} more" if len(self.articles) > 2 else ""
            count = f"{len(self.articles)} article{'s' * (len(self.articles) != 1)}"
            parts.append(f"{count} ({', '.join(names)}{more})")
        if self.outlets:
            label = "outlet" if len(self.outlets) == 1 else "outlets"
            parts.append(f"{label} {', '.join(self.outlets)}")
        if self.since and self.until:
            parts.append(f"published {long_date(self.since)} to {long_date(self.until)}")
        elif self.since:
            parts.append(f"published from {long_date(self.since)}")
        elif self.until:
            parts.append(f"published until {long_date(self.until)}")
        return " · ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "articles": list(self.articles),
            "outlets": list(self.outlets),
            "since": self.since,
            "until": self.until,
        }


def outlet_of(article: ArticleInfo) -> str | None:
    """The article's outlet, when the index knows it (older indexes do not)."""
    value = getattr(article, "outlet", None)
    return str(value) if value else None


def outlets(catalog: Sequence[ArticleInfo]) -> list[str]:
    """Every outlet named by an indexed article, sorted."""
    return sorted({o for a in catalog if (o := outlet_of(a))})


def filter_articles(
    articles: Sequence[ArticleInfo], query: str, limit: int = ARTICLES_SHOWN
) -> tuple[list[ArticleInfo], int]:
    """The first ``limit`` articles whose title, source or outlet contains every word of
    ``query`` (any case), and how many match in all; a big archive is never rendered whole."""
    words = query.lower().split()

    def text(a: ArticleInfo) -> str:
        return f"{a.title} {a.source} {outlet_of(a) or ''}".lower()

    found = [a for a in articles if all(w in text(a) for w in words)]
    return found[:limit], len(found)


def article_options(catalog: Sequence[ArticleInfo], query: str, chosen: Sequence[str]) -> list[str]:
    """The sources offered in the narrowing box: every article of a small archive; of a big
    one, those the finder ``query`` matches (up to ``OPTIONS_LIMIT``) and the chosen ones."""
    if len(catalog) <= OPTIONS_LIMIT:
        return [a.source for a in catalog]
    shown, _ = filter_articles(catalog, query, OPTIONS_LIMIT)
    return list(dict.fromkeys([*chosen, *(a.source for a in shown)]))
