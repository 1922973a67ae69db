"""The Gradio web app: streamed chat with sources, roadmap, profile, feedback, the "Assess me"
checklist, a week-by-week plan and your data.

``build_app(bot, settings)`` lays out the components and wires them to :class:`WebChat`
(``ui/web_logic.py``) and :class:`WebPlan` (``ui/web_plan.py``), which hold the rules. Besides
the chat, the app has the named API endpoint ``/ask`` (one string in, the answer object out).
Offline by construction: no share link, no analytics, the default theme's fonts are served by
the app itself. A bounded queue (``web_queue_size``) and one concurrency group for every answer
(``web_concurrency``) make overload a clean "queue full" refusal instead of server errors.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from bot.answer import prompts
from bot.answer.pipeline import CareerBot
from bot.app import offline_env
from bot.learner.plan import DEFAULT_WEEKS
from bot.settings import Settings
from ui.web_logic import BUDGETS, FORM_KEYS, LEVELS, RESOURCE_KINDS, WebChat
from ui.web_plan import MAX_WEEKS, PlanView, WebPlan

if TYPE_CHECKING:
    import gradio as gr

# No ``from __future__ import annotations`` here: gradio reads the handlers' annotations
# (``gr.Request``, ``gr.LikeData``, the /ask types) at runtime, and ``gr`` is imported lazily.

log = logging.getLogger(__name__)

ANSWER_GROUP = "answer"  # the chat and /ask share one concurrency limit
MAX_HOURS = 60
INTRO = (
    "# careerbot\n"
    "What to learn next for a career in AI, from a curated knowledge base. Answers cite "
    "their sources; your stage on the six-stage roadmap updates as you talk."
)
PRIVACY = (
    "careerbot keeps your profile, roadmap, chat history and feedback for this browser "
    "session only, on this server. **Show my data** lists all of it; **Forget me** deletes "
    "it everywhere."
)


def _session(request: "gr.Request | None") -> str | None:
    """The browser (or gradio_client) session; a bare HTTP call to /ask has none."""
    return getattr(request, "session_hash", None) if request is not None else None


def _caller(request: "gr.Request | None") -> str:
    """Who to rate-limit: the session, else the client's address."""
    session = _session(request)
    if session:
        return session
    client = getattr(request, "client", None)
    return f"ip:{getattr(client, 'host', None) or 'unknown'}"


def build_app(bot: CareerBot, settings: Settings) -> "gr.Blocks":
    """The whole web app over ``bot``; limits and queue come from ``settings``."""
    offline_env()
    import gradio as gr

    chat = WebChat(bot, settings)
    plans = WebPlan(bot.corpus, chat.store)
    with gr.Blocks(title="careerbot", analytics_enabled=False) as app:
        messages = gr.State([])
        answers = gr.State([])
        gr.Markdown(INTRO)
        with gr.Tab("Chat"):
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        elem_id="chat", label="careerbot", height=460, buttons=["copy"],
                        feedback_options=("Like", "Dislike"),
                        placeholder="Ask about roles, skills, resources, portfolio, "
                                    "networking or interviews.")
                    with gr.Row():
                        msg = gr.Textbox(elem_id="question", show_label=False, scale=5,
                                         placeholder="Type your question and press Enter",
                                         max_length=settings.max_input_chars)
                        send = gr.Button("Ask", variant="primary", elem_id="send", scale=1)
                    with gr.Accordion("Sources of the last answer", open=True):
                        sources = gr.Markdown("*Sources appear here with each answer.*",
                                              elem_id="sources")
                    with gr.Accordion("Rate the last answer", open=True):
                        with gr.Row():
                            up = gr.Button("Helpful", elem_id="fb-up", size="sm")
                            down = gr.Button("Not helpful", elem_id="fb-down", size="sm")
                            reason = gr.Dropdown(list(prompts.FEEDBACK_REASONS), value=None,
                                                 label="What was wrong? (optional)")
                        comment = gr.Textbox(label="Comment (optional)", max_length=1000)
                        fb_status = gr.Markdown(elem_id="fb-status")
                    with gr.Accordion("Example questions for each stage", open=False):
                        for slug, examples in chat.stage_examples.items():
                            gr.Examples([[q] for q in examples[:4]], inputs=[msg],
                                        label=prompts.STAGE_NAMES[slug])
                with gr.Column(scale=2):
                    roadmap = gr.Markdown(chat.roadmap_of({}), elem_id="roadmap")
                    with gr.Accordion("Your profile", open=True):
                        role = gr.Dropdown([("(any role)", "")] + chat.role_names, value="",
                                           label="Target role", elem_id="role")
                        level = gr.Dropdown([("(not set)", "")] + list(LEVELS), value="",
                                            label="Level")
                        hours = gr.Slider(0, MAX_HOURS, value=0, step=1,
                                          label="Hours per week (0 = not set)")
                        budget = gr.Radio(list(BUDGETS), value=None, label="Budget")
                        formats = gr.CheckboxGroup(list(RESOURCE_KINDS), value=[],
                                                   label="Formats you like")
                        profile_status = gr.Markdown()
        with gr.Tab("Assess me", elem_id="assess-tab"):
            gr.Markdown(plans.intro)
            questions = []
            for group in plans.groups():
                gr.Markdown(f"### {group.name}")
                for q in group.questions:
                    questions.append(
                        gr.Slider(1, 5, value=1, step=1, label=q["text"], elem_id=f"q-{q['id']}")
                        if q["kind"] == "scale" else
                        gr.Radio(["yes", "no"], value=None, label=q["text"],
                                 elem_id=f"q-{q['id']}"))
            assess_btn = gr.Button("See my stage", variant="primary", elem_id="assess-submit",
                                   visible=bool(questions))
            assess_out = gr.Markdown(elem_id="assess-result")
        with gr.Tab("My plan", elem_id="plan-tab"):
            with gr.Row(equal_height=True):
                weeks = gr.Slider(1, MAX_WEEKS, value=DEFAULT_WEEKS, step=1, label="Weeks",
                                  scale=3, elem_id="plan-weeks")
                build = gr.Button("Build / refresh plan", variant="primary",
                                  elem_id="plan-build", scale=1)
            gr.Markdown("Rebuilding starts the plan from today and keeps every ticked item.")
            plan_status = gr.Markdown(elem_id="plan-status")
            with gr.Row():
                dl_md = gr.DownloadButton("Download Markdown", interactive=False,
                                          elem_id="plan-md", size="sm")
                dl_ics = gr.DownloadButton("Download calendar (.ics)", interactive=False,
                                           elem_id="plan-ics", size="sm")
                upload = gr.UploadButton("Import edited Markdown", elem_id="plan-import",
                                         file_types=[".md", ".markdown", ".txt"], size="sm")
            plan_state = gr.State(None)
            plan_outs = [plan_status, plan_state, dl_md, dl_ics]

            def shown(view: PlanView) -> tuple[Any, ...]:
                """A plan action's outputs; what did not change is skipped (no redraw)."""
                def file(path: str | None) -> Any:
                    return gr.DownloadButton(value=path, interactive=True) if path else \
                        gr.skip()
                return (view.status, gr.skip() if view.plan is None else view.plan,
                        file(view.markdown_file), file(view.ics_file))

            def on_tick(key: str) -> Callable[..., tuple[Any, ...]]:
                def tick(done: bool, request: gr.Request) -> tuple[Any, ...]:
                    return shown(plans.tick(_caller(request), key, done))
                return tick

            @gr.render(inputs=[plan_state], show_progress="hidden")
            def show_plan(data: dict | None) -> None:
                gr.Markdown(plans.summary_md(data), elem_id="plan-summary")
                for section in plans.sections(data):
                    gr.Markdown(f"#### {section.heading}", elem_classes=["plan-week"])
                    if section.note:
                        gr.Markdown(section.note)
                    for row in section.rows:
                        with gr.Row(elem_classes=["plan-item"]):
                            with gr.Column(scale=0, min_width=90):
                                box = gr.Checkbox(value=row.done, label="done",
                                                  container=False)
                            with gr.Column(scale=12):
                                gr.Markdown(row.details)
                        box.input(on_tick(row.key), [box], plan_outs,
                                  api_visibility="private", show_progress="hidden")
        with gr.Tab("Your data"):
            gr.Markdown(PRIVACY)
            with gr.Row():
                show = gr.Button("Show my data", elem_id="show-data")
                forget = gr.Button("Forget me", variant="stop", elem_id="forget-me")
            data_status = gr.Markdown(elem_id="data-status")
            data_json = gr.JSON(label="Everything stored about this session",
                                elem_id="data-json")

        form_fields = [role, level, hours, budget, formats]

        def on_assess(values: dict, request: gr.Request) -> tuple[str, Any]:
            uid = chat.user_id(_caller(request))
            text, _ = plans.assess(plans.answer_form([values[q] for q in questions]),
                                   _caller(request))
            return text, chat.roadmap_md(uid)

        assess_btn.click(on_assess, set(questions), [assess_out, roadmap],
                         api_visibility="private")

        def on_build(n: float, request: gr.Request) -> tuple[Any, ...]:
            return shown(plans.build(_caller(request), n))

        def on_import(path: str | None, request: gr.Request) -> tuple[Any, ...]:
            return shown(plans.import_markdown(_caller(request), path))

        build.click(on_build, [weeks], plan_outs, api_visibility="private")
        upload.upload(on_import, [upload], plan_outs, api_visibility="private")

        def on_turn(message: str, msgs: list, done: list, role_v: Any, level_v: Any,
                    hours_v: Any, budget_v: Any, formats_v: Any,
                    request: gr.Request) -> Iterator[Any]:
            form = dict(zip(FORM_KEYS, (role_v, level_v, hours_v, budget_v, formats_v),
                            strict=True))
            for view in chat.turn(message, msgs, done, form, _caller(request)):
                if not view.final:
                    yield (view.messages, view.messages, "", *[gr.skip()] * 8)
                    continue
                p = view.profile
                yield (view.messages, view.messages, "",
                       view.sources_md or gr.skip(), view.roadmap_md, view.answers,
                       p.get("target_role") or "", p.get("level") or "",
                       min(p.get("hours_per_week") or 0, MAX_HOURS), p.get("budget"),
                       p.get("formats") or [])

        gr.on([msg.submit, send.click], on_turn,
              inputs=[msg, messages, answers, *form_fields],
              outputs=[chatbot, messages, msg, sources, roadmap, answers, *form_fields],
              concurrency_id=ANSWER_GROUP, api_visibility="private", show_progress="minimal")

        def on_rate(rating: int) -> Any:
            def rate(done: list, why: str | None, note: str, request: gr.Request) -> Any:
                return chat.feedback(rating, done, _caller(request), why, note), None, ""
            return rate

        for button, rating in ((up, 1), (down, -1)):
            button.click(on_rate(rating), [answers, reason, comment],
                         [fb_status, reason, comment], api_visibility="private",
                         show_progress="hidden")

        def on_like(done: list, why: str | None, note: str, data: gr.LikeData,
                    request: gr.Request) -> Any:
            if data.liked not in (True, False):
                return gr.skip(), gr.skip(), gr.skip()
            index = data.index if isinstance(data.index, int) else data.index[0]
            return (chat.feedback(1 if data.liked else -1, done, _caller(request), why,
                                  note, index=index), None, "")

        chatbot.like(on_like, [answers, reason, comment], [fb_status, reason, comment],
                     api_visibility="private", show_progress="hidden")

        def on_profile(role_v: Any, level_v: Any, hours_v: Any, budget_v: Any, formats_v: Any,
                       request: gr.Request) -> str:
            form = dict(zip(FORM_KEYS, (role_v, level_v, hours_v, budget_v, formats_v),
                            strict=True))
            return chat.save_form(form, _caller(request))

        # user edits only (``input``/``release``): programmatic refreshes must not save, or
        # "Forget me" would write an empty profile straight back
        for trigger in (role.input, level.input, hours.release, budget.input, formats.input):
            trigger(on_profile, form_fields, [profile_status], api_visibility="private",
                    show_progress="hidden")

        def on_show(request: gr.Request) -> Any:
            return chat.export(_caller(request)), ""

        def on_forget(request: gr.Request) -> Any:
            note = chat.forget(_caller(request))
            plans.forget_files(_caller(request))
            none = gr.DownloadButton(value=None, interactive=False)
            return (note, None, [], [], [], "*Sources appear here with each answer.*",
                    chat.roadmap_of({}), "", "", 0, None, [], "", "", None, none, none)

        show.click(on_show, None, [data_json, data_status], api_visibility="private")
        forget.click(on_forget, None,
                     [data_status, data_json, chatbot, messages, answers, sources, roadmap,
                      *form_fields, assess_out, plan_status, plan_state, dl_md, dl_ics],
                     api_visibility="private")

        def ask(question: str, request: gr.Request) -> dict:
            """Answer one career question; returns the answer object as JSON."""
            return chat.ask(question, _session(request), _caller(request))

        gr.api(ask, api_name="ask", concurrency_id=ANSWER_GROUP)

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
