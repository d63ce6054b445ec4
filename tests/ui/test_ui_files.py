"""Unit tests of ``ui.markup``, ``ui.files`` and ``ui.export``: escaping, safe paths and names,
uploads, export, feedback."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.types import Answer, Citation
from ui import export, files, markup


def unescape(markdown: str) -> str:
    """What a CommonMark renderer shows for escaped text (hard breaks back to newlines)."""
    return re.sub(r"\\(.)", r"\1", markdown.replace("  \n", "\n"))


def test_escape_markdown_escapes_every_ascii_punctuation_and_keeps_lines() -> None:
    text = string.punctuation + " <script>alert(1)</script> ![x](http://e.vil) :blue[x]"
    out = markup.escape_markdown(text)
    assert not re.search(r"(?<!\\)[<>\[\]()!:*_`$#|~]", out.replace("\\\\", ""))
    assert unescape(out) == text
    assert markup.escape_markdown("a\n    indented\n\nb") == "a  \nindented  \n  \nb"


def test_read_article_text_refuses_paths_outside_seeds(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    (seeds / "sub").mkdir(parents=True)
    (seeds / "sub" / "a.txt").write_bytes("x\r\ny “z”".encode())
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    (seeds / "link.txt").symlink_to(tmp_path / "secret.txt")
    assert files.read_article_text(seeds, "sub/a.txt") == "x\ny “z”"  # universal newlines
    for bad in ("../secret.txt", "/etc/passwd", "sub/../../secret.txt", "link.txt", "."):
        with pytest.raises(ValueError):
            files.read_article_text(seeds, bad)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("news.txt", "news.txt"),
        ("../../etc/evil.md", "evil.md"),
        ("C:\\Users\\me\\Ärger & Co!.TXT", "Arger_Co.txt"),
        (".hidden.txt", "hidden.txt"),
        ("....txt", "article.txt"),
        ("x" * 300 + ".md", "x" * 80 + ".md"),
    ],
)
def test_safe_upload_name(name: str, safe: str) -> None:
    assert files.safe_upload_name(name) == safe


@pytest.mark.parametrize("name", ["photo.png", "script.txt.exe", "noext"])
def test_safe_upload_name_rejects_other_types(name: str) -> None:
    with pytest.raises(files.UploadRejected):
        files.safe_upload_name(name)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "empty"),
        (b"  \n\t ", "empty"),
        (b"\xff\xfeabc", "UTF-8"),
        (b"abc\x00def", "binary"),
        (b"\x01\x02\x03\x04\x05 text", "binary"),
        (b"a" * (files.MAX_UPLOAD_BYTES + 1), "limit"),
    ],
)
def test_check_upload_rejects_bad_content(data: bytes, why: str) -> None:
    with pytest.raises(files.UploadRejected, match=why):
        files.check_upload("f.txt", data)


def test_save_upload_names_files_safely_and_never_overwrites(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    first = files.save_upload(seeds, "../story.txt", b"Story\n\nText one.")
    assert first == seeds / "story.txt"
    assert files.save_upload(seeds, "story.txt", b"Story\n\nText one.") == first  # same bytes
    second = files.save_upload(seeds, "story.txt", b"Story\n\nText two.")
    assert second == seeds / "story-2.txt"
    assert first.read_text(encoding="utf-8") == "Story\n\nText one."
    with pytest.raises(files.UploadRejected):
        files.save_upload(seeds, "bad.txt", b"\x00\x01")
    assert sorted(p.name for p in seeds.iterdir()) == ["story-2.txt", "story.txt"]


class _FakeReport:
    def __init__(self, skipped: tuple[tuple[str, str], ...]) -> None:
        self.skipped = skipped

    def summary(self) -> str:
        return "indexed"


class _FakeAssistant:
    """Only what ``add_article`` touches: settings.seeds_dir and index()."""

    def __init__(self, seeds: Path, skip: bool) -> None:
        self.settings = Settings(seeds_dir=seeds, index_dir=seeds.parent / "index")
        self.skip = skip

    def index(self) -> _FakeReport:
        files = [p.name for p in self.settings.seeds_dir.iterdir()]
        return _FakeReport(tuple((f, "unreadable") for f in files) if self.skip else ())


def test_add_article_deletes_files_the_indexer_rejects(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    ok, message = files.add_article(_FakeAssistant(seeds, skip=False), "a.md", b"A\n\nBody.")
    assert ok and "added a.md" in message and (seeds / "a.md").exists()
    ok, message = files.add_article(_FakeAssistant(seeds, skip=True), "b.md", b"B\n\nBody.")
    assert not ok and "unreadable" in message and not (seeds / "b.md").exists()
    ok, message = files.add_article(_FakeAssistant(seeds, skip=False), "c.pdf", b"%PDF")
    assert not ok and ".txt or .md" in message


def _answer() -> Answer:
    cite = Citation(1, "004_x.txt", "NATO meets", "004_x#3", 10, 20, "on July 13")
    return Answer("When?", "On July 13 [1].", False, (cite,), "extractive", {"total_ms": 5.0})


def test_export_json_and_markdown_carry_citations() -> None:
    messages = [
        {"role": "user", "content": "When?"},
        {"role": "assistant", "content": "On July 13 [1].", "answer": _answer()},
        {"role": "user", "content": ""},
        {"role": "assistant", "content": "", "error": "the question is empty"},
    ]
    data = json.loads(export.conversation_json(messages))["messages"]
    assert data[0] == {"role": "user", "content": "When?"}
    assert data[1]["answer"] == "On July 13 [1]." and data[1]["citations"][0]["start"] == 10
    assert data[3]["error"] == "the question is empty"
    md = export.conversation_markdown(messages)
    assert "**You:** When?" in md and "**Assistant:** On July 13 [1]." in md
    assert "- [1] NATO meets — `004_x.txt` chars 10–20: > on July 13" in md
    assert "**Assistant (error):** the question is empty" in md


def test_feedback_is_appended_as_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "feedback.jsonl"
    export.append_feedback(path, export.feedback_record(_answer(), 1, ["When?"]))
    export.append_feedback(path, export.feedback_record(_answer(), 0))
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["rating"] for r in rows] == ["up", "down"]
    assert rows[0]["history"] == ["When?"] and rows[0]["citations"][0]["quote"] == "on July 13"


def test_settings_key_differs_by_value_and_hides_secrets(tmp_path: Path) -> None:
    a = Settings(seeds_dir=tmp_path, top_k=3, OPENAI_API_KEY="sk-secret")
    b = a.model_copy(update={"top_k": 4})
    assert export.settings_key(a) != export.settings_key(b)
    assert export.settings_key(a) == export.settings_key(a.model_copy())
    assert "sk-secret" not in export.settings_key(a)


def test_export_keeps_stopped_answers_and_narrowing() -> None:
    messages = [
        {"role": "user", "content": "Who?", "narrowing": {"articles": ["a.txt"], "since": None}},
        {"role": "assistant", "content": "Stolten", "stopped": True},
    ]
    data = json.loads(export.conversation_json(messages))["messages"]
    assert data[0]["narrowing"]["articles"] == ["a.txt"]
    assert data[1] == {"role": "assistant", "content": "Stolten", "stopped": True}
    assert "**Assistant (stopped, not checked):** Stolten" in export.conversation_markdown(messages)


def test_one_line_and_long_date() -> None:
    assert markup.one_line("  a\n\n b  ") == "a b"
    cut = markup.one_line("word " * 40, 30)
    assert cut.endswith("…") and len(cut) <= 30 and "  " not in cut
    assert markup.long_date("2016-07-12") == "12 July 2016"
    assert markup.long_date("2016-13-40") == "2016-13-40" and markup.long_date(None) is None
