"""ONNX Runtime's spinning threads when the cores are shared: e5 embedding alone and with a
second process embedding at the same time (what pytest's two workers, or the chat's local
model generating beside a question's embedding, do to it).

For ``spin`` on and off (``E5Onnx(spin=...)``; off is the default), runs 1 and then 2
processes at once, each embedding the same passages of the 300 real articles
(``tests/data/lee_background``, title and text as indexed) in calls of 32, and records each
process's wall time. Writes ``benchmarks/results/e5_contention.json``.

    .venv/bin/python benchmarks/e5_contention.py --passages 384 --note "idle: nothing else ran"
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import ROOT, add_note_argument, machine, table, write_json


def embed(passages: int, spin: bool) -> float:
    """Seconds one process takes to embed ``passages`` passages (model load not counted)."""
    from e5_speed import corpus_passages

    from assistant.indexing.e5_onnx import E5Onnx

    texts = corpus_passages(passages)[0]
    model = E5Onnx(spin=spin)
    model.encode(texts[:4], False)  # warm the session
    start = time.perf_counter()
    for i in range(0, len(texts), 32):
        model.encode(texts[i : i + 32], False)
    return time.perf_counter() - start


def run(passages: int, spin: bool, processes: int) -> list[float]:
    """Each process's seconds when ``processes`` run at once."""
    command = [sys.executable, __file__, "--child", str(passages), "--spin", str(int(spin))]
    env = {**os.environ, "ORT_DISABLE_TELEMETRY": "1", "HF_HUB_OFFLINE": "1"}
    children = [
        subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)
        for _ in range(processes)
    ]
    return [float(json.loads(c.communicate()[0])["seconds"]) for c in children]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=384)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--spin", type=int, default=0, help=argparse.SUPPRESS)
    add_note_argument(parser)
    args = parser.parse_args()
    if args.child:
        print(json.dumps({"seconds": embed(args.child, bool(args.spin))}))
        return
    rows: list[dict[str, Any]] = []
    for processes in (1, 2):
        for spin in (True, False):
            seconds = run(args.passages, spin, processes)
            rows.append(
                {
                    "spin": "on" if spin else "off",
                    "processes": processes,
                    "seconds (slowest)": round(max(seconds), 2),
                    "passages/s per process": round(args.passages / max(seconds), 1),
                }
            )
    print(table(rows, list(rows[0])))
    data = {"machine": machine(args.note), "passages": args.passages, "rows": rows}
    path = write_json("e5_contention.json", data)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
