"""Pinned question sets: read and validate a JSONL file (format in docs/eval.md); a bad line
raises ``EvalSetError`` naming ``file:line`` and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.errors import EvalSetError
from assistant.evaluation.metrics import PinnedItem
from assistant.jsonl import read_jsonl

HINT = "see docs/eval.md for the format."
KEYS = frozenset({"id", "question", "answerable", "keywords", "sources", "quote"})


def _fail(path: Path, number: int, why: str) -> EvalSetError:
    return EvalSetError(f"{path}:{number}: {why}; {HINT}")


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def parse_item(data: Any, path: Path, number: int) -> PinnedItem:
    """One validated item from a decoded JSON line."""
    if not isinstance(data, dict):
        raise _fail(path, number, "each line must be a JSON object")
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise _fail(path, number, f"unknown field(s) {unknown}; allowed: {sorted(KEYS)}")
    question = data.get("question")
    if not isinstance(question, str) or not question.strip():
        raise _fail(path, number, 'needs a non-empty "question" string')
    answerable = data.get("answerable")
    if not isinstance(answerable, bool):
        raise _fail(path, number, 'needs "answerable": true or false')
    raw_groups = data.get("keywords", [])
    if not isinstance(raw_groups, list):
        raise _fail(path, number, '"keywords" must be a list of lists of alternatives')
    groups = [[g] if isinstance(g, str) else g for g in raw_groups]
    if not all(_strings(g) and g for g in groups):
        raise _fail(path, number, '"keywords" must be a list of lists of non-empty strings')
    sources = data.get("sources", [])
    if not _strings(sources):
        raise _fail(path, number, '"sources" must be a list of article file names')
    if answerable and not (groups and sources):
        raise _fail(path, number, 'an answerable item needs "keywords" and "sources"')
    quote = data.get("quote")
    if quote is not None and (not isinstance(quote, str) or not quote.strip()):
        raise _fail(path, number, '"quote" must be a non-empty string')
    raw_id = data.get("id", f"line{number}")
    if not isinstance(raw_id, str | int):
        raise _fail(path, number, '"id" must be a string')
    return PinnedItem(
        id=str(raw_id),
        question=question,
        answerable=answerable,
        keywords=tuple(tuple(g) for g in groups),
        sources=tuple(sources),
        quote=quote,
        line=number,
    )


def load_set(path: Path) -> list[PinnedItem]:
    """Every item of a JSONL pinned set; blank lines are skipped, ids must be unique."""
    items: list[PinnedItem] = []
    seen: dict[str, int] = {}
    for number, data in read_jsonl(path, EvalSetError, HINT):
        item = parse_item(data, path, number)
        if item.id in seen:
            raise _fail(path, number, f"id {item.id!r} already used on line {seen[item.id]}")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise EvalSetError(f"{path} has no questions; add JSONL lines (see docs/eval.md).")
    return items
