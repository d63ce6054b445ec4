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
