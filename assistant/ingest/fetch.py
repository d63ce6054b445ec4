"""Fetch a page or feed over HTTP(S), carefully.

``httpx`` with connect and read timeouts, an overall deadline, a size cap, a redirect limit
(each hop checked again), a content-type check, a clear user agent, and ``robots.txt``
respected. Only ``http``/``https``; a host that resolves to a loopback, private, link-local
or otherwise non-public address is refused unless private hosts are allowed
(``--allow-private-hosts`` / ``ASSISTANT_ALLOW_PRIVATE_HOSTS=1``).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from assistant.errors import SeedsError

USER_AGENT = "news-assistant/0.1 (article ingestion for local question answering; robots.txt)"
PAGE_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml")
EXPORT_TYPES = ("application/json", "application/x-ndjson", "application/jsonl", "text/plain")
ACCEPTED = PAGE_TYPES + FEED_TYPES + EXPORT_TYPES


class FetchError(SeedsError):
    """A URL that could not be fetched; the message is the one-line reason."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status, when the server answered with an error


@dataclass(frozen=True)
class FetchPolicy:
    """The limits of fetching."""

    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    deadline: float = 30.0  # seconds for the whole response (a trickling server is cut off)
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    allow_private: bool = False
    user_agent: str = USER_AGENT


@dataclass(frozen=True)
class Page:
    """A fetched response body, its final URL and its media type."""

    url: str
    media_type: str
    charset: str | None
    data: bytes


def check_host(url: str, allow_private: bool) -> None:
    """Refuse a non-http(s) URL, or one whose host resolves to a non-public address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"{url[:200]}: only http:// and https:// links can be added")
    if allow_private:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError):
        raise FetchError(f"{parts.hostname}: host not found") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global or address.is_multicast:
            raise FetchError(
                f"{parts.hostname} resolves to the non-public address {address}; refused "
                "(pass --allow-private-hosts or set ASSISTANT_ALLOW_PRIVATE_HOSTS=1 to allow it)"
            )


class Fetcher:
    """One HTTP client for a run of adds, with its ``robots.txt`` answers cached per site."""

    def __init__(self, policy: FetchPolicy | None = None) -> None:
        self.policy = policy or FetchPolicy()
        timeout = httpx.Timeout(
            self.policy.read_timeout, connect=self.policy.connect_timeout, pool=5.0
        )
        self.client = httpx.Client(
            timeout=timeout,
            follow_redirects=False,
            headers={"User-Agent": self.policy.user_agent, "Accept": ", ".join(ACCEPTED)},
            trust_env=False,
        )
        self._robots: dict[str, RobotFileParser] = {}

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, accept: tuple[str, ...] = ACCEPTED) -> Page:
        """The body at ``url`` (after redirects); ``FetchError`` with the reason otherwise."""
        for _ in range(self.policy.max_redirects + 1):
            check_host(url, self.policy.allow_private)
            if not self.allowed(url):
                raise FetchError(f"{url[:200]}: robots.txt of the site disallows fetching it")
            page, location = self._once(url, accept)
            if page is not None:
                return page
            url = urljoin(url, location or "")
        raise FetchError(f"{url[:200]}: more than {self.policy.max_redirects} redirects")

    def allowed(self, url: str) -> bool:
        """Does the site's ``robots.txt`` let our user agent fetch ``url``?"""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        robots = self._robots.get(origin)
        if robots is None:
            robots = RobotFileParser(origin + "/robots.txt")
            try:
                page, _ = self._once(origin + "/robots.txt", ("text/plain",), robots=True)
                robots.parse(page.data.decode("utf-8", "replace").splitlines() if page else [])
            except FetchError as exc:  # none (404) or unreachable: allowed; 401/403: not
                robots.parse([])
                robots.disallow_all = exc.status in (401, 403)  # type: ignore[attr-defined]
            self._robots[origin] = robots
        return robots.can_fetch(self.policy.user_agent, url)

    def _once(
        self, url: str, accept: tuple[str, ...], robots: bool = False
    ) -> tuple[Page | None, str | None]:
        """One request: the page, or ``(None, location)`` for a redirect."""
        started = time.monotonic()
        try:
            with self.client.stream("GET", url) as response:
                if response.is_redirect:
                    return None, response.headers.get("location")
                if response.status_code >= 400:
                    what = "robots.txt status" if robots else "HTTP"
                    phrase = response.reason_phrase or ""
                    reason = f"{url[:200]}: {what} {response.status_code} {phrase}".strip()
                    raise FetchError(reason, response.status_code)
                media, charset = _media_type(response.headers.get("content-type", ""))
                if not robots and media and not media.startswith(accept):
                    raise FetchError(f"{url[:200]}: content type {media} is not a page or feed")
                data = self._body(url, response, started)
        except httpx.TimeoutException:
            raise FetchError(f"{url[:200]}: timed out") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{url[:200]}: cannot fetch ({type(exc).__name__})") from None
        return Page(str(response.url), media, charset, data), None

    def _body(self, url: str, response: httpx.Response, started: float) -> bytes:
        limit = self.policy.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(f"{url[:200]}: {int(declared):,} bytes is over the {limit:,}-byte cap")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise FetchError(f"{url[:200]}: larger than the {limit:,}-byte cap")
            if time.monotonic() - started > self.policy.deadline:
                raise FetchError(f"{url[:200]}: timed out (over {self.policy.deadline:.0f} s)")
            chunks.append(chunk)
        return b"".join(chunks)


def _media_type(header: str) -> tuple[str, str | None]:
    media, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return media.strip().lower(), charset
