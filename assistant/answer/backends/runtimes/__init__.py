"""llama.cpp runtimes for the embedded model, behind one interface (``base.LocalRuntime``).

``factory.load_runtime`` loads a GGUF file with the runtime ``ASSISTANT_LOCAL_RUNTIME`` names
(``auto``: xllamacpp when installed, else llama-cpp-python), once per process.
"""

from assistant.answer.backends.runtimes.base import LocalRuntime, Messages
from assistant.answer.backends.runtimes.factory import (
    RUNTIMES,
    installed_runtimes,
    load_runtime,
    resolve_runtime,
)

__all__ = [
    "RUNTIMES",
    "LocalRuntime",
    "Messages",
    "installed_runtimes",
    "load_runtime",
    "resolve_runtime",
]
