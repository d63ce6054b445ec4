"""A real browser against a real ``streamlit run``: ask, see the cited answer, open the
citation, check the highlighted span, save a screenshot to ``tests/artifacts/``.

Needs Debian's ``chromium`` (``scripts/test.sh`` installs it when missing and run as root)
and the ``playwright`` Python package (dev extra); skips with the reason when either is
absent. Set ``UPDATE_DOCS_SCREENSHOT=1`` to also refresh ``docs/screenshot.png``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

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


@pytest.fixture
def server(app_env: dict[str, Path], tmp_path: Path) -> Iterator[str]:
    """``streamlit run ui/app.py`` on a free loopback port; yields its URL, stops it after."""
    with socket.socket() as sock:  # a free loopback port
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
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


def test_browser_question_citation_and_highlight(server: str) -> None:
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
            page.goto(server)
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
            shot = ARTIFACTS / "chat_citation.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
            if os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1":
                (ROOT / "docs").mkdir(exist_ok=True)
                shutil.copyfile(shot, ROOT / "docs" / "screenshot.png")
        finally:
            browser.close()
