"""The extractive backend's answers to the pinned set must not change unnoticed.

When a change is intended, record the new answers and review the diff before committing:
``assistant eval --backend extractive --update`` then ``git diff tests/regression/snapshots``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assistant import Answer
from assistant.evaluation import (
    load_set,
    read_snapshot,
    snapshot_diff,
    snapshot_path,
    snapshot_record,
)

PINNED = Path(__file__).with_name("questions.jsonl")


def test_extractive_answers_match_the_snapshot(
    pinned_answer: Callable[[str, str], Answer],
) -> None:
    path = snapshot_path(PINNED, "extractive")
    assert path.is_file(), f"no snapshot at {path}; run `assistant eval --update`"
    expected = read_snapshot(path)
    actual = {
        item.id: snapshot_record(pinned_answer(item.id, item.question)) for item in load_set(PINNED)
    }
    diff = snapshot_diff(expected, actual)
    assert not diff, (
        "answers changed vs the snapshot (if intended: `assistant eval --backend extractive "
        f"--update`, then review `git diff {path.relative_to(PINNED.parent.parent.parent)}`)"
        f":\n{diff}"
    )
