"""Pure helpers for the Streamlit chat: safe Markdown, highlighting, uploads, export, feedback.

Nothing here imports Streamlit, so every function is unit-tested on its own. Text that comes
from articles or from a model is always passed through ``escape_markdown`` before Streamlit
renders it: every ASCII punctuation character gets a backslash (CommonMark allows that for
all of them), so no heading, link, image, HTML tag, LaTeX or ``:color[...]`` directive can be
smuggled in. Highlights use Streamlit's own ``:orange-background[...]`` directive around
already-escaped text.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import string
import tempfile
import time
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from assistant.answer.contract import MARKER
from assistant.config import Settings
from assistant.ingest.articles import ARTICLE_SUFFIXES
from assistant.types import Answer, ArticleInfo

MAX_UPLOAD_BYTES = 2_000_000
ARTICLES_SHOWN = 50  # sidebar rows; the filter box finds the rest
HIGHLIGHT = "orange-background"

_PUNCTUATION = frozenset(string.punctuation)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class UploadRejected(ValueError):
    """An uploaded file cannot be used as an article; the message says why and what to do."""


# --- Markdown ------------------------------------------------------------------------------
def _escape_chars(text: str) -> str:
    return "".join("\\" + ch if ch in _PUNCTUATION else ch for ch in text)


def _hard_lines(markdown: str) -> str:
    """Trim each line (indentation never becomes a code block) and keep line breaks."""
    lines = markdown.replace("\r", "").split("\n")
    return "  \n".join(line.lstrip(" \t\u00a0").rstrip() for line in lines)


def escape_markdown(text: str) -> str:
    """``text`` as Markdown that Streamlit shows literally, line breaks kept.

    Every ASCII punctuation character is backslash-escaped; each line is trimmed on the left
    (so indentation never becomes a code block) and ends in a hard line break.
    """
    return _hard_lines(_escape_chars(text))


def answer_markdown(text: str, anchor: str) -> str:
    """Answer text escaped, with each ``[n]`` marker turned into a link to ``#anchor``."""
    out: list[str] = []
    pos = 0
    for match in MARKER.finditer(text):
        out.append(_escape_chars(text[pos : match.start()]))
        out.append(f"[\\[{match.group(1)}\\]](#{anchor})")
        pos = match.end()
    out.append(_escape_chars(text[pos:]))
    return _hard_lines("".join(out))


def sources_anchor(turn: int) -> str:
    """The id Streamlit gives the heading ``sources_heading(turn)`` (its text, kebab-cased)."""
    return f"sources-for-answer-{turn}"


def sources_heading(turn: int) -> str:
    """A small Markdown heading over an answer's sources; markers link to it."""
    return f"###### Sources for answer {turn}"


def highlight_markdown(raw: str, start: int, end: int, color: str = HIGHLIGHT) -> str:
    """The article ``raw`` as escaped Markdown with ``raw[start:end]`` highlighted.

    The highlight is applied line by line, so a span that crosses a line break stays inside
    one directive per line and never swallows a paragraph break.
    """
    if not 0 <= start <= end <= len(raw):
        raise ValueError(f"span {start}-{end} is outside the article ({len(raw)} characters)")
    pieces = []
    for part in raw[start:end].split("\n"):
        core = part.strip()
        if not core:
            pieces.append(part)
            continue
        lead, trail = part[: len(part) - len(part.lstrip())], part[len(part.rstrip()) :]
        pieces.append(f"{lead}:{color}[{_escape_chars(core)}]{trail}")
    middle = "\n".join(pieces)
    return _hard_lines(_escape_chars(raw[:start]) + middle + _escape_chars(raw[end:]))


def context_window(raw: str, start: int, end: int, paragraphs: int = 1) -> tuple[int, int]:
    """A ``[from, to)`` range around the span: its paragraph and ``paragraphs`` either side.

    Paragraphs are separated by blank lines; the range always contains ``raw[start:end]``.
    """
    breaks = [m.span() for m in re.finditer(r"\n[ \t\u00a0]*\n\s*", raw)]
    before = [b_end for _b_start, b_end in breaks if b_end <= start]
    after = [b_start for b_start, _b_end in breaks if b_start >= end]
    lo = before[-1 - paragraphs] if len(before) > paragraphs else 0
    hi = after[paragraphs] if len(after) > paragraphs else len(raw)
    return lo, hi


def highlight_in_context(raw: str, start: int, end: int, paragraphs: int = 1) -> str:
    """``highlight_markdown`` of the span's neighbourhood, with … where text is left out."""
    lo, hi = context_window(raw, start, end, paragraphs)
    body = highlight_markdown(raw[lo:hi], start - lo, end - lo)
    return ("…  \n" if lo > 0 else "") + body + ("  \n…" if hi < len(raw) else "")


def read_article_text(seeds_dir: Path, source: str) -> str:
    """The raw text of ``seeds_dir / source``; refuses paths that leave ``seeds_dir``."""
    root = seeds_dir.resolve()
    path = (seeds_dir / source).resolve()
    if not path.is_relative_to(root) or path == root:
        raise ValueError(f"{source!r} is not inside the articles folder")
    with open(path, encoding="utf-8") as handle:  # universal newlines, as offsets assume
        return handle.read()


def filter_articles(
    articles: Sequence[ArticleInfo], query: str, limit: int = ARTICLES_SHOWN
) -> tuple[list[ArticleInfo], int]:
    """The first ``limit`` articles whose title or source contains every word of ``query``
    (any case), and how many match in all; a big archive is never rendered whole."""
    words = query.lower().split()
    found = [a for a in articles if all(w in f"{a.title} {a.source}".lower() for w in words)]
    return found[:limit], len(found)


# --- uploads -------------------------------------------------------------------------------
def safe_upload_name(name: str) -> str:
    """A plain file name for an upload: no folders, no dots in front, ASCII, .txt or .md."""
    base = re.split(r"[\\/]", name)[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    suffix = "." + suffix.lower()
    if suffix not in ARTICLE_SUFFIXES:
        raise UploadRejected(f"{name!r} is not a .txt or .md file; upload plain-text articles.")
    stem = _UNSAFE_NAME.sub("_", stem).strip("._-")[:80] or "article"
    return stem + suffix


def check_upload(name: str, data: bytes, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """The decoded text of an upload, or ``UploadRejected`` saying what is wrong with it."""
    if len(data) > max_bytes:
        raise UploadRejected(
            f"{name!r} is {len(data):,} bytes, over the {max_bytes:,}-byte limit; "
            "split it into separate articles."
        )
    if b"\x00" in data:
        raise UploadRejected(f"{name!r} looks like a binary file; upload a plain-text article.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadRejected(
            f"{name!r} is not UTF-8 text; re-save it as UTF-8 and upload it again."
        ) from None
    if not text.strip():
        raise UploadRejected(f"{name!r} is empty; upload an article with some text.")
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
    if controls > max(2, len(text) // 100):
        raise UploadRejected(f"{name!r} looks like a binary file; upload a plain-text article.")
    return text


def save_upload(seeds_dir: Path, name: str, data: bytes) -> Path:
    """Check an upload and write it into ``seeds_dir`` under a safe, unused name.

    The file is written to a hidden temporary name first (the indexer skips hidden files)
    and renamed into place, so a half-written article is never indexed. Re-uploading the
    same bytes under the same name returns the existing file.
    """
    filename = safe_upload_name(name)
    check_upload(name, data)
    seeds_dir.mkdir(parents=True, exist_ok=True)
    stem, suffix = filename.rsplit(".", 1)
    target = seeds_dir / filename
    n = 1
    while target.exists():
        if target.is_file() and target.read_bytes() == data:
            return target
        n += 1
        target = seeds_dir / f"{stem}-{n}.{suffix}"
    fd, tmp = tempfile.mkstemp(prefix=".upload-", suffix=".tmp", dir=seeds_dir)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def add_article(assistant: Any, name: str, data: bytes) -> tuple[bool, str]:
    """Save an uploaded article into the seeds folder and index it incrementally.

    Returns ``(ok, message)``. A file the checks or the indexer reject is deleted again, so
    a bad upload never lingers in the seeds folder. ``assistant`` is an ``Assistant``.
    """
    seeds_dir = Path(assistant.settings.seeds_dir)
    try:
        path = save_upload(seeds_dir, name, data)
    except UploadRejected as exc:
        return False, str(exc)
    source = path.relative_to(seeds_dir).as_posix()
    try:
        report = assistant.index()
    except Exception:
        path.unlink(missing_ok=True)
        raise
    why = dict(report.skipped).get(source)
    if why is not None:
        path.unlink(missing_ok=True)
        return False, f"{name!r} was rejected: {why}"
    return True, f"added {source}; {report.summary()}"


# --- settings, export, feedback --------------------------------------------------------------
def settings_key(settings: Settings) -> str:
    """A stable string naming these settings (secrets hashed), for ``st.cache_resource``."""
    data = settings.model_dump(mode="json")
    secret = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    data["openai_api_key"] = hashlib.sha256(secret.encode()).hexdigest()[:16] if secret else None
    return json.dumps(data, sort_keys=True, default=str)


def conversation_records(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The chat history as JSON-ready dicts: user turns, and answers in the Answer shape."""
    records: list[dict[str, Any]] = []
    for m in messages:
        answer = m.get("answer")
        if isinstance(answer, Answer):
            records.append({"role": "assistant", **answer.to_dict()})
        else:
            record = {"role": str(m.get("role", "")), "content": str(m.get("content", ""))}
            if m.get("error"):
                record["error"] = str(m["error"])
            records.append(record)
    return records


def conversation_json(messages: Sequence[Mapping[str, Any]]) -> str:
    """The conversation, citations included, as pretty JSON."""
    return json.dumps({"messages": conversation_records(messages)}, ensure_ascii=False, indent=2)


def conversation_markdown(messages: Sequence[Mapping[str, Any]]) -> str:
    """The conversation as a Markdown document, each answer followed by its sources."""
    lines = ["# Conversation with the news assistant", ""]
    for record in conversation_records(messages):
        if record["role"] == "user":
            lines += [f"**You:** {record['content']}", ""]
        elif "answer" in record:
            label = " (the articles do not answer this)" if record["refused"] else ""
            lines += [f"**Assistant{label}:** {record['answer']}", ""]
            for c in record["citations"]:
                quote = " ".join(c["quote"].split())
                lines.append(
                    f"- [{c['n']}] {c['title']} — `{c['source']}` "
                    f"chars {c['start']}–{c['end']}: > {quote}"
                )
            if record["citations"]:
                lines.append("")
        else:
            lines += [f"**Assistant (error):** {record.get('error') or record['content']}", ""]
    return "\n".join(lines).rstrip() + "\n"


def feedback_record(answer: Answer, score: int, history: Sequence[str] = ()) -> dict[str, Any]:
    """One line of the feedback log: thumbs (1 up, 0 down), the answer and its citations."""
    return {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "rating": "up" if score else "down",
        "score": int(score),
        "history": list(history),
        **answer.to_dict(),
    }


def append_feedback(path: Path, record: Mapping[str, Any]) -> None:
    """Append one JSON object as a line to ``path`` (created with its folder if missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line)
