"""careerbot in Slack: a slack_bolt app over one :class:`CareerBot`.

Mentions in channels and direct messages are answered in their thread, with the thread's
messages (``conversations.replies``) as the conversation; ``/careerbot`` answers only the asker,
with a button to share. Profile, roadmap and feedback live in the bot's state store under
``slack:<user id>``, the same store the web app uses.

Delivery is at most once: Slack retries an event it thinks was lost (same ``event_id``) and may
send one message as both ``app_mention`` and ``message.im``; both are claimed in the shared state
store (a unique row, so several workers agree) before any work. Listeners run after the ack
(``process_before_response=False``), so Slack gets its answer within 3 seconds whatever the bot
takes. Nothing here logs a token, the signing secret or message text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from bot.answer.pipeline import CareerBot
from bot.settings import Settings
from bot.store.state import StateStore
from ui import copy
from ui.desk import Desk
from ui.slack.assess import CALLBACK_ID as ASSESS_CALLBACK
from ui.slack.assess import checklist, question_view
from ui.slack.assess import submit as submit_assessment
from ui.slack.format import (
    ACTION_DOWN,
    ACTION_SHARE,
    ACTION_UP,
    answer_blocks,
    fallback_text,
    plain_question,
    text_blocks,
    to_mrkdwn,
)

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_sdk import WebClient

log = logging.getLogger(__name__)

USER_PREFIX = "slack:"
THREAD_MESSAGES = 8  # most recent thread messages used as the conversation
IGNORED_SUBTYPES = frozenset({"bot_message", "message_changed", "message_deleted",
                              "channel_join", "channel_leave", "thread_broadcast"})
# Answerer(question, slack_user, history) -> (answer object or None, text to show)
Reply = tuple[dict[str, Any] | None, str]


def user_key(slack_user: str) -> str:
    """The state store key of a Slack user: one profile and roadmap per Slack user id."""
    return Desk.key("slack", slack_user) or USER_PREFIX


def make_web_client(settings: Settings, token: str | None = None) -> WebClient:
    """A Web API client at ``settings.slack_api_url`` that waits out 429s (``Retry-After``)."""
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import (
        ConnectionErrorRetryHandler,
        RateLimitErrorRetryHandler,
    )

    base = settings.slack_api_url if settings.slack_api_url.endswith("/") \
        else settings.slack_api_url + "/"
    return WebClient(token=token or settings.slack_bot_token, base_url=base, timeout=30,
                     retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2),
                                     RateLimitErrorRetryHandler(max_retry_count=3)])


class SlackCareerbot:
    """What careerbot does with each kind of Slack request; bolt only routes to it."""

    def __init__(self, bot: CareerBot, settings: Settings):
        if bot.store is None:
            raise ValueError("the Slack app needs a bot with a state store (build_bot(settings))")
        self.bot = bot
        self.store: StateStore = bot.store
        self.desk = Desk(bot, settings)
        self.stage_names = {s.slug: s.name for s in bot.corpus.stages}

    # -- answering -----------------------------------------------------------------------
    def reply(self, question: str, slack_user: str,
              history: list[tuple[str, str]] | None = None) -> Reply:
        """The answer to show, or a refusal (slow down, empty, too long, failure)."""
        reply = self.desk.ask(question, user_key(slack_user), history=history)
        return (reply.answer.public() if reply.answer else None), reply.text

    def on_message(self, event: dict[str, Any], client: WebClient, bot_user_id: str | None,
                   ) -> None:
        """An ``app_mention`` or a direct message: answer once, in its thread."""
        channel, ts, user = event.get("channel"), event.get("ts"), event.get("user")
        if not channel or not ts or not user or event.get("bot_id") or user == bot_user_id:
            return
        if event.get("subtype") in IGNORED_SUBTYPES:
            return
        # the same message can arrive as app_mention and message.im: answer it once
        if not self.store.claim_event(f"msg:{channel}:{ts}"):
            return
        thread_ts = event.get("thread_ts") or ts
        history = None
        if event.get("thread_ts") and event["thread_ts"] != ts:
            history = thread_history(client, channel, thread_ts, ts, user, bot_user_id)
        answer, text = self.reply(plain_question(event.get("text")), user, history)
        blocks = answer_blocks(answer, self.stage_names) if answer else text_blocks(text)
        client.chat_postMessage(channel=channel, thread_ts=thread_ts,
                                text=fallback_text(to_mrkdwn(text)),
                                blocks=blocks, unfurl_links=False, unfurl_media=False)
        log.info("answered Slack message in %s (trace %s)", channel,
                 answer.get("trace_id") if answer else "-")

    # -- /careerbot ----------------------------------------------------------------------
    def on_command(self, command: dict[str, Any], say_private: Callable[..., Any],
                   open_view: Callable[[dict[str, Any]], Any]) -> None:
        """``/careerbot <question>``, ``/careerbot assess|forget|help``; answers only the asker."""
        user = command.get("user_id") or ""
        text = (command.get("text") or "").strip()
        word = text.lower()
        if word in ("help", "?"):
            say_private(text=copy.SLACK_HELP, blocks=text_blocks(copy.SLACK_HELP))
            return
        if word == "forget":
            reply = self.desk.forget(user_key(user))
            say_private(text=reply, blocks=text_blocks(reply))
            return
        if word == "assess":
            found = checklist(self.bot.corpus)
            if found and command.get("trigger_id"):
                open_view(question_view(*found))
            else:
                say_private(text=copy.SLACK_ASSESS_SOON,
                            blocks=text_blocks(copy.SLACK_ASSESS_SOON))
            return
        answer, reply = self.reply(plain_question(text), user)
        blocks = answer_blocks(answer, self.stage_names, share=True) if answer \
            else text_blocks(reply)
        say_private(text=fallback_text(to_mrkdwn(reply)), blocks=blocks)

    # -- buttons -------------------------------------------------------------------------
    def on_feedback(self, rating: int, trace_id: str, slack_user: str) -> str | None:
        """Stores a thumbs up/down in the shared feedback table; returns the thanks to show."""
        return self.desk.feedback(user_key(slack_user), rating, trace_id)

    def shareable(self, trace_id: str, slack_user: str) -> dict[str, Any] | None:
        """The answer behind a Share button, only for the user it was made for."""
        trace = self.store.get_trace(trace_id)
        if not trace or trace.get("user_id") != user_key(slack_user):
            return None
        return trace.get("answer")


def thread_history(client: WebClient, channel: str, thread_ts: str, current_ts: str,
                   asker: str, bot_user_id: str | None) -> list[tuple[str, str]]:
    """The asker's and careerbot's earlier messages in a thread, oldest first."""
    from slack_sdk.errors import SlackApiError

    try:
        resp = client.conversations_replies(channel=channel, ts=thread_ts, limit=50)
    except SlackApiError as exc:
        log.warning("conversations.replies failed (%s): answering without the thread",
                    exc.response.get("error"))
        return []
    turns: list[tuple[str, str]] = []
    for msg in resp.get("messages") or []:
        if msg.get("ts") == current_ts:
            continue
        mine = bool(msg.get("bot_id")) or (bot_user_id is not None
                                           and msg.get("user") == bot_user_id)
        if mine:
            turns.append(("assistant", plain_question(msg.get("text"))))
        elif msg.get("user") == asker:
            turns.append(("user", plain_question(msg.get("text"))))
    return [(r, t) for r, t in turns if t][-THREAD_MESSAGES:]


def claim_once(store: StateStore) -> Callable[..., Any]:
    """Global middleware: a retried event (same ``event_id``) is acknowledged, not re-run."""
    from slack_bolt.response import BoltResponse

    def claim_event_once(body: dict[str, Any], next: Callable[[], Any]) -> Any:  # noqa: A002
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not store.claim_event(str(event_id)):
            log.info("Slack event %s already handled: duplicate delivery ignored", event_id)
            return BoltResponse(status=200, body="")
        return next()
    return claim_event_once


def build_app(bot: CareerBot, settings: Settings, *, client: WebClient | None = None,
              token_verification: bool = True, workers: int = 8) -> App:
    """The bolt App (HTTP or Socket Mode); ``client`` defaults to one at settings.slack_api_url.

    ``token_verification`` calls ``auth.test`` now, so a bad bot token fails at start-up.
    """
    from slack_bolt import App

    from ui.slack.server import quiet_bolt_logs

    core = SlackCareerbot(bot, settings)
    secret = settings.slack_signing_secret or ""
    app = App(client=client or make_web_client(settings), signing_secret=secret,
              request_verification_enabled=bool(secret),
              token_verification_enabled=token_verification, process_before_response=False,
              listener_executor=ThreadPoolExecutor(max_workers=workers,
                                                   thread_name_prefix="careerbot-slack"),
              name="careerbot")
    quiet_bolt_logs()
    app.use(claim_once(core.store))
    register_listeners(app, core)
    return app


def register_listeners(app: App, core: SlackCareerbot) -> None:
    """Routes events, the slash command and the buttons to ``core``; every ack comes first."""

    @app.event("app_mention")
    def mention(event: dict[str, Any], client: WebClient, context: Any) -> None:
        core.on_message(event, client, context.bot_user_id)

    @app.event("message")
    def direct_message(event: dict[str, Any], client: WebClient, context: Any) -> None:
        if event.get("channel_type") == "im":
            core.on_message(event, client, context.bot_user_id)

    @app.command("/careerbot")
    def slash(ack: Callable[..., Any], command: dict[str, Any], respond: Any,
              client: WebClient) -> None:
        ack()
        core.on_command(command, _private_sender(command, respond, client),
                        lambda view: client.views_open(trigger_id=command["trigger_id"],
                                                       view=view))

    @app.view(ASSESS_CALLBACK)
    def assessed(ack: Callable[..., Any], body: dict[str, Any], view: dict[str, Any]) -> None:
        ack(**submit_assessment(core.bot.corpus, core.store,
                                user_key(body["user"]["id"]), view))

    def feedback(rating: int) -> Callable[..., None]:
        def on_click(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                     respond: Any, client: WebClient) -> None:
            ack()
            thanks = core.on_feedback(rating, str(action.get("value") or ""),
                                      body["user"]["id"])
            if thanks:
                _private_sender(_where(body), respond, client)(text=thanks)
        return on_click

    app.action(ACTION_UP)(feedback(1))
    app.action(ACTION_DOWN)(feedback(-1))

    @app.action(ACTION_SHARE)
    def share(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
              respond: Any) -> None:
        ack()
        user = body["user"]["id"]
        answer = core.shareable(str(action.get("value") or ""), user)
        if answer is None:
            respond(text=copy.SLACK_SHARE_GONE, response_type="ephemeral",
                    replace_original=False)
            return
        respond(text=fallback_text(to_mrkdwn(answer.get("answer") or "")),
                response_type="in_channel", replace_original=False,
                blocks=answer_blocks(answer, core.stage_names, shared_by=user))
        respond(delete_original=True)


def _where(body: dict[str, Any]) -> dict[str, Any]:
    return {"user_id": body.get("user", {}).get("id"),
            "channel_id": (body.get("channel") or {}).get("id"),
            "response_url": body.get("response_url")}


def _private_sender(where: dict[str, Any], respond: Any, client: WebClient,
                    ) -> Callable[..., None]:
    """Shows a message to one user: via ``response_url`` when Slack gave one, else ephemeral."""
    def send(text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        if where.get("response_url"):
            respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
        else:
            client.chat_postEphemeral(channel=where.get("channel_id"), user=where.get("user_id"),
                                      text=text, blocks=blocks)
    return send
