"""The typed error hierarchy. Every message says what went wrong and what to do next."""

from __future__ import annotations


class AssistantError(Exception):
    """Base class of every error the assistant raises on purpose.

    The CLI prints ``str(error)`` on one line of stderr and exits non-zero; the UI
    shows it in the chat. Messages must name the fix.
    """

    exit_code = 1


class ConfigError(AssistantError):
    """A setting is missing or invalid."""

    exit_code = 2


class SeedsError(AssistantError):
    """The seeds directory or an article in it cannot be used."""


class IndexStateError(AssistantError):
    """The index is missing, locked, built differently or cannot be written."""


class IndexMissingError(IndexStateError):
    """No index has been built yet."""


class IndexLockedError(IndexStateError):
    """Another process is writing the index."""


class StoreUnavailableError(IndexStateError):
    """The Chroma store (embedded directory or server) cannot be reached."""


class QuestionError(AssistantError):
    """The question cannot be answered as asked (empty, too long, ...)."""

    exit_code = 2


class EvalSetError(AssistantError):
    """A pinned question set cannot be read or has a malformed line."""

    exit_code = 2


class BackendError(AssistantError):
    """The answer backend failed (model server down, bad reply, ...)."""


class BackendUnavailableError(BackendError):
    """The requested backend is not installed or not configured."""

    exit_code = 2


class BackendConnectionError(BackendError):
    """The model server cannot be reached, or it did not answer in time."""


class BackendAuthError(BackendError):
    """The model server refused the API key (401/403)."""

    exit_code = 2


class BackendModelError(BackendError):
    """The model server does not have the configured model (404)."""

    exit_code = 2


class BackendRateLimitError(BackendError):
    """The model server kept answering 429 (rate limited or out of quota)."""


class BackendReplyError(BackendError):
    """The model server failed (5xx) or sent a malformed or cut-off reply."""


__all__ = [
    "AssistantError",
    "BackendAuthError",
    "BackendConnectionError",
    "BackendError",
    "BackendModelError",
    "BackendRateLimitError",
    "BackendReplyError",
    "BackendUnavailableError",
    "ConfigError",
    "EvalSetError",
    "IndexLockedError",
    "IndexMissingError",
    "IndexStateError",
    "QuestionError",
    "SeedsError",
    "StoreUnavailableError",
]
