"""Front ends and tools that live outside ``bot/``: web, Slack, eval, bench.

This module is the one place that wires ``ui/`` and ``evals/`` to the bot; their heavy
imports happen inside the commands.
"""

from __future__ import annotations

import click

from ui.cli import cli, settings
from ui.cli.talk_cmds import ensure_index


@cli.command("web")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=7860, show_default=True, type=int)
def web_cmd(host: str, port: int) -> None:
    """The Gradio chat app (streams answers; API endpoint /ask)."""
    from bot.app import build_bot, offline_env
    from ui.web import launch, port_in_use

    if port_in_use(host, port):
        raise RuntimeError(f"port {port} on {host} is in use or not allowed: "
                           "pick another with --port")
    offline_env()
    s = settings()
    ensure_index(s)

    bot = build_bot(s)
    click.echo("starting the web app...", err=True)
    launch(bot, s, host=host, port=port,
           on_ready=lambda url: click.echo(f"careerbot web UI on {url} (Ctrl+C to stop)",
                                           err=True))
