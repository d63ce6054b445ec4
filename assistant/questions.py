"""Validate and clean a question before it reaches retrieval or a model."""

from __future__ import annotations

import re
import unicodedata

from assistant.errors import QuestionError

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")


def clean_question(question: object, max_chars: int) -> str:
    """The question with control characters removed and blanks collapsed, or a QuestionError."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text; pass a string.")
    text = " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", question)).split())
    if not text:
        raise QuestionError("the question is empty; type a question about the articles.")
    if len(text) > max_chars:
        raise QuestionError(
            f"the question is {len(text):,} characters long; the limit is {max_chars:,} "
            "(ASSISTANT_MAX_QUESTION_CHARS). Ask a shorter question."
        )
    return text
