"""Block Kit for careerbot answers, and the reverse: Slack text back to plain questions.

Pure functions (no Slack client), so the look of an answer is tested without a server. The
answer's Markdown becomes Slack mrkdwn (``**bold**`` -> ``*bold*``, ``[t](u)`` -> ``<u|t>``),
split into sections under Slack's 3,000-character limit; sources become ``<url|title>`` links
and a context block names the stage and the next one.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from ui import copy
from ui.render import corpus_line, source_dates

SECTION_LIMIT = 3000  # Slack: section text at most 3,000 characters
FALLBACK_LIMIT = 3900  # Slack truncates ``text`` beyond 40,000; keep notifications short
MAX_SOURCES = 10

ACTION_UP = "careerbot_feedback_up"
ACTION_DOWN = "careerbot_feedback_down"
ACTION_SHARE = "careerbot_share"

_MD_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.M)
_BULLET = re.compile(r"^(\s*)[-*]\s+", re.M)
_MENTION = re.compile(r"<@[UW][A-Z0-9]+(\|[^>]*)?>")
_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]+))?>")
_SPECIAL = re.compile(r"<[#!][^>]*>")


def escape(text: str) -> str:
    """Slack's three control characters, escaped as its docs require."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_mrkdwn(markdown: str) -> str:
    """The bot's Markdown as Slack mrkdwn (links, bold, headings, bullets)."""
    out: list[str] = []
    pos = 0
    for m in _MD_LINK.finditer(markdown):
        out.append(_inline(markdown[pos:m.start()]))
        out.append(f"<{m.group(2)}|{escape(m.group(1)).replace('|', '/')}>")
        pos = m.end()
    out.append(_inline(markdown[pos:]))
    return "".join(out)


def _inline(text: str) -> str:
    text = escape(text)
    text = _HEADING.sub(lambda m: f"**{m.group(1).strip()}**", text)
    text = _BOLD.sub(lambda m: f"*{m.group(1)}*", text)
    return _BULLET.sub(lambda m: f"{m.group(1)}• ", text)


def split_sections(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at paragraph or line ends."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = rest.rfind("\n\n", 0, limit)
        if cut <= 0:
            cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces or [" "]


def sources_mrkdwn(sources: list[dict[str, Any]]) -> str:
    """Numbered like the answer's [1], [2]; linked where the source has a URL."""
    lines = []
    for n, src in enumerate(sources[:MAX_SOURCES], 1):
        title = escape(str(src.get("title") or src.get("id"))).replace("|", "/")
        url = src.get("url")
        shown = f"<{url}|{title}>" if url else title
        about = ", ".join(b for b in (str(src.get("kind", "guide")), source_dates(src)) if b)
        lines.append(f"[{n}] {shown} _({escape(about)})_")
    return f"*{copy.SLACK_SOURCES}*\n" + "\n".join(lines)


def stage_context(answer: dict[str, Any], names: Mapping[str, str]) -> str | None:
    """The context line: the stage and the next one by name, and the corpus version."""
    stage = answer.get("stage")
    if not stage:
        return None
    parts = [copy.SLACK_STAGE_LINE.format(stage=names.get(stage, stage))]
    nxt = answer.get("next_stage")
    if nxt:
        parts.append(copy.SLACK_NEXT_LINE.format(next_stage=names.get(nxt, nxt)))
    version = corpus_line(answer)
    if version:
        parts.append(version)
    return "  ·  ".join(parts)


def answer_blocks(answer: dict[str, Any], names: Mapping[str, str], *, feedback: bool = True,
                  share: bool = False, shared_by: str | None = None) -> list[dict[str, Any]]:
    """The answer object (``Answer.public()``) as Block Kit blocks; ``names`` are the stages'
    names (corpus stages.yaml)."""
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": piece}}
        for piece in split_sections(to_mrkdwn(answer.get("answer") or ""))
    ][:40]
    if answer.get("sources"):
        blocks.append({"type": "section", "text": {
            "type": "mrkdwn", "text": split_sections(sources_mrkdwn(answer["sources"]))[0]}})
    notes = [n for n in (stage_context(answer, names), shared_by and
                         copy.SLACK_SHARED_BY.format(user=shared_by)) if n]
    if notes:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": n} for n in notes]})
    trace_id = answer.get("trace_id")
    buttons = []
    if trace_id and feedback:
        buttons += [_button(f":thumbsup: {copy.SLACK_HELPFUL}", ACTION_UP, trace_id),
                    _button(f":thumbsdown: {copy.SLACK_NOT_HELPFUL}", ACTION_DOWN, trace_id)]
    if trace_id and share:
        buttons.append(_button(copy.SLACK_SHARE, ACTION_SHARE, trace_id, style="primary"))
    if buttons:
        blocks.append({"type": "actions", "block_id": "careerbot_answer_actions",
                       "elements": buttons})
    return blocks


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "action_id": action_id, "value": value,
                              "text": {"type": "plain_text", "text": text, "emoji": True}}
    if style:
        button["style"] = style
    return button


def text_blocks(text: str) -> list[dict[str, Any]]:
    """A fixed reply (refusal, help, slow down) as one or more sections."""
    return [{"type": "section", "text": {"type": "mrkdwn", "text": piece}}
            for piece in split_sections(to_mrkdwn(text))]


def fallback_text(markdown: str) -> str:
    """The notification / screen-reader text of a message; also what thread history reads."""
    text = markdown.strip()
    return text if len(text) <= FALLBACK_LIMIT else text[: FALLBACK_LIMIT - 1] + "…"


def plain_question(slack_text: str | None) -> str:
    """Slack message text as the user meant it: mentions dropped, links and entities undone."""
    text = _MENTION.sub(" ", slack_text or "")
    text = _SLACK_LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _SPECIAL.sub(" ", text)
    return html.unescape(text).strip()
