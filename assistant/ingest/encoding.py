"""Bytes of a page or export as text: the declared charset, else UTF-8, else detection.

A page whose encoding cannot be told (an unknown charset name and no confident guess) is
refused with a one-line reason rather than indexed as mojibake.
"""

from __future__ import annotations

import codecs
import re

from assistant.errors import SeedsError

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
MAX_REPLACEMENTS = 0.01  # share of characters that may fail to decode


def _known(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def decode_page(data: bytes, declared: str | None = None) -> str:
    """``data`` as text; ``SeedsError`` when no encoding fits it."""
    meta = _META_CHARSET.search(data[:4096])
    for name in (declared, meta.group(1).decode("ascii", "ignore") if meta else None, "utf-8"):
        codec = _known(name)
        if codec is None:
            continue
        text = data.decode(codec, errors="replace")
        if text.count("\ufffd") <= MAX_REPLACEMENTS * max(len(text), 1):
            return text.removeprefix("\ufeff")
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is None or best.encoding is None:
        raise SeedsError("the text encoding cannot be told; save the page as UTF-8")
    return str(best).removeprefix("\ufeff")
