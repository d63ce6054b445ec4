#!/usr/bin/env bash
# Set everything up, build the index from seeds/, and start the chat on http://127.0.0.1:8501
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/steps.sh
source scripts/steps.sh
bash scripts/setup.sh
export ORT_DISABLE_TELEMETRY=1 ANONYMIZED_TELEMETRY=False
step "building the index" "read the error above (.setup.log), fix the seeds folder and run again" \
  .venv/bin/assistant index
PORT="${PORT:-8501}"
steps_done "ready in"
echo "starting the chat on http://127.0.0.1:$PORT (Ctrl-C stops it)"
exec .venv/bin/streamlit run ui/app.py --server.address 127.0.0.1 --server.port "$PORT" \
  --server.headless true --browser.gatherUsageStats false "$@"
