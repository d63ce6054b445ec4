"""Cited articles from different outlets that give different figures: the answer says which
outlet said what and when, instead of merging them."""

from __future__ import annotations

from pathlib import Path

from assistant.answer.citations import resolve
from assistant.answer.conformance import check_answer
from assistant.answer.disagreement import disagreement, with_disagreement
from assistant.engine import Assistant
from assistant.types import ArticleMeta, Evidence, Passage, Sentence


def evidence(n: int, text: str, outlet: str | None, published: str | None = None) -> Evidence:
    sentence = Sentence(0, len(text), text)
    meta = ArticleMeta(outlet=outlet, published=published)
    passage = Passage(f"a{n}#0", f"a{n}.md", "T", 0, len(text), text, (sentence,), meta)
    return Evidence(n, passage, sentence, 0.9)


WIRE = evidence(1, "About 4,000 troops will be stationed in the Baltic states.", "Wire",
                "2016-07-09")  # fmt: skip
TIMES = evidence(2, "Some 5,000 troops will be sent, officials said.", "Times", "2016-07-10")


def test_different_figures_from_different_outlets_are_named() -> None:
    assert disagreement([WIRE], [TIMES]) == (
        "The reports differ: Wire (2016-07-09) gives 4,000 troops [1]; "
        "Times (2016-07-10) gives 5,000 troops [2]."
    )


def test_an_uncited_conflicting_sentence_is_cited_by_the_added_sentence() -> None:
    text, citations = resolve("Troops will go [1].", [WIRE, TIMES])
    new_text, cited = with_disagreement(text, citations, [TIMES, WIRE])
    assert new_text.startswith("Troops will go [1]. The reports differ: Wire (2016-07-09)")
    assert [(c.n, c.outlet) for c in cited] == [(1, "Wire"), (2, "Times")]
    assert "gives 5,000 troops [2]." in new_text


def test_agreement_other_figures_one_outlet_or_no_outlet_add_nothing() -> None:
    same = evidence(2, "The 4,000 troops arrive in May.", "Times")
    other = evidence(2, "It will cost $4.2 million in all.", "Times")
    one = evidence(2, "Some 5,000 troops will go.", "Wire")
    unknown = evidence(2, "Some 5,000 troops will go.", None)
    for second in (same, other, one, unknown):
        assert disagreement([WIRE], [second]) is None
    text, citations = resolve("Troops will go [1].", [WIRE])
    assert with_disagreement(text, citations, [WIRE, same]) == (text, citations)


def test_an_answer_over_two_outlets_says_who_said_what(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    stories = {
        "wire.md": ("Northern Wire", "2016-07-09", "About 4,000 troops will be stationed in "
                    "Estonia, Latvia, Lithuania and Poland, NATO said."),
        "times.md": ("Baltic Times", "2016-07-10", "Some 5,000 troops will be stationed in "
                     "Estonia, Latvia, Lithuania and Poland, officials said."),
    }  # fmt: skip
    for name, (outlet, day, text) in stories.items():
        head = f"---\ntitle: Troops for the Baltics\noutlet: {outlet}\npublished: {day}\n---\n\n"
        (seeds / name).write_text(head + text + "\n", encoding="utf-8")
    a = Assistant(seeds_dir=seeds, index_dir=tmp_path / "index", backend="extractive")
    answer = a.ask("How many troops will be stationed in Estonia, Latvia, Lithuania and Poland?")
    assert {c.outlet for c in answer.citations} == {"Northern Wire", "Baltic Times"}
    assert "The reports differ: " in answer.text
    assert "Northern Wire (2016-07-09) gives 4,000 troops" in answer.text
    assert "Baltic Times (2016-07-10) gives 5,000 troops" in answer.text
    assert check_answer(answer.to_dict(), seeds) == []
