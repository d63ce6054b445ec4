"""The set-up facts at the top of the chat's sidebar: the same report as ``assistant doctor``
(backend, runtime, model, index, Chroma, model server), each problem with the command that
fixes it. The report is cached for a few seconds (Streamlit reruns the page on every click),
and the local model starts loading in the background as soon as the page first shows.
"""

from __future__ import annotations

import streamlit as st

from assistant.answer.backends.local import preload
from assistant.config import Settings
from assistant.doctor import DoctorReport, diagnose
from ui.export import settings_key
from ui.markup import escape_markdown

REFRESH_SECONDS = 15


@st.cache_data(ttl=REFRESH_SECONDS, show_spinner=False)
def _report(key: str, _settings: Settings) -> DoctorReport:
    return diagnose(_settings)


@st.cache_resource(show_spinner=False)
def _warm(key: str, _settings: Settings) -> bool:
    """Load and warm the local model in the background, once per process and settings."""
    return preload(_settings) is not None


def render(settings: Settings) -> DoctorReport:
    """Draw the report in the current container (the sidebar) and return it."""
    key = settings_key(settings)
    _warm(key, settings)
    report = _report(key, settings)
    for check in report.checks:
        text = escape_markdown(f"{check.name}: {check.detail}")
        if check.ok:
            st.caption(f":material/check_circle: {text}")
            continue
        st.warning(text, icon=":material/error:")
        if check.fix:
            st.code(check.fix, language="bash")
    return report
