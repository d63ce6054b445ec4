"""``assistant eval``: set loading, metrics on hand-made answers, thresholds, CLI and JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from assistant.answer.conformance import ANSWER_KEYS
from assistant.answer.contract import claims
from assistant.cli import main
from assistant.evaluation import (
    EvalSetError,
    check_thresholds,
    load_set,
    read_snapshot,
    select_items,
    snapshot_diff,
    snapshot_path,
)
from assistant.evaluation.metrics import PinnedItem, keyword_found, keywords_match, score_item
from assistant.evaluation.summary import percentile, summarize
from assistant.types import Answer, Citation
from tests.conftest import SEEDS

NATO = "004_3b952a9fea412592.txt"
RAW = (SEEDS / NATO).read_text(encoding="utf-8")
JULY = "The meeting at the NATO-Russia Council will take place on July 13."
SUSPENDED = "Nonetheless, Stoltenberg stressed that “cooperation with Russia remains suspended.”"

ITEM = PinnedItem(
    id="q01",
    question="When will the NATO-Russia Council meet?",
    answerable=True,
    keywords=(("July 13",),),
    sources=(NATO,),
    quote="will take place on July 13",
)
OFF_TOPIC = PinnedItem(id="u01", question="Who won the World Cup?", answerable=False)


def cite(n: int, quote: str, source: str = NATO) -> Citation:
    start = RAW.index(quote)
    return Citation(n, source, "NATO To Meet", "004#9", start, start + len(quote), quote)


def answer(text: str, *citations: Citation, total_ms: float = 100.0) -> Answer:
    refused = not citations
    return Answer("q", text, refused, citations, "extractive", {"total_ms": total_ms})


GOOD = answer("The meeting will take place on July 13 [1].", cite(1, JULY))
PADDED = answer(
    f"{JULY[:-1]} [1]. {SUSPENDED} [2]", cite(1, JULY), cite(2, SUSPENDED), total_ms=300.0
)
REFUSED = answer("The articles do not contain the answer to this question.", total_ms=10.0)


# --- metrics on hand-made answers ------------------------------------------------------------
def test_keywords_are_word_boundary_aware_and_fold_quotes() -> None:
    assert keyword_found("U.S.", "spearheaded by the U.S., as well")
    assert not keyword_found("four", "fourteen battalions")
    assert keyword_found("Russia’s", "near Russia's borders")
    assert keywords_match("Poland and Romania", [["Poland"], ["Romania", "Bulgaria"]])
    assert not keywords_match("Poland only", [["Poland"], ["Romania"]])


def test_a_marker_after_a_closing_quote_stays_with_its_claim() -> None:
    assert claims(PADDED.text) == [f"{JULY[:-1]} [1].", f"{SUSPENDED} [2]"]
    # in the middle of an answer too: "[2]" belongs to the quote before it, not the next claim
    text = "He called them “suspended.” [2] They meet on July 13 [1]."
    assert claims(text) == ["He called them “suspended.” [2]", "They meet on July 13 [1]."]


def test_score_of_a_correct_answer() -> None:
    result = score_item(ITEM, GOOD, SEEDS, retrieval_rank=1, evidence_hit=True)
    assert result.passed and result.keywords_ok and result.first_source_ok
    assert (result.citations, result.supporting, result.claims, result.supported_claims) == (
        1,
        1,
        1,
        1,
    )
    assert result.contract_problems == ()


def test_padding_lowers_passage_precision_and_recall_not_accuracy() -> None:
    result = score_item(ITEM, PADDED, SEEDS)
    assert result.passed
    assert (result.citations, result.supporting, result.claims, result.supported_claims) == (
        2,
        1,
        2,
        1,
    )


def test_a_wrong_span_breaks_faithfulness() -> None:
    bad = Citation(1, NATO, "t", "004#9", 0, len(JULY), JULY)  # quote not at 0..len
    result = score_item(ITEM, answer("On July 13 [1].", bad), SEEDS)
    assert any("quote is not the text" in p for p in result.contract_problems)


def test_summary_over_hand_made_answers() -> None:
    wrong_source = answer("July 13 [1].", cite(1, JULY, source="002_cb8aedb33379926a.txt"))
    results = [
        score_item(ITEM, GOOD, SEEDS, retrieval_rank=1, evidence_hit=True),
        score_item(ITEM, PADDED, SEEDS, retrieval_rank=2, evidence_hit=True),
        score_item(ITEM, REFUSED, SEEDS, retrieval_rank=None, evidence_hit=False),
        score_item(OFF_TOPIC, REFUSED, SEEDS),
        score_item(OFF_TOPIC, GOOD, SEEDS),
    ]
    m = summarize(results, top_k=6)
    assert (m.items, m.answerable, m.unanswerable, m.answered, m.with_quote) == (5, 3, 2, 2, 3)
    assert m.answer_accuracy == pytest.approx(2 / 3)
    assert m.refusal_accuracy == pytest.approx(1 / 2)
    assert m.false_refusal_rate == pytest.approx(1 / 3)
    assert m.source_precision == 1.0 and m.source_recall == 1.0
    assert m.citation_precision == pytest.approx(2 / 3)  # 2 supporting of 3 citations
    assert m.citation_recall == pytest.approx(2 / 3)  # 2 supported of 3 claims
    assert m.faithfulness == 1.0
    assert (m.hit_at_1, m.hit_at_2, m.hit_at_k) == pytest.approx((1 / 3, 2 / 3, 2 / 3))
    assert m.latency_p50_ms == 100.0
    source_level = summarize([score_item(ITEM, wrong_source, SEEDS)], top_k=6)
    assert source_level.source_precision == 0.0 and source_level.answer_accuracy == 0.0


def test_percentile_and_empty_shares() -> None:
    assert percentile([], 50) is None
    assert percentile([5.0], 95) == 5.0
    assert percentile([float(v) for v in range(1, 101)], 95) == pytest.approx(95.05)
    empty = summarize([], top_k=6)
    assert empty.answer_accuracy is None and empty.latency_p95_ms is None


def test_thresholds() -> None:
    m = summarize([score_item(ITEM, PADDED, SEEDS)], top_k=6)
    assert check_thresholds(m, {"min_accuracy": 1.0, "max_false_refusal": 0.0}) == []
    missed = check_thresholds(m, {"min_citation_precision": 0.9, "min_refusal": 0.5})
    assert "citation_precision = 0.5 misses --min-citation-precision 0.9" in missed[0]
    assert "refusal_accuracy was not measured" in missed[1]


def test_snapshot_diff_is_a_readable_unified_diff() -> None:
    old = {"q01": {"id": "q01", "answer": "On July 13 [1]."}}
    new = {"q01": {"id": "q01", "answer": "On July 14 [1]."}}
    diff = snapshot_diff(old, new)
    assert "--- snapshot/q01" in diff and "+++ current/q01" in diff
    lines = diff.splitlines()
    assert any(x.startswith("-") and "On July 13" in x for x in lines)
    assert any(x.startswith("+") and "On July 14" in x for x in lines)
    assert snapshot_diff(old, old) == ""


def test_snapshot_paths() -> None:
    assert snapshot_path(Path("t/questions.jsonl"), "local:qwen") == Path("t/snapshots/local.jsonl")
    assert snapshot_path(Path("t/challenge.jsonl"), "extractive") == Path(
        "t/snapshots/challenge.extractive.jsonl"
    )


# --- loading a set ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"question": "q?", "answerable": true}', 'needs "keywords" and "sources"'),
        ('{"question": "q?", "answerable": "yes"}', '"answerable": true or false'),
        ('{"question": "q?", "answerable": false, "keyword": []}', "unknown field(s) ['keyword']"),
        ('{"question": "", "answerable": false}', 'non-empty "question"'),
        ('{"id": "a", "question": "q?", "answerable": false}', "id 'a' already used on line 1"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text('{"id": "a", "question": "Who?", "answerable": false}\n' + line + "\n")
    with pytest.raises(EvalSetError) as caught:
        load_set(path)
    assert f"{path}:2:" in str(caught.value) and message in str(caught.value)


def test_the_pinned_set_is_valid_and_every_quote_is_in_its_sources() -> None:
    items = load_set(Path(__file__).parent / "regression" / "questions.jsonl")
    assert len(items) >= 60 and sum(not i.answerable for i in items) >= 15
    for item in items:
        if item.quote:
            texts = [(SEEDS / s).read_text(encoding="utf-8") for s in item.sources]
            assert any(item.quote in t for t in texts), item.id


# --- the CLI, end to end on the shared index (in-process: one model load per run) -------------
SMALL_SET = [
    {
        "id": "s1",
        "question": "When will the NATO-Russia Council meet?",
        "answerable": True,
        "keywords": [["July 13"]],
        "sources": [NATO],
        "quote": "will take place on July 13",
    },
    {"id": "s2", "question": "What is the recipe for a chocolate cake?", "answerable": False},
]


def run_eval(tmp_path: Path, index: Path, *extra: str) -> tuple[int, str]:
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps(i) + "\n" for i in SMALL_SET), encoding="utf-8")
    out = io.StringIO()
    args = ["eval", str(questions), "--backend", "extractive", "--quiet"]
    code = main([*args, "--seeds", str(SEEDS), "--index", str(index), *extra], out=out)
    return code, out.getvalue()


def test_cli_passes_thresholds_writes_json_and_snapshot(tmp_path: Path, shared_index: Path) -> None:
    report_path = tmp_path / "out" / "report.json"
    code, printed = run_eval(
        tmp_path,
        shared_index,
        "--min-accuracy=1",
        "--min-refusal=1",
        "--min-faithfulness=1",
        "--json",
        str(report_path),
        "--update",
    )
    assert code == 0, printed
    assert "| answer accuracy | 1.000 | 1 answerable |" in printed
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert set(report) == {"file", "backend", "top_k", "metrics", "breakdown", "items"}
    assert report["backend"] == "extractive"
    assert report["metrics"]["items"] == 2 and report["metrics"]["hit_at_k"] == 1.0
    first = report["items"][0]
    assert first["id"] == "s1" and first["passed"] and first["retrieval_rank"] >= 1
    assert tuple(first["answer"]) == ANSWER_KEYS
    snapshot = read_snapshot(tmp_path / "snapshots" / "extractive.jsonl")
    assert list(snapshot) == ["s1", "s2"] and "timings" not in snapshot["s1"]
    assert "July 13" in snapshot["s1"]["answer"] and snapshot["s2"]["refused"]


def test_cli_exits_1_when_a_threshold_is_missed(
    tmp_path: Path, shared_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, printed = run_eval(tmp_path, shared_index, "--max-p95-ms", "0.001")
    assert code == 1 and "| refusal accuracy" in printed
    assert "latency_p95_ms" in capsys.readouterr().err


def test_cli_reports_a_bad_set_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "q?", "answerable": true}\n', encoding="utf-8")
    assert main(["eval", str(bad), "--index", str(tmp_path / "none")]) == 2


def test_split_category_turns_forbid_and_parts_are_read(tmp_path: Path) -> None:
    line = {
        "id": "x1",
        "split": "test",
        "category": "two_part",
        "question": "When is the meeting and who chairs it?",
        "answerable": True,
        "keywords": [["July 13"]],
        "sources": ["004_3b952a9fea412592.txt"],
        "forbid": ["Putin"],
        "parts": [
            {"ask": "when", "answerable": True, "keywords": [["July 13"]], "sources": ["a.txt"]},
            {"ask": "who chairs it", "answerable": False},
        ],
        "note": "the chair is not named",
    }
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps(line) + "\n" + json.dumps({**line, "id": "x2", "split": "dev"}))
    first, second = load_set(path)
    assert (first.split, first.category, first.forbid) == ("test", "two_part", ("Putin",))
    assert [p.answerable for p in first.parts] == [True, False]
    assert first.parts[0].keywords == (("July 13",),)
    assert [i.id for i in select_items([first, second], "dev", None)] == ["x2"]
    with pytest.raises(EvalSetError, match="--split"):
        select_items([first], "dev", ["paraphrase"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"split": "train"}, '"split" must be one of'),
        ({"category": "riddle"}, '"category" must be one of'),
        ({"turns": "What?"}, '"turns" must be a list'),
        ({"parts": [{"ask": "when"}]}, 'needs "answerable"'),
        ({"parts": [{"ask": "when", "answerable": False, "why": 1}]}, "unknown part field"),
    ],
)
def test_bad_new_fields_name_the_line(tmp_path: Path, change: dict, message: str) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps({"question": "Why?", "answerable": False, **change}) + "\n")
    with pytest.raises(EvalSetError, match=message):
        load_set(path)


def test_a_follow_up_is_asked_after_its_earlier_turns(assistant: object) -> None:
    from assistant.evaluation import evaluate
    from assistant.evaluation.metrics import PinnedItem

    item = PinnedItem(
        id="f1",
        question="At what level will it be held?",
        answerable=True,
        keywords=(("ambassadorial",),),
        sources=("004_3b952a9fea412592.txt",),
        turns=("When will the NATO-Russia Council meet?",),
    )
    report = evaluate(assistant, [item])  # type: ignore[arg-type]
    result = report.results[0]
    assert result.passed, result.answer.text
    assert any(n.startswith("understood as:") for n in result.answer.notices)
