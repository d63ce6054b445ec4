"""The sidebar's sections (backend, narrowing, articles and uploads, export) and the line
above the chat input that says how the search is narrowed.

The narrowing widgets keep their values in ``st.session_state`` (``NARROW_KEYS``);
``current_narrowing`` reads them into the ``Narrowing`` each new question is asked with.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import streamlit as st

from assistant import Assistant, AssistantError
from assistant.types import ArticleInfo
from ui import export
from ui.files import add_article
from ui.markup import escape_markdown, long_date
from ui.narrowing import (
    ARTICLES_SHOWN,
    Narrowing,
    article_options,
    filter_articles,
    outlet_of,
    outlets,
)

NARROW_KEYS = ("narrow_articles", "narrow_outlets", "narrow_since", "narrow_until")
EARLIEST = date(1900, 1, 1)


def current_narrowing() -> Narrowing:
    """The narrowing chosen in the sidebar now."""
    state = st.session_state
    since, until = state.get("narrow_since"), state.get("narrow_until")
    return Narrowing(
        tuple(state.get("narrow_articles") or ()),
        tuple(state.get("narrow_outlets") or ()),
        since.isoformat() if isinstance(since, date) else None,
        until.isoformat() if isinstance(until, date) else None,
    )


def clear_narrowing() -> None:
    for key in NARROW_KEYS:
        st.session_state[key] = [] if key in NARROW_KEYS[:2] else None


def catalog(assistant: Assistant) -> list[ArticleInfo]:
    """The indexed articles, or an empty list with the reason shown."""
    try:
        return assistant.articles()
    except AssistantError as exc:
        st.warning(escape_markdown(str(exc)))
        return []


def backend_section(assistant: Assistant) -> bool:
    """Which backend answers and why; ``True`` when it is a model (a temperature applies)."""
    try:
        choice = assistant.backend_choice
    except AssistantError as exc:
        st.error(escape_markdown(str(exc)))
        return False
    st.markdown(f"**Backend:** {escape_markdown(choice.backend.name)}")
    st.caption(escape_markdown(f"Why: {choice.reason}"))
    return choice.backend.name != "extractive"


def narrowing_section(articles: Sequence[ArticleInfo]) -> None:
    """Choose articles, outlets and a date range for the next questions."""
    st.subheader("Narrow the search")
    titles = {a.source: a.title for a in articles}
    chosen = [s for s in st.session_state.get("narrow_articles") or () if s in titles]
    st.session_state["narrow_articles"] = chosen
    options = article_options(articles, st.session_state.get("find_article", ""), chosen)
    st.multiselect(
        "Articles",
        options,
        key="narrow_articles",
        format_func=lambda s: titles.get(s, s),
        placeholder="all articles",
    )
    known = outlets(articles)
    st.multiselect(
        "Outlets",
        known,
        key="narrow_outlets",
        placeholder="all outlets" if known else "no outlet is known for these articles",
        disabled=not known,
    )
    today = date.today()
    columns = st.columns(2)
    columns[0].date_input(
        "Published from", None, EARLIEST, today, key="narrow_since", format="YYYY-MM-DD"
    )
    columns[1].date_input("to", None, EARLIEST, today, key="narrow_until", format="YYYY-MM-DD")
    if current_narrowing().active:
        st.button("Search every article", on_click=clear_narrowing, icon=":material/clear_all:")


def narrowing_line(articles: Sequence[ArticleInfo]) -> None:
    """Above the chat input, while the search is narrowed: how, and a way back."""
    narrowing = current_narrowing()
    if not narrowing.active:
        return
    titles = {a.source: a.title for a in articles}
    with st.container(horizontal=True, vertical_alignment="center", key="narrowing-line"):
        said = escape_markdown(narrowing.describe(titles))
        st.caption(f":material/filter_alt: Searching only {said}", width="stretch")
        st.button("Clear", key="clear-narrowing", on_click=clear_narrowing, type="tertiary")
    problem = narrowing.problem(articles)
    if problem:
        st.caption(":material/warning: " + escape_markdown(problem.capitalize()))


def articles_section(assistant: Assistant) -> list[ArticleInfo]:
    """Re-index, upload an article, and the (findable) list of indexed articles, which it
    returns."""
    st.subheader("Articles")
    if st.button("Re-index articles", icon=":material/refresh:"):
        try:
            with st.spinner("Indexing…"):
                st.success(escape_markdown(assistant.index().summary()))
        except AssistantError as exc:
            st.error(escape_markdown(str(exc)))
    upload = st.file_uploader("Add an article (.txt or .md)", type=["txt", "md"], key="upload")
    if upload is not None and st.session_state.get("upload_done") != upload.file_id:
        st.session_state.upload_done = upload.file_id
        try:
            with st.spinner("Indexing the new article…"):
                ok, text = add_article(assistant, upload.name, upload.getvalue())
        except AssistantError as exc:
            ok, text = False, str(exc)
        st.session_state.upload_result = (ok, text)
    if "upload_result" in st.session_state:
        ok, text = st.session_state.upload_result
        (st.success if ok else st.error)(escape_markdown(text))
    articles = catalog(assistant)
    article_list(articles)
    return articles


def article_list(articles: Sequence[ArticleInfo]) -> None:
    """The indexed articles, a page at a time, with a finder for big archives."""
    with st.expander(f"Indexed articles ({len(articles)})", expanded=len(articles) <= 5):
        query = ""
        if len(articles) > ARTICLES_SHOWN:
            query = st.text_input(
                "Find an article", placeholder="words of a title or path", key="find_article"
            )
        shown, matching = filter_articles(articles, query)
        for article in shown:
            st.markdown(
                f"**{escape_markdown(article.title)}**  \n{escape_markdown(article.source)}"
            )
            facts = [outlet_of(article), long_date(article.date), f"{article.passages} passages"]
            st.caption(escape_markdown(" · ".join(f for f in facts if f)))
        if matching > len(shown):
            st.caption(f"showing {len(shown)} of {matching}; type in the box to narrow down")


def export_section(messages: list[dict[str, Any]]) -> None:
    """Download the conversation as JSON or Markdown."""
    st.subheader("Export")
    formats = (
        ("JSON", export.conversation_json, "conversation.json", "application/json"),
        ("Markdown", export.conversation_markdown, "conversation.md", "text/markdown"),
    )
    for label, render, name, mime in formats:
        st.download_button(
            f"Conversation as {label}",
            render(messages),
            file_name=name,
            mime=mime,
            on_click="ignore",
            icon=":material/download:",
        )
