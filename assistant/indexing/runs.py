"""The records of one indexing run: what is stored before it, the batch being embedded, what
it has seen and done so far (``RunState``), and the report it ends with (``IndexReport``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llama_index.core.schema import BaseNode

from assistant.indexing.manifest import FileEntry, Manifest
from assistant.indexing.pending import PendingStore
from assistant.indexing.store import iter_pages
from assistant.indexing.tokens import TokenStore


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
    pending: int = 0  # passages still without vectors (found by BM25 only until embedded)

    def summary(self) -> str:
        line = (
            f"indexed {self.articles} articles, {self.passages} passages in {self.seconds:.1f} s "
            f"({self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged; {self.embedded} passages embedded)"
        )
        if self.pending:
            line += (
                f"\n{self.pending} passages wait for their vectors (keyword search finds them "
                "now); run `assistant index` to embed them"
            )
        for source, why in self.skipped:
            line += f"\nskipped {source}: {why}"
        return line


@dataclass(frozen=True)
class StoredArticle:
    """One article as its passages stored in Chroma say (when the manifest is not trusted)."""

    ids: tuple[str, ...]
    hashes: frozenset[str]


def stored_articles(collection: Any, pending: PendingStore) -> dict[str, StoredArticle]:
    """``source -> StoredArticle`` from the metadata of every stored passage (in Chroma, a
    page at a time, and pending)."""
    ids: dict[str, list[str]] = defaultdict(list)
    hashes: dict[str, set[str]] = defaultdict(set)
    for got in iter_pages(collection, ["metadatas"]):
        for pid, meta in zip(got["ids"], got["metadatas"] or [], strict=False):
            source = str((meta or {}).get("source", ""))
            ids[source].append(pid)
            hashes[source].add(str((meta or {}).get("sha256")))
    for pid, source, sha256 in pending.hashes():
        ids[source].append(pid)
        hashes[source].add(sha256)
    return {src: StoredArticle(tuple(ids[src]), frozenset(hashes[src])) for src in ids}


@dataclass
class Batch:
    """Passages waiting for one embedding call and one Chroma write."""

    nodes: list[BaseNode] = field(default_factory=list)
    entries: dict[str, FileEntry] = field(default_factory=dict)


@dataclass
class RunState:
    """The state of one indexing run: where it writes, what it has seen and done."""

    collection: Any
    store: Any  # LlamaIndex's ChromaVectorStore over ``collection``
    pending: PendingStore  # the passages waiting for their vectors
    manifest: Manifest
    stored: dict[str, StoredArticle] | None  # read from Chroma when the manifest is not trusted
    known: frozenset[str]  # the sources indexed before this run
    sparse_dir: Path
    count_at_start: int
    seen: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("added", "updated", "removed", "unchanged", "embedded"), 0
        )
    )
    skipped: list[tuple[str, str]] = field(default_factory=list)
    unreadable: int = 0
    hashed: int = 0  # files read and hashed
    first_of: dict[str, str] = field(default_factory=dict)  # content hash -> first source
    batch: Batch = field(default_factory=Batch)
    tokens: TokenStore | None = None  # token rows kept in step with Chroma, if trusted
    wrote: bool = False  # Chroma was changed in this run

    def duplicate(self, source: str, sha256: str) -> bool:
        """Same text as an earlier file: skipped with a notice, its passages removed."""
        first = self.first_of.setdefault(sha256, source)
        if first == source:
            return False
        self.skipped.append((source, f"same text as {first}; indexed once, under {first}"))
        self.seen.discard(source)
        return True
