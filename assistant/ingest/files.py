"""Writing article files and caches: atomically, and only when the article changed."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) so a reader sees the old file or the new one, never a
    part, even with other processes writing it too; no temporary file is left on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


def _without_fetched(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("fetched: ")]


def write_article(path: Path, text: str) -> bool:
    """Write an article file unless it already says the same, its fetch time aside (so an
    unchanged page keeps its file, its modification time and its index entry)."""
    if path.is_file() and _without_fetched(path.read_text(encoding="utf-8")) == (
        _without_fetched(text)
    ):
        return False
    write_atomic(path, text)
    return True
