"""Time-to-first-token overhead the assistant adds on top of an OpenAI-compatible server.

A scripted server on 127.0.0.1 replies instantly (tests/openai_server.py). We time the first
streamed delta three ways: the bare ``openai`` client, our ``OpenAIBackend.stream`` (prompt
building + error handling) and ``Assistant.stream`` (question cleaning, retrieval, evidence
selection, backend). Prints a table and writes benchmarks/results/openai_overhead.json.

    .venv/bin/python benchmarks/openai_overhead.py [--runs 30]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import openai  # noqa: E402
from _common import add_note_argument, machine  # noqa: E402

from assistant.answer.backends.openai import OpenAIBackend  # noqa: E402
from assistant.answer.prompts import answer_messages  # noqa: E402
from assistant.engine import Assistant  # noqa: E402
from tests.openai_server import Reply, ScriptedServer  # noqa: E402

QUESTIONS = [
    "When will the NATO-Russia Council meet?",
    "At what level will the NATO-Russia Council meeting be held?",
    "How many troops will be stationed in Estonia, Latvia, Lithuania and Poland?",
]
REPLY = "The meeting at the NATO-Russia Council will take place on July 13 [1]."


def first_delta_ms(make: Callable[[], Iterator[object]]) -> float:
    """Milliseconds from the call until the first item of the stream it returns."""
    started = time.perf_counter()
    stream = make()
    next(iter(stream))
    elapsed = (time.perf_counter() - started) * 1000
    for _ in stream:  # drain, so the connection closes cleanly
        pass
    return elapsed


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 2),
        "min_ms": round(ordered[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    add_note_argument(parser)
    args = parser.parse_args()
    out = ROOT / "benchmarks" / "results" / "openai_overhead.json"
    with ScriptedServer() as server, tempfile.TemporaryDirectory() as tmp:
        server.responder = lambda body: Reply(REPLY)
        assistant = Assistant(
            seeds_dir=ROOT / "seeds",
            index_dir=Path(tmp) / "index",
            backend="openai",
            OPENAI_BASE_URL=server.url,
            model="bench",
            max_retries=0,
        )
        assistant.index(progress=False)
        backend = assistant.backend
        assert isinstance(backend, OpenAIBackend)
        evidence = {q: assistant.search(q).selection.evidence for q in QUESTIONS}
        client = openai.OpenAI(base_url=server.url, api_key="x", max_retries=0)

        def raw(q: str) -> Iterator[object]:
            messages = answer_messages(q, evidence[q])
            stream = client.chat.completions.create(
                model="bench",
                messages=messages,  # type: ignore[arg-type]
                stream=True,
            )
            return (c for c in stream if c.choices and c.choices[0].delta.content)

        cases: dict[str, Callable[[str], Iterator[object]]] = {
            "openai client alone": raw,
            "OpenAIBackend.stream": lambda q: backend.stream(q, evidence[q]),
            "Assistant.stream": lambda q: assistant.stream(q),
        }
        for q in QUESTIONS:  # warm-up: imports, embedding model, connection setup
            for make in cases.values():
                first_delta_ms(lambda make=make, q=q: make(q))
        times: dict[str, list[float]] = {name: [] for name in cases}
        retrieve: list[float] = []
        for i in range(args.runs):
            q = QUESTIONS[i % len(QUESTIONS)]
            for name, make in cases.items():
                times[name].append(first_delta_ms(lambda make=make, q=q: make(q)))
            retrieve.append(assistant.search(q).retrieve_ms)
    rows = {name: summary(values) for name, values in times.items()}
    base = rows["openai client alone"]["p50_ms"]
    for row in rows.values():
        row["overhead_p50_ms"] = round(row["p50_ms"] - base, 2)
    result = {
        "what": "time to first streamed token against a scripted server replying instantly",
        "runs": args.runs,
        "machine": machine(args.note),
        "ttft": rows,
        "retrieve_and_select_p50_ms": round(statistics.median(retrieve), 2),
    }
    print(f"{'path':<22} {'p50 ms':>9} {'p90 ms':>9} {'min ms':>9} {'overhead p50':>13}")
    for name, row in rows.items():
        print(
            f"{name:<22} {row['p50_ms']:>9.2f} {row['p90_ms']:>9.2f} {row['min_ms']:>9.2f} "
            f"{row['overhead_p50_ms']:>13.2f}"
        )
    print(f"retrieval + evidence selection alone: p50 {result['retrieve_and_select_p50_ms']} ms")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
