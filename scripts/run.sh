#!/usr/bin/env bash
# Set everything up, build the index from seeds/, and start the chat on http://127.0.0.1:8501
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export ORT_DISABLE_TELEMETRY=1 ANONYMIZED_TELEMETRY=False
.venv/bin/assistant index
exec .venv/bin/streamlit run ui/app.py --server.address 127.0.0.1 --server.port "${PORT:-8501}" \
  --server.headless true --browser.gatherUsageStats false "$@"
