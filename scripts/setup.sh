#!/usr/bin/env bash
# Create .venv (if needed) and install the project with its dev tools. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv ..."
  python3 -m venv .venv
fi
echo "installing the assistant and its dependencies into .venv (about a minute the first time) ..."
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e ".[dev]"
[ "${ASSISTANT_SKIP_LOCAL_MODEL:-0}" = 1 ] || { echo "installing the embedded local model (the first llama-cpp-python build takes 8-15 minutes; later runs take seconds) ..."; bash scripts/install_local_model.sh; }
