"""The subcommands of ``assistant``: each takes the parsed arguments and the output stream and
returns the exit code. Heavy modules are imported inside them, so ``--help`` stays instant."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from assistant.errors import QuestionError
from assistant.jsonl import read_jsonl

if TYPE_CHECKING:
    from assistant.engine import Assistant
    from assistant.indexing.runs import IndexReport
    from assistant.types import Answer

BATCH_HINT = 'each line must be an object like {"id": "q1", "question": "..."}.'


def warm_model(args: argparse.Namespace) -> None:
    """Start loading the local model in the background when it will answer, so it loads
    while the index is opened and searched instead of after."""
    from assistant.answer.backends.local import preload
    from assistant.config import load_settings

    backend = getattr(args, "backend", None)
    preload(load_settings(seeds_dir=args.seeds, index_dir=args.index, backend=backend), backend)


def make_assistant(args: argparse.Namespace) -> Assistant:
    from assistant.engine import Assistant

    return Assistant(
        seeds_dir=getattr(args, "seeds", None),
        index_dir=getattr(args, "index", None),
        backend=getattr(args, "backend", None),
    )


def format_answer(answer: Answer) -> str:
    """The answer, then a numbered source list: title, outlet and date, file and span, link,
    and the quoted passage."""
    lines = [answer.text]
    if answer.citations:
        lines.append("")
        lines.append("Sources:")
        for c in answer.citations:
            origin = ", ".join(x for x in (c.outlet, c.published) if x)
            said = f" ({origin})" if origin else ""
            lines.append(f"[{c.n}] {c.title}{said} — {c.source}, chars {c.start}-{c.end}")
            if c.url:
                lines.append(f"    {c.url}")
            lines.append(f"    “{' '.join(c.quote.split())}”")
    return "\n".join(lines)


def _read_batch(path: Path) -> Iterator[dict[str, Any]]:
    for number, item in read_jsonl(path, QuestionError, BATCH_HINT):
        if not isinstance(item, dict) or not isinstance(item.get("question"), str):
            raise QuestionError(
                f'{path}:{number}: each line needs a "question" string (and optional "id").'
            )
        yield item


def cmd_index(args: argparse.Namespace, out: IO[str]) -> int:
    """First pass (BM25: questions can be asked from then on), then the vectors, with a
    progress bar and ETA on a terminal; ``--later`` leaves the vectors to a later run."""

    def searchable(report: IndexReport) -> None:
        if report.pending and not args.later:
            print(
                f"searchable now: {report.passages} passages by keyword search; embedding "
                f"{report.pending} passages (interrupt and rerun to resume)",
                file=sys.stderr,
                flush=True,
            )

    assistant = make_assistant(args)
    report = assistant.index(rebuild=args.rebuild, dense=not args.later, searchable=searchable)
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


def _check_ask(args: argparse.Namespace) -> None:
    """Refuse a malformed ``ask`` before anything loads (the model, the index)."""
    from assistant.config import load_settings
    from assistant.search.questions import clean_question

    if args.batch:
        if args.question:
            raise QuestionError("give either a QUESTION or --batch FILE, not both.")
        if args.source or args.since or args.until:
            raise QuestionError("--source, --since and --until apply to one QUESTION, not --batch.")
        return
    if not args.question:
        raise QuestionError('no question given; try: assistant ask "When will NATO meet Russia?"')
    settings = load_settings(seeds_dir=args.seeds, index_dir=args.index)
    clean_question(args.question, settings.max_question_chars)


def cmd_ask(args: argparse.Namespace, out: IO[str]) -> int:
    _check_ask(args)
    items = list(_read_batch(args.batch)) if args.batch else []  # the whole file checked first
    warm_model(args)
    assistant = make_assistant(args)
    if args.batch:
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
    narrowing = {"sources": args.source, "since": args.since, "until": args.until}
    if args.json:
        answer = assistant.ask(args.question, **narrowing)
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=1), file=out)
        return 0
    _print_streamed(assistant.stream(args.question, **narrowing), out)
    return 0


def cmd_add(args: argparse.Namespace, out: IO[str]) -> int:
    """Add sources (and --feed sources) as article files, index them, print what happened;
    exit 1 when nothing could be added."""
    from assistant.errors import SeedsError
    from assistant.ingest.exports import parse_mapping

    if not args.sources and not args.feed:
        raise SeedsError("nothing to add; give a file, folder or URL, or --feed URL|FILE.")
    mapping = parse_mapping(args.map)
    assistant = make_assistant(args)
    allow = args.allow_private_hosts
    reports = []
    for feed, items in ((False, args.sources), (True, args.feed)):
        if items:
            reports.append(
                assistant.add(
                    items, feed=feed, mapping=mapping, allow_private_hosts=allow, index=False
                )
            )
    for report in reports:
        print(report.summary(), file=out)
    if not args.no_index:
        print(assistant.index().summary(), file=out)
    return 0 if any(r.articles for r in reports) else 1


def cmd_articles(args: argparse.Namespace, out: IO[str]) -> int:
    """The indexed articles by source (from the manifest: cheap on a big archive)."""
    from dataclasses import asdict

    for article in make_assistant(args).articles():
        if args.json:
            print(json.dumps(asdict(article), ensure_ascii=False), file=out)
        else:
            origin = "".join(f", {x}" for x in (article.outlet, article.date) if x)
            print(
                f"{article.source}\t{article.title} ({article.passages} passages{origin})", file=out
            )
    return 0


def cmd_chat(args: argparse.Namespace, out: IO[str]) -> int:
    """A terminal chat: one question a line, follow-ups understood; blank line or EOF exits."""
    warm_model(args)
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
    items = evaluation.select_items(items, args.split, args.category)
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
