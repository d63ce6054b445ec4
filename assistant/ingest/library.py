"""The article files of the seeds folder as ``assistant add`` sees them: the links (keys) each
one holds, its size in words and its MinHash signature, to find the same URL or the same
story again. Cached in the index folder by file size and modification time, so a later add
reads only the files that changed."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import SeedsError
from assistant.ingest.articles import read_article, scan_seeds
from assistant.ingest.dedup import NearDuplicates, Signature, signature
from assistant.ingest.files import write_atomic
from assistant.ingest.frontmatter import split_front_matter
from assistant.types import Article

CACHE_VERSION = 1


@dataclass(frozen=True)
class Known:
    """One article file: the keys it answers to, its word count and signature."""

    size: int
    mtime_ns: int
    keys: tuple[str, ...]
    words: int
    sig: Signature

    def as_json(self) -> dict[str, Any]:
        packed = base64.b64encode(self.sig.astype("<u8").tobytes()).decode("ascii")
        return {
            "size": self.size,
            "mtime_ns": self.mtime_ns,
            "keys": list(self.keys),
            "words": self.words,
            "sig": packed,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Known:
        sig = np.frombuffer(base64.b64decode(data["sig"]), dtype="<u8").astype(np.uint64)
        keys = tuple(str(k) for k in data["keys"])
        return cls(int(data["size"]), int(data["mtime_ns"]), keys, int(data["words"]), sig)


def article_keys(article: Article) -> tuple[str, ...]:
    """Every link (or outlet|date|title key) an article file stands for, its copies' too."""
    fields = split_front_matter(article.raw).fields
    keys = [
        article_key(fields.get("url"), fields.get("outlet"), article.meta.published, article.title)
    ]
    for copy in fields.get("also") or []:
        if isinstance(copy, dict):
            keys.append(
                article_key(
                    copy.get("url"),
                    copy.get("outlet"),
                    copy.get("published"),
                    copy.get("title", article.title),
                )
            )
    return tuple(dict.fromkeys(keys))


def article_key(url: object, outlet: object, published: object, title: object) -> str:
    """The same key ``Extracted.key`` gives: the link, else outlet|date|title."""
    if isinstance(url, str) and url:
        return url
    return f"{outlet or ''}|{published or ''}|{title or ''}"


def body_text(article: Article) -> str:
    return "\n".join(article.raw[s.start : s.end] for s in article.content_spans)


class Library:
    """``source -> Known`` for the seeds folder, with lookups by key and by similarity."""

    def __init__(self, seeds_dir: Path, cache: Path) -> None:
        self.seeds_dir = seeds_dir
        self.cache = cache
        self.known: dict[str, Known] = {}

    @classmethod
    def open(cls, seeds_dir: Path, cache: Path) -> Library:
        library = cls(seeds_dir, cache)
        cached = _load(cache)
        files, _ = scan_seeds(seeds_dir) if seeds_dir.is_dir() else ([], [])
        for path in files:
            source = path.relative_to(seeds_dir).as_posix()
            stat = path.stat()
            old = cached.get(source)
            if old is not None and (old.size, old.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
                library.known[source] = old
                continue
            try:
                library.note(source, read_article(path, seeds_dir))
            except SeedsError:
                continue  # the indexer reports unreadable files
        return library

    def note(self, source: str, article: Article, sig: Signature | None = None) -> None:
        """Record (or refresh) what the article file at ``source`` holds (``sig``: its
        signature, when the caller has it)."""
        stat = (self.seeds_dir / source).stat()
        text = body_text(article)
        self.known[source] = Known(
            stat.st_size,
            stat.st_mtime_ns,
            article_keys(article),
            len(text.split()),
            signature(text) if sig is None else sig,
        )

    def by_key(self) -> dict[str, str]:
        return {key: source for source, known in self.known.items() for key in known.keys}

    def near_duplicates(self) -> NearDuplicates:
        found = NearDuplicates()
        for source, known in self.known.items():
            found.add(source, known.sig)
        return found

    def save(self) -> None:
        files = {source: known.as_json() for source, known in self.known.items()}
        write_atomic(self.cache, json.dumps({"version": CACHE_VERSION, "files": files}))


def _load(path: Path) -> dict[str, Known]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != CACHE_VERSION:
            return {}
        return {source: Known.from_json(item) for source, item in data["files"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}
