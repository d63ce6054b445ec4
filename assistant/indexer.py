"""Build and update the index incrementally: only new or changed articles are embedded.

Files are streamed one at a time and their passages embedded in batches across articles
(one embedding call and one Chroma write per ``BATCH_PASSAGES`` passages). A manifest
(``manifest.py``) lets an unchanged file be skipped by size and modification time without
reading it; when the manifest disagrees with Chroma's passage count (a crash, a lost file)
the stored metadata is read instead, and every file is hashed. An article's old passages
are deleted by ``where={"source": ...}``, so leftovers of an interrupted run are cleaned.
After a run that changed something the BM25 index (``sparse.py``) is rebuilt and saved,
from the saved token store (``tokens.py``) with only the re-embedded articles' rows
replaced; when that store cannot be trusted, from every passage in Chroma. A lock file
keeps two writers apart.
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import BaseNode, MetadataMode

from assistant.articles import read_article, scan_seeds
from assistant.chunking import chunk_article
from assistant.config import Settings
from assistant.errors import SeedsError
from assistant.index_state import content_tag, index_lock, read_state, write_state
from assistant.manifest import FileEntry, Manifest, manifest_path
from assistant.metadata import article_date
from assistant.nodes import passage_to_node
from assistant.sparse import SparseIndex, bm25_dir, mark_dirty, saved_tag
from assistant.store import (
    collection_name,
    delete_collection,
    get_collection,
    make_client,
)
from assistant.tokens import TokenStore

BATCH_PASSAGES = 256  # passages per embedding call and Chroma write
MANIFEST_EVERY_S = 2.0  # at most one manifest write per this many seconds (and at the end)


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
    hashed: int = 0  # files read and hashed (the others were skipped by size and mtime)

    def summary(self) -> str:
        line = (
            f"indexed {self.articles} articles, {self.passages} passages in {self.seconds:.1f} s "
            f"({self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged; {self.embedded} passages embedded)"
        )
        for source, why in self.skipped:
            line += f"\nskipped {source}: {why}"
        return line


def _stored_articles(collection: Any) -> dict[str, dict[str, Any]]:
    """``source -> {"ids": [...], "hashes": {...}}`` from the passages stored in Chroma."""
    stored: dict[str, dict[str, Any]] = defaultdict(lambda: {"ids": [], "hashes": set()})
    got = collection.get(include=["metadatas"])
    for pid, meta in zip(got["ids"], got["metadatas"] or [], strict=False):
        entry = stored[str(meta.get("source", ""))]
        entry["ids"].append(pid)
        entry["hashes"].add(meta.get("sha256"))
    return dict(stored)


def _add_date(nodes: Sequence[BaseNode], found: str | None) -> None:
    """Store the article's date (``YYYY-MM-DD``) as metadata, never in the embedded text."""
    if found is None:
        return
    for node in nodes:
        node.metadata["date"] = found
        node.excluded_embed_metadata_keys.append("date")
        node.excluded_llm_metadata_keys.append("date")


@dataclass
class _Batch:
    """Passages waiting for one embedding call and one Chroma write."""

    nodes: list[BaseNode] = field(default_factory=list)
    entries: dict[str, FileEntry] = field(default_factory=dict)


class Indexer:
    """Keeps the Chroma collection in step with the article files."""

    def __init__(self, settings: Settings, embed_model: BaseEmbedding) -> None:
        self.settings = settings
        self.embed_model = embed_model
        # Per-run state, set by ``run``.
        self._collection: Any = None
        self._store: Any = None
        self._clean_first = False
        self._manifest = Manifest(Path(os.devnull))
        self._batch = _Batch()
        self._tokens: TokenStore | None = None  # rows kept in step with Chroma, if trusted
        self._sparse_dir = Path(os.devnull)
        self._wrote = False
        self._count_at_start = 0

    def run(self, rebuild: bool = False, progress: bool | None = None) -> IndexReport:
        """Bring the index up to date with the seeds folder and report what changed."""
        from llama_index.vector_stores.chroma import ChromaVectorStore
        from tqdm import tqdm

        settings = self.settings
        started = time.perf_counter()
        files, left_out = scan_seeds(settings.seeds_dir)
        if not files:
            raise SeedsError(
                f"no articles in {settings.seeds_dir}/; add .txt or .md files (UTF-8 text) "
                "and run `assistant index` again. The index was left as it was."
            )
        name = collection_name(settings.embedding)
        with index_lock(settings.index_dir):
            client = make_client(settings)
            if rebuild:
                delete_collection(client, settings.embedding)
            collection: Any = get_collection(
                client, settings.embedding, self.embed_model.model_name, create=True
            )
            self._store = ChromaVectorStore(chroma_collection=collection)
            self._collection = collection
            count = collection.count()
            self._clean_first = count > 0  # an empty collection has no leftovers to delete
            path = manifest_path(settings.index_dir, name)
            loaded = None if rebuild else Manifest.load(path)
            trusted = loaded is not None and loaded.total_passages() == count
            manifest = loaded if trusted and loaded is not None else Manifest(path)
            # With a trusted manifest, what is stored is what it says; otherwise ask Chroma.
            stored = None if trusted or count == 0 else _stored_articles(collection)
            known = set(manifest.entries) if stored is None else set(stored)
            self._manifest, self._batch = manifest, _Batch()
            self._sparse_dir, self._wrote = bm25_dir(settings.index_dir, name), False
            self._tokens, self._count_at_start = None, count
            seen: set[str] = set()
            counts = {"added": 0, "updated": 0, "removed": 0, "unchanged": 0, "embedded": 0}
            skipped: list[tuple[str, str]] = list(left_out)
            unreadable = 0
            first_of: dict[str, str] = {}  # content hash -> first source with that text

            def duplicate(source: str, sha256: str) -> bool:
                """Same text as an earlier file: skipped with a notice, its passages removed."""
                first = first_of.setdefault(sha256, source)
                if first == source:
                    return False
                skipped.append((source, f"same text as {first}; indexed once, under {first}"))
                seen.discard(source)
                return True

            hashed = 0
            show = (sys.stderr.isatty() if progress is None else progress) and len(files) > 1
            bar = tqdm(files, desc="indexing", unit="file", disable=not show, file=sys.stderr)
            for file in bar:
                source = file.relative_to(settings.seeds_dir).as_posix()
                seen.add(source)
                prev = manifest.entries.get(source) if stored is None else None
                try:
                    stat = file.stat()
                except OSError:
                    stat = None
                if prev is not None and stat is not None and prev.same_file(stat):
                    if not duplicate(source, prev.sha256):
                        counts["unchanged"] += 1
                    continue
                try:
                    article = read_article(file, settings.seeds_dir)
                except SeedsError as exc:
                    skipped.append((source, str(exc).split(": ", 1)[-1]))
                    unreadable += 1
                    continue  # keep whatever was indexed for it before
                hashed += 1
                if duplicate(source, article.sha256):
                    continue
                size, mtime = (stat.st_size, stat.st_mtime_ns) if stat else (-1, -1)
                old = stored.get(source) if stored is not None else None
                if prev is not None and prev.sha256 == article.sha256:
                    manifest.entries[source] = replace(
                        prev,
                        size=size,
                        mtime_ns=mtime,
                        title=article.title,
                        date=article_date(article.raw),
                    )
                    counts["unchanged"] += 1
                    continue
                passages = chunk_article(article)
                date = article_date(article.raw)
                if (
                    old is not None
                    and old["hashes"] == {article.sha256}
                    and sorted(old["ids"]) == sorted(p.id for p in passages)
                ):  # all of it is stored: a run killed mid-write can leave only a part
                    entry = FileEntry(
                        size, mtime, article.sha256, len(old["ids"]), article.title, date
                    )
                    manifest.entries[source] = entry
                    counts["unchanged"] += 1
                    continue
                nodes = [passage_to_node(p, article.sha256) for p in passages]
                _add_date(nodes, date)
                counts["updated" if source in known else "added"] += 1
                counts["embedded"] += len(nodes)
                self._batch.nodes.extend(nodes)
                self._batch.entries[source] = FileEntry(
                    size, mtime, article.sha256, len(nodes), article.title, date
                )
                if len(self._batch.nodes) >= BATCH_PASSAGES:
                    self._flush()
                    bar.set_postfix(embedded=counts["embedded"], refresh=False)
            self._flush()
            gone = sorted(known - seen)
            if gone:
                self._start_writing()
                if self._tokens is not None:
                    self._tokens.drop_sources(gone)
            for i in range(0, len(gone), 500):
                collection.delete(where={"source": {"$in": gone[i : i + 500]}})
            for source in gone:
                manifest.entries.pop(source, None)
            counts["removed"] = len(gone)
            manifest.save()
            changed = bool(counts["added"] or counts["updated"] or counts["removed"] or rebuild)
            state = self._finish(changed, collection, name)
        n_articles = len(seen) - unreadable
        return IndexReport(
            articles=n_articles,
            passages=int(state["passages"]),
            seconds=time.perf_counter() - started,
            skipped=tuple(skipped),
            hashed=hashed,
            **counts,
        )

    def _flush(self) -> None:
        """Embed the batch, replace its articles' passages in Chroma, record them."""
        batch = self._batch
        if not batch.entries:
            return
        if batch.nodes:
            texts = [n.get_content(metadata_mode=MetadataMode.EMBED) for n in batch.nodes]
            vectors = self.embed_model.get_text_embedding_batch(texts)
            for node, vector in zip(batch.nodes, vectors, strict=True):
                node.embedding = vector
        self._start_writing()
        if self._clean_first:
            self._collection.delete(where={"source": {"$in": sorted(batch.entries)}})
        if batch.nodes:
            self._store.add(batch.nodes)
        if self._tokens is not None:
            self._tokens.drop_sources(batch.entries)
            self._tokens.add(
                [
                    (n.node_id, n.metadata["source"], n.metadata["title"], n.get_content())
                    for n in batch.nodes
                ]
            )
        self._manifest.entries.update(batch.entries)
        self._manifest.save_every(MANIFEST_EVERY_S)
        self._batch = _Batch()

    def _saved_tokens(self, count: int) -> TokenStore | None:
        """The token store saved for the current content, or an empty one for an empty
        collection; ``None`` when it cannot be trusted (BM25 is then built from Chroma)."""
        if count == 0:
            return TokenStore()
        state = read_state(self.settings.index_dir)
        if state is None or saved_tag(self._sparse_dir) != (content_tag(state), count):
            return None
        tokens = TokenStore.load(self._sparse_dir)
        return tokens if tokens is not None and len(tokens) == count else None

    def _start_writing(self) -> None:
        """Before the first change to Chroma: load the token store that goes with the saved
        BM25 index, then mark that index as behind Chroma until ``_finish`` replaces it."""
        if not self._wrote:
            self._tokens = self._saved_tokens(self._count_at_start)
            mark_dirty(self._sparse_dir)
            self._wrote = True

    def _finish(self, changed: bool, collection: Any, name: str) -> dict[str, Any]:
        """Rebuild BM25 when the content changed (or its saved copy is stale); write state."""
        index_dir = self.settings.index_dir
        previous = read_state(index_dir) or {}
        generation = int(previous.get("generation", 0)) + 1
        # None: no saved BM25 index, or one an interrupted run marked dirty (Chroma changed).
        saved = saved_tag(self._sparse_dir)
        fresh = "content_generation" in previous and not changed and saved is not None
        state = {
            "embedding": self.settings.embedding,
            "embedding_model": self.embed_model.model_name,
            "collection": name,
            "articles": len(self._manifest.entries),
            "passages": collection.count(),
            "generation": generation,
            "content_generation": previous["content_generation"] if fresh else generation,
            "updated_at": time.time(),
        }
        tag = content_tag(state)
        if saved != (tag, state["passages"]):
            tokens = self._tokens
            if tokens is not None and len(tokens) == state["passages"]:
                SparseIndex.from_tokens(tokens, tag).save(self._sparse_dir)
            else:
                SparseIndex.build(collection, tag).save(self._sparse_dir)
        write_state(index_dir, state)
        return state
