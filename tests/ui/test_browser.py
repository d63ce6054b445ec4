"""A real browser against a real ``streamlit run``: ask, see the cited answer, open the
citation, check the highlighted span, save a screenshot to ``tests/artifacts/``; once over
the embedded index and once with the index in a real Chroma server.

Needs Debian's ``chromium`` (``scripts/test.sh`` installs it when missing and run as root)
and the ``playwright`` Python package (dev extra); skips with the reason when either is
absent. Set ``UPDATE_DOCS_SCREENSHOT=1`` to also refresh ``docs/screenshot.png``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from assistant import Assistant
from tests.chroma_server import ChromaServer
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.slow


@contextmanager
def streamlit_app(tmp_path: Path) -> Iterator[str]:
    """``streamlit run ui/app.py`` on a free loopback port with this process's environment
    (set by ``app_env``); yields its URL, stops it after."""
    port = free_port()
    log = open(tmp_path / "streamlit.log", "wb")  # noqa: SIM115 (closed in teardown)
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
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=dict(os.environ),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                output = (tmp_path / "streamlit.log").read_text(errors="replace")
                pytest.fail(f"streamlit did not start (exit {proc.poll()}):\n{output[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


@pytest.fixture
def server(app_env: dict[str, Path], tmp_path: Path) -> Iterator[str]:
    """The app over the embedded index (a copy of the session's)."""
    with streamlit_app(tmp_path) as url:
        yield url


@pytest.fixture
def server_on_chroma(
    app_env: dict[str, Path],
    chroma_server: ChromaServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """The app over an index whose vectors live in a real Chroma server."""
    index = tmp_path / "server-index"
    Assistant(seeds_dir=app_env["seeds"], index_dir=index, chroma_url=chroma_server.url).index(
        progress=False
    )
    assert not (index / "chroma").exists()
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(index))
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", chroma_server.url)
    with streamlit_app(tmp_path) as url:
        yield url


def test_browser_question_citation_and_highlight(server: str) -> None:
    shot = ask_and_open_the_citation(server, "chat_citation.png")
    if os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1":
        (ROOT / "docs").mkdir(exist_ok=True)
        shutil.copyfile(shot, ROOT / "docs" / "screenshot.png")


def test_browser_with_the_index_in_a_chroma_server(server_on_chroma: str) -> None:
    ask_and_open_the_citation(server_on_chroma, "chat_citation_chroma_server.png")


def ask_and_open_the_citation(url: str, screenshot: str) -> Path:
    """Ask in the chat, follow the [1] marker, open its source and check the highlighted
    span; returns the screenshot's path."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/test.sh does)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is missing: pip install -e .[dev]"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1300})
            page.set_default_timeout(120_000)  # first answer loads the embedding model
            page.goto(url)
            box = page.get_by_test_id("stChatInput").locator("textarea")
            box.fill("When will the NATO-Russia Council meet?")
            box.press("Enter")

            answer = page.get_by_test_id("stChatMessage").nth(1)
            answer.get_by_text("July 13").first.wait_for()
            marker = answer.get_by_role("link", name="[1]").first
            assert marker.get_attribute("href") == "#sources-for-answer-1"
            assert page.locator("#sources-for-answer-1").count() == 1  # the marker's target
            marker.click()
            page.wait_for_url("**#sources-for-answer-1")

            source = answer.get_by_test_id("stExpander").first
            assert "[1]" in source.locator("summary").inner_text()
            source.locator("summary").click()
            mark = source.locator("span.stMarkdownColoredBackground").first
            mark.wait_for()
            assert "July 13" in mark.inner_text()
            assert "NATO-Russia Council" in mark.inner_text()
            page.get_by_test_id("stChatMessage").first.evaluate(
                "el => el.scrollIntoView({block: 'start'})"
            )  # question, answer and opened source in one picture
            page.wait_for_timeout(800)  # let the expander animation settle
            shot = ARTIFACTS / screenshot
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
            return shot
        finally:
            browser.close()
