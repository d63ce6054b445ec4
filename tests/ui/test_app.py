"""The Streamlit chat driven by ``AppTest``: the real app file, the real extractive
``Assistant``, a tmp copy of the seeds and of the index (see ``tests/ui/conftest.py``).

Covers the flow the browser cannot check cheaply: questions queued while an answer is
written, narrowing by article and date, sources grouped by article, the reading pane's
content, refusals, follow-ups, feedback, export, uploads and big archives.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from assistant.types import Answer, ArticleInfo, Citation
from ui.flow import DONE, Chat

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"
TIMEOUT = 180  # the first run loads the embedding model
NATO = "004_3b952a9fea412592.txt"

QUAKE = (
    "Earthquake shakes the island of Lumora\n\n"
    "A magnitude 6.1 earthquake struck the island of Lumora on Tuesday morning, "
    "the national seismology office said.\n\n"
    "The quake damaged the old lighthouse in the harbour town of Petravik, "
    "but no one was hurt, according to the mayor, Ilse Marrow.\n"
)
BRIDGE = (
    "Harbour bridge reopens after repairs\n\nJuly 12, 2016\n\n"
    "The harbour bridge in Petravik reopened on Monday after repairs to its deck took three "
    "weeks, the city council said.\n\nThe repairs cost 2.4 million euros.\n"
)


def start() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def walk(node: Any) -> Iterator[Any]:
    yield node
    children = getattr(node, "children", None) or {}
    for child in children.values():
        yield from walk(child)


def texts(node: Any) -> str:
    """Every markdown, caption, alert and button label under ``node``, unescaped."""
    found = []
    for el in walk(node):
        if getattr(el, "type", None) in ("markdown", "caption", "info", "warning", "alert"):
            found.append(str(el.value))
        elif getattr(el, "type", None) == "button":
            found.append(str(el.label))
    return "\n".join(found).replace("\\", "")


def component(node: Any, key_start: str) -> dict[str, Any]:
    """The data a custom component (answer text, article view) was given."""
    for el in walk(node):
        key = str(getattr(el, "key", None) or "")
        if key.startswith(key_start) and getattr(getattr(el, "proto", None), "json", ""):
            data: dict[str, Any] = json.loads(el.proto.json)
            return data
    raise AssertionError(f"no component {key_start!r}")


def answer_text(message: Any) -> str:
    """The text an answer component shows, markers as ``[n]``."""
    data = component(message, "answer-")
    return "".join(s.get("t", f"[{s.get('n')}]") for s in data["segments"])


def shown_answer(at: AppTest) -> str:
    return answer_text(at.chat_message[-1])


def button(at: AppTest, key_start: str) -> Any:
    return next(b for b in at.button if b.key and b.key.startswith(key_start))


def test_chat_answers_with_citation_follow_up_feedback_and_refusal(
    app_env: dict[str, Path],
) -> None:
    at = start()
    sidebar = texts(at.sidebar)
    assert "extractive" in sidebar  # which backend answers
    assert "NATO To Meet With Russia" in sidebar  # the indexed articles are listed

    ask(at, "When will the NATO-Russia Council meet?")
    assert "July 13 [1]" in shown_answer(at)
    markers = [s for s in component(at.chat_message[-1], "answer-")["segments"] if "n" in s]
    assert markers[0]["colour"] == "blue" and "July 13" in markers[0]["quote"]  # hover text
    sources = texts(at.chat_message[-1])
    assert "NATO To Meet With Russia" in sources and ":blue-badge[1]" in sources
    assert "extractive · " in sources  # backend and seconds, small
    assert not at.chat_message[-1].info  # an answer, not a refusal

    # a source opens the reading pane: the article with the cited span highlighted
    button(at, "quote-").click().run()
    pane = component(at.main, "article-view")
    focused = [s for s in pane["segments"] if s.get("focus")]
    assert len(focused) == 1 and "July 13" in focused[0]["t"] and pane["focus"] == 1
    raw = (app_env["seeds"] / NATO).read_text(encoding="utf-8")
    assert "".join(s["t"] for s in pane["segments"]) == raw
    at.button(key="close-reading").click().run()
    assert not [el for el in walk(at.main) if getattr(el, "key", None) == "article-view"]

    # thumbs up is written to the feedback log with the answer and its citations
    at.chat_message[-1].feedback[0].set_value(1).run()
    record = json.loads(app_env["feedback"].read_text(encoding="utf-8").splitlines()[-1])
    assert record["rating"] == "up" and "July 13" in record["answer"]
    assert record["citations"] and record["citations"][0]["source"] == NATO

    ask(at, "And at what level will it be held?")  # a follow-up, read with the history
    assert "ambassadorial" in shown_answer(at)
    buttons = [b.key for b in at.chat_message[-1].button if b.key]
    quotes = [k for k in buttons if k.startswith("quote-")]
    assert len(quotes) == 2 and len([k for k in buttons if k.startswith("article-")]) == 1
    question = texts(at.chat_message[-2])  # "understood as" sits under the follow-up
    assert "understood as: " in question and "NATO" in question.split("understood as: ")[1]
    assert "understood as" not in texts(at.sidebar)
    assert len(at.chat_message) == 4  # history kept: two questions, two answers

    ask(at, "Who won the 2018 World Cup?")
    msg = at.chat_message[-1]
    assert msg.info and "do not contain" in msg.info[0].value  # a refusal looks different
    assert not [b for b in msg.button if b.key and b.key.startswith("quote-")]  # no sources

    # exports appear once there is a conversation; "New conversation" empties it
    assert len(at.sidebar.download_button) == 2
    at.sidebar.button[0].click().run()
    assert not at.chat_message


def test_questions_asked_while_one_is_written_are_all_answered_in_order(
    app_env: dict[str, Path],
) -> None:
    at = start()
    chat: Chat = at.session_state["chat"]
    chat.ask("When will the NATO-Russia Council meet?")  # as two quick submits arriving
    chat.ask("And at what level will it be held?")  # before the page has run again
    at.run()
    assert not at.exception, at.exception
    assert [t.status for t in chat.turns()] == [DONE, DONE]
    assert len(at.chat_message) == 4
    answers = [answer_text(m) for m in at.chat_message[1::2]]
    assert "July 13" in answers[0] and "ambassadorial" in answers[1]  # read with the first


def test_friendly_error_for_blank_question(app_env: dict[str, Path]) -> None:
    at = ask(start(), "   ")
    msg = at.chat_message[-1]
    assert msg.warning and "empty" in msg.warning[0].value
    assert not at.exception


def test_narrowing_by_article_applies_to_retrieval_and_is_shown(
    app_env: dict[str, Path],
) -> None:
    at = start()
    at.sidebar.multiselect(key="narrow_articles").set_value([NATO]).run()
    line = texts(at._tree[3])  # the line above the chat input
    assert "Searching only 1 article (NATO To Meet With Russia" in line
    ask(at, "When will the NATO-Russia Council meet?")
    assert "searched only 1 article" in texts(at.chat_message[-2])
    chat: Chat = at.session_state["chat"]
    answer = chat.turns()[-1].answer
    assert answer is not None and {c.source for c in answer.citations} == {NATO}

    ask(at, "Who approved the talks between the Russian and American military?")
    msg = at.chat_message[-1]  # that is in another article: declined, with the way out
    assert msg.info and "clear the narrowing" in texts(msg)
    at.button(key="clear-narrowing").click().run()
    assert "Searching only" not in texts(at._tree[3])
    ask(at, "Who approved the talks between the Russian and American military?")
    assert "Kremlin" in shown_answer(at)


def test_dated_articles_show_their_date_and_narrow_by_date(app_env: dict[str, Path]) -> None:
    (app_env["seeds"] / "bridge.txt").write_text(BRIDGE, encoding="utf-8")
    at = start()
    ask(at, "How much did the repairs cost?")
    msg = at.chat_message[-1]
    assert "2.4 million" in shown_answer(at)
    assert "as of 12 July 2016" in texts(msg) and "12 July 2016" in texts(at.sidebar)

    from datetime import date

    at.sidebar.date_input(key="narrow_since").set_value(date(2016, 8, 1)).run()
    assert "published from 1 August 2016" in texts(at._tree[3])
    ask(at, "How much did the repairs cost?")
    assert at.chat_message[-1].info  # nothing published since then


class OutletAssistant:
    """Answers with a citation that carries outlet, date, author and link, as articles
    with metadata will (the seeds have none)."""

    def __init__(self, seeds: Path) -> None:
        self.raw = (seeds / NATO).read_text(encoding="utf-8")

    def articles(self) -> Sequence[ArticleInfo]:
        return []

    def stream_chat(
        self, messages: Sequence[Mapping[str, str]], **_: Any
    ) -> Iterator[str | Answer]:
        quote = "The meeting at the NATO-Russia Council will take place on July 13."
        start = self.raw.index(quote)
        cite = Citation(
            1, NATO, "NATO To Meet", "004#7", start, start + len(quote), quote,
            url="https://news.example/nato", outlet="Example News", published="2016-07-08",
            author="Ann Lee",
        )  # fmt: skip
        yield "It meets on July 13 [1]."
        yield Answer("When?", "It meets on July 13 [1].", False, (cite,), "scripted")


def test_sources_and_pane_show_outlet_date_author_and_link(app_env: dict[str, Path]) -> None:
    at = start()
    chat: Chat = at.session_state["chat"]
    chat.ask("When?")
    chat.start(OutletAssistant(app_env["seeds"]))
    deadline = time.monotonic() + 10
    while chat.live and time.monotonic() < deadline:
        chat.wait(0.05)
    at.run()
    msg = at.chat_message[-1]
    assert "Example News · 8 July 2016 · by Ann Lee" in texts(msg)
    assert "as of 8 July 2016 · scripted" in texts(msg)
    button(at, "article-").click().run()
    assert "Example News · 8 July 2016 · by Ann Lee" in texts(at.main.children[0])
    links = [el for el in walk(at.main) if getattr(el, "type", None) == "link_button"]
    assert links and links[0].proto.url == "https://news.example/nato"


def test_upload_then_ask_about_it_and_reject_binary(app_env: dict[str, Path]) -> None:
    at = start()
    at.sidebar.file_uploader[0].set_value(("Lumora quake!.txt", QUAKE.encode(), "text/plain"))
    at.run()
    assert not at.exception, at.exception
    assert at.sidebar.success
    assert "added Lumora_quake.txt" in at.sidebar.success[0].value.replace("\\", "")
    assert (app_env["seeds"] / "Lumora_quake.txt").read_text(encoding="utf-8") == QUAKE
    assert "Earthquake shakes the island of Lumora" in texts(at.sidebar)

    ask(at, "What did the quake in Lumora damage?")
    assert "lighthouse" in shown_answer(at)
    assert "Earthquake shakes the island of Lumora" in texts(at.chat_message[-1])  # the source

    at.sidebar.file_uploader[0].set_value(("bad.txt", b"\xff\xfe\x00\x01binary", "text/plain"))
    at.run()
    assert at.sidebar.error and "binary" in at.sidebar.error[0].value
    assert sorted(p.name for p in app_env["seeds"].iterdir()) == sorted(
        [p.name for p in Path(APP).parents[1].joinpath("seeds").iterdir()] + ["Lumora_quake.txt"]
    )


def test_big_archive_sidebar_lists_a_page_and_finds_an_article(app_env: dict[str, Path]) -> None:
    for i in range(60):
        note = f"Harbour note {i}\n\nThe harbour office published note number {i}.\n"
        (app_env["seeds"] / "notes" / f"n{i:02d}.txt").parent.mkdir(exist_ok=True)
        (app_env["seeds"] / "notes" / f"n{i:02d}.txt").write_text(note, encoding="utf-8")
    at = start()
    captions = [c.value for c in at.sidebar.caption]
    assert "showing 50 of 63; type in the box to narrow down" in captions
    at.sidebar.text_input(key="find_article").set_value("nato russia").run()
    listed = "\n".join(m.value for m in at.sidebar.markdown).replace("\\", "")
    assert "NATO To Meet With Russia" in listed and "Harbour note" not in listed
    assert not any(c.startswith("showing") for c in (c.value for c in at.sidebar.caption))


def test_the_page_opens_the_search_step_before_the_first_question(
    app_env: dict[str, Path], monkeypatch: Any
) -> None:
    """The first render opens the index and loads the embedding model (the article list
    alone no longer would), so the first question does not wait for them."""
    from assistant.engine import Assistant

    opened: list[object] = []
    original = Assistant._ensure_searcher

    def recording(self: Assistant) -> Any:
        opened.append(self)
        return original(self)

    monkeypatch.setattr(Assistant, "_ensure_searcher", recording)
    import streamlit as st

    st.cache_resource.clear()
    start()
    assert opened and opened[0]._searcher is not None  # type: ignore[attr-defined]
