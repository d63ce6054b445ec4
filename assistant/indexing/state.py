"""The index folder's small records: ``state.json`` (what the last indexing run left) and
the lock file that keeps two writers apart."""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.errors import IndexLockedError
from assistant.ingest.files import write_atomic

STATE_FILE = "state.json"


def read_state(index_dir: Path) -> dict[str, Any] | None:
    """The small JSON record written after each successful run, or ``None``.

    A missing, unreadable or corrupted file (not JSON, not an object, a generation that is
    not a number) counts as missing: the next indexing run checks every article and
    rewrites it.
    """
    try:
        state = json.loads((index_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict):
        return None
    generation = state.get("generation", 0)
    if not isinstance(generation, int) or isinstance(generation, bool) or generation < 0:
        return None
    return state


def write_state(index_dir: Path, state: dict[str, Any]) -> None:
    """Replace ``state.json`` atomically."""
    write_atomic(index_dir / STATE_FILE, json.dumps(state, indent=1))


def content_tag(state: dict[str, Any]) -> str:
    """Names the index content of ``state``: the BM25 index saved for it carries this tag."""
    return f"{state.get('embedding_model')}@{state.get('content_generation', 0)}"


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


def state_stamp(index_dir: Path) -> tuple[int, int, int] | None:
    """``(inode, mtime_ns, size)`` of ``state.json``: it changes whenever a run rewrites the
    file (``write_state`` replaces it), so a reader re-reads the state only then."""
    try:
        found = (index_dir / STATE_FILE).stat()
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size
