"""Citation verification of model-written answers, and the follow-up rewriting heuristic."""

from __future__ import annotations

import pytest

from assistant.answer.align import cite
from assistant.answer.backends.base import REFUSAL
from assistant.answer.citations import claims, is_refusal, resolve, verify
from assistant.search.followups import heuristic_rewrite, looks_like_follow_up, standalone_question
from assistant.types import Evidence, Passage, Sentence

RAW = (
    "NATO Meets Russia\n\n"
    "The meeting at the NATO-Russia Council will take place on July 13. "
    "It will be held at ambassadorial level. "
    "Four battalions of 1,000 troops will be deployed in the Baltic states."
)


def _evidence() -> list[Evidence]:
    sentences = []
    for text in (
        "The meeting at the NATO-Russia Council will take place on July 13.",
        "It will be held at ambassadorial level.",
        "Four battalions of 1,000 troops will be deployed in the Baltic states.",
    ):
        start = RAW.index(text)
        sentences.append(Sentence(start, start + len(text), text))
    passage = Passage("a#0", "a.txt", "NATO Meets Russia", 19, len(RAW), RAW[19:], tuple(sentences))
    return [Evidence(n, passage, s, 0.9) for n, s in enumerate(sentences, start=1)]


EVIDENCE = _evidence()


def test_cited_supported_claims_are_kept_and_renumbered() -> None:
    result = verify(
        "The council meets on July 13 [2][1]. It is at ambassadorial level [2].", [*EVIDENCE]
    )
    # [2] does not share words with "council meets July 13" -> only [1] stays, then renumbered
    assert result.text == "The council meets on July 13 [1]. It is at ambassadorial level [2]."
    assert not result.refused and not result.dropped
    assert [c.quote for c in result.citations] == [
        EVIDENCE[0].sentence.text,
        EVIDENCE[1].sentence.text,
    ]
    for c in result.citations:
        assert RAW[c.start : c.end] == c.quote


@pytest.mark.parametrize(
    "answer",
    ["July 13 [9].", "The council meets on July 13  .", "", "Bananas are yellow [1]."],
    ids=["nowhere", "uncited", "empty", "unsupported"],
)
def test_answers_without_a_valid_supported_citation_are_refused(answer: str) -> None:
    result = verify(answer, EVIDENCE)
    assert result.refused and result.text == REFUSAL and result.citations == ()


def test_claims_the_judge_rejects_are_dropped_and_all_rejected_is_a_refusal() -> None:
    answer = "The council meets on July 13 [1]. It is at ambassadorial level [2]."
    seen: list[list[str]] = []

    def keep(claims: object) -> list[bool]:
        texts = list(claims)  # type: ignore[call-overload]
        seen.append(texts)
        return ["ambassadorial" not in c for c in texts]

    result = verify(answer, EVIDENCE, "When and at what level will the council meet?", keep)
    assert seen == [["The council meets on July 13  .", "It is at ambassadorial level  ."]]
    assert result.text == "The council meets on July 13 [1]."
    assert [c.quote for c in result.citations] == [EVIDENCE[0].sentence.text]
    assert result.dropped == ("It is at ambassadorial level [2].",)
    rejected = verify(answer, EVIDENCE, "When will the council meet?", lambda c: [False] * len(c))
    assert rejected.refused and rejected.text == REFUSAL and rejected.citations == ()


def test_uncited_claims_are_dropped() -> None:
    result = verify("Sure! The council meets on July 13 [1]. I also like poems. [7]", EVIDENCE)
    assert result.text == "The council meets on July 13 [1]."
    assert result.dropped == ("Sure!", "I also like poems. [7]")


@pytest.mark.parametrize(
    "answer",
    [
        REFUSAL,
        f"{REFUSAL} [1]",
        f"Sorry. {REFUSAL.upper()}",
        "the articles do not contain the answer.",
    ],
)
def test_refusals_have_no_citations(answer: str) -> None:
    assert is_refusal(answer)
    result = verify(answer, EVIDENCE)
    assert result.refused and result.citations == () and result.text == REFUSAL


def test_marker_forms_and_markers_after_the_full_stop() -> None:
    assert claims("A is so. [1] B is so [2, 3]. [4]") == ["A is so. [1]", "B is so [2, 3]. [4]"]
    result = verify("Battalions of 1,000 troops go to the Baltic states. [3] [1, 3]", EVIDENCE)
    assert result.text == "Battalions of 1,000 troops go to the Baltic states [1]."
    assert result.citations[0].quote == EVIDENCE[2].sentence.text


def test_resolve_still_serves_the_extractive_backend() -> None:
    text, citations = resolve("On July 13 [3]. Also [9] ambassadorial [1; 3].", EVIDENCE)
    assert text == "On July 13 [1]. Also ambassadorial [2][1]."
    assert [c.n for c in citations] == [1, 2]


@pytest.mark.parametrize(
    "answer",
    [
        "The meeting was cancelled [1].",
        "The council meeting was postponed [1].",
        "The NATO-Russia Council meeting was called off [1].",
        "The meeting at the NATO-Russia Council will not take place on July 13 [1].",
        "Russia denied that the council meets on July 13 [1].",
        "The NATO-Russia Council will meet on July 12 [1].",
        "Four battalions of 2,000 troops will be deployed in the Baltic states [3].",
    ],
    ids=["half-new-words", "reversal", "called-off", "negation", "denial", "date", "count"],
)
def test_twisted_claims_that_share_words_with_their_evidence_are_refused(answer: str) -> None:
    result = verify(answer, EVIDENCE)
    assert result.refused and result.dropped == (answer,)


@pytest.mark.parametrize(
    "answer",
    [
        "No, the NATO-Russia Council meets on July 13 [1].",
        "The NATO-Russia Council convenes on July 13 [1].",
        "Battalions of 1000 troops will go to the Baltic states [1].",
        "Troops will be deployed in the Baltic states, not in Poland [1].",
    ],
    ids=["leading-no", "paraphrase", "number-written-differently", "negation-in-evidence"],
)
def test_faithful_claims_and_paraphrases_are_kept(answer: str) -> None:
    evidence = [*EVIDENCE]
    if "Battalions" in answer:
        evidence[0] = Evidence(1, EVIDENCE[2].passage, EVIDENCE[2].sentence, 0.9)
    if "Poland" in answer:  # evidence that itself says "not"
        text = "Four battalions of 1,000 troops will be deployed in the Baltic states, not Poland."
        sentence = Sentence(0, len(text), text)
        passage = Passage("b#0", "b.txt", "", 0, len(text), text, (sentence,))
        evidence[0] = Evidence(1, passage, sentence, 0.9)
    result = verify(answer, evidence)
    assert not result.refused and result.text == answer and not result.dropped


def test_alignment_uses_the_same_support_rule() -> None:
    assert cite("The meeting will take place on July 13  .", EVIDENCE) == [1]
    assert cite("The meeting was cancelled.", EVIDENCE) == []
    assert cite("The NATO-Russia Council meeting on July 13 was postponed.", EVIDENCE) == []
    assert cite("The NATO-Russia Council will take place on July 31.", EVIDENCE) == []


# --- follow-ups ------------------------------------------------------------------------------

FIRST = "Where will the NATO-Russia Council meet?"


@pytest.mark.parametrize(
    ("follow_up", "expected"),
    [
        ("and when will it meet?", "When will NATO-Russia Council meet?"),
        ("What about the G7?", "Where will the G7 meet?"),
        ("Who is its chairman?", "Who is NATO-Russia Council's chairman?"),
        ("and the date?", "The date (NATO-Russia Council meet)?"),
    ],
)
def test_heuristic_rewrites_follow_ups(follow_up: str, expected: str) -> None:
    assert looks_like_follow_up(follow_up)
    assert heuristic_rewrite(FIRST, follow_up) == expected


def test_standalone_questions_are_left_alone_and_chains_work() -> None:
    history = [
        {"role": "user", "content": FIRST},
        {"role": "assistant", "content": "On July 13 [1]."},
    ]
    standalone = "Why did Russia annex Crimea in 2014?"
    assert standalone_question([*history, {"role": "user", "content": standalone}]) == standalone
    assert standalone_question([{"role": "user", "content": FIRST}]) == FIRST
    chain = [*history, {"role": "user", "content": "what about the G7?"}]
    chain += [{"role": "assistant", "content": REFUSAL}, {"role": "user", "content": "and when?"}]
    assert standalone_question(chain) == "When (G7 meet)?"
    assert standalone_question([]) == ""


def test_an_age_written_as_years_old_is_held_by_the_name_comma_age_form() -> None:
    raw = "Arrest in Malaysia\n\nNaeil Ahmad Abdullah, 41, was arrested in Malaysia last month."
    text = raw.split("\n\n", 1)[1]
    sentence = Sentence(raw.index(text), len(raw), text)
    passage = Passage(
        "m#0", "m.txt", "Arrest in Malaysia", sentence.start, len(raw), text, (sentence,)
    )
    cited = [Evidence(1, passage, sentence, 0.9)]
    question = "How old is the man Malaysian police arrested?"
    kept = verify("Naeil Ahmad Abdullah is 41 years old [1].", cited, question)
    assert not kept.refused and "41 years old" in kept.text
    assert verify("Naeil Ahmad Abdullah is 42 years old [1].", cited, question).refused
