"""Streamlit chat over the same ``Assistant`` as the API and CLI: presentation only.

Questions are answered in order by a worker thread per conversation (``ui.flow``), so a
rerun never loses an answer and a question asked meanwhile waits its turn; answers stream in,
and "Stop" ends one and keeps what was written. Markers in an answer show their quote on
hover and open the cited article in a reading pane beside the chat (``ui.reader``), its
spans highlighted in their markers' colours; sources are grouped by article with outlet and
date. The sidebar shows the backend, narrows the search to articles, outlets and dates, and
re-indexes, uploads and exports. Everything from articles or models is escaped or passed to
the page as data, never as HTML. Run with ``bash scripts/run.sh`` or ``streamlit run
ui/app.py``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run ui/app.py` only puts ui/ on the path
    sys.path.insert(0, str(ROOT))

from assistant import Assistant, AssistantError  # noqa: E402
from assistant.config import Settings, load_settings  # noqa: E402
from assistant.types import ArticleInfo  # noqa: E402
from ui import reader, status, turns, widgets  # noqa: E402
from ui import sidebar as side  # noqa: E402
from ui.export import settings_key  # noqa: E402
from ui.flow import Chat  # noqa: E402
from ui.markup import escape_markdown  # noqa: E402


@st.cache_resource(show_spinner="Loading the assistant (embedding model and index)…")
def get_assistant(key: str, _settings: Settings) -> Assistant:
    """One ``Assistant`` per process and distinct settings (``key`` names them), its index
    opened and embedding model loaded now rather than in the first answer."""
    assistant = Assistant(_settings)
    with contextlib.suppress(AssistantError):  # the sidebar's article list shows why
        _ = assistant.searcher  # opens the search step (assigned: Streamlit shows bare values)
    return assistant


def feedback_path(settings: Settings) -> Path:
    """Where thumbs up/down go: ``ASSISTANT_FEEDBACK_FILE`` or ``index_dir/feedback.jsonl``."""
    return Path(os.environ.get("ASSISTANT_FEEDBACK_FILE") or settings.index_dir / "feedback.jsonl")


def the_chat() -> Chat:
    """This browser session's conversation."""
    chat: Chat = st.session_state.setdefault("chat", Chat())
    return chat


def on_question() -> None:
    """Queue the submitted question with the narrowing chosen now (runs before the page)."""
    question = st.session_state.get("question")
    if question is not None:
        the_chat().ask(question, side.current_narrowing())


def new_conversation() -> None:
    if the_chat().clear():
        st.session_state.reading = None


def sidebar(assistant: Assistant, settings: Settings, base: Settings) -> list[ArticleInfo]:
    """Backend, narrowing, settings, articles (re-index, upload) and export; returns the
    indexed articles."""
    chat = the_chat()
    st.button(
        "New conversation",
        on_click=new_conversation,
        icon=":material/add_comment:",
        width="stretch",
        disabled=chat.live,
        help="Available once the answer being written is done or stopped" if chat.live else None,
    )
    model_backend = side.backend_section(assistant)
    narrowing = st.container()  # filled below, with the articles as they are after an upload
    with st.expander("Settings"):
        st.slider("Passages retrieved (top-k)", 1, 20, base.top_k, key="top_k")
        if model_backend:
            st.slider("Temperature", 0.0, 1.0, base.temperature, 0.05, key="temperature")
    articles = side.articles_section(assistant)
    with narrowing:
        side.narrowing_section(articles)
    messages = chat.messages()
    if messages:
        side.export_section(messages)
    return articles


def conversation(chat: Chat, articles: list[ArticleInfo], settings: Settings) -> dict[str, Any]:
    """Every turn; the placeholders of the turns still to come, by turn id."""
    titles = {a.source: a.title for a in articles}
    slots: dict[str, Any] = {}
    for turn in chat.turns():
        turns.show_question(turn, titles)
        with st.chat_message("assistant"):
            if turn.live:
                slots[turn.id] = turns.live_slot(turn, not slots, chat)
            else:
                turns.show_answer(turn, feedback_path(settings), chat)
    return slots


def main() -> None:
    st.set_page_config(page_title="News assistant", page_icon=":material/newspaper:", layout="wide")
    widgets.page_style()
    chat = the_chat()
    try:
        base = load_settings()
        overrides: dict[str, Any] = {"top_k": st.session_state.get("top_k", base.top_k)}
        overrides["temperature"] = st.session_state.get("temperature", base.temperature)
        settings = base.model_copy(update=overrides)
        assistant = get_assistant(settings_key(settings), settings)
    except AssistantError as exc:
        st.error(escape_markdown(str(exc)))
        st.stop()
    chat.start(assistant)

    with st.sidebar:
        status.render(settings)
        articles = sidebar(assistant, settings, base)
    reader.reading_pane(chat, settings.seeds_dir)
    st.title("News assistant")
    st.caption("Answers come only from the indexed articles, with the passages they quote.")
    slots = conversation(chat, articles, settings)
    with st.bottom:
        side.narrowing_line(articles)
    st.chat_input("Ask about the articles", key="question", on_submit=on_question)
    turns.follow(chat, slots, st.rerun)


main()
