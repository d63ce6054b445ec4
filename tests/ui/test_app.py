"""The Streamlit chat driven by ``AppTest``: the real app file, the real extractive
``Assistant``, a tmp copy of the seeds and of the index (see ``tests/ui/conftest.py``)."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"
TIMEOUT = 180  # the first run loads the embedding model

QUAKE = (
    "Earthquake shakes the island of Lumora\n\n"
    "A magnitude 6.1 earthquake struck the island of Lumora on Tuesday morning, "
    "the national seismology office said.\n\n"
    "The quake damaged the old lighthouse in the harbour town of Petravik, "
    "but no one was hurt, according to the mayor, Ilse Marrow.\n"
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


def last_answer_text(at: AppTest) -> str:
    """Everything shown in the last assistant message (markdown, alerts, expander labels)."""
    msg = at.chat_message[-1]
    assert msg.name == "assistant"
    parts = (
        [m.value for m in msg.markdown]
        + [a.value for a in msg.info]
        + [w.value for w in msg.warning]
    )
    parts += [e.label for e in msg.expander]
    return "\n".join(parts).replace("\\", "")


def test_chat_answers_with_citation_follow_up_feedback_and_refusal(
    app_env: dict[str, Path],
) -> None:
    at = start()
    sidebar = "\n".join(m.value for m in at.sidebar.markdown).replace("\\", "")
    assert "extractive" in sidebar  # which backend answers
    assert "NATO To Meet With Russia" in sidebar  # the indexed articles are listed
    assert any("passages" in c.value for c in at.sidebar.caption)

    ask(at, "When will the NATO-Russia Council meet?")
    shown = last_answer_text(at)
    assert "July 13" in shown
    msg = at.chat_message[-1]
    assert "[\\[1\\]](#sources-for-answer-1)" in msg.markdown[0].value  # marker links to sources
    labels = [e.label for e in msg.expander]
    assert labels and labels[0].startswith("\\[1\\]")
    article = [m.value for m in msg.expander[0].markdown]
    highlighted = [v for v in article if ":orange-background[" in v]
    assert highlighted, article
    assert "July 13" in highlighted[0].split(":orange-background[", 1)[1]
    assert not at.chat_message[-1].info  # an answer, not a refusal

    # thumbs up is written to the feedback log with the answer and its citations
    at.chat_message[-1].feedback[0].set_value(1).run()
    lines = app_env["feedback"].read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[-1])
    assert record["rating"] == "up" and "July 13" in record["answer"]
    assert record["citations"] and record["citations"][0]["source"].startswith("004_")

    ask(at, "And at what level will it be held?")  # a follow-up, read with the history
    assert "ambassadorial" in last_answer_text(at)
    rewrite = [c.value.replace("\\", "") for c in at.chat_message[-1].caption]
    assert any(c.startswith("understood as: ") and "NATO" in c for c in rewrite), rewrite
    assert len(at.chat_message) == 4  # history kept: two questions, two answers
    assert "July 13" in "\n".join(m.value for m in at.chat_message[1].markdown)

    ask(at, "Who won the 2018 World Cup?")
    msg = at.chat_message[-1]
    assert msg.info and "do not contain" in msg.info[0].value
    assert not msg.expander  # no sources for a refusal

    # exports appear once there is a conversation; "New conversation" empties it
    assert len(at.sidebar.download_button) == 2
    at.sidebar.button[0].click().run()
    assert not at.chat_message


def test_friendly_error_for_blank_question(app_env: dict[str, Path]) -> None:
    at = ask(start(), "   ")
    msg = at.chat_message[-1]
    assert msg.warning and "empty" in msg.warning[0].value
    assert not at.exception


def test_upload_then_ask_about_it_and_reject_binary(app_env: dict[str, Path]) -> None:
    at = start()
    at.sidebar.file_uploader[0].set_value(("Lumora quake!.txt", QUAKE.encode(), "text/plain"))
    at.run()
    assert not at.exception, at.exception
    assert at.sidebar.success
    assert "added Lumora_quake.txt" in at.sidebar.success[0].value.replace("\\", "")
    assert (app_env["seeds"] / "Lumora_quake.txt").read_text(encoding="utf-8") == QUAKE
    sidebar = "\n".join(m.value for m in at.sidebar.markdown).replace("\\", "")
    assert "Earthquake shakes the island of Lumora" in sidebar

    ask(at, "Which building did the earthquake in Lumora damage?")
    shown = last_answer_text(at)
    assert "lighthouse" in shown
    assert "Earthquake shakes the island of Lumora" in shown  # the source title

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
    at.sidebar.text_input[0].set_value("nato russia").run()
    sidebar = "\n".join(m.value for m in at.sidebar.markdown).replace("\\", "")
    assert "NATO To Meet With Russia" in sidebar and "Harbour note" not in sidebar
    assert not any(c.startswith("showing") for c in (c.value for c in at.sidebar.caption))
