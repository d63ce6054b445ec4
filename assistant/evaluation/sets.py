"""Pinned question sets: read and validate a JSONL file (format in docs/eval.md); a bad line
raises ``EvalSetError`` naming ``file:line`` and the fix."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.errors import EvalSetError
from assistant.evaluation.metrics import Groups, PinnedItem, PinnedPart
from assistant.jsonl import read_jsonl

HINT = "see docs/eval.md for the format."
KEYS = frozenset(
    {"id", "question", "answerable", "keywords", "sources", "quote"}
    | {"split", "category", "turns", "forbid", "parts", "note"}
)
PART_KEYS = frozenset({"ask", "answerable", "keywords", "sources"})
SPLITS = ("dev", "test")
CATEGORIES = (
    "paraphrase",
    "two_part",
    "two_article",
    "not_stated",
    "entity_swap",
    "false_premise",
    "role_swap",
    "follow_up",
)


def _fail(path: Path, number: int, why: str) -> EvalSetError:
    return EvalSetError(f"{path}:{number}: {why}; {HINT}")


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def _keyword_groups(data: dict[str, Any], fail: Callable[[str], EvalSetError]) -> Groups:
    raw_groups = data.get("keywords", [])
    if not isinstance(raw_groups, list):
        raise fail('"keywords" must be a list of lists of alternatives')
    groups = [[g] if isinstance(g, str) else g for g in raw_groups]
    if not all(_strings(g) and g for g in groups):
        raise fail('"keywords" must be a list of lists of non-empty strings')
    return tuple(tuple(g) for g in groups)


def _answer_spec(
    data: dict[str, Any], fail: Callable[[str], EvalSetError]
) -> tuple[bool, Groups, tuple[str, ...]]:
    """``answerable``, keyword groups and sources of an item or of one of its parts."""
    answerable = data.get("answerable")
    if not isinstance(answerable, bool):
        raise fail('needs "answerable": true or false')
    groups = _keyword_groups(data, fail)
    sources = data.get("sources", [])
    if not _strings(sources):
        raise fail('"sources" must be a list of article file names')
    if answerable and not (groups and sources):
        raise fail('an answerable item needs "keywords" and "sources"')
    return answerable, groups, tuple(sources)


def _parts(data: dict[str, Any], fail: Callable[[str], EvalSetError]) -> tuple[PinnedPart, ...]:
    raw = data.get("parts", [])
    if not isinstance(raw, list) or any(not isinstance(p, dict) for p in raw):
        raise fail('"parts" must be a list of objects')
    parts = []
    for part in raw:
        unknown = sorted(set(part) - PART_KEYS)
        if unknown:
            raise fail(f"unknown part field(s) {unknown}; allowed: {sorted(PART_KEYS)}")
        ask = part.get("ask")
        if not isinstance(ask, str) or not ask.strip():
            raise fail('each part needs an "ask" string')
        answerable, groups, sources = _answer_spec(part, fail)
        parts.append(PinnedPart(ask, answerable, groups, sources))
    return tuple(parts)


def _optional_text(data: dict[str, Any], key: str, fail: Callable[[str], EvalSetError]) -> Any:
    value = data.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise fail(f'"{key}" must be a non-empty string')
    return value


def parse_item(data: Any, path: Path, number: int) -> PinnedItem:
    """One validated item from a decoded JSON line."""

    def fail(why: str) -> EvalSetError:
        return _fail(path, number, why)

    if not isinstance(data, dict):
        raise fail("each line must be a JSON object")
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise fail(f"unknown field(s) {unknown}; allowed: {sorted(KEYS)}")
    question = data.get("question")
    if not isinstance(question, str) or not question.strip():
        raise fail('needs a non-empty "question" string')
    answerable, groups, sources = _answer_spec(data, fail)
    quote = _optional_text(data, "quote", fail)
    split = data.get("split")
    if split is not None and split not in SPLITS:
        raise fail(f'"split" must be one of {list(SPLITS)}')
    category = _optional_text(data, "category", fail)
    if category is not None and category not in CATEGORIES:
        raise fail(f'"category" must be one of {list(CATEGORIES)}')
    turns, forbid = data.get("turns", []), data.get("forbid", [])
    if not _strings(turns):
        raise fail('"turns" must be a list of the earlier questions')
    if not _strings(forbid):
        raise fail('"forbid" must be a list of strings')
    _optional_text(data, "note", fail)
    raw_id = data.get("id", f"line{number}")
    if not isinstance(raw_id, str | int):
        raise fail('"id" must be a string')
    return PinnedItem(
        id=str(raw_id),
        question=question,
        answerable=answerable,
        keywords=groups,
        sources=sources,
        quote=quote,
        line=number,
        split=split,
        category=category,
        turns=tuple(turns),
        forbid=tuple(forbid),
        parts=_parts(data, fail),
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


def select_items(
    items: Sequence[PinnedItem], split: str | None, categories: Sequence[str] | None
) -> list[PinnedItem]:
    """The items of ``split`` (all when ``None``) in ``categories`` (all when empty)."""
    chosen = [
        item
        for item in items
        if (split is None or item.split == split)
        and (not categories or item.category in categories)
    ]
    if not chosen:
        raise EvalSetError(
            f"no item is in split {split!r} and categories {list(categories or [])}; "
            "check --split and --category against the set."
        )
    return chosen
