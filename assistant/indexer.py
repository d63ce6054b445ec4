"""Build and update the index incrementally: only new or changed articles are embedded.

Each stored passage carries its article's content hash. An article whose hash matches what
is stored costs nothing; a changed one has its passages replaced; a deleted one has them
removed. A lock file keeps two writers apart; an interrupted run is repaired by the next,
because an article only counts as indexed when all its passages carry the current hash.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import BaseNode, MetadataMode

from assistant.articles import find_article_files, read_article
from assistant.chunking import chunk_article
from assistant.config import Settings
from assistant.errors import IndexLockedError, SeedsError
from assistant.nodes import passage_to_node
from assistant.store import delete_collection, get_collection, make_client

STATE_FILE = "state.json"


@dataclass(frozen=True)
class IndexReport:
    """What one indexing run found and did."""

    articles: int
    passages: int
    added: int
    updated: int
    removed: int
    unchanged: int
    embedded: int
    seconds: float
    skipped: tuple[tuple[str, str], ...] = ()

    def summary(self) -> str:
        line = (
            f"indexed {self.articles} articles, {self.passages} passages in {self.seconds:.1f} s "
            f"({self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged; {self.embedded} passages embedded)"
        )
        for source, why in self.skipped:
            line += f"\nskipped {source}: {why}"
        return line


def read_state(index_dir: Path) -> dict[str, Any] | None:
    """The small JSON record written after each successful run, or ``None``."""
    try:
        return dict(json.loads((index_dir / STATE_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def _write_state(index_dir: Path, state: dict[str, Any]) -> None:
    tmp = index_dir / f".{STATE_FILE}.tmp"
    tmp.write_text(json.dumps(state, indent=1), encoding="utf-8")
    os.replace(tmp, index_dir / STATE_FILE)


@contextmanager
def index_lock(index_dir: Path) -> Iterator[None]:
    """Exclusive, non-blocking lock on the index folder for the length of a write."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexLockedError(
                f"another process is indexing {index_dir}; wait for it to finish and run "
                "the command again."
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _stored_articles(collection: Any) -> dict[str, dict[str, Any]]:
    """``source -> {"ids": [...], "hashes": {...}}`` from the passages stored in Chroma."""
    stored: dict[str, dict[str, Any]] = defaultdict(lambda: {"ids": [], "hashes": set()})
    got = collection.get(include=["metadatas"])
    for pid, meta in zip(got["ids"], got["metadatas"] or [], strict=False):
        entry = stored[str(meta.get("source", ""))]
        entry["ids"].append(pid)
        entry["hashes"].add(meta.get("sha256"))
    return dict(stored)


class Indexer:
    """Keeps the Chroma collection in step with the article files."""

    def __init__(self, settings: Settings, embed_model: BaseEmbedding) -> None:
        self.settings = settings
        self.embed_model = embed_model

    def run(self, rebuild: bool = False, progress: bool | None = None) -> IndexReport:
        """Bring the index up to date with the seeds folder and report what changed."""
        from llama_index.vector_stores.chroma import ChromaVectorStore
        from tqdm import tqdm

        settings = self.settings
        started = time.perf_counter()
        files = find_article_files(settings.seeds_dir)
        with index_lock(settings.index_dir):
            client = make_client(settings)
            if rebuild:
                delete_collection(client, settings.embedding)
            collection: Any = get_collection(
                client, settings.embedding, self.embed_model.model_name, create=True
            )
            store = ChromaVectorStore(chroma_collection=collection)
            stored = _stored_articles(collection)
            seen: set[str] = set()
            counts = {"added": 0, "updated": 0, "removed": 0, "unchanged": 0, "embedded": 0}
            skipped: list[tuple[str, str]] = []
            n_passages = 0
            show = (sys.stderr.isatty() if progress is None else progress) and len(files) > 1
            for path in tqdm(files, desc="indexing", unit="article", disable=not show):
                try:
                    article = read_article(path, settings.seeds_dir)
                except SeedsError as exc:
                    source = path.relative_to(settings.seeds_dir).as_posix()
                    skipped.append((source, str(exc).split(": ", 1)[-1]))
                    seen.add(source)  # keep whatever was indexed for it before
                    continue
                seen.add(article.source)
                old = stored.get(article.source)
                if old and old["hashes"] == {article.sha256}:
                    counts["unchanged"] += 1
                    n_passages += len(old["ids"])
                    continue
                passages = chunk_article(article)
                nodes: list[BaseNode] = [passage_to_node(p, article.sha256) for p in passages]
                if nodes:
                    texts = [n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes]
                    vectors = self.embed_model.get_text_embedding_batch(texts)
                    for node, vector in zip(nodes, vectors, strict=True):
                        node.embedding = vector
                    counts["embedded"] += len(nodes)
                if old:
                    collection.delete(ids=old["ids"])
                if nodes:
                    store.add(nodes)
                counts["updated" if old else "added"] += 1
                n_passages += len(nodes)
            for source, entry in stored.items():
                if source not in seen:
                    collection.delete(ids=entry["ids"])
                    counts["removed"] += 1
            previous = read_state(settings.index_dir) or {}
            _write_state(
                settings.index_dir,
                {
                    "embedding": settings.embedding,
                    "embedding_model": self.embed_model.model_name,
                    "articles": len(seen) - len(skipped),
                    "passages": n_passages,
                    "generation": int(previous.get("generation", 0)) + 1,
                    "updated_at": time.time(),
                },
            )
        return IndexReport(
            articles=len(seen) - len(skipped),
            passages=n_passages,
            seconds=time.perf_counter() - started,
            skipped=tuple(skipped),
            **counts,
        )
