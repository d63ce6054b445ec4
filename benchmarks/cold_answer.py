"""The first answer from a new ``assistant ask`` process, with and without loading the local
model in the background while the index is opened and searched (``warm_model`` in
``assistant/cli/commands.py``). Runs alternate between the two, each a new process over this
checkout's index; writes ``benchmarks/results/cold_answer.json`` with the machine and its load.

    .venv/bin/python benchmarks/cold_answer.py --runs 5 --note "idle machine"
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, add_note_argument, machine, write_json

QUESTION = "When will the NATO-Russia Council meet?"
# The same CLI, with the background load switched off for the "serial" variant.
SCRIPT = """
import sys
import assistant.cli.commands as commands
if sys.argv[1] == "serial":
    commands.warm_model = lambda args: None
from assistant.cli import main
raise SystemExit(main(["ask", sys.argv[2], "--json"]))
"""


def one(variant: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(ORT_DISABLE_TELEMETRY="1", ANONYMIZED_TELEMETRY="False", HF_HUB_OFFLINE="1")
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, variant, QUESTION],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    row: dict[str, Any] = {"variant": variant, "wall_s": round(time.monotonic() - started, 2)}
    row["loadavg_1m"] = round(os.getloadavg()[0], 2)
    if done.returncode != 0:
        row["error"] = done.stderr.strip().splitlines()[-1:]
        return row
    answer = json.loads(done.stdout)
    row.update(backend=answer["backend"], refused=answer["refused"], timings=answer["timings"])
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each variant")
    add_note_argument(parser)
    args = parser.parse_args()
    result: dict[str, Any] = {"machine": machine(args.note), "question": QUESTION, "rows": []}
    subprocess.run([sys.executable, "-m", "assistant.cli", "index"], cwd=ROOT, check=True)
    for _ in range(args.runs):
        for variant in ("serial", "background"):
            result["rows"].append(row := one(variant))
            print(json.dumps(row), flush=True)
    for variant in ("serial", "background"):
        walls = [r["wall_s"] for r in result["rows"] if r["variant"] == variant]
        result[f"{variant}_wall_p50_s"] = round(statistics.median(walls), 2)
    result["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    path = write_json("cold_answer.json", result)
    print(
        f"serial p50 {result['serial_wall_p50_s']} s, background p50 "
        f"{result['background_wall_p50_s']} s; wrote {path}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
