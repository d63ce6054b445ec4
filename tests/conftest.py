"""Shared fixtures: a copy of the seed articles and one index built from them per session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chroma_server import CHROMA, ChromaServer, ChromaServerError, free_port

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
for _var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
    os.environ.pop(_var, None)  # tests choose their backend explicitly
# `auto` would pick the embedded model when it is installed; tests that want `auto` say so.
os.environ["ASSISTANT_BACKEND"] = "extractive"

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
__all__ = ["free_port"]  # tests import it from here


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    """A running ``chroma run`` on a free loopback port (data in tmp), stopped afterwards."""
    if not CHROMA.exists():
        pytest.skip(f"the chroma command is not installed at {CHROMA}")
    server = ChromaServer(tmp_path / "chroma-server")
    try:
        server.start()
    except ChromaServerError as error:
        pytest.fail(str(error))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A writable copy of the repository's seed articles."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture(scope="session")
def shared_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the repository's seeds, built once per test session (read-only use)."""
    from assistant.engine import Assistant

    index_dir = tmp_path_factory.mktemp("index")
    Assistant(seeds_dir=SEEDS, index_dir=index_dir, backend="extractive").index()
    return index_dir


@pytest.fixture(scope="session")
def assistant(shared_index: Path) -> Iterator[object]:
    """An extractive ``Assistant`` over the shared index (do not modify its seeds)."""
    from assistant.engine import Assistant

    yield Assistant(seeds_dir=SEEDS, index_dir=shared_index, backend="extractive")
