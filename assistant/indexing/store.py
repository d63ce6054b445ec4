"""Chroma access: an embedded ``PersistentClient`` in the index folder, or a Chroma server.

One collection per embedding model, so vectors of different models are never mixed; the
collection's metadata records the model and the schema version.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import IndexStateError, StoreUnavailableError

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

SCHEMA_VERSION = 1


def collection_name(embedding: str) -> str:
    return f"passages-{embedding}"


def chroma_dir(index_dir: Path) -> Path:
    return index_dir / "chroma"


def make_client(settings: Settings) -> Any:
    """A Chroma client: HTTP when ``ASSISTANT_CHROMA_HOST`` is set, else embedded on disk."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    server = settings.chroma_server()
    if server is not None:
        host, port, ssl = server
        try:
            client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=chroma_settings)
            client.heartbeat()
        except Exception as exc:
            raise StoreUnavailableError(
                f"cannot reach the Chroma server at {host}:{port} ({type(exc).__name__}); "
                f"start it with `chroma run --path DIR --host {host} --port {port}`, or unset "
                "ASSISTANT_CHROMA_URL / ASSISTANT_CHROMA_HOST to use the embedded index."
            ) from None
        return client
    path = chroma_dir(settings.index_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except OSError as exc:
        raise IndexStateError(
            f"cannot open the index at {path} ({exc.strerror}); check permissions or pass "
            "--index DIR."
        ) from None


PAGE = 5000  # rows per Chroma ``get`` when reading a whole collection


def iter_pages(collection: Any, include: list[str], page: int = PAGE) -> Iterator[Any]:
    """Chroma ``get`` results covering every row of ``collection``, ``page`` rows at a time."""
    offset = 0
    while True:
        got = collection.get(include=include, limit=page, offset=offset)
        yield got
        if len(got["ids"]) < page:
            return
        offset += page


@contextmanager
def store_errors() -> Iterator[None]:
    """Turn a lost connection to the Chroma server into a ``StoreUnavailableError``."""
    import httpx

    try:
        yield
    except (httpx.TransportError, ConnectionError) as exc:
        raise StoreUnavailableError(
            f"lost the connection to the Chroma server ({type(exc).__name__}); check that "
            "`chroma run` is still running at ASSISTANT_CHROMA_URL, then try again."
        ) from None


def get_collection(client: Any, embedding: str, model_id: str, create: bool) -> Any | None:
    """The passages collection for ``embedding``; ``None`` if absent and not ``create``."""
    name = collection_name(embedding)
    existing = {c if isinstance(c, str) else c.name for c in client.list_collections()}
    if name not in existing:
        if not create:
            return None
        return client.create_collection(
            name=name,
            metadata={"embedding_model": model_id, "schema": SCHEMA_VERSION},
            configuration={"hnsw": {"space": "cosine"}},
        )
    collection = client.get_collection(name=name)
    meta = collection.metadata or {}
    if meta.get("embedding_model") != model_id or meta.get("schema") != SCHEMA_VERSION:
        raise IndexStateError(
            f"the index collection {name!r} was built with {meta.get('embedding_model')!r} "
            f"(schema {meta.get('schema')}), not {model_id!r} (schema {SCHEMA_VERSION}); "
            "run `assistant index --rebuild`."
        )
    return collection


def delete_collection(client: Any, embedding: str) -> None:
    name = collection_name(embedding)
    existing = {c if isinstance(c, str) else c.name for c in client.list_collections()}
    if name in existing:
        client.delete_collection(name=name)
