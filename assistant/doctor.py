"""``assistant doctor``: what is installed and configured, and the command that fixes each
problem found: the local model's runtime and file (with their sizes), the index (articles,
passages, embedding), the Chroma store (embedded, or a server and whether it answers) and the
model server when ``OPENAI_BASE_URL`` is set.

Nothing heavy is imported or loaded (no model, no Chroma client, no embedding): servers are
asked over HTTP with a short timeout, the rest is read from files, so the chat's sidebar can
show the same report (``ui/status.py``).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from assistant.answer.backends.local import would_answer
from assistant.answer.backends.model_parts import default_model_dir, get_spec, is_assembled
from assistant.answer.backends.runtimes.factory import RUNTIMES, installed_runtimes
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.indexing.state import read_state

TIMEOUT = 1.5  # seconds for a server to answer
INSTALL_MODEL = "bash scripts/install_local_model.sh"


@dataclass(frozen=True)
class Check:
    """One fact about the set-up; ``fix`` is the exact command when something is wrong."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None


@dataclass(frozen=True)
class DoctorReport:
    """Every check, in the order they are shown."""

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def problems(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.ok)


def _mb(size: float) -> str:
    return f"{size / 1e6:,.0f} MB"


def _installed_size(distribution: str) -> int:
    try:
        files = metadata.distribution(distribution).files or []
    except metadata.PackageNotFoundError:
        return 0
    return sum(f.size or 0 for f in files)


def runtime_check(settings: Settings) -> Check:
    installed = installed_runtimes()
    if not installed:
        return Check("runtime", False, "no llama.cpp runtime is installed", INSTALL_MODEL)
    found = []
    for name in installed:
        spec = RUNTIMES[name]
        version = metadata.version(spec.distribution)
        found.append(f"{name} {version} ({_mb(_installed_size(spec.distribution))})")
    wanted = settings.local_runtime
    chosen = installed[0] if wanted == "auto" else wanted
    if chosen not in installed:
        return Check(
            "runtime",
            False,
            f"ASSISTANT_LOCAL_RUNTIME={wanted} is not installed; installed: {', '.join(found)}",
            RUNTIMES[wanted].install + RUNTIMES[wanted].note,
        )
    return Check("runtime", True, f"{chosen} in use; installed: {', '.join(found)}")


def model_check(settings: Settings) -> Check:
    try:
        spec = get_spec(settings.local_model)
    except AssistantError as exc:
        return Check("model", False, str(exc), "unset ASSISTANT_LOCAL_MODEL")
    directory = (settings.model_dir or default_model_dir()).expanduser()
    path = directory / spec.filename
    if is_assembled(spec, directory):
        return Check("model", True, f"{spec.key}: {path} ({_mb(spec.size)}, sha256 verified)")
    what = "not verified" if path.exists() else "not installed"
    return Check("model", False, f"{spec.key} {what} in {directory}", INSTALL_MODEL)


def index_check(settings: Settings) -> Check:
    state = read_state(settings.index_dir)
    rebuild = f".venv/bin/assistant index --index {settings.index_dir}"
    if state is None:
        return Check("index", False, f"no index in {settings.index_dir}", rebuild)
    detail = (
        f"{state.get('articles', '?')} articles, {state.get('passages', '?')} passages, "
        f"embedding {state.get('embedding_model') or state.get('embedding')}"
    )
    if state.get("embedding") != settings.embedding:
        return Check(
            "index",
            False,
            f"{detail}; built for {state.get('embedding')}, but ASSISTANT_EMBEDDING is "
            f"{settings.embedding}",
            rebuild,
        )
    return Check("index", True, f"{detail} in {settings.index_dir}")


def _answers(url: str, headers: dict[str, str] | None = None) -> str | None:
    """``None`` when ``url`` answers 2xx in time, else what went wrong."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT):
            return None
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return str(reason) or type(exc).__name__


def chroma_check(settings: Settings) -> Check:
    server = settings.chroma_server()
    if server is None:
        return Check("chroma", True, f"embedded, in {Path(settings.index_dir) / 'chroma'}")
    host, port, ssl = server
    url = f"{'https' if ssl else 'http'}://{host}:{port}"
    problem = _answers(f"{url}/api/v2/heartbeat")
    if problem is None:
        return Check("chroma", True, f"server {url}, answers")
    return Check(
        "chroma",
        False,
        f"server {url} does not answer ({problem})",
        f"chroma run --path {Path(settings.index_dir) / 'chroma-server'} --host {host} "
        f"--port {port} (or unset ASSISTANT_CHROMA_URL ASSISTANT_CHROMA_HOST: embedded index)",
    )


def model_server_check(settings: Settings) -> Check | None:
    base = settings.openai_base_url
    if not base:
        return None
    key = settings.openai_api_key
    headers = {"Authorization": f"Bearer {key.get_secret_value()}"} if key else {}
    problem = _answers(f"{base.rstrip('/')}/models", headers)
    if problem is None:
        return Check("model server", True, f"{base} answers (model {settings.model})")
    refused = problem in ("HTTP 401", "HTTP 403")
    fix = "export OPENAI_API_KEY=..." if refused else f"start the server at {base}"
    return Check(
        "model server",
        False,
        f"{base} does not answer ({problem})",
        f"{fix}, or unset OPENAI_BASE_URL (the local model answers instead)",
    )


def backend_check(settings: Settings, runtime: Check, model: Check) -> Check:
    """Which backend answers (what ``auto`` would pick, without loading anything)."""
    name = settings.backend
    if name == "auto":
        if not would_answer(settings):
            return Check("backend", True, "auto: openai (OPENAI_API_KEY or OPENAI_BASE_URL set)")
        if runtime.ok and model.ok:
            return Check("backend", True, f"auto: local ({settings.local_model})")
        return Check(
            "backend", False, "auto: extractive quotes (no local model installed)", INSTALL_MODEL
        )
    if name == "local" and not (runtime.ok and model.ok):
        return Check("backend", False, "local, but the local model is not installed", INSTALL_MODEL)
    return Check("backend", True, name)


def diagnose(settings: Settings) -> DoctorReport:
    """The report for these settings (a few file reads, at most two HTTP requests)."""
    runtime, model = runtime_check(settings), model_check(settings)
    checks = [backend_check(settings, runtime, model), runtime, model, index_check(settings)]
    checks.append(chroma_check(settings))
    server = model_server_check(settings)
    if server is not None:
        checks.append(server)
    return DoctorReport(tuple(checks))
