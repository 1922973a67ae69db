"""The Gradio web app: streamed chat with sources, roadmap, profile, feedback, the "Assess me"
checklist, a week-by-week plan and your data.

``build_app(bot, settings)`` puts the tabs together (``ui/web/tabs.py``, one builder each) over
:class:`WebChat` (``ui/web/chat.py``) and :class:`WebPlan` (``ui/web/plan.py``), which hold
the rules. Besides
the chat, the app has the named API endpoint ``/ask`` (one string in, the answer object out).
Offline by construction: no share link, no analytics, the default theme's fonts are served by
the app itself. A bounded queue (``web_queue_size``) and one concurrency group for every answer
(``web_concurrency``) make overload a clean "queue full" refusal instead of server errors.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from bot.answer.pipeline import CareerBot
from bot.app import offline_env
from bot.settings import Settings
from ui.web import tabs
from ui.web.chat import WebChat
from ui.web.plan import WebPlan

if TYPE_CHECKING:
    import gradio as gr

# No ``from __future__ import annotations`` here: gradio reads the handlers' annotations
# (``gr.Request``, ``gr.LikeData``, the /ask types) at runtime, and ``gr`` is imported lazily.

log = logging.getLogger(__name__)

INTRO = (
    "# careerbot\n"
    "What to learn next for a career in AI, from a curated knowledge base. Answers cite "
    "their sources; your stage on the six-stage roadmap updates as you talk."
)


def build_app(bot: CareerBot, settings: Settings) -> "gr.Blocks":
    """The whole web app over ``bot``, one builder per tab; limits and queue come from
    ``settings``."""
    offline_env()
    import gradio as gr

    chat = WebChat(bot, settings)
    plans = WebPlan(bot.corpus, chat.store)
    with gr.Blocks(title="careerbot", analytics_enabled=False) as app:
        gr.Markdown(INTRO)
        talk = tabs.chat_tab(gr, chat, settings)
        assessed = tabs.assess_tab(gr, chat, plans, talk.roadmap)
        planned = tabs.plan_tab(gr, plans)
        tabs.data_tab(gr, chat, plans, talk, assessed, planned)
        tabs.wire_chat(gr, chat, talk)
        tabs.wire_feedback(gr, chat, talk)

        def ask(question: str, request: gr.Request) -> dict:
            """Answer one career question; returns the answer object as JSON."""
            return chat.ask(question, tabs.session_of(request), tabs.caller_of(request))

        gr.api(ask, api_name="ask", concurrency_id=tabs.ANSWER_GROUP)

    app.queue(max_size=settings.web_queue_size,
              default_concurrency_limit=settings.web_concurrency)
    return app


def launch_kwargs(host: str, port: int) -> dict[str, Any]:
    """How the app is served: local only unless a host is given, no share link, no SSR."""
    return {"server_name": host, "server_port": port, "share": False, "show_error": False,
            "quiet": True, "ssr_mode": False, "pwa": False, "mcp_server": False,
            "enable_monitoring": False, "footer_links": ["api"]}


def launch(bot: CareerBot, settings: Settings, host: str = "127.0.0.1", port: int = 7860,
           *, block: bool = True, on_ready: Callable[[str], None] | None = None) -> "gr.Blocks":
    """Serve the app; ``on_ready(url)`` once it answers. With ``block=False`` return at once
    (the caller closes the app)."""
    app = build_app(bot, settings)
    app.launch(prevent_thread_lock=True, **launch_kwargs(host, port))
    if on_ready is not None:
        on_ready(f"http://{host}:{port}/")
    if block:
        try:
            app.block_thread()
        finally:
            app.close(verbose=False)
    return app


@contextmanager
def running(bot: CareerBot, settings: Settings, host: str = "127.0.0.1",
            port: int = 0) -> Iterator[str]:
    """Serve the app in this process for a block (tests, bench); yields its base URL.

    ``port=0`` picks a free port.
    """
    if port == 0:
        port = free_port(host)
    app = launch(bot, settings, host, port, block=False)
    try:
        yield f"http://{host}:{port}/"
    finally:
        app.close(verbose=False)


def port_in_use(host: str, port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def free_port(host: str = "127.0.0.1") -> int:
    import socket

    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])
