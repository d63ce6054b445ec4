"""Near-duplicate articles (the same wire story carried by several outlets) by MinHash.

An article's signature is the ``datasketch`` MinHash of its word 5-shingles (case, quotes
and punctuation folded), so a copy re-edited by another outlet (a changed headline, "on
Thursday" for "yesterday", a paragraph cut) stays close while a different story about the
same event does not. ``THRESHOLD`` was measured on such pairs (``tests/test_dedup.py``): the
11 re-edited copies in tests/data/lee_background score 0.56-1.0 (the lowest: a story inside
a news roundup, and one with a paragraph added); different stories on the same event (the
Qantas dispute, the India report, Israeli strikes) score at most 0.07, as does every other
pair of its 300 articles. The threshold sits between the two.
"""

from __future__ import annotations

import re

import numpy as np
from numpy.typing import NDArray

from assistant.text import normalize

NUM_PERM = 64
SHINGLE = 5
THRESHOLD = 0.3  # estimated Jaccard similarity of the shingle sets; see the module doc
_WORD = re.compile(r"\w+")

Signature = NDArray[np.uint64]


def shingles(text: str) -> set[bytes]:
    """The word ``SHINGLE``-grams of ``text``, folded for comparing."""
    words = _WORD.findall(normalize(text).lower())
    if len(words) < SHINGLE:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i : i + SHINGLE]).encode("utf-8") for i in range(len(words) - 4)}


def signature(text: str) -> Signature:
    """The MinHash signature of ``text`` (``NUM_PERM`` values)."""
    from datasketch import MinHash

    minhash = MinHash(num_perm=NUM_PERM, seed=1)
    minhash.update_batch(sorted(shingles(text)))
    return np.asarray(minhash.hashvalues, dtype=np.uint64)


def similarity(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the two articles' shingle sets."""
    return float(np.mean(a == b))


class NearDuplicates:
    """Signatures of the articles known so far, and the closest one to a new article."""

    def __init__(self, threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        self.sources: list[str] = []
        self._rows: list[Signature] = []
        self._matrix: NDArray[np.uint64] | None = None

    def add(self, source: str, sig: Signature) -> None:
        self.sources.append(source)
        self._rows.append(sig)
        self._matrix = None

    def closest(self, sig: Signature, exclude: str | None = None) -> tuple[str, float] | None:
        """The most similar known article at or over the threshold, with its similarity."""
        if not self._rows:
            return None
        if self._matrix is None:
            self._matrix = np.vstack(self._rows)
        scores = (self._matrix == sig).mean(axis=1)
        for i in np.argsort(-scores, kind="stable")[:3]:
            if scores[i] < self.threshold:
                return None
            if self.sources[i] != exclude:
                return self.sources[i], float(scores[i])
        return None
