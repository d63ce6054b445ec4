"""The indexer's manifest: what each article file looked like when its passages were stored.

``index_dir/manifest-<collection>.json`` maps ``source -> {size, mtime_ns, sha256, passages,
title, date, outlet, url, author}``.
A file whose size and modification time still match is skipped without being read; when
they differ the file is hashed, and only a changed hash costs embedding work. The manifest
is a cache, never the truth: the indexer checks it against Chroma's passage count and falls
back to reading the stored metadata when the two disagree (a crash, a hand edit, a lost file).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

MANIFEST_VERSION = 1


@dataclass(frozen=True)
class FileEntry:
    """One article file as indexed."""

    size: int
    mtime_ns: int
    sha256: str
    passages: int
    title: str = ""  # for listing the articles (older manifests lack it)
    date: str | None = None
    outlet: str | None = None
    url: str | None = None
    author: str | None = None

    def as_json(self) -> dict[str, int | str | None]:
        return {
            "size": self.size,
            "mtime_ns": self.mtime_ns,
            "sha256": self.sha256,
            "passages": self.passages,
            "title": self.title,
            "date": self.date,
            "outlet": self.outlet,
            "url": self.url,
            "author": self.author,
        }

    def same_file(self, stat: os.stat_result) -> bool:
        """Does ``stat`` describe the file exactly as it was indexed (no read needed)?"""
        return self.size == stat.st_size and self.mtime_ns == stat.st_mtime_ns


def manifest_path(index_dir: Path, collection: str) -> Path:
    return index_dir / f"manifest-{collection}.json"


class Manifest:
    """``source -> FileEntry``, loaded from and saved (atomically) to one JSON file."""

    def __init__(self, path: Path, entries: dict[str, FileEntry] | None = None) -> None:
        self.path = path
        self.entries: dict[str, FileEntry] = entries or {}
        self._saved_at = 0.0
        self._save_cost = 0.0  # seconds the last save took

    @classmethod
    def load(cls, path: Path) -> Manifest | None:
        """The manifest at ``path``; ``None`` when missing, unreadable or of another version."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != MANIFEST_VERSION:
                return None
            entries = {src: FileEntry(**fields) for src, fields in data["files"].items()}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None
        return cls(path, entries)

    def total_passages(self) -> int:
        return sum(e.passages for e in self.entries.values())

    def save(self) -> None:
        """Write atomically: a reader sees the old manifest or the new one, never a mix."""
        started = time.monotonic()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        files = {src: e.as_json() for src, e in self.entries.items()}
        data = json.dumps({"version": MANIFEST_VERSION, "files": files}, separators=(",", ":"))
        tmp.write_text(data, encoding="utf-8")
        os.replace(tmp, self.path)
        self._saved_at = time.monotonic()
        self._save_cost = self._saved_at - started

    def save_every(self, seconds: float) -> None:
        """Save unless the last save was less than ``seconds`` ago, or less than ten times
        as long ago as it took (so saving costs at most ~10 % of a run on big archives:
        rewriting 50k entries after every small batch would dominate the run)."""
        if time.monotonic() - self._saved_at >= max(seconds, 10 * self._save_cost):
            self.save()
