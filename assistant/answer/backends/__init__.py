"""Answer backends: turn a question and numbered evidence into text with ``[n]`` markers.

``base.Backend`` is the interface, ``factory.choose_backend`` builds the one a setting names:
``extractive`` (no model), ``openai`` (any OpenAI-compatible server) or ``local`` (llama.cpp
in-process, its weights assembled by ``model_parts``).
"""

from assistant.answer.backends.base import REFUSAL, Backend
from assistant.answer.backends.extractive import ExtractiveBackend

__all__ = ["REFUSAL", "Backend", "ExtractiveBackend"]
