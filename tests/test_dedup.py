"""Syndicated copies: the near-duplicate threshold measured on real pairs, and ``add``
indexing a story once with every outlet that carried it."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from assistant.engine import Assistant
from assistant.ingest.adding import add_sources
from assistant.ingest.dedup import THRESHOLD, signature, similarity
from assistant.ingest.sources import Reading

LEE = Path(__file__).parent / "data" / "lee_background"
# Re-edited copies of one story in lee_background (checked by reading them): wording edits
# ("yesterday" -> "Thursday"), a cut or added paragraph, or the story inside a news roundup.
COPIES = [("059", "072"), ("098", "107"), ("104", "112"), ("115", "119"), ("117", "120"),
          ("150", "156"), ("230", "236"), ("263", "271"), ("281", "288"), ("232", "241"),
          ("182", "191")]  # fmt: skip
# Different stories about the same event (the closest other pairs of the corpus).
SAME_EVENT = [("239", "265"), ("259", "267"), ("128", "135"), ("093", "110"), ("079", "277")]


def body(number: str) -> str:
    return (LEE / f"lee_bg_{number}.txt").read_text(encoding="utf-8").split("\n", 1)[1]


def test_the_threshold_separates_copies_from_other_stories_on_the_same_event() -> None:
    sigs = {p.stem[-3:]: signature(body(p.stem[-3:])) for p in sorted(LEE.glob("*.txt"))}
    copies = [similarity(sigs[a], sigs[b]) for a, b in COPIES]
    same_event = [similarity(sigs[a], sigs[b]) for a, b in SAME_EVENT]
    assert min(copies) >= 0.5 and max(same_event) <= 0.1
    assert max(same_event) < THRESHOLD < min(copies)
    copy_set = set(COPIES)
    others = [
        similarity(sigs[a], sigs[b])
        for a, b in itertools.combinations(sorted(sigs), 2)
        if (a, b) not in copy_set
    ]
    assert max(others) < THRESHOLD  # no other pair of the 300 articles is taken for a copy


def export(tmp_path: Path, items: list[tuple[str, str, str]]) -> Path:
    path = tmp_path / "wire.jsonl"
    lines = [
        {"title": title, "text": text, "source": outlet, "url": f"https://{outlet}.example/{i}",
         "date": f"2001-12-{10 + i}"}
        for i, (title, outlet, text) in enumerate(items)
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    return path


def test_a_copy_is_indexed_once_and_its_outlet_named(tmp_path: Path) -> None:
    path = export(tmp_path, [("Selectors make one change", "herald", body("059")),
                             ("One change to Test squad", "wire", body("072"))])  # fmt: skip
    seeds, cache = tmp_path / "seeds", tmp_path / "index" / "library.json"
    report = add_sources(seeds, cache, [str(path)], Reading(None))
    assert [a.status for a in report.articles] == ["added", "merged"]
    files = sorted(seeds.rglob("*.md"))
    assert len(files) == 1
    text = files[0].read_text(encoding="utf-8")
    assert (
        "outlet: herald" in text and "also:\n- outlet: wire\n  url: https://wire.example/1" in text
    )
    again = add_sources(seeds, cache, [str(path)], Reading(None))
    assert [a.status for a in again.articles] == ["unchanged", "unchanged"]
    assert sorted(seeds.rglob("*.md")) == files


def test_the_longer_copy_keeps_its_text(tmp_path: Path) -> None:
    path = export(tmp_path, [("UN envoy", "short", body("098")), ("UN envoy", "long", body("107"))])
    seeds = tmp_path / "seeds"
    add_sources(seeds, tmp_path / "library.json", [str(path)], Reading(None))
    (file,) = seeds.rglob("*.md")
    text = file.read_text(encoding="utf-8")
    assert "Ahmed Fawzi" in text  # the paragraph only the longer copy has
    assert "outlet: long" in text and "- outlet: short" in text


@pytest.mark.slow
def test_citations_of_a_syndicated_story_list_every_outlet(tmp_path: Path) -> None:
    path = export(tmp_path, [("Selectors make one change", "herald", body("059")),
                             ("One change to Test squad", "wire", body("072"))])  # fmt: skip
    a = Assistant(seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index")
    report = a.add(str(path))
    assert report.index is not None and report.index.added == 1
    answer = a.ask("Who replaces Stuart MacGill in the squad for the second Test?")
    assert not answer.refused and answer.citations[0].outlet == "herald; wire"


def test_the_seeds_folder_itself_is_not_added_again(tmp_path: Path) -> None:
    path = export(tmp_path, [("Selectors make one change", "herald", body("059"))])
    seeds, cache = tmp_path / "seeds", tmp_path / "library.json"
    add_sources(seeds, cache, [str(path)], Reading(None))
    report = add_sources(seeds, cache, [str(seeds), str(next(seeds.rglob("*.md")))], Reading(None))
    assert not report.articles and len(report.rejected) == 2
    assert all("already in the seeds folder" in r.reason for r in report.rejected)
