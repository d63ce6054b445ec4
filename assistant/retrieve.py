"""Hybrid retrieval: LlamaIndex's BM25 and dense (Chroma) retrievers fused by reciprocal rank.

The BM25 index is built once from the passages stored in Chroma and rebuilt only when the
index generation changes, so BM25 and dense always see the same passages.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import NodeWithScore, QueryBundle

from assistant.nodes import node_to_passage
from assistant.types import Passage, ScoredPassage

RRF_K = 60.0

# bm25s logs a warning whenever top-k exceeds the corpus size; that is expected here.
logging.getLogger("llama_index.retrievers.bm25").setLevel(logging.ERROR)


def reciprocal_rank_fusion(
    ranked_lists: list[list[str]], k: float = RRF_K
) -> list[tuple[str, float]]:
    """Fuse ranked id lists: score(id) = sum over lists of 1 / (k + rank), rank from 1."""
    scores: dict[str, float] = {}
    for ranked in ranked_lists:
        for rank, item in enumerate(ranked, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


class HybridRetriever:
    """BM25 ⊕ dense retrieval over one Chroma collection."""

    def __init__(
        self,
        collection: Any,
        embed_model: BaseEmbedding,
        top_k: int,
        candidates: int | None = None,
    ) -> None:
        """``candidates`` passages come from each retriever (default ``2 * top_k``); the
        fused list keeps ``top_k``."""
        from llama_index.core import VectorStoreIndex
        from llama_index.retrievers.bm25 import BM25Retriever
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.top_k = top_k
        depth = candidates or 2 * top_k
        self.collection = collection
        store = ChromaVectorStore(chroma_collection=collection)
        nodes = store.get_nodes(node_ids=None)
        self.passages: dict[str, Passage] = {n.node_id: node_to_passage(n) for n in nodes}
        self._dense = VectorStoreIndex.from_vector_store(
            store, embed_model=embed_model
        ).as_retriever(similarity_top_k=depth)
        self._bm25 = (
            BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=depth) if nodes else None
        )
        self._bm25_lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.passages)

    def bm25(self, query: str) -> list[NodeWithScore]:
        if self._bm25 is None:
            return []
        with self._bm25_lock:  # bm25s keeps per-call state on the retriever
            hits = self._bm25.retrieve(QueryBundle(query))
        return [h for h in hits if (h.score or 0.0) > 0.0]

    def dense(self, query: str) -> list[NodeWithScore]:
        if not self.passages:
            return []
        return self._dense.retrieve(QueryBundle(query))

    def retrieve(self, query: str) -> list[ScoredPassage]:
        """The top-k passages for ``query`` by reciprocal-rank fusion of BM25 and dense."""
        sparse_hits = self.bm25(query)
        dense_hits = self.dense(query)
        bm25_rank = {h.node.node_id: i for i, h in enumerate(sparse_hits, start=1)}
        dense_rank = {h.node.node_id: i for i, h in enumerate(dense_hits, start=1)}
        dense_score = {h.node.node_id: float(h.score or 0.0) for h in dense_hits}
        fused = reciprocal_rank_fusion(
            [[h.node.node_id for h in sparse_hits], [h.node.node_id for h in dense_hits]]
        )
        return [
            ScoredPassage(
                passage=self.passages[pid],
                score=score,
                bm25_rank=bm25_rank.get(pid),
                dense_rank=dense_rank.get(pid),
                dense_score=dense_score.get(pid),
            )
            for pid, score in fused[: self.top_k]
            if pid in self.passages
        ]
