"""The Python API: ``Assistant.ask`` returns a frozen ``Answer`` in the contract's JSON shape."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from assistant import Answer, Assistant, AssistantError
from assistant.answer.conformance import ANSWER_KEYS, check_answer
from assistant.errors import QuestionError
from tests.conftest import SEEDS


def test_answer_with_exact_citations(assistant: Assistant) -> None:
    answer = assistant.ask("When will the NATO-Russia Council meet?", id="q1")
    assert isinstance(answer, Answer)
    assert not answer.refused and "July 13" in answer.text
    data = answer.to_dict()
    assert tuple(data) == ANSWER_KEYS
    assert data["id"] == "q1" and data["backend"] == "extractive"
    assert check_answer(data, SEEDS) == []
    first = answer.citations[0]
    assert first.n == 1 and first.passage_id == "004_3b952a9fea412592#7"
    assert first.title == "NATO To Meet With Russia To ‘Reduce Tensions’"
    raw = (SEEDS / first.source).read_text(encoding="utf-8")
    assert raw[first.start : first.end] == first.quote
    assert answer.text.startswith(first.quote.rstrip(".")) and "[1]" in answer.text
    assert set(answer.timings) == {"retrieve_ms", "first_token_ms", "total_ms"}
    json.dumps(data)  # serialisable
    assert Answer.from_dict(data).to_dict() == data


def test_answer_is_frozen(assistant: Assistant) -> None:
    answer = assistant.ask("Who is Alexey Meshkov?")
    with pytest.raises(dataclasses.FrozenInstanceError):
        answer.text = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    "question",
    [
        "Who won the 2018 FIFA World Cup?",
        "What is the recipe for a chocolate cake?",
        "What did Angela Merkel say about the Warsaw summit?",
    ],
)
def test_off_topic_questions_are_refused(assistant: Assistant, question: str) -> None:
    answer = assistant.ask(question)
    assert answer.refused and answer.citations == ()
    assert "articles do not" in answer.text
    assert check_answer(answer.to_dict(), SEEDS) == []


@pytest.mark.parametrize(
    "question",
    [
        "Why did NATO cancel the July 13 meeting?",
        "Why did Russia reject the NATO military experts' visit?",
        "Why did the Pentagon call off the secret talks in Northern Europe?",
    ],
)
def test_questions_with_a_false_premise_are_refused(assistant: Assistant, question: str) -> None:
    """The articles tell of the meeting, the visit and the talks, but not of their reversal."""
    answer = assistant.ask(question)
    assert answer.refused and answer.citations == ()


def test_a_reversal_the_articles_state_is_answered(assistant: Assistant) -> None:
    answer = assistant.ask("What did Stoltenberg say remains suspended?")
    assert not answer.refused and any("suspended" in c.quote for c in answer.citations)


def test_stream_yields_text_then_the_answer(assistant: Assistant) -> None:
    items = list(assistant.stream("How many troops will be stationed in Estonia?"))
    assert isinstance(items[-1], Answer)
    assert "".join(i for i in items[:-1] if isinstance(i, str)).strip()
    assert "4,000" in items[-1].text


@pytest.mark.parametrize("question", ["", "   \n\t ", "x" * 50_000])
def test_bad_questions_raise_typed_errors(assistant: Assistant, question: str) -> None:
    with pytest.raises(QuestionError) as info:
        assistant.ask(question)
    assert isinstance(info.value, AssistantError)
    assert "question" in str(info.value)


def test_first_ask_builds_the_index(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    fresh = Assistant(seeds_dir=seeds, index_dir=tmp_path / "index", backend="extractive")
    answer = fresh.ask("Which Israeli intelligence service cooperates with the CIA?")
    assert "Mossad" in answer.text and (tmp_path / "index" / "state.json").exists()


def test_new_article_is_picked_up_on_next_assistant(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    index = tmp_path / "index"
    Assistant(seeds_dir=seeds, index_dir=index, backend="extractive").index()
    (seeds / "new.txt").write_text(
        "Lunar mission\n\nThe space agency said the lunar lander touched down on Friday.",
        encoding="utf-8",
    )
    answer = Assistant(seeds_dir=seeds, index_dir=index, backend="extractive").ask(
        "When did the lunar lander touch down?"
    )
    assert not answer.refused and "Friday" in answer.text
    assert answer.citations[0].source == "new.txt"


def test_no_index_and_no_auto_index_names_the_command(tmp_path: Path) -> None:
    lazy = Assistant(seeds_dir=SEEDS, index_dir=tmp_path / "none", auto_index=False)
    with pytest.raises(AssistantError, match="assistant index"):
        lazy.ask("When will the NATO-Russia Council meet?")


def test_listing_articles_loads_no_embedding_model(shared_index: Path) -> None:
    """``articles()`` reads the catalog only: a new assistant lists them without loading
    the embedding model or the keyword index (``assistant articles`` stays quick)."""
    fresh = Assistant(seeds_dir=SEEDS, index_dir=shared_index, backend="extractive")
    listed = fresh.articles()
    assert [a.source for a in listed] == sorted(p.name for p in SEEDS.glob("*.txt"))
    assert fresh.embed_model._model is None  # type: ignore[attr-defined]
    assert fresh._searcher is None
    fresh.ask("When will the NATO-Russia Council meet?")
    assert fresh.articles() == listed  # the open searcher's collection, same rows
