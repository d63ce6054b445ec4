"""Snapshots of a backend's answers to a pinned set, so a change in any answer shows as a diff."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from assistant.types import Answer


def snapshot_path(questions: Path, backend: str) -> Path:
    """``<set folder>/snapshots/<backend family>.jsonl`` (``local:qwen`` → ``local``) for the
    set named ``questions.jsonl``, ``<set name>.<backend family>.jsonl`` for any other set."""
    family = backend.split(":")[0]
    name = family if questions.stem == "questions" else f"{questions.stem}.{family}"
    return questions.parent / "snapshots" / f"{name}.jsonl"


def snapshot_record(answer: Answer) -> dict[str, Any]:
    """The answer's JSON without timings (they change every run), in contract key order."""
    record = answer.to_dict()
    del record["timings"]
    return record


def write_snapshot(path: Path, answers: Iterable[Answer]) -> int:
    """Write one record a line; returns how many."""
    lines = [json.dumps(snapshot_record(a), ensure_ascii=False) for a in answers]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def read_snapshot(path: Path) -> dict[str, dict[str, Any]]:
    """Snapshot records by id."""
    lines = path.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    return {str(r["id"]): r for r in records}


def snapshot_diff(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> str:
    """A unified diff of the records that differ, pretty-printed, by id; "" when equal."""
    chunks: list[str] = []
    for key in sorted(set(expected) | set(actual)):
        if expected.get(key) == actual.get(key):
            continue
        old = _pretty(expected.get(key))
        new = _pretty(actual.get(key))
        chunks.extend(
            difflib.unified_diff(old, new, f"snapshot/{key}", f"current/{key}", lineterm="")
        )
    return "\n".join(chunks)


def _pretty(record: Any) -> list[str]:
    if record is None:
        return []
    return json.dumps(record, ensure_ascii=False, indent=1).splitlines()
