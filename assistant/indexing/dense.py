"""The dense pass: embed the passages the first pass left pending and move them into Chroma.

Runs after the first pass of ``assistant index`` (in the foreground, with a progress bar
and ETA) or in a background thread of an ``Assistant`` that was asked a question over a
newly added archive. It holds the index lock while it writes, takes the pending passages
oldest first, ``BATCH_PASSAGES`` at a time, and removes a batch from the pending file only
after Chroma has it; a passage that is already in Chroma with the same content (a run
killed between those two steps) is not embedded again. BM25 and the index state do not
change: they already cover every passage. ``stop`` ends it between two batches.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import BaseNode, MetadataMode

from assistant.config import Settings
from assistant.indexing.pending import PendingStore, pending_path
from assistant.indexing.state import index_lock
from assistant.indexing.store import collection_name, get_collection, make_client

BATCH_PASSAGES = 256  # passages per embedding call and Chroma write


@dataclass(frozen=True)
class DenseReport:
    """What one dense pass did."""

    embedded: int  # passages embedded in this pass
    reused: int  # pending passages found already in Chroma (not embedded again)
    remaining: int  # passages still without vectors (stopped early)
    seconds: float


@dataclass(frozen=True)
class Coverage:
    """How many of the indexed passages dense search can find."""

    embedded: int
    total: int

    @property
    def complete(self) -> bool:
        return self.embedded >= self.total

    def notice(self) -> str | None:
        """The sentence answers carry while dense coverage is partial."""
        if self.complete:
            return None
        share = 100 * self.embedded / max(self.total, 1)
        return (
            f"dense search covers {self.embedded:,} of {self.total:,} passages so far "
            f"({share:.0f} %); the others are found by keyword search until their vectors "
            "are computed (in the background, or by `assistant index`)"
        )


def fill(
    settings: Settings,
    embed_model: BaseEmbedding,
    *,
    progress: bool | None = None,
    stop: threading.Event | None = None,
    locked: bool = False,
) -> DenseReport:
    """Embed every pending passage (under the index lock unless the caller holds it)."""
    if locked:
        return _fill(settings, embed_model, progress, stop)
    with index_lock(settings.index_dir):
        return _fill(settings, embed_model, progress, stop)


def _fill(
    settings: Settings,
    embed_model: BaseEmbedding,
    progress: bool | None,
    stop: threading.Event | None,
) -> DenseReport:
    from llama_index.vector_stores.chroma import ChromaVectorStore
    from tqdm import tqdm

    started = time.perf_counter()
    pending = PendingStore(pending_path(settings.index_dir, collection_name(settings.embedding)))
    total = pending.count()
    embedded = reused = 0
    if not total:
        return DenseReport(0, 0, 0, 0.0)
    collection: Any = get_collection(
        make_client(settings), settings.embedding, embed_model.model_name, create=True
    )
    store = ChromaVectorStore(chroma_collection=collection)
    show = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(total=total, desc="embedding", unit="passage", disable=not show, file=sys.stderr)
    try:
        while not (stop is not None and stop.is_set()):
            batch = pending.first(BATCH_PASSAGES)
            if not batch:
                break
            done, stale = _stored(collection, batch)
            todo = [n for n in batch if n.node_id not in done]
            if todo:
                texts = [n.get_content(metadata_mode=MetadataMode.EMBED) for n in todo]
                vectors = embed_model.get_text_embedding_batch(texts)
                for node, vector in zip(todo, vectors, strict=True):
                    node.embedding = vector
                if stale:
                    collection.delete(ids=sorted(stale))
                store.add(todo)
            pending.drop_ids([n.node_id for n in batch])
            embedded, reused = embedded + len(todo), reused + len(done)
            bar.update(len(batch))
    finally:
        bar.close()
        remaining = pending.count()
        pending.close()
    return DenseReport(embedded, reused, remaining, time.perf_counter() - started)


def _stored(collection: Any, batch: list[BaseNode]) -> tuple[set[str], set[str]]:
    """Ids of ``batch`` that Chroma already holds: with the same content hash (moved, then
    killed before the pending rows were removed) and with another one (to replace)."""
    got = collection.get(ids=[n.node_id for n in batch], include=["metadatas"])
    hashes = {n.node_id: n.metadata.get("sha256") for n in batch}
    same: set[str] = set()
    other: set[str] = set()
    for pid, meta in zip(got["ids"], got["metadatas"] or [], strict=False):
        (same if (meta or {}).get("sha256") == hashes.get(pid) else other).add(pid)
    return same, other
