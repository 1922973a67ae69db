"""Check every link in the corpus over HTTP, and say which ones a curator must look at.

Read-only by design: it reports and suggests edits ("res-x: url -> https://new") but never
writes a corpus file, because a moved page still needs a person to confirm it is the same
resource. Each unique URL is fetched once, politely: a few requests per host at a time, HEAD
before GET, retries with backoff only for failures that may pass (timeouts, lost connections,
5xx and 429).
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import socket
import ssl
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel

from corpus.schema import Corpus

Status = Literal["ok", "redirected", "dead", "unchecked"]
STATUSES: tuple[Status, ...] = ("ok", "redirected", "dead", "unchecked")
DEAD_CODES = frozenset({404, 410})
PERMANENT_CODES = frozenset({301, 308})
# HEAD answers that do not prove anything about the page: ask again with GET. 404/410 are here
# too because some servers only route GET, and a false "dead" is the costliest mistake.
HEAD_REFUSED = frozenset({400, 403, 404, 405, 406, 410, 501})
USER_AGENT = "careerbot-linkcheck/1 (curated corpus review; one request per link)"
NO_NETWORK = "no network: could not reach any host; run this where the sites are reachable"

_URL = re.compile(r"https?://[^\s<>\"'`\]]+")
_TRAILING = ".,;:!?*_"


@dataclass(frozen=True)
class Link:
    """A URL and the corpus entry holding it (``field`` is ``url`` or the text it came from)."""

    entry_id: str
    url: str
    field: str = "url"


@dataclass(frozen=True)
class CheckOptions:
    """How hard to knock: defaults suit a few hundred links on a normal connection."""

    timeout: float = 10.0
    concurrency: int = 16
    per_host: int = 2
    retries: int = 2
    backoff: float = 0.5  # seconds before the first retry; doubles each time

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.backoff < 0:
            raise ValueError("timeout must be above 0 and backoff not below 0")
        if self.concurrency < 1 or self.per_host < 1 or self.retries < 0:
            raise ValueError("concurrency and per_host must be at least 1, retries at least 0")


@dataclass(frozen=True)
class Hop:
    """One redirect on the way: the URL asked and the status it answered."""

    url: str
    code: int


@dataclass(frozen=True)
class Check:
    """What one URL did. ``network_error``: no HTTP answer, the host could not be reached."""

    url: str
    status: Status
    code: int | None
    reason: str
    final_url: str | None = None
    hops: tuple[Hop, ...] = ()
    method: str = "HEAD"
    attempts: int = 1
    moved_to: str | None = None
    network_error: bool = False


@dataclass(frozen=True)
class LinkResult:
    """A link with the check of its URL (shared by every entry holding the same URL)."""

    link: Link
    check: Check

    @property
    def suggestion(self) -> str | None:
        """The edit a person should make for a permanent move, written as the curator reads it."""
        new = self.check.moved_to
        if new is None:
            return None
        old = "url" if self.link.field == "url" else self.link.url
        return f"{self.link.entry_id}: {old} -> {new}"


@dataclass(frozen=True)
class LinkReport:
    """Every link checked, in corpus order."""

    results: tuple[LinkResult, ...]

    def counts(self) -> dict[str, int]:
        return {s: sum(r.check.status == s for r in self.results) for s in STATUSES}

    @property
    def any_dead(self) -> bool:
        return any(r.check.status == "dead" for r in self.results)

    @property
    def no_network(self) -> bool:
        """No URL got an HTTP answer and every failure was DNS or connecting: we are offline,
        so the results say nothing about the links."""
        return bool(self.results) and all(
            r.check.code is None and r.check.network_error for r in self.results)

    def suggestions(self) -> list[str]:
        return [s for r in self.results if (s := r.suggestion)]


# -- collecting -------------------------------------------------------------------------------

def urls_in(text: str) -> list[str]:
    """http(s) URLs in Markdown or plain text, without the punctuation around them."""
    found = []
    for raw in _URL.findall(text):
        url = raw.rstrip(_TRAILING)
        while url.endswith(")") and url.count("(") < url.count(")"):
            url = url[:-1].rstrip(_TRAILING)  # "[text](https://x)" or "(see https://x)."
        found.append(url)
    return found


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def _entry_links(entry_id: str, entry: BaseModel) -> list[Link]:
    """A resource's ``url`` as written, then any URL in the entry's texts."""
    data = entry.model_dump(mode="json")
    links = [Link(entry_id, data.pop("url"))] if data.get("url") else []
    links += [Link(entry_id, u, "text") for s in _strings(data) for u in urls_in(s)]
    return links


def collect_links(corpus: Corpus) -> list[Link]:
    """Every URL in resources, guides, roles and answer cards, once per entry."""
    entries: Iterable[tuple[str, BaseModel]] = [
        *((r.id, r) for r in corpus.resources), *((g.id, g) for g in corpus.guides),
        *((r.doc_id, r) for r in corpus.roles), *((c.id, c) for c in corpus.cards)]
    seen: set[tuple[str, str]] = set()
    out = []
    for entry_id, entry in entries:
        for link in _entry_links(entry_id, entry):
            if (link.entry_id, link.url) not in seen:
                seen.add((link.entry_id, link.url))
                out.append(link)
    return out


# -- checking ---------------------------------------------------------------------------------

async def _request(client: httpx.AsyncClient, method: str, url: str) -> httpx.Response:
    """Status and headers only: a GET never downloads the body (a data set can be gigabytes)."""
    async with client.stream(method, url) as response:
        return response


async def _head_then_get(client: httpx.AsyncClient, url: str) -> tuple[httpx.Response, str]:
    """HEAD is cheap but many servers refuse or break on it; GET decides then. Failures to
    reach the host or timeouts are not the method's fault, so they are not retried with GET."""
    try:
        response = await _request(client, "HEAD", url)
    except (httpx.TimeoutException, httpx.ConnectError):
        raise
    except httpx.TransportError as exc:
        return await _request(client, "GET", url), f"HEAD failed ({type(exc).__name__})"
    if response.status_code in HEAD_REFUSED:
        code = response.status_code
        return await _request(client, "GET", url), f"HEAD answered {code}"
    return response, ""


def _permanent_target(response: httpx.Response) -> str | None:
    """Where the leading run of permanent redirects ends: the URL the corpus should name."""
    chain = [*response.history, response]
    target = None
    for i, hop in enumerate(response.history):
        if hop.status_code not in PERMANENT_CODES:
            break
        target = str(chain[i + 1].url)
    return target


def _code_reason(code: int) -> str:
    reasons = {404: "not found", 410: "gone", 401: "needs a login", 429: "rate limited",
               403: "forbidden (the site may block robots)"}
    if code in reasons:
        return reasons[code]
    if code >= 500:
        return f"server error {code}"
    return f"unexpected answer {code} {httpx.codes.get_reason_phrase(code)}".rstrip()


def _from_response(url: str, response: httpx.Response, note: str) -> tuple[Check, bool]:
    """Classify an HTTP answer; the flag says whether trying again may change it."""
    code = response.status_code
    hops = tuple(Hop(str(r.url), r.status_code) for r in response.history)
    final = str(response.url)
    base = Check(url, "ok", code, "ok", final, hops, "GET" if note else "HEAD")
    suffix = f"; {note}, checked with GET" if note else ""
    if 200 <= code < 300 and not hops:
        return dataclasses.replace(base, reason="ok" + suffix), False
    if 200 <= code < 300:
        moved = _permanent_target(response)
        why = f"moved permanently to {moved}" if moved else f"redirects to {final} (temporary)"
        return dataclasses.replace(base, status="redirected", moved_to=moved,
                                   reason=why + suffix), False
    after = f" (after redirect to {final})" if hops else ""
    status: Status = "dead" if code in DEAD_CODES else "unchecked"
    check = dataclasses.replace(base, status=status, reason=_code_reason(code) + after)
    return check, code == 429 or code >= 500


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _error_kind(exc: Exception) -> str:
    """Why no answer came: nxdomain (the name does not exist), dns (lookup failed, maybe for
    now), refused, tls, connect, timeout, redirects or other."""
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.TooManyRedirects):
        return "redirects"
    if not isinstance(exc, httpx.ConnectError):
        return "other"
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror):
            return "nxdomain" if cause.errno == socket.EAI_NONAME else "dns"
        if isinstance(cause, ConnectionRefusedError):
            return "refused"
        if isinstance(cause, ssl.SSLError):
            return "tls"
    return "connect"


def _from_error(url: str, exc: Exception) -> tuple[Check, bool]:
    """Classify a request that got no HTTP answer; the flag says whether to try again."""
    kind = _error_kind(exc)
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    match kind:
        case "nxdomain" | "dns":
            # a definite "no such name" will not change in a second; a failed lookup may
            return (Check(url, "dead", None, "host not found (DNS)", network_error=True),
                    kind == "dns")
        case "refused":
            return Check(url, "dead", None, "connection refused", network_error=True), True
        case "connect":
            return Check(url, "dead", None, f"could not connect: {detail}",
                         network_error=True), True
        case "tls":
            return Check(url, "unchecked", None, f"TLS problem: {detail}"), False
        case "timeout":
            offline = isinstance(exc, httpx.ConnectTimeout)
            return Check(url, "unchecked", None, "timed out", network_error=offline), True
        case "redirects":
            return Check(url, "unchecked", None, "too many redirects"), False
    retry = isinstance(exc, httpx.TransportError)
    return Check(url, "unchecked", None, f"could not check: {detail}"), retry


async def _attempt(client: httpx.AsyncClient, url: str) -> tuple[Check, bool]:
    try:
        response, note = await _head_then_get(client, url)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return _from_error(url, exc)
    return _from_response(url, response, note)


async def _check_url(client: httpx.AsyncClient, url: str, opts: CheckOptions) -> Check:
    """One URL with retries and exponential backoff; the reason counts the tries."""
    attempt = 0
    while True:
        attempt += 1
        check, retry = await _attempt(client, url)
        if not retry or attempt > opts.retries:
            break
        await asyncio.sleep(opts.backoff * 2 ** (attempt - 1))
    reason = check.reason + (f" after {attempt} tries" if retry and attempt > 1 else "")
    return dataclasses.replace(check, attempts=attempt, reason=reason)


def _host_key(url: str) -> str:
    try:
        parts = urlsplit(url)
        return f"{(parts.hostname or '').lower()}:{parts.port or parts.scheme}"
    except ValueError:
        return url


async def _check_urls(urls: list[str], opts: CheckOptions,
                      transport: httpx.AsyncBaseTransport | None,
                      on_checked: Callable[[Check], None] | None) -> dict[str, Check]:
    """Every URL concurrently, with an overall and a per-host limit. The host slot is taken
    first so that requests queued for a busy host do not hold overall slots."""
    overall = asyncio.Semaphore(opts.concurrency)
    hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
        lambda: asyncio.Semaphore(opts.per_host))
    limits = httpx.Limits(max_connections=opts.concurrency)
    async with httpx.AsyncClient(timeout=opts.timeout, follow_redirects=True, limits=limits,
                                 headers={"User-Agent": USER_AGENT},
                                 transport=transport) as client:
        async def one(url: str) -> Check:
            async with hosts[_host_key(url)], overall:
                check = await _check_url(client, url, opts)
            if on_checked is not None:
                on_checked(check)
            return check

        checks = await asyncio.gather(*(one(u) for u in urls))
    return dict(zip(urls, checks, strict=True))


async def check_links_async(links: list[Link], options: CheckOptions | None = None, *,
                            transport: httpx.AsyncBaseTransport | None = None,
                            on_checked: Callable[[Check], None] | None = None) -> LinkReport:
    """Check each unique URL once; ``on_checked`` is called as each one finishes."""
    urls = list(dict.fromkeys(link.url for link in links))
    checks = await _check_urls(urls, options or CheckOptions(), transport, on_checked)
    return LinkReport(tuple(LinkResult(link, checks[link.url]) for link in links))


def check_links(links: list[Link], options: CheckOptions | None = None, *,
                transport: httpx.AsyncBaseTransport | None = None,
                on_checked: Callable[[Check], None] | None = None) -> LinkReport:
    """:func:`check_links_async` for callers without an event loop (the CLI)."""
    return asyncio.run(check_links_async(links, options, transport=transport,
                                         on_checked=on_checked))


# -- rendering --------------------------------------------------------------------------------

def report_json(report: LinkReport) -> dict[str, Any]:
    """The machine-readable report: counts, then one object per link."""
    links = [{"id": r.link.entry_id, "url": r.link.url, "status": r.check.status,
              "code": r.check.code, "reason": r.check.reason, "final_url": r.check.final_url,
              "hops": [{"url": h.url, "code": h.code} for h in r.check.hops],
              "method": r.check.method, "attempts": r.check.attempts,
              "suggestion": r.suggestion} for r in report.results]
    return {"checked": len(report.results), **report.counts(), "links": links}


def render_table(report: LinkReport) -> str:
    """A plain-text table (id, status, code, url, note), the suggested edits and a summary."""
    rows = [("ID", "STATUS", "CODE", "URL", "NOTE")]
    rows += [(r.link.entry_id, r.check.status, str(r.check.code or "-"), r.link.url,
              r.check.reason) for r in report.results]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[4]])
             .rstrip() for row in rows]
    edits = report.suggestions()
    if edits:
        lines += ["", "suggested edits (check the new page is the same resource, then apply):"]
        lines += [f"  {e}" for e in edits]
    counts = report.counts()
    lines += ["", f"checked {len(report.results)} links: "
              + ", ".join(f"{counts[s]} {s}" for s in STATUSES)]
    return "\n".join(lines)
