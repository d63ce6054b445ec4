"""The default runtime: ``xllamacpp``, llama.cpp's own server in-process from a prebuilt wheel.

One ``xllamacpp.Server`` per model, with one slot: requests queue on it, and the slot's KV
cache keeps the last prompt, so a fixed system prefix is evaluated once. A small RAM cache of
earlier prompt states lets two alternating prompts (the answer, a judge) both keep theirs.
The server also listens on a free 127.0.0.1 port (it always does); a random API key keeps
that endpoint closed to other programs. Its slot endpoint saves the warmed prefix's KV state
to the cache folder and restores it in the next process (about 2 s of prompt evaluation
saved at each start; the state holds its tokens, so only the matching part is reused).
Generation runs in llama.cpp's threads without the GIL; streamed chunks arrive through a
callback and are handed over through a queue.
"""

from __future__ import annotations

import json
import math
import queue
import secrets
import threading
import urllib.request
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from assistant.answer.backends.runtimes.base import (
    LocalRuntime,
    Messages,
    import_runtime,
    load_failed,
    prefix_dir,
    reply_failed,
)

INSTALL = "bash scripts/install_local_model.sh"
TOP_LOGPROBS = 100  # first-token candidates reported; others count as -inf
PROMPT_CACHE_MIB = 256  # earlier prompts' KV states kept in RAM (~30 KB a token for 1.5B)
_DONE = object()
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _error_text(reply: Any) -> str | None:
    """The message of an ``{"error": ...}`` reply, else ``None``."""
    if isinstance(reply, dict) and reply.get("error"):
        error = reply["error"]
        return str(error.get("message") if isinstance(error, dict) else error)
    return None


class XllamacppRuntime(LocalRuntime):
    """A GGUF model served in-process by ``xllamacpp.Server``."""

    name = "xllamacpp"

    def __init__(self, model_path: Path, *, n_ctx: int = 2048, n_threads: int = 2) -> None:
        super().__init__(model_path, n_ctx=n_ctx, n_threads=n_threads)
        xllamacpp = import_runtime("xllamacpp", self.name, INSTALL)
        params = xllamacpp.CommonParams()
        params.model.path = str(model_path)
        params.n_ctx = n_ctx
        params.n_parallel = 1
        params.n_batch = 512
        params.cpuparams.n_threads = n_threads
        params.cpuparams_batch.n_threads = n_threads
        params.warmup = False  # the backend warms the real prompt prefix instead
        params.verbosity = -1  # llama.cpp's own log lines stay off the terminal
        params.cache_ram_mib = PROMPT_CACHE_MIB
        params.hostnames = ["127.0.0.1"]
        params.port = 0
        self._key = secrets.token_urlsafe(24)
        params.api_keys = [self._key]
        params.slot_save_path = f"{prefix_dir()}/"  # llama.cpp appends the file name as is
        params.endpoint_slots = True
        self._version = metadata.version("xllamacpp")
        try:
            self._server = xllamacpp.Server(params)
        except RuntimeError as exc:
            raise load_failed(self.name, model_path, str(exc)) from None

    def _request(self, messages: Messages, **options: Any) -> dict[str, Any]:
        return {"messages": [dict(m) for m in messages], "cache_prompt": True, **options}

    def stream_chat(
        self,
        messages: Messages,
        *,
        max_tokens: int,
        temperature: float,
        seed: int,
        stop: Sequence[str] = (),
    ) -> Iterator[str]:
        request = self._request(
            messages, max_tokens=max_tokens, temperature=temperature, seed=seed, stream=True
        )
        if stop:
            request["stop"] = list(stop)
        chunks: queue.Queue[Any] = queue.Queue()
        cancel = threading.Event()

        def on_chunk(chunk: Any) -> bool:
            chunks.put(chunk)
            return cancel.is_set()  # True stops the generation

        def run() -> None:
            try:
                self._server.handle_chat_completions(request, on_chunk)
            except Exception as exc:  # reported to the reading thread
                chunks.put(exc)
            finally:
                chunks.put(_DONE)

        worker = threading.Thread(target=run, name="xllamacpp-generate", daemon=True)
        worker.start()
        try:
            while (chunk := chunks.get()) is not _DONE:
                if isinstance(chunk, Exception):
                    raise reply_failed(self.name, f"{type(chunk).__name__}: {chunk}")
                if (error := _error_text(chunk)) is not None:
                    raise reply_failed(self.name, error)
                choices = chunk.get("choices") or [{}]
                delta = (choices[0].get("delta") or {}).get("content")
                if delta:
                    yield delta
        finally:
            cancel.set()
            worker.join()

    def first_token_logprobs(
        self, messages: Messages, candidates: Sequence[str]
    ) -> dict[str, float]:
        request = self._request(
            messages, max_tokens=1, temperature=0.0, logprobs=True, top_logprobs=TOP_LOGPROBS
        )
        try:
            reply = self._server.handle_chat_completions(request)
        except Exception as exc:
            raise reply_failed(self.name, f"{type(exc).__name__}: {exc}") from None
        if (error := _error_text(reply)) is not None:
            raise reply_failed(self.name, error)
        try:
            tops = reply["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
        except (KeyError, IndexError, TypeError):
            raise reply_failed(self.name, "the reply carried no log-probabilities") from None
        found = {str(t["token"]): float(t["logprob"]) for t in tops}
        return {c: found.get(c, -math.inf) for c in candidates}

    def restore_prefix(self, messages: Messages) -> bool:
        path = self.prefix_file(messages, self._version)
        return path.is_file() and self._slot_action("restore", path.name) is not None

    def save_prefix(self, messages: Messages) -> None:
        path = self.prefix_file(messages, self._version)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            return
        self._slot_action("save", path.name)

    def _slot_action(self, action: str, filename: str) -> dict[str, Any] | None:
        """``POST /slots/0?action=...`` on this server's own endpoint; ``None`` on failure
        (a missing, damaged or foreign state file, an unwritable folder)."""
        request = urllib.request.Request(
            f"{self._server.listening_address}/slots/0?action={action}",
            data=json.dumps({"filename": filename}).encode(),
            headers={"Authorization": f"Bearer {self._key}", "Content-Type": "application/json"},
        )
        try:  # straight to 127.0.0.1, never through a configured HTTP proxy
            with _DIRECT.open(request, timeout=60) as reply:
                answer = json.loads(reply.read())
        except (OSError, ValueError):
            return None
        return answer if isinstance(answer, dict) and _error_text(answer) is None else None

    def close(self) -> None:
        self.__dict__.pop("_server", None)  # the server stops when the last reference goes
