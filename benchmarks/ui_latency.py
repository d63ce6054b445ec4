"""How soon the chat is usable: from ``streamlit run ui/app.py`` to the health check
answering, to the page being ready (chat input drawn, the assistant loaded), and from
pressing Enter on the first question to its first streamed words and to the finished
answer, in a real headless Chromium.

Each run is a fresh ``streamlit run`` over the seeds with an index built beforehand (as
``scripts/run.sh`` does), so the page pays for loading the embedding model (and the local
model, with ``--backend local`` or ``auto``) like a user's first visit. Writes
``benchmarks/results/ui_latency.<backend>.json`` with the machine and its load.

    .venv/bin/python benchmarks/ui_latency.py [--runs 3] [--backend auto|local|extractive]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import add_note_argument, machine, table, write_json  # noqa: E402

from assistant import Assistant  # noqa: E402
from tests.ui import browser  # noqa: E402

QUESTION = "When will the NATO-Russia Council meet?"
# the first words of the answer: the live draft (with its cursor) or the finished answer
FIRST_WORDS = """() => {
  const m = document.querySelectorAll('[data-testid=stChatMessage]')[1];
  return !!m && (m.innerText.includes('▌') || !!m.querySelector('.answer, [role=alert]')
    || [...m.querySelectorAll('*')].some(e => e.shadowRoot && e.shadowRoot.textContent));
}"""
FINISHED = """() => {
  const m = document.querySelectorAll('[data-testid=stChatMessage]')[1];
  return !!m && !!m.querySelector('[data-testid=stFeedback], [data-testid=stAlert]');
}"""


def one_run(env: dict[str, str], work: Path, question: str, n: int) -> dict[str, float]:
    """One cold start: seconds to health, to a ready page, to first words, to the answer."""
    log = work / f"streamlit-{n}.log"
    with browser.streamlit_app(env, log, timeout=300) as app:
        started = time.perf_counter() - app.health_s  # when `streamlit run` was started
        with browser.chromium(work / f"profile-{n}") as context:
            page = context.new_page()
            page.set_default_timeout(600_000)
            page.goto(app.url)
            page.get_by_test_id("stChatInput").wait_for()
            page.get_by_text("News assistant").first.wait_for()
            ready_s = time.perf_counter() - started
            box = page.get_by_test_id("stChatInput").locator("textarea")
            box.fill(question)
            asked = time.perf_counter()
            box.press("Enter")
            page.wait_for_function(FIRST_WORDS, polling=16)
            first_s = time.perf_counter() - asked
            page.wait_for_function(FINISHED, polling=16)
            done_s = time.perf_counter() - asked
    return {
        "health_s": round(app.health_s, 3),
        "page_ready_s": round(ready_s, 3),
        "first_words_s": round(first_s, 3),
        "answer_s": round(done_s, 3),
        "first_words_since_start_s": round(asked - started + first_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh `streamlit run`s (3)")
    parser.add_argument("--backend", default="auto", help="ASSISTANT_BACKEND for the app")
    parser.add_argument("--question", default=QUESTION)
    add_note_argument(parser)
    args = parser.parse_args()
    why = browser.missing()
    if why:
        raise SystemExit(f"cannot drive a browser: {why}")
    info = machine(args.note)
    work = Path(tempfile.mkdtemp(prefix="ui-latency-"))
    try:
        seeds, index = work / "seeds", work / "index"
        shutil.copytree(ROOT / "seeds", seeds)
        Assistant(seeds_dir=seeds, index_dir=index, backend="extractive").index(progress=False)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
        env.update(
            ASSISTANT_SEEDS_DIR=str(seeds),
            ASSISTANT_INDEX_DIR=str(index),
            ASSISTANT_BACKEND=args.backend,
            ORT_DISABLE_TELEMETRY="1",
            ANONYMIZED_TELEMETRY="False",
            HF_HUB_OFFLINE="1",
        )
        runs = [one_run(env, work, args.question, n) for n in range(args.runs)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    keys = list(runs[0])
    p50s = {k: round(statistics.median(r[k] for r in runs), 3) for k in keys}
    rows = [{"run": i + 1, **r} for i, r in enumerate(runs)]
    print(table([*rows, {"run": "p50", **p50s}], ["run", *keys]))
    result: dict[str, Any] = {"machine": info, "backend": args.backend, "question": args.question}
    result.update(runs=runs, p50=p50s)
    print(f"wrote {write_json(f'ui_latency.{args.backend}.json', result)}")


if __name__ == "__main__":
    main()
