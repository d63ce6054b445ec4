"""``assistant doctor``: the set-up report of ``assistant.doctor``, one line a fact, the fix
under each problem; ``--json`` for scripts. Exits 1 when a problem was found."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import IO, Any


def add_doctor(sub: Any, common: Any) -> None:
    p = sub.add_parser("doctor", help="check the set-up and print the fix for each problem")
    common(p)
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def format_report(report: Any) -> str:
    """The report as aligned lines: name, ok/PROBLEM, what was found, then the fix."""
    lines = []
    for check in report.checks:
        lines.append(f"{check.name:<13} {'ok' if check.ok else 'PROBLEM':<8} {check.detail}")
        if check.fix:
            lines.append(f"{'':<13} {'':<8} fix: {check.fix}")
    problems = len(report.problems)
    lines.append("all good" if not problems else f"{problems} problem(s) found")
    return "\n".join(lines)


def cmd_doctor(args: argparse.Namespace, out: IO[str]) -> int:
    from assistant.config import load_settings
    from assistant.doctor import diagnose

    settings = load_settings(
        seeds_dir=getattr(args, "seeds", None), index_dir=getattr(args, "index", None)
    )
    report = diagnose(settings)
    if args.json:
        checks = [asdict(check) for check in report.checks]
        print(json.dumps({"ok": report.ok, "checks": checks}, indent=1), file=out)
    else:
        print(format_report(report), file=out)
    return 0 if report.ok else 1
