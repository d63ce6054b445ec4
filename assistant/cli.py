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
    p.add_argument(
        "--source",
        action="append",
        metavar="FILE",
        help="only search this article (path in the seeds folder); repeat for several",
    )

    p = sub.add_parser("articles", help="list the indexed articles (title, passages, date)")
    _common(p)
    p.add_argument("--json", action="store_true", help="one JSON object per line")

    p = sub.add_parser("chat", help="chat in the terminal, with follow-up questions")
    _common(p)
    _backend_arg(p)

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
    for flag, what in (
        ("min-accuracy", "answer accuracy"),
        ("min-refusal", "refusal accuracy on unanswerable items"),
        ("max-false-refusal", "false-refusal rate"),
        ("min-source-precision", "source-level citation precision"),
        ("min-source-recall", "source-level citation recall"),
        ("min-citation-precision", "passage-level citation precision"),
        ("min-citation-recall", "passage-level citation recall"),
        ("min-faithfulness", "share of answers with exact citation spans"),
        ("min-hit", "retrieval hit@k of the gold quote"),
        ("max-p95-ms", "95th percentile latency in ms"),
    ):
        bound = "minimum" if flag.startswith("min") else "maximum"
        p.add_argument(
            f"--{flag}", type=float, metavar="X", help=f"{bound} {what}; exit 1 if missed"
        )
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


def _print_streamed(items: Iterator[str | Answer], out: IO[str]) -> Answer:
    """Print deltas as they arrive, the checked answer when verification changed it, sources."""
    from dataclasses import replace

    from assistant.types import Answer

    parts: list[str] = []
    final = None
    for item in items:
        if isinstance(item, Answer):
            final = item
        else:
            parts.append(item)
            out.write(item)
            out.flush()
    assert final is not None
    out.write("\n" if parts else "")
    if " ".join("".join(parts).split()) != " ".join(final.text.split()):
        print(f"Checked answer: {final.text}", file=out)
    if final.citations:
        print(file=out)
        print(format_answer(replace(final, text="")).lstrip("\n"), file=out)
    out.flush()
    for notice in final.notices:
        print(notice, file=sys.stderr)
    return final


def cmd_ask(args: argparse.Namespace, out: IO[str]) -> int:
    assistant = make_assistant(args)
    if args.batch:
        if args.question:
            raise QuestionError("give either a QUESTION or --batch FILE, not both.")
        if args.source:
            raise QuestionError("--source applies to one QUESTION, not to --batch.")
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
        answer = assistant.ask(args.question, sources=args.source)
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=1), file=out)
        return 0
    _print_streamed(assistant.stream(args.question, sources=args.source), out)
    return 0


def cmd_articles(args: argparse.Namespace, out: IO[str]) -> int:
    """The indexed articles by source (from the manifest: cheap on a big archive)."""
    from dataclasses import asdict

    for article in make_assistant(args).articles():
        if args.json:
            print(json.dumps(asdict(article), ensure_ascii=False), file=out)
        else:
            dated = f", {article.date}" if article.date else ""
            print(
                f"{article.source}\t{article.title} ({article.passages} passages{dated})", file=out
            )
    return 0


def cmd_chat(args: argparse.Namespace, out: IO[str]) -> int:
    """A terminal chat: one question a line, follow-ups understood; blank line or EOF exits."""
    assistant = make_assistant(args)
    interactive = sys.stdin.isatty()
    if interactive:
        print("Ask about the articles. /new starts over; an empty line quits.", file=sys.stderr)
    messages: list[dict[str, str]] = []
    while True:
        if interactive:
            print("you> ", end="", file=sys.stderr, flush=True)
        line = sys.stdin.readline()
        if not line.strip():
            return 0
        text = line.strip()
        if text == "/new":
            messages = []
            print("(new conversation)", file=out, flush=True)
            continue
        messages.append({"role": "user", "content": text})
        try:
            answer = _print_streamed(assistant.stream_chat(messages), out)
        except QuestionError as exc:
            print(f"error: {exc}", file=sys.stderr)
            messages.pop()
            continue
        messages.append({"role": "assistant", "content": answer.text})
        print(file=out, flush=True)


def cmd_eval(args: argparse.Namespace, out: IO[str]) -> int:
    """Run a pinned set, print the metrics table; exit 1 when a given threshold is missed."""
    from assistant import evaluation

    items = evaluation.load_set(args.file)  # validate the whole file before answering
    assistant = make_assistant(args)
    print(f"backend {assistant.backend.name}: {assistant.backend_choice.reason}", file=sys.stderr)

    def progress(number: int, result: Any) -> None:
        if not args.quiet:
            mark = "ok" if result.passed and not result.contract_problems else "FAIL"
            print(f"[{number}/{len(items)}] {result.item.id} {mark}", file=sys.stderr)

    report = evaluation.evaluate(assistant, items, file=str(args.file), progress=progress)
    print(evaluation.format_table(report), file=out)
    for result in report.failures:
        print(f"FAILED {evaluation.failure_reason(result)}", file=out)
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(report.to_dict(), ensure_ascii=False, indent=1)
        args.json_out.write_text(text + "\n", encoding="utf-8")
        print(f"wrote the report to {args.json_out}", file=sys.stderr)
    if args.update:
        path = evaluation.snapshot_path(args.file, report.backend)
        count = evaluation.write_snapshot(path, (r.answer for r in report.results))
        print(f"wrote {count} answers to {path}; review with `git diff {path}`", file=sys.stderr)
    limits = {name: getattr(args, name) for name in evaluation.THRESHOLDS}
    missed = evaluation.check_thresholds(report.metrics, limits)
    for line in missed:
        print(f"threshold missed: {line}", file=sys.stderr)
    return 1 if missed else 0


COMMANDS = {
    "index": cmd_index,
    "ask": cmd_ask,
    "articles": cmd_articles,
    "chat": cmd_chat,
    "eval": cmd_eval,
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


if __name__ == "__main__":
    raise SystemExit(main())
