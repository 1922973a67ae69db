"""`careerbot corpus links`: every corpus link checked over real HTTP, against a local server.

The server (http.server in a thread on 127.0.0.1, port 0) plays each kind of site a curator
meets: fine, moved, gone, rate limiting, slow, flaky, refusing HEAD. It counts the requests it
gets, so retries and the HEAD-to-GET fallback are seen from the server's side.
"""

from __future__ import annotations

import importlib
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from click.testing import CliRunner
from conftest import copy_small_corpus

from corpus.links import (
    NO_NETWORK,
    CheckOptions,
    Link,
    LinkReport,
    check_links,
    collect_links,
    render_table,
    report_json,
    urls_in,
)
from corpus.loader import corpus_hash, load_corpus
from ui.cli import COMMAND_MODULES, cli

for _name in COMMAND_MODULES:
    importlib.import_module(_name)

UNRESOLVABLE = "http://nonexistent.invalid/"
FAST = CheckOptions(timeout=0.3, concurrency=16, per_host=8, retries=2, backoff=0.01)
SLOW_SECONDS = 1.5  # the /slow page answers long after FAST.timeout
# path -> (status, Location) for the pages that answer at once
ROUTES: dict[str, tuple[int, str | None]] = {
    "/ok": (200, None), "/new": (200, None), "/old": (301, "/new"),
    "/temp": (302, "/ok"), "/chain": (308, "/temp"),
    "/missing": (404, None), "/gone": (410, None), "/busy": (429, None), "/down": (503, None),
}


class Site(ThreadingHTTPServer):
    """A local web server that remembers what it was asked, and how many /steady requests
    it served at once."""

    daemon_threads = True
    request_queue_size = 64  # the default 5 drops connections when the checker runs 16 at once

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: Counter[tuple[str, str]] = Counter()
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def handle_error(self, request: object, client_address: object) -> None:
        """The checker hangs up on /slow on purpose; that is not a server problem."""


class Handler(BaseHTTPRequestHandler):
    server: Site

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the counts are the log."""

    def do_HEAD(self) -> None:  # noqa: N802
        self.answer()

    def do_GET(self) -> None:  # noqa: N802
        self.answer()

    def answer(self) -> None:
        site = self.server
        path = urlsplit(self.path).path
        steady = int(path == "/steady")
        with site.lock:
            site.seen[(self.command, path)] += 1
            count = site.seen[(self.command, path)]
            site.in_flight += steady
            site.most_in_flight = max(site.most_in_flight, site.in_flight)
        try:
            self.reply(path, count)
        finally:
            with site.lock:
                site.in_flight -= steady

    def reply(self, path: str, count: int) -> None:
        if path == "/slow":
            time.sleep(SLOW_SECONDS)
        if path == "/steady":
            time.sleep(0.05)
        code, location = ROUTES.get(path, (200, None))
        if path == "/no-head" and self.command == "HEAD":
            code = 405
        if path == "/flaky" and count <= 2:
            code = 503
        self.send_response(code)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    server = Site()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def closed_port_url() -> str:
    """A port nothing listens on: bound, noted, closed."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/"


PATHS = ("/ok", "/old", "/temp", "/chain", "/missing", "/gone", "/busy", "/down", "/flaky",
         "/slow", "/no-head")


@pytest.fixture(scope="module")
def checked(site: Site, closed_port_url: str) -> tuple[LinkReport, Counter[tuple[str, str]]]:
    """Every kind of page checked once; the report and what the server saw."""
    links = [Link(f"res-{p.strip('/')}", site.url(p)) for p in PATHS]
    links += [Link("res-closed", closed_port_url), Link("res-nowhere", UNRESOLVABLE)]
    report = check_links(links, FAST)
    return report, Counter(site.seen)


def result(report: LinkReport, entry_id: str):
    return next(r for r in report.results if r.link.entry_id == entry_id)


@pytest.mark.parametrize(("entry_id", "status", "code", "reason"), [
    ("res-ok", "ok", 200, "ok"),
    ("res-old", "redirected", 200, "moved permanently"),
    ("res-temp", "redirected", 200, "(temporary)"),
    ("res-missing", "dead", 404, "not found"),
    ("res-gone", "dead", 410, "gone"),
    ("res-busy", "unchecked", 429, "rate limited after 3 tries"),
    ("res-down", "unchecked", 503, "server error 503 after 3 tries"),
    ("res-flaky", "ok", 200, "ok"),
    ("res-slow", "unchecked", None, "timed out after 3 tries"),
    ("res-no-head", "ok", 200, "HEAD answered 405, checked with GET"),
    ("res-closed", "dead", None, "connection refused"),
    ("res-nowhere", "dead", None, "host not found"),
])
def test_each_kind_of_page_gets_its_status_and_a_short_reason(checked, entry_id, status, code,
                                                              reason):
    r = result(checked[0], entry_id)
    assert (r.check.status, r.check.code) == (status, code)
    assert reason in r.check.reason


def test_a_permanent_move_is_reported_hop_by_hop_and_suggested_as_an_edit(checked, site):
    r = result(checked[0], "res-old")
    assert r.check.final_url == site.url("/new")
    assert [(h.url, h.code) for h in r.check.hops] == [(site.url("/old"), 301)]
    assert r.suggestion == f"res-old: url -> {site.url('/new')}"


def test_only_the_permanent_part_of_a_redirect_chain_is_suggested(checked, site):
    temp, chain = result(checked[0], "res-temp"), result(checked[0], "res-chain")
    assert temp.suggestion is None  # a 302 may move back: keep the url
    assert [h.code for h in chain.check.hops] == [308, 302]
    assert chain.check.final_url == site.url("/ok")
    assert chain.suggestion == f"res-chain: url -> {site.url('/temp')}"


def test_a_link_in_a_text_is_suggested_as_old_to_new(site):
    report = check_links([Link("guide-x", site.url("/old"), "text")], FAST)
    assert report.suggestions() == [f"guide-x: {site.url('/old')} -> {site.url('/new')}"]


def test_head_refused_falls_back_to_get(checked):
    _, seen = checked
    assert seen[("HEAD", "/no-head")] == 1 and seen[("GET", "/no-head")] == 1
    assert result(checked[0], "res-no-head").check.method == "GET"
    assert result(checked[0], "res-ok").check.method == "HEAD"
    assert seen[("GET", "/ok")] == 0  # a good HEAD is enough


def test_retries_happen_for_passing_trouble_only(checked):
    report, seen = checked
    assert seen[("HEAD", "/busy")] == 3 and seen[("HEAD", "/down")] == 3  # 1 + 2 retries
    assert seen[("HEAD", "/slow")] == 3
    assert seen[("HEAD", "/flaky")] == 3 and result(report, "res-flaky").check.attempts == 3
    # a 404 is final: confirmed once with GET, never retried
    assert seen[("HEAD", "/missing")] == 1 and seen[("GET", "/missing")] == 1
    assert result(report, "res-missing").check.attempts == 1


def test_no_retries_when_asked_for_none(site):
    before = site.seen[("HEAD", "/down")]
    report = check_links([Link("res-down", site.url("/down?again"))],
                         CheckOptions(timeout=0.3, retries=0, backoff=0.01))
    assert site.seen[("HEAD", "/down")] - before == 1
    assert report.results[0].check.reason == "server error 503"


@pytest.mark.parametrize(("concurrency", "per_host", "limit"), [(16, 2, 2), (3, 8, 3)])
def test_never_more_requests_at_once_than_the_limits(site, concurrency, per_host, limit):
    site.most_in_flight = 0
    links = [Link(f"res-{i}", site.url(f"/steady?n={i}-{concurrency}")) for i in range(8)]
    report = check_links(links, CheckOptions(timeout=2, concurrency=concurrency,
                                             per_host=per_host, backoff=0.01))
    assert report.counts()["ok"] == 8
    assert site.most_in_flight == limit


def test_one_url_in_two_entries_is_fetched_once_and_reported_twice(site):
    before = site.seen[("HEAD", "/ok")]
    report = check_links([Link("res-a", site.url("/ok")), Link("guide-b", site.url("/ok"),
                                                                  "text")], FAST)
    assert [r.link.entry_id for r in report.results] == ["res-a", "guide-b"]
    assert site.seen[("HEAD", "/ok")] - before == 1


def test_no_network_only_when_no_host_answered(site, closed_port_url):
    offline = check_links([Link("res-a", UNRESOLVABLE), Link("res-b", closed_port_url)], FAST)
    assert offline.no_network
    partly = check_links([Link("res-a", UNRESOLVABLE), Link("res-b", site.url("/ok"))], FAST)
    assert not partly.no_network and partly.counts()["dead"] == 1
    assert not check_links([], FAST).no_network


def test_json_has_the_counts_and_one_object_per_link(checked, site):
    doc = report_json(checked[0])
    assert list(doc) == ["checked", "ok", "redirected", "dead", "unchecked", "links"]
    assert doc["checked"] == len(PATHS) + 2 == len(doc["links"])
    assert (doc["ok"], doc["redirected"], doc["dead"], doc["unchecked"]) == (3, 3, 4, 3)
    old = next(x for x in doc["links"] if x["id"] == "res-old")
    assert old == {"id": "res-old", "url": site.url("/old"), "status": "redirected",
                   "code": 200, "reason": f"moved permanently to {site.url('/new')}",
                   "final_url": site.url("/new"), "hops": [{"url": site.url("/old"),
                                                              "code": 301}],
                   "method": "HEAD", "attempts": 1,
                   "suggestion": f"res-old: url -> {site.url('/new')}"}
    json.dumps(doc)  # serialisable as it is


def test_table_has_a_row_per_link_then_the_edits_and_a_summary(checked, site):
    lines = render_table(checked[0]).splitlines()
    assert lines[0].split() == ["ID", "STATUS", "CODE", "URL", "NOTE"]
    missing = next(line for line in lines if line.startswith("res-missing "))
    assert missing.split()[:4] == ["res-missing", "dead", "404", site.url("/missing")]
    slow = next(line for line in lines if line.startswith("res-slow "))
    assert slow.split()[:3] == ["res-slow", "unchecked", "-"]
    assert f"  res-old: url -> {site.url('/new')}" in lines
    assert lines[-1] == "checked 13 links: 3 ok, 3 redirected, 4 dead, 3 unchecked"


def test_urls_are_found_in_markdown_without_their_punctuation():
    text = ("Read [the book](https://a.example/book), see <https://b.example/x>. Also "
            "(https://c.example/wiki/Foo_(bar)) and https://d.example/p?q=1, then stop.")
    assert urls_in(text) == ["https://a.example/book", "https://b.example/x",
                             "https://c.example/wiki/Foo_(bar)", "https://d.example/p?q=1"]


def make_corpus(tmp_path: Path, urls: list[str | None]) -> Path:
    """The small real corpus with one book per url given and no other resources."""
    root = copy_small_corpus(tmp_path / "corpus")
    books = yaml.safe_load((root / "resources" / "books.yaml").read_text())[:len(urls)]
    for book, url in zip(books, urls, strict=True):
        book["url"] = url
    (root / "resources" / "books.yaml").write_text(yaml.safe_dump(books, allow_unicode=True))
    (root / "resources" / "courses.yaml").write_text("[]\n")
    return root


def test_links_are_collected_from_resources_guides_and_roles(tmp_path):
    root = make_corpus(tmp_path, ["https://a.example/book", None])
    guide = root / "guides" / "landscape" / "map-of-ai-roles.md"
    guide.write_text(guide.read_text() + "\nSee [a map](https://b.example/map).\n")
    role_file = root / "roles" / "data-scientist.yaml"
    role = yaml.safe_load(role_file.read_text())
    role["path_in"] += " Start at https://c.example/start."
    role_file.write_text(yaml.safe_dump(role, allow_unicode=True))
    corpus = load_corpus(root)
    assert set(collect_links(corpus)) == {
        Link(corpus.resources[0].id, "https://a.example/book", "url"),
        Link("guide-landscape-map-of-ai-roles", "https://b.example/map", "text"),
        Link("role-data-scientist", "https://c.example/start", "text")}


def run(args: list[str], corpus_dir: Path, tmp_path: Path):
    env = {"CAREERBOT_CORPUS_DIR": str(corpus_dir), "CAREERBOT_DATA_DIR": str(tmp_path / "d")}
    return CliRunner().invoke(cli, ["corpus", "links", *args], env=env)


def test_cli_exit_0_when_nothing_is_dead_and_the_corpus_is_untouched(tmp_path, site):
    root = make_corpus(tmp_path, [site.url("/ok?cli"), site.url("/old?cli"), None])
    before = corpus_hash(root)
    out = run(["--timeout", "1", "--retries", "0"], root, tmp_path)
    assert out.exit_code == 0, out.output
    assert "checked 2 links: 1 ok, 1 redirected, 0 dead, 0 unchecked" in out.stdout
    assert "url -> " in out.stdout and out.stderr == ""  # no progress bar off a terminal
    assert corpus_hash(root) == before


def test_cli_exit_1_and_json_when_a_link_is_dead(tmp_path, site):
    root = make_corpus(tmp_path, [site.url("/ok?json"), site.url("/gone?json")])
    out = run(["--json", "--retries", "0", "--per-host", "1", "--concurrency", "1"], root,
              tmp_path)
    assert out.exit_code == 1
    doc = json.loads(out.stdout)
    assert (doc["checked"], doc["ok"], doc["dead"]) == (2, 1, 1)
    assert {x["status"] for x in doc["links"]} == {"ok", "dead"}


def test_cli_without_network_says_so_in_one_line_and_exits_2(tmp_path):
    root = make_corpus(tmp_path, [f"http://nonexistent.invalid/{n}" for n in "abc"])
    out = run(["--retries", "0"], root, tmp_path)
    assert out.exit_code == 2
    assert out.stderr.splitlines() == [NO_NETWORK]
    assert out.stdout == "" and "Traceback" not in out.output


@pytest.mark.parametrize(("args", "needle"), [
    (["--timeout", "-1"], "--timeout"), (["--timeout", "0"], "--timeout"),
    (["--concurrency", "0"], "--concurrency"), (["--per-host", "0"], "--per-host"),
    (["--retries", "-1"], "--retries"), (["--frobnicate"], "No such option"),
])
def test_cli_bad_options_are_one_line_and_exit_2(tmp_path, args, needle):
    out = run(args, make_corpus(tmp_path, [UNRESOLVABLE]), tmp_path)
    assert out.exit_code == 2
    assert len(out.stderr.strip().splitlines()) == 1 and needle in out.stderr
    assert out.stdout == "" and "Traceback" not in out.output


def test_check_options_refuse_impossible_values():
    with pytest.raises(ValueError, match="timeout"):
        CheckOptions(timeout=0)
    with pytest.raises(ValueError, match="per_host"):
        CheckOptions(per_host=0)
