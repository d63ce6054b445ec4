"""Passages that are indexed but not embedded yet, in a small SQLite file beside the index.

The first pass of an indexing run (``indexer.py``) reads, chunks and tokenizes articles and
writes their passages here, not into Chroma: BM25 is built over them and over Chroma's
passages at once, so questions can be asked seconds after a big archive is added. The
dense pass (``dense.py``) then takes them in order, embeds them and moves them into Chroma,
a batch at a time; a batch leaves this file only once it is in Chroma, so a killed run
loses nothing and the next one carries on where it stopped. Rows hold what Chroma would
store (the document and LlamaIndex's metadata dict), so a pending passage can be returned
by search exactly like a stored one.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from llama_index.core.schema import BaseNode, MetadataMode
from llama_index.core.vector_stores.utils import metadata_dict_to_node, node_to_metadata_dict

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pending (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    document TEXT NOT NULL,
    metadata TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pending_source ON pending (source);
"""
_CHUNK = 500  # ids per ``IN (...)`` query


def pending_path(index_dir: Path, collection: str) -> Path:
    return index_dir / f"pending-{collection}.sqlite"


class PendingStore:
    """The passages of one collection that wait for their vectors."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            self._db = db
        return self._db

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self._conn()
            with db:  # one transaction: committed, or rolled back on an error
                yield db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # --- writes (the indexer, under the index lock) ------------------------------------
    def add(self, nodes: Sequence[BaseNode]) -> None:
        rows = [
            (
                node.node_id,
                str(node.metadata["source"]),
                str(node.metadata.get("sha256", "")),
                node.get_content(metadata_mode=MetadataMode.NONE),
                json.dumps(node_to_metadata_dict(node, remove_text=True, flat_metadata=False)),
            )
            for node in nodes
        ]
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO pending (id, source, sha256, document, metadata) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )

    def drop_sources(self, sources: Iterable[str]) -> None:
        """Forget the pending passages of these articles (re-indexed or removed)."""
        names = list(sources)
        with self._tx() as db:
            for i in range(0, len(names), _CHUNK):
                part = names[i : i + _CHUNK]
                db.execute(f"DELETE FROM pending WHERE source IN ({_marks(part)})", part)

    def drop_ids(self, ids: Sequence[str]) -> None:
        """Forget these passages (now in Chroma)."""
        with self._tx() as db:
            for i in range(0, len(ids), _CHUNK):
                part = list(ids[i : i + _CHUNK])
                db.execute(f"DELETE FROM pending WHERE id IN ({_marks(part)})", part)

    def clear(self) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM pending")

    # --- reads -------------------------------------------------------------------------
    def count(self) -> int:
        if not self.path.exists():
            return 0
        with self._tx() as db:
            return int(db.execute("SELECT COUNT(*) FROM pending").fetchone()[0])

    def first(self, limit: int) -> list[BaseNode]:
        """The ``limit`` oldest pending passages, as nodes (without vectors)."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT document, metadata FROM pending ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [_node(document, metadata) for document, metadata in rows]

    def nodes(self, ids: Sequence[str]) -> dict[str, BaseNode]:
        """The pending passages among ``ids``, by id."""
        if not ids or not self.path.exists():
            return {}
        found: dict[str, BaseNode] = {}
        with self._tx() as db:
            for i in range(0, len(ids), _CHUNK):
                part = list(ids[i : i + _CHUNK])
                for document, metadata in db.execute(
                    f"SELECT document, metadata FROM pending WHERE id IN ({_marks(part)})", part
                ):
                    node = _node(document, metadata)
                    found[node.node_id] = node
        return found

    def hashes(self) -> Iterator[tuple[str, str, str]]:
        """``(id, source, sha256)`` of every pending passage."""
        for _, pid, source, sha256 in self._pages("id, source, sha256"):
            yield pid, source, sha256

    def all_nodes(self) -> Iterator[BaseNode]:
        """Every pending passage as a node (without a vector), oldest first."""
        for _, document, metadata in self._pages("document, metadata"):
            yield _node(document, metadata)

    def stored(self) -> Iterator[tuple[str, str, str, str]]:
        """``(id, source, title, text)`` of every pending passage (as BM25 indexes them)."""
        for node in self.all_nodes():
            meta = node.metadata
            title = str(meta.get("title", ""))
            yield node.node_id, str(meta.get("source", "")), title, node.get_content()

    def _pages(self, columns: str, page: int = 2000) -> Iterator[tuple[Any, ...]]:
        """``(seq, *columns)`` of every row in order, ``page`` rows per query."""
        last = 0
        while self.path.exists():
            with self._tx() as db:
                rows = db.execute(
                    f"SELECT seq, {columns} FROM pending WHERE seq > ? ORDER BY seq LIMIT ?",
                    (last, page),
                ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield from rows


def _marks(items: Sequence[Any]) -> str:
    return ",".join("?" * len(items))


def _node(document: str, metadata: str) -> BaseNode:
    return metadata_dict_to_node(json.loads(metadata), text=document)
