"""Latency of the embedded local model, ours versus LlamaIndex's ``CitationQueryEngine``.

Both run in the same process on the same loaded local runtime (the chosen model) and
the same Chroma index: first our pipeline (``Assistant.stream``) over the pinned questions,
then ``CitationQueryEngine.from_args(index, llm=..., streaming=True)`` with its default
settings, the model wrapped as a LlamaIndex ``CustomLLM`` that applies the GGUF's chat
template (256 new tokens, temperature 0.1, like ``llama-index-llms-llama-cpp``'s defaults).
Reports time-to-first-token and full-answer p50 for each, and the ratio; for the citation
engine also a keyword accuracy and a (heuristic) count of declined unanswerable questions.
Writes ``benchmarks/results/latency.json``.

    .venv/bin/python benchmarks/latency.py [--limit N] [--every K] [--skip-llamaindex]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _common import (
    RESULTS,
    ROOT,
    add_note_argument,
    keywords_match,
    load_questions,
    machine,
    p50,
    score,
    table,
    write_json,
)
from llama_index.core.llms import (
    CompletionResponse,
    CompletionResponseGen,
    CustomLLM,
    LLMMetadata,
)
from llama_index.core.llms.callbacks import llm_completion_callback
from pydantic import PrivateAttr

from assistant.answer.backends.local import SEED, from_settings
from assistant.config import load_settings
from assistant.engine import Assistant
from assistant.types import Answer

DECLINE = re.compile(
    r"not (?:mention|provide|contain|include|specif|say|state)|no (?:information|mention)|"
    r"(?:cannot|can't|unable to) (?:answer|determine|find)|don't know|does not (?:appear|have)",
    re.IGNORECASE,
)


class SharedLlama(CustomLLM):
    """The already-loaded local runtime as a LlamaIndex LLM (chat template applied)."""

    model_name: str = "local"
    context_window: int = 2048
    num_output: int = 256
    temperature: float = 0.1
    _runtime: Any = PrivateAttr()

    def __init__(self, runtime: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._runtime = runtime

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=self.context_window,
            num_output=self.num_output,
            model_name=self.model_name,
        )

    def _deltas(self, prompt: str) -> Iterator[str]:
        return self._runtime.stream_chat(  # type: ignore[no-any-return]
            [{"role": "user", "content": prompt}],
            temperature=self.temperature,
            max_tokens=self.num_output,
            seed=SEED,
        )

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text="".join(self._deltas(prompt)))

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        def gen() -> CompletionResponseGen:
            text = ""
            for delta in self._deltas(prompt):
                text += delta
                yield CompletionResponse(text=text, delta=delta)

        return gen()


def ours(assistant: Assistant, items: list[dict[str, Any]], seeds: Path) -> list[dict[str, Any]]:
    rows = []
    for item in items:
        final = None
        for part in assistant.stream(item["question"], id=item["id"]):
            if isinstance(part, Answer):
                final = part
        assert final is not None
        rows.append(score(item, final, seeds))
        print(
            f"  ours {item['id']} ttft {rows[-1]['first_token_ms']:>7.0f} ms  "
            f"total {rows[-1]['total_ms']:>7.0f} ms",
            flush=True,
        )
    return rows


def citation_engine(
    assistant: Assistant, llm: SharedLlama, items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    from llama_index.core import VectorStoreIndex
    from llama_index.core.query_engine import CitationQueryEngine
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from assistant.indexing.store import get_collection, make_client

    settings = assistant.settings
    collection = get_collection(
        make_client(settings), settings.embedding, assistant.embed_model.model_name, create=False
    )
    index = VectorStoreIndex.from_vector_store(
        ChromaVectorStore(chroma_collection=collection), embed_model=assistant.embed_model
    )
    engine = CitationQueryEngine.from_args(index, llm=llm, streaming=True)
    rows = []
    for item in items:
        started = time.perf_counter()
        first = None
        response = engine.query(item["question"])
        text = ""
        for delta in response.response_gen:  # type: ignore[union-attr]
            if first is None:
                first = (time.perf_counter() - started) * 1000
            text += delta
        total = (time.perf_counter() - started) * 1000
        cited = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
        nodes = response.source_nodes
        sources = {
            str(nodes[n - 1].node.metadata.get("source")) for n in cited if 0 < n <= len(nodes)
        }
        row: dict[str, Any] = {
            "id": item["id"],
            "answerable": item["answerable"],
            "answer": text,
            "first_token_ms": round(first or total, 1),
            "total_ms": round(total, 1),
            "sources": sorted(sources),
        }
        if item["answerable"]:
            row["keywords_ok"] = keywords_match(text, item.get("keywords") or [])
            row["cites_expected"] = bool(sources & set(item.get("sources") or []))
        else:
            row["declined_heuristic"] = bool(DECLINE.search(text))
        rows.append(row)
        print(
            f"  cqe  {item['id']} ttft {row['first_token_ms']:>7.0f} ms  "
            f"total {row['total_ms']:>7.0f} ms  {text[:70]!r}",
            flush=True,
        )
    return rows


def _summary(name: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    ans = [r for r in rows if r["answerable"]]
    una = [r for r in rows if not r["answerable"]]
    out: dict[str, Any] = {
        "pipeline": name,
        "first_token_p50_ms": p50(r["first_token_ms"] for r in rows),
        "total_p50_ms": p50(r["total_ms"] for r in rows),
        "first_token_p50_ms_answerable": p50(r["first_token_ms"] for r in ans),
        "total_p50_ms_answerable": p50(r["total_ms"] for r in ans),
        "keywords_ok": round(sum(r["keywords_ok"] for r in ans) / len(ans), 3) if ans else None,
        "cites_expected": round(sum(r["cites_expected"] for r in ans) / len(ans), 3)
        if ans
        else None,
    }
    key = "declined" if una and "declined" in una[0] else "declined_heuristic"
    out["unanswerable_declined"] = round(sum(r[key] for r in una) / len(una), 3) if una else None
    return out


def answered_by_both(rows: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """p50 latencies and their ratio over the questions both pipelines answered (ours not
    refused, the citation engine not declining in words): a question refused before any
    model call costs ours almost nothing, so counting it would flatter the ratio."""
    ours_rows = {r["id"]: r for r in rows["ours"]}
    cqe_rows = {r["id"]: r for r in rows["citation_query_engine"]}
    both = [
        i
        for i in ours_rows
        if i in cqe_rows
        and not ours_rows[i].get("refused")
        and not DECLINE.search(str(cqe_rows[i].get("answer", "")))
    ]
    out: dict[str, Any] = {"questions": len(both)}
    for field in ("first_token_ms", "total_ms"):
        a = p50(ours_rows[i][field] for i in both)
        b = p50(cqe_rows[i][field] for i in both)
        out[f"ours_{field}_p50"], out[f"cqe_{field}_p50"] = a, b
        out[f"ratio_{field}"] = round(b / a, 2) if a and b else None
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--every", type=int, default=1, help="use every k-th pinned question")
    parser.add_argument("--skip-llamaindex", action="store_true")
    parser.add_argument(
        "--rescore", action="store_true", help="recompute the summary of the saved results"
    )
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    add_note_argument(parser)
    args = parser.parse_args()
    if args.rescore:
        saved = json.loads((RESULTS / "latency.json").read_text(encoding="utf-8"))
        saved["answered_by_both"] = answered_by_both(saved["rows"])
        print(json.dumps(saved["answered_by_both"], indent=1))
        print(f"wrote {write_json('latency.json', saved)}")
        return 0
    items = load_questions(limit=args.limit)[:: args.every]
    settings = load_settings(seeds_dir=args.seeds, index_dir=args.index)
    backend = from_settings(settings)
    assistant = Assistant(settings, backend=backend)
    assistant.passages()  # open (or build) the index before timing
    key = backend.model
    results: dict[str, Any] = {"machine": machine(args.note), "model": key, "questions": len(items)}
    print(f"== ours: {backend.name}", flush=True)
    rows = {"ours": ours(assistant, items, args.seeds)}
    if not args.skip_llamaindex:
        print("== LlamaIndex CitationQueryEngine (defaults), same model and index", flush=True)
        shared = SharedLlama(backend.runtime, model_name=key, context_window=settings.local_ctx)
        rows["citation_query_engine"] = citation_engine(assistant, shared, items)
    summaries = [_summary(name, r) for name, r in rows.items()]
    if len(summaries) == 2:
        for field in ("first_token_p50_ms", "total_p50_ms"):
            a, b = summaries[0][field], summaries[1][field]
            results[f"ratio_{field}_cqe_over_ours"] = round(b / a, 2) if a and b else None
    results["summaries"] = summaries
    results["rows"] = rows
    if len(rows) == 2:
        results["answered_by_both"] = answered_by_both(rows)
    columns = [
        "pipeline",
        "first_token_p50_ms",
        "total_p50_ms",
        "first_token_p50_ms_answerable",
        "total_p50_ms_answerable",
        "keywords_ok",
        "cites_expected",
        "unanswerable_declined",
    ]
    print()
    print(table(summaries, columns))
    for name in ("first_token_p50_ms", "total_p50_ms"):
        ratio = results.get(f"ratio_{name}_cqe_over_ours")
        if ratio:
            print(f"CitationQueryEngine / ours, {name}: {ratio}x")
    print(f"wrote {write_json('latency.json', results)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
