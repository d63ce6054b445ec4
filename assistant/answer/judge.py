"""The local model as a judge: does the evidence state the answer to (each part of) a question?

The model sees the same messages it answers from (so llama.cpp reuses their KV cache for the
answer that follows), with one line added to the user message asking for Yes or No; the
probability of "Yes" is read from the log-probabilities of the first token, so judging costs
one forward pass over a dozen tokens, not a generation. ``judge`` gives one probability per
ask; the writer declines, or names as not covered, the asks judged below
``ASSISTANT_JUDGE_MIN`` (calibrated on the dev split by ``benchmarks/calibrate_judge.py``).
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
CANDIDATES = ("Yes", "No")
LogProbs = Callable[[Messages, Sequence[str]], Mapping[str, float]]


def judge_messages(messages: Messages, ask: str) -> Messages:
    """``messages`` (an answer request) with the judge's question added to the user turn."""
    judged = [dict(m) for m in messages]
    line = JUDGE_LINE.format(ask=as_data(ask).rstrip(" ?"))
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
    return tuple(yes_probability(logprobs(judge_messages(messages, a), CANDIDATES)) for a in asks)
