"""Fixtures for the UI tests: a private copy of the seeds and of the shared index, and the
environment variables that point the Streamlit app at them."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # so tests can `import ui.helpers`
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def index_copy(shared_index: Path, tmp_path: Path) -> Path:
    """A writable copy of the session's index (no re-embedding of the seed articles)."""
    target = tmp_path / "index"
    shutil.copytree(shared_index, target, ignore=shutil.ignore_patterns(".lock"))
    return target


@pytest.fixture
def app_env(seeds_copy: Path, index_copy: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Point the app at tmp seeds/index with the extractive backend; returns the paths."""
    feedback = index_copy / "feedback.jsonl"
    monkeypatch.setenv("ASSISTANT_SEEDS_DIR", str(seeds_copy))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(index_copy))
    monkeypatch.setenv("ASSISTANT_BACKEND", "extractive")
    monkeypatch.setenv("ASSISTANT_FEEDBACK_FILE", str(feedback))
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    return {"seeds": seeds_copy, "index": index_copy, "feedback": feedback}
