"""The CLI around adding news: the source list shows outlet, date and link; ``add --feed``
and ``--map`` for files; bad input is one line, never a traceback."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from assistant.cli import format_answer, main
from assistant.types import Answer, Citation


def test_the_source_list_shows_outlet_date_and_link() -> None:
    cited = Citation(
        1,
        "news/a.md",
        "Bridge reopens",
        "news/a#0",
        10,
        30,
        "The bridge reopened.",
        url="https://herald.example/a",
        outlet="The Herald",
        published="2016-07-08",
    )
    plain = Citation(2, "b.txt", "Other", "b#0", 0, 5, "Text.")
    text = format_answer(Answer("Q?", "It reopened [1][2].", False, (cited, plain), "extractive"))
    assert "[1] Bridge reopens (The Herald, 2016-07-08) — news/a.md, chars 10-30\n" in text
    assert "    https://herald.example/a\n    “The bridge reopened.”" in text
    assert "[2] Other — b.txt, chars 0-5" in text


def test_add_a_feed_file_and_an_export_with_a_field_map(tmp_path: Path) -> None:
    feed = tmp_path / "local.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Valley Gazette</title><item>'
        "<title>Dam spillway opens</title><link>http://127.0.0.1:9/dam</link>"
        "<description>The spillway was opened on Monday for the first time in eleven years."
        "</description></item></channel></rss>",
        encoding="utf-8",
    )
    export = tmp_path / "export.json"
    export.write_text(
        json.dumps(
            [
                {
                    "title": "Library hours",
                    "story": "The library opens late from August.",
                    "paper": "City Times",
                }
            ]
        )
    )
    args = ["add", "--seeds", str(tmp_path / "seeds"), "--index", str(tmp_path / "index")]
    out = io.StringIO()
    code = main(
        [
            *args,
            "--no-index",
            "--feed",
            str(feed),
            str(export),
            "--map",
            "text=story",
            "--map",
            "outlet=paper",
        ],
        out,
    )
    printed = out.getvalue()
    assert code == 0, printed
    assert "kept the feed entry's own text (page: 127.0.0.1 resolves to the non-public" in printed
    files = sorted(
        p.relative_to(tmp_path / "seeds").as_posix() for p in (tmp_path / "seeds").rglob("*.md")
    )
    assert len(files) == 2 and any("city-times/library-hours" in f for f in files)
    assert (
        "outlet: City Times" in next((tmp_path / "seeds").rglob("library-hours-*.md")).read_text()
    )


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    base = [sys.executable, "-m", "assistant.cli", "add", "--seeds", str(tmp_path / "s")]
    for extra, expected in (
        ([], "nothing to add"),
        (["x.json", "--map", "colour=x"], "FIELD one of"),
    ):
        done = subprocess.run([*base, *extra], capture_output=True, text=True, timeout=120)
        assert done.returncode != 0 and expected in done.stderr, done.stderr
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
