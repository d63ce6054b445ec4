"""``add`` with the assistant's settings: the fetcher's limits, where the cache lives."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assistant.config import Settings
from assistant.ingest.adding import AddReport, add_sources
from assistant.ingest.fetch import Fetcher, FetchPolicy
from assistant.ingest.sources import Reading

LIBRARY_CACHE = "library.json"


def fetch_policy(settings: Settings, allow_private_hosts: bool | None = None) -> FetchPolicy:
    allow = settings.allow_private_hosts if allow_private_hosts is None else allow_private_hosts
    return FetchPolicy(
        connect_timeout=min(settings.fetch_timeout, 10.0),
        read_timeout=settings.fetch_timeout,
        deadline=3 * settings.fetch_timeout,
        max_bytes=settings.fetch_max_bytes,
        allow_private=allow,
    )


def add_to_seeds(
    settings: Settings,
    sources: Sequence[str],
    feed: bool = False,
    mapping: Mapping[str, str] | None = None,
    allow_private_hosts: bool | None = None,
) -> AddReport:
    """Write the article files of ``sources`` into the seeds folder (not indexed yet)."""
    with Fetcher(fetch_policy(settings, allow_private_hosts)) as fetcher:
        how = Reading(fetcher, feed=feed, mapping=mapping)
        cache = settings.index_dir / LIBRARY_CACHE
        return add_sources(settings.seeds_dir, cache, sources, how)
