"""Read article files and find their real content, keeping offsets into the raw text.

An article file may open with YAML front matter (``frontmatter.py``: title, url, outlet,
published, author); otherwise its first line is the title. Page furniture (``boilerplate.py``:
repeated titles, breadcrumbs, share and subscribe lines, credits, links to other stories) is
recognised line by line and left out of ``content_spans``; the raw text is never modified,
so every span still indexes the file exactly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.errors import SeedsError
from assistant.ingest.boilerplate import BREADCRUMB, furniture_mask, is_furniture
from assistant.ingest.dates import article_date
from assistant.ingest.frontmatter import split_front_matter
from assistant.text import BLANK
from assistant.types import Article, ArticleMeta, Span

ARTICLE_SUFFIXES = (".txt", ".md")
MAX_ARTICLE_BYTES = 5_000_000
CONVERTED_DIR = ".articles"  # extracted article files of non-text files in the seeds folder
META_FIELDS = ("url", "outlet", "published", "author")


def iter_lines(raw: str, start: int = 0) -> Iterator[Span]:
    """Spans of the non-blank lines of ``raw`` from ``start``, trimmed of blank characters."""
    pos = start
    for line in raw[start:].splitlines(keepends=True):
        begin, end = pos, pos + len(line)
        pos = end
        while begin < end and raw[begin] in BLANK:
            begin += 1
        while end > begin and raw[end - 1] in BLANK:
            end -= 1
        if end > begin:
            yield Span(begin, end)


def is_boilerplate(line: str, title: str) -> bool:
    """Is this one line of an article furniture rather than reporting (wherever it stands)?"""
    return is_furniture(line, title)


def article_meta(fields: dict[str, Any], raw: str) -> ArticleMeta:
    """Link, outlet(s), date and author from front matter fields; the date from a dateline
    when the front matter has none. Every outlet that carried the story is named."""
    found = {k: fields.get(k) for k in META_FIELDS}
    copies = fields.get("also")
    outlets = [str(found["outlet"])] if isinstance(found["outlet"], str) else []
    if isinstance(copies, list):
        for copy in copies:
            name = copy.get("outlet") if isinstance(copy, dict) else None
            if isinstance(name, str) and name and name not in outlets:
                outlets.append(name)
    published = found["published"]
    day = article_date(published) if isinstance(published, str) else None
    return ArticleMeta(
        url=found["url"] if isinstance(found["url"], str) else None,
        outlet="; ".join(outlets) or None,
        published=day or article_date(raw),
        author=found["author"] if isinstance(found["author"], str) else None,
    )


def parse_article(source: str, raw: str) -> Article:
    """Find the title, the content paragraphs and the metadata of one article's raw text."""
    head = split_front_matter(raw)
    lines = list(iter_lines(raw, head.body_start))
    sha = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    meta = article_meta(head.fields, raw[head.body_start :])
    given = head.fields.get("title")
    if isinstance(given, str) and given.strip():
        title, body = given.strip(), lines
    elif lines:
        first = raw[lines[0].start : lines[0].end]
        title, body = BREADCRUMB.sub("", first).strip(BLANK) or first, lines[1:]
    else:
        return Article(source, Path(source).stem, raw, (), sha, meta)
    texts = [raw[span.start : span.end] for span in body]
    mask = furniture_mask(texts, title)
    content = tuple(span for span, furniture in zip(body, mask, strict=True) if not furniture)
    return Article(source, title, raw, content_spans=content, sha256=sha, meta=meta)


def read_article(path: Path, root: Path) -> Article:
    """Read one article file as UTF-8 (universal newlines, as the offset contract says)."""
    source = path.relative_to(root).as_posix()
    try:
        size = path.stat().st_size
        if size > MAX_ARTICLE_BYTES:
            raise SeedsError(
                f"{source}: {size:,} bytes is larger than the {MAX_ARTICLE_BYTES:,}-byte limit; "
                "split it into separate articles."
            )
        with open(path, encoding="utf-8") as handle:
            raw = handle.read()
    except UnicodeDecodeError:
        raise SeedsError(
            f"{source}: not UTF-8 text; re-save it as UTF-8 (e.g. iconv -t UTF-8) or remove it."
        ) from None
    except OSError as exc:
        raise SeedsError(f"{source}: cannot read ({exc.strerror}); check the file.") from None
    if "\x00" in raw:
        raise SeedsError(f"{source}: looks like a binary file; remove it from the seeds folder.")
    return parse_article(source, raw)


def is_hidden(parts: tuple[str, ...]) -> bool:
    """A hidden file or folder, except the ``.articles/`` folder of extracted article files."""
    inside = parts[1:] if parts[:1] == (CONVERTED_DIR,) else parts
    return any(part.startswith(".") for part in inside)


def scan_seeds(seeds_dir: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """Article files under ``seeds_dir`` (sorted) and ``(source, why)`` for files left out.

    Hidden files and folders are ignored silently; symlinks that lead outside the seeds
    folder and broken symlinks are left out with a reason.
    """
    if not seeds_dir.is_dir():
        raise SeedsError(
            f"seeds folder {seeds_dir} does not exist; create it and put .txt or .md "
            "articles in it, or pass --seeds DIR."
        )
    root = seeds_dir.resolve()
    files: list[Path] = []
    left_out: list[tuple[str, str]] = []
    for path in sorted(seeds_dir.rglob("*")):
        relative = path.relative_to(seeds_dir)
        if path.suffix.lower() not in ARTICLE_SUFFIXES:
            continue
        if is_hidden(relative.parts):
            continue
        if path.is_symlink() and not path.exists():
            left_out.append((relative.as_posix(), "broken symlink; remove it"))
            continue
        try:
            target = path.resolve()
        except (OSError, RuntimeError):  # symlink loop
            left_out.append((relative.as_posix(), "symlink loop; remove it"))
            continue
        if not target.is_relative_to(root):
            left_out.append(
                (relative.as_posix(), "symlink to a file outside the seeds folder; not read")
            )
            continue  # a symlink pointing outside the seeds folder is never read
        if not path.is_file():
            continue
        files.append(path)
    return files, left_out


def find_article_files(seeds_dir: Path) -> list[Path]:
    """Article files under ``seeds_dir`` (nested folders too), sorted, symlinks kept inside."""
    return scan_seeds(seeds_dir)[0]
