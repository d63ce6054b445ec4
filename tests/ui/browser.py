"""A real ``streamlit run ui/app.py`` on a free loopback port and a headless Chromium page
on it: shared by the browser tests and ``benchmarks/ui_latency.py``.

Needs Debian's ``chromium`` and the ``playwright`` Python package (dev extra); ``missing``
says which is absent, so callers can skip with the reason.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.chroma_server import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def missing() -> str | None:
    """Why a browser cannot be driven here, or ``None``."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/test.sh does)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing: pip install -e .[dev]"
    return None


@dataclass(frozen=True)
class App:
    """A running app: its URL, and seconds from ``streamlit run`` to the health check."""

    url: str
    health_s: float
    log: Path


@contextmanager
def streamlit_app(env: Mapping[str, str], log: Path, timeout: float = 90) -> Iterator[App]:
    """``streamlit run ui/app.py`` with ``env``; yields once ``/_stcore/health`` says ok,
    stops the server (its whole process group) after."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "ui" / "app.py"),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    with open(log, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            health_s = _wait_healthy(url, proc, started, timeout, log)
            yield App(url, health_s, log)
        finally:
            if proc.poll() is None:
                stop_group(proc, 15)


def stop_group(proc: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM the process group ``proc`` leads (``start_new_session``), SIGKILL it after
    ``timeout`` seconds; waits for ``proc``."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _wait_healthy(
    url: str, proc: subprocess.Popen[bytes], started: float, timeout: float, log: Path
) -> float:
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.read().strip() == b"ok":
                    return time.perf_counter() - started
        except OSError:
            pass
        if proc.poll() is not None or time.perf_counter() - started > timeout:
            output = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"streamlit did not start (exit {proc.poll()}):\n{output}")
        time.sleep(0.05)


@contextmanager
def chromium(profile: Path) -> Iterator[Any]:
    """A headless Chromium (Playwright ``Browser``) with its own profile folder."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield context
        finally:
            context.close()


def open_page(context: Any, url: str, width: int = 1400, height: int = 1000) -> Any:
    """A new tab (a new Streamlit session) on ``url`` at that viewport size."""
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": height})
    page.set_default_timeout(120_000)  # the first answer loads the embedding model
    page.goto(url)
    page.get_by_test_id("stChatInput").wait_for()
    return page


def ask(page: Any, question: str) -> None:
    box = page.get_by_test_id("stChatInput").locator("textarea")
    box.fill(question)
    box.press("Enter")
