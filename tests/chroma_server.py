"""A real Chroma server (``chroma run``) on a free 127.0.0.1 port, started and stopped by
the test (or benchmark) that uses it. Shared by the integration, reliability and UI tests
and by ``benchmarks/scale.py``."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMA = Path(sys.executable).with_name("chroma")


def free_port() -> int:
    """A TCP port nothing listens on at 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ChromaServerError(RuntimeError):
    """The server exited or did not answer its heartbeat in time."""


class ChromaServer:
    """``chroma run --path DIR --host 127.0.0.1 --port P``; ``start`` waits for its heartbeat.

    Stopping and starting again keeps the path and the port, so the data and the URL
    survive a restart."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.path, self.port = path, port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> ChromaServer:
        cmd = [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1"]
        self.proc = subprocess.Popen(
            [*cmd, "--port", str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise ChromaServerError(
                    f"chroma run exited with {self.proc.returncode}: {err[-500:]}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise ChromaServerError(
            f"the Chroma server did not answer its heartbeat within {timeout} s"
        )

    def peak_rss_mb(self) -> float:
        """The server process's peak resident memory (VmHWM), in MB."""
        if self.proc is None:
            return float("nan")
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
        return float("nan")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()
        self.proc = None
