"""Check an answer object (``Answer.to_dict()``, ``assistant ask --json``) against its contract.

Used by the tests and by ``assistant eval``: fields and types, refused answers carry no
citations, every quote is the exact article text at ``[start:end]``, markers ↔ citations.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from assistant.answer.contract import marker_numbers

ANSWER_KEYS = ("id", "question", "answer", "refused", "citations", "backend", "timings")
CITATION_KEYS = (
    *("n", "source", "title", "passage_id", "start", "end", "quote"),
    *("url", "outlet", "published", "author"),
)


def read_raw(seeds_dir: Path, source: str) -> str | None:
    """The raw text of ``source`` if it is a file inside ``seeds_dir``, else ``None``."""
    relative = PurePosixPath(source)
    if relative.is_absolute() or ".." in relative.parts:
        return None
    path = (seeds_dir / relative).resolve()
    if not path.is_relative_to(seeds_dir.resolve()) or not path.is_file():
        return None
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def check_answer(obj: dict[str, Any], seeds_dir: Path) -> list[str]:
    """Every way ``obj`` breaks the contract; an empty list when it keeps it."""
    problems: list[str] = []
    if tuple(obj) != ANSWER_KEYS:
        problems.append(f"keys are {list(obj)}, expected {list(ANSWER_KEYS)}")
    if not isinstance(obj.get("answer"), str) or not isinstance(obj.get("refused"), bool):
        return [*problems, "answer must be a string and refused a boolean"]
    citations = obj.get("citations")
    if not isinstance(citations, list):
        return [*problems, "citations must be a list"]
    if obj["refused"] and citations:
        problems.append("a refused answer carries citations")
    if not obj["refused"] and not citations:
        problems.append("an answer that is not refused has no citation")
    markers = set(marker_numbers(obj["answer"]))
    numbers = []
    for citation in citations:
        if not isinstance(citation, dict) or tuple(citation) != CITATION_KEYS:
            problems.append(f"citation keys wrong: {citation!r}")
            continue
        n = citation["n"]
        numbers.append(n)
        raw = read_raw(seeds_dir, str(citation["source"]))
        if raw is None:
            problems.append(f"[{n}] source {citation['source']!r} is not a seeds file")
            continue
        start, end = citation["start"], citation["end"]
        if not (0 <= start < end <= len(raw)) or raw[start:end] != citation["quote"]:
            problems.append(f"[{n}] quote is not the text at {citation['source']}:{start}-{end}")
        if n not in markers:
            problems.append(f"[{n}] is listed but not used in the answer")
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(f"citations are numbered {numbers}, expected 1..{len(numbers)}")
    for missing in sorted(markers - set(numbers)):
        problems.append(f"marker [{missing}] has no citation")
    return problems
