"""Read a JSON Lines file (batch questions, pinned evaluation sets) line by line, with errors
that name the file, the line and the fix."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError


def read_jsonl(path: Path, error: type[AssistantError], hint: str) -> Iterator[tuple[int, Any]]:
    """``(line number, decoded value)`` of every non-blank line of ``path``.

    An unreadable file, or a line that is not JSON, raises ``error`` naming the place;
    ``hint`` (e.g. "see docs/eval.md for the format") ends the message about a bad line.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or "not UTF-8"
        raise error(f"cannot read {path} ({why}); check the path.") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise error(f"{path}:{number}: not valid JSON ({exc.args[0]}); {hint}") from None
        yield number, value
