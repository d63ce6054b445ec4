"""One search step for one index generation: question in, retrieved passages and the
evidence selection out.

``open_searcher`` opens the Chroma collection, the hybrid retriever (with its saved BM25
index) and the evidence selector of the generation the index state names. ``Searcher.search``
turns a user's source filter into stored sources, declines requests that are not questions
about the articles, narrows by date (``since``/``until``, or the question's own date words
read by ``dates.py``), retrieves, makes the retrieved passages' neighbouring sentences known
to the corpus statistics, and selects the evidence.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.config import Settings
from assistant.errors import IndexMissingError, QuestionError, SeedsError
from assistant.indexing.catalog import indexed_articles
from assistant.indexing.store import get_collection, make_client
from assistant.search.dates import DateHint, read_dates, strip_words
from assistant.search.evidence import EvidenceSelector, Selection
from assistant.search.questions import off_task_reason
from assistant.search.retriever import HybridRetriever
from assistant.search.statistics import CorpusStatistics
from assistant.types import ArticleInfo, ScoredPassage

DateLike = date | str | None


@dataclass(frozen=True)
class SearchResult:
    """What one search found for a (cleaned) question."""

    question: str
    hits: tuple[ScoredPassage, ...]  # fused ranking, best first
    selection: Selection
    retrieve_ms: float
    off_task: str | None = None  # why the request is not a question about the articles
    notices: tuple[str, ...] = ()  # how the search read the question, dense coverage


class Searcher:
    """Retriever, corpus statistics and evidence selector for one generation of the index."""

    def __init__(
        self,
        generation: int,
        retriever: HybridRetriever,
        selector: EvidenceSelector,
        seeds_dir: Path,
        articles: Callable[[], list[ArticleInfo]] = list,
    ) -> None:
        """``articles`` lists the indexed articles (for date filters)."""
        self.generation = generation
        self.retriever = retriever
        self.selector = selector
        self.seeds_dir = seeds_dir
        self._articles = articles
        self._listed: list[ArticleInfo] | None = None
        self._newest: tuple[date | None] | None = None

    def search(
        self,
        question: str,
        *,
        sources: Sequence[str] | None = None,
        since: DateLike = None,
        until: DateLike = None,
        min_support: float | None = None,
    ) -> SearchResult:
        """Retrieve and select evidence for ``question`` (``min_support`` overrides the
        selector's refusal threshold); with ``sources`` (paths in the
        seeds folder) only those articles are searched, with ``since``/``until`` (dates or
        ISO strings, inclusive) only articles published in that range (an article whose date
        is not known is left out of a date-filtered search)."""
        started = time.perf_counter()
        why = off_task_reason(question)  # override the rules, leak the prompt, write a poem
        if why:
            return SearchResult(question, (), Selection((), 0.0, False), _ms(started), why)
        only = source_filter(sources, self.seeds_dir)
        if since is not None or until is not None:
            only = self.dated_sources(only, iso_date(since, "since"), iso_date(until, "until"))
        else:
            hint = read_dates(question, self.newest())
            dated = self._dated(question, only, hint, min_support) if hint else None
            if dated is not None:
                return replace(dated, retrieve_ms=_ms(started), notices=self._notes(dated.notices))
        hits, selection = self._select(question, only, min_support)
        return SearchResult(question, tuple(hits), selection, _ms(started), notices=self._notes(()))

    def _notes(self, notices: tuple[str, ...]) -> tuple[str, ...]:
        """``notices``, and a note while dense search does not cover every passage yet."""
        partial = self.retriever.coverage().notice()
        return (*notices, partial) if partial else notices

    def _select(
        self, text: str, only: list[str] | None, min_support: float | None = None
    ) -> tuple[list[ScoredPassage], Selection]:
        hits = self.retriever.retrieve(text, sources=only)
        self.selector.stats.include(h.passage for h in hits)
        return hits, self.selector.select(text, hits, min_support)

    def _dated(
        self,
        question: str,
        only: list[str] | None,
        hint: DateHint,
        min_support: float | None = None,
    ) -> SearchResult | None:
        """The search narrowed (or ordered) by the question's dates; ``None`` when the hint
        narrows nothing, or when nothing in that range answers (the whole archive is then
        searched, with a notice saying so)."""
        since, until = hint.since, hint.until
        if hint.event:
            day = self.event_date(hint.event)
            if day is None:
                return None
            since, until = (day, None) if hint.after_event else (None, _day_before(day))
        text = strip_words(question, hint)
        allowed = self.dated_sources(only, since, until, undated=True) if since or until else only
        if allowed == only and not hint.newest_first:
            return None
        hits, selection = self._select(text, allowed, min_support)
        if hint.newest_first:
            hits = _newest_hits(hits)
            selection = self.selector.select(text, hits, min_support)
        if selection.answerable:
            return SearchResult(text, tuple(hits), selection, 0.0, notices=(hint.notice(),))
        hits, selection = self._select(text, only, min_support)
        why = f"dates: nothing published {hint.reading.removeprefix('articles published ')} "
        notice = why + "answers this; all dates were searched"
        return SearchResult(text, tuple(hits), selection, 0.0, notices=(notice,))

    def newest(self) -> date | None:
        """The newest publication date of any indexed article (relative dates count back
        from it); ``None`` when no article is dated."""
        if self._newest is None:
            days = [a.date for a in self.listed() if a.date]
            self._newest = (date.fromisoformat(max(days)),) if days else (None,)
        return self._newest[0]

    def event_date(self, event: str) -> str | None:
        """The date of the first report of ``event``: the earliest dated article among the
        passages retrieved for it that name it."""
        names = [w.lower() for w in event.split() if w[:1].isupper() or w[:1].isdigit()]
        days = [
            h.passage.meta.published
            for h in self.retriever.retrieve(event)
            if h.passage.meta.published and all(n in h.passage.text.lower() for n in names)
        ]
        return min(days) if days else None

    def listed(self) -> list[ArticleInfo]:
        if self._listed is None:
            self._listed = self._articles()
        return self._listed

    def dated_sources(
        self, sources: list[str] | None, since: str | None, until: str | None, undated: bool = False
    ) -> list[str]:
        """The articles (of ``sources``, or all) published between ``since`` and ``until``;
        with ``undated``, articles whose date is not known too (a question's date words do
        not rule out what cannot be dated)."""
        allowed = None if sources is None else set(sources)
        return [
            a.source
            for a in self.listed()
            if (
                (undated and a.date is None)
                or (
                    a.date is not None
                    and (since is None or a.date >= since)
                    and (until is None or a.date <= until)
                )
            )
            and (allowed is None or a.source in allowed)
        ]


def iso_date(value: DateLike, name: str) -> str | None:
    """``value`` as ``YYYY-MM-DD``; a string that is not a date raises ``QuestionError``."""
    if value is None or isinstance(value, date):
        return None if value is None else value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise QuestionError(
            f"{name} {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2016-07-13."
        ) from None


def _day_before(day: str, n: int = 1) -> str:
    return (date.fromisoformat(day) - timedelta(days=n)).isoformat()


def _newest_hits(hits: list[ScoredPassage]) -> list[ScoredPassage]:
    """The hits from the newest dated articles among ``hits`` (within a week of the newest),
    best first; all of them when none is dated."""
    days = [h.passage.meta.published for h in hits if h.passage.meta.published]
    if not days:
        return hits
    cutoff = _day_before(max(days), 7)
    return [h for h in hits if (h.passage.meta.published or "") >= cutoff]


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def open_collection(settings: Settings, model_name: str) -> Any:
    """The Chroma collection of the configured embedding (its vectors made by
    ``model_name``); ``IndexMissingError`` when the index has none."""
    client = make_client(settings)
    collection = get_collection(client, settings.embedding, model_name, create=False)
    if collection is None:
        raise IndexMissingError(
            f"the index in {settings.index_dir} has no passages for embedding "
            f"{settings.embedding!r}; run `assistant index`."
        )
    return collection


def open_searcher(
    settings: Settings, embed_model: BaseEmbedding, state: dict[str, Any]
) -> Searcher:
    """The searcher for the index generation ``state`` (from ``read_state``) describes."""
    collection = open_collection(settings, embed_model.model_name)
    retriever = HybridRetriever.for_index(
        collection, embed_model, settings.top_k, settings.index_dir, state
    )
    if len(retriever) == 0:
        raise SeedsError(
            f"no articles in {settings.seeds_dir}/ are indexed; add .txt or .md "
            "files (UTF-8 text) and run `assistant index`."
        )
    # Term statistics saved with BM25; neighbours fetched per query by id.
    stats = CorpusStatistics(
        retriever.sparse.df, len(retriever), retriever.fetch, retriever.article_texts
    )
    selector = EvidenceSelector(
        stats,
        embed_model,
        max_evidence=settings.max_evidence,
        min_support=settings.min_support,
    )
    # load the embedding model now rather than in the middle of the first answer
    embed_model.get_query_embedding("warm up")
    generation = int(state.get("generation", 0))
    listed = lambda: indexed_articles(settings, collection)  # noqa: E731
    return Searcher(generation, retriever, selector, settings.seeds_dir, listed)


def source_filter(sources: Sequence[str] | None, seeds_dir: Path) -> list[str] | None:
    """A source filter as stored sources: ``None`` means all; a path to a file inside the
    seeds folder (``seeds/2024/a.txt``) becomes relative to it (``2024/a.txt``)."""
    if sources is None:
        return None
    root = seeds_dir.resolve()
    found = []
    for item in sources:
        path = Path(item)
        if path.is_file() and path.resolve().is_relative_to(root):
            found.append(path.resolve().relative_to(root).as_posix())
        else:
            found.append(str(item).replace("\\", "/").removeprefix("./"))
    return found
