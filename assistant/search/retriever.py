"""Hybrid retrieval: BM25 (``indexing.bm25``) and dense (Chroma via LlamaIndex) fused by rank.

The BM25 index is loaded from ``index_dir/bm25/`` when its tag matches the index content
(the indexer saves it after every run that changed something); otherwise it is built in
memory from the stored passages. BM25 covers every indexed passage, dense search those
that have their vectors already: passages the dense pass has not reached yet wait in the
pending file (``indexing.pending``) and are found by BM25 alone, their texts read from
there. Only ids and scores are held in memory: the texts of the hits are fetched by id.
A ``sources`` filter is applied inside both retrievers (a Chroma ``where`` and a BM25
weight mask), so a filtered-out article can never be retrieved.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle

from assistant.indexing.bm25 import SparseIndex, bm25_dir
from assistant.indexing.dense import Coverage
from assistant.indexing.nodes import node_to_passage
from assistant.indexing.pending import PendingStore, pending_path
from assistant.indexing.state import content_tag
from assistant.indexing.store import collection_name, iter_pages, store_errors
from assistant.types import Passage, ScoredPassage

RRF_K = 60.0
CACHE_PASSAGES = 4096

# bm25s logs a warning whenever top-k exceeds the corpus size; that is expected here.
logging.getLogger("llama_index.retrievers.bm25").setLevel(logging.ERROR)
logging.getLogger("bm25s").setLevel(logging.ERROR)
log = logging.getLogger(__name__)


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

    #: score BM25 candidates that dense search did not return by their vectors too
    #: (``with_bm25_candidates``); off only to measure what it changes
    rescore_bm25 = True

    def __init__(
        self,
        collection: Any,
        embed_model: BaseEmbedding,
        top_k: int,
        candidates: int | None = None,
        *,
        sparse: SparseIndex | None = None,
        pending: PendingStore | None = None,
    ) -> None:
        """``candidates`` passages come from each retriever (default ``2 * top_k``); the
        fused list keeps ``top_k``. ``sparse`` is a loaded BM25 index (else built now);
        ``pending`` holds the passages without vectors yet."""
        from llama_index.core import VectorStoreIndex
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.top_k = top_k
        self.depth = candidates or 2 * top_k
        self.embed_model = embed_model
        self._computed: dict[str, list[float]] = {}  # vectors of pending passages
        self.collection = collection
        self._store = ChromaVectorStore(chroma_collection=collection)
        self._index = VectorStoreIndex.from_vector_store(self._store, embed_model=embed_model)
        self._dense = self._index.as_retriever(similarity_top_k=self.depth)
        self.pending = pending
        with store_errors():
            self.sparse = (
                sparse if sparse is not None else SparseIndex.build(collection, pending=pending)
            )
        self._cache: dict[str, Passage] = {}

    @classmethod
    def for_index(
        cls,
        collection: Any,
        embed_model: BaseEmbedding,
        top_k: int,
        index_dir: Path,
        state: dict[str, Any],
    ) -> HybridRetriever:
        """A retriever using the BM25 index the indexer saved for the content ``state``
        (``read_state``) names: its tag and its passage count (Chroma and pending; read
        from the state, since a dense pass moves passages from one to the other)."""
        name = collection_name_of(collection)
        pending = PendingStore(pending_path(index_dir, name))
        with store_errors():
            count = state.get("passages", collection.count() + pending.count())
            sparse = SparseIndex.load(bm25_dir(index_dir, name), content_tag(state), int(count))
        return cls(collection, embed_model, top_k, sparse=sparse, pending=pending)

    def coverage(self) -> Coverage:
        """How many passages dense search can find so far (all, once the dense pass is
        done)."""
        with store_errors():
            stored = int(self.collection.count())
        waiting = self.pending.count() if self.pending is not None else 0
        return Coverage(stored, stored + waiting)

    def __len__(self) -> int:
        return len(self.sparse)

    # --- passages ----------------------------------------------------------------------
    def iter_passages(self) -> Iterator[Passage]:
        """Every indexed passage, read from Chroma a page at a time, then the pending ones."""
        from llama_index.core.vector_stores.utils import metadata_dict_to_node

        with store_errors():
            for got in iter_pages(self.collection, ["documents", "metadatas"]):
                docs, metas = got["documents"] or [], got["metadatas"] or []
                for doc, meta in zip(docs, metas, strict=False):
                    yield node_to_passage(metadata_dict_to_node(dict(meta), text=doc))
            if self.pending is not None:
                yield from (node_to_passage(n) for n in self.pending.all_nodes())

    def _nodes(self, ids: Sequence[str]) -> dict[str, Any]:
        """The nodes with these ids: from Chroma, or pending when not embedded yet."""
        if not ids:  # ChromaVectorStore.get_nodes([]) would return every node
            return {}
        with store_errors():
            found = {n.node_id: n for n in self._store.get_nodes(node_ids=list(ids))}
        missing = [i for i in ids if i not in found]
        if missing and self.pending is not None:
            found.update(self.pending.nodes(missing))
        return found

    def fetch(self, ids: Sequence[str]) -> dict[str, Passage]:
        """The passages with these ids (cached), fetched from Chroma when not known yet."""
        missing = [i for i in ids if i not in self._cache]
        if len(self._cache) + len(missing) > CACHE_PASSAGES:
            self._cache.clear()
        for pid, node in self._nodes(missing).items():
            self._cache[pid] = node_to_passage(node)
        return {i: self._cache[i] for i in ids if i in self._cache}

    def article_texts(self, source: str) -> list[str]:
        """The texts of every stored passage of one article (one Chroma ``get``)."""
        with store_errors():
            got = self.collection.get(where={"source": source}, include=["documents"])
        return [doc or "" for doc in got.get("documents") or []]

    # --- retrieval ---------------------------------------------------------------------
    def bm25(self, query: str, sources: Sequence[str] | None = None) -> list[NodeWithScore]:
        """BM25 hits with a positive score, best first (only from ``sources`` if given)."""
        hits = self.sparse.search(query, self.depth, sources)
        nodes = self._nodes([pid for pid, _ in hits])
        return [NodeWithScore(node=nodes[pid], score=s) for pid, s in hits if pid in nodes]

    def dense(
        self,
        query: str,
        sources: Sequence[str] | None = None,
        embedding: list[float] | None = None,
    ) -> list[NodeWithScore]:
        """Nearest passages by embedding (only from ``sources`` if given); ``embedding`` is
        the query's, when already computed."""
        if not len(self) or (sources is not None and not sources):
            return []
        retriever = self._dense
        if sources is not None:
            from llama_index.core.vector_stores.types import (
                FilterOperator,
                MetadataFilter,
                MetadataFilters,
            )

            only = MetadataFilter(key="source", value=list(sources), operator=FilterOperator.IN)
            retriever = self._index.as_retriever(
                similarity_top_k=self.depth, filters=MetadataFilters(filters=[only])
            )
        from chromadb.errors import ChromaError

        try:
            with store_errors():
                return retriever.retrieve(QueryBundle(query, embedding=embedding))
        except ChromaError as exc:
            if self.pending is None or not self.pending.count():
                raise
            # another process's dense pass is writing the embedded store and its vector
            # segment is not on disk yet ("Nothing found on disk"): BM25 answers alone
            log.info("dense search not readable during the dense pass (%s); BM25 only", exc)
            return []

    def with_bm25_candidates(
        self, vector: list[float], dense_hits: list[NodeWithScore], sparse_hits: list[NodeWithScore]
    ) -> list[NodeWithScore]:
        """The dense hits and the BM25 hits dense search did not return, all scored by
        cosine with the query ``vector``, best first: stored passages by their vectors in
        Chroma, passages still pending by vectors computed now (cached). So a BM25 hit just
        below the dense cut-off, or one the dense pass has not reached yet, is ranked by
        dense similarity like the rest instead of by BM25 alone."""
        have = {h.node.node_id for h in dense_hits}
        extra = [h.node for h in sparse_hits if h.node.node_id not in have]
        if not extra:
            return dense_hits
        vectors = self._vectors([n.node_id for n in extra])
        todo = [n for n in extra if n.node_id not in vectors]
        if todo:
            texts = [n.get_content(metadata_mode=MetadataMode.EMBED) for n in todo]
            computed = self.embed_model.get_text_embedding_batch(texts)
            for node, row in zip(todo, computed, strict=True):
                vectors[node.node_id] = self._computed[node.node_id] = row
        q = np.asarray(vector, dtype=np.float32)
        scored = [
            NodeWithScore(node=n, score=float(np.asarray(vectors[n.node_id]) @ q)) for n in extra
        ]
        return sorted([*dense_hits, *scored], key=lambda h: -float(h.score or 0.0))

    def _vectors(self, ids: list[str]) -> dict[str, Any]:
        """Stored (or earlier computed) vectors of these passages."""
        if len(self._computed) > CACHE_PASSAGES:
            self._computed.clear()
        found = {i: v for i in ids if (v := self._computed.get(i)) is not None}
        wanted = [i for i in ids if i not in found]
        if wanted:
            from chromadb.errors import ChromaError

            try:
                with store_errors():
                    got = self.collection.get(ids=wanted, include=["embeddings"])
            except ChromaError as exc:  # another process writing the embedded store: the
                # caller computes these vectors instead ("Error finding id", chromadb 1.x)
                log.info("stored vectors not readable now (%s); computing them", exc)
                return found
            found.update(zip(got["ids"], got["embeddings"], strict=True))
        return found

    def retrieve(self, query: str, sources: Sequence[str] | None = None) -> list[ScoredPassage]:
        """The top-k passages for ``query`` by reciprocal-rank fusion of BM25 and dense."""
        sparse_hits = self.bm25(query, sources)
        vector = self.embed_model.get_query_embedding(query)
        dense_hits = self.dense(query, sources, vector)
        if self.rescore_bm25:
            dense_hits = self.with_bm25_candidates(vector, dense_hits, sparse_hits)
        bm25_rank = {h.node.node_id: i for i, h in enumerate(sparse_hits, start=1)}
        dense_rank = {h.node.node_id: i for i, h in enumerate(dense_hits, start=1)}
        dense_score = {h.node.node_id: float(h.score or 0.0) for h in dense_hits}
        fused = reciprocal_rank_fusion(
            [[h.node.node_id for h in sparse_hits], [h.node.node_id for h in dense_hits]]
        )[: self.top_k]
        for hit in (*sparse_hits, *dense_hits):
            if hit.node.node_id not in self._cache:
                self._cache[hit.node.node_id] = node_to_passage(hit.node)
        found = self.fetch([pid for pid, _ in fused])
        return [
            ScoredPassage(
                passage=found[pid],
                score=score,
                bm25_rank=bm25_rank.get(pid),
                dense_rank=dense_rank.get(pid),
                dense_score=dense_score.get(pid),
            )
            for pid, score in fused
            if pid in found
        ]


def collection_name_of(collection: Any) -> str:
    """The name of a Chroma collection object (``passages-<embedding>``)."""
    return str(getattr(collection, "name", "")) or collection_name("unknown")
