"""``/careerbot assess`` in Slack: the backward self-assessment as a modal.

The checklist and its scoring are ``bot.learner.assess``'s; this module only turns its questions
into a modal (one required radio choice per question, asked from the job backwards) and its result
into the modal's final screen, storing the roadmap under the Slack user's id like the CLI and
web do. Without an assessment in the corpus the command answers with a short note instead.
"""

from __future__ import annotations

from typing import Any

from corpus.schema import Corpus
from ui import copy
from ui.slack.format import escape, to_mrkdwn

CALLBACK_ID = "careerbot_assess"
ANSWER = "answer"
_SCALE = (("1", "1 - not at all"), ("2", "2"), ("3", "3 - partly"), ("4", "4"),
          ("5", "5 - fully"))


def checklist(corpus: Any) -> tuple[str, list[dict[str, Any]]] | None:
    """(intro, questions) when the corpus has an assessment and ``bot.learner.assess`` exists."""
    try:
        from bot.learner.assess import assessment_of, assessment_questions
        found = assessment_of(corpus)
    except (ImportError, ValueError, AttributeError):
        return None
    return str(getattr(found, "intro", "") or ""), assessment_questions(found)


def _option(value: str, label: str) -> dict[str, Any]:
    return {"value": value, "text": {"type": "plain_text", "text": label}}


def question_view(intro: str, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """The modal: the intro, then one required radio choice per question."""
    blocks: list[dict[str, Any]] = []
    if intro:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": escape(intro)}})
    for q in questions[:99]:
        options = ([_option(v, label) for v, label in _SCALE] if q["kind"] == "scale"
                   else [_option("yes", "Yes"), _option("no", "No")])
        blocks.append({"type": "input", "block_id": q["id"],
                       "label": {"type": "plain_text", "text": q["text"][:2000]},
                       "element": {"type": "radio_buttons", "action_id": ANSWER,
                                   "options": options}})
    return {"type": "modal", "callback_id": CALLBACK_ID,
            "title": {"type": "plain_text", "text": copy.SLACK_ASSESS_TITLE},
            "submit": {"type": "plain_text", "text": copy.SLACK_ASSESS_SUBMIT},
            "close": {"type": "plain_text", "text": "Cancel"}, "blocks": blocks}


def answers_from(view: dict[str, Any]) -> dict[str, str]:
    """Question id -> chosen value, from a ``view_submission``'s state."""
    values = (view.get("state") or {}).get("values") or {}
    out = {}
    for block_id, actions in values.items():
        chosen = (actions.get(ANSWER) or {}).get("selected_option") or {}
        if chosen.get("value"):
            out[block_id] = str(chosen["value"])
    return out


def result_view(result: Any, corpus: Corpus) -> dict[str, Any]:
    """The modal's last screen: the stage, why, and the next step."""
    stage = corpus.stage_name(result.stage)
    nxt = corpus.stage_name(result.next_stage) if result.next_stage else ""
    text = copy.SLACK_ASSESS_RESULT.format(stage=stage, explanation=result.explanation,
                                              action=result.next_action)
    blocks: list[dict[str, Any]] = [{"type": "section",
                                     "text": {"type": "mrkdwn", "text": to_mrkdwn(text)}}]
    if nxt:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(
            copy.SLACK_NEXT_LINE.format(next_stage=nxt))}]})
    return {"type": "modal", "callback_id": f"{CALLBACK_ID}_done",
            "title": {"type": "plain_text", "text": copy.SLACK_ASSESS_TITLE},
            "close": {"type": "plain_text", "text": "Done"}, "blocks": blocks}


def submit(corpus: Corpus, store: Any, user_id: str, view: dict[str, Any],
           ) -> dict[str, Any]:
    """The ``ack`` body for a submitted modal: the result screen, or errors per question."""
    from bot.learner.assess import apply_assessment, assess

    found = checklist(corpus)
    if found is None:  # the checklist went away since the modal opened: just close it
        return {}
    answers = answers_from(view)
    missing = [q["id"] for q in found[1] if q["id"] not in answers]
    if missing:
        return {"response_action": "errors",
                "errors": {qid: copy.SLACK_ASSESS_MISSING for qid in missing}}
    try:
        result = assess(corpus, answers)
    except ValueError as exc:  # an answer the checklist does not accept
        return {"response_action": "errors",
                "errors": {qid: str(exc)[:150] for qid in answers if qid in str(exc)}}
    apply_assessment(store, user_id, result)
    return {"response_action": "update", "view": result_view(result, corpus)}
