"""The ``assistant`` command, run as a real subprocess on real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.answer.conformance import check_answer
from tests.conftest import SEEDS

CLI = [sys.executable, "-m", "assistant.cli"]


def run(
    *args: str, index: Path, seeds: Path = SEEDS, **kw: object
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    return subprocess.run(
        [*CLI, *args, "--seeds", str(seeds), "--index", str(index)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        **kw,  # type: ignore[arg-type]
    )


def test_help_is_fast() -> None:
    started = time.perf_counter()
    done = subprocess.run([*CLI, "--help"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and "index" in done.stdout and "ask" in done.stdout
    assert time.perf_counter() - started < 1.5  # lazy imports: no LlamaIndex, no Chroma


@pytest.mark.parametrize(
    ("argv", "word"),
    [
        (["ask", "   "], "empty"),
        (["ask", "x" * 9_000], "limit is 2,000"),
        (["ask"], "no question given"),
        (["ask", "Who?", "--batch", "in.jsonl"], "not both"),
    ],
)
def test_a_malformed_ask_is_refused_before_anything_loads(
    tmp_path: Path, argv: list[str], word: str
) -> None:
    """A bad question costs no model load, index or search: the error comes before the
    engine (LlamaIndex, Chroma, the local model) is even imported."""
    probe = (
        "import sys; from assistant.cli import main; "
        f"code = main({argv!r} + ['--index', {str(tmp_path / 'index')!r}]); "
        "heavy = [m for m in ('assistant.engine', 'llama_index.core', 'chromadb') "
        "if m in sys.modules]; print(code, heavy)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.stdout.strip() == "2 []", done.stdout + done.stderr
    assert word in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert not (tmp_path / "index").exists()


def test_index_then_ask_human_and_json(tmp_path: Path, shared_index: Path) -> None:
    index = tmp_path / "index"
    built = run("index", index=index)
    assert built.returncode == 0, built.stderr
    assert "indexed 3 articles, 21 passages" in built.stdout
    again = run("index", index=index)
    assert "3 unchanged; 0 passages embedded" in again.stdout

    human = run("ask", "When will the NATO-Russia Council meet?", index=index)
    assert human.returncode == 0, human.stderr
    assert "July 13 [1]." in human.stdout
    assert "Sources:" in human.stdout and "[1] NATO To Meet With Russia" in human.stdout
    assert "chars 2071-2137" in human.stdout
    assert "backend extractive" in human.stderr  # auto says what it chose

    as_json = run("ask", "Who is Alexey Meshkov?", "--json", index=index)
    data = json.loads(as_json.stdout)
    assert check_answer(data, SEEDS) == []
    assert "Deputy Foreign Minister" in data["answer"]

    listed = run("articles", "--json", index=index)
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["source"] for r in rows] == sorted(p.name for p in SEEDS.glob("*.txt"))
    assert sum(r["passages"] for r in rows) == 21 and all(r["title"] for r in rows)
    assert "NATO To Meet With Russia" in run("articles", index=index).stdout


def test_batch_keeps_order_and_ids(tmp_path: Path, shared_index: Path) -> None:
    batch = tmp_path / "in.jsonl"
    questions = [
        {"id": "a", "question": "Who is Alexey Meshkov?"},
        {"id": 7, "question": "Who won the 2018 FIFA World Cup?"},
        {"question": "Where are missile defense sites being established?"},
    ]
    batch.write_text("\n".join(json.dumps(q) for q in questions) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    done = run(
        "ask",
        "--batch",
        str(batch),
        "--out",
        str(out),
        "--backend",
        "extractive",
        index=shared_index,
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "7", None]
    assert [r["question"] for r in rows] == [q["question"] for q in questions]
    assert [r["refused"] for r in rows] == [False, True, False]
    for row in rows:
        assert check_answer(row, SEEDS) == []


def test_ask_before_index_builds_it(tmp_path: Path) -> None:
    done = run("ask", "Who is the NATO Secretary General?", "--json", index=tmp_path / "fresh")
    assert done.returncode == 0, done.stderr
    assert "Stoltenberg" in json.loads(done.stdout)["answer"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ask", ""), "no question given"),
        (("ask", "--batch", "/nonexistent/in.jsonl"), "cannot read"),
        (("ask", "hi", "--backend", "openai"), "backend"),
    ],
)
def test_errors_are_one_line_without_traceback(
    tmp_path: Path, shared_index: Path, args: tuple[str, ...], message: str
) -> None:
    done = run(*args, index=shared_index)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_bad_batch_line_is_reported_with_its_number(tmp_path: Path, shared_index: Path) -> None:
    batch = tmp_path / "in.jsonl"
    batch.write_text('{"question": "ok?"}\nnot json\n', encoding="utf-8")
    done = run("ask", "--batch", str(batch), index=shared_index)
    assert done.returncode == 2 and f"{batch}:2: not valid JSON" in done.stderr
    assert done.stdout == ""  # nothing answered before the whole file was validated


def test_missing_seeds_folder(tmp_path: Path) -> None:
    done = run("index", index=tmp_path / "i", seeds=tmp_path / "nope")
    assert done.returncode == 1 and "does not exist" in done.stderr
    assert "Traceback" not in done.stderr
