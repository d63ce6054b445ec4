"""The chat itself: each question with how it was understood and what it searched, each
answer with its markers, its sources grouped by article, its date and its cost; answers
still being written follow the worker (``ui.flow``) live.

Every text from an article or a model goes through ``escape_markdown`` or into a component
as data (``ui.widgets``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import streamlit as st

from assistant.types import Answer
from ui import export, widgets
from ui.flow import FAILED, QUEUED, STOPPED, Chat, Turn
from ui.markup import escape_markdown, one_line
from ui.sources import (
    answer_segments,
    colour,
    dates_line,
    group_by_article,
    meta_line,
    other_notices,
    uncovered,
    understood_as,
)

FOLLOW_POLL_S = 0.1  # how often a streaming answer is redrawn (and a rerun noticed)
QUOTE_CHARS = 110


def open_reading(turn_id: str, n: int) -> None:
    """Open the reading pane on citation ``n`` of the answer of ``turn_id``."""
    st.session_state.reading = {"turn": turn_id, "n": int(n)}


def _open_from_marker(turn_id: str) -> None:
    state = st.session_state.get(f"answer-{turn_id}") or {}
    n = state.get("open") if hasattr(state, "get") else None
    if n is not None:
        open_reading(turn_id, int(n))


def show_question(turn: Turn, titles: dict[str, str]) -> None:
    """The user's question; under it, what it searched and how a follow-up was understood."""
    with st.chat_message("user"):
        st.markdown(escape_markdown(turn.question))
        if turn.narrowing.active:
            said = turn.narrowing.describe(titles)
            st.caption(":material/filter_alt: searched only " + escape_markdown(said))
        rewrite = understood_as(turn.answer) if turn.answer else None
        if rewrite:
            st.caption(
                ":material/subdirectory_arrow_right: understood as: " + escape_markdown(rewrite)
            )


def show_answer(turn: Turn, feedback_file: Path, chat: Chat) -> None:
    """A finished turn: the answer (or refusal, stopped draft, error) and what goes with it."""
    if turn.status == STOPPED:
        st.markdown(escape_markdown(turn.partial) if turn.partial else "*Nothing was written.*")
        st.caption(
            ":material/stop_circle: Stopped. This partial answer was not checked against "
            "the articles and cites nothing."
        )
        return
    if turn.status == FAILED or turn.answer is None:
        st.warning(escape_markdown(turn.error or "no answer"), icon=":material/warning:")
        return
    answer = turn.answer
    if answer.refused:
        st.info(escape_markdown(answer.text), icon=":material/search_off:")
        if turn.narrowing.active:
            st.caption(
                "Only the chosen articles were searched; clear the narrowing in the sidebar "
                "to search every article."
            )
    else:
        on_open = partial(_open_from_marker, turn.id)
        widgets.answer_text(f"answer-{turn.id}", answer_segments(answer), on_open)
        missing = uncovered(answer)
        if missing:
            st.caption(":material/info: Not in the articles: " + escape_markdown(missing))
        show_sources(turn.id, answer)
    facts = [p for p in (dates_line(answer.citations), meta_line(answer)) if p]
    st.caption(escape_markdown(" · ".join(facts)))
    for notice in other_notices(answer):
        st.caption(escape_markdown(notice))
    key = f"feedback-{turn.id}"
    args = (answer, key, feedback_file, chat)
    st.feedback("thumbs", key=key, on_change=_save_feedback, args=args)


def show_sources(turn_id: str, answer: Answer) -> None:
    """The cited articles, each once, with its quotes; a click opens it in the pane."""
    with st.container(key=f"sources-{turn_id}", gap="small"):
        for group in group_by_article(answer.citations):
            first = group.citations[0].n
            meta = f" :gray[· {escape_markdown(group.meta)}]" if group.meta else ""
            st.button(
                f":material/article: **{escape_markdown(group.title)}**{meta}",
                key=f"article-{turn_id}-{group.source}",
                type="tertiary",
                on_click=open_reading,
                args=(turn_id, first),
                help="Open the article beside the chat",
            )
            for c in group.citations:
                quote = escape_markdown(one_line(c.quote, QUOTE_CHARS))
                st.button(
                    f":{colour(c.n)}-badge[{c.n}] “{quote}”",
                    key=f"quote-{turn_id}-{c.n}",
                    type="tertiary",
                    on_click=open_reading,
                    args=(turn_id, c.n),
                    help="Open the article with this passage highlighted",
                )


def live_slot(turn: Turn, first: bool, chat: Chat) -> Any:
    """A placeholder for a turn still to come, with its Stop (or drop) button."""
    slot = st.empty()
    _draw(slot, turn, first)
    label = "Stop" if first else "Don't answer"
    st.button(
        label,
        key=f"stop-{turn.id}",
        icon=":material/stop_circle:",
        on_click=chat.stop,
        args=(turn.id,),
        help="End this answer now and keep what was written" if first else None,
    )
    return slot


def follow(chat: Chat, slots: dict[str, Any], rerun: Callable[[], None]) -> None:
    """Redraw the first turn drawn as live while it is written; ``rerun`` the page once it
    is done (also when it was done before this was called)."""
    if not slots:
        return
    turn_id = next(iter(slots))
    while True:
        turn = chat.turn(turn_id)
        if turn is None or not turn.live:
            rerun()
            return
        _draw(slots[turn_id], turn, True)  # also where Streamlit notices a rerun request
        chat.wait(FOLLOW_POLL_S)


def _draw(slot: Any, turn: Turn, first: bool) -> None:
    if turn.status == QUEUED and not first:
        slot.caption(":material/schedule: Waiting: answered after the question above.")
    elif not turn.draft:
        slot.caption(":material/search: Searching the articles…")
    else:
        slot.markdown(escape_markdown(turn.partial) + " ▌")


def _save_feedback(answer: Answer, key: str, path: Path, chat: Chat) -> None:
    score = st.session_state.get(key)
    if score is not None:
        questions = [t.question for t in chat.turns()]
        export.append_feedback(path, export.feedback_record(answer, int(score), questions))
        st.toast("Thanks, your feedback was saved.")
