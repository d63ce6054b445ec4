"""Open the search side of one index generation: the Chroma collection, hybrid retriever
(with the saved BM25 index) and evidence selector; and turn a user's source filter into
stored sources."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.config import Settings
from assistant.corpus import LazyCorpusStats
from assistant.errors import IndexMissingError, SeedsError
from assistant.evidence import EvidenceSelector
from assistant.index_state import content_tag
from assistant.retrieve import HybridRetriever
from assistant.store import get_collection, make_client


@dataclass(frozen=True)
class Searcher:
    """Retriever and evidence selector for one generation of the index."""

    generation: int
    retriever: HybridRetriever
    selector: EvidenceSelector


def open_searcher(
    settings: Settings, embed_model: BaseEmbedding, state: dict[str, Any]
) -> Searcher:
    """The searcher for the index generation ``state`` (from ``read_state``) describes."""
    client = make_client(settings)
    collection = get_collection(client, settings.embedding, embed_model.model_name, create=False)
    if collection is None:
        raise IndexMissingError(
            f"the index in {settings.index_dir} has no passages for embedding "
            f"{settings.embedding!r}; run `assistant index`."
        )
    retriever = HybridRetriever.for_index(
        collection, embed_model, settings.top_k, settings.index_dir, content_tag(state)
    )
    if len(retriever) == 0:
        raise SeedsError(
            f"no articles in {settings.seeds_dir}/ are indexed; add .txt or .md "
            "files (UTF-8 text) and run `assistant index`."
        )
    # Term statistics saved with BM25; neighbours fetched per query by id.
    stats = LazyCorpusStats(retriever.sparse.df, len(retriever), retriever.fetch)
    retriever.on_hits = stats.include
    selector = EvidenceSelector(stats, embed_model)
    # load the embedding model now rather than in the middle of the first answer
    embed_model.get_query_embedding("warm up")
    return Searcher(int(state.get("generation", 0)), retriever, selector)


def source_filter(sources: Sequence[str] | None, seeds_dir: Path) -> list[str] | None:
    """A source filter as stored sources: ``None`` means all; a path to a file inside the
    seeds folder (``seeds/2024/a.txt``) becomes relative to it (``2024/a.txt``)."""
    if sources is None:
        return None
    root = seeds_dir.resolve()
    found = []
    for item in sources:
        path = Path(item)
        if path.is_file() and path.resolve().is_relative_to(root):
            found.append(path.resolve().relative_to(root).as_posix())
        else:
            found.append(str(item).replace("\\", "/").removeprefix("./"))
    return found
