"""``careerbot slack``: the Slack app in Socket Mode or HTTP mode (``CAREERBOT_SLACK_MODE``)."""

from __future__ import annotations

import logging
import signal
import sys
from typing import Any

import click

from ui.cli import cli, settings

# what each mode needs: (setting name, environment variable, token prefix or None)
NEEDS: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "socket": (("slack_bot_token", "CAREERBOT_SLACK_BOT_TOKEN", "xoxb-"),
               ("slack_app_token", "CAREERBOT_SLACK_APP_TOKEN", "xapp-")),
    "http": (("slack_bot_token", "CAREERBOT_SLACK_BOT_TOKEN", "xoxb-"),
             ("slack_signing_secret", "CAREERBOT_SLACK_SIGNING_SECRET", None)),
}


class SlackSetupError(ValueError):
    """Missing or mistyped Slack credentials (exit code 2)."""


def check_credentials(s: Any, mode: str) -> None:
    """Raise one line naming the variables ``mode`` needs and which are missing or wrong."""
    needed = NEEDS[mode]
    names = " and ".join(env for _, env, _ in needed)
    missing = [env for field, env, _ in needed if not (getattr(s, field) or "").strip()]
    if missing:
        raise SlackSetupError(f"Slack {mode} mode needs {names}; missing: {', '.join(missing)} "
                              "(set them in the environment or .env; see docs/slack.md)")
    for field, env, prefix in needed:
        if prefix and not getattr(s, field).startswith(prefix):
            raise SlackSetupError(f"{env} should start with {prefix} (see docs/slack.md)")


def _log_levels(debug: bool) -> None:
    """careerbot's own Slack lines at INFO; the libraries' chatter only with --debug."""
    logging.getLogger("ui").setLevel(logging.DEBUG if debug else logging.INFO)
    if not debug:
        for name in ("slack_bolt", "slack_sdk", "websockets"):
            logging.getLogger(name).setLevel(logging.WARNING)


@cli.command("slack")
@click.option("--mode", type=click.Choice(["socket", "http"]), default=None,
              help="Override CAREERBOT_SLACK_MODE.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="HTTP mode: interface to listen on (put Slack's HTTPS proxy in front).")
@click.option("--port", type=int, default=None,
              help="HTTP mode: port (default CAREERBOT_SLACK_PORT, 3000).")
@click.pass_context
def slack_cmd(ctx: click.Context, mode: str | None, host: str, port: int | None) -> None:
    """The Slack app: mentions, DMs and /careerbot (Socket Mode or HTTP /slack/events)."""
    s = settings()
    mode = mode or s.slack_mode
    check_credentials(s, mode)
    _log_levels(bool((ctx.obj or {}).get("debug")) or s.debug)

    from bot.app import build_bot, offline_env
    from ui.cli.talk_cmds import ensure_index

    offline_env()
    ensure_index(s)
    from ui.slack import build_app

    app = build_app(build_bot(s), s)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if mode == "socket":
        from ui.slack.server import socket_handler

        click.echo("careerbot Slack app: connecting in Socket Mode (Ctrl-C to stop)", err=True)
        socket_handler(app, s.slack_app_token).start()
        return
    from ui.slack.server import EVENTS_PATH, http_server

    port = s.slack_port if port is None else port
    try:
        server = http_server(app, s.slack_signing_secret, host=host, port=port)
    except OSError as exc:
        raise RuntimeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    click.echo(f"careerbot Slack app (HTTP mode) on http://{host}:{server.port}{EVENTS_PATH}",
               err=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()

