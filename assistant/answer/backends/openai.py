"""Answers written by an LLM behind any OpenAI-compatible chat-completions server.

Works with OpenAI, vLLM, Ollama (``/v1``) and llama.cpp's server. The prompt lives in
``assistant/prompts/answer.md``: a fixed instruction prefix (the system message, byte-identical
in every request so llama.cpp can reuse its KV cache), then the numbered evidence and the
question as delimited data. Every failure becomes a ``BackendError`` naming the fix; the API
key never appears in a message. An answer in which the model wrote no ``[n]`` at all is cited
by alignment (``uncited.UncitedAligner``), with a notice, unless ``align_uncited`` is off.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import cast

import httpx
import openai
from openai.types.chat import ChatCompletionMessageParam

from assistant.answer.backends.base import Backend, Draft, Notice
from assistant.answer.contract import collect
from assistant.answer.prompts import Messages, answer_messages, condense_messages
from assistant.answer.uncited import UncitedAligner
from assistant.config import Settings
from assistant.errors import (
    BackendAuthError,
    BackendConnectionError,
    BackendError,
    BackendModelError,
    BackendRateLimitError,
    BackendReplyError,
    BackendUnavailableError,
)
from assistant.types import Evidence

PLACEHOLDER_KEY = "not-needed"  # local servers ignore the key but the client wants one


def _typed(messages: Messages) -> list[ChatCompletionMessageParam]:
    return cast("list[ChatCompletionMessageParam]", messages)


class OpenAIBackend(Backend):
    """Generates cited answers (and condenses follow-ups) with a chat-completions model."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        temperature: float = 0.1,
        max_tokens: int = 300,
        timeout: float = 60.0,
        max_retries: int = 2,
        align_uncited: bool = True,
    ) -> None:
        self.model = model
        self.name = f"openai:{model}"
        self.base_url = base_url or "https://api.openai.com/v1"
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.timeout = timeout
        self.align_uncited = align_uncited
        self._key = api_key or PLACEHOLDER_KEY
        self.client = openai.OpenAI(
            api_key=self._key,
            base_url=self.base_url,
            timeout=timeout,
            max_retries=max_retries,
        )

    # --- answering ---------------------------------------------------------------------
    def generate(self, question: str, evidence: Sequence[Evidence]) -> Draft:
        """The whole answer from one non-streaming request."""
        messages = answer_messages(question, evidence)
        return collect(self._cited(question, evidence, [self.complete(messages)]))

    def stream(self, question: str, evidence: Sequence[Evidence]) -> Iterator[str | Notice]:
        messages = answer_messages(question, evidence)
        yield from self._cited(question, evidence, self.complete_stream(messages))

    def _cited(
        self, question: str, evidence: Sequence[Evidence], deltas: Iterable[str]
    ) -> Iterator[str | Notice]:
        """The model's text, cited by alignment if it wrote no marker (and that is enabled)."""
        if not self.align_uncited:
            yield from deltas
            return
        aligner = UncitedAligner(evidence, question)
        yield from aligner.run(deltas)
        for notice in aligner.notices:
            yield Notice(notice)

    def condense(self, history: Sequence[Mapping[str, str]], question: str) -> str | None:
        """``question`` rewritten with ``history`` into one standalone question."""
        text = self.complete(condense_messages(history, question), max_tokens=80, temperature=0)
        line = next((ln for ln in text.splitlines() if ln.strip()), "")
        line = re.sub(r"^\s*(?:standalone question|question)\s*:\s*", "", line, flags=re.I)
        return line.strip().strip("\"'“”").strip()

    # --- protocol ----------------------------------------------------------------------
    def complete(
        self,
        messages: Messages,
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> str:
        """The whole reply of one non-streaming request."""
        try:
            reply = self.client.chat.completions.create(
                model=self.model,
                messages=_typed(messages),
                temperature=self.temperature if temperature is None else temperature,
                max_tokens=max_tokens or self.max_tokens,
            )
            content = reply.choices[0].message.content
        except Exception as exc:
            raise self._translate(exc) from None
        if not isinstance(content, str):
            raise BackendReplyError(self._malformed("the reply has no message content"))
        return content

    def complete_stream(self, messages: Messages) -> Iterator[str]:
        """Text deltas of one streaming request; a stream cut before its end is an error."""
        finished = False
        try:
            response = self.client.chat.completions.create(
                model=self.model,
                messages=_typed(messages),
                temperature=self.temperature,
                max_tokens=self.max_tokens,
                stream=True,
            )
        except Exception as exc:
            raise self._translate(exc) from None
        try:
            chunks = iter(response)
            while True:
                try:
                    chunk = next(chunks)
                    if not chunk.choices:  # e.g. a final usage-only chunk
                        continue
                    choice = chunk.choices[0]
                    delta = choice.delta.content if choice.delta is not None else None
                    finished = finished or bool(choice.finish_reason)
                except StopIteration:
                    break
                except Exception as exc:
                    raise self._translate(exc) from None
                if delta:
                    yield delta
        finally:
            response.close()
        if not finished:
            raise BackendReplyError(
                f"the model server at {self.base_url} ended the stream before the answer was "
                "complete; check the server's log (it may have crashed or run out of memory) "
                "and try again."
            )

    # --- errors ------------------------------------------------------------------------
    def _malformed(self, what: str) -> str:
        return (
            f"the model server at {self.base_url} sent a malformed reply ({what}); check that "
            "OPENAI_BASE_URL points at an OpenAI-compatible /v1 endpoint."
        )

    def _detail(self, exc: openai.APIStatusError) -> str:
        body = exc.body
        message: object = body
        if isinstance(body, Mapping):
            inner = body.get("error", body)
            message = inner.get("message", inner) if isinstance(inner, Mapping) else inner
        text = " ".join(str(message or "").split())[:160]
        return f" (server said: {text.replace(self._key, '***')})" if text else ""

    def _translate(self, exc: BaseException) -> BackendError:
        """A ``BackendError`` for any failure of the client, naming the fix."""
        url = self.base_url
        if isinstance(exc, BackendError):
            return exc
        if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
            return BackendConnectionError(
                f"the model server at {url} did not answer within {self.timeout:g} s; raise "
                "ASSISTANT_TIMEOUT, use a smaller ASSISTANT_MODEL or check the server's load."
            )
        if isinstance(exc, openai.APIConnectionError | httpx.ConnectError):
            return BackendConnectionError(
                f"cannot reach the model server at {url}; check OPENAI_BASE_URL and that the "
                "server is running."
            )
        if isinstance(exc, openai.APIStatusError):
            code, detail = exc.status_code, self._detail(exc)
            if code in (401, 403):
                return BackendAuthError(
                    f"the model server at {url} refused the API key (HTTP {code}){detail}; set "
                    "OPENAI_API_KEY to a valid key."
                )
            if code == 404:
                return BackendModelError(
                    f"the model server at {url} has no model {self.model!r} (HTTP 404){detail}; "
                    "set ASSISTANT_MODEL to a model the server has (GET /v1/models lists them) "
                    "and check OPENAI_BASE_URL ends in /v1."
                )
            if code == 429:
                return BackendRateLimitError(
                    f"the model server at {url} is rate limiting requests (HTTP 429){detail}; "
                    "wait and retry, raise ASSISTANT_MAX_RETRIES or check your quota."
                )
            return BackendReplyError(
                f"the model server at {url} failed with HTTP {code}{detail}; check the "
                "server's log and try again."
            )
        if isinstance(exc, httpx.HTTPError):  # e.g. the connection closed mid-stream
            return BackendReplyError(
                f"the connection to the model server at {url} broke during the reply "
                f"({type(exc).__name__}); check the server's log and try again."
            )
        if isinstance(exc, openai.APIError):
            return BackendReplyError(self._malformed(type(exc).__name__))
        return BackendReplyError(self._malformed(f"{type(exc).__name__}"))


def from_settings(settings: Settings) -> OpenAIBackend:
    """The backend configured by ``OPENAI_*`` and ``ASSISTANT_*`` settings."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    if not key and not settings.openai_base_url:
        raise BackendUnavailableError(
            "the openai backend needs OPENAI_API_KEY (for api.openai.com) or OPENAI_BASE_URL "
            "(for a local server such as http://127.0.0.1:8080/v1); set one, or use "
            "--backend extractive."
        )
    return OpenAIBackend(
        settings.model,
        base_url=settings.openai_base_url,
        api_key=key,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        timeout=settings.timeout,
        max_retries=settings.max_retries,
        align_uncited=settings.align_uncited,
    )
