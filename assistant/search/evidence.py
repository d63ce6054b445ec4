"""Pick the evidence sentences for a question and decide whether the articles answer it.

Each sentence of the retrieved passages gets a *support* score in 0..1 from
* lexical coverage: the IDF-weighted share of the question's content words found in the
  sentence (and, with less weight, in the sentence plus the one before it); words the
  corpus never uses weigh the most, so a question about something absent scores low;
* dense similarity of the question and the sentence (same embedding as retrieval);
* a small bonus when the sentence holds the kind of thing asked for (a number for
  "how many", a date for "when"), a penalty when it does not;
* a penalty per capitalised question word that no article uses ("France", "Merkel");
* a penalty when the question takes for granted a reversal ("Why did NATO cancel the
  meeting?", "... reject ...", "... call off ...") that the sentence does not state.
The question is declined when no sentence reaches ``min_support``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.ingest.dates import MONTH_NAMES
from assistant.search.statistics import CorpusStatistics
from assistant.text import content_terms, normalize, polarity_words
from assistant.types import Evidence, Passage, ScoredPassage, Sentence

_DATE = re.compile(r"\b(?:\d{4}|" + "|".join(MONTH_NAMES) + r")\b", re.IGNORECASE)
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|dozen|hundred|thousand|million"
    r"|billion)\b",
    re.IGNORECASE,
)

LEXICAL_WEIGHT = 0.55
CONTEXT_WEIGHT = 0.15  # coverage by the sentence plus the one before it ("It has led to ...")
DENSE_WEIGHT = 0.30
DENSE_RANGE = (0.78, 0.93)  # cosine range mapped to 0..1 when the embedding names none
PREFIX_MIN = 5
TYPE_BONUS = 0.08
TYPE_MISS = 0.8  # "how many" answered by a sentence with no number
UNKNOWN_NAME_FACTOR = 0.6  # per capitalised question word the articles never use
PREMISE_FACTOR = 0.5  # the question's "cancel"/"reject"/... is not in the sentence


@dataclass(frozen=True)
class Selection:
    """The outcome of evidence selection for one question."""

    evidence: tuple[Evidence, ...]
    best_support: float
    answerable: bool


def _matches(term: str, text_terms: set[str]) -> bool:
    """Exact stem match, or one stem a prefix of the other ("analys" ~ "analysi")."""
    if term in text_terms:
        return True
    if len(term) < PREFIX_MIN:
        return False
    return any(
        len(other) >= PREFIX_MIN and (other.startswith(term) or term.startswith(other))
        for other in text_terms
    )


def _coverage(query_terms: dict[str, float], text_terms: set[str]) -> float:
    total = sum(query_terms.values())
    if total <= 0:
        return 0.0
    return sum(w for t, w in query_terms.items() if _matches(t, text_terms)) / total


def _expected_type(question: str) -> re.Pattern[str] | None:
    """What an answer must contain for "when" and "how many/much" questions."""
    q = normalize(question).lower()
    if q.startswith("when") or "what date" in q or "what day" in q:
        return _DATE
    if "how many" in q or "how much" in q:
        return _NUMBER
    return None


def _unknown_names(question: str, stats: CorpusStatistics) -> int:
    """Capitalised words after the first that the corpus never uses ("France", "Merkel")."""
    count = 0
    for word in re.findall(r"(?<=\s)[A-Z][\w'’.-]*", normalize(question)):
        terms = content_terms(word)
        if terms and all(stats.df.get(t, 0) == 0 for t in terms):
            count += 1
    return count


class EvidenceSelector:
    """Scores candidate sentences; one instance per index generation (holds term stats)."""

    def __init__(
        self,
        stats: CorpusStatistics,
        embed_model: BaseEmbedding | None,
        *,
        max_evidence: int,
        min_support: float,
    ) -> None:
        """``max_evidence`` sentences are kept; a question is answerable when the best one's
        support reaches ``min_support``."""
        self.stats = stats
        self.embed_model = embed_model
        self.max_evidence = max_evidence
        self.min_support = min_support
        self.dense_range: tuple[float, float] = getattr(embed_model, "dense_range", DENSE_RANGE)
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

    def select(self, question: str, hits: Sequence[ScoredPassage]) -> Selection:
        """Rank the sentences of ``hits`` by support and keep the best ``max_evidence``."""
        weights = {t: self.stats.idf(t) for t in content_terms(question)}
        items = [(h.passage, s) for h in hits for s in h.passage.sentences]
        if not items or not weights:
            return Selection((), 0.0, False)
        dense: dict[tuple[str, int], float] = {}
        if self.embed_model is not None:
            qv = self.embed_model.get_query_embedding(question)
            for key, v in self._sentence_vectors(items).items():
                dense[key] = sum(a * b for a, b in zip(qv, v, strict=True))
        expected = _expected_type(question)
        penalty = UNKNOWN_NAME_FACTOR ** _unknown_names(question, self.stats)
        premise = polarity_words(question) - {"not"}  # negations are phrased too many ways
        scored: list[tuple[float, Passage, Sentence]] = []
        for passage, sentence in items:
            own = set(content_terms(sentence.text))
            before = self.stats.previous.get((passage.source, sentence.start))
            context = own | set(content_terms(before.text)) if before else own
            cos = dense.get((passage.id, sentence.start))
            lexical = _coverage(weights, own)
            dense_part = lexical if cos is None else _scale(cos, self.dense_range)
            support = (
                LEXICAL_WEIGHT * lexical
                + CONTEXT_WEIGHT * _coverage(weights, context)
                + DENSE_WEIGHT * dense_part
            )
            if expected is not None:
                support = (
                    support + TYPE_BONUS if expected.search(sentence.text) else support * TYPE_MISS
                )
            if premise and premise - polarity_words(
                f"{before.text if before else ''} {sentence.text}"
            ):
                support *= PREMISE_FACTOR
            scored.append((min(support * penalty, 1.0), passage, sentence))
        scored.sort(key=lambda item: -item[0])
        best = scored[0][0]
        ranked = self._with_neighbour(scored)[: self.max_evidence]
        evidence = tuple(
            Evidence(n=i, passage=p, sentence=s, support=round(score, 4))
            for i, (score, p, s) in enumerate(ranked, start=1)
        )
        return Selection(evidence, best, best >= self.min_support)

    def _with_neighbour(
        self, scored: list[tuple[float, Passage, Sentence]]
    ) -> list[tuple[float, Passage, Sentence]]:
        """Put the sentence the best one leans on ("It has led to ...") or that continues
        it ("Moreover, he said ...") right beside it, with the same support."""
        score, passage, sentence = scored[0]
        key = (passage.source, sentence.start)
        before, after = self.stats.previous.get(key), self.stats.following.get(key)
        group: list[tuple[float, Passage, Sentence]] = [scored[0]]
        if before is not None and _leans_back(sentence.text):
            group.insert(0, (score, self.stats.passage_of[(passage.source, before.start)], before))
        elif after is not None and _leans_back(after.text):
            group.append((score, self.stats.passage_of[(passage.source, after.start)], after))
        taken = {(p.source, s.start) for _, p, s in group}
        return group + [item for item in scored[1:] if (item[1].source, item[2].start) not in taken]


_ANAPHORA = frozenset("it this these those they he she its their his her such here".split())
_CONNECTORS = frozenset(
    "moreover also however nonetheless nevertheless furthermore additionally besides still "
    "but and so thus".split()
)


def _leans_back(sentence: str) -> bool:
    """Does the sentence only make sense after the one before it?"""
    first_words = [w.lower() for w in re.findall(r"[A-Za-z]+", sentence)[:3]]
    if not first_words:
        return False
    return first_words[0] in _CONNECTORS or bool(_ANAPHORA & set(first_words))


def _scale(cos: float, dense_range: tuple[float, float]) -> float:
    floor, ceil = dense_range
    return min(1.0, max(0.0, (cos - floor) / (ceil - floor)))
