"""The one front desk every channel talks to: who is asking, limits, refusals, feedback and
forgetting, the same for the web app, Slack and the command line.

A channel turns its own notion of a person (a browser session, a Slack user, a ``--user``
name) into a store key with :meth:`Desk.key`, then asks, streams, rates and forgets through
the desk. So the same learner state gives the same answer in every channel, and the rules
around it (a rate limit per person, a refusal shaped like an answer, where feedback goes, what
"forget me" deletes) are written once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from bot.answer.hygiene import InputProblem, clean_text
from bot.answer.model import Answer
from bot.answer.pipeline import CareerBot
from bot.learner.profile import LearnerProfile, ProfileError
from bot.ratelimit import RateLimiter
from bot.settings import Settings
from ui import copy

log = logging.getLogger(__name__)

Channel = Literal["web", "slack", "cli"]
# how each channel's people are keyed in the state store (kept as earlier versions stored them)
KEY_FORMATS: dict[str, str] = {"web": "web-{id}", "slack": "slack:{id}", "cli": "{id}"}
COMMENT_CHARS = 1000


@dataclass
class Reply:
    """What a channel shows: the answer, or a refusal (``problem`` says which) as text."""

    answer: Answer | None
    text: str
    problem: str | None = None

    def public(self) -> dict[str, Any]:
        """The answer object, or a refusal shaped like one (``declined`` and ``problem``)."""
        if self.answer is not None:
            return self.answer.public()
        return {**Answer(answer=self.text, declined=True).public(), "problem": self.problem}


class Desk:
    """The front desk over one bot; ``limited`` is false for the local command line."""

    def __init__(self, bot: CareerBot, settings: Settings, *, limited: bool = True):
        if bot.store is None:
            raise ValueError("the front desk needs a bot with a state store (build_bot(settings))")
        self.bot = bot
        self.store = bot.store
        self.limited = limited
        self.limiter = RateLimiter(settings.rate_limit_per_min)
        self.feedback_limiter = RateLimiter(settings.rate_limit_per_min * 3)

    @staticmethod
    def key(channel: Channel, who: str | None) -> str | None:
        """The store key of a person in a channel; None keeps nothing (a bare API call)."""
        return KEY_FORMATS[channel].format(id=who) if who else None

    def allowed(self, caller: str) -> bool:
        """One more request from ``caller`` (a store key, or an address) within its limit."""
        return not self.limited or self.limiter.allow(caller)

    # -- answering -------------------------------------------------------------------------
    def ask(self, question: object, user: str | None, *, caller: str | None = None,
            profile: LearnerProfile | None = None,
            history: list[tuple[str, str]] | None = None) -> Reply:
        """One answer, or a refusal for people (slow down, empty, too long, failure)."""
        reply = None
        for piece in self.stream(question, user, caller=caller, profile=profile,
                                 history=history):
            if isinstance(piece, Reply):
                reply = piece
        assert reply is not None
        return reply

    def stream(self, question: object, user: str | None, *, caller: str | None = None,
               profile: LearnerProfile | None = None,
               history: list[tuple[str, str]] | None = None) -> Iterator[str | Reply]:
        """Text pieces as they come, then the :class:`Reply`."""
        if not self.allowed(caller or user or "anonymous"):
            yield Reply(None, copy.SLOW_DOWN, "rate_limited")
            return
        try:
            for piece in self.bot.stream(question, user_id=user, profile=profile,
                                         history=history):
                if isinstance(piece, Answer):
                    yield Reply(piece, piece.answer)
                else:
                    yield piece
        except InputProblem as problem:
            yield Reply(None, problem.reply, problem.kind)
        except ProfileError as problem:
            yield Reply(None, str(problem), "profile")
        except Exception:
            log.exception("answering failed")
            yield Reply(None, copy.ANSWER_FAILED, "error")

    # -- feedback, data, forgetting ---------------------------------------------------------
    def feedback(self, user: str, rating: int, trace_id: str | None, *,
                 reason: str | None = None, comment: str | None = None) -> str | None:
        """Store a thumbs up/down on an answer; the thanks to show, or None when the answer
        is unknown."""
        if self.limited and not self.feedback_limiter.allow(user):
            return copy.SLOW_DOWN
        trace = self.store.get_trace(trace_id) if trace_id else None
        if trace is None:
            return None
        note = clean_text(comment or "")[:COMMENT_CHARS]
        if reason in copy.FEEDBACK_REASONS:
            note = f"{reason}: {note}" if note else reason
        answer = trace.get("answer") or {}
        self.store.add_feedback(rating=1 if rating > 0 else -1, trace_id=trace_id,
                                user_id=user, comment=note or None,
                                question=trace.get("question"), answer=answer.get("answer"),
                                stage=answer.get("stage"))
        return copy.FEEDBACK_THANKS_UP if rating > 0 else copy.FEEDBACK_THANKS_DOWN

    def export(self, user: str) -> dict[str, Any]:
        """Everything held about ``user``, as plain JSON (string keys throughout)."""
        return json.loads(json.dumps(self.store.export_user(user), default=str))

    def forget(self, user: str) -> str:
        """Delete everything held about ``user`` everywhere; what to tell them."""
        return copy.FORGOTTEN.format(n=self.store.forget_user(user))


__all__ = ["KEY_FORMATS", "Channel", "Desk", "Reply"]
