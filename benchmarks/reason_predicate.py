"""Choose ``gates.REASON_PREDICATE_MIN`` on the dev split: for each value, the extractive
backend over the dev items of both eval sets and the pinned set (the test items are not
read), with items passed, false-cited answers, answers declined, and the ids whose outcome
differs from the rule off (0). Writes ``benchmarks/results/reason_predicate.json``.

    .venv/bin/python benchmarks/reason_predicate.py --index /tmp/evs-idx
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import EVAL_SETS, ROOT, add_note_argument, machine, table, write_json

from assistant.engine import Assistant
from assistant.evaluation import evaluate, load_set, select_items
from assistant.search import gates

VALUES = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def outcomes(index_root: Path) -> dict[str, tuple[bool, bool, bool]]:
    """id -> (passed, false-cited, declined) over the dev items of the eval sets."""
    found: dict[str, tuple[bool, bool, bool]] = {}
    for name in ("seeds", "lee", "pinned"):
        questions, seeds = EVAL_SETS[name]
        items = select_items(load_set(ROOT / questions), "dev", None)
        index = index_root / Path(seeds).name
        assistant = Assistant(seeds_dir=ROOT / seeds, index_dir=index, backend="extractive")
        for r in evaluate(assistant, items).results:
            found[r.item.id] = (r.passed, r.false_cited, r.answer.refused)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, help="folder for the indexes (default: a temp)")
    add_note_argument(parser)
    args = parser.parse_args()
    index_root = args.index or Path(tempfile.mkdtemp(prefix="reason-"))
    rows: list[dict[str, Any]] = []
    off: dict[str, tuple[bool, bool, bool]] = {}
    for value in VALUES:
        gates.REASON_PREDICATE_MIN = value
        found = outcomes(index_root)
        off = off or found
        rows.append(
            {
                "min": value,
                "dev passed": sum(p for p, _, _ in found.values()),
                "dev false-cited": sum(f for _, f, _ in found.values()),
                "declined": sum(d for _, _, d in found.values()),
                "now passing": " ".join(k for k in found if found[k][0] and not off[k][0]),
                "now failing": " ".join(k for k in found if off[k][0] and not found[k][0]),
            }
        )
    print(table(rows, list(rows[0])))
    path = write_json("reason_predicate.json", {"machine": machine(args.note), "rows": rows})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
