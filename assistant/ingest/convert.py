"""Article files for the non-text files of a seeds folder (pages, feeds, exports).

``assistant index`` over a folder holding ``page.html``, ``feed.xml`` or ``export.jsonl``
writes each one's extracted articles under the hidden ``.articles/`` folder beside them
(``.articles/page.html.md``, ``.articles/export.jsonl/0001-<title>.md``), and those files
are what is indexed and cited, so ``open(seeds/source).read()[start:end] == quote`` holds for
every format. Nothing is fetched here: a feed's entries keep their own text. A file whose
size and modification time are unchanged is not converted again; the articles of a file
that is gone are removed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from assistant.ingest.articles import CONVERTED_DIR, is_hidden
from assistant.ingest.extracted import article_text, slug
from assistant.ingest.files import write_article, write_atomic
from assistant.ingest.sources import READABLE, TEXT_SUFFIXES, Reading, read_file

STATE = ".converted.json"
CONVERTIBLE = tuple(s for s in READABLE if s not in TEXT_SUFFIXES)


def convertible_files(seeds_dir: Path) -> list[Path]:
    """The pages, feeds and exports in the seeds folder (hidden ones left out), sorted."""
    return sorted(
        path
        for path in seeds_dir.rglob("*")
        if path.suffix.lower() in CONVERTIBLE
        and not is_hidden(path.relative_to(seeds_dir).parts)
        and path.relative_to(seeds_dir).parts[0] != CONVERTED_DIR
        and path.is_file()
        and path.resolve().is_relative_to(seeds_dir.resolve())
    )


def sync_converted(seeds_dir: Path) -> list[tuple[str, str]]:
    """Bring ``.articles/`` in step with the folder's convertible files; ``(source, why)``
    for each file or line that gave no article."""
    out_dir = seeds_dir / CONVERTED_DIR
    state = _load(out_dir / STATE)
    files = convertible_files(seeds_dir)
    if not files and not state:
        return []
    problems: list[tuple[str, str]] = []
    fresh: dict[str, Any] = {}
    for path in files:
        rel = path.relative_to(seeds_dir).as_posix()
        stat = path.stat()
        old = state.get(rel)
        if old and (old["size"], old["mtime_ns"]) == (stat.st_size, stat.st_mtime_ns):
            fresh[rel] = old
            problems += [tuple(p) for p in old.get("problems", [])]
            continue
        outputs, found = _convert(path, rel, out_dir)
        _remove(out_dir, set(old["outputs"]) - set(outputs) if old else set())
        fresh[rel] = {
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "outputs": outputs,
            "problems": found,
        }
        problems += found
    for rel, old in state.items():
        if rel not in fresh:
            _remove(out_dir, set(old["outputs"]))
            shutil.rmtree(out_dir / rel, ignore_errors=True)
    _save(out_dir / STATE, fresh)
    return problems


def _convert(path: Path, rel: str, out_dir: Path) -> tuple[list[str], list[tuple[str, str]]]:
    items = list(read_file(path, Reading(fetcher=None)))
    articles = [item.article for item in items if item.article is not None]
    problems = [(rel + _line(item.origin), item.problem or "") for item in items if item.problem]
    outputs: list[str] = []
    for number, article in enumerate(articles, start=1):
        single = len(items) == 1 and path.suffix.lower() in (".html", ".htm", ".xhtml")
        name = f"{rel}.md" if single else f"{rel}/{number:04d}-{slug(article.title, 50)}.md"
        write_article(out_dir / name, article_text(article))
        outputs.append(name)
    return outputs, problems


def _line(origin: str) -> str:
    """``:12`` for an export line, else nothing."""
    tail = origin.rpartition(":")[2]
    return f":{tail}" if tail.isdigit() else ""


def _remove(out_dir: Path, names: set[str]) -> None:
    for name in names:
        (out_dir / name).unlink(missing_ok=True)


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save(path: Path, state: dict[str, Any]) -> None:
    write_atomic(path, json.dumps(state, indent=1))
