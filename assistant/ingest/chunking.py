"""Cut articles into citable passages: a few whole sentences inside one paragraph.

Passage ids are ``<file stem>#<n>`` with ``n`` counting passages from 0 in file order, so
the same file content always yields the same ids.
"""

from __future__ import annotations

from assistant.text import split_sentences
from assistant.types import Article, Passage, Sentence

MAX_PASSAGE_CHARS = 450
MAX_PASSAGE_SENTENCES = 3


def paragraph_sentences(article: Article) -> list[list[Sentence]]:
    """The sentences of each content paragraph of ``article``."""
    raw = article.raw
    return [
        [Sentence(s, e, raw[s:e]) for s, e in split_sentences(raw, span.start, span.end)]
        for span in article.content_spans
    ]


def _windows(sentences: list[Sentence]) -> list[list[Sentence]]:
    """Group consecutive sentences into windows of bounded size (never split a sentence)."""
    groups: list[list[Sentence]] = []
    current: list[Sentence] = []
    for sentence in sentences:
        if current:
            width = sentence.end - current[0].start
            if width > MAX_PASSAGE_CHARS or len(current) >= MAX_PASSAGE_SENTENCES:
                groups.append(current)
                current = []
        current.append(sentence)
    if current:
        groups.append(current)
    # Avoid a lone short tail: fold it into the previous window when that stays small.
    if len(groups) > 1 and groups[-1][-1].end - groups[-2][0].start <= MAX_PASSAGE_CHARS * 1.3:
        tail = groups.pop()
        groups[-1] = groups[-1] + tail
    return groups


def chunk_article(article: Article) -> list[Passage]:
    """All passages of one article, in order."""
    passages: list[Passage] = []
    for sentences in paragraph_sentences(article):
        for window in _windows(sentences):
            start, end = window[0].start, window[-1].end
            passages.append(
                Passage(
                    id=f"{article.stem}#{len(passages)}",
                    source=article.source,
                    title=article.title,
                    start=start,
                    end=end,
                    text=article.raw[start:end],
                    sentences=tuple(window),
                    meta=article.meta,
                )
            )
    return passages
