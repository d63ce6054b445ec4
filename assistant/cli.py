"""The ``assistant`` command: index | ask | chat | eval.

Heavy libraries are imported inside the commands, so ``assistant --help`` is instant.
Errors the assistant raises on purpose print one line on stderr and exit non-zero.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from assistant.errors import AssistantError, QuestionError

if TYPE_CHECKING:
    from assistant.engine import Assistant
    from assistant.types import Answer

BACKENDS = ("auto", "openai", "local", "extractive")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seeds", type=Path, help="articles folder (default: seeds/)")
    parser.add_argument("--index", type=Path, help="index folder (default: index/)")


def _backend_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=BACKENDS, help="answer backend (default: auto)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="Answer questions about news articles, citing the exact passages.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("index", help="build or update the index from the seeds folder")
    _common(p)
    p.add_argument("--rebuild", action="store_true", help="drop the index and build it anew")

    p = sub.add_parser("ask", help="answer a question (or a batch of questions)")
    _common(p)
    _backend_arg(p)
    p.add_argument("question", nargs="?", help="the question, in quotes")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument("--batch", type=Path, help="JSONL file of {question, id} objects")
    p.add_argument("--out", type=Path, help="with --batch: write answers here (JSONL)")

    p = sub.add_parser("chat", help="chat in the terminal, with follow-up questions")
    _common(p)
    _backend_arg(p)

    p = sub.add_parser("eval", help="run a pinned question set and print its metrics")
    _common(p)
    _backend_arg(p)
    p.add_argument("file", nargs="?", type=Path, help="JSONL question set")
    p.add_argument("--json", dest="json_out", type=Path, help="write the report as JSON here")
    return parser


def make_assistant(args: argparse.Namespace) -> Assistant:
    from assistant.engine import Assistant

    return Assistant(
        seeds_dir=getattr(args, "seeds", None),
        index_dir=getattr(args, "index", None),
        backend=getattr(args, "backend", None),
    )


def format_answer(answer: Answer) -> str:
    """The answer, then a numbered source list with the quoted passages."""
    lines = [answer.text]
    if answer.citations:
        lines.append("")
        lines.append("Sources:")
        for c in answer.citations:
            lines.append(f"[{c.n}] {c.title} — {c.source}, chars {c.start}-{c.end}")
            lines.append(f"    “{' '.join(c.quote.split())}”")
    return "\n".join(lines)


def _read_batch(path: Path) -> Iterator[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or "not UTF-8"
        raise QuestionError(f"cannot read {path} ({why}); check the path.") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            raise QuestionError(
                f"{path}:{number}: not valid JSON; each line must be an object like "
                '{"id": "q1", "question": "..."}.'
            ) from None
        if not isinstance(item, dict) or not isinstance(item.get("question"), str):
            raise QuestionError(
                f'{path}:{number}: each line needs a "question" string (and optional "id").'
            )
        yield item


def cmd_index(args: argparse.Namespace, out: IO[str]) -> int:
    report = make_assistant(args).index(rebuild=args.rebuild)
    print(report.summary(), file=out)
    return 0


def cmd_ask(args: argparse.Namespace, out: IO[str]) -> int:
    assistant = make_assistant(args)
    if args.batch:
        if args.question:
            raise QuestionError("give either a QUESTION or --batch FILE, not both.")
        items = list(_read_batch(args.batch))  # validate the whole file before answering
        with contextlib.ExitStack() as stack:
            target = stack.enter_context(open(args.out, "w", encoding="utf-8")) if args.out else out
            count = 0
            for answer in assistant.ask_batch(items):
                target.write(json.dumps(answer.to_dict(), ensure_ascii=False) + "\n")
                target.flush()
                count += 1
        if args.out:
            print(f"wrote {count} answers to {args.out}", file=sys.stderr)
        return 0
    if not args.question:
        raise QuestionError('no question given; try: assistant ask "When will NATO meet Russia?"')
    if args.json:
        answer = assistant.ask(args.question)
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=1), file=out)
        return 0
    final = None
    for item in assistant.stream(args.question):
        if isinstance(item, str):
            continue
        final = item
    assert final is not None
    for notice in final.notices:
        print(notice, file=sys.stderr)
    print(format_answer(final), file=out)
    return 0


def cmd_chat(args: argparse.Namespace, out: IO[str]) -> int:
    raise AssistantError("`assistant chat` arrives with the openai backend; use `assistant ask`.")


def cmd_eval(args: argparse.Namespace, out: IO[str]) -> int:
    raise AssistantError("`assistant eval` is not built yet; run `pytest tests/regression`.")


COMMANDS = {"index": cmd_index, "ask": cmd_ask, "chat": cmd_chat, "eval": cmd_eval}


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


if __name__ == "__main__":
    raise SystemExit(main())
