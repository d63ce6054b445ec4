"""A real browser against a real ``streamlit run``: ask, hover and click a marker (the
reading pane opens with the span highlighted and in view), a follow-up, two questions typed
at once (both answered), narrowing by article, a 390 px phone; with the extractive backend
over a copy of the seeds plus one dated article. Marked ``slow``: the same over an index in
a real Chroma server, and streaming, queueing and Stop with the real local model.

Each state is saved as a screenshot in ``tests/artifacts/ui/``; with
``UPDATE_DOCS_SCREENSHOTS=1`` the ones the README shows are copied to ``docs/screenshots/``
(and the follow-up with its pane to ``docs/screenshot.png``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant import Assistant
from tests.chroma_server import ChromaServer
from tests.ui import browser

ROOT = browser.ROOT
SHOTS = ROOT / "tests" / "artifacts" / "ui"
DOCS = ROOT / "docs" / "screenshots"
FOR_DOCS = {"answer_hover", "follow_up_pane", "narrowed", "phone_answer", "phone_pane",
            "local_streaming_queued", "local_stop_and_queue"}  # fmt: skip
HERO = "follow_up_pane"  # also docs/screenshot.png, the README's first picture
BRIDGE = (
    "Harbour bridge reopens after repairs\n\nJuly 12, 2016\n\n"
    "The harbour bridge in Petravik reopened on Monday after repairs to its deck took three "
    "weeks, the city council said.\n\nThe repairs cost 2.4 million euros.\n"
)
HOSTILE = (
    '<b>Keeper</b> <img src=x onerror="window.__xss=1"> log\n\n'
    "The <script>window.__xss=2</script> lighthouse keeper counted 41 ships in the "
    'strait last winter <img src=y onerror="window.__xss=3">.\n'
)
NATO_WHEN = "When will the NATO-Russia Council meet?"


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.wait_for_timeout(400)  # let transitions settle
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1" and name in FOR_DOCS:
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / path.name)
        if name == HERO:
            shutil.copyfile(path, ROOT / "docs" / "screenshot.png")


def app_env(seeds: Path, index: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    env.update(
        ASSISTANT_SEEDS_DIR=str(seeds),
        ASSISTANT_INDEX_DIR=str(index),
        ASSISTANT_BACKEND="extractive",
        ASSISTANT_FEEDBACK_FILE=str(index / "feedback.jsonl"),
    )
    env.update(extra)
    return env


def workspace(root: Path, shared_index: Path) -> tuple[Path, Path]:
    """Seeds (the repository's, a dated article and one full of HTML) and a copy of the
    shared index."""
    seeds, index = root / "seeds", root / "index"
    shutil.copytree(ROOT / "seeds", seeds)
    (seeds / "bridge.txt").write_text(BRIDGE, encoding="utf-8")
    (seeds / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    shutil.copytree(shared_index, index, ignore=shutil.ignore_patterns(".lock"))
    return seeds, index


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    why = browser.missing()
    if why:
        pytest.skip(why)
    with browser.chromium(tmp_path_factory.mktemp("chromium-profile")) as ctx:
        yield ctx


@pytest.fixture(scope="module")
def url(shared_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with the extractive backend, one server for this module's tests."""
    if browser.missing():
        pytest.skip(str(browser.missing()))
    root = tmp_path_factory.mktemp("browser-app")
    seeds, index = workspace(root, shared_index)
    with browser.streamlit_app(app_env(seeds, index), root / "streamlit.log") as app:
        yield app.url


def message(page: Any, i: int) -> Any:
    return page.get_by_test_id("stChatMessage").nth(i)


def said(answer: Any) -> str:
    """The answer's text (inside its component's shadow root, which inner_text skips)."""
    return str(answer.locator(".answer").inner_text())


def open_marker(page: Any, answer: Any, n: int) -> Any:
    """Click marker ``[n]`` of ``answer``; the reading pane, once its span is in view."""
    answer.locator(f'button.marker[data-n="{n}"]').click()
    pane = page.locator(".st-key-reading-pane")
    focus = pane.locator("mark.focus")
    focus.wait_for()
    page.wait_for_timeout(300)
    box, mark = pane.bounding_box(), focus.bounding_box()
    assert box and mark and box["y"] <= mark["y"] and mark["y"] + 10 <= box["y"] + box["height"]
    return pane


def test_ask_hover_open_the_article_and_follow_up(url: str, context: Any) -> None:
    page = browser.open_page(context, url)
    browser.ask(page, NATO_WHEN)
    answer = message(page, 1)
    marker = answer.locator('button.marker[data-n="1"]')
    marker.wait_for()
    assert "July 13" in said(answer)
    marker.hover()  # hovering a marker shows its quote
    tip = answer.locator(".tip.shown")
    tip.wait_for()
    assert "will take place on July 13" in tip.inner_text()
    assert "NATO To Meet With Russia" in answer.inner_text()  # its source, by article
    shot(page, "answer_hover")

    pane = open_marker(page, answer, 1)
    assert "NATO To Meet With Russia" in pane.locator("h4").inner_text()
    assert "July 13" in pane.locator("mark.focus").inner_text()
    shot(page, "reading_pane")

    browser.ask(page, "And at what level will it be held?")
    follow = message(page, 3)
    follow.locator("button.marker").first.wait_for()
    assert "understood as:" in message(page, 2).inner_text()  # under the follow-up
    assert "ambassadorial" in said(follow)
    pane = open_marker(page, follow, 2)
    marks = pane.locator("mark")
    assert marks.count() == 2  # every span this answer cites in the article
    colours = {m.evaluate("e => getComputedStyle(e).backgroundColor") for m in marks.all()}
    assert len(colours) == 2  # each in its marker's colour
    assert pane.locator("mark.focus").get_attribute("data-n") == "2"
    shot(page, "follow_up_pane")
    pane.locator(".st-key-close-reading button:visible").first.click()
    pane.wait_for(state="detached")
    page.close()


def test_two_questions_typed_at_once_are_both_answered(url: str, context: Any) -> None:
    page = browser.open_page(context, url)
    browser.ask(page, NATO_WHEN)
    browser.ask(page, "How many troops will be stationed in the Baltic states?")
    message(page, 3).locator("button.marker").first.wait_for()
    assert page.get_by_test_id("stChatMessage").count() == 4
    assert "July 13" in said(message(page, 1))
    assert "4,000" in said(message(page, 3))
    shot(page, "two_questions")
    page.close()


def test_narrow_by_article_shows_it_and_searches_only_that(url: str, context: Any) -> None:
    page = browser.open_page(context, url)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("combobox", name="Articles").click()
    page.get_by_role("option", name="Harbour bridge reopens after repairs").click()
    page.keyboard.press("Escape")
    line = page.get_by_test_id("stBottom").get_by_text("Searching only 1 article")
    line.wait_for()  # shown above the input while active
    browser.ask(page, "How much did the repairs cost?")
    answer = message(page, 1)
    answer.locator("button.marker").first.wait_for()
    assert "2.4 million" in said(answer)
    assert "as of 12 July 2016" in answer.inner_text()
    browser.ask(page, NATO_WHEN)  # in another article: declined
    refusal = message(page, 3).get_by_test_id("stAlertContentInfo")
    refusal.wait_for()
    assert "do not contain" in refusal.inner_text()
    shot(page, "narrowed")
    page.close()


def test_phone_width_chat_markers_and_pane(url: str, context: Any) -> None:
    page = browser.open_page(context, url, 390, 844)
    browser.ask(page, NATO_WHEN)
    answer = message(page, 1)
    answer.locator("button.marker").first.wait_for()
    right = page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, ...[...document.querySelectorAll("
        "'[data-testid=stChatMessage], .answer')].map(e => e.getBoundingClientRect().right))"
    )
    assert right <= 390  # nothing sticks out sideways
    shot(page, "phone_answer")
    pane = open_marker(page, answer, 1)
    box = pane.bounding_box()
    assert box and box["x"] == 0 and box["width"] == 390  # the whole screen
    close = pane.locator(".st-key-close-reading button:visible").first
    close_box = close.bounding_box()
    assert close_box and close_box["x"] + close_box["width"] <= 390 and close_box["y"] >= 0
    shot(page, "phone_pane")
    close.click()
    pane.wait_for(state="detached")
    page.close()


def test_html_in_an_article_is_shown_as_text_never_run(url: str, context: Any) -> None:
    page = browser.open_page(context, url)
    browser.ask(page, "How many ships did the lighthouse keeper count in the strait?")
    answer = message(page, 1)
    answer.locator("button.marker").first.wait_for()
    assert "<script>" in said(answer) or "41 ships" in said(answer)
    pane = open_marker(page, answer, 1)
    assert "<img src=x" in pane.locator("h4").inner_text()  # the title, as text
    assert "<script>window.__xss=2</script>" in pane.locator(".article").inner_text()
    for place in (answer, pane):
        assert place.locator("img, script, b").count() == 0
    assert page.evaluate("() => window.__xss") is None
    page.close()


@pytest.mark.slow
def test_with_the_index_in_a_chroma_server(
    chroma_server: ChromaServer, shared_index: Path, tmp_path: Path, context: Any
) -> None:
    seeds, _ = workspace(tmp_path, shared_index)
    index = tmp_path / "server-index"
    Assistant(seeds_dir=seeds, index_dir=index, chroma_url=chroma_server.url).index(progress=False)
    assert not (index / "chroma").exists()
    env = app_env(seeds, index, ASSISTANT_CHROMA_URL=chroma_server.url)
    with browser.streamlit_app(env, tmp_path / "streamlit.log") as app:
        page = browser.open_page(context, app.url)
        browser.ask(page, NATO_WHEN)
        answer = message(page, 1)
        answer.locator("button.marker").first.wait_for()
        assert "July 13" in open_marker(page, answer, 1).locator("mark.focus").inner_text()
        shot(page, "chroma_server")
        page.close()


@pytest.mark.slow
def test_local_model_streams_queues_and_stops(
    shared_index: Path, tmp_path: Path, context: Any
) -> None:
    from assistant.answer.backends.model_parts import model_path
    from assistant.answer.backends.runtimes.factory import installed_runtimes
    from assistant.config import load_settings
    from assistant.errors import BackendUnavailableError

    if not installed_runtimes():
        pytest.skip("no llama.cpp runtime is installed; run: bash scripts/install_local_model.sh")
    settings = load_settings()
    try:
        model_path(settings.local_model, settings.model_dir)
    except BackendUnavailableError as exc:
        pytest.skip(f"the local model is not installed: {exc}")
    seeds, index = workspace(tmp_path, shared_index)
    env = app_env(seeds, index, ASSISTANT_BACKEND="local")
    with browser.streamlit_app(env, tmp_path / "streamlit.log") as app:
        page = browser.open_page(context, app.url)
        browser.ask(page, "What did Stoltenberg say about the meeting and about cooperation?")
        page.get_by_role("button", name="Stop").wait_for()
        browser.ask(page, NATO_WHEN)  # typed while the first answer is being written
        message(page, 3).get_by_text("Waiting: answered after the question above.").wait_for()
        page.wait_for_function(  # the first streamed words
            "() => document.querySelectorAll('[data-testid=stChatMessage]')[1]"
            ".innerText.includes('▌')"
        )
        box = page.get_by_test_id("stChatInput").locator("textarea")
        box.fill("a question still being typed")  # reruns must not wipe it
        shot(page, "local_streaming_queued")
        written = message(page, 1).inner_text().replace("▌", "").split("\n")[0].strip()
        page.get_by_role("button", name="Stop").click()
        message(page, 1).get_by_text("Stopped.").wait_for()
        assert written and written[:3] in message(page, 1).inner_text()  # kept, marked
        second = message(page, 3)
        second.locator("button.marker").first.wait_for(timeout=240_000)
        assert "July 13" in said(second)
        assert "local" in second.inner_text()  # the backend, small, under the answer
        assert box.input_value() == "a question still being typed"
        box.fill("")
        shot(page, "local_stop_and_queue")
        open_marker(page, second, 1)
        page.close()
