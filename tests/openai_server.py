"""A scripted server speaking the OpenAI chat-completions protocol on 127.0.0.1.

Real HTTP, for tests and benchmarks: ``POST /v1/chat/completions`` (a JSON reply, or SSE
``data: {...}`` chunks ending with ``data: [DONE]`` when ``stream`` is true, sent with
chunked transfer encoding) and ``GET /v1/models``. Every request is recorded in
``received``. Replies come from the queue filled by ``script(...)``, else from
``responder`` (by default: echo evidence sentence [1] with its marker, or refuse).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from assistant.answer.backends.base import REFUSAL


@dataclass
class Reply:
    """What the server does for one request."""

    text: str = ""
    status: int = 200
    delay: float = 0.0  # seconds to wait before the response starts
    cut: bool = False  # streaming: drop the connection after the first chunks
    malformed: bool = False  # streaming: send a data line that is not JSON
    chunk_chars: int = 5  # characters of text per SSE chunk
    chunk_delay: float = 0.0  # seconds between SSE chunks
    error: str = "scripted failure"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def prompt(self) -> str:
        """All message contents, joined (system first)."""
        return "\n".join(str(m.get("content", "")) for m in self.body.get("messages", []))


def echo_first_evidence(body: dict[str, Any]) -> Reply:
    """Answer with evidence sentence [1] and its marker; refuse when there is none."""
    user = next((m["content"] for m in body.get("messages", []) if m["role"] == "user"), "")
    found = re.search(r"^\[1\] (?:\([^)\n]*\) )?(.+)$", user, re.MULTILINE)  # "(title, date)"
    if not found:
        return Reply(REFUSAL)
    sentence = found.group(1).strip()
    if sentence[-1:] in ".!?":
        return Reply(f"{sentence[:-1]} [1]{sentence[-1]}")
    return Reply(f"{sentence} [1]")


class ScriptedServer:
    """Start with ``with ScriptedServer() as server:``; ``server.url`` is the ``/v1`` base URL."""

    def __init__(self, port: int = 0, models: tuple[str, ...] = ("test-model",)) -> None:
        self.models = models
        self.received: list[Received] = []
        self.queue: list[Reply] = []
        self.responder: Callable[[dict[str, Any]], Reply] = echo_first_evidence
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *replies: Reply | str) -> None:
        """Queue the replies of the next requests (a ``str`` is a plain successful answer)."""
        self.queue.extend(Reply(r) if isinstance(r, str) else r for r in replies)

    def reset(self) -> None:
        """Forget requests and queued replies; answer by echoing evidence [1] again."""
        self.received.clear()
        self.queue.clear()
        self.responder = echo_first_evidence

    def next_reply(self, body: dict[str, Any]) -> Reply:
        return self.queue.pop(0) if self.queue else self.responder(body)

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def sleep(self, seconds: float) -> None:
        """Wait, but wake up when the server stops."""
        self._stopping.wait(seconds)

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _handler_for(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _record(self, body: dict[str, Any]) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            server.received.append(Received(self.command, self.path, headers, body))

        def _json(self, status: int, payload: object, headers: dict[str, str]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True

        def do_GET(self) -> None:
            self._record({})
            if self.path.rstrip("/") == "/v1/models":
                data = [{"id": m, "object": "model", "owned_by": "test"} for m in server.models]
                self._json(200, {"object": "list", "data": data}, {})
            else:
                self._json(404, {"error": {"message": f"no route {self.path}"}}, {})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                body = {}
            self._record(body)
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._json(404, {"error": {"message": f"no route {self.path}"}}, {})
                return
            reply = server.next_reply(body)
            try:
                if reply.delay:
                    server.sleep(reply.delay)
                if reply.status >= 400:
                    error = {"message": reply.error, "type": "scripted", "code": reply.status}
                    self._json(reply.status, {"error": error}, reply.headers)
                elif body.get("stream"):
                    self._stream(reply, str(body.get("model", "")))
                else:
                    self._json(200, _completion(reply.text, str(body.get("model", ""))), {})
            except OSError:  # the client gave up (timeout) or went away
                self.close_connection = True

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def _stream(self, reply: Reply, model: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            step = max(1, reply.chunk_chars)
            pieces = [reply.text[i : i + step] for i in range(0, len(reply.text), step)]
            first = {"role": "assistant", "content": ""}
            self._chunk(_sse(_chunk_payload(model, first, None)))
            for i, piece in enumerate(pieces):
                if reply.cut and i == 2:
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)  # no final chunk, no [DONE]
                    return
                if reply.malformed and i == 1:
                    self._chunk(b'data: {"choices": [{"delta": {"content": "oops"\n\n')
                if reply.chunk_delay and i:
                    server.sleep(reply.chunk_delay)
                self._chunk(_sse(_chunk_payload(model, {"content": piece}, None)))
            self._chunk(_sse(_chunk_payload(model, {}, "stop")))
            self._chunk(b"data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

    return Handler


def _sse(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


def _chunk_payload(model: str, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _completion(text: str, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
