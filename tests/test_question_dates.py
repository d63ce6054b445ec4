"""Dates in questions narrow or order the search by article date; relative words count
back from the newest article; the answer says how its dates were read."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.engine import Assistant
from assistant.search.dates import read_dates, strip_words

ARTICLES = {
    "bridge-reopens.md": ("2016-07-01", "Harbour bridge reopens",
                          "The harbour bridge reopened on Monday after repairs to its deck "
                          "took three weeks."),
    "bridge-closes.md": ("2016-07-20", "Harbour bridge closes again",
                         "The harbour bridge closed on Saturday because new cracks were found "
                         "in its deck."),
    "summit.md": ("2016-07-09", "NATO summit in Warsaw",
                  "NATO leaders at the Warsaw summit agreed to deploy four battalions in the "
                  "Baltic states and Poland."),
    "warning.md": ("2016-07-05", "Russia warns NATO",
                   "Russia warned NATO that deploying battalions near its border would be met "
                   "with a military response."),
    "reply.md": ("2016-07-12", "Russia replies to NATO",
                 "Russia said it would deploy three new divisions on its western border in "
                 "response to the battalions."),
}  # fmt: skip


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("question-dates")
    seeds = root / "seeds"
    seeds.mkdir()
    for name, (day, title, text) in ARTICLES.items():
        head = f"---\ntitle: {title}\noutlet: Herald\npublished: {day}\n---\n\n"
        (seeds / name).write_text(head + text + "\n", encoding="utf-8")
    return Assistant(seeds_dir=seeds, index_dir=root / "index", backend="extractive")


def cited(answer: object) -> list[str]:
    return [c.source for c in answer.citations]  # type: ignore[attr-defined]


def test_reading_date_words() -> None:
    newest = date(2016, 7, 20)
    july = read_dates("What happened to the bridge in July 2016?", newest)
    assert july and (july.since, july.until) == ("2016-07-01", "2016-07-31")
    assert strip_words("What happened to the bridge in July 2016?", july) == (
        "What happened to the bridge ?"
    )
    week = read_dates("What did Russia say last week?", newest)
    assert week and (week.since, week.until) == ("2016-07-13", "2016-07-20")
    assert "relative to the newest article, 2016-07-20" in week.notice()
    assert read_dates("What did Russia say last week?", None) is None  # nothing dated
    before = read_dates("What did Russia warn before the Warsaw summit?", newest)
    assert before and before.event == "the Warsaw summit" and not before.after_event
    latest = read_dates("What is the latest on the bridge?", newest)
    assert latest and latest.newest_first
    plain_questions = (
        "Why did the banks refuse the latest cut?",
        "What happened between 1999 and 2000?",
        "What did he do before they tackled him?",
        "Who won in 2000-01?",
    )
    for plain in plain_questions:
        assert read_dates(plain, newest) is None, plain


def test_in_a_month_narrows_and_says_so(dated: Assistant) -> None:
    answer = dated.ask("What happened to the harbour bridge deck in July 2016?")
    assert set(cited(answer)) <= {"bridge-reopens.md", "bridge-closes.md"} and cited(answer)
    assert any("“in July 2016” read as articles published 2016-07-01 to 2016-07-31" in n
               for n in answer.notices)  # fmt: skip


def test_relative_words_count_back_from_the_newest_article(dated: Assistant) -> None:
    answer = dated.ask("What happened to the harbour bridge deck last week?")
    assert cited(answer) == ["bridge-closes.md"]
    assert any("2016-07-13 to 2016-07-20 (relative to the newest article, 2016-07-20)" in n
               for n in answer.notices)  # fmt: skip


def test_latest_prefers_the_newest_article(dated: Assistant) -> None:
    answer = dated.ask("What is the latest on the harbour bridge deck?")
    assert cited(answer) == ["bridge-closes.md"]


def test_before_an_event_uses_the_date_of_its_first_report(dated: Assistant) -> None:
    answer = dated.ask("What did Russia warn about battalions before the Warsaw summit?")
    assert cited(answer) == ["warning.md"]
    after = dated.ask("What did Russia say it would deploy after the Warsaw summit?")
    assert cited(after) == ["reply.md"]


def test_a_range_with_no_answer_searches_all_dates_and_says_so(dated: Assistant) -> None:
    answer = dated.ask("What happened to the harbour bridge deck in May 2016?")
    assert not answer.refused and cited(answer)
    assert any("nothing published 2016-05-01 to 2016-05-31 answers this" in n
               for n in answer.notices)  # fmt: skip
