"""The articles folder as the chat sees it: reading a cited article, saving an upload.

Nothing here imports Streamlit. Paths from citations are checked to stay inside the seeds
folder; uploads get a safe name, are checked for being UTF-8 text and are written under a
hidden temporary name first, so a half-written article is never indexed.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

from assistant.ingest.articles import ARTICLE_SUFFIXES

MAX_UPLOAD_BYTES = 2_000_000

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class UploadRejected(ValueError):
    """An uploaded file cannot be used as an article; the message says why and what to do."""


def read_article_text(seeds_dir: Path, source: str) -> str:
    """The raw text of ``seeds_dir / source``; refuses paths that leave ``seeds_dir``."""
    root = seeds_dir.resolve()
    path = (seeds_dir / source).resolve()
    if not path.is_relative_to(root) or path == root:
        raise ValueError(f"{source!r} is not inside the articles folder")
    with open(path, encoding="utf-8") as handle:  # universal newlines, as offsets assume
        return handle.read()


def safe_upload_name(name: str) -> str:
    """A plain file name for an upload: no folders, no dots in front, ASCII, .txt or .md."""
    base = re.split(r"[\\/]", name)[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    suffix = "." + suffix.lower()
    if suffix not in ARTICLE_SUFFIXES:
        raise UploadRejected(f"{name!r} is not a .txt or .md file; upload plain-text articles.")
    stem = _UNSAFE_NAME.sub("_", stem).strip("._-")[:80] or "article"
    return stem + suffix


def check_upload(name: str, data: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """The decoded text of an upload, or ``UploadRejected`` saying what is wrong with it."""
    if len(data) > max_bytes:
        raise UploadRejected(
            f"{name!r} is {len(data):,} bytes, over the {max_bytes:,}-byte limit; "
            "split it into separate articles."
        )
    if b"\x00" in data:
        raise UploadRejected(f"{name!r} looks like a binary file; upload a plain-text article.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadRejected(
            f"{name!r} is not UTF-8 text; re-save it as UTF-8 and upload it again."
        ) from None
    if not text.strip():
        raise UploadRejected(f"{name!r} is empty; upload an article with some text.")
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
    if controls > max(2, len(text) // 100):
        raise UploadRejected(f"{name!r} looks like a binary file; upload a plain-text article.")
    return text


def save_upload(seeds_dir: Path, name: str, data: bytes) -> Path:
    """Check an upload and write it into ``seeds_dir`` under a safe, unused name.

    The file is written to a hidden temporary name first (the indexer skips hidden files)
    and renamed into place, so a half-written article is never indexed. Re-uploading the
    same bytes under the same name returns the existing file.
    """
    filename = safe_upload_name(name)
    check_upload(name, data)
    seeds_dir.mkdir(parents=True, exist_ok=True)
    stem, suffix = filename.rsplit(".", 1)
    target = seeds_dir / filename
    n = 1
    while target.exists():
        if target.is_file() and target.read_bytes() == data:
            return target
        n += 1
        target = seeds_dir / f"{stem}-{n}.{suffix}"
    fd, tmp = tempfile.mkstemp(prefix=".upload-", suffix=".tmp", dir=seeds_dir)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def add_article(assistant: Any, name: str, data: bytes) -> tuple[bool, str]:
    """Save an uploaded article into the seeds folder and index it incrementally.

    Returns ``(ok, message)``. A file the checks or the indexer reject is deleted again, so
    a bad upload never lingers in the seeds folder. ``assistant`` is an ``Assistant``.
    """
    seeds_dir = Path(assistant.settings.seeds_dir)
    try:
        path = save_upload(seeds_dir, name, data)
    except UploadRejected as exc:
        return False, str(exc)
    source = path.relative_to(seeds_dir).as_posix()
    try:
        report = assistant.index()
    except Exception:
        path.unlink(missing_ok=True)
        raise
    why = dict(report.skipped).get(source)
    if why is not None:
        path.unlink(missing_ok=True)
        return False, f"{name!r} was rejected: {why}"
    return True, f"added {source}; {report.summary()}"
