"""Incremental BM25 from the token store, the dirty mark of an interrupted run, and the
article listing read from the manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import assistant.indexing.bm25 as sparse_module
from assistant.engine import Assistant
from assistant.indexing.bm25 import SparseIndex, bm25_dir, saved_tag
from assistant.indexing.indexer import Indexer
from assistant.indexing.manifest import manifest_path
from assistant.indexing.state import content_tag, read_state
from assistant.indexing.tokens import TokenStore
from assistant.types import ArticleInfo
from tests.test_scale_index import NAME, _article, _collection, _setup

QUERIES = ["harbour budget", "lighthouse committee", "zeppelin plan residents", "town 17"]


def _scores(index: SparseIndex, query: str) -> dict[str, float]:
    return dict(index.search(query, k=len(index)))


def _assert_same(saved: SparseIndex, fresh: SparseIndex) -> None:
    assert sorted(saved.ids) == sorted(fresh.ids)
    assert saved.df == fresh.df
    for query in QUERIES:
        a, b = _scores(saved, query), _scores(fresh, query)
        assert a.keys() == b.keys(), query
        assert np.allclose([a[k] for k in sorted(a)], [b[k] for k in sorted(a)]), query


def _saved(index: Path) -> SparseIndex:
    state = read_state(index)
    assert state is not None
    loaded = SparseIndex.load(bm25_dir(index, NAME), content_tag(state), state["passages"])
    assert loaded is not None, "the saved BM25 index matches the state"
    return loaded


def test_incremental_update_matches_a_full_rebuild_without_reading_chroma(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    indexer, _, seeds, index = _setup(tmp_path, 30)
    indexer.run()
    (seeds / "2021/01/a0001.txt").write_text(_article(1, "lighthouse"), encoding="utf-8")
    (seeds / "2022/02/a0002.txt").write_text(_article(2, "zeppelin") + "More.\n", "utf-8")
    (seeds / "2020/03/a0003.txt").unlink()
    (seeds / "new.txt").write_text(_article(99, "zeppelin"), encoding="utf-8")

    def no_full_read(*_: Any, **__: Any) -> Any:
        raise AssertionError("an incremental run read every passage back from Chroma")

    monkeypatch.setattr(sparse_module, "iter_stored", no_full_read)
    report = indexer.run()
    assert (report.updated, report.added, report.removed) == (2, 1, 1)
    monkeypatch.undo()
    _assert_same(_saved(index), SparseIndex.build(_collection(seeds, index)))
    hits = {pid.partition("#")[0] for pid in _scores(_saved(index), "zeppelin")}
    assert hits == {"2022/02/a0002", "new"}


def test_interrupted_run_marks_bm25_dirty_and_the_next_run_repairs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    indexer, _, seeds, index = _setup(tmp_path, 6)
    indexer.run()
    generation = (read_state(index) or {})["content_generation"]
    (seeds / "2021/01/a0001.txt").write_text(_article(1, "zeppelin"), encoding="utf-8")

    def crash(*_: Any, **__: Any) -> Any:
        raise RuntimeError("killed after writing to Chroma")

    with monkeypatch.context() as patch:
        patch.setattr(Indexer, "_finish", crash)
        with pytest.raises(RuntimeError):
            indexer.run()
    assert saved_tag(bm25_dir(index, NAME)) is None, "BM25 is behind Chroma: marked dirty"
    reader = Assistant(
        seeds_dir=seeds,
        index_dir=index,
        embedding="wordllama",
        backend="extractive",
        auto_index=False,
    )
    retriever = reader.searcher.retriever
    assert {h.node.metadata["source"] for h in retriever.bm25("zeppelin")} == {
        "2021/01/a0001.txt"
    }, "a reader builds BM25 from Chroma instead of using the stale copy"

    indexer.run()
    state = read_state(index) or {}
    assert state["content_generation"] > generation
    _assert_same(_saved(index), SparseIndex.build(_collection(seeds, index)))
    assert TokenStore.load(bm25_dir(index, NAME)) is not None


def test_token_store_round_trip_drop_and_renumber(tmp_path: Path) -> None:
    store = TokenStore.from_passages(
        [
            ("a#0", "a.txt", "Ferry", "The ferry service starts in May."),
            ("a#1", "a.txt", "Ferry", "Tickets cost four pounds."),
            ("b#0", "b.txt", "Zeppelin", "A zeppelin flew over the harbour."),
        ]
    )
    store.drop_sources(["b.txt"])
    assert len(store) == 2
    store.add([("c#0", "c.txt", "Bridge", "The bridge reopened.")])
    folder = tmp_path / "t"
    folder.mkdir()
    store.save(folder)
    again = TokenStore.load(folder)
    assert again is not None and again.passage_ids() == ["a#0", "a#1", "c#0"]
    rows, vocab = again.bm25_rows()
    assert len(rows) == 3
    assert "zeppelin" not in vocab and "zeppelin" not in again.document_frequencies()
    assert again.document_frequencies()["ferri"] == 2
    assert sorted(vocab.values()) == list(range(len(vocab))), "ids renumbered densely"
    (folder / "tokens.npz").write_bytes(b"not numpy")
    assert TokenStore.load(folder) is None


def test_articles_are_listed_from_the_manifest_or_the_metadata(tmp_path: Path) -> None:
    _, _, seeds, index = _setup(tmp_path, 3)
    (seeds / "undated_note.txt").write_text("No date here\n\nJust text. More.\n", "utf-8")
    assistant = Assistant(
        seeds_dir=seeds, index_dir=index, embedding="wordllama", backend="extractive"
    )
    listed = assistant.articles()
    assert listed[0] == ArticleInfo("2020/00/a0000.txt", "Report 0 on harbour", 3, "2021-03-01")
    assert listed[-1] == ArticleInfo("undated_note.txt", "No date here", 1, None)
    assert len(listed) == 4
    manifest_path(index, NAME).unlink()  # e.g. a Chroma server indexed from another machine
    assert assistant.articles() == listed


def test_numpy_bm25_scores_equal_bm25s_own_index() -> None:
    import bm25s

    from assistant.indexing.bm25 import bm25_from_rows
    from assistant.indexing.tokens import bm25_document, tokenize

    passages = [
        (f"a{i}#{j}", f"a{i}.txt", f"Report {i} on {topic}", _article(i, topic).split("\n\n")[j])
        for i, topic in enumerate(["harbour", "ferry", "zeppelin", "harbour", "budget"] * 8)
        for j in range(4)
    ]
    store = TokenStore.from_passages(passages)
    ours = bm25_from_rows(*store.bm25_rows())
    theirs = bm25s.BM25()
    theirs.index(tokenize([bm25_document(t, x) for _, _, t, x in passages]), show_progress=False)
    for query in [*QUERIES, "report 3 ferry ferry", "nothing-known"]:
        tokens = tokenize([query])[0]
        a = ours.get_scores_from_ids(ours.get_tokens_ids(tokens))
        b = theirs.get_scores(tokens)
        assert np.allclose(a, b, rtol=1e-5), query
