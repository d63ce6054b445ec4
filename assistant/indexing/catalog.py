"""The list of indexed articles (source, title, passage count, date, outlet, link, author)
for people to browse.

Read from the indexer's manifest when it agrees with the stored passage count (Chroma's and
the pending ones'), so listing a 50,000-article archive reads one small JSON file instead of
every passage; otherwise (no manifest, e.g. a Chroma server filled from another machine)
from the stored metadata alone, a page at a time, never the passage texts.
"""

from __future__ import annotations

import itertools
from pathlib import PurePosixPath
from typing import Any

from assistant.config import Settings
from assistant.indexing.manifest import Manifest, manifest_path
from assistant.indexing.pending import PendingStore, pending_path
from assistant.indexing.store import collection_name, iter_pages
from assistant.types import ArticleInfo


def indexed_articles(settings: Settings, collection: Any) -> list[ArticleInfo]:
    """Every indexed article, by source."""
    name = collection_name(settings.embedding)
    manifest = Manifest.load(manifest_path(settings.index_dir, name))
    pending = PendingStore(pending_path(settings.index_dir, name))
    if manifest is not None and manifest.total_passages() == collection.count() + pending.count():
        found = [
            ArticleInfo(
                source,
                entry.title or _fallback_title(source),
                entry.passages,
                entry.date,
                entry.outlet,
                entry.url,
                entry.author,
            )
            for source, entry in manifest.entries.items()
        ]
    else:
        found = _from_metadata(collection, pending)
    return sorted(found, key=lambda a: a.source)


def _from_metadata(collection: Any, pending: PendingStore) -> list[ArticleInfo]:
    seen: dict[str, list[Any]] = {}  # source -> [title, passages, date, outlet, url, author]
    stored = (m for got in iter_pages(collection, ["metadatas"]) for m in got["metadatas"] or [])
    waiting = (node.metadata for node in pending.all_nodes())
    for meta in itertools.chain(stored, waiting):
        meta = meta or {}
        source = str(meta.get("source", ""))
        entry = seen.setdefault(
            source,
            [str(meta.get("title", "")), 0, *(meta.get(k) for k in _ORIGIN)],
        )
        entry[1] += 1
    return [
        ArticleInfo(source, title or _fallback_title(source), n, *origin)
        for source, (title, n, *origin) in seen.items()
    ]


_ORIGIN = ("date", "outlet", "url", "author")  # Chroma metadata keys, in ArticleInfo order


def _fallback_title(source: str) -> str:
    return PurePosixPath(source).stem.replace("_", " ").replace("-", " ")
