"""The eval sets nobody tuned on, per split, for one or more backends: the tables of
docs/eval.md.

Runs ``assistant.evaluation.evaluate`` on ``tests/eval/seeds.jsonl`` (over ``seeds/``) and
``tests/eval/lee.jsonl`` (over ``tests/data/lee_background/``), dev and test apart, and on the
pinned set, writes every report to ``benchmarks/results/eval/<set>.<split>.<backend>.json``
and prints one Markdown table a backend with dev and test side by side.

    .venv/bin/python benchmarks/eval_sets.py --backend extractive --backend local [--note ...]
    .venv/bin/python benchmarks/eval_sets.py --tables   # the tables again from the stored JSON
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import EVAL_SETS, RESULTS, add_note_argument, machine

from assistant.engine import Assistant
from assistant.evaluation import evaluate, load_set, select_items

ROOT = Path(__file__).resolve().parent.parent
ROWS = (
    ("accuracy", "accuracy"),
    ("false_cited", "false-cited answers"),
    ("answer_accuracy", "answerable answered right"),
    ("refusal_accuracy", "unanswerable declined"),
    ("false_refusal_rate", "answerable declined"),
    ("two_article_all_cited", "two-article: every article cited"),
    ("two_part_ok", "two-part: complete or missing part named"),
    ("follow_up_accuracy", "follow-ups right"),
    ("answered_latency_p50_ms", "latency p50, answered (ms)"),
)


def run(backend: str, index_root: Path) -> dict[str, dict[str, Any]]:
    """``{"<set>.<split>": report dict}`` for every set and split."""
    out: dict[str, dict[str, Any]] = {}
    for name, (path, seeds) in EVAL_SETS.items():
        assistant = Assistant(
            seeds_dir=ROOT / seeds, index_dir=index_root / Path(seeds).name, backend=backend
        )
        items = load_set(ROOT / path)
        for split in sorted({i.split for i in items if i.split}):
            chosen = select_items(items, split, None)
            print(f"== {backend} {name} {split}: {len(chosen)} items", flush=True)
            report = evaluate(assistant, chosen, file=path)
            out[f"{name}.{split}"] = report.to_dict()
    return out


def cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.0f}" if value > 10 else f"{value:.3f}"
    return str(value)


def table(backend: str, reports: dict[str, dict[str, Any]]) -> str:
    order = ("seeds.dev", "seeds.test", "lee.dev", "lee.test", "pinned.dev")
    keys = [k for k in order if k in reports]
    lines = ["| " + backend + " | " + " | ".join(keys) + " |", "|---|" + "---:|" * len(keys)]
    for metric, label in ROWS:
        cells = [cell(reports[k]["metrics"].get(metric)) for k in keys]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    counts = [str(reports[k]["metrics"]["items"]) for k in keys]
    lines.append("| items | " + " | ".join(counts) + " |")
    declined = []
    for k in keys:
        by = reports[k]["metrics"].get("declined_by") or {}
        declined.append(", ".join(f"{n} {who}" for who, n in by.items()))
    lines.append("| refusals by | " + " | ".join(d or "–" for d in declined) + " |")
    return "\n".join(lines)


CATEGORIES = (
    "paraphrase",
    "two_part",
    "two_article",
    "follow_up",
    "not_stated",
    "entity_swap",
    "false_premise",
    "role_swap",
)


def category_table(backend: str, reports: dict[str, dict[str, Any]]) -> str:
    """Accuracy (false-cited answers) per category, one column a set and split."""
    keys = [k for k in ("seeds.dev", "seeds.test", "lee.dev", "lee.test") if k in reports]
    lines = ["| " + backend + " | " + " | ".join(keys) + " |", "|---|" + "---:|" * len(keys)]
    for category in CATEGORIES:
        cells = []
        for k in keys:
            split = k.split(".")[1]
            m = reports[k]["breakdown"].get(split, {}).get(category)
            cells.append(f"{m['accuracy']:.2f} ({m['false_cited']})" if m else "–")
        lines.append(f"| {category.replace('_', ' ')} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def stored(backend: str) -> dict[str, dict[str, Any]]:
    """The reports a previous run wrote for ``backend``."""
    found = sorted((RESULTS / "eval").glob(f"*.{backend}.json"))
    return {p.name.rsplit(".", 2)[0]: json.loads(p.read_text()) for p in found}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", action="append", help="extractive, local, ... (repeat)")
    parser.add_argument("--index", type=Path, help="index folder root (default: a temp dir)")
    parser.add_argument("--tables", action="store_true", help="print the stored results only")
    add_note_argument(parser)
    args = parser.parse_args()
    if args.tables:
        for backend in args.backend or ["extractive", "local"]:
            reports = stored(backend)
            print(table(backend, reports), category_table(backend, reports), sep="\n\n", end="\n\n")
        return 0
    root = args.index or Path(tempfile.mkdtemp(prefix="eval-sets-"))
    folder = RESULTS / "eval"
    folder.mkdir(parents=True, exist_ok=True)
    for backend in args.backend or ["extractive"]:
        reports = run(backend, root)
        for key, report in reports.items():
            path = folder / f"{key}.{backend}.json"
            path.write_text(json.dumps({"machine": machine(args.note), **report}, indent=1) + "\n")
        print(table(backend, reports), category_table(backend, reports), sep="\n\n", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
