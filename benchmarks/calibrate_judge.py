"""Calibrate the refusal thresholds, with and without the local model as judge, on dev only.

For every dev item of the eval sets (as in ``fit_evidence.py``) the question is searched
with no support threshold, and for each of its asks the best support and (``--judge``) the
local model's P("the evidence states the answer") are recorded. Then:

* ``min_support`` (extractive and every backend that does not judge) is the support
  threshold with the most dev items decided right, counting a wrongly answered
  unanswerable item ``--decline-weight`` times (a false-cited answer is the worst outcome);
* ``judged_min_support`` and ``judge_min`` (the local backend) are the pair that does the
  same when an ask is answered only if both are reached.

Test items are never read.

    .venv/bin/python benchmarks/calibrate_judge.py [--judge] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import EVAL_SETS, machine

from assistant.engine import Assistant
from assistant.evaluation import load_set

ROOT = Path(__file__).resolve().parent.parent


def collect(index_root: Path, judge: bool) -> list[dict[str, Any]]:
    """One row per dev item: answerable, and per ask its best support and judge P(yes)."""
    backend = None
    if judge:
        from assistant.answer.backends.local import from_settings
        from assistant.config import load_settings

        backend = from_settings(load_settings())
    rows: list[dict[str, Any]] = []
    for set_path, seeds in EVAL_SETS.values():
        assistant = Assistant(
            seeds_dir=ROOT / seeds,
            index_dir=index_root / Path(seeds).name,
            backend=backend or "extractive",
            judge=False,
        )
        for item in load_set(ROOT / set_path):
            if item.split != "dev":
                continue  # test items are never read
            query = item.question
            if item.turns:
                messages = [{"role": "user", "content": t} for t in item.turns]
                messages.append({"role": "user", "content": item.question})
                query = assistant.understand(messages)[0]
            found = assistant.searcher.search(query, min_support=0.0)
            asks = [a for a in found.selection.asks if a.answerable]
            started = time.perf_counter()
            judged = (
                backend.judge(found.question, [a.text for a in asks], found.selection.evidence)
                if backend is not None and asks
                else None
            )
            rows.append(
                {
                    "id": item.id,
                    "category": item.category,
                    "answerable": item.answerable,
                    "supports": [a.best_support for a in asks],
                    "judged": list(judged) if judged else None,
                    "judge_ms": round((time.perf_counter() - started) * 1000, 1),
                }
            )
    return rows


def decided_right(row: dict[str, Any], support: float, judge_min: float | None) -> bool:
    answered = any(
        s >= support and (judge_min is None or p >= judge_min)
        for s, p in zip(row["supports"], row["judged"] or [1.0] * len(row["supports"]), strict=True)
    )
    return answered == row["answerable"]


def best(rows: list[dict[str, Any]], decline_weight: float, judged: bool) -> dict[str, Any]:
    """The thresholds with the most weighted dev decisions right."""
    supports = sorted({round(s, 3) for r in rows for s in r["supports"]} | {0.0})
    judges = [round(0.05 * i, 2) for i in range(1, 20)] if judged else [None]
    choices = []
    for support in supports:
        for judge_min in judges:
            pos = [decided_right(r, support, judge_min) for r in rows if r["answerable"]]
            neg = [decided_right(r, support, judge_min) for r in rows if not r["answerable"]]
            kept, declined = sum(pos) / max(len(pos), 1), sum(neg) / max(len(neg), 1)
            choices.append((kept + decline_weight * declined, support, judge_min, kept, declined))
    _, support, judge_min, kept, declined = max(choices, key=lambda c: (c[0], c[1]))
    return {
        "min_support": support,
        "judge_min": judge_min,
        "answerable_kept": round(kept, 3),
        "unanswerable_declined": round(declined, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judge", action="store_true", help="also run the local model judge")
    parser.add_argument("--decline-weight", type=float, default=1.5)
    parser.add_argument("--index", type=Path, help="index folder root (default: a temp dir)")
    parser.add_argument("--rows", type=Path, help="re-use rows a previous run wrote")
    parser.add_argument("--json", type=Path, help="write rows and thresholds here")
    args = parser.parse_args()
    if args.rows:
        rows = json.loads(args.rows.read_text(encoding="utf-8"))["rows"]
    else:
        rows = collect(args.index or Path(tempfile.mkdtemp(prefix="calibrate-")), args.judge)
    report: dict[str, Any] = {"machine": machine(), "items": len(rows)}
    report["without_judge"] = best(rows, args.decline_weight, judged=False)
    if all(r["judged"] is not None or not r["supports"] for r in rows) and args.judge | bool(
        args.rows
    ):
        report["with_judge"] = best(rows, args.decline_weight, judged=True)
        times = sorted(r["judge_ms"] for r in rows if r["judged"])
        report["judge_ms_p50"] = times[len(times) // 2] if times else None
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps({**report, "rows": rows}, indent=1) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
