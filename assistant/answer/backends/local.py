"""The embedded local model: a small chat model in this process, no server, no key.

The GGUF file is assembled once from its PyPI part packages (``model_parts``) and loaded once
per process by a llama.cpp runtime (``runtimes``: xllamacpp by default, llama-cpp-python on
request), through the one ``LocalRuntime`` interface; this module never knows which. The
answer prompt (``prompts/answer_local.md``, built by the same ``answer_messages`` as the openai
backend's) starts with a byte-identical instruction prefix, so the runtime reuses the KV cache
of that prefix and only the few evidence sentences and the question are evaluated per question.
``preload`` starts loading and warming the model in a background thread, so a new process can
search the index while the model loads.

The small model is not trusted with citations or refusals: retrieval
has already decided that the question is answerable, ``CitingStream`` attaches markers by
aligning each sentence to the evidence, and when nothing the model wrote can be cited the
answer falls back to the extractive quotes of the same evidence, with a notice. A small
model given evidence and asked to cite ``[n]`` cites too little and mislabels sources, which
is why alignment, not its markers, decides.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence

from assistant.answer.align import CitingStream
from assistant.answer.backends.base import Backend, Notice
from assistant.answer.backends.extractive import ExtractiveBackend
from assistant.answer.backends.model_parts import (
    default_model_dir,
    get_spec,
    is_assembled,
    model_path,
)
from assistant.answer.backends.runtimes import LocalRuntime, load_runtime
from assistant.answer.judge import check_claims, judge
from assistant.answer.prompts import Messages, answer_messages
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.types import Evidence

FALLBACK_NOTICE = (
    "the local model's answer had no sentence supported by the evidence; showing the "
    "evidence sentences verbatim instead"
)
SEED = 0  # sampling seed per request, so answers are reproducible
# The small model's prompt: like answer.md, but without the option to decline, since
# retrieval has already decided that the evidence answers the question (a 1.5B model
# given that option declines many answerable questions).
PROMPT = "answer_local"

_WARM_LOCK = threading.Lock()
_PRELOADS: list[threading.Thread] = []


class LocalBackend(Backend):
    """Cited answers from a small chat model running in this process."""

    judges = True

    def __init__(
        self,
        runtime: LocalRuntime,
        model: str,
        *,
        temperature: float = 0.1,
        max_tokens: int = 120,
        evidence_limit: int = 3,
        fallback_sentences: int = 2,
        warm: bool = True,
    ) -> None:
        self.runtime = runtime
        self.model = model
        self.name = f"local:{model}"
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.evidence_limit = evidence_limit
        self.fallback = ExtractiveBackend(fallback_sentences)
        if warm:
            self.warm_up()

    # --- answering ---------------------------------------------------------------------
    def warm_up(self) -> None:
        """Evaluate the fixed instruction prefix once per loaded model, so the first
        question reuses it (a second backend on the same model skips this); a state saved
        by an earlier process is restored instead where the runtime can."""
        with _WARM_LOCK:
            if PROMPT in self.runtime.warmed:
                return
            messages = answer_messages("Hello?", [], PROMPT)
            if not self.runtime.restore_prefix(messages):  # saved by an earlier process
                for _ in self._complete(messages, max_tokens=1):
                    pass
                self.runtime.save_prefix(messages)
            self.runtime.warmed.add(PROMPT)

    def stream(self, question: str, evidence: Sequence[Evidence]) -> Iterator[str | Notice]:
        citing = CitingStream(list(evidence[: self.evidence_limit]), question)
        yield from citing.run(self._complete(self._messages(question, evidence), self.max_tokens))
        if citing.cited == 0:
            yield Notice(FALLBACK_NOTICE)
            quotes = self.fallback.quotes(evidence)
            yield (" " if citing.shown.strip() else "") + quotes

    def judge(
        self, question: str, asks: Sequence[str], evidence: Sequence[Evidence]
    ) -> tuple[float, ...] | None:
        """P(the evidence shown to the model states the answer) per ask (``answer.judge``)."""
        return judge(self.runtime.first_token_logprobs, self._messages(question, evidence), asks)

    def check_claims(
        self, question: str, claims: Sequence[str], evidence: Sequence[Evidence]
    ) -> tuple[float, ...] | None:
        """P(the evidence shown to the model states the claim) per claim (``answer.judge``);
        the answer's own prompt comes first, so its cached evaluation is reused."""
        messages = self._messages(question, evidence)
        return check_claims(self.runtime.first_token_logprobs, messages, claims)

    def _messages(self, question: str, evidence: Sequence[Evidence]) -> Messages:
        """The answer prompt over the evidence the model is shown."""
        return answer_messages(question, list(evidence[: self.evidence_limit]), PROMPT)

    def _complete(self, messages: Messages, max_tokens: int) -> Iterator[str]:
        """Text deltas of one chat completion (``BackendReplyError`` when it fails)."""
        return self.runtime.stream_chat(
            messages, max_tokens=max_tokens, temperature=self.temperature, seed=SEED
        )


def from_settings(settings: Settings, model: str | None = None) -> LocalBackend:
    """The local backend configured by ``ASSISTANT_LOCAL_*`` settings (``model`` overrides
    ``ASSISTANT_LOCAL_MODEL``).

    Raises ``BackendUnavailableError`` naming the fix (so ``auto`` falls back to extractive)
    when no runtime, or not the model's part packages, are installed.
    """
    key = model or settings.local_model
    runtime = load_runtime(
        model_path(key, settings.model_dir),
        settings.local_runtime,
        n_ctx=settings.local_ctx,
        n_threads=settings.local_threads,
    )
    return LocalBackend(
        runtime,
        key,
        temperature=settings.temperature,
        max_tokens=settings.local_max_tokens,
        evidence_limit=settings.local_evidence,
        fallback_sentences=settings.max_answer_sentences,
    )


def would_answer(settings: Settings, backend: str | None = None) -> bool:
    """Would ``backend`` (default: the setting) be this local model, as far as can be told
    without loading anything? ``auto`` picks it when no OpenAI server is configured."""
    name = backend or settings.backend
    if name == "auto":
        return not (settings.openai_api_key or settings.openai_base_url)
    return name == "local"


def preload(settings: Settings, backend: str | None = None) -> threading.Thread | None:
    """Load the model and warm its prompt prefix in a background thread when ``backend``
    would answer with it and its file is assembled; the first question then only waits for
    what is left. Errors are left to the real load, which reports them."""
    if not would_answer(settings, backend):
        return None
    try:
        spec = get_spec(settings.local_model)
    except AssistantError:
        return None
    if not is_assembled(spec, (settings.model_dir or default_model_dir()).expanduser()):
        return None  # assembling 1.1 GB is left to the real load, which reports progress

    def warm() -> None:
        with contextlib.suppress(AssistantError):  # the real load says what is wrong
            from_settings(settings)

    thread = threading.Thread(target=warm, name="warm-local-model", daemon=True)
    thread.start()
    _PRELOADS.append(thread)
    return thread


def preloading() -> bool:
    """Is a ``preload`` still loading or warming the model? (The interpreter must not be
    finalized under it: its native threads would crash the exit.)"""
    return any(thread.is_alive() for thread in _PRELOADS)
