"""Each llama.cpp runtime adapter against the real runtime and the real model (marked slow):
streaming, seed reproducibility, stop strings, max tokens, reuse of the cached prompt prefix,
first-token log-probabilities, the GIL left free while generating, and missing or corrupt
model files as one clear error. The choice of runtime by setting is tested without a model.

The default runtime (xllamacpp) and the model are real parts: under ``CI=true`` their absence
fails the run (``tests/conftest.py``); llama-cpp-python is an opt-in extra and may skip.
"""

from __future__ import annotations

import importlib.util
import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.answer.backends.runtimes import LocalRuntime, factory, load_runtime
from assistant.answer.backends.runtimes.base import check_model_file
from assistant.errors import BackendUnavailableError
from tests.conftest import installed_model

NATO = "The meeting at the NATO-Russia Council will take place on July 13."
QUESTION = "When will the NATO-Russia Council meet?"
ANSWER_MESSAGES = [
    {"role": "system", "content": "You answer questions using only the evidence given."},
    {"role": "user", "content": f"Evidence: {NATO}\nQuestion: {QUESTION}"},
]
JUDGE_SYSTEM = (
    "Answer Yes or No: does the passage state the answer to the question? Reply with one word."
)
# ~200 tokens of fixed instructions: evaluating them cold takes seconds on 2 cores.
LONG_SYSTEM = " ".join(
    f"Rule {i}: answer only from the numbered evidence sentences and never from memory."
    for i in range(1, 13)
)

RUNTIME_PARAMS = [
    pytest.param("xllamacpp", id="xllamacpp", marks=pytest.mark.real_part("the xllamacpp runtime")),
    pytest.param(
        "llama-cpp-python",
        id="llama-cpp-python",
        marks=pytest.mark.optional_part("llama-cpp-python is an opt-in extra"),
    ),
]


def _judge(passage: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": JUDGE_SYSTEM},
        {"role": "user", "content": f"Question: {QUESTION}\nPassage: {passage}\nYes or No?"},
    ]


def _text(runtime: LocalRuntime, messages: list[dict[str, str]], **options: object) -> str:
    settings = {"max_tokens": 40, "temperature": 0.1, "seed": 0, **options}
    return "".join(runtime.stream_chat(messages, **settings))  # type: ignore[arg-type]


# --- choosing a runtime (no model needed) ------------------------------------------------------


def test_auto_prefers_xllamacpp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object())
    assert factory.resolve_runtime("auto").name == "xllamacpp"
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "xllamacpp" else 1
    )
    assert factory.resolve_runtime("auto").name == "llama-cpp-python"


def test_a_missing_runtime_names_its_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(BackendUnavailableError, match=r'pip install -e "\.\[local\]"'):
        factory.resolve_runtime("auto")
    with pytest.raises(BackendUnavailableError, match=r"llama-cpp\]"):
        factory.resolve_runtime("llama-cpp-python")
    with pytest.raises(BackendUnavailableError, match="unknown local runtime"):
        factory.resolve_runtime("vllm")


def test_missing_and_corrupt_model_files_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailableError, match=r"missing; run bash scripts/install_local"):
        check_model_file(tmp_path / "none.gguf", "xllamacpp")
    (tmp_path / "bad.gguf").write_bytes(b"<html>not a model</html>")
    with pytest.raises(BackendUnavailableError, match=r"not a GGUF file\); delete it and run"):
        check_model_file(tmp_path / "bad.gguf", "xllamacpp")


# --- each runtime on the real model (slow) -------------------------------------------------------


@pytest.fixture(scope="module", params=RUNTIME_PARAMS)
def local_runtime(request: pytest.FixtureRequest) -> Iterator[LocalRuntime]:
    name = str(request.param)
    spec = factory.RUNTIMES[name]
    if importlib.util.find_spec(spec.module) is None:
        pytest.skip(f"the {name} runtime is not installed; install it with: {spec.install}")
    path = installed_model()
    runtime = load_runtime(path, name)
    assert runtime.name == name and runtime.model_path == path
    yield runtime
    factory.forget_loaded()


@pytest.mark.slow
def test_streams_text_in_several_deltas(local_runtime: LocalRuntime) -> None:
    deltas = list(
        local_runtime.stream_chat(ANSWER_MESSAGES, max_tokens=40, temperature=0.1, seed=0)
    )
    assert len(deltas) > 3 and all(isinstance(d, str) and d for d in deltas)
    assert "July 13" in "".join(deltas)


@pytest.mark.slow
def test_the_same_seed_gives_the_same_text(local_runtime: LocalRuntime) -> None:
    """Same prompt, seed and cache state, same text. (A prompt evaluated cold and one read from
    the KV cache can differ in the last bits of their logits, which a temperature of 1.0 may
    turn into another token; the backend's 0.1 does not.)"""
    poem = [{"role": "user", "content": "Write a short poem about a harbour at night."}]
    _text(local_runtime, poem, max_tokens=4)  # the prompt is in the cache for every call below
    first = _text(local_runtime, poem, temperature=1.0, seed=7, max_tokens=24)
    assert _text(local_runtime, poem, temperature=1.0, seed=7, max_tokens=24) == first
    others = {_text(local_runtime, poem, temperature=1.0, seed=s, max_tokens=24) for s in (8, 9)}
    assert others - {first}, "other seeds sample other text"


@pytest.mark.slow
def test_stop_strings_and_max_tokens_end_the_text(local_runtime: LocalRuntime) -> None:
    full = _text(local_runtime, ANSWER_MESSAGES)
    assert "July" in full
    stopped = _text(local_runtime, ANSWER_MESSAGES, stop=("July",))
    assert "July" not in stopped and full.startswith(stopped.rstrip())
    short = list(local_runtime.stream_chat(ANSWER_MESSAGES, max_tokens=3, temperature=0.1, seed=0))
    assert 1 <= len(short) <= 3 and len("".join(short)) < len(full)


def _seconds(runtime: LocalRuntime, system: str, question: str) -> float:
    messages = [{"role": "system", "content": system}, {"role": "user", "content": question}]
    started = time.perf_counter()
    for _ in runtime.stream_chat(messages, max_tokens=1, temperature=0.0, seed=0):
        pass
    return time.perf_counter() - started


@pytest.mark.slow
def test_a_fixed_system_prefix_is_evaluated_once(local_runtime: LocalRuntime) -> None:
    cold = _seconds(local_runtime, LONG_SYSTEM, "Who met in July?")
    warm = _seconds(local_runtime, LONG_SYSTEM, "Where are the missile sites?")
    assert warm < cold / 3, (cold, warm)


@pytest.mark.slow
def test_first_token_logprobs_judge_a_passage(local_runtime: LocalRuntime) -> None:
    states = local_runtime.first_token_logprobs(_judge(NATO), ["Yes", "No", "Perhaps so"])
    other = "The weather in Brussels was sunny and warm on Tuesday."
    lacks = local_runtime.first_token_logprobs(_judge(other), ["Yes", "No"])
    assert states["Yes"] > states["No"] and lacks["No"] > lacks["Yes"], (states, lacks)
    assert all(v <= 0 for v in [*states.values(), *lacks.values()])
    assert math.exp(states["Yes"]) + math.exp(states["No"]) > 0.8  # the model's own Yes/No
    assert states["Perhaps so"] == -math.inf  # two tokens: never one first token


@pytest.mark.slow
def test_logprobs_reuse_the_cached_prefix(local_runtime: LocalRuntime) -> None:
    long_judge = LONG_SYSTEM.replace("Rule", "Guideline") + " " + JUDGE_SYSTEM  # not cached yet
    question = f"Question: {QUESTION}\nPassage: {NATO}\nYes or No?"

    def timed(passage_question: str) -> float:
        messages = [
            {"role": "system", "content": long_judge},
            {"role": "user", "content": passage_question},
        ]
        started = time.perf_counter()
        local_runtime.first_token_logprobs(messages, ["Yes", "No"])
        return time.perf_counter() - started

    cold = timed(question)
    warm = timed(question.replace("NATO-Russia Council", "council"))
    assert warm < cold / 3, (cold, warm)


@pytest.mark.slow
def test_generation_leaves_the_gil_free(local_runtime: LocalRuntime) -> None:
    ticks = 0
    done = threading.Event()

    def generate() -> None:
        _text(local_runtime, ANSWER_MESSAGES, max_tokens=24)
        done.set()

    worker = threading.Thread(target=generate)
    started = time.perf_counter()
    worker.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0.01)
    worker.join()
    expected = (time.perf_counter() - started) / 0.0105
    assert ticks > expected / 3, (ticks, expected)


@pytest.mark.slow
def test_an_abandoned_stream_stops_generating(local_runtime: LocalRuntime) -> None:
    essay = [{"role": "user", "content": "Write a long essay about harbours."}]
    stream = local_runtime.stream_chat(essay, max_tokens=400, temperature=0.1, seed=0)
    first = next(iter(stream))
    started = time.perf_counter()
    stream.close()  # type: ignore[attr-defined]
    assert first and time.perf_counter() - started < 5
    assert "July 13" in _text(local_runtime, ANSWER_MESSAGES)  # the runtime still answers


@pytest.mark.slow
@pytest.mark.parametrize("name", RUNTIME_PARAMS)
def test_loading_a_missing_or_corrupt_file_names_the_fix(name: str, tmp_path: Path) -> None:
    spec = factory.RUNTIMES[name]
    if importlib.util.find_spec(spec.module) is None:
        pytest.skip(f"the {name} runtime is not installed; install it with: {spec.install}")
    with pytest.raises(BackendUnavailableError, match=r"install_local_model\.sh"):
        load_runtime(tmp_path / "missing.gguf", name)
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\x00" * 4096)
    with pytest.raises(BackendUnavailableError, match=r"cannot load .*delete it and run"):
        load_runtime(truncated, name)


@pytest.mark.slow
@pytest.mark.real_part("the xllamacpp runtime")
def test_a_saved_prefix_state_is_restored_by_the_next_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warmed prefix's KV state is saved to the cache folder; a new load of the model
    restores it (instead of evaluating the prefix again) and answers exactly as a load
    that evaluated it; a damaged state file is not restored and breaks nothing."""
    pytest.importorskip("xllamacpp", reason='the xllamacpp runtime: pip install -e ".[local]"')
    from assistant.answer.backends.runtimes.xllamacpp_runtime import XllamacppRuntime

    path = installed_model()  # before the cache folder moves
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    for proxy in ("http_proxy", "HTTP_PROXY"):  # a proxy nobody answers is never used
        monkeypatch.setenv(proxy, "http://127.0.0.1:9")
    prefix = [{"role": "system", "content": LONG_SYSTEM}, {"role": "user", "content": "Hi"}]
    asked = [{"role": "system", "content": LONG_SYSTEM}, ANSWER_MESSAGES[1]]
    first = XllamacppRuntime(path)
    try:
        assert not first.restore_prefix(prefix), "nothing saved yet"
        _text(first, prefix, max_tokens=1)
        first.save_prefix(prefix)
        evaluated = _text(first, asked, max_tokens=12)
    finally:
        first.close()
    saved = first.prefix_file(prefix, first._version)
    assert saved.is_file() and saved.stat().st_size > 1_000_000
    second = XllamacppRuntime(path)
    try:
        assert second.restore_prefix(prefix)
        assert _text(second, asked, max_tokens=12) == evaluated
        assert not second.restore_prefix(asked), "no state was saved for other messages"
        saved.write_bytes(b"not a state")
        assert not second.restore_prefix(prefix)
        assert _text(second, asked, max_tokens=12) == evaluated
    finally:
        second.close()
