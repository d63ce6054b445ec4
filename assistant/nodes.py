"""Convert between our ``Passage`` and LlamaIndex ``TextNode`` (what Chroma stores)."""

from __future__ import annotations

import json

from llama_index.core.schema import BaseNode, TextNode

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


def node_to_passage(node: BaseNode) -> Passage:
    """Rebuild the passage (with its sentence spans) from a stored node."""
    meta = node.metadata
    start = int(meta["start"])
    text = node.get_content()
    sentences = tuple(
        Sentence(s, e, text[s - start : e - start]) for s, e in json.loads(meta["sentences"])
    )
    return Passage(
        id=node.node_id,
        source=str(meta["source"]),
        title=str(meta["title"]),
        start=start,
        end=int(meta["end"]),
        text=text,
        sentences=sentences,
    )
