"""The index in a real Chroma server (``chroma run``) on a free loopback port."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.engine import Assistant
from assistant.errors import StoreUnavailableError
from tests.conftest import free_port

CHROMA = Path(sys.executable).with_name("chroma")
QUESTION = "When will the NATO-Russia Council meet?"


class ChromaServer:
    """``chroma run --path DIR`` on 127.0.0.1, started and stopped by the test."""

    def __init__(self, path: Path, port: int) -> None:
        self.path, self.port = path, port
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        cmd = [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1"]
        self.proc = subprocess.Popen(
            [*cmd, "--port", str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                pytest.fail(f"chroma run exited with {self.proc.returncode}: {err[-500:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        pytest.fail(f"the Chroma server did not answer its heartbeat within {timeout} s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ChromaServer]:
    if not CHROMA.exists():
        pytest.skip(f"the chroma command is not installed at {CHROMA}")
    chroma = ChromaServer(tmp_path / "chroma-server", free_port())
    chroma.start()
    yield chroma
    chroma.stop()


def _assistant(seeds: Path, index: Path, url: str) -> Assistant:
    return Assistant(seeds_dir=seeds, index_dir=index, chroma_url=url, backend="extractive")


@pytest.mark.slow  # ~6 s on an idle machine, up to a minute with the cores busy
def test_index_ask_restart_and_down(server: ChromaServer, seeds_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    assistant = _assistant(seeds_copy, index, server.url)
    report = assistant.index()
    assert (report.added, report.passages) == (3, 21)
    assert not (index / "chroma").exists(), "vectors live in the server, not the folder"
    assert (index / "state.json").exists() and list(index.glob("manifest-*.json"))
    answer = assistant.ask(QUESTION)
    assert not answer.refused and "July 13" in answer.text
    assert answer.citations[0].source == "004_3b952a9fea412592.txt"

    server.stop()
    with pytest.raises(StoreUnavailableError, match="Chroma server"):
        assistant.ask(QUESTION)  # the open assistant: its dense query cannot connect
    with pytest.raises(StoreUnavailableError, match=r"chroma run --path DIR --host 127\.0\.0\.1"):
        _assistant(seeds_copy, index, server.url).ask(QUESTION)

    server.start()  # same path, same port: the data survives
    again = assistant.ask(QUESTION)  # the same assistant reconnects
    assert not again.refused and again.citations[0].passage_id == answer.citations[0].passage_id
    fresh = _assistant(seeds_copy, index, server.url)
    assert fresh.index().unchanged == 3, "nothing re-embedded after the restart"
    assert fresh.ask(QUESTION).citations == answer.citations
