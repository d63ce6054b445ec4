"""Fit the evidence-support weights and the refusal threshold on the dev split, only.

For every dev item of the eval sets (``tests/eval/seeds.jsonl`` over ``seeds/``,
``tests/eval/lee.jsonl`` over ``tests/data/lee_background/``, and the pinned set
``tests/regression/questions.jsonl``, which is all dev), the question is searched and every
candidate sentence scored for every ask (``EvidenceSelector.score``). A candidate is a
positive when it comes from an expected source and holds the gold quote or every keyword
group of its ask. A logistic regression of positives over the features gives ``WEIGHTS`` and
``BIAS`` (``assistant/search/features.py``); the threshold that best separates answerable
from unanswerable dev items gives ``min_support``. Test items are never read.

    .venv/bin/python benchmarks/fit_evidence.py [--json benchmarks/results/fit_evidence.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import EVAL_SETS

from assistant.engine import Assistant
from assistant.evaluation import load_set
from assistant.evaluation.metrics import PinnedItem, contains, keywords_match
from assistant.search.features import FEATURES, support

ROOT = Path(__file__).resolve().parent.parent


def gold(item: PinnedItem, ask: int, source: str, text: str) -> bool:
    """Does this sentence hold the answer to ask ``ask`` of ``item``?"""
    if not item.answerable:
        return False
    if item.parts:
        part = item.parts[ask] if ask < len(item.parts) else None
        if part is None or not part.answerable:
            return False
        return source in part.sources and keywords_match(text, part.keywords)
    if source not in item.sources:
        return False
    if item.quote and contains(text, item.quote):
        return True
    return keywords_match(text, item.keywords) or (
        len(item.keywords) > 1 and any(keywords_match(text, [g]) for g in item.keywords)
    )


def collect(index_root: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Candidate rows (features, label) and item rows (best passing supports, answerable)."""
    rows: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    for set_path, seeds in EVAL_SETS.values():
        assistant = Assistant(
            seeds_dir=ROOT / seeds,
            index_dir=index_root / Path(seeds).name,
            backend="extractive",
        )
        for item in load_set(ROOT / set_path):
            if item.split != "dev":
                continue  # test items are never read
            query = item.question
            if item.turns:
                messages = [{"role": "user", "content": t} for t in item.turns]
                messages.append({"role": "user", "content": item.question})
                query = assistant.understand(messages)[0]
            found = assistant.search(query)
            selector = assistant.searcher.selector
            scored = selector.score(found.question, found.hits)
            selector.min_support, kept = 0.0, selector.min_support
            chosen = selector.select(found.question, found.hits)
            selector.min_support = kept
            decision = max((a.best_support for a in chosen.asks if a.answerable), default=0.0)
            for s in scored:
                label = gold(item, s.ask, s.passage.source, s.sentence.text)
                rows.append(
                    {
                        "item": item.id,
                        "ask": s.ask,
                        "x": s.values,
                        "y": label,
                        "passes": s.passes,
                        "text": s.sentence.text,
                        "source": s.passage.source,
                    }
                )
            items.append(
                {
                    "id": item.id,
                    "answerable": item.answerable,
                    "category": item.category,
                    "decision": decision,
                }
            )
    return rows, items


# Signs the weights must keep: a feature that can only speak for (or against) a sentence.
POSITIVE = frozenset(
    {"cover", "cover_near", "dense", "kind", "names_near", "names_article", "numbers"}
    | {"focus", "premise", "predicate", "agent"}
)
NEGATIVE = frozenset({"swap"})


def fit(
    rows: list[dict[str, Any]], l2: float = 0.5, steps: int = 4000
) -> tuple[dict[str, float], float]:
    """Logistic regression (L2, gradient descent) of the labels over the features."""
    x = np.array([[r["x"][f] for f in FEATURES] for r in rows], dtype=float)
    y = np.array([float(r["y"]) for r in rows])
    w = np.zeros(x.shape[1])
    b = 0.0
    pos = max(y.sum(), 1.0)
    weight = np.where(y > 0, len(y) / (2 * pos), len(y) / (2 * max(len(y) - pos, 1.0)))
    for _ in range(steps):
        z = x @ w + b
        p = 1 / (1 + np.exp(-z))
        g = (p - y) * weight
        w -= 0.5 * (x.T @ g / len(y) + l2 * w / len(y))
        b -= 0.5 * g.mean()
        for i, name in enumerate(FEATURES):  # keep each weight on its side of zero
            if name in POSITIVE:
                w[i] = max(w[i], 0.0)
            elif name in NEGATIVE:
                w[i] = min(w[i], 0.0)
    return {f: round(float(v), 3) for f, v in zip(FEATURES, w, strict=True)}, round(float(b), 3)


def evaluate_threshold(
    rows: list[dict[str, Any]],
    items: list[dict[str, Any]],
    weights: dict[str, float] | None,
    bias: float,
) -> dict[str, Any]:
    """Best passing support per item under the weights (``None``: the selector's decision
    with the weights in the code); the threshold that best separates."""
    best: dict[str, float] = {}
    from assistant.search.features import BIAS, WEIGHTS

    used = weights or WEIGHTS
    bias = bias if weights is not None else BIAS
    top1 = {"hit": 0, "of": 0}
    by_ask: dict[tuple[str, int], list[tuple[float, bool]]] = {}
    for r in rows:
        score = support(r["x"], used, bias)
        if r["passes"]:
            best[r["item"]] = max(best.get(r["item"], 0.0), score)
        by_ask.setdefault((r["item"], r["ask"]), []).append((score, bool(r["y"])))
    for pairs in by_ask.values():
        if any(y for _, y in pairs):
            top1["of"] += 1
            top1["hit"] += max(pairs)[1]
    scores = [(best.get(i["id"], 0.0), i["answerable"]) for i in items]
    if weights is None:  # the selector's own decision, names across articles included
        scores = [(i["decision"], i["answerable"]) for i in items]
    pos = [s for s, a in scores if a]
    neg = [s for s, a in scores if not a]
    auc = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / max(len(pos) * len(neg), 1)
    grid = sorted({round(s, 3) for s, _ in scores})
    choices = []
    for t in grid:
        declined_ok = sum(s < t for s in neg) / max(len(neg), 1)
        answered_ok = sum(s >= t for s in pos) / max(len(pos), 1)
        choices.append(
            (min(declined_ok, answered_ok), declined_ok + answered_ok, t, declined_ok, answered_ok)
        )
    _, _, threshold, declined, answered = max(choices) if choices else (0, 0, 0.5, 0, 0)
    return {
        "auc": round(auc, 3),
        "top1_gold_sentence": round(top1["hit"] / max(top1["of"], 1), 3),
        "threshold": threshold,
        "unanswerable_declined": round(declined, 3),
        "answerable_kept": round(answered, 3),
        "items": len(items),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the fit and its dev numbers here")
    parser.add_argument("--index", type=Path, help="index folder root (default: a temp dir)")
    parser.add_argument("--dump", type=Path, help="write every candidate row here (JSON)")
    parser.add_argument("--rows", type=Path, help="fit on rows --dump wrote (no search)")
    args = parser.parse_args()
    root = args.index or Path(tempfile.mkdtemp(prefix="fit-evidence-"))
    if args.rows:
        saved = json.loads(args.rows.read_text(encoding="utf-8"))
        rows, items = saved["rows"], saved["items"]
    else:
        rows, items = collect(root)
    if args.dump:
        args.dump.write_text(json.dumps({"rows": rows, "items": items}), encoding="utf-8")
    from assistant.search.features import BIAS

    current = evaluate_threshold(rows, items, None, BIAS)
    weights, bias = fit(rows)
    fitted = evaluate_threshold(rows, items, weights, bias)
    report = {"candidates": len(rows), "positives": sum(r["y"] for r in rows)}
    report |= {"current": current, "fitted": {"weights": weights, "bias": bias, **fitted}}
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
