"""The article in an HTML page: main text, title, author, outlet, canonical link and date.

``trafilatura`` finds the main text (navigation, ads, related links, comments and cookie
banners left out) and ``htmldate`` (through it) the publication date; JSON-LD
``NewsArticle`` metadata wins where the page has it. Scripts, styles, templates and hidden
elements are removed before extraction, so nothing a reader cannot see is ever indexed;
text inside a page is only ever data.
"""

from __future__ import annotations

import json
import re
from typing import Any

import lxml.html
from lxml import etree

from assistant.errors import SeedsError
from assistant.ingest.encoding import decode_page
from assistant.ingest.extracted import Extracted, clean_line, iso_day, paragraphs_of

_INVISIBLE_TAGS = ("script", "style", "noscript", "template", "iframe", "svg", "object", "embed")
_AD_TAGS = ("amp-ad", "amp-embed", "amp-sticky-ad", "amp-auto-ads", "amp-analytics", "amp-consent")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_HIDDEN_CLASS = re.compile(r"\b(?:hidden|sr-only|visually-hidden|screen-reader-text)\b")
_ARTICLE_TYPES = {"NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "Article"}
_ARTICLE_TYPES |= {"BlogPosting", "OpinionNewsArticle", "ReviewNewsArticle", "LiveBlogPosting"}
_BLOCKS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr")
MIN_CHARS = 80  # a page whose main text is shorter has no article in it


def extract_html(
    data: bytes | str, url: str | None = None, charset: str | None = None
) -> Extracted:
    """The article of one page; ``SeedsError`` with a one-line reason when there is none."""
    import trafilatura

    text = data if isinstance(data, str) else decode_page(data, charset)
    try:
        tree = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        raise SeedsError("not an HTML page that can be parsed") from None
    linked = _json_ld(tree)
    canonical = _canonical(tree)
    _remove_invisible(tree)
    doc = trafilatura.bare_extraction(
        tree,
        url=canonical or url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        date_extraction_params={"original_date": True, "extensive_search": False},
    )
    body = getattr(doc, "text", None) or str(linked.get("articleBody") or "")
    title = clean_line(str(linked.get("headline") or getattr(doc, "title", None) or ""))
    paragraphs = paragraphs_of(body, title)
    if sum(len(p) for p in paragraphs) < MIN_CHARS:
        raise SeedsError("no article text found in the page (only navigation or furniture)")
    return Extracted(
        title=title or paragraphs[0][:120],
        paragraphs=paragraphs,
        format="html",
        url=canonical or getattr(doc, "url", None) or url,
        outlet=_name(linked.get("publisher")) or getattr(doc, "sitename", None) or None,
        published=iso_day(linked.get("datePublished")) or iso_day(getattr(doc, "date", None)),
        author=_name(linked.get("author")) or getattr(doc, "author", None) or None,
    )


def _remove_invisible(tree: Any) -> None:
    """Drop scripts, styles, AMP ad slots and every element a reader cannot see (hidden,
    aria-hidden, display:none)."""
    doomed = list(tree.iter(*_INVISIBLE_TAGS, *_AD_TAGS))
    for element in tree.iter():
        if not isinstance(element.tag, str):
            doomed.append(element)  # comments and processing instructions
            continue
        attrs = element.attrib
        if (
            "hidden" in attrs
            or attrs.get("aria-hidden") == "true"
            or _HIDDEN_STYLE.search(attrs.get("style", ""))
            or _HIDDEN_CLASS.search(attrs.get("class", ""))
        ):
            doomed.append(element)
    for element in doomed:
        _drop(element)


def _drop(element: Any) -> None:
    """Remove ``element`` and its children, keeping the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _canonical(tree: Any) -> str | None:
    for href in tree.xpath('//link[@rel="canonical"]/@href | //meta[@property="og:url"]/@content'):
        if str(href).startswith(("http://", "https://")):
            return str(href).strip()
    return None


def _json_ld(tree: Any) -> dict[str, Any]:
    """The first JSON-LD object of a news or article type, flattened from ``@graph``."""
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text_content() or "null")
        except ValueError:
            continue
        for item in _items(data):
            kinds = item.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if any(str(k) in _ARTICLE_TYPES for k in kinds):
                return item
    return {}


def _items(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return [i for d in data for i in _items(d)]
    if isinstance(data, dict):
        return [data, *_items(data.get("@graph", []))]
    return []


def _name(value: Any) -> str | None:
    """A JSON-LD person or organisation (or a list of them) as display text."""
    if isinstance(value, list):
        names = [n for n in (_name(v) for v in value) if n]
        return ", ".join(names) or None
    if isinstance(value, dict):
        value = value.get("name")
    return clean_line(value) or None if isinstance(value, str) else None


def fragment_text(fragment: str) -> str:
    """The visible text of an HTML fragment (a feed entry, an export body), one block
    element a line; line breaks inside a block are spaces, as a browser shows them."""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return fragment
    _remove_invisible(root)
    for element in root.iter():
        element.text = element.text.replace("\n", " ") if element.text else element.text
        element.tail = element.tail.replace("\n", " ") if element.tail else element.tail
    for block in root.iter(*_BLOCKS):
        block.tail = "\n" + (block.tail or "")
    return str(root.text_content())
