"""The dense pass in a background thread, so questions are answered while vectors follow.

``Assistant`` starts it after the first pass of an automatic index update left many
passages pending; the thread takes the index lock (if another process holds it, that
process is writing and the thread ends), embeds batch by batch and ends when nothing is
pending or when ``stop`` is called (before another indexing run of the same process, and
at interpreter exit, after the batch it is on: the rest stays pending and the next run
carries on).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading

from llama_index.core.base.embeddings.base import BaseEmbedding

from assistant.config import Settings
from assistant.errors import AssistantError, IndexLockedError
from assistant.indexing.dense import DenseReport, fill

log = logging.getLogger(__name__)
STOP_WAIT_S = 120.0  # at most this long for the batch in progress to be written


class DenseWorker:
    """At most one background dense pass at a time."""

    def __init__(self, settings: Settings, embed_model: BaseEmbedding) -> None:
        self.settings = settings
        self.embed_model = embed_model
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.last: DenseReport | None = None
        self.error: str | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the pass unless one is running."""
        if self.running:
            return
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._work, args=(self._stop,), name="dense-pass", daemon=True
        )
        atexit.register(self.stop)  # at exit: finish the batch in progress, keep the rest
        self._thread.start()

    def follow(self, pending: int) -> None:
        """After a first pass that left ``pending`` passages: embed them now when they are
        few (``background_embed_min``), else start the background pass."""
        if pending >= self.settings.background_embed_min:
            self.start()
        elif pending:
            with contextlib.suppress(IndexLockedError):  # another process is writing
                self.last = fill(self.settings, self.embed_model, progress=False)

    def stop(self) -> None:
        """Ask the pass to end after its current batch and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=STOP_WAIT_S)
            self._thread = None
            atexit.unregister(self.stop)

    def wait(self, timeout: float | None = None) -> DenseReport | None:
        """Wait for the running pass to finish (for tests and benchmarks)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.last

    def _work(self, stop: threading.Event) -> None:
        try:
            self.last = fill(self.settings, self.embed_model, progress=False, stop=stop)
        except AssistantError as exc:  # another process holds the lock, the store is down
            self.error = str(exc)
            log.info("background dense pass ended: %s", exc)
