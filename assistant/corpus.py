"""Corpus statistics for evidence selection without holding every passage in memory.

``evidence.CorpusStats`` is built from all passages: term document frequencies, and each
sentence's neighbours. On a big archive that means reading every passage back from Chroma
each time the assistant starts (14 s at 55,000 passages). ``LazyCorpusStats`` takes the
document frequencies saved with the BM25 index and fills in the neighbours only for the
passages a query retrieved (plus the passages just before and after them, fetched by id),
which is exactly what the selector looks up.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from assistant.evidence import CorpusStats
from assistant.types import Passage, Sentence

MAX_SENTENCES = 50_000  # forget the neighbour maps beyond this many entries


def _number(passage_id: str) -> int:
    """``n`` of a passage id ``<stem>#<n>`` (passages are numbered in file order)."""
    number = passage_id.rpartition("#")[2]
    return int(number) if number.isdigit() else -10


def _neighbour_ids(passage_id: str) -> list[str]:
    stem, n = passage_id.rpartition("#")[0], _number(passage_id)
    if n < 0:
        return []
    return [f"{stem}#{n - 1}", f"{stem}#{n + 1}"] if n else [f"{stem}#{n + 1}"]


class LazyCorpusStats(CorpusStats):
    """``CorpusStats`` from saved document frequencies; neighbours loaded per query."""

    def __init__(
        self, df: Counter[str], n: int, fetch: Callable[[Sequence[str]], dict[str, Passage]]
    ) -> None:
        self.df = df
        self.n = max(n, 1)
        self.previous = {}
        self.following = {}
        self.passage_of = {}
        self._fetch = fetch
        self._known: set[str] = set()
        self._lock = threading.Lock()

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
            group = {**self._fetch(sorted(ids)), **wanted}
            by_source: dict[str, list[tuple[int, Sentence]]] = {}
            for passage in group.values():
                number = _number(passage.id)
                for sentence in passage.sentences:
                    self.passage_of[(passage.source, sentence.start)] = passage
                    by_source.setdefault(passage.source, []).append((number, sentence))
            for source, items in by_source.items():
                items.sort(key=lambda item: item[1].start)
                for (n1, before), (n2, after) in itertools.pairwise(items):
                    if n2 - n1 <= 1:  # never link across a passage that was not fetched
                        self.previous[(source, after.start)] = before
                        self.following[(source, before.start)] = after
            self._known.update(wanted)
