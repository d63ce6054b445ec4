"""From a fresh machine to the first cited answer: the README's commands, timed.

Clones this repository into a new temporary folder and runs there, as a new user would:
``bash scripts/run.sh`` (a new ``.venv``, an empty pip cache in a temporary ``PIP_CACHE_DIR``,
and by default an empty model folder and cache folder, so the model parts are downloaded
and nothing derived from them is kept from an earlier run) until the chat
answers its health check; then the first cited answer from a new ``assistant ask`` process
(``--cold-runs`` of them); then ``CI=true bash scripts/test.sh``. Every set-up step's own
duration (the lines the scripts print) is recorded too. Writes
``benchmarks/results/fresh_setup.json`` with the machine and its load.

    .venv/bin/python benchmarks/fresh_setup.py --note "idle machine"
    .venv/bin/python benchmarks/fresh_setup.py --reuse-model-dir --skip-tests   # quicker check

Targets (issue 16): run.sh to a healthy chat <= 150 s, first answer <= 10 s, test.sh <= 300 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import ROOT, add_note_argument, machine, write_json

from tests.ui.browser import stop_group

QUESTION = "When will the NATO-Russia Council meet?"
TARGETS = {"run_to_healthy_chat_s": 150, "first_answer_s": 10, "test_sh_s": 300}
STEP_LINE = re.compile(r"^(?P<name>.+?) \.\.\.\s+(?P<seconds>[\d.]+) s(?P<note>.*)$")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def step_lines(text: str) -> list[dict[str, Any]]:
    """The ``name ... 12.3 s`` lines the set-up scripts print, as records."""
    found = []
    for line in text.replace("\r", "\n").splitlines():
        if match := STEP_LINE.match(line.strip()):
            note = match["note"].strip()
            found.append({"step": match["name"], "s": float(match["seconds"]), "note": note})
    return found


def start_chat(clone: Path, env: dict[str, str], port: int, log: Path) -> tuple[Any, float]:
    """``bash scripts/run.sh`` until the chat answers ``/_stcore/health``; (process, seconds)."""
    started = time.monotonic()
    handle = log.open("wb")
    process = subprocess.Popen(
        ["bash", "scripts/run.sh"],
        cwd=clone,
        env={**env, "PORT": str(port)},
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/_stcore/health"
    while True:
        if process.poll() is not None:
            raise SystemExit(f"run.sh exited with {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return process, time.monotonic() - started
        except OSError:
            pass
        if time.monotonic() - started > 1800:
            raise SystemExit(f"the chat did not answer within 30 minutes; see {log}")
        time.sleep(0.5)


def first_answer(clone: Path, env: dict[str, str]) -> dict[str, Any]:
    """One ``assistant ask --json`` in a new process: wall time and what came back."""
    started = time.monotonic()
    done = subprocess.run(
        [str(clone / ".venv/bin/assistant"), "ask", QUESTION, "--json"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    wall = time.monotonic() - started
    row: dict[str, Any] = {"wall_s": round(wall, 2), "exit": done.returncode}
    if done.returncode == 0:
        answer = json.loads(done.stdout)
        row.update(
            backend=answer["backend"],
            refused=answer["refused"],
            citations=len(answer["citations"]),
            timings=answer["timings"],
        )
    else:
        row["stderr"] = done.stderr[-500:]
    return row


def run_tests(clone: Path, env: dict[str, str], log: Path) -> dict[str, Any]:
    started = time.monotonic()
    with log.open("wb") as handle:
        done = subprocess.run(
            ["bash", "scripts/test.sh", "-q"],
            cwd=clone,
            env={**env, "CI": "true"},
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    text = log.read_text(errors="replace").strip().splitlines()
    return {
        "s": round(time.monotonic() - started, 1),
        "exit": done.returncode,
        "last_line": text[-1] if text else "",
        # mypy's report follows pytest's (scripts/test.sh): keep pytest's own summary line
        "pytest_summary": next(
            (line.strip("= ") for line in reversed(text) if re.search(r"\d+ passed", line)), ""
        ),
        "steps": step_lines("\n".join(text)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=str(ROOT), help="what to clone (default: this one)")
    parser.add_argument("--reuse-model-dir", action="store_true", help="keep ~/.cache's model")
    parser.add_argument("--skip-tests", action="store_true", help="do not run test.sh")
    parser.add_argument("--cold-runs", type=int, default=2, help="first answers, each cold")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--out", default="fresh_setup.json")
    add_note_argument(parser)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fresh-setup-"))
    clone = work / "news-assistant"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ASSISTANT_"))}
    env.pop("VIRTUAL_ENV", None)
    env["PIP_CACHE_DIR"] = str(work / "pip-cache")  # empty: every wheel is downloaded
    if not args.reuse_model_dir:
        env["ASSISTANT_MODEL_DIR"] = str(work / "models")  # empty: the parts are downloaded
        # empty too: no e5 graph nor model prefix state kept by an earlier run
        env["XDG_CACHE_HOME"] = str(work / "cache")
    result: dict[str, Any] = {
        "machine": machine(args.note),
        "repo": args.repo,
        "model_dir": "reused" if args.reuse_model_dir else "empty",
        "pip_cache": "empty",
        "targets": TARGETS,
    }
    try:
        started = time.monotonic()
        subprocess.run(["git", "clone", "--quiet", args.repo, str(clone)], check=True)
        result["clone_s"] = round(time.monotonic() - started, 1)
        chat, seconds = start_chat(clone, env, free_port(), work / "run.log")
        result["run_to_healthy_chat_s"] = round(seconds, 1)
        result["run_steps"] = step_lines((work / "run.log").read_text(errors="replace"))
        try:
            result["first_answers"] = [first_answer(clone, env) for _ in range(args.cold_runs)]
        finally:
            stop_group(chat, 30)
        if not args.skip_tests:
            result["test_sh"] = run_tests(clone, env, work / "test.log")
        result["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        first = result["first_answers"][0]
        result["met"] = {
            "run_to_healthy_chat_s": seconds <= TARGETS["run_to_healthy_chat_s"],
            "first_answer_s": first["wall_s"] <= TARGETS["first_answer_s"],
            "test_sh_s": "test_sh" in result and result["test_sh"]["s"] <= TARGETS["test_sh_s"],
        }
    finally:
        path = write_json(args.out, result)
        print(json.dumps(result, indent=1))
        print(f"wrote {path}", file=sys.stderr)
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
