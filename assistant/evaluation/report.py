"""The metrics of an evaluation run as a Markdown table, and the CLI's pass/fail thresholds."""

from __future__ import annotations

from collections.abc import Mapping

from assistant.evaluation.runner import EvalReport
from assistant.evaluation.summary import Metrics

# (metric field, label, denominator field) in table order
ROWS = (
    ("accuracy", "accuracy (answered right or declined right)", "items"),
    ("false_cited", "false-cited answers (count)", "items"),
    ("answer_accuracy", "answer accuracy", "answerable"),
    ("refusal_accuracy", "refusal accuracy (unanswerable declined)", "unanswerable"),
    ("false_refusal_rate", "false-refusal rate", "answerable"),
    ("source_precision", "citation precision, source level", "answered"),
    ("source_recall", "citation recall, source level", "answered"),
    ("citation_precision", "citation precision, passage level (ALCE)", "answered"),
    ("citation_recall", "citation recall, passage level (ALCE)", "answered"),
    ("faithfulness", "citation faithfulness (exact spans, contract)", "items"),
    ("hit_at_1", "retrieval hit@1 of the gold quote", "with_quote"),
    ("hit_at_2", "retrieval hit@2", "with_quote"),
    ("hit_at_k", "retrieval hit@k (k = top_k)", "with_quote"),
    ("evidence_hit", "gold quote among the evidence sentences", "with_quote"),
    ("two_article_all_cited", "two-article items citing every article", "two_article_items"),
    ("two_part_ok", "two-part items complete or naming the missing part", "two_part_items"),
    ("follow_up_accuracy", "follow-up accuracy", "follow_up_items"),
    ("latency_p50_ms", "latency p50 (ms)", "items"),
    ("latency_p95_ms", "latency p95 (ms)", "items"),
    ("answered_latency_p50_ms", "latency p50 over answered questions (ms)", "answered"),
)
GROUP_COLUMNS = (
    ("items", "items"),
    ("accuracy", "accuracy"),
    ("false_cited", "false-cited"),
    ("answer_accuracy", "answerable right"),
    ("refusal_accuracy", "unanswerable declined"),
    ("false_refusal_rate", "answerable declined"),
)


def _cell(value: float | int | None, ms: bool) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return str(value)
    return f"{value:.0f}" if ms else f"{value:.3f}"


def format_table(report: EvalReport) -> str:
    """A Markdown table of the metrics (ready to paste into the README)."""
    m = report.metrics.to_dict()
    lines = [
        f"{report.file or 'questions'} · backend {report.backend} · top_k {report.top_k}",
        "",
        "| metric | value | over |",
        "|---|---:|---|",
    ]
    for key, label, over in ROWS:
        if m[key] is None and key in ("two_article_all_cited", "two_part_ok", "follow_up_accuracy"):
            continue
        value = _cell(m[key], key.endswith("_ms"))
        lines.append(f"| {label} | {value} | {m[over]} {over.replace('_', ' ')} |")
    declined = m.get("declined_by") or {}
    if declined:
        said = ", ".join(f"{n} by {who}" for who, n in declined.items())
        lines.append(
            f"| refusals, by what declined them | {said} | {sum(declined.values())} refused |"
        )
    if any(len(groups) > 1 or split != "none" for split, groups in report.groups.items()):
        lines += ["", format_groups(report)]
    return "\n".join(lines)


def format_groups(report: EvalReport) -> str:
    """A Markdown table with one row per split and category."""
    header = "| split | category | " + " | ".join(label for _, label in GROUP_COLUMNS) + " |"
    lines = [header, "|---|---|" + "---:|" * len(GROUP_COLUMNS)]
    for split, groups in report.groups.items():
        for name, metrics in groups.items():
            values = metrics.to_dict()
            cells = " | ".join(_cell(values[key], False) for key, _ in GROUP_COLUMNS)
            lines.append(f"| {split} | {name} | {cells} |")
    return "\n".join(lines)


# CLI option dest -> (metric, "min" or "max", what it bounds, for --help)
THRESHOLDS = {
    "min_accuracy": ("answer_accuracy", "min", "answer accuracy"),
    "min_refusal": ("refusal_accuracy", "min", "refusal accuracy on unanswerable items"),
    "max_false_refusal": ("false_refusal_rate", "max", "false-refusal rate"),
    "min_source_precision": ("source_precision", "min", "source-level citation precision"),
    "min_source_recall": ("source_recall", "min", "source-level citation recall"),
    "min_citation_precision": ("citation_precision", "min", "passage-level citation precision"),
    "min_citation_recall": ("citation_recall", "min", "passage-level citation recall"),
    "min_faithfulness": ("faithfulness", "min", "share of answers with exact citation spans"),
    "min_hit": ("hit_at_k", "min", "retrieval hit@k of the gold quote"),
    "max_p95_ms": ("latency_p95_ms", "max", "95th percentile latency in ms"),
}


def check_thresholds(metrics: Metrics, limits: Mapping[str, float | None]) -> list[str]:
    """One line per limit missed; ``limits`` maps ``THRESHOLDS`` keys to values (or None)."""
    missed = []
    values = metrics.to_dict()
    for option, limit in limits.items():
        if limit is None:
            continue
        metric, kind, _ = THRESHOLDS[option]
        value = values[metric]
        flag = "--" + option.replace("_", "-")
        if value is None:
            missed.append(f"{metric} was not measured (nothing to measure) but {flag} is set")
        elif (kind == "min" and value < limit) or (kind == "max" and value > limit):
            missed.append(f"{metric} = {value:.4g} misses {flag} {limit:g}")
    return missed
