"""Convert between our ``Passage`` and LlamaIndex ``TextNode`` (what Chroma stores)."""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from llama_index.core.schema import BaseNode, TextNode

from assistant.errors import IndexStateError
from assistant.ingest.articles import is_hidden
from assistant.types import ArticleMeta, Passage, Sentence

_HIDDEN_KEYS = ["source", "start", "end", "sentences", "sha256"]
# ArticleMeta field -> metadata key ("date" for the publication date, as older indexes have)
_META_KEYS = {"url": "url", "outlet": "outlet", "published": "date", "author": "author"}


def passage_to_node(passage: Passage, sha256: str) -> TextNode:
    """A node whose embedded/BM25 text is the title plus the passage text; the article's
    metadata (link, outlet, date, author) is stored beside it, never embedded."""
    known = {key: getattr(passage.meta, field) for field, key in _META_KEYS.items()}
    extra = {key: value for key, value in known.items() if value is not None}
    hidden = [*_HIDDEN_KEYS, *extra]
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
            **extra,
        },
        excluded_embed_metadata_keys=list(hidden),
        excluded_llm_metadata_keys=list(hidden),
    )


def _article_meta(meta: dict[str, Any]) -> ArticleMeta:
    found = {field: meta.get(key) for field, key in _META_KEYS.items()}
    return ArticleMeta(**{k: str(v) for k, v in found.items() if v is not None})


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
    if is_hidden(path.parts):
        return None  # hidden files are never indexed (``.articles/`` holds extracted ones)
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
        meta=_article_meta(meta),
    )
