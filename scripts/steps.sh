# Sourced by the set-up scripts: one line per step with its duration, the total at the end of
# the outermost script, every tool's own output in a log, and one line when a step fails.
#   step "installing the assistant" "what to do if it fails" command args...
# A failed step ends the script, unless called as `STEP_MAY_FAIL=1 step ...` (then it returns 1).
# A command may draw on the terminal through file descriptor 3 (the model's progress bar).

STEPS_LOG="${STEPS_LOG:-$PWD/.setup.log}"
export STEPS_LOG
if [ -z "${STEPS_T0:-}" ]; then
  STEPS_T0=$(date +%s.%N)
  STEPS_OUTER=1
  export STEPS_T0
  : >"$STEPS_LOG"
fi
# pip: no version nag, no "Location ... is ignored" walls on the terminal (they go to the log)
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_PROGRESS_BAR=off

_steps_elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
# On a terminal a step's line is redrawn in place; in a log it is written once, left to right.
if [ -t 1 ]; then _STEPS_TTY=1; else _STEPS_TTY=; fi

step() {
  local name=$1 fix=$2 started out reason
  shift 2
  started=$(date +%s.%N)
  out=$(mktemp)
  printf '%-44s' "$name ..."
  if "$@" 3>&2 >"$out" 2>&1; then
    { echo "== $name"; cat "$out"; } >>"$STEPS_LOG"
    if [ -n "$_STEPS_TTY" ]; then printf '\r%-44s' "$name ..."; fi
    printf ' %6s s' "$(_steps_elapsed "$started")"
    if grep -q 'already' "$out" 2>/dev/null; then printf ' (already there)'; fi
    if [ -n "$_STEPS_TTY" ]; then printf '\033[K'; fi
    printf '\n'
    rm -f "$out"
    return 0
  fi
  { echo "== $name (failed)"; cat "$out"; } >>"$STEPS_LOG"
  reason=$(grep -E '^(error|ERROR|Error)[: ]' "$out" | tail -n 1 || true)
  [ -n "$reason" ] || reason=$(grep -v '^[[:space:]]*$' "$out" | tail -n 1 || true)
  rm -f "$out"
  reason="${reason#error: }"
  reason="${reason%.}"
  if [ -n "$_STEPS_TTY" ]; then printf '\r\033[K'; else printf '\n'; fi
  printf 'error: %s failed after %s s: %s; %s (full output: %s)\n' "$name" \
    "$(_steps_elapsed "$started")" "${reason:-no output}" "$fix" "$STEPS_LOG" >&2
  if [ -n "${STEP_MAY_FAIL:-}" ]; then return 1; fi
  exit 1
}

# skipped "name" "why": a step left out, on its own line
skipped() { printf '%-44s skipped (%s)\n' "$1 ..." "$2"; }

# steps_done "what is ready": the total, printed by the outermost script only
steps_done() {
  if [ -n "${STEPS_OUTER:-}" ]; then
    printf '%-44s %6s s (log: %s)\n' "$1" "$(_steps_elapsed "$STEPS_T0")" "$STEPS_LOG"
  fi
}
