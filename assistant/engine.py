"""``Assistant``: the one object the CLI, the Python API and the Streamlit UI all use.

question → clean → search (``search.Searcher``: retrieve BM25 ⊕ dense, select evidence,
decide refusal) → backend writes text with [n] → citations resolved to exact spans and,
for a model's text, verified → ``Answer``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from assistant.answer.backends.base import Backend
from assistant.answer.backends.factory import BackendChoice, BackendSlot
from assistant.answer.writer import Request, write
from assistant.config import Settings, load_settings
from assistant.errors import BackendError, IndexLockedError, IndexMissingError
from assistant.indexing.background import DenseWorker
from assistant.indexing.catalog import indexed_articles
from assistant.indexing.embeddings import make_embedding
from assistant.indexing.indexer import Indexer
from assistant.indexing.runs import IndexReport
from assistant.indexing.state import read_state, state_stamp
from assistant.ingest.adding import AddReport
from assistant.search.followups import standalone_question
from assistant.search.questions import clean_question
from assistant.search.searcher import (
    DateLike,
    Searcher,
    SearchResult,
    open_collection,
    open_searcher,
)
from assistant.types import Answer, ArticleInfo, Passage


class Assistant:
    """Answers questions from the indexed articles, citing exact passages.

    ``Assistant()`` reads settings from ``ASSISTANT_*`` variables and ``.env``; keyword
    arguments override them (``Assistant(seeds_dir="news", backend="extractive")``).
    The index is built or brought up to date on first use when ``auto_index`` is true.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        auto_index: bool = True,
        backend: Backend | str | None = None,
        **overrides: Any,
    ) -> None:
        self.settings = settings or load_settings(**overrides)
        self.auto_index = auto_index
        self.embed_model = make_embedding(
            self.settings.embedding,
            runtime=self.settings.e5_runtime,
            threads=self.settings.embed_threads,
        )
        self.dense = DenseWorker(self.settings, self.embed_model)  # background dense pass
        self._backends = BackendSlot(self.settings, backend)
        self._searcher: Searcher | None = None
        self._state: dict[str, Any] | None = None
        self._state_stamp: tuple[int, int, int] | None = None
        self._lock = threading.RLock()
        self._checked_fresh = False

    # --- backend -----------------------------------------------------------------------
    @property
    def backend_choice(self) -> BackendChoice:
        """The backend in use and why (chosen on first use)."""
        return self._backends.choice

    @property
    def backend(self) -> Backend:
        return self.backend_choice.backend

    # --- index -------------------------------------------------------------------------
    def index(
        self,
        rebuild: bool = False,
        progress: bool | None = None,
        *,
        dense: bool = True,
        searchable: Callable[[IndexReport], None] | None = None,
    ) -> IndexReport:
        """Build or update the index from the seeds folder (only changed articles); with
        ``dense`` (the default) every passage has its vector when this returns, else the
        new ones wait for a dense pass (``Indexer.run``; ``searchable`` is called as soon
        as questions can be asked)."""
        with self._lock:
            self.dense.stop()  # one writer: a background dense pass ends after its batch
            indexer = Indexer(self.settings, self.embed_model)
            report = indexer.run(rebuild, progress, dense=dense, searchable=searchable)
            self._searcher = None
            self._checked_fresh = True
            return report

    def add(
        self,
        sources: str | Sequence[str],
        *,
        feed: bool = False,
        mapping: Mapping[str, str] | None = None,
        allow_private_hosts: bool | None = None,
        index: bool = True,
    ) -> AddReport:
        """Add files, folders, page URLs and feeds (``feed``: read every source as one) to
        the seeds folder as article files, then index them (only what changed); ``mapping``
        names export fields (``{"text": "story"}``). Returns what was added, unchanged,
        merged or rejected and why."""
        from assistant.ingest.service import add_to_seeds

        items = [sources] if isinstance(sources, str) else list(sources)
        with self._lock:
            report = add_to_seeds(self.settings, items, feed, mapping, allow_private_hosts)
            return replace(report, index=self.index()) if index else report

    def _auto_index(self) -> None:
        """Bring the index up to date before the first question: the first pass now, the
        vectors too when few passages need them, else in a background thread."""
        try:
            report = self.index(dense=False)
        except IndexLockedError:
            if self._read_state() is None:
                raise
            self._checked_fresh = True  # another process is writing: search what it has
            return
        self.dense.follow(report.pending)

    def _read_state(self) -> dict[str, Any] | None:
        """The index state, re-read only when its file changed since the last read."""
        stamp = state_stamp(self.settings.index_dir)
        if stamp is None or stamp != self._state_stamp:
            self._state, self._state_stamp = read_state(self.settings.index_dir), stamp
        return self._state

    def _fresh_state(self) -> dict[str, Any]:
        """The index state, the index built or brought up to date first (``auto_index``);
        call with the lock held."""
        state = self._read_state()
        if self.auto_index and (state is None or not self._checked_fresh):
            self._auto_index()
            state = self._read_state()
        if state is None:
            raise IndexMissingError(
                f"no index in {self.settings.index_dir}; run `assistant index` first."
            )
        return state

    def _ensure_searcher(self) -> Searcher:
        with self._lock:
            state = self._fresh_state()
            generation = int(state.get("generation", 0))
            if self._searcher is None or self._searcher.generation != generation:
                self._searcher = open_searcher(self.settings, self.embed_model, state)
            return self._searcher

    @property
    def searcher(self) -> Searcher:
        """The search step over the current index (built or updated first if needed)."""
        return self._ensure_searcher()

    def articles(self) -> list[ArticleInfo]:
        """Every indexed article (source, title, passage count, date), by source; cheap on
        big archives (read from the indexer's manifest, no passage texts)."""
        with self._lock:
            generation = int(self._fresh_state().get("generation", 0))
            searcher = self._searcher
            if searcher is not None and searcher.generation == generation:
                collection = searcher.retriever.collection
            else:  # listing needs neither the embedding model nor the keyword index
                collection = open_collection(self.settings, self.embed_model.model_name)
        return indexed_articles(self.settings, collection)

    def passages(self) -> list[Passage]:
        """Every indexed passage, in source then position order (reads every passage: for
        small indexes and tests; use ``articles`` to list a big archive)."""
        found = self._ensure_searcher().retriever.iter_passages()
        return sorted(found, key=lambda p: (p.source, p.start))

    # --- answering ---------------------------------------------------------------------
    def search(
        self,
        question: str,
        *,
        sources: Sequence[str] | None = None,
        since: DateLike = None,
        until: DateLike = None,
    ) -> SearchResult:
        """The retrieved passages and the evidence selection for ``question`` (cleaned
        first); with ``sources`` (paths relative to the seeds folder) only those articles
        are searched, with ``since``/``until`` (``date`` or ``"YYYY-MM-DD"``, inclusive) only
        articles published then. ``answer`` turns the result into an ``Answer``."""
        text = clean_question(question, self.settings.max_question_chars)
        floor = self.settings.judged_min_support if self._judging() else None
        return self._ensure_searcher().search(
            text, sources=sources, since=since, until=until, min_support=floor
        )

    def _judging(self) -> bool:
        """Will the answer backend judge the evidence (so the search can pass on more)?"""
        return self.settings.judge and self.backend_choice.backend.judges

    def stream(
        self,
        question: str,
        *,
        id: str | None = None,
        sources: Sequence[str] | None = None,
        since: DateLike = None,
        until: DateLike = None,
    ) -> Iterator[str | Answer]:
        """Text deltas as the backend writes them, then the final, verified ``Answer``.

        Deltas are the backend's draft; the ``Answer`` is what counts (its markers are checked
        and renumbered, unsupported claims dropped). Under ``auto`` a failing model backend is
        replaced by the extractive one, with a notice saying why.
        """
        started = time.perf_counter()
        found = self.search(question, sources=sources, since=since, until=until)
        yield from self._written(question, found, id, (), started)

    def answer(
        self,
        found: SearchResult,
        *,
        question: str | None = None,
        id: str | None = None,
        notices: Sequence[str] = (),
    ) -> Answer:
        """The ``Answer`` for a search result (``question``: the user's words, if they
        differ from the cleaned ``found.question``; ``notices`` to add, e.g. from
        ``understand``)."""
        started = time.perf_counter() - found.retrieve_ms / 1000
        words = question or found.question
        return _final(self._written(words, found, id, tuple(notices), started))

    def _written(
        self,
        question: str,
        found: SearchResult,
        id: str | None,
        notices: tuple[str, ...],
        started: float,
    ) -> Iterator[str | Answer]:
        """The backend's deltas for ``found``, then the checked ``Answer``."""
        judging = self._judging()
        judge_min = self.settings.judge_min if judging else None
        claim_min = self.settings.claim_min if judging and self.settings.claim_min else None
        request = Request(question, found, id, notices, started, judge_min, claim_min)
        yield from write(request, self.backend_choice, self._backends.fall_back)

    def ask(
        self,
        question: str,
        *,
        id: str | None = None,
        sources: Sequence[str] | None = None,
        since: DateLike = None,
        until: DateLike = None,
    ) -> Answer:
        """Answer one question; see ``Answer`` for the fields. ``sources`` limits retrieval
        to those articles (paths relative to the seeds folder, e.g. ``"2024/a.txt"``),
        ``since``/``until`` to articles published in that date range."""
        return _final(self.stream(question, id=id, sources=sources, since=since, until=until))

    def ask_batch(self, items: Iterable[Mapping[str, Any]]) -> Iterator[Answer]:
        """Answer ``{"question": ..., "id": ...}`` items in order."""
        for item in items:
            raw_id = item.get("id")
            yield self.ask(item["question"], id=None if raw_id is None else str(raw_id))

    def stream_chat(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        sources: Sequence[str] | None = None,
        since: DateLike = None,
        until: DateLike = None,
    ) -> Iterator[str | Answer]:
        """Like ``stream`` for the last user message, rewritten with the earlier turns.

        ``messages`` are ``{"role": "user" | "assistant", "content": str}``. A follow-up
        ("and when will it meet?") becomes a standalone question before retrieval; the
        ``Answer`` keeps the user's words as ``question`` and notes the rewrite.
        """
        started = time.perf_counter()
        users = [str(m.get("content", "")) for m in messages if m.get("role") == "user"]
        query, notices = self.understand(messages)
        found = self.search(query, sources=sources, since=since, until=until)
        yield from self._written(users[-1] if users else "", found, None, notices, started)

    def understand(self, messages: Sequence[Mapping[str, str]]) -> tuple[str, tuple[str, ...]]:
        """The last user message as a standalone question, and the notice saying how it was
        understood when the earlier turns changed it."""
        users = [str(m.get("content", "")) for m in messages if m.get("role") == "user"]
        question = users[-1] if users else ""
        choice = self.backend_choice
        try:
            query = standalone_question(messages, choice.backend)
        except BackendError as exc:
            query = standalone_question(messages, self._backends.fall_back(choice, exc).backend)
        query = query or question
        rewritten = " ".join(query.split()) != " ".join(question.split())
        return query, (f"understood as: {query}",) if rewritten else ()

    def chat(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        sources: Sequence[str] | None = None,
        since: DateLike = None,
        until: DateLike = None,
    ) -> Answer:
        """Answer the last user message, reading earlier turns for context (``sources``,
        ``since`` and ``until`` narrow the search as in ``ask``)."""
        return _final(self.stream_chat(messages, sources=sources, since=since, until=until))


def _final(items: Iterable[str | Answer]) -> Answer:
    final = None
    for item in items:
        if isinstance(item, Answer):
            final = item
    assert final is not None
    return final
