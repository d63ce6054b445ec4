"""Narrowing a search to articles published in a date range (API and CLI)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.engine import Assistant
from assistant.errors import QuestionError

ARTICLES = {
    "old.txt": "Harbour bridge reopens\n\nJuly 1, 2016\n\nThe harbour bridge reopened on "
    "Monday after repairs to its deck took three weeks.\n",
    "new.txt": "Harbour bridge closes again\n\n2016-08-20\n\nThe harbour bridge closed on "
    "Saturday because cracks were found in its deck.\n",
    "undated.txt": "Harbour ferries\n\nThe harbour ferries carried more passengers while "
    "the bridge was shut.\n",
}


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("dated")
    seeds = root / "seeds"
    seeds.mkdir()
    for name, text in ARTICLES.items():
        (seeds / name).write_text(text, encoding="utf-8")
    return Assistant(seeds_dir=seeds, index_dir=root / "index", backend="extractive")


def sources(found: object) -> set[str]:
    return {h.passage.source for h in found.hits}  # type: ignore[attr-defined]


def test_since_and_until_keep_only_articles_published_then(dated: Assistant) -> None:
    question = "What happened to the harbour bridge deck?"
    assert sources(dated.search(question)) == {"old.txt", "new.txt", "undated.txt"}
    assert sources(dated.search(question, since="2016-08-01")) == {"new.txt"}
    assert sources(dated.search(question, until="2016-07-31")) == {"old.txt"}
    both = dated.search(question, since="2016-06-01", until="2016-12-31")
    assert sources(both) == {"old.txt", "new.txt"}  # an undated article is left out
    answer = dated.ask(question, since="2016-08-01")
    assert not answer.refused and {c.source for c in answer.citations} == {"new.txt"}
    assert answer.citations[0].published == "2016-08-20"
    assert dated.search(question, since="2017-01-01").hits == ()


def test_a_bad_date_names_the_format(dated: Assistant) -> None:
    with pytest.raises(QuestionError, match="YYYY-MM-DD"):
        dated.ask("What happened to the bridge?", since="last summer")


def test_cli_since_until(dated: Assistant) -> None:
    settings = dated.settings
    base = [sys.executable, "-m", "assistant.cli", "ask", "--seeds", str(settings.seeds_dir)]
    base += ["--index", str(settings.index_dir), "--backend", "extractive"]
    done = subprocess.run(
        [*base, "When did the harbour bridge reopen?", "--json", "--until", "2016-07-31"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert {c["source"] for c in json.loads(done.stdout)["citations"]} == {"old.txt"}
    bad = subprocess.run([*base, "Why?", "--since", "soon"], capture_output=True, text=True)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr and "Traceback" not in bad.stderr


def test_published_is_in_the_answer_json(dated: Assistant, tmp_path: Path) -> None:
    answer = dated.ask("When did the harbour bridge reopen?")
    cited = answer.to_dict()["citations"][0]
    assert cited["source"] == "old.txt" and cited["published"] == "2016-07-01"
    assert set(cited) >= {"url", "outlet", "published", "author"}
