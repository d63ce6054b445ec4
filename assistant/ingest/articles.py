"""Read article files and find their real content, keeping offsets into the raw text.

Site boilerplate (menus, repeated titles, photo credits, share/like lines, "Also read",
newsletter footers) is recognised line by line and left out of ``content_spans``; the raw
text is never modified, so every span still indexes the file exactly.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

from assistant.errors import SeedsError
from assistant.ingest.dates import article_date
from assistant.text import BLANK, normalize
from assistant.types import Article, ArticleMeta, Span

ARTICLE_SUFFIXES = (".txt", ".md")
MAX_ARTICLE_BYTES = 5_000_000

_MENU = re.compile(r"^(?:home|news)\s*/\s*(?:[^/]{1,40}/\s*)*", re.IGNORECASE)
_BOILERPLATE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^share (?:on|this|via)\b.{0,40}$",
        r"^pin (?:to|it on) pinterest$",
        r"^(?:tweet|email|print|share|comments?|advertisement|sponsored)$",
        r"^what'?s this\??$",
        r"^(?:like|follow) us on\b.{0,60}$",
        r"^also read",
        r"^(?:read more|related|recommended|more from)\s*[:\-]",
        r"\bsubscribe to (?:our|the) newsletter\b",
        r"\bsign up for (?:our|the) newsletter\b",
        r"^if you want more .{0,60}news\b",
        r"^(?:photo|image|picture|credit|source)s?\s*:",
    )
]
# Photo credits: licence tags and photo agencies on a short line near the top.
_CREDIT = re.compile(
    r"\bCC[ -]?BY\b|\bcreative commons\b|/\s*flickr\b|\bgetty images\b|\bshutterstock\b"
    r"|\bAP photo\b|\breuters/|\bAFP\b|\bwikimedia\b",
    re.IGNORECASE,
)


def iter_lines(raw: str) -> Iterator[Span]:
    """Spans of the non-blank lines of ``raw``, trimmed of blank characters."""
    pos = 0
    for line in raw.splitlines(keepends=True):
        start, end = pos, pos + len(line)
        pos = end
        while start < end and raw[start] in BLANK:
            start += 1
        while end > start and raw[end - 1] in BLANK:
            end -= 1
        if end > start:
            yield Span(start, end)


def _key(text: str) -> str:
    return " ".join(normalize(text).lower().split())


def is_boilerplate(line: str, title: str) -> bool:
    """Is this one line of an article site furniture rather than reporting?"""
    norm = " ".join(normalize(line).split())
    if _key(norm) == _key(title):
        return True
    if any(p.search(norm) for p in _BOILERPLATE):
        return True
    return len(norm) <= 160 and bool(_CREDIT.search(norm)) and not norm.endswith((".", '"'))


def parse_article(source: str, raw: str) -> Article:
    """Find the title and the content paragraphs of one article's raw text."""
    lines = list(iter_lines(raw))
    sha = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    if not lines:
        return Article(source, Path(source).stem, raw, (), sha)
    first = raw[lines[0].start : lines[0].end]
    title = _MENU.sub("", first).strip(BLANK) or first
    content = tuple(
        span for span in lines[1:] if not is_boilerplate(raw[span.start : span.end], title)
    )
    meta = ArticleMeta(published=article_date(raw))
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
        if any(part.startswith(".") for part in relative.parts):
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
