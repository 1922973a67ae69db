"""Slack's cloud, faked locally the way bolt-python's tests do it.

:class:`FakeSlackAPI` is a real HTTP server on a free loopback port answering the Web API
methods careerbot calls (auth.test, chat.postMessage, chat.postEphemeral, chat.update,
conversations.replies, apps.connections.open) plus ``response_url`` posts, counting every call.
It keeps posted messages so ``conversations.replies`` returns a real thread, and can answer
429 with ``Retry-After`` to exercise retries. :class:`FakeSocketMode` is a WebSocket server
speaking Socket Mode's envelope protocol (hello, events_api envelopes, acks).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

BOT_TOKEN = "xoxb-1111-2222-fakeBotTokenValue"
APP_TOKEN = "xapp-1-A111-3333-fakeAppTokenValue"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM_ID = "T0TEAM"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"


def wait_until(predicate: Any, timeout: float = 15.0, interval: float = 0.02) -> bool:
    """Polls ``predicate`` until it is truthy or ``timeout`` passes (like bolt's assert helpers)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


class FakeSlackAPI:
    """A local Slack Web API; ``url`` is the base URL to give the WebClient."""

    def __init__(self, bot_token: str = BOT_TOKEN, app_token: str = APP_TOKEN):
        self.bot_token = bot_token
        self.app_token = app_token
        self.calls: dict[str, list[dict[str, Any]]] = defaultdict(list)  # answered ok
        self.attempts: dict[str, int] = defaultdict(int)  # every request, 429s included
        self.messages: list[dict[str, Any]] = []
        self.socket_url: str | None = None
        self._limits: dict[str, list[int]] = defaultdict(list)
        self._held: set[str] = set()
        self._gate = threading.Event()
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> FakeSlackAPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    # -- test controls -------------------------------------------------------------------
    def rate_limit_next(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` get 429 with ``Retry-After``."""
        with self._lock:
            self._limits[method].extend([retry_after] * times)

    def hold(self, method: str) -> None:
        """Calls of ``method`` wait until :meth:`release` (to see what happens before them)."""
        self._held.add(method)
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    def add_message(self, channel: str, user: str, text: str,
                    thread_ts: str | None = None) -> str:
        """A message a person wrote (the parent of a thread, or a reply in one)."""
        ts = self._next_ts()
        with self._lock:
            self.messages.append({"channel": channel, "ts": ts, "user": user, "text": text,
                                  "thread_ts": thread_ts or ts, "type": "message"})
        return ts

    def count(self, method: str) -> int:
        with self._lock:
            return len(self.calls[method])

    def wait_for(self, method: str, n: int, timeout: float = 15.0) -> list[dict[str, Any]]:
        """Waits until exactly ``n`` ok calls of ``method`` arrived (fails on more or fewer)."""
        wait_until(lambda: self.count(method) >= n, timeout)
        got = self.count(method)
        assert got == n, f"{method}: expected {n} calls, got {got}"
        with self._lock:
            return list(self.calls[method])

    def stays(self, method: str, n: int, settle: float = 1.0) -> bool:
        """True when ``method`` still has exactly ``n`` calls after ``settle`` seconds."""
        time.sleep(settle)
        return self.count(method) == n

    # -- the API -------------------------------------------------------------------------
    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"

    def handle(self, method: str, params: dict[str, Any], auth: str) -> tuple[int, dict, dict]:
        with self._lock:
            self.attempts[method] += 1
        if method in self._held:
            self._gate.wait(30)
        with self._lock:
            if self._limits[method]:
                wait = self._limits[method].pop(0)
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(wait)}
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if auth != f"Bearer {expected}":
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        body = self._answer(method, params)
        if body.get("ok"):
            with self._lock:
                self.calls[method].append(params)
        return 200, body, {}

    def _answer(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://fake.slack.test/", "team": "Fake",
                    "user": "careerbot", "team_id": TEAM_ID, "user_id": BOT_USER_ID,
                    "bot_id": BOT_ID, "is_enterprise_install": False}
        if method == "chat.postMessage":
            ts = self._next_ts()
            msg = {"channel": p.get("channel"), "ts": ts, "bot_id": BOT_ID, "user": BOT_USER_ID,
                   "text": p.get("text", ""), "thread_ts": p.get("thread_ts") or ts,
                   "type": "message"}
            with self._lock:
                self.messages.append(msg)
            return {"ok": True, "channel": p.get("channel"), "ts": ts, "message": msg}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "chat.update":
            return {"ok": True, "channel": p.get("channel"), "ts": p.get("ts")}
        if method == "conversations.replies":
            with self._lock:
                thread = [dict(m) for m in self.messages if m["channel"] == p.get("channel")
                          and m["thread_ts"] == p.get("ts")]
            return {"ok": True, "messages": sorted(thread, key=lambda m: float(m["ts"])),
                    "has_more": False}
        if method == "views.open":
            return {"ok": True, "view": {"id": "V0MODAL", **(p.get("view") or {})}}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url or ""}
        return {"ok": False, "error": "unknown_method"}


def _parse(body: bytes, content_type: str) -> dict[str, Any]:
    if not body:
        return {}
    if "json" in content_type:
        return json.loads(body)
    out: dict[str, Any] = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    for key in ("blocks", "attachments"):
        if isinstance(out.get(key), str):
            out[key] = json.loads(out[key])
    return out


def _make_handler(api: FakeSlackAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            params = _parse(self.rfile.read(length), self.headers.get("Content-Type") or "")
            if self.path.startswith("/response/"):
                if "response_url" in api._held:
                    api._gate.wait(30)
                with api._lock:
                    api.calls["response_url"].append({"url": self.path, **params})
                return self._reply(200, "ok", {}, "text/plain")
            method = self.path.removeprefix("/api/").split("?")[0]
            status, body, headers = api.handle(method, params,
                                               self.headers.get("Authorization") or "")
            self._reply(status, json.dumps(body), headers, "application/json")

        def _reply(self, status: int, text: str, headers: dict[str, str], ctype: str) -> None:
            data = text.encode()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass
    return Handler


class FakeSocketMode:
    """A Socket Mode endpoint: says hello, pushes envelopes, records the client's acks."""

    def __init__(self) -> None:
        self.acks: list[str] = []
        self.connections = 0
        self._clients: set[Any] = set()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: Any = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> FakeSocketMode:
        self._thread.start()
        assert self._ready.wait(10), "fake Socket Mode server did not start"
        return self

    @property
    def url(self) -> str:
        port = self._server.sockets[0].getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=fake"

    def _run(self) -> None:
        from websockets.asyncio.server import serve

        async def main() -> None:
            self._server = await serve(self._session, "127.0.0.1", 0)
            self._ready.set()
            await self._server.serve_forever()

        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(main())
        except asyncio.CancelledError:
            pass

    async def _session(self, ws: Any) -> None:
        self.connections += 1
        self._clients.add(ws)
        await ws.send(json.dumps({"type": "hello", "num_connections": 1,
                                  "connection_info": {"app_id": "A111"},
                                  "debug_info": {"host": "fake"}}))
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in ws:
                msg = json.loads(raw)
                if msg.get("envelope_id"):
                    self.acks.append(msg["envelope_id"])
        except ConnectionClosed:
            pass  # the client went away without a close frame: fine for a fake
        finally:
            self._clients.discard(ws)

    def send_event(self, payload: dict[str, Any], envelope_id: str, retry: int = 0) -> None:
        """Delivers an Events API payload to every connected client."""
        envelope = {"envelope_id": envelope_id, "type": "events_api", "payload": payload,
                    "accepts_response_payload": False, "retry_attempt": retry,
                    "retry_reason": "timeout" if retry else ""}

        async def push() -> None:
            for ws in list(self._clients):
                await ws.send(json.dumps(envelope))
        asyncio.run_coroutine_threadsafe(push(), self._loop).result(5)

    def connected(self) -> bool:
        return bool(self._clients)

    def stop(self) -> None:
        async def close() -> None:
            self._server.close()
            await self._server.wait_closed()

        try:
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)


# -- what Slack sends to an app in HTTP mode, signed the way Slack signs it -----------------
def event_payload(event_id: str, event: dict[str, Any]) -> dict[str, Any]:
    return {"token": "legacy-unused", "team_id": TEAM_ID, "api_app_id": "A111",
            "type": "event_callback", "event_id": event_id, "event_time": int(time.time()),
            "event": {"event_ts": event.get("ts"), **event},
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}]}


def command_form(text: str, user: str, response_url: str, channel: str = "C0CHAN") -> str:
    from urllib.parse import urlencode

    return urlencode({"token": "legacy-unused", "team_id": TEAM_ID, "channel_id": channel,
                      "user_id": user, "user_name": user.lower(), "command": "/careerbot",
                      "text": text, "response_url": response_url, "trigger_id": "1.2.3",
                      "api_app_id": "A111"})


def action_form(action_id: str, value: str, user: str, response_url: str | None,
                channel: str = "C0CHAN") -> str:
    from urllib.parse import urlencode

    payload = {"type": "block_actions", "team": {"id": TEAM_ID}, "user": {"id": user},
               "api_app_id": "A111", "channel": {"id": channel}, "trigger_id": "1.2.3",
               "container": {"type": "message", "channel_id": channel, "is_ephemeral": True},
               "actions": [{"type": "button", "action_id": action_id, "value": value,
                            "block_id": "careerbot_answer_actions", "action_ts": "1.2"}]}
    if response_url:
        payload["response_url"] = response_url
    return urlencode({"payload": json.dumps(payload)})


def view_submission_form(view: dict[str, Any], answers: dict[str, str], user: str) -> str:
    """A submitted modal: ``answers`` maps each input block id to the chosen option value."""
    from urllib.parse import urlencode

    values = {block: {"answer": {"type": "radio_buttons",
                                 "selected_option": {"value": value}}}
              for block, value in answers.items()}
    payload = {"type": "view_submission", "team": {"id": TEAM_ID}, "user": {"id": user},
               "api_app_id": "A111", "trigger_id": "1.2.4",
               "view": {**view, "id": "V0MODAL", "state": {"values": values}}}
    return urlencode({"payload": json.dumps(payload)})


def signed_headers(body: str, secret: str = SIGNING_SECRET, timestamp: str | None = None,
                   content_type: str = "application/json") -> dict[str, str]:
    from slack_sdk.signature import SignatureVerifier

    ts = timestamp or str(int(time.time()))
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts,
                                                                              body=body)}


def post(port: int, body: str | bytes, headers: dict[str, str],
         path: str = "/slack/events") -> tuple[int, str]:
    """One HTTP POST to the app under test; returns (status, body text)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", path, body=body if isinstance(body, bytes) else body.encode(),
                     headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()


def send_signed(port: int, body: str, content_type: str = "application/json",
                extra: dict[str, str] | None = None) -> tuple[int, str]:
    return post(port, body, {**signed_headers(body, content_type=content_type),
                             **(extra or {})})
