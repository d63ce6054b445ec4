"""Index integrity: interrupted and concurrent runs, corrupted state, other models/schemas."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from assistant.answer.conformance import check_answer
from assistant.config import load_settings
from assistant.engine import Assistant
from assistant.errors import IndexStateError
from assistant.indexing.embeddings import make_embedding
from assistant.indexing.indexer import Indexer
from assistant.indexing.state import STATE_FILE, read_state
from assistant.indexing.store import collection_name, get_collection, make_client
from tests.reliability.helpers import (
    CLI,
    FAST_EMBEDDING,
    assert_one_line_error,
    check_integrity,
    cli_env,
    run_cli,
    write_articles,
)


def _assistant(seeds: Path, index: Path, **kw: Any) -> Assistant:
    return Assistant(
        seeds_dir=seeds, index_dir=index, backend="extractive", embedding=FAST_EMBEDDING, **kw
    )


@pytest.mark.parametrize(
    "content",
    [b"", b"{not json", b"[1, 2]", b"null", b'{"generation": "seven"}', b"\xff\xfe\x00"],
)
def test_corrupted_state_file_is_treated_as_missing(
    seeds_copy: Path, tmp_path: Path, content: bytes
) -> None:
    index = tmp_path / "index"
    bot = _assistant(seeds_copy, index)
    bot.index()
    before = check_integrity(seeds_copy, index, FAST_EMBEDDING)
    (index / STATE_FILE).write_bytes(content)
    assert read_state(index) is None
    fresh = _assistant(seeds_copy, index)
    answer = fresh.ask("When will the NATO-Russia Council meet?")
    assert not answer.refused and "July 13" in answer.text
    state = read_state(index)
    assert state is not None and state["generation"] >= 1
    assert check_integrity(seeds_copy, index, FAST_EMBEDDING) == before


def test_article_with_missing_passages_is_repaired(seeds_copy: Path, tmp_path: Path) -> None:
    """What a run killed between Chroma writes leaves: part of an article; the next run fixes."""
    index = tmp_path / "index"
    bot = _assistant(seeds_copy, index)
    bot.index()
    clean = check_integrity(seeds_copy, index, FAST_EMBEDDING)
    settings = load_settings(seeds_dir=seeds_copy, index_dir=index, embedding=FAST_EMBEDDING)
    collection: Any = get_collection(
        make_client(settings), FAST_EMBEDDING, bot.embed_model.model_name, create=False
    )
    victim = clean["000_5b2b07c4ab0d8861.txt"]
    collection.delete(ids=victim[: len(victim) // 2])
    report = bot.index()
    assert report.updated == 1 and report.unchanged == 2
    assert check_integrity(seeds_copy, index, FAST_EMBEDDING) == clean


def test_other_model_or_older_schema_is_reported_not_mixed(
    seeds_copy: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    settings = load_settings(seeds_dir=seeds_copy, index_dir=index, embedding=FAST_EMBEDDING)
    client = make_client(settings)
    client.create_collection(  # as an older version would have left it
        name=collection_name(FAST_EMBEDDING),
        metadata={"embedding_model": make_embedding(FAST_EMBEDDING).model_name, "schema": 0},
    )
    with pytest.raises(IndexStateError, match=r"schema 0.*assistant index --rebuild"):
        Indexer(settings, make_embedding(FAST_EMBEDDING)).run()
    env = {"ASSISTANT_EMBEDDING": FAST_EMBEDDING}
    for args in (("index",), ("ask", "When will NATO meet Russia?")):
        done = run_cli(*args, seeds=seeds_copy, index=index, **env)
        assert_one_line_error(done, "--rebuild")
    fixed = run_cli("index", "--rebuild", seeds=seeds_copy, index=index, **env)
    assert fixed.returncode == 0, fixed.stderr
    check_integrity(seeds_copy, index, FAST_EMBEDDING)
    with pytest.raises(IndexStateError, match="--rebuild"):
        get_collection(make_client(settings), FAST_EMBEDDING, "another-model", create=False)


# A second indexer, with its imports done, that starts when told to (so timing is tight).
_READY_INDEXER = """
import sys
import assistant.engine, assistant.cli, chromadb, llama_index.vector_stores.chroma
print("ready", flush=True)
sys.stdin.readline()
sys.exit(assistant.cli.main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_killed_and_concurrent_indexing(tmp_path: Path) -> None:
    """Run A indexes 400 articles; run B (another process) gets the lock error; A is
    SIGKILLed mid-run; the next run repairs, and the result equals a clean build."""
    seeds = write_articles(tmp_path / "seeds", 400)
    index = tmp_path / "index"
    env = cli_env(ASSISTANT_EMBEDDING=FAST_EMBEDDING)
    args = ["index", "--seeds", str(seeds), "--index", str(index)]
    second = subprocess.Popen(
        [CLI[0], "-c", _READY_INDEXER, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert second.stdout is not None and second.stdout.readline().strip() == "ready"
    first = subprocess.Popen([*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 120
        while not (index / "chroma").exists():  # created under the lock
            assert first.poll() is None and time.monotonic() < deadline, first.stderr
            time.sleep(0.02)
        out, err = second.communicate("go\n", timeout=120)
        assert first.poll() is None, "run A ended before run B reached the lock"
        done = subprocess.CompletedProcess(second.args, second.returncode, out, err)
        assert_one_line_error(done, "another process is indexing", "wait for it")
        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=30) == -signal.SIGKILL
    finally:
        for proc in (first, second):
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    again = run_cli("index", seeds=seeds, index=index, ASSISTANT_EMBEDDING=FAST_EMBEDDING)
    assert again.returncode == 0, again.stderr
    assert "indexed 400 articles, 1200 passages" in again.stdout
    repaired = check_integrity(seeds, index, FAST_EMBEDDING)

    clean_index = tmp_path / "clean"
    _assistant(seeds, clean_index).index()
    assert repaired == check_integrity(seeds, clean_index, FAST_EMBEDDING)
    answer = _assistant(seeds, index, auto_index=False).ask(
        "What did critics in district D57 argue?"
    )
    assert not answer.refused and check_answer(answer.to_dict(), seeds) == []
