"""Build and update the index incrementally: only new or changed articles are embedded.

A run has two passes. The first streams the files one at a time, chunks the new or changed
ones and writes their passages to the pending file (``pending.py``) in batches across
articles, then rebuilds BM25 over every passage and writes the index state: from then on
questions can be asked (BM25 finds every passage, dense search the ones with vectors). The
second, the dense pass (``dense.py``), embeds the pending passages and moves them into
Chroma, resumable batch by batch; ``run`` does it under the same lock unless told to leave
it for later (a background thread of ``Assistant``, or the next run). A manifest
(``manifest.py``) lets an unchanged file be skipped by size and modification time without
reading it; when the manifest disagrees with the stored passage count (Chroma plus
pending; a crash, a lost file) the stored metadata is read instead, and every file is
hashed. An article's old passages are deleted by ``where={"source": ...}``, so leftovers
of an interrupted run are cleaned. After a run that changed something the BM25 index
(``bm25.py``) is rebuilt and saved, from the saved token store (``tokens.py``) with only
the re-indexed articles' rows replaced; when that store cannot be trusted, from every
stored passage. A lock file keeps two writers apart.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.config import Settings
from assistant.errors import SeedsError
from assistant.indexing.bm25 import SparseIndex, bm25_dir, mark_dirty, saved_tag
from assistant.indexing.dense import fill
from assistant.indexing.manifest import FileEntry, Manifest, manifest_path
from assistant.indexing.nodes import passage_to_node
from assistant.indexing.pending import PendingStore, pending_path
from assistant.indexing.runs import Batch, IndexReport, RunState, stored_articles
from assistant.indexing.state import content_tag, index_lock, read_state, write_state
from assistant.indexing.store import (
    collection_name,
    delete_collection,
    get_collection,
    make_client,
)
from assistant.indexing.tokens import TokenStore
from assistant.ingest.articles import read_article, scan_seeds
from assistant.ingest.chunking import chunk_article
from assistant.ingest.convert import sync_converted
from assistant.types import Article

BATCH_PASSAGES = 256  # passages per write to the pending file
MANIFEST_EVERY_S = 2.0  # at most one manifest write per this many seconds (and at the end)


def file_entry(article: Article, size: int, mtime_ns: int, passages: int) -> FileEntry:
    """The manifest entry of an article file: its stat, hash, size and what to list it by."""
    meta = article.meta
    return FileEntry(
        size,
        mtime_ns,
        article.sha256,
        passages,
        article.title,
        meta.published,
        meta.outlet,
        meta.url,
        meta.author,
    )


class Indexer:
    """Keeps the Chroma collection in step with the article files."""

    def __init__(self, settings: Settings, embed_model: BaseEmbedding) -> None:
        self.settings = settings
        self.embed_model = embed_model

    def run(
        self,
        rebuild: bool = False,
        progress: bool | None = None,
        *,
        dense: bool = True,
        searchable: Callable[[IndexReport], None] | None = None,
    ) -> IndexReport:
        """Bring the index up to date with the seeds folder and report what changed; with
        ``dense`` also embed every pending passage (else they wait for a later dense pass).
        ``searchable`` is called between the passes, once questions can be asked."""
        from tqdm import tqdm

        settings = self.settings
        started = time.perf_counter()
        converted = sync_converted(settings.seeds_dir) if settings.seeds_dir.is_dir() else []
        files, left_out = scan_seeds(settings.seeds_dir)
        if not files:
            raise SeedsError(
                f"no articles in {settings.seeds_dir}/; add .txt or .md articles, .html pages, "
                "feeds or .json/.jsonl exports (or use `assistant add`) "
                "and run `assistant index` again. The index was left as it was."
            )
        with index_lock(settings.index_dir):
            run = self._open(rebuild)
            run.skipped.extend([*converted, *left_out])
            show = (sys.stderr.isatty() if progress is None else progress) and len(files) > 1
            bar = tqdm(files, desc="indexing", unit="file", disable=not show, file=sys.stderr)
            for file in bar:
                if self._take(run, file) and len(run.batch.nodes) >= BATCH_PASSAGES:
                    self._flush(run)
                    bar.set_postfix(new_passages=run.counts["embedded"], refresh=False)
            self._flush(run)
            self._remove_gone(run)
            run.manifest.save()
            changed = rebuild or any(run.counts[k] for k in ("added", "updated", "removed"))
            report = self._report(run, self._finish(run, changed), started)
            if searchable is not None:
                searchable(report)
            if not dense or not report.pending:
                return report
            filled = fill(settings, self.embed_model, progress=progress, locked=True)
        return replace(
            report,
            embedded=filled.embedded,
            pending=filled.remaining,
            seconds=time.perf_counter() - started,
        )

    def _report(self, run: RunState, state: dict[str, Any], started: float) -> IndexReport:
        """What the first pass did (no passage embedded yet; ``pending`` wait for it)."""
        report = IndexReport(
            articles=len(run.seen) - run.unreadable,
            passages=int(state["passages"]),
            seconds=time.perf_counter() - started,
            skipped=tuple(run.skipped),
            hashed=run.hashed,
            pending=run.pending.count(),
            **{**run.counts, "embedded": 0},  # "embedded" counted the new passages
        )
        run.pending.close()
        return report

    # --- the steps of a run ------------------------------------------------------------
    def _open(self, rebuild: bool) -> RunState:
        """Open (or, with ``rebuild``, recreate) the collection and decide what is stored:
        the manifest when it agrees with the stored passage count (Chroma and pending),
        else the stored metadata."""
        from llama_index.vector_stores.chroma import ChromaVectorStore

        settings = self.settings
        name = collection_name(settings.embedding)
        client = make_client(settings)
        pending = PendingStore(pending_path(settings.index_dir, name))
        if rebuild:
            delete_collection(client, settings.embedding)
            pending.clear()
        collection: Any = get_collection(
            client, settings.embedding, self.embed_model.model_name, create=True
        )
        count = collection.count() + pending.count()
        path = manifest_path(settings.index_dir, name)
        loaded = None if rebuild else Manifest.load(path)
        trusted = loaded is not None and loaded.total_passages() == count
        manifest = loaded if trusted and loaded is not None else Manifest(path)
        stored = None if trusted or count == 0 else stored_articles(collection, pending)
        return RunState(
            collection=collection,
            store=ChromaVectorStore(chroma_collection=collection),
            pending=pending,
            manifest=manifest,
            stored=stored,
            known=frozenset(manifest.entries if stored is None else stored),
            sparse_dir=bm25_dir(settings.index_dir, name),
            count_at_start=count,
        )

    def _take(self, run: RunState, file: Path) -> bool:
        """Classify one article file: unchanged (skipped by size and mtime, or by its hash),
        unreadable, a duplicate, or new/changed: then its passages join the batch (True)."""
        source = file.relative_to(self.settings.seeds_dir).as_posix()
        run.seen.add(source)
        prev = run.manifest.entries.get(source) if run.stored is None else None
        try:
            stat: os.stat_result | None = file.stat()
        except OSError:
            stat = None
        if prev is not None and stat is not None and prev.same_file(stat):
            if not run.duplicate(source, prev.sha256):
                run.counts["unchanged"] += 1
            return False
        try:
            article = read_article(file, self.settings.seeds_dir)
        except SeedsError as exc:
            run.skipped.append((source, str(exc).split(": ", 1)[-1]))
            run.unreadable += 1
            return False  # keep whatever was indexed for it before
        run.hashed += 1
        if run.duplicate(source, article.sha256):
            return False
        size, mtime = (stat.st_size, stat.st_mtime_ns) if stat else (-1, -1)
        if prev is not None and prev.sha256 == article.sha256:
            run.manifest.entries[source] = file_entry(article, size, mtime, prev.passages)
            run.counts["unchanged"] += 1
            return False
        passages = chunk_article(article)
        entry = file_entry(article, size, mtime, len(passages))
        old = run.stored.get(source) if run.stored is not None else None
        if (
            old is not None
            and old.hashes == {article.sha256}
            and sorted(old.ids) == sorted(p.id for p in passages)
        ):  # all of it is stored: a run killed mid-write can leave only a part
            run.manifest.entries[source] = entry
            run.counts["unchanged"] += 1
            return False
        nodes = [passage_to_node(p, article.sha256) for p in passages]
        run.counts["updated" if source in run.known else "added"] += 1
        run.counts["embedded"] += len(nodes)
        run.batch.nodes.extend(nodes)
        run.batch.entries[source] = entry
        return True

    def _flush(self, run: RunState) -> None:
        """Replace the batch's articles' passages (in Chroma and pending) by their new
        passages, pending until the dense pass embeds them; record them."""
        batch = run.batch
        if not batch.entries:
            return
        self._start_writing(run)
        if run.count_at_start > 0:  # an empty index has no leftovers to delete
            run.collection.delete(where={"source": {"$in": sorted(batch.entries)}})
            run.pending.drop_sources(batch.entries)
        if batch.nodes:
            run.pending.add(batch.nodes)
        if run.tokens is not None:
            run.tokens.drop_sources(batch.entries)
            run.tokens.add(
                [
                    (n.node_id, n.metadata["source"], n.metadata["title"], n.get_content())
                    for n in batch.nodes
                ]
            )
        run.manifest.entries.update(batch.entries)
        run.manifest.save_every(MANIFEST_EVERY_S)
        run.batch = Batch()

    def _remove_gone(self, run: RunState) -> None:
        """Delete the passages of articles that are no longer in the seeds folder."""
        gone = sorted(run.known - run.seen)
        if gone:
            self._start_writing(run)
            if run.tokens is not None:
                run.tokens.drop_sources(gone)
            run.pending.drop_sources(gone)
        for i in range(0, len(gone), 500):
            run.collection.delete(where={"source": {"$in": gone[i : i + 500]}})
        for source in gone:
            run.manifest.entries.pop(source, None)
        run.counts["removed"] = len(gone)

    def _saved_tokens(self, run: RunState) -> TokenStore | None:
        """The token store saved for the current content, or an empty one for an empty
        collection; ``None`` when it cannot be trusted (BM25 is then built from Chroma)."""
        if run.count_at_start == 0:
            return TokenStore()
        state = read_state(self.settings.index_dir)
        expected = (content_tag(state), run.count_at_start) if state is not None else None
        if expected is None or saved_tag(run.sparse_dir) != expected:
            return None
        tokens = TokenStore.load(run.sparse_dir)
        return tokens if tokens is not None and len(tokens) == run.count_at_start else None

    def _start_writing(self, run: RunState) -> None:
        """Before the first change to Chroma: load the token store that goes with the saved
        BM25 index, then mark that index as behind Chroma until ``_finish`` replaces it."""
        if not run.wrote:
            run.tokens = self._saved_tokens(run)
            mark_dirty(run.sparse_dir)
            run.wrote = True

    def _finish(self, run: RunState, changed: bool) -> dict[str, Any]:
        """Rebuild BM25 when the content changed (or its saved copy is stale); write state."""
        index_dir = self.settings.index_dir
        previous = read_state(index_dir) or {}
        generation = int(previous.get("generation", 0)) + 1
        # None: no saved BM25 index, or one an interrupted run marked dirty (Chroma changed).
        saved = saved_tag(run.sparse_dir)
        fresh = "content_generation" in previous and not changed and saved is not None
        state = {
            "embedding": self.settings.embedding,
            "embedding_model": self.embed_model.model_name,
            "collection": collection_name(self.settings.embedding),
            "articles": len(run.manifest.entries),
            "passages": run.collection.count() + run.pending.count(),
            "generation": generation,
            "content_generation": previous["content_generation"] if fresh else generation,
            "updated_at": time.time(),
        }
        tag = content_tag(state)
        if saved != (tag, state["passages"]):
            tokens = run.tokens
            if tokens is not None and len(tokens) == state["passages"]:
                SparseIndex.from_tokens(tokens, tag).save(run.sparse_dir)
            else:
                SparseIndex.build(run.collection, tag, run.pending).save(run.sparse_dir)
        write_state(index_dir, state)
        return state
