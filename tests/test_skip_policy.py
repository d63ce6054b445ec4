"""The skip policy of ``tests/conftest.py`` on an inner pytest run: a skipped test that needs a
real part fails under ``CI=true`` with its reason, an opt-in part may skip, and the run ends
with every skip and why."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT

pytest_plugins = ("pytester",)

CONFTEST = """
import pytest
from tests.conftest import (
    pytest_configure, pytest_runtest_logreport, pytest_runtest_makereport, pytest_terminal_summary
)

@pytest.fixture
def chroma_server():
    pytest.skip("the chroma command is not installed")
"""
TESTS = """
import pytest

def test_needs_a_server(chroma_server):
    pass

@pytest.mark.real_part("the local model")
def test_needs_the_model():
    pytest.skip("no model here")

@pytest.mark.optional_part("an opt-in extra")
def test_opt_in(chroma_server):
    pass

def test_plain_skip():
    pytest.skip("nothing real needed")
"""


@pytest.fixture
def inner(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_parts=TESTS)
    return pytester


def test_outside_ci_every_skip_is_listed_with_its_reason(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    result = inner.runpytest_inprocess()
    result.assert_outcomes(skipped=4)
    result.stdout.fnmatch_lines(
        [
            "*skips: 4*",
            "SKIP test_parts.py::test_needs_a_server: the chroma command is not installed",
            "SKIP test_parts.py::test_needs_the_model: no model here",
            "SKIP test_parts.py::test_opt_in: the chroma command is not installed",
            "SKIP test_parts.py::test_plain_skip: nothing real needed",
        ]
    )


def test_under_ci_a_skipped_real_part_fails_with_its_reason(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    result = inner.runpytest_inprocess()
    outcomes = result.parseoutcomes()
    assert outcomes.get("skipped") == 2  # the opt-in part and the plain skip
    assert outcomes.get("errors", 0) + outcomes.get("failed", 0) == 2
    assert result.ret != 0
    result.stdout.fnmatch_lines(
        [
            "*CI=true and this test needs a Chroma server, but it was skipped: the chroma *",
            "*CI=true and this test needs the local model, but it was skipped: no model here*",
        ]
    )


def test_with_two_workers_skips_are_listed_and_ci_still_fails(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scripts/test.sh runs pytest-xdist's two workers: the skips happen there, the list is
    written by the controller."""
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the workers import tests.conftest
    result = inner.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines(
        [
            "*CI=true and this test needs the local model, but it was skipped: no model here*",
            "*skips: 4*",
            "SKIP test_parts.py::test_plain_skip: nothing real needed",
        ]
    )
