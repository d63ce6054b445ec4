"""The one interface the local backend uses to run a GGUF chat model in this process.

Each llama.cpp runtime has one small adapter behind ``LocalRuntime``: ``xllamacpp`` (a prebuilt
wheel, the default) and ``llama-cpp-python`` (opt-in, compiled at install). Nothing above
``LocalBackend`` knows which one is loaded. Both keep the KV cache of the last prompt, so a
fixed system prefix is evaluated once and reused by every later call; where the runtime can,
that KV state is also saved to the cache folder (``save_prefix``), so the next process
restores it instead of evaluating the prefix again (``restore_prefix``).
"""

from __future__ import annotations

import hashlib
import importlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from assistant.config import cache_root, made_from
from assistant.errors import BackendReplyError, BackendUnavailableError

Messages = Sequence[Mapping[str, str]]
GGUF_MAGIC = b"GGUF"
INSTALL_MODEL = "bash scripts/install_local_model.sh"


class LocalRuntime(ABC):
    """One GGUF chat model loaded in this process (safe to call from several threads)."""

    #: the runtime's name as ``ASSISTANT_LOCAL_RUNTIME`` spells it
    name: ClassVar[str] = "runtime"

    def __init__(self, model_path: Path, *, n_ctx: int = 2048, n_threads: int = 2) -> None:
        check_model_file(model_path, self.name)
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        #: names of the prompts whose fixed prefix the backend has already evaluated
        self.warmed: set[str] = set()

    @abstractmethod
    def stream_chat(
        self,
        messages: Messages,
        *,
        max_tokens: int,
        temperature: float,
        seed: int,
        stop: Sequence[str] = (),
    ) -> Iterator[str]:
        """Text deltas of one chat completion (the model's chat template applied); the same
        ``seed`` and inputs give the same text. Raises ``BackendReplyError`` on failure."""

    @abstractmethod
    def first_token_logprobs(
        self, messages: Messages, candidates: Sequence[str]
    ) -> dict[str, float]:
        """The natural-log probability of each candidate (one token each, e.g. ``"Yes"``,
        ``"No"``) as the first token the model would write after the chat template's
        assistant start: one forward pass over the prompt, no sampling loop. A candidate
        the model ranks outside its most likely first tokens gets ``-inf``."""

    def restore_prefix(self, messages: Messages) -> bool:
        """Restore the KV state an earlier process saved after evaluating ``messages``
        (``save_prefix``); ``False`` when there is none, it cannot be read, or this runtime
        cannot restore states (the caller then evaluates the prefix)."""
        return False

    def save_prefix(self, messages: Messages) -> None:
        """Save the KV state of the last prompt, ``messages``, for later processes (does
        nothing where the runtime cannot, or the cache folder cannot be written)."""
        return None

    def prefix_file(self, messages: Messages, version: str) -> Path:
        """Where the KV state of ``messages`` is kept: named by a hash of the model file
        (path, size, modification time), the runtime and its ``version``, the context size
        and the messages, so a state is only ever restored into the model that made it."""
        made_of = [made_from(self.model_path), self.name, version, self.n_ctx]
        key = json.dumps([*made_of, [dict(m) for m in messages]])
        return prefix_dir() / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.bin"

    @abstractmethod
    def close(self) -> None:
        """Free the model (the process-wide runtimes live until exit; tests call this)."""


def prefix_dir() -> Path:
    """The folder of saved prefix KV states (``LocalRuntime.save_prefix``)."""
    return cache_root() / "kv"


def import_runtime(module: str, runtime: str, install: str) -> Any:
    """The runtime's Python module, or ``BackendUnavailableError`` naming ``install``."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise BackendUnavailableError(
            f"the {runtime} runtime is not installed; install it with: {install}, or use "
            "--backend extractive."
        ) from None


def check_model_file(path: Path, runtime: str) -> None:
    """Raise ``BackendUnavailableError`` naming the fix when ``path`` is not a GGUF file."""
    try:
        with path.open("rb") as handle:
            magic = handle.read(len(GGUF_MAGIC))
    except FileNotFoundError:
        raise BackendUnavailableError(
            f"the local model file {path} is missing; run {INSTALL_MODEL} to assemble it, "
            "or use --backend extractive."
        ) from None
    except OSError as exc:
        raise BackendUnavailableError(
            f"cannot read the local model file {path} ({exc.strerror}); check its permissions "
            f"or run {INSTALL_MODEL}."
        ) from None
    if magic != GGUF_MAGIC:
        raise load_failed(runtime, path, "not a GGUF file")


def load_failed(runtime: str, path: Path, detail: str) -> BackendUnavailableError:
    """The error for a model file the runtime cannot load (corrupt, truncated, too new)."""
    return BackendUnavailableError(
        f"{runtime} cannot load the local model {path} ({detail}); delete it and run "
        f"{INSTALL_MODEL} to assemble it again, or use --backend extractive."
    )


def reply_failed(runtime: str, detail: str) -> BackendReplyError:
    """The error for a generation that failed half-way."""
    return BackendReplyError(
        f"the local model ({runtime}) failed while answering ({detail}); try again, or use "
        "--backend extractive."
    )
