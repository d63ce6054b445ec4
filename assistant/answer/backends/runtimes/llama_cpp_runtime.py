"""The opt-in runtime: ``llama-cpp-python`` (``pip install -e ".[llama-cpp]"``, compiled at
install: 8-15 minutes on 2 cores the first time; its prompt processing is a little faster).

A ``llama_cpp.Llama`` is not thread-safe, so one lock serialises its calls. ``Llama.generate``
keeps the KV cache of the longest common prefix with the previous prompt, so the fixed system
prefix is evaluated once. First-token log-probabilities come from the full logits that a
logits processor sees at the first sampling step of a one-token completion.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer.backends.runtimes.base import (
    LocalRuntime,
    Messages,
    import_runtime,
    load_failed,
    reply_failed,
)
from assistant.errors import BackendError

SEED = 0
INSTALL = '.venv/bin/pip install -e ".[llama-cpp]" (compiles llama.cpp: 8-15 minutes on 2 cores)'


class LlamaCppRuntime(LocalRuntime):
    """A GGUF model run by ``llama_cpp.Llama`` in this process."""

    name = "llama-cpp-python"

    def __init__(self, model_path: Path, *, n_ctx: int = 2048, n_threads: int = 2) -> None:
        super().__init__(model_path, n_ctx=n_ctx, n_threads=n_threads)
        llama_cpp = import_runtime("llama_cpp", self.name, INSTALL)
        self._lock = threading.Lock()
        try:
            self._llm: Any = llama_cpp.Llama(
                model_path=str(model_path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                n_batch=512,
                seed=SEED,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise load_failed(self.name, model_path, str(exc)) from None

    def stream_chat(
        self,
        messages: Messages,
        *,
        max_tokens: int,
        temperature: float,
        seed: int,
        stop: Sequence[str] = (),
    ) -> Iterator[str]:
        with self._lock:
            try:
                chunks = self._llm.create_chat_completion(
                    messages=[dict(m) for m in messages],
                    temperature=temperature,
                    max_tokens=max_tokens,
                    stream=True,
                    seed=seed,
                    stop=list(stop) or None,
                )
                for chunk in chunks:
                    choices = chunk.get("choices") or [{}]
                    delta = (choices[0].get("delta") or {}).get("content")
                    if delta:
                        yield delta
            except BackendError:
                raise
            except Exception as exc:  # llama.cpp reports failures as plain exceptions
                raise reply_failed(self.name, f"{type(exc).__name__}: {exc}") from None

    def _token(self, text: str) -> int | None:
        """The id of ``text`` when it is one token, else ``None`` (never a first token)."""
        tokens = self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        return int(tokens[0]) if len(tokens) == 1 else None

    def first_token_logprobs(
        self, messages: Messages, candidates: Sequence[str]
    ) -> dict[str, float]:
        ids = {c: self._token(c) for c in candidates}
        seen: list[Any] = []

        def capture(input_ids: Any, logits: Any) -> Any:
            if not seen:
                seen.append(np.array(logits, dtype=np.float64))
            return logits

        with self._lock:
            try:
                self._llm.create_chat_completion(
                    messages=[dict(m) for m in messages],
                    temperature=0.0,
                    max_tokens=1,
                    logits_processor=[capture],
                )
            except Exception as exc:
                raise reply_failed(self.name, f"{type(exc).__name__}: {exc}") from None
        if not seen:
            raise reply_failed(self.name, "no logits were produced")
        logits = seen[0]
        top = logits.max()
        log_total = top + math.log(float(np.exp(logits - top).sum()))
        return {c: -math.inf if i is None else float(logits[i] - log_total) for c, i in ids.items()}

    def close(self) -> None:
        llm = self.__dict__.pop("_llm", None)
        if llm is not None:
            llm.close()
