"""Pick the evidence sentences for a question and decide, part by part, whether the articles
answer it.

The question is split into what it asks (``question.analyse``: "When is the meeting and who
chairs it?" asks two things). Every sentence of the retrieved passages is scored for every
ask (``features``): word coverage, embedding similarity, whether it holds an answer of the
kind asked beyond the question's own words, whether the names and numbers the question takes
for given are stated near it and in its article, whether the reversal a question presumes
("Why was it cancelled?") is stated. An ask is answerable when its best sentence passes the
hard checks of ``gates`` (an answer of the right kind, every name and number of the question
stated, a "why" ask's event stated, the doer not swapped with the one acted on) and its
support reaches ``min_support``. The question is answerable when one of its asks is; the
evidence starts with each answerable ask's best sentence, then sentences that state names of
the question the chosen ones do not (the other article of a two-article question), then the
rest by support.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.search.features import (
    Candidate,
    features,
    leans_back,
    make_candidate,
    name_share,
    support,
)
from assistant.search.gates import passes
from assistant.search.question import Ask, Question, analyse
from assistant.search.statistics import CorpusStatistics
from assistant.types import Evidence, Passage, ScoredPassage, Sentence

DENSE_RANGE = (0.78, 0.93)  # cosine range mapped to 0..1 when the embedding names none
COVERAGE_SHARE = 0.5  # a sentence added for a missing name needs this share of the best support
OTHER_PART_WEIGHT = 0.3  # weight of the other parts' words when scoring one part


@dataclass(frozen=True)
class AskOutcome:
    """Whether one part of the question is answered, and by which evidence number."""

    text: str
    answerable: bool
    best_support: float
    evidence: int | None  # ``n`` of its best sentence among the evidence, if answerable


@dataclass(frozen=True)
class Selection:
    """The outcome of evidence selection for one question."""

    evidence: tuple[Evidence, ...]
    best_support: float
    answerable: bool
    asks: tuple[AskOutcome, ...] = ()

    @property
    def uncovered(self) -> tuple[str, ...]:
        """The parts of an answerable question that the articles do not answer."""
        if not self.answerable:
            return ()
        return tuple(a.text for a in self.asks if not a.answerable)


@dataclass(frozen=True)
class Scored:
    """One candidate sentence scored for one ask."""

    ask: int
    passage: Passage
    sentence: Sentence
    values: dict[str, float]
    support: float
    passes: bool  # passes every hard check of ``gates.passes``


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
        """``max_evidence`` sentences are kept; an ask is answerable when its best passing
        sentence's support reaches ``min_support``."""
        self.stats = stats
        self.embed_model = embed_model
        self.max_evidence = max_evidence
        self.min_support = min_support
        self.dense_range: tuple[float, float] = getattr(embed_model, "dense_range", DENSE_RANGE)
        self._vectors: dict[tuple[str, int], list[float]] = {}
        self._lock = threading.Lock()

    # --- scoring -----------------------------------------------------------------------
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

    def _weights(self, question: Question, index: int) -> dict[str, float]:
        """IDF weights of one ask's terms, the other asks' terms weighing less."""
        weights: dict[str, float] = {}
        for i, ask in enumerate(question.asks):
            factor = 1.0 if i == index else OTHER_PART_WEIGHT
            for term in ask.terms:
                weights[term] = max(weights.get(term, 0.0), factor * self.stats.idf(term))
        return weights

    def score(self, question: str, hits: Sequence[ScoredPassage]) -> list[Scored]:
        """Every sentence of ``hits`` scored for every ask of ``question``."""
        analysed = analyse(question)
        items = [(h.passage, s) for h in hits for s in h.passage.sentences]
        rank = {h.passage.id: r for r, h in enumerate(hits, start=1)}
        if not items:
            return []
        vectors = self._sentence_vectors(items) if self.embed_model is not None else {}
        candidates = [self._candidate(p, s, rank[p.id]) for p, s in items]
        out: list[Scored] = []
        for index, ask in enumerate(analysed.asks):
            weights = self._weights(analysed, index)
            if not weights:
                continue
            qv = self._query_vector(ask) if vectors else None
            for (passage, sentence), candidate in zip(items, candidates, strict=True):
                dense = None
                if qv is not None:
                    v = vectors[(passage.id, sentence.start)]
                    dense = self._scale(sum(a * b for a, b in zip(qv, v, strict=True)))
                values = features(ask, analysed.names, weights, candidate, dense)
                after = self.stats.following.get((passage.source, sentence.start))
                ok = passes(
                    ask, analysed.names, values, weights, candidate, after.text if after else ""
                )
                out.append(Scored(index, passage, sentence, values, support(values), ok))
        return out

    def _candidate(self, passage: Passage, sentence: Sentence, rank: int) -> Candidate:
        before = self.stats.previous.get((passage.source, sentence.start))
        article = self.stats.article_terms(passage.source)
        return make_candidate(
            sentence.text, before.text if before else "", passage.title, article, rank
        )

    def _query_vector(self, ask: Ask) -> list[float]:
        assert self.embed_model is not None
        return list(self.embed_model.get_query_embedding(ask.text))

    def _scale(self, cos: float) -> float:
        floor, ceil = self.dense_range
        return min(1.0, max(0.0, (cos - floor) / (ceil - floor)))

    # --- selection ---------------------------------------------------------------------
    def select(
        self, question: str, hits: Sequence[ScoredPassage], min_support: float | None = None
    ) -> Selection:
        """The evidence for ``question`` and whether (and which parts of) it is answered
        (``min_support`` overrides the selector's own)."""
        floor = self.min_support if min_support is None else min_support
        analysed = analyse(question)
        scored = self.score(question, hits)
        if not scored:
            return Selection((), 0.0, False)
        outcomes: list[tuple[str, list[Scored], float]] = []
        for index, ask in enumerate(analysed.asks):
            mine = sorted((s for s in scored if s.ask == index), key=lambda s: -s.support)
            best = next((s for s in mine if s.passes), None)
            if best is None:
                outcomes.append((ask.text, [], mine[0].support if mine else 0.0))
                continue
            group = [best, *self._name_sources(ask.names, best, scored)]
            stated = frozenset().union(*(self._article(g) for g in group))
            ok = best.support >= floor and name_share(ask.names, stated) == 1.0
            outcomes.append((ask.text, group if ok else [], best.support))
        chosen = [item for _, group, _ in outcomes for item in group]
        ordered = self._ordered(chosen, scored)
        evidence = tuple(
            Evidence(
                n=i,
                passage=item.passage,
                sentence=item.sentence,
                support=round(item.support, 4),
                ask=item.ask,
                primary=primary,
                context=self._before(item),
            )
            for i, (item, primary) in enumerate(ordered, start=1)
        )
        number = {(e.passage.id, e.sentence.start): e.n for e in evidence}
        asks = tuple(
            AskOutcome(
                text,
                bool(group),
                round(value, 4),
                number.get((group[0].passage.id, group[0].sentence.start)) if group else None,
            )
            for text, group, value in outcomes
        )
        top = max(value for _, _, value in outcomes)
        return Selection(evidence, top, bool(chosen), asks)

    def _ordered(self, chosen: list[Scored], scored: list[Scored]) -> list[tuple[Scored, bool]]:
        """The chosen sentences (each with the one it leans on), then the rest by support."""
        picked: list[tuple[Scored, bool]] = []
        seen: set[tuple[str, int]] = set()

        def take(item: Scored, primary: bool) -> None:
            key = (item.passage.source, item.sentence.start)
            if key not in seen and len(picked) < self.max_evidence:
                seen.add(key)
                picked.append((item, primary))

        for item in chosen:
            for neighbour in self._leaned_on(item):
                take(neighbour, True)
        best_of: dict[tuple[str, int], Scored] = {}
        for item in scored:
            key = (item.passage.source, item.sentence.start)
            if key not in best_of or item.support > best_of[key].support:
                best_of[key] = item
        for item in sorted(best_of.values(), key=lambda s: -s.support):
            take(item, False)
        return picked

    def _name_sources(
        self, names: tuple[str, ...], best: Scored, scored: list[Scored]
    ) -> list[Scored]:
        """Sentences from other articles that state the names ``best``'s article does not
        (the second article of a two-article question), best supported first."""
        stated = self._article(best)
        missing = tuple(n for n in names if name_share((n,), stated) < 1.0)
        floor = COVERAGE_SHARE * best.support
        added: list[Scored] = []
        while missing:
            helpful = [
                s
                for s in scored
                if s.support >= floor
                and s.passage.source != best.passage.source
                and name_share(missing, self._near(s)) > 0
            ]
            if not helpful:
                break
            pick = max(helpful, key=lambda s: (name_share(missing, self._near(s)), s.support))
            added.append(pick)
            stated = stated | self._article(pick)
            missing = tuple(n for n in missing if name_share((n,), stated) < 1.0)
        return added

    def _before(self, item: Scored) -> str:
        before = self.stats.previous.get((item.passage.source, item.sentence.start))
        return before.text if before else ""

    def _article(self, item: Scored) -> frozenset[str]:
        return self.stats.article_terms(item.passage.source) | self._near(item)

    def _near(self, item: Scored) -> frozenset[str]:
        return self._candidate(item.passage, item.sentence, 1).near

    def _leaned_on(self, item: Scored) -> list[Scored]:
        """The item, with the sentence it leans on ("It has led to ...") or that continues
        it ("Moreover, he said ...") beside it, at the same support."""
        key = (item.passage.source, item.sentence.start)
        before, after = self.stats.previous.get(key), self.stats.following.get(key)
        group = [item]
        if before is not None and leans_back(item.sentence.text):
            group.insert(0, self._as(item, before))
        elif after is not None and leans_back(after.text):
            group.append(self._as(item, after))
        return group

    def _as(self, item: Scored, sentence: Sentence) -> Scored:
        passage = self.stats.passage_of[(item.passage.source, sentence.start)]
        return replace(item, passage=passage, sentence=sentence)
