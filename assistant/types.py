"""Frozen dataclasses for the data that crosses module boundaries.

Offsets everywhere are Python ``str`` indices into the article file's text as
read by ``open(path, encoding="utf-8").read()``; ``raw[start:end] == text``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Literal, get_args

BackendName = Literal["auto", "openai", "local", "extractive"]
BACKEND_NAMES: tuple[str, ...] = get_args(BackendName)


@dataclass(frozen=True)
class Span:
    """A half-open character range ``[start, end)`` into an article's raw text."""

    start: int
    end: int


@dataclass(frozen=True)
class ArticleMeta:
    """Where an article comes from, when known: its link, outlet, publication date, author."""

    url: str | None = None
    outlet: str | None = None
    published: str | None = None  # ISO date ``YYYY-MM-DD``
    author: str | None = None


@dataclass(frozen=True)
class Article:
    """One article file: its raw text, its title and the spans that are real content."""

    source: str  # path relative to the seeds directory, with "/" separators
    title: str
    raw: str
    content_spans: tuple[Span, ...]  # paragraphs left after boilerplate removal
    sha256: str
    meta: ArticleMeta = ArticleMeta()

    @property
    def stem(self) -> str:
        """The source without its file suffix; passage ids are ``<stem>#<n>``."""
        return str(PurePosixPath(self.source).with_suffix(""))


@dataclass(frozen=True)
class ArticleInfo:
    """One indexed article as listed to a user: where it is, what it is called, its size,
    and where it comes from (outlet, link, author) when known."""

    source: str
    title: str
    passages: int
    date: str | None = None  # ``YYYY-MM-DD`` when the article states one
    outlet: str | None = None  # every outlet that carried it, "; "-separated
    url: str | None = None
    author: str | None = None


@dataclass(frozen=True)
class Sentence:
    """One sentence of a passage, with its span into the raw article text."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Passage:
    """A citable window of a few sentences inside one paragraph of an article."""

    id: str  # "<file stem>#<n>", stable for the same file content
    source: str
    title: str
    start: int
    end: int
    text: str
    sentences: tuple[Sentence, ...]
    meta: ArticleMeta = ArticleMeta()


@dataclass(frozen=True)
class ScoredPassage:
    """A passage returned by retrieval, with the scores that ranked it."""

    passage: Passage
    score: float  # fused (reciprocal-rank) score
    bm25_rank: int | None = None
    dense_rank: int | None = None
    dense_score: float | None = None


@dataclass(frozen=True)
class Evidence:
    """A sentence chosen as evidence for a question, numbered for the prompt."""

    n: int
    passage: Passage
    sentence: Sentence
    support: float  # how well this sentence matches the question, 0..1
    ask: int = 0  # which part of the question it answers (0 for a one-part question)
    primary: bool = False  # chosen to answer its part (the rest is context)
    context: str = ""  # the sentence before it in its article (who "it" or "they" is)


@dataclass(frozen=True)
class Citation:
    """A citation marker ``[n]`` resolved to an exact quoted span of an article."""

    n: int
    source: str
    title: str
    passage_id: str
    start: int
    end: int
    quote: str
    url: str | None = None
    outlet: str | None = None
    published: str | None = None  # ISO date of the article, when known
    author: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "source": self.source,
            "title": self.title,
            "passage_id": self.passage_id,
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
            "url": self.url,
            "outlet": self.outlet,
            "published": self.published,
            "author": self.author,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Citation:
        def optional(key: str) -> str | None:
            value = data.get(key)
            return None if value is None else str(value)

        return cls(
            n=int(data["n"]),
            source=str(data["source"]),
            title=str(data["title"]),
            passage_id=str(data["passage_id"]),
            start=int(data["start"]),
            end=int(data["end"]),
            quote=str(data["quote"]),
            url=optional("url"),
            outlet=optional("outlet"),
            published=optional("published"),
            author=optional("author"),
        )


@dataclass(frozen=True)
class Answer:
    """The result of one question: text with ``[n]`` markers and resolved citations."""

    question: str
    text: str
    refused: bool
    citations: tuple[Citation, ...]
    backend: str
    timings: dict[str, float] = field(default_factory=dict)
    id: str | None = None
    notices: tuple[str, ...] = ()  # human-facing notes (e.g. which backend auto chose)
    uncovered: tuple[str, ...] = ()  # parts of the question the articles do not answer
    # what declined a refused answer: "search" (no sentence supports it), "judge" (the model
    # found no evidence stating it), "model" (the model wrote the refusal) or "verification"
    # (no claim kept a supported citation)
    declined_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``assistant ask --json`` and batch lines (``notices`` are not part of it)."""
        return {
            "id": self.id,
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "citations": [c.to_dict() for c in self.citations],
            "backend": self.backend,
            "timings": dict(self.timings),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        return cls(
            id=data.get("id"),
            question=str(data["question"]),
            text=str(data["answer"]),
            refused=bool(data["refused"]),
            citations=tuple(Citation.from_dict(c) for c in data.get("citations", [])),
            backend=str(data.get("backend", "")),
            timings={k: float(v) for k, v in data.get("timings", {}).items()},
        )
