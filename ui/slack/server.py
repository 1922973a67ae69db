"""Running the Slack app: an HTTP endpoint that checks every signature first, or Socket Mode.

Stock bolt answers 500 for a non-numeric ``X-Slack-Request-Timestamp`` and logs the whole body
of a request whose signature fails. So HTTP requests pass a front door before bolt sees them:
missing or bad signature, tampered body, a timestamp more than 5 minutes off or not a number
all get 401 and one log line naming the reason, never the body; bolt's own check still runs
behind it. The server is threaded (a slow answer never blocks the next ack) and binds where
told (127.0.0.1 by default, behind the TLS proxy Slack needs).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from slack_sdk.signature import SignatureVerifier

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_bolt.adapter.socket_mode import SocketModeHandler

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_SKEW_S = 60 * 5
MAX_BODY_BYTES = 1_000_000  # Slack payloads are far smaller; anything bigger is not Slack


class _WithheldDetails(logging.Filter):
    """bolt's own rejection line carries the body and signature: keep only its first words."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "(signature:" in message or "body:" in message:
            record.msg = message.split("(", 1)[0].strip() + " (details withheld)"
            record.args = None
        return True


def quiet_bolt_logs() -> None:
    """Installed once per process: bolt's verification log never shows what was rejected."""
    logger = logging.getLogger("slack_bolt.RequestVerification")
    if not any(isinstance(f, _WithheldDetails) for f in logger.filters):
        logger.addFilter(_WithheldDetails())


def rejection(headers: dict[str, str], body: bytes, secret: str,
              now: float | None = None) -> str | None:
    """Why a request is not from Slack, or None when its signature and timestamp hold."""
    signature = headers.get("x-slack-signature")
    stamp = headers.get("x-slack-request-timestamp")
    if not signature or not stamp:
        return "missing signature or timestamp"
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        return "malformed timestamp"
    if abs((time.time() if now is None else now) - int(stamp)) > MAX_SKEW_S:
        return "timestamp more than 5 minutes off"
    if not SignatureVerifier(secret).is_valid(body, stamp, signature):
        return "bad signature"
    return None


class SlackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App, signing_secret: str,
                 path: str = EVENTS_PATH):
        if not signing_secret:
            raise ValueError("HTTP mode needs the signing secret (CAREERBOT_SLACK_SIGNING_SECRET)")
        self.app = app
        self.signing_secret = signing_secret
        self.endpoint = path
        self.rejected = 0
        super().__init__(address, _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def start_background(self) -> threading.Thread:
        """Serve in a daemon thread (tests, embedding); ``shutdown()`` stops it."""
        thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                  name="careerbot-slack-http", daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: SlackHTTPServer
    protocol_version = "HTTP/1.1"
    timeout = 30  # a client that stops sending mid-request frees its thread

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        from slack_bolt.request import BoltRequest

        route, _, query = self.path.partition("?")
        if route != self.server.endpoint:
            self.close_connection = True  # the unread body must not pass for a request
            return self._send(404, {"error": "not found"})
        try:
            length = int(self.headers.get("Content-Length") or "")
        except ValueError:
            self.close_connection = True
            return self._send(411, {"error": "length required"})
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            return self._send(413, {"error": "payload too large"})
        body = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        reason = rejection(headers, body, self.server.signing_secret)
        if reason is not None:
            self.server.rejected += 1
            log.warning("rejected a request to %s: %s", route, reason)
            return self._send(401, {"error": "invalid request"})
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return self._send(400, {"error": "body is not UTF-8"})
        req = BoltRequest(body=text, query=query, headers={k: [v] for k, v in headers.items()})
        resp = self.server.app.dispatch(req)
        self._send(resp.status, resp.body, resp.headers)

    def do_GET(self) -> None:  # noqa: N802
        route = self.path.partition("?")[0]
        self._send(405 if route == self.server.endpoint else 404, {"error": "use POST"})

    def _send(self, status: int, body: Any, headers: dict[str, Any] | None = None) -> None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
        self.send_response(status)
        sent_type = False
        for key, values in (headers or {}).items():
            if key.lower() == "content-length":
                continue
            sent_type = sent_type or key.lower() == "content-type"
            for value in values if isinstance(values, list | tuple) else [values]:
                self.send_header(key, str(value))
        if not sent_type:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("http %s", format % args)


def http_server(app: App, signing_secret: str, host: str = "127.0.0.1",
                port: int = 3000) -> SlackHTTPServer:
    """A bound (not yet serving) HTTP server for ``app``; port 0 picks a free one."""
    return SlackHTTPServer((host, port), app, signing_secret)


def socket_handler(app: App, app_token: str) -> SocketModeHandler:
    """Socket Mode over the app's own Web API client (so ``apps.connections.open`` uses the
    configured API URL); ``connect()`` to run in the background, ``start()`` to block."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app, app_token=app_token, web_client=app.client)
