"""The BM25 side of retrieval, persisted next to the index so no query ever rebuilds it.

``bm25s`` holds the scores as sparse numpy arrays; they are saved in ``index_dir/bm25/``
with the passage ids, each passage's source (for filters) and a *tag* naming the index
content they were built from. The indexer rebuilds them after a run that changed something,
from the token store (``tokens.py``) saved in the same folder, so only new passages are
tokenized; the retriever loads them (memory-mapped) and falls back to an in-memory build
from Chroma when the tag or the passage count does not match, or when a ``DIRTY`` marker
says an indexing run started writing after they were saved (and did not finish), so BM25
never disagrees with Chroma. Only ids, scores and term document frequencies (for evidence
selection) are loaded for queries: passage texts are fetched from Chroma for the hits.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.indexing.pending import PendingStore
from assistant.indexing.store import PAGE, iter_pages
from assistant.indexing.tokens import TokenStore, tokenize

BM25_DIR = "bm25"
META_FILE = "meta.json"
IDS_FILE = "ids.json"
TERMS_FILE = "terms.json"
DIRTY_FILE = "DIRTY"


def bm25_dir(index_dir: Path, collection: str) -> Path:
    """Where the BM25 index of one collection is saved."""
    return index_dir / BM25_DIR / collection


def saved_tag(directory: Path) -> tuple[str, int] | None:
    """``(tag, passage count)`` of the saved index; ``None`` when there is none or an
    indexing run has written to Chroma since it was saved (``mark_dirty``)."""
    if (directory / DIRTY_FILE).exists():
        return None
    try:
        meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        return str(meta["tag"]), int(meta["count"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def mark_dirty(directory: Path) -> None:
    """Say that Chroma is about to change under the saved index (before the first write of
    an indexing run); ``save`` of the run's new index removes the mark with the old folder."""
    if directory.is_dir():
        (directory / DIRTY_FILE).write_text("an indexing run is writing\n", encoding="utf-8")


def iter_stored(collection: Any, page: int = PAGE) -> Iterator[tuple[str, str, str, str]]:
    """``(id, source, title, text)`` of every stored passage, a page at a time."""
    for got in iter_pages(collection, ["documents", "metadatas"], page):
        for pid, doc, meta in zip(
            got["ids"], got["documents"] or [], got["metadatas"] or [], strict=False
        ):
            meta = meta or {}
            yield pid, str(meta.get("source", "")), str(meta.get("title", "")), doc or ""


def bm25_from_rows(rows: Sequence[np.ndarray], vocab: dict[str, int]) -> Any:
    """A ``bm25s.BM25`` (its defaults: Lucene BM25, k1 1.5, b 0.75) over documents given as
    token-id arrays: the scores ``BM25.index`` would compute, in numpy instead of a Python
    loop per document, so rebuilding after a small change stays cheap on big archives."""
    import bm25s

    bm25 = bm25s.BM25()
    if bm25.method != "lucene":  # pragma: no cover - a bm25s default changed
        raise RuntimeError(f"expected bm25s's Lucene scoring, got {bm25.method!r}")
    n_docs, n_vocab = len(rows), len(vocab)
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=n_docs)
    if not n_docs or not lengths.sum():
        bm25.index([["empty"]], show_progress=False)  # an index no query matches
        bm25.scores["data"][:] = 0
        return bm25
    tokens = np.concatenate(rows).astype(np.int64)
    docs = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
    pairs, tf = np.unique(tokens * n_docs + docs, return_counts=True)  # by token, then doc
    token_of, doc_of = np.divmod(pairs, n_docs)
    df = np.bincount(token_of, minlength=n_vocab)
    idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5))
    norm = bm25.k1 * ((1 - bm25.b) + bm25.b * lengths[doc_of] / lengths.mean())
    data = idf[token_of] * (tf / (norm + tf))
    indptr = np.zeros(n_vocab + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    bm25.scores = {
        "data": data.astype(bm25.dtype),
        "indices": doc_of.astype(bm25.int_dtype),
        "indptr": indptr,
        "num_docs": n_docs,
    }
    bm25.vocab_dict = {**vocab, "": n_vocab} if "" not in vocab else dict(vocab)
    bm25.unique_token_ids_set = set(bm25.vocab_dict.values())
    bm25.nonoccurrence_array = None  # only BM25L / BM25+ use one
    return bm25


class SparseIndex:
    """BM25 scores over all passages, with each passage's id and source."""

    def __init__(
        self, bm25: Any, ids: list[str], sources: list[str], tag: str, df: Counter[str]
    ) -> None:
        self.bm25 = bm25
        self.ids = ids
        self.tag = tag
        self.df = df  # evidence-selection document frequencies (``text.document_terms``)
        self.tokens: TokenStore | None = None  # the rows it was built from, saved with it
        names = sorted(set(sources))
        self._source_index = {name: i for i, name in enumerate(names)}
        self._doc_source = np.fromiter(
            (self._source_index[s] for s in sources), dtype=np.int32, count=len(sources)
        )

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(
        cls, collection: Any, tag: str = "", pending: PendingStore | None = None
    ) -> SparseIndex:
        """Index every passage stored in ``collection`` and ``pending`` (title and text, as
        embedded)."""
        stored = iter_stored(collection)
        if pending is not None:
            stored = itertools.chain(stored, pending.stored())
        return cls.from_tokens(TokenStore.from_passages(stored), tag)

    @classmethod
    def from_tokens(cls, tokens: TokenStore, tag: str = "") -> SparseIndex:
        """BM25 over the passages of a token store (nothing is tokenized again)."""
        index = cls(
            bm25_from_rows(*tokens.bm25_rows()),
            tokens.passage_ids(),
            tokens.live_sources(),
            tag,
            tokens.document_frequencies(),
        )
        index.tokens = tokens
        return index

    def save(self, directory: Path) -> None:
        """Write to a fresh folder, then swap it in, so readers never see half an index."""
        tmp = directory.with_name(f".{directory.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        directory.parent.mkdir(parents=True, exist_ok=True)
        if self.ids:
            self.bm25.save(str(tmp))
        sources = [""] * len(self._source_index)
        for name, i in self._source_index.items():
            sources[i] = name
        np.save(tmp / "doc_source.npy", self._doc_source)
        if self.tokens is not None:
            self.tokens.save(tmp)
        (tmp / TERMS_FILE).write_text(json.dumps(self.df), encoding="utf-8")
        (tmp / IDS_FILE).write_text(json.dumps({"ids": self.ids, "sources": sources}), "utf-8")
        meta = {"tag": self.tag, "count": len(self.ids)}
        (tmp / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
        old = directory.with_name(f".{directory.name}.old-{os.getpid()}")
        if directory.exists():
            os.replace(directory, old)
        os.replace(tmp, directory)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path, tag: str, count: int) -> SparseIndex | None:
        """The saved index if it was built from content ``tag`` with ``count`` passages."""
        import bm25s

        if saved_tag(directory) != (tag, count):
            return None
        try:
            meta = json.loads((directory / IDS_FILE).read_text(encoding="utf-8"))
            doc_source = np.load(directory / "doc_source.npy")
            df = Counter(json.loads((directory / TERMS_FILE).read_text(encoding="utf-8")))
            bm25 = bm25s.BM25.load(str(directory), mmap=True) if count else bm25s.BM25()
        except (OSError, ValueError, KeyError):
            return None
        index = cls.__new__(cls)
        index.bm25, index.ids, index.tag, index.df = bm25, list(meta["ids"]), tag, df
        index.tokens = None
        index._source_index = {name: i for i, name in enumerate(meta["sources"])}
        index._doc_source = doc_source
        return index

    def search(
        self, query: str, k: int, sources: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """The ``k`` best ``(passage id, score)`` with a positive score, best first; with
        ``sources``, only passages of those sources can score (a weight mask)."""
        if not self.ids or k <= 0:
            return []
        token_ids = self.bm25.get_tokens_ids(tokenize([query])[0])
        if not token_ids:
            return []
        mask = None
        if sources is not None:
            wanted = [self._source_index[s] for s in sources if s in self._source_index]
            mask = np.isin(self._doc_source, wanted).astype(np.float32)
        scores = self.bm25.get_scores_from_ids(token_ids, weight_mask=mask)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((top, -scores[top]))]  # best first, ties by position
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0.0]
