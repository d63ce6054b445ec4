"""Convert between our ``Passage`` and LlamaIndex ``TextNode`` (what Chroma stores)."""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from llama_index.core.schema import BaseNode, TextNode

from assistant.errors import IndexStateError
from assistant.types import Passage, Sentence

_HIDDEN_KEYS = ["source", "start", "end", "sentences", "sha256"]


def passage_to_node(passage: Passage, sha256: str) -> TextNode:
    """A node whose embedded/BM25 text is the title plus the passage text."""
    return TextNode(
        id_=passage.id,
        text=passage.text,
        metadata={
            "title": passage.title,
            "source": passage.source,
            "start": passage.start,
            "end": passage.end,
            "sentences": json.dumps([[s.start, s.end] for s in passage.sentences]),
            "sha256": sha256,
        },
        excluded_embed_metadata_keys=list(_HIDDEN_KEYS),
        excluded_llm_metadata_keys=list(_HIDDEN_KEYS),
    )


def safe_source(source: object) -> str | None:
    """``source`` if it is a plain relative path inside the seeds folder, else ``None``.

    Citations are built from stored sources, so a row saying ``../etc/passwd``, ``/abs``,
    or holding control characters must never become one.
    """
    if not isinstance(source, str) or not source:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in source):
        return None
    path = PurePosixPath(source)
    if path.is_absolute() or any(part in ("", ".", "..") for part in source.split("/")):
        return None
    if any(part.startswith(".") for part in path.parts):
        return None  # hidden files are never indexed
    return source


def _bad_row(node_id: str, why: str) -> IndexStateError:
    return IndexStateError(
        f"the index holds an invalid passage {node_id[:80]!r} ({why}); it was not written by "
        "this version or was altered: run `assistant index --rebuild`."
    )


def node_to_passage(node: BaseNode) -> Passage:
    """Rebuild the passage (with its sentence spans) from a stored node, validating it.

    Raises ``IndexStateError`` for a row whose source is not a path inside the seeds
    folder, whose id does not belong to that source, or whose offsets do not fit its text.
    """
    meta: dict[str, Any] = node.metadata
    node_id = str(node.node_id)
    source = safe_source(meta.get("source"))
    if source is None:
        shown = str(meta.get("source"))[:80]
        raise _bad_row(node_id, f"source {shown!r} is not a file inside the seeds folder")
    stem = str(PurePosixPath(source).with_suffix(""))
    prefix, _, number = node_id.rpartition("#")
    if prefix != stem or not number.isdigit():
        raise _bad_row(node_id, f"id does not match source {source!r}")
    text = node.get_content()
    try:
        start, end = int(meta["start"]), int(meta["end"])
        spans = [(int(s), int(e)) for s, e in json.loads(meta["sentences"])]
    except (KeyError, TypeError, ValueError):
        raise _bad_row(node_id, "offsets missing or malformed") from None
    if start < 0 or end - start != len(text) or not spans:
        raise _bad_row(node_id, "offsets do not fit the text")
    if any(not (start <= s < e <= end) for s, e in spans):
        raise _bad_row(node_id, "sentence offsets fall outside the passage")
    sentences = tuple(Sentence(s, e, text[s - start : e - start]) for s, e in spans)
    return Passage(
        id=node_id,
        source=source,
        title=str(meta.get("title", "")),
        start=start,
        end=end,
        text=text,
        sentences=sentences,
    )
