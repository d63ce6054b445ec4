"""Corpus statistics for evidence selection, without holding every passage in memory.

Evidence scoring needs the document frequency of each term (saved with the BM25 index, so
nothing is read at start-up) and, for each sentence it scores, the sentences just before
and after it in the article (to read "It has led to ..." with the sentence it leans on).
``CorpusStatistics`` fills in those neighbours only for the passages a query retrieved, plus
the passages just before and after them, fetched by id: exactly what the selector looks up.
Reading every passage back at start-up instead took 14 s at 55,000 passages.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from assistant.text import acronyms, content_terms
from assistant.types import Passage, Sentence

MAX_SENTENCES = 50_000  # forget the neighbour maps beyond this many entries
MAX_ARTICLES = 2_000  # article term sets kept

SentenceKey = tuple[str, int]  # (source, sentence start)


def _number(passage_id: str) -> int:
    """``n`` of a passage id ``<stem>#<n>`` (passages are numbered in file order)."""
    number = passage_id.rpartition("#")[2]
    return int(number) if number.isdigit() else -10


def _neighbour_ids(passage_id: str) -> list[str]:
    stem, n = passage_id.rpartition("#")[0], _number(passage_id)
    if n < 0:
        return []
    return [f"{stem}#{n - 1}", f"{stem}#{n + 1}"] if n else [f"{stem}#{n + 1}"]


class CorpusStatistics:
    """Term document frequencies over all passages; sentence neighbours loaded per query."""

    def __init__(
        self,
        df: Counter[str],
        n: int,
        fetch: Callable[[Sequence[str]], dict[str, Passage]],
        article_texts: Callable[[str], list[str]] = lambda source: [],
    ) -> None:
        """``df`` and ``n`` as saved with BM25; ``fetch`` returns passages by id,
        ``article_texts`` the passage texts of one article."""
        self.df = df
        self.n = max(n, 1)
        self._article_texts = article_texts
        self._article_terms: dict[str, frozenset[str]] = {}
        self.previous: dict[SentenceKey, Sentence] = {}
        self.following: dict[SentenceKey, Sentence] = {}
        self.passage_of: dict[SentenceKey, Passage] = {}
        self._fetch = fetch
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def idf(self, term: str) -> float:
        return math.log(1.0 + (self.n + 1) / (self.df.get(term, 0) + 0.5))

    def article_terms(self, source: str) -> frozenset[str]:
        """The stemmed content terms of a whole article (cached)."""
        with self._lock:
            found = self._article_terms.get(source)
        if found is None:
            texts = self._article_texts(source)
            found = frozenset(t for text in texts for t in content_terms(text))
            found |= frozenset(a for text in texts for a in acronyms(text))
            with self._lock:
                if len(self._article_terms) > MAX_ARTICLES:
                    self._article_terms.clear()
                self._article_terms[source] = found
        return found

    def include(self, passages: Iterable[Passage]) -> None:
        """Make the neighbours of these passages' sentences known (one fetch for all)."""
        wanted = {p.id: p for p in passages}
        with self._lock:
            if all(pid in self._known for pid in wanted):
                return
            if len(self.passage_of) > MAX_SENTENCES:
                self.previous, self.following, self.passage_of = {}, {}, {}
                self._known = set()
            ids = {n for pid in wanted for n in _neighbour_ids(pid)} - set(wanted)
            self._link({**self._fetch(sorted(ids)), **wanted}.values())
            self._known.update(wanted)

    def _link(self, group: Iterable[Passage]) -> None:
        """Record each sentence's passage and its neighbours within ``group``, never linking
        across a passage that is not in the group."""
        by_source: dict[str, list[tuple[int, Sentence]]] = {}
        for passage in group:
            number = _number(passage.id)
            for sentence in passage.sentences:
                self.passage_of[(passage.source, sentence.start)] = passage
                by_source.setdefault(passage.source, []).append((number, sentence))
        for source, items in by_source.items():
            items.sort(key=lambda item: item[1].start)
            for (n1, before), (n2, after) in itertools.pairwise(items):
                if n2 - n1 <= 1:
                    self.previous[(source, after.start)] = before
                    self.following[(source, before.start)] = after
