"""``assistant add``: turn sources into article files in the seeds folder, once each.

Each article becomes ``news/<site>/<title>-<hash of its link>.md`` (``extracted.py``). The
same link (or file) again changes nothing; a changed page rewrites only its own file. A
near-duplicate of a stored story (``dedup.py``) is not written again: the stored file names
the new outlet under ``also`` (and takes the new copy's text when that is longer), so the
story is indexed once and its citations list every outlet that carried it. The caller
indexes the folder afterwards; nothing indexed is touched by a source that fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from assistant.ingest.articles import iter_lines, read_article
from assistant.ingest.dedup import Signature, signature
from assistant.ingest.extracted import Extracted, article_name, article_text, iso_day
from assistant.ingest.files import write_article
from assistant.ingest.frontmatter import split_front_matter
from assistant.ingest.library import Library
from assistant.ingest.sources import Item, Reading, is_url, read_source

if TYPE_CHECKING:
    from assistant.indexing.runs import IndexReport

Status = Literal["added", "updated", "unchanged", "merged", "duplicate"]
STATUSES: tuple[Status, ...] = ("added", "updated", "unchanged", "merged", "duplicate")
LONGER = 1.1  # a copy with this many times the words of the stored text replaces it


@dataclass(frozen=True)
class AddedArticle:
    """One article a source held, and what adding it did."""

    origin: str  # the URL or file (and line) it came from
    source: str  # its article file, relative to the seeds folder
    title: str
    status: Status
    note: str = ""


@dataclass(frozen=True)
class Rejected:
    """A source (or one entry or line of it) that was not added, and why, in one line."""

    origin: str
    reason: str


@dataclass(frozen=True)
class AddReport:
    """What one ``add`` wrote to the seeds folder, what it rejected, and the index update."""

    articles: tuple[AddedArticle, ...]
    rejected: tuple[Rejected, ...]
    index: IndexReport | None = None  # None when indexing was not asked for

    def count(self, status: Status) -> int:
        return sum(1 for a in self.articles if a.status == status)

    def summary(self) -> str:
        """One line of counts, one line per merged or rejected item, then the index line."""
        shown = [s for s in STATUSES if self.count(s) or s == "added"]
        counts = ", ".join(f"{self.count(s)} {s}" for s in shown)
        lines = [f"{counts}; {len(self.rejected)} rejected"]
        lines += [f"{a.status} {a.origin} -> {a.source}: {a.note}" for a in self.articles if a.note]
        lines += [f"rejected {r.origin}: {r.reason}" for r in self.rejected]
        if self.index is not None:
            lines.append(self.index.summary())
        return "\n".join(lines)


def add_sources(seeds_dir: Path, cache: Path, sources: Iterable[str], how: Reading) -> AddReport:
    """Write an article file for every new or changed article of ``sources``."""
    seeds_dir.mkdir(parents=True, exist_ok=True)
    writer = _Writer(seeds_dir, Library.open(seeds_dir, cache))
    done: list[AddedArticle] = []
    rejected: list[Rejected] = []
    root = seeds_dir.resolve()
    for source in sources:
        if not is_url(source) and Path(source).expanduser().resolve().is_relative_to(root):
            reason = "already in the seeds folder; run `assistant index` to index it"
            rejected.append(Rejected(source, reason))
            continue
        for item in read_source(source, how):
            if item.article is None:
                rejected.append(Rejected(item.origin, item.problem or "not readable"))
            else:
                done.append(writer.store(item, item.article))
    writer.library.save()
    return AddReport(tuple(done), tuple(rejected))


class _Writer:
    def __init__(self, seeds_dir: Path, library: Library) -> None:
        self.seeds_dir = seeds_dir
        self.library = library
        self.keys = library.by_key()
        self.similar = library.near_duplicates()

    def store(self, item: Item, article: Extracted) -> AddedArticle:
        known = self.keys.get(article.key)
        if known is not None:
            return self._rewrite(item, article, known)
        sig = signature(article.text)
        closest = self.similar.closest(sig)
        if closest is not None:
            return self._merge(item, article, *closest)
        source = article_name(article)
        self._write(source, article_text(article), sig)
        self.similar.add(source, sig)
        return AddedArticle(item.origin, source, article.title, "added", item.note or "")

    def _rewrite(self, item: Item, article: Extracted, source: str) -> AddedArticle:
        """The same link again: unchanged, or its file rewritten (keeping its copies)."""
        stored = self._stored(source)
        if stored is not None and stored.key != article.key:
            return AddedArticle(item.origin, source, stored.title, "unchanged", "a copy of it")
        article = replace(article, also=stored.also if stored else ())
        status: Status = "updated" if self._write(source, article_text(article)) else "unchanged"
        return AddedArticle(item.origin, source, article.title, status, item.note or "")

    def _merge(self, item: Item, article: Extracted, source: str, score: float) -> AddedArticle:
        """A copy of a stored story: name its outlet in the stored file (the longer text kept)."""
        stored = self._stored(source)
        why = f"same story as {source} (similarity {score:.2f})"
        if stored is None:  # a file not written by `add`: left as it is
            return AddedArticle(item.origin, source, article.title, "duplicate", why)
        copy = {
            "outlet": article.outlet,
            "url": article.url,
            "published": article.published,
            "title": article.title,
        }
        if len(article.text.split()) > LONGER * len(stored.text.split()):
            first = {
                "outlet": stored.outlet,
                "url": stored.url,
                "published": stored.published,
                "title": stored.title,
            }
            merged = replace(article, also=(*stored.also, _plain(first)))
        else:
            merged = replace(stored, also=(*stored.also, _plain(copy)))
        self._write(source, article_text(merged))
        self.keys[article.key] = source
        return AddedArticle(item.origin, source, merged.title, "merged", why)

    def _stored(self, source: str) -> Extracted | None:
        """The article file written by ``add`` at ``source`` (``None`` for other files)."""
        path = self.seeds_dir / source
        raw = read_article(path, self.seeds_dir).raw
        head = split_front_matter(raw)
        fields = head.fields
        if not fields.get("format") or not isinstance(fields.get("title"), str):
            return None
        lines = tuple(raw[s.start : s.end] for s in iter_lines(raw, head.body_start))
        also = tuple(_plain(c) for c in fields.get("also") or [] if isinstance(c, dict))
        return Extracted(
            title=str(fields["title"]),
            paragraphs=lines,
            format=str(fields["format"]),
            url=_text(fields.get("url")),
            outlet=_text(fields.get("outlet")),
            published=iso_day(fields.get("published")),
            author=_text(fields.get("author")),
            fetched=_text(fields.get("fetched")),
            also=also,
        )

    def _write(self, source: str, text: str, sig: Signature | None = None) -> bool:
        """Write the article file unless it already says the same (fetch time aside);
        ``sig``: its text's signature, when known."""
        path = self.seeds_dir / source
        if not write_article(path, text):
            return False
        self.library.note(source, read_article(path, self.seeds_dir), sig)
        for key in self.library.known[source].keys:
            self.keys[key] = source
        return True


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _plain(copy: Mapping[str, object]) -> dict[str, str]:
    return {str(k): str(v) for k, v in copy.items() if isinstance(v, str) and v}
