"""The eval sets nobody tuned on, both splits, on the extractive backend (every CI run) and a
sample through the local model (marked slow): the numbers in docs/eval.md must not get worse.

Floors are the measured values (docs/eval.md) less a small margin, so an unrelated change
that loses answers or lets a false-cited answer through fails here; raise them when the
numbers improve. They were never used to tune anything (thresholds are fitted on dev by
benchmarks/fit_evidence.py and benchmarks/calibrate_judge.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.engine import Assistant
from assistant.evaluation import evaluate, load_set, select_items
from tests.conftest import ROOT, SEEDS

LEE = ROOT / "tests" / "data" / "lee_background"
# (set, split) -> (minimum accuracy, maximum false-cited answers)
FLOORS = {
    ("seeds", "dev"): (0.66, 12),
    ("seeds", "test"): (0.44, 16),
    ("lee", "dev"): (0.53, 16),
    ("lee", "test"): (0.46, 17),
}


@pytest.fixture(scope="module")
def lee_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index = tmp_path_factory.mktemp("lee-index")
    Assistant(seeds_dir=LEE, index_dir=index, backend="extractive").index()
    return index


@pytest.fixture(scope="module")
def extractive(shared_index: Path, lee_index: Path) -> dict[str, Assistant]:
    """One assistant per set, shared by both splits (as one user asking all the questions:
    the sentences embedded for one question are not embedded again for the next)."""
    return {
        "seeds": Assistant(seeds_dir=SEEDS, index_dir=shared_index, backend="extractive"),
        "lee": Assistant(seeds_dir=LEE, index_dir=lee_index, backend="extractive"),
    }


@pytest.mark.parametrize(("name", "split"), sorted(FLOORS))
def test_extractive_on_the_eval_sets(
    name: str, split: str, extractive: dict[str, Assistant]
) -> None:
    items = select_items(load_set(ROOT / "tests" / "eval" / f"{name}.jsonl"), split, None)
    report = evaluate(extractive[name], items)
    accuracy, false_cited = FLOORS[(name, split)]
    m = report.metrics
    assert m.faithfulness == 1.0  # every citation is the exact article text
    assert m.accuracy is not None and m.accuracy >= accuracy, m.to_dict()
    assert m.false_cited <= false_cited, m.to_dict()


SAMPLE_CATEGORIES = ("paraphrase", "false_premise", "role_swap", "not_stated")


@pytest.mark.slow
@pytest.mark.real_part("the local model")
def test_local_model_on_a_sample_of_the_test_split(shared_index: Path) -> None:
    """Two test items of four categories through the real local model (judge, generation,
    verification): no more false-cited answers and no fewer answerable ones right than
    measured (docs/eval.md: s049 is answered with a citation, s097 wrongly)."""
    items = select_items(load_set(ROOT / "tests" / "eval" / "seeds.jsonl"), "test", None)
    sample = [i for c in SAMPLE_CATEGORIES for i in [x for x in items if x.category == c][:2]]
    local = Assistant(seeds_dir=SEEDS, index_dir=shared_index, backend="local")
    report = evaluate(local, sample)
    m = report.metrics
    assert m.faithfulness == 1.0
    assert m.false_cited <= LOCAL_SAMPLE_FALSE_CITED, [
        (r.item.id, r.answer.text) for r in report.results if r.false_cited
    ]
    assert m.answer_accuracy is not None and m.answer_accuracy >= LOCAL_SAMPLE_ACCURACY


# measured by benchmarks/eval_sets.py --backend local (seeds.test.local.json): 1 false-cited
# of the 8 (s049; s098 is declined since the "why" check), 2 of the 3 answerable right
LOCAL_SAMPLE_FALSE_CITED = 1
LOCAL_SAMPLE_ACCURACY = 0.66
