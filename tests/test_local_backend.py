"""The embedded local model: GGUF assembly from part packages, citation alignment, and
(marked slow) real answers from the installed model on a few pinned questions.

The slow tests skip with the install command when no runtime or not the model parts are
installed (a failure under ``CI=true``: see ``tests/conftest.py``); they never pass silently
without the model.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.answer.align import CitingStream, cite, refusal_state
from assistant.answer.backends.model_parts import (
    ModelSpec,
    assemble,
    find_parts,
    is_assembled,
    model_path,
)
from assistant.answer.backends.runtimes import LocalRuntime
from assistant.errors import BackendUnavailableError
from assistant.types import Evidence, Passage, Sentence
from tests.conftest import installed_model

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "tests" / "regression" / "questions.jsonl"


# --- assembly from (fake) part packages ----------------------------------------------------


def _fake_part(site: Path, prefix: str, i: int, data: bytes, record_ok: bool = True) -> None:
    """A minimal installed distribution ``<prefix><i>`` holding ``data/partNN.bin``."""
    module = f"{prefix.replace('-', '_')}{i}"
    (site / module / "data").mkdir(parents=True)
    (site / module / "data" / f"part{i:02d}.bin").write_bytes(data)
    info = site / f"{module}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {prefix}{i}\nVersion: 0.1.0\n")
    digest = hashlib.sha256(data if record_ok else b"other").digest()
    b64 = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    (info / "RECORD").write_text(f"{module}/data/part{i:02d}.bin,sha256={b64},{len(data)}\n")


def _spec(blobs: list[bytes], prefix: str = "fake-model-part") -> ModelSpec:
    whole = b"".join(blobs)
    return ModelSpec(
        key="fake-model",
        package_prefix=prefix,
        parts=len(blobs),
        version="0.1.0",
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
    )


# Part 10 sorts before part 2 by name: the order must come from the number.
BLOBS = [f"part {i} ".encode() * (i + 1) for i in range(1, 12)]


def test_assembles_parts_in_numeric_order(tmp_path: Path) -> None:
    site = tmp_path / "site"
    for i, blob in enumerate(BLOBS, start=1):
        _fake_part(site, "fake-model-part", i, blob)
    spec = _spec(BLOBS)
    target = assemble(spec, tmp_path / "models", path=[str(site)])
    assert target.read_bytes() == b"".join(BLOBS)
    assert is_assembled(spec, tmp_path / "models")
    assert not list((tmp_path / "models").glob("*.tmp"))  # assembled atomically
    # idempotent: a second call does not rewrite the verified file
    mtime = target.stat().st_mtime_ns
    assert model_path_for(spec, tmp_path / "models", site) == target
    assert target.stat().st_mtime_ns == mtime


def model_path_for(spec: ModelSpec, directory: Path, site: Path) -> Path:
    from assistant.answer.backends import model_parts as local_model

    local_model.MODELS[spec.key] = spec
    try:
        return model_path(spec.key, directory, path=[str(site)])
    finally:
        del local_model.MODELS[spec.key]


def test_missing_parts_are_listed_with_the_pip_command(tmp_path: Path) -> None:
    site = tmp_path / "site"
    for i, blob in enumerate(BLOBS[:4], start=1):
        if i != 2:
            _fake_part(site, "fake-model-part", i, blob)
    spec = _spec(BLOBS[:4])
    with pytest.raises(BackendUnavailableError) as info:
        find_parts(spec, path=[str(site)])
    message = str(info.value)
    assert "1 of its 4 part packages are missing (fake-model-part2)" in message
    assert "bash scripts/install_local_model.sh" in message
    assert "-m pip install fake-model-part2==0.1.0" in message
    assert not (tmp_path / "models").exists()


def test_whole_file_sha_mismatch_leaves_no_file(tmp_path: Path) -> None:
    site = tmp_path / "site"
    for i, blob in enumerate(BLOBS[:3], start=1):
        _fake_part(site, "fake-model-part", i, blob)
    spec = _spec([BLOBS[1], BLOBS[0], BLOBS[2]])  # same bytes, another order: another sha
    with pytest.raises(BackendUnavailableError, match=r"expected .* --force-reinstall"):
        assemble(spec, tmp_path / "models", path=[str(site)])
    assert list((tmp_path / "models").iterdir()) == []


def test_corrupt_part_is_named(tmp_path: Path) -> None:
    site = tmp_path / "site"
    for i, blob in enumerate(BLOBS[:3], start=1):
        _fake_part(site, "fake-model-part", i, blob, record_ok=i != 3)
    with pytest.raises(BackendUnavailableError, match=r"part 3 \(fake-model-part3.*corrupt"):
        assemble(_spec(BLOBS[:3]), tmp_path / "models", path=[str(site)])


# --- alignment of the model's sentences to evidence ------------------------------------------


def _evidence(n: int, text: str) -> Evidence:
    sentence = Sentence(0, len(text), text)
    passage = Passage(f"a#{n}", "a.txt", "A", 0, len(text), text, (sentence,))
    return Evidence(n, passage, sentence, 0.9)


EVIDENCE = [
    _evidence(1, "The NATO-Russia Council will meet at ambassadorial level on July 13."),
    _evidence(2, "The U.S. sent 300 troops to Poland in June."),
]


def _run(text: str, step: int) -> tuple[str, int]:
    citing = CitingStream(EVIDENCE)
    out = [citing.feed(text[i : i + step]) for i in range(0, len(text), step)]
    out.append(citing.close())
    return "".join(out), citing.cited


@pytest.mark.parametrize("step", [1, 4, 1000])
def test_markers_are_attached_by_alignment_not_trusted(step: int) -> None:
    text = "The council will meet on July 13 [2]. The U.S. sent 300 troops to Poland."
    out, cited = _run(text, step)
    assert out == "The council will meet on July 13 [1]. The U.S. sent 300 troops to Poland [2]."
    assert cited == 2


@pytest.mark.parametrize("step", [1, 1000])
def test_refusal_sentence_is_never_shown(step: int) -> None:
    out, cited = _run("The articles do not contain the answer to this question.", step)
    assert (out, cited) == ("", 0)
    out, _ = _run("It meets on July 13. The articles do not contain the answer.", step)
    assert out == "It meets on July 13 [1]."


def test_markers_go_after_a_closing_quote() -> None:
    out, _ = _run('It will meet at an "ambassadorial level." Then July 13.', 3)
    assert out == 'It will meet at an "ambassadorial level." [1] Then July 13 [1].'


def test_unsupported_sentences_get_no_marker() -> None:
    assert cite("Stoltenberg wrote a poem about spring.", EVIDENCE) == []
    assert cite("The U.S. sent 300 troops to Poland.", EVIDENCE) == [2]
    assert cite("The articles do not mention the July 13 meeting.", EVIDENCE) == []
    assert refusal_state("The art") == "maybe"
    assert refusal_state("The council") == "no"


# --- the real model (slow) -------------------------------------------------------------------


def _pinned(ids: set[str]) -> list[dict[str, Any]]:
    items = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    return [item for item in items if item["id"] in ids]


@pytest.fixture(scope="module")
def local_assistant(shared_index: Path) -> Iterator[Any]:
    from assistant.answer.backends.local import from_settings
    from assistant.config import load_settings
    from assistant.engine import Assistant

    settings = load_settings(seeds_dir=ROOT / "seeds", index_dir=shared_index)
    try:
        backend = from_settings(settings)
    except BackendUnavailableError as exc:
        pytest.skip(f"the local model is not installed: {exc}")
    yield Assistant(settings, backend=backend)


SLOW_IDS = {"q01", "q02", "q03"}


@pytest.mark.slow
def test_local_model_answers_pinned_questions_with_exact_citations(local_assistant: Any) -> None:
    items = _pinned(SLOW_IDS)
    assert len(items) == 3 and all(item["answerable"] for item in items)
    for item in items:
        answer = local_assistant.ask(item["question"])
        assert not answer.refused, (item["id"], answer.notices)
        assert answer.backend.startswith("local:")
        assert answer.citations, item["id"]
        for citation in answer.citations:
            raw = (ROOT / "seeds" / citation.source).read_text(encoding="utf-8")
            assert raw[citation.start : citation.end] == citation.quote
            assert f"[{citation.n}]" in answer.text
        assert {c.source for c in answer.citations} & set(item["sources"]), item["id"]
        text = answer.text.lower()
        for group in item["keywords"]:
            assert any(k.lower() in text for k in group), (item["id"], answer.text)


def _first_unanswerable() -> set[str]:
    items = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    return {next(item["id"] for item in items if not item["answerable"])}


@pytest.mark.slow
def test_local_model_declines_an_unanswerable_question(local_assistant: Any) -> None:
    (item,) = _pinned(_first_unanswerable())
    answer = local_assistant.ask(item["question"])
    assert answer.refused
    assert answer.citations == ()


@pytest.mark.slow
def test_the_real_model_checks_claims_against_the_evidence_it_was_shown(
    local_assistant: Any,
) -> None:
    """``check_claims`` on the real runtime: an obviously invented claim scores below the
    evidence's own statement (the opt-in ``ASSISTANT_CLAIM_MIN``; off by default, since on
    the dev split it does not tell the subtle false claims from true ones)."""
    question = "When will the NATO-Russia Council meet?"
    found = local_assistant.search(question)
    backend = local_assistant.backend_choice.backend
    faithful = "The meeting at the NATO-Russia Council will take place on July 13."
    invented = "The NATO-Russia Council will meet in Tokyo in December to sign a peace treaty."
    p_faithful, p_invented = backend.check_claims(
        question, [faithful, invented], found.selection.evidence
    )
    assert 0.0 <= p_invented < p_faithful <= 1.0, (p_faithful, p_invented)
    assert p_faithful > 0.5


# --- the backend over the runtime interface (a scripted runtime, no model) -------------------


class ScriptedRuntime(LocalRuntime):
    """A ``LocalRuntime`` that replies with fixed text and records its calls."""

    name = "scripted"

    def __init__(self, reply: str, path: Path) -> None:
        path.write_bytes(b"GGUF scripted")
        super().__init__(path)
        self.reply = reply
        self.calls: list[tuple[str, int]] = []

    def stream_chat(
        self, messages: Any, *, max_tokens: int, temperature: float, seed: int, stop: Any = ()
    ) -> Iterator[str]:
        self.calls.append((messages[-1]["content"], max_tokens))
        yield from (self.reply[i : i + 5] for i in range(0, len(self.reply), 5))

    def first_token_logprobs(self, messages: Any, candidates: Any) -> dict[str, float]:
        return dict.fromkeys(candidates, 0.0)

    def close(self) -> None:
        pass


def test_backend_warms_the_prefix_once_per_runtime_and_cites_by_alignment(tmp_path: Path) -> None:
    from assistant.answer.backends.local import LocalBackend

    runtime = ScriptedRuntime("The U.S. sent 300 troops to Poland.", tmp_path / "m.gguf")
    first = LocalBackend(runtime, "m")
    LocalBackend(runtime, "m")  # a second backend on the same model: no second warm-up
    assert [max_tokens for _, max_tokens in runtime.calls] == [1]
    draft = first.generate("How many troops went to Poland?", EVIDENCE)
    assert draft.text == "The U.S. sent 300 troops to Poland [2]."
    assert first.name == "local:m" and runtime.calls[-1][1] == first.max_tokens


def test_preload_only_when_the_local_model_would_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.answer.backends import local
    from assistant.config import load_settings

    started: list[str] = []
    monkeypatch.setattr(local, "from_settings", lambda settings: started.append("loaded"))
    monkeypatch.setattr(local, "is_assembled", lambda spec, directory: True)
    settings = load_settings(model_dir=tmp_path, backend="auto")
    thread = local.preload(settings)
    assert thread is not None
    thread.join(5)
    assert started == ["loaded"]
    assert local.preload(settings, "extractive") is None
    assert local.preload(settings.model_copy(update={"openai_base_url": "http://x"})) is None
    monkeypatch.setattr(local, "is_assembled", lambda spec, directory: False)
    assert local.preload(settings, "local") is None  # assembling is left to the real load


# --- fetching: assembly straight from downloaded wheels, the progress bar -------------------


def _fake_wheel(directory: Path, prefix: str, i: int, data: bytes, record_ok: bool = True) -> None:
    """A wheel ``<prefix><i>-0.1.0-py3-none-any.whl`` holding ``data/partNN.bin``."""
    import zipfile

    module = f"{prefix.replace('-', '_')}{i}"
    member = f"{module}/data/part{i:02d}.bin"
    digest = hashlib.sha256(data if record_ok else b"other").digest()
    b64 = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    directory.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(directory / f"{module}-0.1.0-py3-none-any.whl", "w") as wheel:
        wheel.writestr(member, data, compress_type=zipfile.ZIP_DEFLATED)
        wheel.writestr(f"{module}-0.1.0.dist-info/RECORD", f"{member},sha256={b64},{len(data)}\n")


def test_assembles_from_downloaded_wheels_and_removes_them(tmp_path: Path) -> None:
    from assistant.answer.backends.model_fetch import DOWNLOADS, install

    spec = _spec(BLOBS)
    for i, blob in enumerate(BLOBS, start=1):
        _fake_wheel(tmp_path / DOWNLOADS, "fake-model-part", i, blob)
    target = install(spec, tmp_path)
    assert target.read_bytes() == b"".join(BLOBS) and is_assembled(spec, tmp_path)
    assert not (tmp_path / DOWNLOADS).exists()
    assert install(spec, tmp_path) == target  # already there: kept as is


def test_a_corrupt_or_missing_downloaded_part_is_named(tmp_path: Path) -> None:
    from assistant.answer.backends.model_fetch import DOWNLOADS, install

    spec = _spec(BLOBS[:3])
    for i, blob in enumerate(BLOBS[:3], start=1):
        _fake_wheel(tmp_path / DOWNLOADS, "fake-model-part", i, blob, record_ok=i != 2)
    with pytest.raises(BackendUnavailableError, match=r"part 2 \(fake-model-part2.*corrupt"):
        install(spec, tmp_path)
    (tmp_path / DOWNLOADS / "fake_model_part3-0.1.0-py3-none-any.whl").unlink()
    with pytest.raises(BackendUnavailableError, match=r"1 of the 3 downloaded .*part3"):
        install(spec, tmp_path)
    assert not is_assembled(spec, tmp_path)


class _Terminal:
    def __init__(self) -> None:
        self.text = ""

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def test_progress_bar_spans_every_part() -> None:
    from assistant.answer.backends.model_fetch import Bar

    spec = ModelSpec("m", "p", parts=4, version="1", size=400_000_000, sha256="0")
    screen = _Terminal()
    bar = Bar(spec, screen, "fetching ")
    bar.line("Using cached p1-1-py3-none-any.whl (100.0 MB)")
    bar.line("Progress 50000000 of 100000000")
    assert bar.total() == 400_000_000 and bar.done + bar.current == 150_000_000
    bar.line("Progress 100000000 of 100000000")
    for _ in range(2):
        bar.line("Progress 0 of 100000000")
        bar.line("Progress 100000000 of 100000000")
    bar.draw(force=True)
    assert bar.files == 4 and bar.done == 400_000_000
    assert screen.text.endswith("\033[K") and "400/400 MB" in screen.text.split("\r")[-1]
    assert "#" * 30 in screen.text.split("\r")[-1]


@pytest.mark.slow
@pytest.mark.real_part("the local model")
def test_an_early_error_while_the_model_loads_exits_cleanly(tmp_path: Path) -> None:
    """``assistant ask`` starts loading the model in the background; an error found before it
    is loaded (here an empty question) must still exit with its code, not crash the exit."""
    import subprocess
    import sys

    installed_model()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ASSISTANT_"))}
    if "ASSISTANT_MODEL_DIR" in os.environ:  # where the model is
        env["ASSISTANT_MODEL_DIR"] = os.environ["ASSISTANT_MODEL_DIR"]
    env["ASSISTANT_BACKEND"] = "auto"
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "assistant.cli", "ask", "   ", "--index", str(tmp_path)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 2, (done.returncode, done.stderr)
        assert done.stderr.strip().splitlines() == [
            "error: the question is empty; type a question about the articles."
        ]


def test_a_failed_set_up_step_prints_one_line_naming_it_and_the_fix(tmp_path: Path) -> None:
    """``scripts/install_local_model.sh`` with a model folder that cannot be created: the step
    that failed, the reason and what to do, on one line; the rest in the log."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "ASSISTANT_MODEL_DIR": "/proc/no-such-dir",
        "STEPS_LOG": str(tmp_path / "log"),
    }
    done = subprocess.run(
        ["bash", "scripts/install_local_model.sh"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: fetching the model parts (~1.1 GB) failed after ")
    assert "cannot create /proc/no-such-dir" in line and "ASSISTANT_MODEL_DIR" in line
    assert "Traceback" not in done.stdout + done.stderr
    assert "installing the model runtime (xllamacpp) ..." in done.stdout


@pytest.mark.slow
@pytest.mark.real_part("the local model")
def test_set_up_warms_the_model_once_for_every_later_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """install_local_model.sh's last step (``model_fetch --warm``) keeps the warmed prompt's
    state in the cache folder; a backend loaded afterwards restores it."""
    import subprocess
    import sys

    from assistant.answer.backends.local import PROMPT, LocalBackend
    from assistant.answer.backends.runtimes.xllamacpp_runtime import XllamacppRuntime
    from assistant.answer.prompts import answer_messages

    model = installed_model()
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "ASSISTANT_MODEL_DIR": str(model.parent)}
    command = [sys.executable, "-m", "assistant.answer.backends.model_fetch", "--warm"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "prompt state ready (xllamacpp)" in done.stdout
    assert len(list((tmp_path / "news-assistant" / "kv").glob("*.bin"))) == 1
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    runtime = XllamacppRuntime(model)
    try:
        assert runtime.restore_prefix(answer_messages("Hello?", [], PROMPT))
        LocalBackend(runtime, "m")  # warms from the state
    finally:
        runtime.close()
