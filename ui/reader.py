"""The reading pane: the article a marker or a source points at, beside the chat (the whole
screen on a phone), with its title, outlet, date and author, a link to the original when
there is one, and every span the same answer cites in it highlighted in its marker's
colour, the clicked one scrolled into view.

Which citation is open lives in ``st.session_state.reading`` (``{"turn", "n"}``), so the
pane stays open across reruns and while other answers are written.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from assistant.types import Citation
from ui import widgets
from ui.files import read_article_text
from ui.flow import Chat
from ui.markup import escape_markdown
from ui.sources import SourceGroup, article_segments, group_by_article


def close_reading() -> None:
    st.session_state.reading = None


def opened(chat: Chat) -> tuple[SourceGroup, Citation] | None:
    """The article group and the citation the pane shows, or ``None`` when it is closed
    (or points at an answer that is gone, e.g. after a new conversation)."""
    where = st.session_state.get("reading")
    if not where:
        return None
    turn = chat.turn(str(where.get("turn")))
    answer = turn.answer if turn is not None else None
    if answer is None:
        return None
    citation = next((c for c in answer.citations if c.n == where.get("n")), None)
    if citation is None:
        return None
    group = next(g for g in group_by_article(answer.citations) if g.source == citation.source)
    return group, citation


def reading_pane(chat: Chat, seeds_dir: Path) -> None:
    """The pane, when a citation is open."""
    found = opened(chat)
    if found is None:
        return
    group, citation = found
    with st.container(key="reading-pane"):
        with st.container(key="reading-head", gap="small"):
            with st.container(horizontal=True, vertical_alignment="top", key="reading-title"):
                st.markdown(f"#### {escape_markdown(group.title)}", width="stretch")
                st.button(
                    "",
                    key="close-reading",
                    icon=":material/close:",
                    type="tertiary",
                    on_click=close_reading,
                    help="Close the article",
                )
            facts = [group.meta, f"source {citation.n} of the answer · {group.source}"]
            st.caption(escape_markdown(" · ".join(f for f in facts if f)))
            if group.url:
                st.link_button("Read the original", group.url, icon=":material/open_in_new:")
        try:
            raw = read_article_text(seeds_dir, group.source)
        except (OSError, ValueError) as exc:
            st.warning(escape_markdown(f"Cannot show the article {group.source}: {exc}"))
            return
        segments, stale = article_segments(raw, group.citations, citation.n)
        if stale:
            st.caption(
                "The article changed since it was indexed, so some passages cannot be "
                "highlighted; re-index to refresh the citations."
            )
        widgets.article_text("article-view", segments, citation.n)
