"""Ingestion speed: N news pages (HTML with navigation, ads, related links, comments and a
cookie banner around a body of real article text) -> pages/s for extraction alone, for
``add`` (extraction, near-duplicate check, article files) and for add + index (embedding).

    .venv/bin/python benchmarks/ingest.py                 # 1,000 pages, writes results/ingest.json
    .venv/bin/python benchmarks/ingest.py --pages 30 --no-index   # a quick check

The bodies are real news sentences (tests/data/lee_background), twelve a page, so no two
pages are copies of one story. Run it on an otherwise idle machine; the result records the load.
"""

from __future__ import annotations

import argparse
import html
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import add_note_argument, machine, write_json  # noqa: E402

from assistant.ingest.html import extract_html  # noqa: E402

LEE = ROOT / "tests" / "data" / "lee_background"
OUTLETS = ("The Coastal Herald", "Northern Wire", "Farming Today", "City Times")
PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{title} | {outlet}</title>
<meta property="og:site_name" content="{outlet}"><link rel="canonical" href="https://{host}/news/{n}">
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"NewsArticle",
"headline":"{title}","datePublished":"2001-12-{day:02d}T08:00:00Z","author":{{"@type":"Person",
"name":"Staff Reporter"}},"publisher":{{"@type":"Organization","name":"{outlet}"}}}}</script>
<script>window.dataLayer=[{{"page":{n}}}];</script><style>.ad{{height:250px}}</style></head>
<body><div class="cookie-banner">We use cookies. <button>Accept all cookies</button></div>
<header><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a>
<a href="/business">Business</a> <a href="/subscribe">Subscribe</a></nav></header>
<div class="ad">Advertisement <a href="https://ads.example/{n}">Cheap flights to Bali</a></div>
<main><article><h1>{title}</h1><p class="byline">By Staff Reporter</p>{body}</article>
<aside class="related"><h3>Related stories</h3><ul><li><a href="/a">Markets close higher</a></li>
<li><a href="/b">Storm warning for the coast</a></li></ul></aside>
<section id="comments"><h3>Comments (2)</h3><p>Great story, thanks for reporting it.</p>
<p>I disagree with all of this.</p></section></main>
<footer><p>© 2001 {outlet}. All rights reserved.</p><a href="/privacy">Privacy</a></footer>
</body></html>"""


def make_pages(count: int, folder: Path) -> list[Path]:
    """``count`` HTML pages, each with twelve sentences of the lee_background articles as
    its body (three paragraphs of four), drawn at random from ~2,600: two pages share about
    0.05 sentences on average, so they are distinct stories, not copies for the
    near-duplicate check to merge (three whole articles a page, as before, made pages that
    shared an article, a third of their text)."""
    pool = [
        s.strip() + "."
        for p in sorted(LEE.glob("*.txt"))
        for s in p.read_text(encoding="utf-8").split("\n", 1)[1].split(". ")
        if len(s.split()) >= 6
    ]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        chosen = random.Random(n).sample(pool, 12)
        body = "".join(
            "<p>" + html.escape(" ".join(chosen[i : i + 4])) + "</p>" for i in range(0, 12, 4)
        )
        outlet = OUTLETS[n % len(OUTLETS)]
        host = outlet.lower().replace(" ", "") + ".example"
        title = f"Story {n}: " + chosen[0].split(",")[0][:70]
        page = PAGE.format(
            title=html.escape(title), outlet=outlet, host=host, n=n, day=1 + n % 28, body=body
        )
        path = folder / f"page-{n:05d}.html"
        path.write_text(page, encoding="utf-8")
        paths.append(path)
    return paths


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--no-index", action="store_true", help="skip add + index")
    add_note_argument(parser)
    args = parser.parse_args()
    started_machine = machine(args.note)
    work = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    try:
        paths = make_pages(args.pages, work / "pages")
        extract_html(paths[0].read_bytes())  # imports and trafilatura's first-call setup
        started = time.perf_counter()
        for path in paths:
            extract_html(path.read_bytes())
        extract_s = time.perf_counter() - started
        result = {
            "pages": args.pages,
            "extract_s": round(extract_s, 2),
            "extract_pages_per_s": rate(args.pages, extract_s),
        }
        if not args.no_index:
            result.update(add_and_index(work, args.pages))
        result["machine"] = started_machine
        result["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        out = write_json("ingest.json", result)
        print({k: v for k, v in result.items() if k != "machine"})
        print(f"wrote {out}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def add_and_index(work: Path, pages: int) -> dict[str, object]:
    from assistant import Assistant

    assistant = Assistant(seeds_dir=work / "seeds", index_dir=work / "index")
    started = time.perf_counter()
    report = assistant.add(str(work / "pages"), index=False)
    add_s = time.perf_counter() - started
    started = time.perf_counter()
    indexed = assistant.index(progress=False)
    index_s = time.perf_counter() - started
    total = add_s + index_s
    return {
        "add_s": round(add_s, 2),
        "add_pages_per_s": rate(pages, add_s),
        "index_s": round(index_s, 2),
        "passages": indexed.passages,
        "added": report.count("added"),
        "merged": report.count("merged"),
        "rejected": len(report.rejected),
        "add_and_index_pages_per_s": rate(pages, total),
    }


if __name__ == "__main__":
    main()
