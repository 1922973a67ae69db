"""What the web app does, apart from its layout: one object per app over a bot.

Kept free of gradio: the rules every channel shares (limits, refusals shaped like answers,
feedback, a user's data, forgetting) are the front desk's (``ui/desk.py``); this module turns
the chat's messages, the profile form and the panels into its calls, and ``ui/web/app.py`` only
wires them to components. Every path returns a reply for people: no exception reaches the
browser or an API client as a 500 or a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bot.answer.hygiene import clean_text
from bot.answer.pipeline import Answer, CareerBot
from bot.learner.profile import LearnerProfile, ProfileError, parse_profile
from bot.settings import Settings
from corpus.schema import LEVELS, RESOURCE_KINDS, STAGES
from ui import copy
from ui.desk import Desk, Reply
from ui.render import corpus_line, source_dates

log = logging.getLogger(__name__)

FORM_KEYS = ("target_role", "level", "hours_per_week", "budget", "formats")
BUDGETS = ("free", "paid", "any")
_SHOWN_CHARS = 300  # a refused, oversized message is echoed only this far
_COMMENT_CHARS = 1000


@dataclass
class TurnView:
    """One update of the chat: always the messages; the rest only with the final one."""

    messages: list[dict[str, Any]]
    final: bool = False
    sources_md: str = ""
    roadmap_md: str = ""
    answers: list[dict[str, Any]] = field(default_factory=list)
    profile: dict[str, Any] = field(default_factory=dict)


class WebChat:
    """The web front end's behaviour over one :class:`CareerBot` and its settings."""

    def __init__(self, bot: CareerBot, settings: Settings):
        if bot.store is None:
            raise ValueError("the web app needs a bot with a state store (build_bot(settings))")
        self.bot = bot
        self.store = bot.store
        self.settings = settings
        self.desk = Desk(bot, settings)
        self.role_names = sorted(r.name for r in bot.roles)
        self.stage_examples = {s.slug: list(s.examples) for s in
                               sorted(bot.corpus.stages, key=lambda s: s.order)}

    @staticmethod
    def user_id(session: str | None) -> str:
        """The store key of a browser (or API client) session: sessions never share state."""
        return Desk.key("web", session or "anonymous") or ""

    # -- the /ask API ----------------------------------------------------------------------
    def ask(self, question: object, session: str | None,
            caller: str | None = None) -> dict[str, Any]:
        """The answer object for one question, or a refusal shaped like one.

        A client with a session (gradio_client, the browser) keeps history under it; a bare
        HTTP call has none, so it keeps nothing and is rate-limited by ``caller`` (its IP).
        """
        uid = Desk.key("web", session)
        return self.desk.ask(question, uid, caller=uid or caller).public()

    # -- the chat --------------------------------------------------------------------------
    def turn(self, message: object, messages: list[dict[str, Any]] | None,
             answers: list[dict[str, Any]] | None, form: dict[str, Any],
             session: str | None) -> Iterator[TurnView]:
        """Stream one chat turn: growing answer text, then a final view with sources."""
        uid = self.user_id(session)
        msgs = list(messages or [])
        done = list(answers or [])
        msgs.append({"role": "user", "content": self._shown(message)})
        msgs.append({"role": "assistant", "content": ""})
        final: Answer | None = None
        try:
            profile = self.form_profile(form)
        except ProfileError as problem:
            msgs[-1]["content"] = str(problem)
            profile = None
        if profile is not None:
            text = ""
            for piece in self.desk.stream(message, uid, profile=profile):
                if isinstance(piece, Reply):
                    final = piece.answer
                    msgs[-1]["content"] = piece.text
                else:
                    text += piece
                    msgs[-1]["content"] = text
                    yield TurnView(messages=msgs)
        if final is not None:
            msgs[-1]["content"] = final.answer
            indexes = [len(msgs) - 1]
            if final.sources:  # each reply keeps its own sources, folded under it
                msgs.append({"role": "assistant", "content": self.sources_md(final),
                             "metadata": {"title": f"Sources ({len(final.sources)})",
                                          "status": "done"}})
                indexes.append(len(msgs) - 1)
            done.append({"index": indexes, "question": clean_text(str(message)),
                         "answer": final.answer, "trace_id": final.trace_id,
                         "stage": final.stage})
        yield TurnView(messages=msgs, final=True,
                       sources_md=self.sources_md(final) if final else "",
                       roadmap_md=self.roadmap_md(uid), answers=done,
                       profile=self.stored_form(uid, form))

    def _shown(self, message: object) -> str:
        """The user's message as the chat echoes it: cleaned, and cut short if refused."""
        if not isinstance(message, str):
            return "(empty message)"
        if len(message) > self.settings.max_input_chars:
            head = clean_text(message[: _SHOWN_CHARS * 2])[:_SHOWN_CHARS]
            return f"{head}… ({len(message):,} characters)"
        return clean_text(message) or "(empty message)"

    # -- profile ---------------------------------------------------------------------------
    @staticmethod
    def form_profile(form: dict[str, Any]) -> LearnerProfile:
        """The profile the form shows; blank fields are unset. Raises :class:`ProfileError`."""
        data: dict[str, Any] = {}
        for key in FORM_KEYS:
            value = form.get(key)
            if value in (None, "", [], 0, 0.0):
                continue
            data[key] = value
        return parse_profile(data, "profile")

    def save_form(self, form: dict[str, Any], session: str | None) -> str:
        """Store the form's fields (other stored facts, such as background, stay)."""
        try:
            profile = self.form_profile(form)
        except ProfileError as exc:
            return str(exc)
        uid = self.user_id(session)
        stored = {k: v for k, v in self.store.get_profile(uid).items()
                  if k not in FORM_KEYS}
        stored.update(profile.model_dump(exclude_none=True))
        self.store.set_profile(uid, stored)
        return "Profile saved: answers now take it into account."

    def stored_form(self, uid: str, form: dict[str, Any]) -> dict[str, Any]:
        """The form after a turn: what the user said ("5 hours a week") fills blank fields."""
        stored = self.store.get_profile(uid)
        out = {k: form.get(k) for k in FORM_KEYS}
        for key in FORM_KEYS:
            if stored.get(key) not in (None, "", []):
                out[key] = stored[key]
        role = self.bot.role_by_text(out.get("target_role") or "")
        out["target_role"] = role.name if role else None
        return out

    # -- panels ----------------------------------------------------------------------------
    def sources_md(self, answer: Answer | None) -> str:
        if answer is None or not answer.sources:
            return "*No sources for this reply.*"
        lines = []
        for i, src in enumerate(answer.sources, 1):
            title = f"[{src.title}]({src.url})" if src.url else src.title
            stage = self.bot.corpus.stage_name(src.stage) if src.stage else "any stage"
            dates = source_dates(src)
            lines.append(f"{i}. **{title}** · {src.kind} · {stage}"
                         + (f" · {dates}" if dates else ""))
        version = corpus_line(answer)
        return "\n".join(lines) + (f"\n\n*{version}*" if version else "")

    def roadmap_md(self, uid: str) -> str:
        return self.roadmap_of(self.store.get_roadmap(uid))

    def roadmap_of(self, road: dict[str, Any]) -> str:
        """The six stages with which are covered, where the user is and what comes next."""
        covered, current = set(road.get("covered", [])), road.get("current")
        nxt = road.get("next_stage")
        lines = ["**Your roadmap**", ""]
        if road.get("target_role"):
            role = self.bot.role_by_text(str(road["target_role"]).replace("-", " "))
            lines += [f"Target role: {role.name if role else road['target_role']}", ""]
        for n, slug in enumerate(STAGES, 1):
            name = self.bot.corpus.stage_name(slug)
            mark = "✓" if slug in covered else "○"
            note = " ← **you are here**" if slug == current else (
                " ← next" if slug == nxt else "")
            lines.append(f"{n}. {mark} {name}{note}")
        lines += ["", f"Covered {len(covered & set(STAGES))} of {len(STAGES)} stages."]
        lines.append("")
        if road.get("next_action"):
            lines.append(f"**Next step:** {road['next_action']}")
        else:
            lines.append("Ask a question to place yourself on the roadmap.")
        return "\n".join(lines)

    # -- feedback and data -----------------------------------------------------------------
    def feedback(self, rating: int, answers: list[dict[str, Any]] | None, session: str | None,
                 reason: str | None = None, comment: str | None = None,
                 index: int | None = None) -> str:
        """Store a thumbs up/down on an answer (the latest, or the message at ``index``)."""
        done = list(answers or [])
        rec = next((a for a in done if index in a["index"]), None) if index is not None \
            else (done[-1] if done else None)
        if rec is None:
            return copy.FEEDBACK_NOTHING
        thanks = self.desk.feedback(self.user_id(session), rating, rec["trace_id"],
                                    reason=reason, comment=comment)
        return thanks or copy.FEEDBACK_NOTHING

    def export(self, session: str | None) -> dict[str, Any]:
        """Everything held about the session, as plain JSON (string keys throughout)."""
        return self.desk.export(self.user_id(session))

    def forget(self, session: str | None) -> str:
        return self.desk.forget(self.user_id(session))


__all__ = ["BUDGETS", "LEVELS", "RESOURCE_KINDS", "TurnView", "WebChat"]
