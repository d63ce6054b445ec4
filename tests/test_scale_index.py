"""Indexing at scale: batches across articles, the manifest, persisted BM25, filters, dates."""

from __future__ import annotations

import itertools
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from assistant.config import load_settings
from assistant.engine import Assistant
from assistant.errors import ConfigError
from assistant.indexing.bm25 import bm25_dir, saved_tag
from assistant.indexing.embeddings import WordLlamaEmbedding
from assistant.indexing.indexer import BATCH_PASSAGES, Indexer
from assistant.indexing.manifest import Manifest, manifest_path
from assistant.indexing.state import content_tag, read_state
from assistant.indexing.store import collection_name, get_collection, make_client
from assistant.ingest.dates import article_date
from assistant.types import Passage, Sentence

NAME = collection_name("wordllama")


class CallCounter(WordLlamaEmbedding):
    """The fast offline embedding, counting embedding calls and texts."""

    calls: int = 0
    texts: int = 0

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        self.texts += len(texts)
        return super()._get_text_embeddings(texts)


def _article(i: int, topic: str) -> str:
    return (
        f"Report {i} on {topic}\n\nMarch {i % 27 + 1}, 2021\n\n"
        f"The {topic} committee met in town number {i}. It discussed the {topic} budget.\n\n"
        f"Officials said the {topic} plan would start next year. Residents asked questions.\n"
    )


def _archive(root: Path, n: int) -> Path:
    for i in range(n):
        folder = root / f"{2020 + i % 3}" / f"{i % 5:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"a{i:04d}.txt").write_text(_article(i, "harbour"), encoding="utf-8")
    return root


def _setup(tmp_path: Path, n: int) -> tuple[Indexer, CallCounter, Path, Path]:
    seeds, index = _archive(tmp_path / "seeds", n), tmp_path / "index"
    settings = load_settings(seeds_dir=seeds, index_dir=index, embedding="wordllama")
    embed = CallCounter(embed_batch_size=BATCH_PASSAGES)
    return Indexer(settings, embed), embed, seeds, index


def _collection(seeds: Path, index: Path) -> Any:
    settings = load_settings(seeds_dir=seeds, index_dir=index, embedding="wordllama")
    return get_collection(make_client(settings), "wordllama", CallCounter().model_name, False)


def test_batches_span_articles_and_manifest_skips_unread_files(tmp_path: Path) -> None:
    indexer, embed, seeds, index = _setup(tmp_path, 80)
    first = indexer.run()
    assert (first.articles, first.added, first.hashed) == (80, 80, 80)
    assert embed.texts == first.embedded == first.passages == 240
    assert embed.calls == 1, "240 passages of 80 articles are one embedding call"
    entries = Manifest.load(manifest_path(index, NAME))
    assert entries is not None and entries.total_passages() == 240
    assert entries.entries["2020/00/a0000.txt"].passages == 3

    again = indexer.run()
    assert (again.unchanged, again.hashed, again.embedded) == (80, 0, 0), "no file read"

    touched = seeds / "2021/01/a0001.txt"
    os.utime(touched, ns=(1, 1))  # new mtime, same content: hashed, not embedded
    changed = seeds / "2022/02/a0002.txt"
    changed.write_text(_article(2, "lighthouse"), encoding="utf-8")
    (seeds / "2020/03/a0003.txt").unlink()
    update = indexer.run()
    assert (update.hashed, update.updated, update.removed, update.embedded) == (2, 1, 1, 3)
    assert update.passages == 237 == _collection(seeds, index).count()


def test_crash_leftovers_and_lost_manifest_are_repaired(tmp_path: Path) -> None:
    indexer, embed, seeds, index = _setup(tmp_path, 6)
    indexer.run()
    collection = _collection(seeds, index)
    # A crashed run left a stray passage of a0001 behind (e.g. an old, longer version).
    collection.add(
        ids=["2021/01/a0001#9"],
        documents=["stray"],
        embeddings=[[0.1] * 256],
        metadatas=[{"source": "2021/01/a0001.txt", "sha256": "old"}],
    )
    repaired = indexer.run()
    assert repaired.updated == 1 and repaired.embedded == 3, "manifest disagreed: re-hashed"
    assert "2021/01/a0001#9" not in collection.get()["ids"], "leftover deleted by source"

    manifest_path(index, NAME).unlink()
    embedded = embed.texts
    rebuilt = indexer.run()
    assert (rebuilt.unchanged, rebuilt.hashed) == (6, 6) and embed.texts == embedded
    assert manifest_path(index, NAME).exists()


def test_bm25_is_persisted_and_follows_changes(tmp_path: Path) -> None:
    _, _, seeds, index = _setup(tmp_path, 4)
    assistant = Assistant(
        seeds_dir=seeds, index_dir=index, embedding="wordllama", backend="extractive"
    )
    assistant.index()
    state = read_state(index)
    assert state is not None
    assert saved_tag(bm25_dir(index, NAME)) == (content_tag(state), 12)

    def bm25_sources(query: str) -> set[str]:
        retriever = assistant.searcher.retriever
        assert retriever.sparse.tag == content_tag(read_state(index) or {}), "loaded, not built"
        return {h.node.metadata["source"] for h in retriever.bm25(query)}

    assert bm25_sources("zeppelin") == set()
    (seeds / "new.txt").write_text(_article(7, "zeppelin"), encoding="utf-8")
    assistant.index()
    assert bm25_sources("zeppelin") == {"new.txt"}
    (seeds / "new.txt").write_text(_article(7, "submarine"), encoding="utf-8")
    assistant.index()
    assert bm25_sources("zeppelin") == set() and bm25_sources("submarine") == {"new.txt"}
    (seeds / "new.txt").unlink()
    assistant.index()
    assert bm25_sources("submarine") == set()
    before = content_tag(read_state(index) or {})
    assistant.index()  # nothing changed: same content tag, BM25 not rebuilt
    assert content_tag(read_state(index) or {}) == before


def test_dates_are_stored_when_present(tmp_path: Path) -> None:
    indexer, _, seeds, index = _setup(tmp_path, 2)
    (seeds / "undated.txt").write_text("No date here\n\nJust text. More text.\n", "utf-8")
    indexer.run()
    got = _collection(seeds, index).get(include=["metadatas"])
    dates = {m["source"]: m.get("date") for m in got["metadatas"]}
    assert dates["2020/00/a0000.txt"] == "2021-03-01" and dates["undated.txt"] is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Title\n2016-07-08 10:00\nBody.", "2016-07-08"),
        ("Title\nBy Ann Lee, July 8, 2016\nBody.", "2016-07-08"),
        ("Title\nSept. 3 2019\nBody", "2019-09-03"),
        ("Title\n2016-02-31\nBody", None),
        ("Title\nMay we ask 12, 2000 questions?", None),
        ("", None),
        ("T\n\na\n\nb\n\nc\n\nd\n\nlater: July 8, 2016", None),
    ],
)
def test_article_date(text: str, expected: str | None) -> None:
    assert article_date(text) == expected


def test_filter_by_source_refuses_or_answers_from_allowed(assistant: Assistant) -> None:
    question = "When will the NATO-Russia Council meet?"
    gold = "004_3b952a9fea412592.txt"
    allowed = assistant.ask(question, sources=[gold])
    assert not allowed.refused and {c.source for c in allowed.citations} == {gold}
    other = "002_cb8aedb33379926a.txt"
    blocked = assistant.ask(question, sources=[other])
    assert blocked.refused or {c.source for c in blocked.citations} == {other}
    assert all(c.source != gold for c in blocked.citations)
    hits = assistant.searcher.retriever.retrieve(question, sources=[other])
    assert hits and {h.passage.source for h in hits} == {other}
    assert assistant.searcher.retriever.retrieve(question, sources=[]) == []


def test_chroma_url_setting() -> None:
    settings = load_settings(chroma_url="http://127.0.0.1:8123")
    assert settings.chroma_server() == ("127.0.0.1", 8123, False)
    assert load_settings(chroma_host="db", chroma_port=9).chroma_server() == ("db", 9, False)
    assert load_settings().chroma_server() is None or os.environ.get("ASSISTANT_CHROMA_HOST")
    with pytest.raises(ConfigError, match="chroma_url"):
        load_settings(chroma_url="127.0.0.1:8000")


def test_manifest_file_is_json(tmp_path: Path) -> None:
    indexer, _, _, index = _setup(tmp_path, 1)
    indexer.run()
    data = json.loads(manifest_path(index, NAME).read_text("utf-8"))
    assert data["files"]["2020/00/a0000.txt"]["passages"] == 3


def test_lazy_corpus_stats_match_the_full_ones(assistant: Assistant) -> None:
    """Document frequencies saved with BM25, and neighbours fetched per query, equal what
    reading every passage gives."""
    from assistant.text import document_terms

    searcher = assistant.searcher
    retriever, lazy = searcher.retriever, searcher.selector.stats
    every = list(retriever.iter_passages())
    df: Counter[str] = Counter()
    for passage in every:
        df.update(document_terms(passage.title, passage.text))
    assert lazy.df == df and lazy.n == len(every)
    by_source: dict[str, list[tuple[Sentence, Passage]]] = {}
    for passage in every:
        by_source.setdefault(passage.source, []).extend((s, passage) for s in passage.sentences)
    previous, following, passage_of = {}, {}, {}
    for source, items in by_source.items():
        items.sort(key=lambda item: item[0].start)
        for (before, _), (after, _) in itertools.pairwise(items):
            previous[(source, after.start)] = before
            following[(source, before.start)] = after
        passage_of.update({(source, s.start): p for s, p in items})
    found = searcher.search("What did Stoltenberg say about the NATO-Russia Council?")
    assert found.hits
    for hit in found.hits:
        for s in hit.passage.sentences:
            key = (hit.passage.source, s.start)
            assert lazy.previous.get(key) == previous.get(key)
            assert lazy.following.get(key) == following.get(key)
            assert lazy.passage_of[key] == passage_of[key]
