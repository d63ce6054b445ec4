"""Faults: the Chroma server going away and coming back; a model server that is not there."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistant.answer.conformance import check_answer
from assistant.engine import Assistant
from assistant.errors import StoreUnavailableError
from tests.chroma_server import ChromaServer
from tests.conftest import SEEDS, free_port
from tests.reliability.helpers import FAST_EMBEDDING, assert_one_line_error, run_cli

QUESTION = "When will the NATO-Russia Council meet?"


def test_chroma_server_not_running_is_one_clear_line(tmp_path: Path) -> None:
    port = str(free_port())
    env = {"ASSISTANT_CHROMA_HOST": "127.0.0.1", "ASSISTANT_CHROMA_PORT": port}
    for args in (("index",), ("ask", QUESTION)):
        done = run_cli(*args, seeds=SEEDS, index=tmp_path / "index", timeout=120, **env)
        assert_one_line_error(done, f"127.0.0.1:{port}", "chroma run")


@pytest.mark.slow
def test_chroma_server_down_then_restarted_mid_session(
    chroma_server: ChromaServer, tmp_path: Path
) -> None:
    bot = Assistant(
        seeds_dir=SEEDS,
        index_dir=tmp_path / "index",
        backend="extractive",
        embedding=FAST_EMBEDDING,
        chroma_host="127.0.0.1",
        chroma_port=chroma_server.port,
    )
    first = bot.ask(QUESTION)
    assert not first.refused and check_answer(first.to_dict(), SEEDS) == []

    chroma_server.stop()
    with pytest.raises(StoreUnavailableError, match="chroma run"):
        bot.ask(QUESTION)
    env = {"ASSISTANT_CHROMA_HOST": "127.0.0.1", "ASSISTANT_CHROMA_PORT": str(chroma_server.port)}
    env["ASSISTANT_EMBEDDING"] = FAST_EMBEDDING
    done = run_cli("ask", QUESTION, seeds=SEEDS, index=tmp_path / "index", **env)
    assert_one_line_error(done, "Chroma server", "chroma run")

    chroma_server.start()  # same data, same port: the session carries on
    again = bot.ask(QUESTION)
    assert again.text == first.text and again.citations == first.citations


def test_auto_backend_with_model_server_down_falls_back_visibly(
    shared_index: Path, tmp_path: Path
) -> None:
    """OPENAI_BASE_URL at a closed port: still a cited answer, a notice, bounded time."""
    import shutil

    index = tmp_path / "index"
    shutil.copytree(shared_index, index)
    url = f"http://127.0.0.1:{free_port()}/v1"
    started = time.monotonic()
    done = run_cli(
        "ask",
        QUESTION,
        "--backend",
        "auto",
        seeds=SEEDS,
        index=index,
        timeout=120,
        OPENAI_BASE_URL=url,
        ASSISTANT_TIMEOUT="5",
        ASSISTANT_MAX_RETRIES="1",
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert "July 13 [1]" in done.stdout and "Sources:" in done.stdout
    assert "extractive" in done.stderr and "failed" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert elapsed < 60, f"took {elapsed:.0f} s"
