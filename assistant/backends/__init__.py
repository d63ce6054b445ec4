"""Answer backends: turn a question and numbered evidence into text with ``[n]`` markers."""

from assistant.backends.base import REFUSAL, Backend
from assistant.backends.extractive import ExtractiveBackend

__all__ = ["REFUSAL", "Backend", "ExtractiveBackend"]
