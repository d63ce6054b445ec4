"""Rewrite a follow-up ("and when will it meet?") into a standalone question from the chat.

When the answer backend can rewrite (``Backend.condense`` returns text: a model backend,
with ``prompts/condense.md``) the model does; otherwise a deterministic heuristic does: it puts the
previous question's subject in place of a pronoun, swaps the subject for "what about X?",
or else adds the previous question's content words. Questions that do not look like
follow-ups are left alone, so a model is only asked when it is likely to help.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from assistant.text import STOPWORDS, content_terms, stem, words

if TYPE_CHECKING:
    from assistant.answer.backends.base import Backend

_LEAD = re.compile(r"^\s*(?:and|but|also|so|then|ok(?:ay)?|well)\b[\s,]*", re.IGNORECASE)
_WHAT_ABOUT = re.compile(
    r"^\s*(?:and\s+|but\s+)?(?:what|how)\s+about\s+(?P<subject>.+?)[\s?.!]*$", re.IGNORECASE
)
_PRONOUN = re.compile(
    r"\b(?P<p>it|they|them|he|him|she|this|these|those|its|their|his|her)\b", re.IGNORECASE
)
_POSSESSIVE = {"its", "their", "his", "her"}
_FOLLOW_WORDS = {"it", "its", "they", "them", "their", "he", "him", "his", "she", "her"}
_FOLLOW_WORDS |= {"this", "these", "those", "there", "such", "same", "else", "other"}
_NAME = re.compile(r"[A-Z0-9][\w.'’&-]*(?:\s+(?:of\s+(?:the\s+)?)?[A-Z0-9][\w.'’&-]*)*")
SHORT_TERMS = 1  # a question with this few content words leans on the one before it
MAX_REWRITE_CHARS = 400


def looks_like_follow_up(question: str) -> bool:
    """Does the question lean on earlier turns (pronouns, "and ...", "what about", very short)?"""
    if _LEAD.match(question) or _WHAT_ABOUT.match(question):
        return True
    if any(w in _FOLLOW_WORDS for w in words(question)):
        return True
    return len(content_terms(question)) <= SHORT_TERMS


def _names(question: str) -> list[str]:
    """Capitalised phrases (names) of a question, without leading question words."""
    found = []
    for match in _NAME.finditer(question):
        tokens = match.group(0).split()
        while tokens and tokens[0].lower() in STOPWORDS:
            tokens.pop(0)
        if tokens:
            found.append(" ".join(tokens))
    return found


def heuristic_rewrite(previous: str, question: str) -> str:
    """``question`` made standalone with the words of the ``previous`` (standalone) question."""
    names = _names(previous)
    about = _WHAT_ABOUT.match(question)
    if about:
        subject = about.group("subject")
        if names:
            if re.search(rf"\bthe\s+{re.escape(names[0])}", previous, re.IGNORECASE):
                subject = re.sub(r"^the\s+", "", subject, flags=re.IGNORECASE)
            return previous.replace(names[0], subject, 1)
        return f"{previous.rstrip(' ?.!')} {subject}?"
    core = _LEAD.sub("", question).strip()
    pronoun = _PRONOUN.search(core)
    if pronoun and names:
        name = names[0] + ("'s" if pronoun.group("p").lower() in _POSSESSIVE else "")
        core = core[: pronoun.start()] + name + core[pronoun.end() :]
    else:
        have = set(content_terms(core))
        extra = [
            w
            for w in re.findall(r"[\w'’-]+", previous)
            if w.lower() not in STOPWORDS and len(w) > 1 and stem(w.lower()) not in have
        ]
        if extra:
            core = f"{core.rstrip(' ?.!')} ({' '.join(dict.fromkeys(extra))})?"
    return core[:1].upper() + core[1:]


def standalone_question(
    messages: Sequence[Mapping[str, str]], backend: Backend | None = None
) -> str:
    """The last user message as a standalone question, using the turns before it.

    ``backend`` is the answer backend; when it can condense, the model rewrites the follow-up
    (its ``BackendError`` propagates so the caller can fall back), otherwise the heuristic
    does. A model reply that is empty or rambling is replaced by the heuristic.
    """
    turns = [
        (i, str(m.get("content", "")).strip())
        for i, m in enumerate(messages)
        if m.get("role") == "user" and str(m.get("content", "")).strip()
    ]
    if not turns:
        return ""
    users = [text for _, text in turns]
    question = users[-1]
    if len(users) == 1 or not looks_like_follow_up(question):
        return question
    previous = users[0]  # each earlier question made standalone by the heuristic, in order
    for earlier in users[1:-1]:
        previous = (
            heuristic_rewrite(previous, earlier) if looks_like_follow_up(earlier) else earlier
        )
    fallback = heuristic_rewrite(previous, question)
    if backend is None:
        return fallback
    rewritten = backend.condense(list(messages[: turns[-1][0]]), question)
    if not rewritten or len(rewritten) > MAX_REWRITE_CHARS or not content_terms(rewritten):
        return fallback
    return rewritten
