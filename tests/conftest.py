"""Shared fixtures: a copy of the seed articles and one index built from them per session."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
for _var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
    os.environ.pop(_var, None)  # tests choose their backend explicitly
# `auto` would pick the embedded model when it is installed; tests that want `auto` say so.
os.environ["ASSISTANT_BACKEND"] = "extractive"

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
