"""Streamlit chat over the same ``Assistant`` as the API and CLI (minimal first version)."""

from __future__ import annotations

import streamlit as st

from assistant import Assistant, AssistantError


@st.cache_resource
def get_assistant() -> Assistant:
    return Assistant()


st.title("News assistant")
question = st.chat_input("Ask about the articles")
if question:
    st.chat_message("user").write(question)
    try:
        answer = get_assistant().ask(question)
    except AssistantError as exc:
        st.error(str(exc))
    else:
        with st.chat_message("assistant"):
            st.text(answer.text)
            for c in answer.citations:
                st.caption(f"[{c.n}] {c.title} ({c.source}, {c.start}-{c.end}): {c.quote}")
