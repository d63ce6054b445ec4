"""Validate and clean a question before it reaches retrieval or a model.

``clean_question`` removes invisible characters (zero-width, bidi marks, soft hyphens, lone
surrogates) without splitting words, turns control characters into blanks and applies NFKC
(full-width letters, ligatures). ``off_task_reason`` recognises requests that are not
questions about the articles (override the rules, leak the prompt, write a poem); the
engine refuses those before any model sees them.
"""

from __future__ import annotations

import re
import unicodedata

from assistant.errors import QuestionError

# Invisible format characters: removed, so "NA\u200bTO" stays one word.
_INVISIBLE = re.compile(
    r"[\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
    r"\ufe00-\ufe0f\ud800-\udfff]"
)
# Control characters (C0, DEL, C1) and line/paragraph separators: become blanks.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

# Requests to change the rules, reveal the instructions or produce unrelated content.
_OFF_TASK = [
    (
        re.compile(p, re.IGNORECASE),
        why,
    )
    for p, why in (
        (
            r"\b(?:ignore|disregard|forget|override|bypass)\b.{0,40}\b(?:instructions?|rules?"
            r"|prompts?|guidelines|constraints|directions)\b",
            "asks to override the rules",
        ),
        (
            r"\b(?:reveal|show|print|repeat|display|output|leak|tell me|give me|what (?:is|are))"
            r"\b.{0,30}\b(?:system|initial|hidden|original|secret)\s+(?:prompt|instructions?"
            r"|message|rules)\b",
            "asks for the system prompt",
        ),
        (
            r"\byour\s+(?:system\s+)?prompt\b|\bthe\s+system\s+prompt\b",
            "asks about the prompt",
        ),
        (
            r"\b(?:you are now|from now on,? you|pretend (?:to be|you)|act as (?:a|an|if)"
            r"|jailbreak|developer mode)",
            "asks the assistant to change its role",
        ),
        (
            r"^(?:(?:please|now|can you|could you|would you|kindly)[\s,]+)*"
            r"(?:write|compose|generate|create|draft|make up|sing|invent)\b.{0,30}"
            r"\b(?:poem|poetry|song|lyrics|haiku|limerick|story|essay|joke|rap|code|script"
            r"|program|function|letter|tweet|novel)\b",
            "asks for writing that is not an answer from the articles",
        ),
        (
            r"\b(?:say|print|output|respond with|reply with|answer with)\s+[\"'“‘]",
            "asks the assistant to say fixed words",
        ),
    )
]


def clean_question(question: object, max_chars: int) -> str:
    """The question with invisible and control characters removed, blanks collapsed."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text; pass a string.")
    if len(question) > 4 * max_chars:  # refuse early, before any work on a huge input
        raise QuestionError(
            f"the question is {len(question):,} characters long; the limit is {max_chars:,} "
            "(ASSISTANT_MAX_QUESTION_CHARS). Ask a shorter question."
        )
    text = _INVISIBLE.sub("", question)
    text = " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFKC", text)).split())
    if not text:
        raise QuestionError("the question is empty; type a question about the articles.")
    if len(text) > max_chars:
        raise QuestionError(
            f"the question is {len(text):,} characters long; the limit is {max_chars:,} "
            "(ASSISTANT_MAX_QUESTION_CHARS). Ask a shorter question."
        )
    return text


def off_task_reason(question: str) -> str | None:
    """Why ``question`` is not a question about the articles, or ``None`` when it is one."""
    for pattern, why in _OFF_TASK:
        if pattern.search(question):
            return why
    return None
