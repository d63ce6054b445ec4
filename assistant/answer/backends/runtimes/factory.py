"""Choose the llama.cpp runtime named by ``ASSISTANT_LOCAL_RUNTIME`` and load each model once.

``auto`` takes the first installed runtime, ``xllamacpp`` first. A loaded runtime lives for the
whole process (keyed by runtime, file, context and threads), so every backend built in it
shares the model and its warm KV cache; a second thread asking for a model that is being
loaded waits for that same load instead of starting another.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from assistant.answer.backends.runtimes.base import LocalRuntime
from assistant.errors import BackendUnavailableError

# llama.cpp's OpenMP threads spin while waiting by default; on a machine whose cores are
# shared (the UI, indexing, other programs) that made answers ~3x slower here. Passive
# waiting must be chosen before a runtime (and its OpenMP) is loaded.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@dataclass(frozen=True)
class RuntimeSpec:
    """One runtime: the module it needs, its adapter class and how to install it."""

    name: str
    module: str
    adapter: str  # "module:Class"
    install: str  # the command, run in the project folder
    distribution: str
    note: str = ""  # what to know before installing it


RUNTIMES = {
    spec.name: spec
    for spec in (
        RuntimeSpec(
            "xllamacpp",
            "xllamacpp",
            "assistant.answer.backends.runtimes.xllamacpp_runtime:XllamacppRuntime",
            '.venv/bin/pip install -e ".[local]"',
            "xllamacpp",
        ),
        RuntimeSpec(
            "llama-cpp-python",
            "llama_cpp",
            "assistant.answer.backends.runtimes.llama_cpp_runtime:LlamaCppRuntime",
            '.venv/bin/pip install -e ".[llama-cpp]"',
            "llama-cpp-python",
            " (compiles llama.cpp: 8-15 minutes on 2 cores)",
        ),
    )
}
DEFAULT_RUNTIME = "xllamacpp"

_LOCK = threading.Lock()
_LOADS: dict[tuple[str, str, int, int], Future[LocalRuntime]] = {}


def installed_runtimes() -> list[str]:
    """Names of the runtimes whose package is importable, preferred first."""
    return [name for name, spec in RUNTIMES.items() if importlib.util.find_spec(spec.module)]


def resolve_runtime(name: str = "auto") -> RuntimeSpec:
    """The runtime for a setting value; raises naming the install command when absent."""
    if name != "auto" and name not in RUNTIMES:
        raise BackendUnavailableError(
            f"unknown local runtime {name!r}; set ASSISTANT_LOCAL_RUNTIME to auto, "
            f"{' or '.join(RUNTIMES)}."
        )
    installed = installed_runtimes()
    if name == "auto":
        if not installed:
            raise BackendUnavailableError(
                "no local model runtime is installed; install one with: "
                f"{RUNTIMES[DEFAULT_RUNTIME].install} (or bash scripts/install_local_model.sh), "
                "or use --backend extractive."
            )
        return RUNTIMES[installed[0]]
    if name not in installed:
        raise BackendUnavailableError(
            f"the local runtime {name} is not installed; install it with: "
            f"{RUNTIMES[name].install}{RUNTIMES[name].note}, or set ASSISTANT_LOCAL_RUNTIME=auto."
        )
    return RUNTIMES[name]


def _construct(spec: RuntimeSpec, path: Path, n_ctx: int, n_threads: int) -> LocalRuntime:
    module_name, _, class_name = spec.adapter.partition(":")
    adapter = getattr(importlib.import_module(module_name), class_name)
    runtime: LocalRuntime = adapter(path, n_ctx=n_ctx, n_threads=n_threads)
    return runtime


def _future(name: str, path: Path, n_ctx: int, n_threads: int) -> tuple[Future[LocalRuntime], bool]:
    """The load of this model (new: ``True`` when the caller must run it)."""
    spec = resolve_runtime(name)
    key = (spec.name, str(path), n_ctx, n_threads)
    with _LOCK:
        found = _LOADS.get(key)
        if found is not None and not (found.done() and found.exception() is not None):
            return found, False
        future: Future[LocalRuntime] = Future()
        _LOADS[key] = future
        return future, True


def _run(future: Future[LocalRuntime], name: str, path: Path, n_ctx: int, n_threads: int) -> None:
    try:
        future.set_result(_construct(resolve_runtime(name), path, n_ctx, n_threads))
    except BaseException as exc:  # handed to whoever waits for the load
        future.set_exception(exc)


def load_runtime(
    path: Path, name: str = "auto", *, n_ctx: int = 2048, n_threads: int = 2
) -> LocalRuntime:
    """The process-wide runtime for this model, loaded now or by another thread already.

    Raises ``BackendUnavailableError`` naming the fix (runtime not installed, model file
    missing or corrupt); a failed load is tried again on the next call.
    """
    future, new = _future(name, path, n_ctx, n_threads)
    if new:
        _run(future, name, path, n_ctx, n_threads)
    return future.result()


def forget_loaded() -> None:
    """Close and drop every loaded runtime (for tests)."""
    with _LOCK:
        loads = list(_LOADS.values())
        _LOADS.clear()
    for future in loads:
        if future.done() and future.exception() is None:
            future.result().close()
