"""Shared fixtures (a copy of the seed articles, one index built from them per session) and
the skip policy.

Skip policy: a test that needs a real part (the local model, a llama.cpp server, a Chroma
server, a browser) may skip on a developer's machine that lacks it, but under ``CI=true`` its
skip fails the run with the reason, so CI can never go green without those tests. A test needs
a part when it is marked ``real_part("...")``, uses one of ``PART_FIXTURES`` or lives in one
of ``PART_MODULES``; ``optional_part("...")`` marks the exceptions (an opt-in extra). The run
ends with every skip and its reason.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.chroma_server import CHROMA, ChromaServer, ChromaServerError, free_port

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
for _var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
    os.environ.pop(_var, None)  # tests choose their backend explicitly
# `auto` would pick the embedded model when it is installed; tests that want `auto` say so.
os.environ["ASSISTANT_BACKEND"] = "extractive"


def _share_the_cores() -> None:
    """Under pytest-xdist (scripts/test.sh runs two workers on these two cores) the local
    model and the e5 encoder of each worker run on its share of the cores, not on all of
    them: two workers each driving two llama.cpp or ONNX Runtime threads on two cores wait
    on each other's threads (a whole-suite run used about 6 % less CPU and ended ~15 s
    sooner with one thread each). A value the developer set is kept. The chat's Streamlit
    process and the test llama.cpp server inherit it; CLI processes started through
    ``tests/reliability/helpers.py`` run with the defaults, as a user's would."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        share = str(max(1, (os.cpu_count() or 1) // workers))
        os.environ.setdefault("ASSISTANT_LOCAL_THREADS", share)
        os.environ.setdefault("ASSISTANT_EMBED_THREADS", share)


_share_the_cores()

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
__all__ = ["free_port"]  # tests import it from here

# What a test needs, by the fixture it uses or the module it is in.
PART_FIXTURES = {
    "chroma_server": "a Chroma server",
    "llama_server": "a llama.cpp server",
    "local_assistant": "the local model",
    "local_runtime": "the local model",
}
PART_MODULES = {"tests/ui/test_browser.py": "a browser (chromium)"}


_SKIPS = pytest.StashKey[list[tuple[str, str, str | None]]]()
_CONFIG: dict[str, pytest.Config] = {}  # the session's config, for pytest_runtest_logreport


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "real_part(name): needs a real part; skip fails in CI")
    config.addinivalue_line("markers", "optional_part(why): an opt-in part; may skip in CI")
    config.stash[_SKIPS] = []
    _CONFIG["config"] = config


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Files with slow tests first, each file's tests in their order: scripts/test.sh runs
    two workers a file at a time, and long files started last would leave one idle."""
    slow = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in slow)


def needed_part(item: pytest.Item) -> str | None:
    """The real part ``item`` needs (``None``: none, or an opt-in one)."""
    if item.get_closest_marker("optional_part"):
        return None
    marker = item.get_closest_marker("real_part")
    if marker:
        return str(marker.args[0])
    for name in getattr(item, "fixturenames", ()):
        if name in PART_FIXTURES:
            return PART_FIXTURES[name]
    return PART_MODULES.get(item.nodeid.split("::")[0])


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr: Any = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome: Any = yield
    report: pytest.TestReport = outcome.get_result()
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    reason, part = _skip_reason(report), needed_part(item)
    report.skip_record = [reason, part]  # type: ignore[attr-defined]  # serialised by xdist
    if part and in_ci():
        report.outcome = "failed"
        report.longrepr = f"CI=true and this test needs {part}, but it was skipped: {reason}"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect skips where the summary is written (reports from pytest-xdist's workers
    arrive here too, with the record ``pytest_runtest_makereport`` put on them)."""
    config, record = _CONFIG.get("config"), getattr(report, "skip_record", None)
    if config is not None and record:
        config.stash[_SKIPS].append((report.nodeid, str(record[0]), record[1]))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    skips = config.stash.get(_SKIPS, [])
    if config.option.collectonly:
        return
    terminalreporter.section(f"skips: {len(skips)}", sep="-")
    for nodeid, reason, part in skips:
        failed = " (FAILED: CI=true)" if part and in_ci() else ""
        terminalreporter.write_line(f"SKIP {nodeid}: {reason}{failed}")
    if not skips:
        terminalreporter.write_line("no test was skipped")


def installed_model() -> Path:
    """The local model's file where the settings put it (``ASSISTANT_MODEL_DIR``, else the
    cache folder), assembled if its parts are installed; the test skips, naming the fix,
    when it is not there."""
    from assistant.answer.backends.model_parts import model_path
    from assistant.config import load_settings
    from assistant.errors import BackendUnavailableError

    try:
        return model_path(model_dir=load_settings().model_dir)
    except BackendUnavailableError as exc:
        pytest.skip(f"the local model is not installed: {exc}")


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    """A running ``chroma run`` on a free loopback port (data in tmp), stopped afterwards."""
    if not CHROMA.exists():
        pytest.skip(f"the chroma command is not installed at {CHROMA}")
    server = ChromaServer(tmp_path / "chroma-server")
    try:
        server.start()
    except ChromaServerError as error:
        pytest.fail(str(error))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A writable copy of the repository's seed articles."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture(scope="session")
def shared_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the repository's seeds, built once per test session (read-only use)."""
    from assistant.engine import Assistant

    index_dir = tmp_path_factory.mktemp("index")
    Assistant(seeds_dir=SEEDS, index_dir=index_dir, backend="extractive").index()
    return index_dir


@pytest.fixture(scope="session")
def assistant(shared_index: Path) -> Iterator[object]:
    """An extractive ``Assistant`` over the shared index (do not modify its seeds)."""
    from assistant.engine import Assistant

    yield Assistant(seeds_dir=SEEDS, index_dir=shared_index, backend="extractive")
