"""Streamlit chat over the same ``Assistant`` as the API and CLI: presentation only.

Answers stream in as they are written; ``[n]`` markers link to the sources under each
answer, and each source opens its article with the quoted span highlighted. The sidebar
shows the backend and why, the indexed articles, re-indexing, uploads, settings, export.
Everything from articles or models is escaped (``ui.helpers``); no raw HTML is rendered.
Run with ``bash scripts/run.sh`` or ``streamlit run ui/app.py``.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run ui/app.py` only puts ui/ on the path
    sys.path.insert(0, str(ROOT))

from assistant import Answer, Assistant, AssistantError  # noqa: E402
from assistant.config import Settings, load_settings  # noqa: E402
from ui import helpers as h  # noqa: E402
from ui import status  # noqa: E402

Message = dict[str, Any]


@st.cache_resource(show_spinner="Loading the assistant (embedding model and index)…")
def get_assistant(key: str, _settings: Settings) -> Assistant:
    """One ``Assistant`` per process and distinct settings (``key`` names them)."""
    return Assistant(_settings)


def feedback_path(settings: Settings) -> Path:
    """Where thumbs up/down go: ``ASSISTANT_FEEDBACK_FILE`` or ``index_dir/feedback.jsonl``."""
    return Path(os.environ.get("ASSISTANT_FEEDBACK_FILE") or settings.index_dir / "feedback.jsonl")


def chat_history(messages: list[Message]) -> list[dict[str, str]]:
    """Earlier turns as ``{"role", "content"}`` for the assistant's follow-up handling."""
    history = []
    for m in messages:
        answer = m.get("answer")
        content = answer.text if isinstance(answer, Answer) else m.get("content", "")
        history.append({"role": m["role"], "content": str(content or m.get("error", ""))})
    return history


def answer_stream(assistant: Assistant, messages: list[Message]) -> Iterator[str | Answer]:
    """Deltas then the final Answer for the last user message, earlier turns as context."""
    return assistant.stream_chat(chat_history(messages))


def save_feedback(msg: Message, key: str, path: Path) -> None:
    """Append the thumbs given to one answer to the feedback log."""
    score = st.session_state.get(key)
    if score is not None and isinstance(msg.get("answer"), Answer):
        question_turns = [m["content"] for m in st.session_state.messages if m["role"] == "user"]
        h.append_feedback(path, h.feedback_record(msg["answer"], int(score), question_turns))
        st.toast("Thanks, your feedback was saved.")


def show_article(settings: Settings, citation: Any) -> None:
    """The cited article, its quoted span highlighted."""
    try:
        raw = h.read_article_text(settings.seeds_dir, citation.source)
        body = h.highlight_markdown(raw, citation.start, citation.end)
    except (OSError, ValueError) as exc:
        st.warning(h.escape_markdown(f"Cannot show the article {citation.source}: {exc}"))
        return
    if raw[citation.start : citation.end] != citation.quote:
        st.caption("The article changed since it was indexed; re-index to refresh citations.")
    context, whole = st.tabs(["In context", "Whole article"])
    with context, st.container(border=True):
        st.markdown(h.highlight_in_context(raw, citation.start, citation.end))
    with whole, st.container(border=True):
        st.markdown(body)


def show_answer(msg: Message, number: int, settings: Settings) -> None:
    """One assistant turn: the answer (or refusal, or error), its sources and thumbs."""
    if msg.get("error"):
        st.warning(h.escape_markdown(msg["error"]), icon=":material/warning:")
        return
    answer: Answer = msg["answer"]
    if answer.refused:
        st.info(h.escape_markdown(answer.text), icon=":material/search_off:")
    else:
        st.markdown(h.answer_markdown(answer.text, h.sources_anchor(number)))
        st.markdown(h.sources_heading(number))
        for c in answer.citations:
            with st.expander(f"\\[{c.n}\\] {h.escape_markdown(c.title)}"):
                st.markdown("> " + h.escape_markdown(" ".join(c.quote.split())))
                st.caption(h.escape_markdown(f"{c.source} · characters {c.start}–{c.end}"))
                show_article(settings, c)
    for notice in answer.notices:
        if not notice.startswith("backend "):  # the backend is named in the sidebar
            st.caption(h.escape_markdown(notice))
    key = f"feedback_{msg['id']}"
    args = (msg, key, feedback_path(settings))
    st.feedback("thumbs", key=key, on_change=save_feedback, args=args)


def ask(assistant: Assistant, messages: list[Message]) -> Message:
    """Stream the answer to the last user message into the page; the new assistant turn."""
    msg: Message = {"role": "assistant", "id": uuid.uuid4().hex, "content": ""}
    placeholder = st.empty()
    text = ""
    try:
        with st.spinner("Searching the articles…"):
            for item in answer_stream(assistant, messages):
                if isinstance(item, Answer):
                    msg["answer"], msg["content"] = item, item.text
                else:
                    text += item
                    placeholder.markdown(h.escape_markdown(text) + " ▌")
    except AssistantError as exc:
        msg["error"] = str(exc)
    except Exception as exc:  # never a traceback page; say what happened instead
        msg["error"] = f"unexpected error ({type(exc).__name__}: {exc}); try again or re-index."
    placeholder.empty()
    if "answer" not in msg and "error" not in msg:
        msg["error"] = "the assistant returned no answer; try again."
    return msg


def new_conversation() -> None:
    st.session_state.messages = []


def backend_section(assistant: Assistant, messages: list[Message]) -> bool:
    """Which backend answers and why, and the notes on the latest answer; ``True`` when it
    is a model (so a temperature applies)."""
    shown = ""
    try:
        choice = assistant.backend_choice
        st.markdown(f"**Backend:** {h.escape_markdown(choice.backend.name)}")
        st.caption(h.escape_markdown(f"Why: {choice.reason}"))
        model_backend = choice.backend.name != "extractive"
        shown = f"backend {choice.backend.name}: {choice.reason}"
    except AssistantError as exc:
        st.error(h.escape_markdown(str(exc)))
        model_backend = False
    answers = [m["answer"] for m in messages if isinstance(m.get("answer"), Answer)]
    for notice in answers[-1].notices if answers else ():  # notes on the latest answer
        if notice != shown:
            st.caption(h.escape_markdown(notice))
    return model_backend


def articles_section(assistant: Assistant) -> None:
    """Re-index, upload an article, and the (filterable) list of indexed articles."""
    st.subheader("Articles")
    if st.button("Re-index articles", icon=":material/refresh:"):
        try:
            with st.spinner("Indexing…"):
                st.success(h.escape_markdown(assistant.index().summary()))
        except AssistantError as exc:
            st.error(h.escape_markdown(str(exc)))
    upload = st.file_uploader("Add an article (.txt or .md)", type=["txt", "md"], key="upload")
    if upload is not None and st.session_state.get("upload_done") != upload.file_id:
        st.session_state.upload_done = upload.file_id
        try:
            with st.spinner("Indexing the new article…"):
                ok, text = h.add_article(assistant, upload.name, upload.getvalue())
        except AssistantError as exc:
            ok, text = False, str(exc)
        st.session_state.upload_result = (ok, text)
    if "upload_result" in st.session_state:
        ok, text = st.session_state.upload_result
        (st.success if ok else st.error)(h.escape_markdown(text))
    try:
        articles = assistant.articles()
    except AssistantError as exc:
        st.warning(h.escape_markdown(str(exc)))
        articles = []
    with st.expander(f"Indexed articles ({len(articles)})", expanded=len(articles) <= 5):
        query = ""
        if len(articles) > h.ARTICLES_SHOWN:
            query = st.text_input("Find an article", placeholder="words of a title or path")
        shown, matching = h.filter_articles(articles, query)
        for article in shown:
            st.markdown(
                f"**{h.escape_markdown(article.title)}**  \n{h.escape_markdown(article.source)}"
            )
            dated = f" · {article.date}" if article.date else ""
            st.caption(f"{article.passages} passages{dated}")
        if matching > len(shown):
            st.caption(f"showing {len(shown)} of {matching}; type in the box to narrow down")


def export_section(messages: list[Message]) -> None:
    """Download the conversation as JSON or Markdown."""
    st.subheader("Export")
    st.download_button(
        "Conversation as JSON",
        h.conversation_json(messages),
        file_name="conversation.json",
        mime="application/json",
        on_click="ignore",
        icon=":material/download:",
    )
    st.download_button(
        "Conversation as Markdown",
        h.conversation_markdown(messages),
        file_name="conversation.md",
        mime="text/markdown",
        on_click="ignore",
        icon=":material/download:",
    )


def sidebar(assistant: Assistant, settings: Settings, base: Settings) -> None:
    """Backend, settings, actions (new chat, re-index, upload, export) and the article list."""
    messages: list[Message] = st.session_state.messages
    icon = ":material/add_comment:"
    st.button("New conversation", on_click=new_conversation, icon=icon, width="stretch")
    model_backend = backend_section(assistant, messages)
    with st.expander("Settings"):
        st.slider("Passages retrieved (top-k)", 1, 20, base.top_k, key="top_k")
        if model_backend:
            st.slider("Temperature", 0.0, 1.0, base.temperature, 0.05, key="temperature")
    articles_section(assistant)
    if messages:
        export_section(messages)


def main() -> None:
    st.set_page_config(page_title="News assistant", page_icon=":material/newspaper:", layout="wide")
    st.session_state.setdefault("messages", [])
    messages: list[Message] = st.session_state.messages
    try:
        base = load_settings()
        overrides: dict[str, Any] = {"top_k": st.session_state.get("top_k", base.top_k)}
        overrides["temperature"] = st.session_state.get("temperature", base.temperature)
        settings = base.model_copy(update=overrides)
        assistant = get_assistant(h.settings_key(settings), settings)
    except AssistantError as exc:
        st.error(h.escape_markdown(str(exc)))
        st.stop()

    st.title("News assistant")
    st.caption("Answers come only from the indexed articles, with the passages they quote.")
    with st.sidebar:
        status.render(settings)
        sidebar(assistant, settings, base)

    number = 0
    for msg in messages:
        with st.chat_message(msg["role"]):
            if msg["role"] == "user":
                st.markdown(h.escape_markdown(msg["content"]))
            else:
                number += 1
                show_answer(msg, number, settings)

    question = st.chat_input("Ask about the articles")
    if question is not None:
        messages.append({"role": "user", "id": uuid.uuid4().hex, "content": question})
        with st.chat_message("user"):
            st.markdown(h.escape_markdown(question))
        with st.chat_message("assistant"):
            msg = ask(assistant, messages)
            messages.append(msg)
            show_answer(msg, number + 1, settings)


main()
