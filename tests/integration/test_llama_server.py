"""The openai backend against a real OpenAI-compatible server: llama.cpp's own HTTP server,
run by the default runtime (xllamacpp, ``tests/xllamacpp_server.py``) in a process of its own,
serving the local model on 127.0.0.1 (skipped with the install command when absent: a
failure under ``CI=true``)."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Answer, Assistant
from assistant.answer.conformance import check_answer
from assistant.answer.uncited import ALIGNED_NOTICE
from tests.conftest import ROOT, SEEDS, free_port, installed_model

pytestmark = pytest.mark.slow

QUESTIONS = [
    ("When will the NATO-Russia Council meet?", "004_3b952a9fea412592.txt"),
    ("Where are missile defense sites being established?", "002_cb8aedb33379926a.txt"),
    ("Which Israeli intelligence service cooperates with the CIA?", "000_5b2b07c4ab0d8861.txt"),
]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a llama.cpp server started for this module and stopped after it."""
    pytest.importorskip("xllamacpp", reason='the xllamacpp runtime: pip install -e ".[local]"')
    gguf = installed_model()
    port = free_port()
    command = [sys.executable, "-m", "tests.xllamacpp_server", str(gguf), str(port), "local-qwen"]
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    # a file, not a pipe: llama.cpp logs a lot and would block on a full pipe
    handle = open(log, "wb")  # noqa: SIM115 - closed in the finally below
    server = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/models", timeout=2).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    tail = log.read_text(errors="replace")[-2000:]
                    pytest.fail(f"the xllamacpp server did not start: {tail}")
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        handle.close()


@pytest.fixture(scope="module")
def answers(llama_server: str, shared_index: Path) -> list[tuple[list[str | Answer], str]]:
    """The streamed items for each question, through the openai backend."""
    assistant = Assistant(
        seeds_dir=SEEDS,
        index_dir=shared_index,
        backend="openai",
        OPENAI_BASE_URL=llama_server,
        model="local-qwen",
        timeout=120,
    )
    found = [(list(assistant.stream(q)), source) for q, source in QUESTIONS]
    found.append((list(assistant.stream("Who won the 2018 FIFA World Cup?")), ""))
    return found


def test_openai_backend_streams_grounded_or_refused_answers(
    answers: list[tuple[list[str | Answer], str]],
) -> None:
    for items, source in answers:
        answer = items[-1]
        assert isinstance(answer, Answer)
        assert any(isinstance(i, str) and i for i in items[:-1]), "tokens were streamed"
        assert answer.backend == "openai:local-qwen"
        assert check_answer(answer.to_dict(), SEEDS) == []  # grounded, or an honest refusal
        if not answer.refused:
            assert answer.citations[0].source == source
    assert answers[-1][0][-1].refused  # type: ignore[union-attr]


def test_small_model_answers_come_back_cited(
    answers: list[tuple[list[str | Answer], str]],
) -> None:
    """The 1.5B model answers correctly but writes no [n] markers; the openai backend then
    cites its sentences by alignment (``assistant/backends/uncited.py``) and says so."""
    finals = [a for items, _ in answers[:-1] if isinstance(a := items[-1], Answer)]
    cited = [a for a in finals if not a.refused]
    assert len(cited) * 2 >= len(finals), [(a.question, a.notices) for a in finals]
    assert any(ALIGNED_NOTICE in a.notices for a in cited), "cited by alignment, with a notice"
