"""Calibrate ``ASSISTANT_CLAIM_MIN``: the local model's check of each claim of its answers.

Reads the local model's answers stored by ``benchmarks/eval_sets.py --backend local`` (made
with the claim check off: ``ASSISTANT_CLAIM_MIN=0``), searches each question again (the same
evidence the answer was written from), and asks the model of every claim the answer kept
"Is this sentence true according to the evidence above?" (``answer.judge.check_claims``),
P(Yes) from the first token's log-probabilities. The threshold is chosen on the dev split
only: the one that turns the most false-cited dev answers into refusals (every claim
below it) for the fewest right dev answers losing a claim; test rows are scored and
reported beside, never used for the choice.

    .venv/bin/python benchmarks/calibrate_claims.py [--index /tmp/evs-idx] [--scores F]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import EVAL_SETS, add_note_argument, machine, table, write_json

ROOT = Path(__file__).resolve().parent.parent
THRESHOLDS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7)


def score(index_root: Path) -> list[dict[str, Any]]:
    """One row per kept claim of every stored local answer: its item and P(Yes)."""
    from assistant.answer.backends.local import PROMPT, LocalBackend
    from assistant.answer.citations import claim_text
    from assistant.answer.contract import claims
    from assistant.answer.judge import check_claims
    from assistant.answer.prompts import answer_messages
    from assistant.engine import Assistant
    from assistant.evaluation import load_set

    rows: list[dict[str, Any]] = []
    for key, (set_path, seeds) in EVAL_SETS.items():
        assistant = Assistant(
            seeds_dir=ROOT / seeds, index_dir=index_root / Path(seeds).name, backend="local"
        )
        backend = assistant.backend_choice.backend
        assert isinstance(backend, LocalBackend)
        items = {item.id: item for item in load_set(ROOT / set_path)}
        for split in ("dev", "test"):
            stored = ROOT / "benchmarks" / "results" / "eval" / f"{key}.{split}.local.json"
            if not stored.exists():
                continue
            for result in json.loads(stored.read_text())["items"]:
                if result["answer"]["refused"]:
                    continue
                item = items[result["id"]]
                question = item.question
                if item.turns:
                    turns = [*item.turns, item.question]
                    question = assistant.understand(
                        [{"role": "user", "content": t} for t in turns]
                    )[0]
                found = assistant.search(question)
                shown = list(found.selection.evidence[: backend.evidence_limit])
                messages = answer_messages(found.question, shown, PROMPT)
                texts = [claim_text(c) for c in claims(result["answer"]["answer"])]
                texts = [t for t in texts if t]
                logprobs = backend.runtime.first_token_logprobs
                for text, p in zip(texts, check_claims(logprobs, messages, texts), strict=True):
                    rows.append(
                        {
                            "set": key,
                            "split": split,
                            "id": result["id"],
                            "category": result["category"],
                            "passed": result["passed"],
                            "false_cited": result["false_cited"],
                            "claim": text,
                            "p": round(p, 4),
                        }
                    )
    return rows


def outcomes(rows: list[dict[str, Any]], split: str, threshold: float) -> dict[str, Any]:
    """What the threshold does to the answers of one split."""
    by_item: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        if row["split"] == split:
            by_item.setdefault((row["set"], row["id"]), []).append(row)
    false_cited = [v for v in by_item.values() if v[0]["false_cited"]]
    right = [v for v in by_item.values() if v[0]["passed"]]
    return {
        "split": split,
        "claim_min": threshold,
        "false_cited": len(false_cited),
        "false_cited_declined": sum(all(r["p"] < threshold for r in v) for v in false_cited),
        "right": len(right),
        "right_declined": sum(all(r["p"] < threshold for r in v) for v in right),
        "right_losing_a_claim": sum(any(r["p"] < threshold for r in v) for v in right),
    }


def choose(rows: list[dict[str, Any]]) -> float:
    """The dev threshold with the most false-cited answers declined per right one hurt."""
    best, best_gain = 0.0, 0
    for t in THRESHOLDS:
        o = outcomes(rows, "dev", t)
        gain = o["false_cited_declined"] - o["right_losing_a_claim"]
        if gain > best_gain:
            best, best_gain = t, gain
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default="/tmp/evs-idx", help="indexes of the eval sets")
    parser.add_argument("--scores", help="reuse claim scores written by an earlier run")
    parser.add_argument("--out", default="calibrate_claims.json")
    add_note_argument(parser)
    args = parser.parse_args()
    started = time.perf_counter()
    info = machine(args.note)
    rows = json.loads(Path(args.scores).read_text()) if args.scores else score(Path(args.index))
    chosen = choose(rows)
    results = [outcomes(rows, split, t) for split in ("dev", "test") for t in THRESHOLDS]
    print(table(results, list(results[0])))
    print(f"chosen on dev: claim_min = {chosen}")
    payload = {"machine": info, "seconds": round(time.perf_counter() - started, 1)}
    payload |= {"chosen": chosen, "table": results, "rows": rows}
    print(f"wrote {write_json(args.out, payload)}")


if __name__ == "__main__":
    main()
