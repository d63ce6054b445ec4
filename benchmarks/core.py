"""Core numbers on the seeds: index build, warm and cold ask latency, pinned pass rate.

    .venv/bin/python benchmarks/core.py   # prints a table, writes benchmarks/results/core.json

Run it on an otherwise idle machine: the embedding model slows 2-3x when the CPU is busy.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import add_note_argument, machine  # noqa: E402

from assistant import Assistant  # noqa: E402
from tests.regression.test_pinned import ITEMS, keyword_found  # noqa: E402


def pinned_pass(assistant: Assistant) -> tuple[int, list[float]]:
    passed, latencies = 0, []
    for item in ITEMS:
        started = time.perf_counter()
        answer = assistant.ask(item["question"])
        latencies.append((time.perf_counter() - started) * 1000)
        if not item["answerable"]:
            passed += answer.refused
            continue
        passed += (
            not answer.refused
            and all(any(keyword_found(k, answer.text) for k in g) for g in item["keywords"])
            and answer.citations[0].source in item["sources"]
        )
    return passed, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_note_argument(parser)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="core-bench-"))
    seeds, index = ROOT / "seeds", work / "index"
    started = time.perf_counter()
    assistant = Assistant(seeds_dir=seeds, index_dir=index, backend="extractive")
    load_s = time.perf_counter() - started
    report = assistant.index()
    again = assistant.index()
    passed, cold_pass = pinned_pass(assistant)  # first pass embeds each sentence once
    _, warm = pinned_pass(assistant)
    cli = [str(ROOT / ".venv" / "bin" / "assistant")]
    cold = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(
            [
                *cli,
                "ask",
                "When will the NATO-Russia Council meet?",
                "--json",
                "--backend",
                "extractive",
                "--index",
                str(index),
            ],
            check=True,
            capture_output=True,
        )
        cold.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    subprocess.run([*cli, "--help"], check=True, capture_output=True)
    help_ms = (time.perf_counter() - t) * 1000
    result = {
        "machine": machine(args.note),
        "articles": report.articles,
        "passages": report.passages,
        "assistant_init_s": round(load_s, 2),
        "index_build_s": round(report.seconds, 2),
        "reindex_unchanged_s": round(again.seconds, 3),
        "pinned_passed": passed,
        "pinned_total": len(ITEMS),
        "ask_first_pass_p50_ms": round(statistics.median(cold_pass), 1),
        "ask_warm_p50_ms": round(statistics.median(warm), 1),
        "ask_warm_p95_ms": round(statistics.quantiles(warm, n=20)[18], 1),
        "cli_ask_cold_p50_ms": round(statistics.median(cold), 1),
        "cli_help_ms": round(help_ms, 1),
    }
    shutil.rmtree(work, ignore_errors=True)
    out = ROOT / "benchmarks" / "results" / "core.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
