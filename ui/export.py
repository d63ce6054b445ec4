"""What leaves the page as text: the conversation as JSON or Markdown, the feedback log, and
the stable key that names a set of settings for Streamlit's resource cache.

Messages are ``{"role", "content"}`` dicts; an answered turn also has ``"answer"`` (an
``Answer``), a failed one ``"error"``, a stopped one ``"stopped": True``, a question asked
with the search narrowed ``"narrowing"``. Nothing here imports Streamlit.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.types import Answer


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
            record: dict[str, Any] = {
                "role": str(m.get("role", "")),
                "content": str(m.get("content", "")),
            }
            for key in ("error", "stopped", "narrowing"):
                if m.get(key):
                    record[key] = m[key]
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
        elif record.get("stopped"):
            lines += [f"**Assistant (stopped, not checked):** {record['content']}", ""]
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
