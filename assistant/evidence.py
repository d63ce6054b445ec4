"""Pick the evidence sentences for a question and decide whether the articles answer it.

Each sentence of the retrieved passages gets a *support* score in 0..1 from
* lexical coverage: the IDF-weighted share of the question's content words found in the
  sentence (and, with less weight, in its passage); words the corpus never uses weigh the
  most, so a question about something absent scores low;
* dense similarity of the question and the sentence (same embedding as retrieval);
* a small bonus when the sentence holds the kind of thing asked for (a number for
  "how many", a date for "when").
The question is declined when no sentence reaches ``min_support``.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.text import content_terms, normalize
from assistant.types import Evidence, Passage, ScoredPassage, Sentence

_MONTHS = "january february march april may june july august september october november december"
_DATE = re.compile(r"\b(?:\d{4}|" + "|".join(_MONTHS.split()) + r")\b", re.IGNORECASE)
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|dozen|hundred|thousand|million"
    r"|billion)\b",
    re.IGNORECASE,
)

LEXICAL_WEIGHT = 0.55
PASSAGE_WEIGHT = 0.15
DENSE_WEIGHT = 0.30
DENSE_FLOOR, DENSE_CEIL = 0.78, 0.93  # e5 cosine range mapped to 0..1
TYPE_BONUS = 0.08


@dataclass(frozen=True)
class Selection:
    """The outcome of evidence selection for one question."""

    evidence: tuple[Evidence, ...]
    best_support: float
    answerable: bool


class TermStats:
    """Document frequencies of stemmed content terms over all indexed passages."""

    def __init__(self, passages: Iterable[Passage]) -> None:
        df: Counter[str] = Counter()
        n = 0
        for passage in passages:
            n += 1
            df.update(set(content_terms(passage.title + " " + passage.text)))
        self.df = df
        self.n = max(n, 1)

    def idf(self, term: str) -> float:
        return math.log(1.0 + (self.n + 1) / (self.df.get(term, 0) + 0.5))


def _coverage(query_terms: dict[str, float], text_terms: set[str]) -> float:
    total = sum(query_terms.values())
    if total <= 0:
        return 0.0
    return sum(w for t, w in query_terms.items() if t in text_terms) / total


def _type_bonus(question: str, sentence: str) -> float:
    q = normalize(question).lower()
    if q.startswith("when") or "what date" in q or "what day" in q:
        return TYPE_BONUS if _DATE.search(sentence) else 0.0
    if "how many" in q or "how much" in q:
        return TYPE_BONUS if _NUMBER.search(sentence) else 0.0
    return 0.0


class EvidenceSelector:
    """Scores candidate sentences; one instance per index generation (holds term stats)."""

    def __init__(self, stats: TermStats, embed_model: BaseEmbedding | None) -> None:
        self.stats = stats
        self.embed_model = embed_model
        self._vectors: dict[tuple[str, int], list[float]] = {}
        self._lock = threading.Lock()

    def _sentence_vectors(
        self, items: list[tuple[Passage, Sentence]]
    ) -> dict[tuple[str, int], list[float]]:
        assert self.embed_model is not None
        with self._lock:
            missing = [(p, s) for p, s in items if (p.id, s.start) not in self._vectors]
            if missing:
                vectors = self.embed_model.get_text_embedding_batch([s.text for _, s in missing])
                for (p, s), v in zip(missing, vectors, strict=True):
                    self._vectors[(p.id, s.start)] = v
            return {(p.id, s.start): self._vectors[(p.id, s.start)] for p, s in items}

    def select(
        self, question: str, hits: list[ScoredPassage], max_evidence: int, min_support: float
    ) -> Selection:
        """Rank the sentences of ``hits`` by support and keep the best ``max_evidence``."""
        terms = content_terms(question)
        weights = {t: self.stats.idf(t) for t in terms}
        items = [(h.passage, s) for h in hits for s in h.passage.sentences]
        if not items or not weights:
            return Selection((), 0.0, False)
        dense: dict[tuple[str, int], float] = {}
        if self.embed_model is not None:
            qv = self.embed_model.get_query_embedding(question)
            for key, v in self._sentence_vectors(items).items():
                dense[key] = sum(a * b for a, b in zip(qv, v, strict=True))
        passage_cov = {
            h.passage.id: _coverage(weights, set(content_terms(h.passage.text))) for h in hits
        }
        scored: list[tuple[float, Passage, Sentence]] = []
        for passage, sentence in items:
            lexical = _coverage(weights, set(content_terms(sentence.text)))
            cos = dense.get((passage.id, sentence.start))
            dense_part = (
                min(1.0, max(0.0, (cos - DENSE_FLOOR) / (DENSE_CEIL - DENSE_FLOOR)))
                if cos is not None
                else lexical
            )
            support = (
                LEXICAL_WEIGHT * lexical
                + PASSAGE_WEIGHT * passage_cov[passage.id]
                + DENSE_WEIGHT * dense_part
                + _type_bonus(question, sentence.text)
            )
            scored.append((min(support, 1.0), passage, sentence))
        scored.sort(key=lambda item: -item[0])
        best = scored[0][0]
        evidence = tuple(
            Evidence(n=i, passage=p, sentence=s, support=round(score, 4))
            for i, (score, p, s) in enumerate(scored[:max_evidence], start=1)
        )
        return Selection(evidence, best, best >= min_support)
