"""The local model as a judge: does the evidence state the answer to (each part of) a question?

The model sees the same messages it answers from (so llama.cpp reuses their KV cache for the
answer that follows), with one line added to the user message asking for Yes or No; the
probability of "Yes" is read from the log-probabilities of the first token, so judging costs
one forward pass over a dozen tokens, not a generation. ``judge`` gives one probability per
ask; the writer declines, or names as not covered, the asks judged below
``ASSISTANT_JUDGE_MIN`` (calibrated on the dev split by ``benchmarks/calibrate_judge.py``).

After the answer is written, ``check_claims`` asks the same of each sentence the answer kept
("Is this sentence true according to the evidence above?"); with ``ASSISTANT_CLAIM_MIN`` > 0
verification drops the claims judged below it. It is off by default: with the default 1.5B
model it tells false claims from true ones no better than chance on dev
(``benchmarks/calibrate_claims.py``, ``docs/eval.md``); it is there to calibrate for a
stronger model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from assistant.answer.prompts import Messages, as_data

JUDGE_LINE = (
    "Does the evidence above state the answer to this question: {ask}? Answer Yes only if an "
    "evidence sentence itself says it about the same people, places and events; answer No if "
    "it says something else, leaves it open, or is about someone or something else. "
    "Reply with Yes or No."
)
CLAIM_LINE = (
    'Is this sentence true according to the evidence above: "{claim}"? Answer Yes only if an '
    "evidence sentence itself states it about the same people, places and events; answer No "
    "if the evidence says something else, leaves it open, or says it about someone or "
    "something else. Reply with Yes or No."
)
CANDIDATES = ("Yes", "No")
LogProbs = Callable[[Messages, Sequence[str]], Mapping[str, float]]


def judge_messages(messages: Messages, ask: str) -> Messages:
    """``messages`` (an answer request) with the judge's question added to the user turn."""
    return _with_line(messages, JUDGE_LINE.format(ask=as_data(ask).rstrip(" ?")))


def claim_messages(messages: Messages, claim: str) -> Messages:
    """``messages`` (an answer request) asking whether its evidence states ``claim``."""
    return _with_line(messages, CLAIM_LINE.format(claim=as_data(claim)))


def _with_line(messages: Messages, line: str) -> Messages:
    judged = [dict(m) for m in messages]
    judged[-1]["content"] = f"{judged[-1]['content']}\n{line}"
    return judged


def yes_probability(logprobs: Mapping[str, float]) -> float:
    """P(Yes) among Yes and No, from their first-token log-probabilities."""
    yes, no = logprobs.get("Yes", -math.inf), logprobs.get("No", -math.inf)
    top = max(yes, no)
    if top == -math.inf:
        return 0.5
    return math.exp(yes - top) / (math.exp(yes - top) + math.exp(no - top))


def judge(logprobs: LogProbs, messages: Messages, asks: Sequence[str]) -> tuple[float, ...]:
    """P(the evidence states the answer) for each ask, with ``logprobs`` the runtime's
    first-token log-probabilities of the candidates."""
    return _yes_each(logprobs, [judge_messages(messages, a) for a in asks])


def check_claims(
    logprobs: LogProbs, messages: Messages, claims: Sequence[str]
) -> tuple[float, ...]:
    """P(the evidence states the claim) for each claim (text without markers)."""
    return _yes_each(logprobs, [claim_messages(messages, c) for c in claims])


def _yes_each(logprobs: LogProbs, requests: Sequence[Messages]) -> tuple[float, ...]:
    return tuple(yes_probability(logprobs(m, CANDIDATES)) for m in requests)
