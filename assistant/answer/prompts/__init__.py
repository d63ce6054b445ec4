"""The prompts (``*.md`` files beside this module) and the one builder of model messages.

Each file is a system part, a ``===== user =====`` line, then the user template. The system
part is a fixed instruction prefix, byte-identical in every request, so a server (or the
in-process llama.cpp) reuses its KV cache; the evidence, history and question follow as
delimited data that can never override the rules. ``answer.md`` serves any chat model,
``answer_local.md`` the small embedded one, ``condense.md`` rewrites follow-ups.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources

from assistant.answer.contract import REFUSAL, strip_markers
from assistant.errors import BackendError
from assistant.types import Evidence

SPLIT = "===== user ====="
MAX_HISTORY_MESSAGES = 6
MAX_HISTORY_CHARS = 400
_DELIMITERS = re.compile(r"</?\s*(?:evidence|question|conversation)\s*>", re.IGNORECASE)

Messages = list[dict[str, str]]


@cache
def load_prompt(name: str) -> tuple[str, str]:
    """``(system, user template)`` of ``<name>.md`` in this package."""
    text = (resources.files(__name__) / f"{name}.md").read_text("utf-8")
    system, sep, user = text.partition(SPLIT)
    if not sep:
        raise BackendError(f"prompt {name}.md lacks the {SPLIT!r} line; reinstall the package.")
    return system.strip().replace("{refusal}", REFUSAL), user.strip()


def as_data(text: str) -> str:
    """One line of untrusted text with our delimiter tags removed, safe inside the prompt."""
    return " ".join(_DELIMITERS.sub(" ", text).split())


def _messages(prompt: str, **fields: str) -> Messages:
    system, user = load_prompt(prompt)
    for name, value in fields.items():
        user = user.replace("{" + name + "}", value)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def evidence_line(item: Evidence) -> str:
    """One numbered evidence sentence with the article it is from: ``[n] (Title, date) text``."""
    source = as_data(item.passage.title)
    if item.passage.meta.published:
        source = f"{source}, {item.passage.meta.published}"
    return f"[{item.n}] ({source}) {as_data(item.sentence.text)}"


def answer_messages(
    question: str, evidence: Sequence[Evidence], prompt: str = "answer"
) -> Messages:
    """The chat messages for one question: the fixed system prefix, then evidence (each
    sentence with its article's title and date) and question."""
    lines = "\n".join(evidence_line(e) for e in evidence)
    return _messages(prompt, evidence=lines, question=as_data(question))


def condense_messages(history: Sequence[Mapping[str, str]], question: str) -> Messages:
    """The chat messages asking the model to rewrite ``question`` as a standalone question."""
    turns = []
    for message in list(history)[-MAX_HISTORY_MESSAGES:]:
        who = "User" if message.get("role") == "user" else "Assistant"
        said = as_data(strip_markers(str(message.get("content", "")), ""))[:MAX_HISTORY_CHARS]
        turns.append(f"{who}: {said}")
    return _messages("condense", history="\n".join(turns), question=as_data(question))
