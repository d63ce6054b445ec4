"""The ``assistant`` command: index | ask | add | articles | chat | eval | doctor (``commands``
and ``doctor`` run them).

Heavy libraries are imported inside the commands, so ``assistant --help`` is instant.
Errors the assistant raises on purpose print one line on stderr and exit non-zero.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from assistant.cli.commands import (
    cmd_add,
    cmd_articles,
    cmd_ask,
    cmd_chat,
    cmd_eval,
    cmd_index,
    format_answer,
    make_assistant,
)
from assistant.cli.doctor import add_doctor, cmd_doctor
from assistant.errors import AssistantError
from assistant.types import BACKEND_NAMES

__all__ = ["build_parser", "format_answer", "main", "make_assistant", "run"]


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seeds", type=Path, help="articles folder (default: seeds/)")
    parser.add_argument("--index", type=Path, help="index folder (default: index/)")


def _backend_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=BACKEND_NAMES, help="answer backend (default: auto)")


def _add_ask(sub: Any) -> None:
    p = sub.add_parser("ask", help="answer a question (or a batch of questions)")
    _common(p)
    _backend_arg(p)
    p.add_argument("question", nargs="?", help="the question, in quotes")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument("--batch", type=Path, help="JSONL file of {question, id} objects")
    p.add_argument("--out", type=Path, help="with --batch: write answers here (JSONL)")
    p.add_argument(
        "--source",
        action="append",
        metavar="FILE",
        help="only search this article (path in the seeds folder); repeat for several",
    )
    p.add_argument("--since", metavar="YYYY-MM-DD", help="only articles published on or after")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="only articles published on or before")


def _add_add(sub: Any) -> None:
    p = sub.add_parser(
        "add", help="add pages, feeds, exports or files to the seeds folder and index them"
    )
    _common(p)
    p.add_argument("sources", nargs="*", metavar="SOURCE", help="file, folder or http(s) URL")
    p.add_argument(
        "--feed", action="append", default=[], metavar="URL|FILE", help="an RSS/Atom feed"
    )
    p.add_argument(
        "--map",
        action="append",
        metavar="FIELD=KEY",
        help="export field name, e.g. text=story or outlet=source.name; repeatable",
    )
    p.add_argument(
        "--allow-private-hosts",
        action="store_true",
        default=None,
        help="also fetch from loopback/private addresses (ASSISTANT_ALLOW_PRIVATE_HOSTS=1)",
    )
    p.add_argument("--no-index", action="store_true", help="write the article files only")


def _add_eval(sub: Any) -> None:
    from assistant.evaluation.report import THRESHOLDS

    p = sub.add_parser("eval", help="run a pinned question set and print its metrics")
    _common(p)
    _backend_arg(p)
    p.add_argument(
        "file",
        nargs="?",
        type=Path,
        help="JSONL question set (default: %(default)s)",
        default=Path("tests/regression/questions.jsonl"),
    )
    p.add_argument("--json", dest="json_out", type=Path, help="write the report as JSON here")
    p.add_argument(
        "--update",
        action="store_true",
        help="also record the answers as <set folder>/snapshots/<backend>.jsonl for review",
    )
    p.add_argument("--quiet", action="store_true", help="no per-question progress on stderr")
    p.add_argument("--split", choices=("dev", "test"), help="only the items of this split")
    p.add_argument(
        "--category", action="append", metavar="NAME", help="only this category; repeatable"
    )
    for option, (_, kind, what) in THRESHOLDS.items():
        bound = "minimum" if kind == "min" else "maximum"
        p.add_argument(
            "--" + option.replace("_", "-"),
            type=float,
            metavar="X",
            help=f"{bound} {what}; exit 1 if missed",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="Answer questions about news articles, citing the exact passages.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("index", help="build or update the index from the seeds folder")
    _common(p)
    p.add_argument("--rebuild", action="store_true", help="drop the index and build it anew")
    p.add_argument(
        "--later",
        action="store_true",
        help="make the new articles searchable by keyword now and leave their vectors to "
        "the next `assistant index` (or an Assistant's background pass)",
    )

    _add_ask(sub)
    _add_add(sub)

    p = sub.add_parser("articles", help="list the indexed articles (title, passages, date)")
    _common(p)
    p.add_argument("--json", action="store_true", help="one JSON object per line")

    p = sub.add_parser("chat", help="chat in the terminal, with follow-up questions")
    _common(p)
    _backend_arg(p)

    _add_eval(sub)
    add_doctor(sub, _common)
    return parser


COMMANDS = {
    "index": cmd_index,
    "ask": cmd_ask,
    "add": cmd_add,
    "articles": cmd_articles,
    "chat": cmd_chat,
    "eval": cmd_eval,
    "doctor": cmd_doctor,
}


def main(argv: Sequence[str] | None = None, out: IO[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args, out or sys.stdout)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def run() -> None:
    """The ``assistant`` command: ``main``, then exit with its code. When the command ended
    while the local model was still loading in the background (an early error, a declined
    question), the process leaves at once instead of finalizing the interpreter under the
    runtime's native threads, which would crash the exit (and wait for nothing useful)."""
    code = main()
    local = sys.modules.get("assistant.answer.backends.local")
    if local is not None and local.preloading():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
