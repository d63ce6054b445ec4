"""The set-up facts at the top of the sidebar (``ui/status.py``), rendered by Streamlit's
``AppTest``: the same checks as ``assistant doctor``, a problem shown with its fix; and the
real app shows them above the rest of its sidebar."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"


def _status_page(index_dir: str) -> None:
    import streamlit as st

    from assistant.config import load_settings
    from ui import status

    with st.sidebar:
        status.render(load_settings(index_dir=index_dir, backend="extractive"))


def test_every_check_is_shown_and_a_problem_with_its_fix(index_copy: Path, tmp_path: Path) -> None:
    at = AppTest.from_function(_status_page, args=(str(index_copy),), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    captions = " ".join(c.value for c in at.sidebar.caption).replace("\\", "")
    for name in ("backend", "runtime", "model", "index", "chroma"):
        assert name in captions or any(name in w.value for w in at.sidebar.warning), name
    assert "3 articles, 21 passages" in captions
    missing = AppTest.from_function(_status_page, args=(str(tmp_path / "none"),))
    missing.run()
    assert any("no index in" in w.value.replace("\\", "") for w in missing.sidebar.warning)
    assert any("assistant index --index" in c.value for c in missing.sidebar.code)


@pytest.mark.usefixtures("app_env")
def test_the_app_shows_the_set_up_at_the_top_of_its_sidebar() -> None:
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    first = at.sidebar.caption[0].value if at.sidebar.caption else ""
    assert first.startswith(":material/check_circle: backend") or at.sidebar.warning
