"""Hybrid retrieval: reciprocal-rank fusion of BM25 and dense over a real Chroma index."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.engine import Assistant
from assistant.search.retriever import HybridRetriever, reciprocal_rank_fusion

HYBRID_SEEDS = Path(__file__).parent / "data" / "hybrid"


def test_rrf_rewards_agreement_and_keeps_singletons() -> None:
    fused = dict(reciprocal_rank_fusion([["a", "b", "c"], ["b", "d"]], k=60))
    assert max(fused, key=lambda key: fused[key]) == "b"
    assert set(fused) == {"a", "b", "c", "d"}
    assert fused["a"] == pytest.approx(1 / 61)


@pytest.fixture(scope="module")
def retriever(tmp_path_factory: pytest.TempPathFactory) -> HybridRetriever:
    index = tmp_path_factory.mktemp("hybrid-index")
    assistant = Assistant(seeds_dir=HYBRID_SEEDS, index_dir=index, backend="extractive")
    searcher = assistant.searcher
    # two candidates from each retriever, three fused results
    return HybridRetriever(searcher.retriever.collection, assistant.embed_model, 3, candidates=2)


def _ids(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [h.node.node_id for h in hits]


def test_dense_finds_what_bm25_cannot(retriever: HybridRetriever) -> None:
    question = "Which soccer club lifted the trophy?"  # no word in common with the article
    assert _ids(retriever.bm25(question)) == []
    assert _ids(retriever.dense(question))[0] == "c#0"
    assert retriever.retrieve(question)[0].passage.id == "c#0"


def test_bm25_finds_what_dense_misses(retriever: HybridRetriever) -> None:
    question = "QZ-5521 ferry boats island"  # the permit code only matches lexically
    assert "g#0" in _ids(retriever.bm25(question))
    assert "g#0" not in _ids(retriever.dense(question))
    fused = retriever.retrieve(question)
    assert "g#0" in [hit.passage.id for hit in fused]
    hit = next(h for h in fused if h.passage.id == "g#0")
    # dense search did not return it; its dense rank comes from scoring BM25's candidates
    # by their stored vectors too (``with_bm25_candidates``)
    assert hit.bm25_rank is not None and hit.dense_rank is not None
    retriever.rescore_bm25 = False
    try:
        plain = next(h for h in retriever.retrieve(question) if h.passage.id == "g#0")
    finally:
        retriever.rescore_bm25 = True
    assert plain.bm25_rank is not None and plain.dense_rank is None


def test_stored_vectors_unreadable_during_another_writer_are_computed(
    retriever: HybridRetriever, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embedded store is not process-safe: while another process writes it, a read of
    stored vectors can fail ("Error finding id"); the BM25 candidate is then ranked by a
    vector computed now, and the question is answered, not a traceback."""
    from chromadb.errors import InternalError

    real_get = retriever.collection.get

    def busy(*args: object, **kwargs: object) -> object:
        if "embeddings" in kwargs.get("include", ()):  # type: ignore[operator]
            raise InternalError("Error executing plan: Internal error: Error finding id")
        return real_get(*args, **kwargs)

    question = "QZ-5521 ferry boats island"
    retriever._computed.clear()
    monkeypatch.setattr(retriever.collection, "get", busy)
    hit = next(h for h in retriever.retrieve(question) if h.passage.id == "g#0")
    assert hit.bm25_rank is not None and hit.dense_rank is not None


def test_seed_questions_rank_the_gold_passage_first(assistant: Assistant) -> None:
    retriever = assistant.searcher.retriever
    top = retriever.retrieve("When will the NATO-Russia Council meet?")
    assert top[0].passage.id == "004_3b952a9fea412592#7"
    assert len(top) == assistant.settings.top_k


def test_dense_search_unreadable_during_a_dense_pass_leaves_bm25(
    retriever: HybridRetriever, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While another process's dense pass writes the embedded store, its vector segment may
    not be on disk yet ("Nothing found on disk"): the question is answered by BM25 alone;
    with no dense pass underway the same error is not hidden."""
    from chromadb.errors import InternalError

    def not_on_disk(*args: object, **kwargs: object) -> object:
        raise InternalError("Error creating hnsw segment reader: Nothing found on disk")

    monkeypatch.setattr(retriever.collection, "query", not_on_disk)

    class Pending:
        def __init__(self, count: int) -> None:
            self._count = count

        def count(self) -> int:
            return self._count

    monkeypatch.setattr(retriever, "pending", Pending(600))
    hits = retriever.retrieve("QZ-5521 ferry boats island")
    assert hits and all(h.bm25_rank is not None for h in hits), "BM25's passages only"
    monkeypatch.setattr(retriever, "pending", Pending(0))
    with pytest.raises(InternalError):
        retriever.retrieve("QZ-5521 ferry boats island")
