"""Each passage's BM25 tokens and evidence terms as integer ids, kept beside the BM25 index.

BM25 scores depend on every passage (document frequencies, average length), so any change
means rebuilding the score matrix. What does not need redoing is the text work: reading
every passage back from Chroma, tokenizing and stemming it. ``TokenStore`` keeps that
work: the indexer drops the rows of the articles it re-embeds or removes and adds the rows
of the new passages, then the BM25 index and the evidence document frequencies are rebuilt
from ids alone. It is saved with the BM25 index (``sparse.py``), in the same folder swap.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.text import document_terms

ROWS_FILE = "tokens.npz"
VOCAB_FILE = "tokens-vocab.json"
StoredPassage = tuple[str, str, str, str]  # (id, source, title, text)
_EMPTY = np.zeros(0, dtype=np.int32)


def bm25_document(title: str, text: str) -> str:
    """The text BM25 indexes for a passage: its title and its text (as embedded)."""
    return f"{title}\n\n{text}"


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """The same tokens as LlamaIndex's ``BM25Retriever``: English stopwords out, stemmed."""
    import bm25s
    import Stemmer  # PyStemmer

    tokens = bm25s.tokenize(
        list(texts),
        stopwords="en",
        stemmer=Stemmer.Stemmer("english"),
        return_ids=False,
        show_progress=False,
    )
    return [list(t) for t in tokens]


class _Vocab:
    """Words and their ids; new words get the next id."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        self.words = list(words)
        self.index = {w: i for i, w in enumerate(self.words)}

    def ids(self, tokens: Iterable[str]) -> np.ndarray:
        index, words, out = self.index, self.words, []
        for token in tokens:
            i = index.get(token)
            if i is None:
                i = index[token] = len(words)
                words.append(token)
            out.append(i)
        return np.asarray(out, dtype=np.int32) if out else _EMPTY


class TokenStore:
    """Token-id rows of every passage; rows are dropped by source and appended."""

    def __init__(self) -> None:
        self.ids: list[str | None] = []  # None marks a dropped row (compacted on export)
        self.sources: list[str] = []
        self.tokens: list[np.ndarray] = []  # BM25 token ids per row
        self.terms: list[np.ndarray] = []  # evidence-term ids per row
        self.token_vocab = _Vocab()
        self.term_vocab = _Vocab()
        self._rows_of: dict[str, list[int]] = {}
        self._live = 0
        self._compact = True  # no dropped rows, no unused words: ``compact`` has nothing to do

    def __len__(self) -> int:
        return self._live

    # --- changes -------------------------------------------------------------------------
    def add(self, passages: Sequence[StoredPassage]) -> None:
        """Append rows for these passages (tokenized here, in one call)."""
        tokens = tokenize([bm25_document(title, text) for _, _, title, text in passages])
        for (pid, source, title, text), row in zip(passages, tokens, strict=True):
            terms = self.term_vocab.ids(sorted(document_terms(title, text)))
            self._append(pid, source, self.token_vocab.ids(row), terms)

    def drop_sources(self, sources: Collection[str]) -> None:
        """Forget the rows of these articles (they are being re-embedded or were removed)."""
        for source in sources:
            for row in self._rows_of.pop(source, ()):
                self.ids[row] = None
                self.tokens[row] = self.terms[row] = _EMPTY
                self._live -= 1
                self._compact = False

    def _append(self, pid: str, source: str, tokens: np.ndarray, terms: np.ndarray) -> None:
        self._rows_of.setdefault(source, []).append(len(self.ids))
        self.ids.append(pid)
        self.sources.append(source)
        self.tokens.append(tokens)
        self.terms.append(terms)
        self._live += 1
        self._compact = False

    @classmethod
    def from_passages(cls, passages: Iterable[StoredPassage], page: int = 2000) -> TokenStore:
        """A store of every passage (read a page at a time, e.g. from Chroma)."""
        store, batch = cls(), []
        for passage in passages:
            batch.append(passage)
            if len(batch) >= page:
                store.add(batch)
                batch = []
        if batch:
            store.add(batch)
        return store

    # --- export --------------------------------------------------------------------------
    def compact(self) -> None:
        """Remove dropped rows and words no live row uses (ids are renumbered); nothing to
        do again until rows are added or dropped (the BM25 rows, the document frequencies
        and ``save`` each ask for a compact store)."""
        if self._compact:
            return
        live = [i for i, pid in enumerate(self.ids) if pid is not None]
        if len(live) != len(self.ids):
            self.ids = [self.ids[i] for i in live]
            self.sources = [self.sources[i] for i in live]
            self.tokens = [self.tokens[i] for i in live]
            self.terms = [self.terms[i] for i in live]
            self._rows_of = {}
            for row, source in enumerate(self.sources):
                self._rows_of.setdefault(source, []).append(row)
        self.tokens, self.token_vocab = _renumber(self.tokens, self.token_vocab)
        self.terms, self.term_vocab = _renumber(self.terms, self.term_vocab)
        self._compact = True

    def passage_ids(self) -> list[str]:
        """Ids of the live rows, in row order (after ``compact`` every row is live)."""
        return [pid for pid in self.ids if pid is not None]

    def live_sources(self) -> list[str]:
        return [s for pid, s in zip(self.ids, self.sources, strict=True) if pid is not None]

    def bm25_rows(self) -> tuple[list[np.ndarray], dict[str, int]]:
        """BM25 token ids per live row, and the vocabulary (word -> id)."""
        self.compact()
        return self.tokens, dict(self.token_vocab.index)

    def document_frequencies(self) -> Counter[str]:
        """How many live passages contain each evidence term (``text.document_terms``)."""
        self.compact()
        if not self.terms:
            return Counter()
        counts = np.bincount(np.concatenate(self.terms), minlength=len(self.term_vocab.words))
        words = self.term_vocab.words
        return Counter({words[i]: int(n) for i, n in enumerate(counts.tolist()) if n})

    # --- files ---------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        """Write the rows into ``directory`` (a fresh folder the caller swaps in)."""
        self.compact()
        np.savez(
            directory / ROWS_FILE,
            **_csr("tokens", self.tokens),
            **_csr("terms", self.terms),
        )
        vocab = {
            "ids": self.ids,
            "sources": self.sources,
            "tokens": self.token_vocab.words,
            "terms": self.term_vocab.words,
        }
        (directory / VOCAB_FILE).write_text(json.dumps(vocab), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> TokenStore | None:
        """The saved store, or ``None`` when it is missing or unreadable."""
        try:
            vocab = json.loads((directory / VOCAB_FILE).read_text(encoding="utf-8"))
            with np.load(directory / ROWS_FILE) as rows:
                tokens = _rows(rows, "tokens")
                terms = _rows(rows, "terms")
            ids, sources = list(vocab["ids"]), [str(s) for s in vocab["sources"]]
            store = cls()
            store.token_vocab, store.term_vocab = _Vocab(vocab["tokens"]), _Vocab(vocab["terms"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not len(ids) == len(sources) == len(tokens) == len(terms):
            return None
        for pid, source, token_row, term_row in zip(ids, sources, tokens, terms, strict=True):
            store._append(str(pid), source, token_row, term_row)
        return store


def _renumber(rows: list[np.ndarray], vocab: _Vocab) -> tuple[list[np.ndarray], _Vocab]:
    """Rows and vocabulary with the unused words removed."""
    if not rows:
        return rows, _Vocab()
    used = np.unique(np.concatenate(rows))
    if len(used) == len(vocab.words):
        return rows, vocab
    new_id = np.full(len(vocab.words), -1, dtype=np.int32)
    new_id[used] = np.arange(len(used), dtype=np.int32)
    return [new_id[row] for row in rows], _Vocab(vocab.words[i] for i in used.tolist())


def _csr(name: str, rows: list[np.ndarray]) -> dict[str, Any]:
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    data = np.concatenate(rows).astype(np.int32) if rows else _EMPTY
    return {f"{name}_indptr": indptr, f"{name}_data": data}


def _rows(saved: Any, name: str) -> list[np.ndarray]:
    indptr, data = saved[f"{name}_indptr"], saved[f"{name}_data"]
    if len(indptr) == 0 or indptr[-1] != len(data):
        raise ValueError(f"corrupt {name} rows")
    return list(np.split(data, indptr[1:-1])) if len(indptr) > 1 else []
