"""Serve a GGUF model over llama.cpp's OpenAI-compatible HTTP API with xllamacpp (the default
runtime), until terminated: ``python -m tests.xllamacpp_server MODEL PORT ALIAS``.

``xllamacpp.Server`` always listens on HTTP besides its in-process calls; this keeps one in a
process of its own on a fixed loopback port, as ``llama-server`` would be run.
"""

from __future__ import annotations

import os
import signal
import sys
import threading


def main(model: str, port: int, alias: str) -> None:
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = model
    params.model_alias = alias
    params.n_ctx = 2048
    params.n_parallel = 1
    threads = int(os.environ.get("ASSISTANT_LOCAL_THREADS", "2"))  # tests/conftest.py
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.warmup = False
    params.verbosity = -1
    server = xllamacpp.Server(params)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"listening on {server.listening_address}", flush=True)
    stop.wait()
    del server


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
