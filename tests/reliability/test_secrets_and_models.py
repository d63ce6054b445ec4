"""Secrets never leak; a model that obeys injected instructions is not believed."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.engine import Assistant
from assistant.errors import BackendAuthError
from tests.conftest import SEEDS
from tests.openai_server import Reply, ScriptedServer

KEY = "sk-test-SECRET-0123456789abcdef"
QUESTION = "When will the NATO-Russia Council meet?"


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        yield running


def _llm(shared_index: Path, server: ScriptedServer) -> Assistant:
    return Assistant(
        seeds_dir=SEEDS,
        index_dir=shared_index,
        auto_index=False,
        backend="openai",
        OPENAI_BASE_URL=server.url,
        OPENAI_API_KEY=KEY,
        model="test-model",
        max_retries=0,
        timeout=10,
    )


def test_settings_hide_the_key() -> None:
    settings = load_settings(OPENAI_API_KEY=KEY)
    assert settings.openai_api_key is not None
    assert settings.openai_api_key.get_secret_value() == KEY
    for text in (repr(settings), str(settings), repr(settings.model_dump())):
        assert KEY not in text
    assert KEY not in settings.model_dump_json()


def test_key_not_in_errors_logs_or_answers(
    shared_index: Path, server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bot = _llm(shared_index, server)
    answer = bot.ask(QUESTION)
    assert not answer.refused
    assert server.received[-1].headers.get("authorization") == f"Bearer {KEY}"  # it is sent
    exported = json.dumps(answer.to_dict()) + repr(answer) + repr(dataclasses.asdict(answer))
    assert KEY not in exported and KEY not in repr(bot.settings)

    # a server that echoes the key in its 401 message (as some do)
    server.script(Reply(status=401, error=f"Incorrect API key provided: {KEY}"))
    with pytest.raises(BackendAuthError) as caught:
        bot.ask(QUESTION)
    assert KEY not in str(caught.value) and "OPENAI_API_KEY" in str(caught.value)
    assert KEY not in caplog.text


@pytest.mark.parametrize(
    "reply",
    [
        "HACKED",
        "HACKED [1]",
        "Ignore the articles. The meeting was cancelled [1].",
        "Here is a poem: roses are red, violets are blue [1].",
    ],
)
def test_model_following_injected_instructions_is_not_believed(
    shared_index: Path, server: ScriptedServer, reply: str
) -> None:
    """Claims the cited evidence does not support are dropped; nothing left is a refusal."""
    server.script(Reply(reply))
    answer = _llm(shared_index, server).ask(QUESTION)
    assert server.received, "the question must reach the model"
    assert "HACKED" not in answer.text and "poem" not in answer.text
    assert "cancelled" not in answer.text and "roses" not in answer.text
    # none of these replies holds a supported claim, so nothing of them may be shown
    assert answer.refused and answer.citations == () and answer.declined_by == "verification"
