#!/usr/bin/env bash
# Set everything up, then lint (ruff), type-check (mypy) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export ORT_DISABLE_TELEMETRY=1 ANONYMIZED_TELEMETRY=False HF_HUB_OFFLINE=1
echo "== ruff"
.venv/bin/ruff check assistant ui tests benchmarks
.venv/bin/ruff format --check assistant ui tests benchmarks
echo "== mypy"
.venv/bin/mypy assistant
echo "== pytest"
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$status"
