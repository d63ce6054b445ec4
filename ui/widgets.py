"""The two page parts Streamlit has no element for, and the page's style.

An answer with clickable, hoverable citation markers, and a cited article with its spans
highlighted and scrolled into view, are Streamlit custom components (``ui/assets/*.js``):
they receive the segments of ``ui.sources`` as JSON and build text nodes from them, so no
text from an article or a model is ever parsed as HTML. The page style (``app.css``) is
fixed text of this project.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import streamlit as st

ASSETS = Path(__file__).resolve().parent / "assets"
PANE_BACKGROUND = {"light": "#ffffff", "dark": "#0e1117"}


def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


_answer = st.components.v2.component(
    "news_answer", js=_asset("answer.js"), css=_asset("answer.css")
)
_article = st.components.v2.component(
    "news_article", js=_asset("article.js"), css=_asset("article.css")
)


def answer_text(key: str, segments: Sequence[dict[str, Any]], on_open: Callable[[], None]) -> None:
    """An answer's segments; clicking marker ``n`` calls ``on_open`` with ``n`` in
    ``st.session_state[key]["open"]``."""
    _answer(key=key, data={"segments": list(segments)}, on_open_change=on_open)


def article_text(key: str, segments: Sequence[dict[str, Any]], focus: int) -> None:
    """A cited article's segments, the span of marker ``focus`` scrolled into view."""
    _article(key=key, data={"segments": list(segments), "focus": focus})


def page_style() -> None:
    """The reading pane's place and the sources' rows (``ui/assets/app.css``)."""
    theme = getattr(st.context, "theme", None)
    kind = getattr(theme, "type", None) or "light"
    background = PANE_BACKGROUND.get(str(kind), PANE_BACKGROUND["light"])
    st.html(f"<style>:root {{ --pane-bg: {background}; }}\n{_asset('app.css')}</style>")
