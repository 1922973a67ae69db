"""The web app's tabs, one builder each: the chat, "Assess me", "My plan" and "Your data".

Each builder lays out its components and wires its own events to the rules in
:class:`~ui.web.chat.WebChat` and :class:`~ui.web.plan.WebPlan`; what one tab must change in
another (the roadmap after an assessment, everything after "Forget me") is passed in.
"""

# No ``from __future__ import annotations`` here: gradio reads the handlers' annotations
# (``gr.Request``, ``gr.LikeData``) at runtime, and ``gr`` is imported by the caller.

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from bot.learner.plan import DEFAULT_WEEKS
from ui import copy
from ui.web.chat import BUDGETS, FORM_KEYS, LEVELS, RESOURCE_KINDS, WebChat
from ui.web.plan import MAX_WEEKS, PlanView, WebPlan

ANSWER_GROUP = "answer"  # the chat and /ask share one concurrency limit
MAX_HOURS = 60
NO_SOURCES = "*Sources appear here with each answer.*"
PRIVACY = (
    "careerbot keeps your profile, roadmap, chat history and feedback for this browser "
    "session only, on this server. **Show my data** lists all of it; **Forget me** deletes "
    "it everywhere."
)


def session_of(request: Any) -> str | None:
    """The browser (or gradio_client) session; a bare HTTP call to /ask has none."""
    return getattr(request, "session_hash", None) if request is not None else None


def caller_of(request: Any) -> str:
    """Who is asking: the session, else the client's address."""
    session = session_of(request)
    if session:
        return session
    client = getattr(request, "client", None)
    return f"ip:{getattr(client, 'host', None) or 'unknown'}"


@dataclass
class ChatTab:
    chatbot: Any
    msg: Any
    send: Any
    sources: Any
    up: Any
    down: Any
    reason: Any
    comment: Any
    fb_status: Any
    roadmap: Any
    form: list[Any]  # target role, level, hours, budget, formats (FORM_KEYS order)
    profile_status: Any
    messages: Any
    answers: Any


def chat_tab(gr: Any, chat: WebChat, settings: Any) -> ChatTab:
    """The chat, its sources and feedback, the roadmap and the profile form."""
    with gr.Tab("Chat"), gr.Row():
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(
                elem_id="chat", label="careerbot", height=460, buttons=["copy"],
                feedback_options=("Like", "Dislike"),
                placeholder="Ask about roles, skills, resources, portfolio, networking or "
                            "interviews.")
            with gr.Row():
                msg = gr.Textbox(elem_id="question", show_label=False, scale=5,
                                 placeholder="Type your question and press Enter",
                                 max_length=settings.max_input_chars)
                send = gr.Button("Ask", variant="primary", elem_id="send", scale=1)
            with gr.Accordion("Sources of the last answer", open=True):
                sources = gr.Markdown(NO_SOURCES, elem_id="sources")
            with gr.Accordion("Rate the last answer", open=True):
                with gr.Row():
                    up = gr.Button("Helpful", elem_id="fb-up", size="sm")
                    down = gr.Button("Not helpful", elem_id="fb-down", size="sm")
                    reason = gr.Dropdown(list(copy.FEEDBACK_REASONS), value=None,
                                         label="What was wrong? (optional)")
                comment = gr.Textbox(label="Comment (optional)", max_length=1000)
                fb_status = gr.Markdown(elem_id="fb-status")
            with gr.Accordion("Example questions for each stage", open=False):
                for slug, examples in chat.stage_examples.items():
                    gr.Examples([[q] for q in examples[:4]], inputs=[msg],
                                label=chat.bot.corpus.stage_name(slug))
        with gr.Column(scale=2):
            roadmap = gr.Markdown(chat.roadmap_of({}), elem_id="roadmap")
            form, profile_status = _profile_form(gr, chat)
    return ChatTab(chatbot, msg, send, sources, up, down, reason, comment, fb_status,
                   roadmap, form, profile_status, gr.State([]), gr.State([]))


def _profile_form(gr: Any, chat: WebChat) -> tuple[list[Any], Any]:
    with gr.Accordion("Your profile", open=True):
        form = [gr.Dropdown([("(any role)", "")] + chat.role_names, value="",
                            label="Target role", elem_id="role"),
                gr.Dropdown([("(not set)", "")] + list(LEVELS), value="", label="Level"),
                gr.Slider(0, MAX_HOURS, value=0, step=1, label="Hours per week (0 = not set)"),
                gr.Radio(list(BUDGETS), value=None, label="Budget"),
                gr.CheckboxGroup(list(RESOURCE_KINDS), value=[], label="Formats you like")]
        return form, gr.Markdown()


def wire_chat(gr: Any, chat: WebChat, t: ChatTab) -> None:
    """A question streams its answer, then fills sources, roadmap and the form."""
    def on_turn(message: str, msgs: list, done: list, role_v: Any, level_v: Any,
                hours_v: Any, budget_v: Any, formats_v: Any,
                request: gr.Request) -> Iterator[Any]:
        form = dict(zip(FORM_KEYS, (role_v, level_v, hours_v, budget_v, formats_v),
                        strict=True))
        for view in chat.turn(message, msgs, done, form, caller_of(request)):
            if not view.final:
                yield (view.messages, view.messages, "", *[gr.skip()] * 8)
                continue
            p = view.profile
            yield (view.messages, view.messages, "", view.sources_md or gr.skip(),
                   view.roadmap_md, view.answers, p.get("target_role") or "",
                   p.get("level") or "", min(p.get("hours_per_week") or 0, MAX_HOURS),
                   p.get("budget"), p.get("formats") or [])

    gr.on([t.msg.submit, t.send.click], on_turn,
          inputs=[t.msg, t.messages, t.answers, *t.form],
          outputs=[t.chatbot, t.messages, t.msg, t.sources, t.roadmap, t.answers, *t.form],
          concurrency_id=ANSWER_GROUP, api_visibility="private", show_progress="minimal")

    def on_profile(role_v: Any, level_v: Any, hours_v: Any, budget_v: Any, formats_v: Any,
                   request: gr.Request) -> str:
        form = dict(zip(FORM_KEYS, (role_v, level_v, hours_v, budget_v, formats_v),
                        strict=True))
        return chat.save_form(form, caller_of(request))

    # user edits only (``input``/``release``): programmatic refreshes must not save, or
    # "Forget me" would write an empty profile straight back
    role, level, hours, budget, formats = t.form
    for trigger in (role.input, level.input, hours.release, budget.input, formats.input):
        trigger(on_profile, t.form, [t.profile_status], api_visibility="private",
                show_progress="hidden")


def wire_feedback(gr: Any, chat: WebChat, t: ChatTab) -> None:
    """Helpful / Not helpful buttons and the chat's own thumbs store feedback."""
    def on_rate(rating: int) -> Callable[..., Any]:
        def rate(done: list, why: str | None, note: str, request: gr.Request) -> Any:
            return chat.feedback(rating, done, caller_of(request), why, note), None, ""
        return rate

    for button, rating in ((t.up, 1), (t.down, -1)):
        button.click(on_rate(rating), [t.answers, t.reason, t.comment],
                     [t.fb_status, t.reason, t.comment], api_visibility="private",
                     show_progress="hidden")

    def on_like(done: list, why: str | None, note: str, data: gr.LikeData,
                request: gr.Request) -> Any:
        if data.liked not in (True, False):
            return gr.skip(), gr.skip(), gr.skip()
        index = data.index if isinstance(data.index, int) else data.index[0]
        return (chat.feedback(1 if data.liked else -1, done, caller_of(request), why, note,
                              index=index), None, "")

    t.chatbot.like(on_like, [t.answers, t.reason, t.comment],
                   [t.fb_status, t.reason, t.comment], api_visibility="private",
                   show_progress="hidden")


@dataclass
class AssessTab:
    questions: list[Any]
    result: Any


def assess_tab(gr: Any, chat: WebChat, plans: WebPlan, roadmap: Any) -> AssessTab:
    """The backward checklist; its result places the session's user and redraws the
    roadmap."""
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
        button = gr.Button("See my stage", variant="primary", elem_id="assess-submit",
                           visible=bool(questions))
        result = gr.Markdown(elem_id="assess-result")

    def on_assess(values: dict, request: gr.Request) -> tuple[str, Any]:
        text, _ = plans.assess(plans.answer_form([values[q] for q in questions]),
                               caller_of(request))
        return text, chat.roadmap_md(chat.user_id(caller_of(request)))

    button.click(on_assess, set(questions), [result, roadmap], api_visibility="private")
    return AssessTab(questions, result)


@dataclass
class PlanTab:
    status: Any
    state: Any
    markdown: Any
    ics: Any

    @property
    def outputs(self) -> list[Any]:
        return [self.status, self.state, self.markdown, self.ics]


def plan_tab(gr: Any, plans: WebPlan) -> PlanTab:
    """Build or refresh the plan, tick items, download it, import an edited copy."""
    with gr.Tab("My plan", elem_id="plan-tab"):
        with gr.Row(equal_height=True):
            weeks = gr.Slider(1, MAX_WEEKS, value=DEFAULT_WEEKS, step=1, label="Weeks",
                              scale=3, elem_id="plan-weeks")
            build = gr.Button("Build / refresh plan", variant="primary",
                              elem_id="plan-build", scale=1)
        gr.Markdown("Rebuilding starts the plan from today and keeps every ticked item.")
        status = gr.Markdown(elem_id="plan-status")
        with gr.Row():
            dl_md = gr.DownloadButton("Download Markdown", interactive=False,
                                      elem_id="plan-md", size="sm")
            dl_ics = gr.DownloadButton("Download calendar (.ics)", interactive=False,
                                       elem_id="plan-ics", size="sm")
            upload = gr.UploadButton("Import edited Markdown", elem_id="plan-import",
                                     file_types=[".md", ".markdown", ".txt"], size="sm")
        tab = PlanTab(status, gr.State(None), dl_md, dl_ics)
        _plan_items(gr, plans, tab)

    def on_build(n: float, request: gr.Request) -> tuple[Any, ...]:
        return shown(gr, plans.build(caller_of(request), n))

    def on_import(path: str | None, request: gr.Request) -> tuple[Any, ...]:
        return shown(gr, plans.import_markdown(caller_of(request), path))

    build.click(on_build, [weeks], tab.outputs, api_visibility="private")
    upload.upload(on_import, [upload], tab.outputs, api_visibility="private")
    return tab


def shown(gr: Any, view: PlanView) -> tuple[Any, ...]:
    """A plan action's outputs; what did not change is skipped (no redraw)."""
    def file(path: str | None) -> Any:
        return gr.DownloadButton(value=path, interactive=True) if path else gr.skip()
    return (view.status, gr.skip() if view.plan is None else view.plan,
            file(view.markdown_file), file(view.ics_file))


def _plan_items(gr: Any, plans: WebPlan, tab: PlanTab) -> None:
    """The plan week by week, a checkbox per item (redrawn when the plan changes)."""
    def on_tick(key: str) -> Callable[..., tuple[Any, ...]]:
        def tick(done: bool, request: gr.Request) -> tuple[Any, ...]:
            return shown(gr, plans.tick(caller_of(request), key, done))
        return tick

    @gr.render(inputs=[tab.state], show_progress="hidden")
    def show_plan(data: dict | None) -> None:
        gr.Markdown(plans.summary_md(data), elem_id="plan-summary")
        for section in plans.sections(data):
            gr.Markdown(f"#### {section.heading}", elem_classes=["plan-week"])
            if section.note:
                gr.Markdown(section.note)
            for row in section.rows:
                with gr.Row(elem_classes=["plan-item"]):
                    with gr.Column(scale=0, min_width=90):
                        box = gr.Checkbox(value=row.done, label="done", container=False)
                    with gr.Column(scale=12):
                        gr.Markdown(row.details)
                box.input(on_tick(row.key), [box], tab.outputs, api_visibility="private",
                          show_progress="hidden")


def data_tab(gr: Any, chat: WebChat, plans: WebPlan, t: ChatTab, a: AssessTab,
             p: PlanTab) -> None:
    """Show everything kept about the session; "Forget me" deletes it and resets every tab."""
    with gr.Tab("Your data"):
        gr.Markdown(PRIVACY)
        with gr.Row():
            show = gr.Button("Show my data", elem_id="show-data")
            forget = gr.Button("Forget me", variant="stop", elem_id="forget-me")
        status = gr.Markdown(elem_id="data-status")
        data = gr.JSON(label="Everything stored about this session", elem_id="data-json")

    def on_show(request: gr.Request) -> Any:
        return chat.export(caller_of(request)), ""

    def on_forget(request: gr.Request) -> Any:
        note = chat.forget(caller_of(request))
        plans.forget_files(caller_of(request))
        none = gr.DownloadButton(value=None, interactive=False)
        return (note, None, [], [], [], NO_SOURCES, chat.roadmap_of({}), "", "", 0, None, [],
                "", "", None, none, none)

    show.click(on_show, None, [data, status], api_visibility="private")
    forget.click(on_forget, None,
                 [status, data, t.chatbot, t.messages, t.answers, t.sources, t.roadmap,
                  *t.form, a.result, p.status, p.state, p.markdown, p.ics],
                 api_visibility="private")


__all__ = ["ANSWER_GROUP", "assess_tab", "caller_of", "chat_tab", "data_tab", "plan_tab",
           "session_of", "wire_chat", "wire_feedback"]
