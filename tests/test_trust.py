"""No false sentence behind a citation: the spliced answers a small model wrote to questions
about the seed articles, checked by verification, and the questions the search must decline.

The four model answers below are what the local model wrote before verification checked
what an answer adds beyond the question; each cites real sentences of the seed articles."""

from __future__ import annotations

import pytest

from assistant.answer.citations import supports, verify
from assistant.engine import Assistant
from assistant.types import Evidence, Passage, Sentence


@pytest.fixture(scope="module")
def sentences(assistant: Assistant) -> list[tuple[Passage, Sentence]]:
    return [(p, s) for p in assistant.passages() for s in p.sentences]


def evidence(pool: list[tuple[Passage, Sentence]], *starts: str) -> list[Evidence]:
    """Evidence [1], [2], ... : the seed sentences that begin with these words."""
    found = []
    for n, start in enumerate(starts, start=1):
        passage, sentence = next((p, s) for p, s in pool if s.text.startswith(start))
        found.append(Evidence(n, passage, sentence, 0.9))
    return found


def test_attendees_of_the_secret_talks_are_not_moved_to_the_council(sentences: list) -> None:
    question = "Who will attend the NATO-Russia Council meeting and when is it?"
    cited = evidence(sentences, "The meeting at the NATO-Russia Council", "The meeting is attended")
    answer = (
        "The NATO-Russia Council meeting will take place on July 13 [1]. High-ranking officers "
        "of the Pentagon and the Ministry of Defense of Russia will attend [2]."
    )
    checked = verify(answer, cited, question)
    assert not checked.refused and "July 13 [1]" in checked.text
    assert "Pentagon" not in checked.text and len(checked.dropped) == 1


def test_the_secret_talks_capital_is_not_the_council_s_nor_moscow(sentences: list) -> None:
    question = "Which Northern European capital hosts the NATO-Russia Council meeting?"
    cited = evidence(sentences, "With the approval of the Kremlin", "Recently, Russia")
    answer = (
        "The Northern European capital that hosts the NATO-Russia Council meeting is Moscow [1][2]."
    )
    assert verify(answer, cited, question).refused


def test_troops_are_not_dollars_and_canada_does_not_spend_on_romania(sentences: list) -> None:
    question = "How much did Canada agree to spend on the missile defense sites in Romania?"
    cited = evidence(sentences, "To make this happen", "At the same time, missile defense")
    answer = "Canada agreed to spend $1,000 troops on the missile defense sites in Romania [1][2]."
    assert verify(answer, cited, question).refused


@pytest.mark.slow
def test_russia_does_not_station_nato_s_troops(shared_index: object) -> None:
    """The local model judges that no evidence says Russia stations troops in Estonia (it
    is NATO); the words alone cannot tell the doer, so the search passes it on."""
    from tests.conftest import SEEDS

    local = Assistant(seeds_dir=SEEDS, index_dir=shared_index, backend="local")
    answer = local.ask("How many troops will Russia station in Estonia?")
    assert answer.refused or "NATO" in answer.text, answer.text


def test_a_claim_that_only_restates_the_question_is_not_held(sentences: list) -> None:
    question = "When will the NATO-Russia Council meet?"
    cited = evidence(sentences, "The meeting at the NATO-Russia Council")
    assert not supports("The NATO-Russia Council will meet [1].", cited, question)
    assert supports("The NATO-Russia Council will meet on July 13 [1].", cited, question)


def test_a_name_the_evidence_does_not_state_is_not_held(sentences: list) -> None:
    question = "How many troops will each country provide for the Baltic battalions?"
    cited = evidence(sentences, "To make this happen")
    assert supports("Germany and Canada will provide 1,000 troops each [1].", cited, question)
    assert not supports("France will provide 1,000 troops [1].", cited, question)


def test_a_number_word_in_a_claim_must_be_stated_as_a_figure_or_word(sentences: list) -> None:
    question = "How many battalions will NATO deploy to the Baltic region?"
    cited = evidence(sentences, "In light of increased Russian aggression")
    assert supports("NATO will deploy four battalions to the Baltic region [1].", cited, question)
    assert supports("NATO will deploy 4 battalions to the Baltic region [1].", cited, question)
    six = "NATO will deploy six battalions to the Baltic region [1]."
    assert not supports(six, cited, question)


def test_a_name_must_be_written_in_the_source_not_an_alias_of_it(sentences: list) -> None:
    question = "Who approved the talks between the military of Russia and the U.S.?"
    cited = evidence(sentences, "With the approval of the Kremlin")
    assert supports("The Kremlin and the White House approved the talks [1].", cited, question)
    assert not supports("Moscow and the White House approved the talks [1].", cited, question)


def test_an_answer_that_does_not_itself_say_the_asked_kind_is_declined(sentences: list) -> None:
    question = "When will the NATO-Russia Council meet?"
    cited = evidence(sentences, "The meeting at the NATO-Russia Council")
    vague = "The NATO-Russia Council will meet after the summit [1]."
    assert verify(vague, cited, question).refused
    assert not verify("The NATO-Russia Council will meet on July 13 [1].", cited, question).refused


@pytest.mark.parametrize(
    "question",
    [
        "Who is the U.S. Secretary of Defense?",
        "How much did Canada agree to spend on the missile defense sites in Romania?",
        "What type of cancer did Stoltenberg die from?",
        "How old is Jens Stoltenberg?",
    ],
)
def test_questions_the_seed_articles_do_not_answer_are_declined(
    assistant: Assistant, question: str
) -> None:
    answer = assistant.ask(question)
    assert answer.refused and answer.citations == (), answer.text


def test_a_two_part_question_names_the_part_the_articles_do_not_answer(
    assistant: Assistant,
) -> None:
    answer = assistant.ask("When is the NATO-Russia Council meeting, and who is going to chair it?")
    assert not answer.refused and "July 13" in answer.text, answer.text
    assert answer.uncovered and "The articles do not say" in answer.text


@pytest.mark.parametrize(
    ("question", "answered"),
    [
        # the article says Russia wants consultations with them, not that they refused
        ("Why did Sweden and Finland turn down Russia's request for military consultations?", ""),
        ("Why has Israel's relationship with Washington become more complicated?", "Iran"),
        ("Why have NATO and the U.S. conducted military exercises?", "response readiness"),
    ],
)
def test_a_reason_is_given_only_for_an_event_the_articles_state(
    assistant: Assistant, question: str, answered: str
) -> None:
    """ "Why did A do B?" is answered only next to a sentence that says A did B; a sentence
    on the same topic that states no such event is no reason for it (the reason may stand
    a sentence before what it explains: "... Iran ... It has led to a complication ...")."""
    answer = assistant.ask(question)
    if answered:
        assert not answer.refused and answered in answer.text, answer.text
    else:
        assert answer.refused and answer.citations == (), answer.text


def test_a_sentence_with_the_doer_and_the_one_acted_on_swapped_is_vetoed() -> None:
    """ "What did A complain about to B?" is not answered by "B complained to A"; the right
    order, a passive "... by A" and a sentence without the action are not vetoed."""
    from assistant.search.question import analyse
    from assistant.search.roles import roles_reversed

    question = analyse(
        "What did the Medical Journal of Australia complain about in its letter to Philip Ruddock?"
    )
    ask, names = question.asks[0], question.names
    swapped = (
        "The Immigration Minister, Philip Ruddock, has written a letter of complaint to the "
        "Medical Journal of Australia, about an article on detainees."
    )
    assert roles_reversed(ask, names, swapped)
    right = "The Medical Journal of Australia complained to Philip Ruddock about detention."
    passive = "Philip Ruddock got a complaint sent by the Medical Journal of Australia."
    unrelated = "Philip Ruddock spoke after the Medical Journal of Australia went to print."
    for text in (right, passive, unrelated):
        assert not roles_reversed(ask, names, text), text


def test_a_mutual_action_is_not_a_role_swap() -> None:
    """ "Which Israeli service cooperates with U.S. agencies?" is answered by "U.S. agencies
    were cooperating with the Israeli Mossad": cooperating with goes both ways."""
    from assistant.search.question import analyse
    from assistant.search.roles import roles_reversed

    question = analyse("Which Israeli intelligence service cooperates with U.S. intelligence?")
    text = "U.S. intelligence agencies were actively cooperating with the Israeli Mossad."
    assert not roles_reversed(question.asks[0], question.names, text)


@pytest.mark.parametrize(
    ("question", "kind", "focus"),
    [
        ("By how many wickets did Australia win the Test?", "quantity", ("wicket",)),
        ("For how long has he been in office?", "quantity", ()),
        ("What actually set off the blaze in Lima?", "reason", ()),
        ("What really prompted the walk-out?", "reason", ()),
        ("What type of cancer did he die from?", "other", ("cancer",)),
        ("Which kind of aircraft crashed?", "other", ("aircraft", "crash")),
    ],
)
def test_the_kind_asked_is_read_through_a_preposition_an_adverb_or_a_sort_word(
    question: str, kind: str, focus: tuple[str, ...]
) -> None:
    """ "By how many ..." asks for a number, "What actually set off ..." for a cause, and the
    head of "what type of cancer" is "cancer" (not "type")."""
    from assistant.search.question import analyse

    (ask,) = analyse(question).asks
    assert (ask.kind, ask.focus) == (kind, focus)


def test_a_figure_asked_through_by_how_much_must_be_about_who_is_asked(
    assistant: Assistant,
) -> None:
    """The article gives the expected rise for "European allies and Canada", not Poland."""
    answer = assistant.ask("By how much is NATO expecting defense spending in Poland to increase?")
    assert answer.refused and answer.citations == (), answer.text
