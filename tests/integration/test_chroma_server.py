"""The index in a real Chroma server (``chroma run``) on a free loopback port."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.engine import Assistant
from assistant.errors import StoreUnavailableError
from tests.chroma_server import ChromaServer

QUESTION = "When will the NATO-Russia Council meet?"


def _assistant(seeds: Path, index: Path, url: str) -> Assistant:
    return Assistant(seeds_dir=seeds, index_dir=index, chroma_url=url, backend="extractive")


@pytest.mark.slow  # ~6 s on an idle machine, up to a minute with the cores busy
def test_index_ask_restart_and_down(
    chroma_server: ChromaServer, seeds_copy: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    assistant = _assistant(seeds_copy, index, chroma_server.url)
    report = assistant.index()
    assert (report.added, report.passages) == (3, 21)
    assert not (index / "chroma").exists(), "vectors live in the server, not the folder"
    assert (index / "state.json").exists() and list(index.glob("manifest-*.json"))
    answer = assistant.ask(QUESTION)
    assert not answer.refused and "July 13" in answer.text
    assert answer.citations[0].source == "004_3b952a9fea412592.txt"

    chroma_server.stop()
    with pytest.raises(StoreUnavailableError, match="Chroma server"):
        assistant.ask(QUESTION)  # the open assistant: its dense query cannot connect
    with pytest.raises(StoreUnavailableError, match=r"chroma run --path DIR --host 127\.0\.0\.1"):
        _assistant(seeds_copy, index, chroma_server.url).ask(QUESTION)

    chroma_server.start()  # same path, same port: the data survives
    again = assistant.ask(QUESTION)  # the same assistant reconnects
    assert not again.refused and again.citations[0].passage_id == answer.citations[0].passage_id
    fresh = _assistant(seeds_copy, index, chroma_server.url)
    assert fresh.index().unchanged == 3, "nothing re-embedded after the restart"
    assert fresh.ask(QUESTION).citations == answer.citations
