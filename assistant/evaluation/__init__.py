"""Evaluation: pinned question sets (``sets``), per-answer metrics (``metrics``), a run over a
whole set (``runner``), its table and thresholds (``report``) and answer snapshots
(``snapshots``). ``assistant eval`` is the command-line face of it."""

from assistant.errors import EvalSetError
from assistant.evaluation.report import ROWS, THRESHOLDS, check_thresholds, format_table
from assistant.evaluation.runner import EvalReport, evaluate, failure_reason, retrieval_facts
from assistant.evaluation.sets import load_set, parse_item, select_items
from assistant.evaluation.snapshots import (
    read_snapshot,
    snapshot_diff,
    snapshot_path,
    snapshot_record,
    write_snapshot,
)

__all__ = [
    "ROWS",
    "THRESHOLDS",
    "EvalReport",
    "EvalSetError",
    "check_thresholds",
    "evaluate",
    "failure_reason",
    "format_table",
    "load_set",
    "parse_item",
    "read_snapshot",
    "retrieval_facts",
    "select_items",
    "snapshot_diff",
    "snapshot_path",
    "snapshot_record",
    "write_snapshot",
]
