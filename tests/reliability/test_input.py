"""Bad input: odd questions and broken seeds folders give clear errors and lose nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from assistant.answer.conformance import check_answer
from assistant.engine import Assistant
from assistant.errors import AssistantError, QuestionError, SeedsError
from assistant.search.questions import clean_question
from tests.conftest import SEEDS
from tests.reliability.helpers import (
    CLI,
    FAST_EMBEDDING,
    assert_one_line_error,
    check_integrity,
    cli_env,
    run_cli,
)

NATO = "When will the NATO-Russia Council meet?"


# --- questions ---------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["", "   ", "\n\t ", "\u200b\u200e\ufeff", "\x00\x07"])
def test_empty_question_is_a_typed_error(assistant: Any, question: str) -> None:
    with pytest.raises(QuestionError, match="empty"):
        assistant.ask(question)


def test_huge_question_is_refused_quickly(assistant: Any) -> None:
    with pytest.raises(QuestionError, match=r"50,000 characters.*limit is 2,000"):
        assistant.ask("why " * 12_500)
    with pytest.raises(QuestionError, match="the question must be text"):
        assistant.ask(None)


@pytest.mark.parametrize(
    "noisy",
    [
        "When will the NA\u200bTO-Russia Coun\u00adcil meet?",  # zero-width, soft hyphen
        "\u202eWhen will the NATO-Russia Council meet?\u202c",  # RTL override
        "When\x00 will the\x1b NATO-Russia\u2028Council meet? 🤝🇷🇺",  # controls, emoji
        "When will the ＮＡＴＯ-Russia Council meet?",  # full-width letters
        "When will the NATO-Russia Council\ufe0f meet?\ud800",  # variation selector, surrogate
    ],
)
def test_invisible_and_control_characters_do_not_change_the_answer(
    assistant: Any, noisy: str
) -> None:
    clean = assistant.ask(NATO)
    answer = assistant.ask(noisy)
    assert answer.text == clean.text and answer.citations == clean.citations
    assert not answer.refused


def test_combining_characters_are_composed() -> None:
    assert clean_question("Cafe\u0301 talks?", 100) == "Café talks?"


@pytest.mark.parametrize(
    "question",
    [
        "¿Cuándo se reunirá el Consejo OTAN-Rusia?",
        "北约-俄罗斯理事会什么时候开会？",
        "متى سيجتمع مجلس الناتو وروسيا؟",
        "Когда соберется Совет Россия-НАТО?",
        "???",
        "the of and",
        "🤝🤝🤝",
    ],
)
def test_other_languages_and_noise_are_grounded_or_refused(assistant: Any, question: str) -> None:
    answer = assistant.ask(question)
    assert check_answer(answer.to_dict(), SEEDS) == []


def test_cli_bad_questions_one_line_and_exit_code(shared_index: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(shared_index, index)
    for question, word in (("   ", "empty"), ("x" * 50_000, "limit is 2,000")):
        done = run_cli("ask", question, seeds=SEEDS, index=index)
        assert_one_line_error(done, word)
        assert done.returncode == 2


# --- seeds folders -----------------------------------------------------------------------


def _assistant(seeds: Path, index: Path) -> Assistant:
    return Assistant(
        seeds_dir=seeds, index_dir=index, backend="extractive", embedding=FAST_EMBEDDING
    )


def test_missing_seeds_folder(tmp_path: Path) -> None:
    with pytest.raises(SeedsError, match="does not exist"):
        _assistant(tmp_path / "nope", tmp_path / "index").ask(NATO)
    done = run_cli("index", seeds=tmp_path / "nope", index=tmp_path / "index")
    assert_one_line_error(done, "does not exist", "--seeds")


def test_empty_seeds_folder_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "notes.pdf").write_bytes(b"%PDF")  # not an article suffix
    with pytest.raises(SeedsError, match=r"no articles in .*seeds/; add \.txt or \.md"):
        _assistant(tmp_path / "seeds", tmp_path / "index").ask(NATO)
    env = {"ASSISTANT_EMBEDDING": FAST_EMBEDDING}
    for args in (("index",), ("ask", NATO)):
        done = run_cli(*args, seeds=tmp_path / "seeds", index=tmp_path / "index", **env)
        assert_one_line_error(done, "no articles in", ".txt or .md")


def test_emptied_seeds_folder_keeps_the_index(seeds_copy: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    _assistant(seeds_copy, index).index()
    before = check_integrity(seeds_copy, index, FAST_EMBEDDING)
    moved = tmp_path / "moved"
    seeds_copy.rename(moved)
    seeds_copy.mkdir()  # e.g. a mount that did not come up
    with pytest.raises(SeedsError, match="left as it was"):
        _assistant(seeds_copy, index).index()
    assert check_integrity(moved, index, FAST_EMBEDDING) == before


def test_bad_files_are_skipped_with_a_reason_and_lose_nothing(
    seeds_copy: Path, tmp_path: Path
) -> None:
    """Binary, non-UTF-8, oversized, outside symlinks and duplicates: each reported."""
    from assistant.ingest.articles import MAX_ARTICLE_BYTES

    index = tmp_path / "index"
    bot = _assistant(seeds_copy, index)
    first = bot.index()
    before = check_integrity(seeds_copy, index, FAST_EMBEDDING)
    assert first.articles == 3 and not first.skipped

    (seeds_copy / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    (seeds_copy / "nulls.txt").write_text("Title\n\nText\x00with a NUL byte.", "utf-8")
    (seeds_copy / "latin1.md").write_bytes("Caf\xe9 news\n\nA caf\xe9 opened.".encode("latin-1"))
    with open(seeds_copy / "huge.txt", "wb") as handle:  # sparse: no real 5 MB write
        handle.truncate(MAX_ARTICLE_BYTES + 1)
    outside = tmp_path / "secret.txt"
    outside.write_text("Secret title\n\nThe password is hunter2.", "utf-8")
    (seeds_copy / "link.txt").symlink_to(outside)
    (seeds_copy / "broken.txt").symlink_to(tmp_path / "gone.txt")
    shutil.copy(seeds_copy / "004_3b952a9fea412592.txt", seeds_copy / "zz_copy.txt")

    report = bot.index()
    why = dict(report.skipped)
    assert "binary" in why["nulls.txt"]
    assert "not UTF-8" in why["binary.txt"] and "not UTF-8" in why["latin1.md"]
    assert "limit" in why["huge.txt"]
    assert "outside the seeds folder" in why["link.txt"]
    assert "broken symlink" in why["broken.txt"]
    assert why["zz_copy.txt"].startswith("same text as 004_3b952a9fea412592.txt")
    assert report.articles == 3 and report.embedded == 0
    for source in why:
        assert f"skipped {source}: " in report.summary()
    assert check_integrity(seeds_copy, index, FAST_EMBEDDING) == before, "nothing lost or added"

    answer = bot.ask("What is the password?")
    assert answer.refused and "hunter2" not in answer.text

    # the duplicate is indexed once: remove the first name and the copy takes its place
    (seeds_copy / "004_3b952a9fea412592.txt").unlink()
    moved = bot.index()
    assert moved.added == 1 and moved.removed == 1
    assert "zz_copy.txt" in check_integrity(seeds_copy, index, FAST_EMBEDDING)


def test_duplicate_indexed_earlier_is_removed(seeds_copy: Path, tmp_path: Path) -> None:
    """A copy that was indexed before its twin appeared is dropped, so evidence is not doubled."""
    index = tmp_path / "index"
    (seeds_copy / "b_copy.txt").write_text(
        (seeds_copy / "004_3b952a9fea412592.txt").read_text("utf-8"), "utf-8"
    )
    (seeds_copy / "004_3b952a9fea412592.txt").rename(tmp_path / "held.txt")
    bot = _assistant(seeds_copy, index)
    bot.index()
    shutil.copy(tmp_path / "held.txt", seeds_copy / "004_3b952a9fea412592.txt")
    report = bot.index()
    assert report.removed == 1 and dict(report.skipped)["b_copy.txt"].startswith("same text")
    sources = check_integrity(seeds_copy, index, FAST_EMBEDDING)
    assert "b_copy.txt" not in sources and "004_3b952a9fea412592.txt" in sources
    answer = bot.ask(NATO)
    assert len({c.source for c in answer.citations}) == len(answer.citations) >= 1


def _without_root_file_access() -> list[str]:
    """A command prefix that runs a process unable to bypass file permissions: none for a
    normal user; as root, ``setpriv`` dropping CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from
    the bounding set, so the kernel refuses a mode-000 file to it as to anyone else."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed to test an unreadable file as root"
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--"]


def test_unreadable_file_is_skipped(seeds_copy: Path, tmp_path: Path) -> None:
    """A file the process may not read (permission denied by the kernel, also under root)
    is left out with a reason; the other articles are indexed and answer."""
    path = seeds_copy / "locked.txt"
    path.write_text("Locked title\n\nThe locked body text about the NATO council.", "utf-8")
    path.chmod(0)
    index = tmp_path / "index"
    command = [*_without_root_file_access(), *CLI, "index", "--seeds", str(seeds_copy)]
    done = subprocess.run(
        [*command, "--index", str(index)],
        capture_output=True,
        text=True,
        env=cli_env(ASSISTANT_EMBEDDING=FAST_EMBEDDING),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "locked.txt" in done.stdout + done.stderr and "cannot read" in done.stdout + done.stderr
    path.chmod(0o644)
    sources = check_integrity(seeds_copy, index, FAST_EMBEDDING)
    assert "locked.txt" not in sources and len(sources) == 3


def test_every_error_is_an_assistant_error() -> None:
    from assistant import errors

    for name in errors.__all__:
        assert issubclass(getattr(errors, name), AssistantError)
