"""Every word the front ends show people, apart from the answers themselves.

Refusals, thanks, buttons, panel titles and the lines around an answer in the web app, Slack
and the terminal. Copy is data: a change of wording is a reviewed change of this file. The
words of answers (and the LLM prompts) are the bot's, in ``bot/answer/prompts.py``.
"""

from __future__ import annotations

from bot.store.state import FEEDBACK_REASONS

SLOW_DOWN = "You are sending messages quickly. Please wait a minute and try again."

BUSY = "careerbot is busy right now. Please try again in a few seconds."

ANSWER_FAILED = "Sorry, something went wrong while answering. Please try again in a moment."

FEEDBACK_THANKS_UP = "Thanks! Glad it helped."

FEEDBACK_THANKS_DOWN = "Thanks, noted. Your feedback helps improve careerbot's answers."

FEEDBACK_NOTHING = "Ask a question first, then rate the answer."

FORGOTTEN = "Done: {n} stored records about you were deleted. This chat starts afresh."

SOURCE_CHECKED = "checked {when}"

CORPUS_VERSION = "Knowledge base {version}"

# Slack copy (ui/slack*.py): commands, buttons and the lines around an answer.
SLACK_HELP = (
    "Ask me about building a career in AI: mention me in a channel "
    "(`@careerbot How do I become an ML engineer?`), send me a direct message, or use "
    "`/careerbot <question>` for an answer only you see. `/careerbot assess` runs the "
    "self-assessment; `/careerbot forget` deletes everything I hold about you."
)

SLACK_ASSESS_SOON = (
    "The self-assessment is not available here yet. Meanwhile, tell me your target role, "
    "level and hours per week, e.g. `/careerbot I'm a beginner aiming for data scientist, "
    "5 hours a week`, and I'll keep it for your next answers."
)

SLACK_SHARE = "Share in channel"

SLACK_SHARED_BY = "Shared by <@{user}> via /careerbot"

SLACK_SHARE_GONE = "That answer is no longer available to share; ask again with /careerbot."

SLACK_HELPFUL = "Helpful"

SLACK_NOT_HELPFUL = "Not helpful"

SLACK_SOURCES = "Sources"

SLACK_STAGE_LINE = "Stage: {stage}"

SLACK_NEXT_LINE = "Next: {next_stage}"

SLACK_ASSESS_TITLE = "Where am I?"

SLACK_ASSESS_SUBMIT = "See my stage"

SLACK_ASSESS_MISSING = "Please answer this question."

SLACK_ASSESS_RESULT = (
    "**Your stage: {stage}**\n{explanation}\n\n**Next step:** {action}\n\n"
    "Your roadmap is saved; ask me anything to go on from here."
)

ASSESS_SAVED = "Saved: your roadmap now starts at {stage} ({name})."

# The web app's "Assess me" and "My plan" tabs (ui/web/plan.py).
WEB_ASSESS_MISSING = "The self-assessment is not available: the corpus has no assessment.yaml."

WEB_ASSESS_UNANSWERED = "Please answer {n} more question(s) first:\n{questions}"

WEB_ASSESS_RESULT = (
    "### Your stage: {stage} (`{slug}`)\n{explanation}\n\n**Next step:** {action}\n\n"
    "Your roadmap is saved. Build your week-by-week plan in **My plan**."
)

WEB_PLAN_NONE = "No plan yet: press **Build / refresh plan**."

WEB_PLAN_EMPTY = (
    "*No plan yet. Take **Assess me** first to start at your stage, set your hours a week in "
    "the profile on the Chat tab, then press **Build / refresh plan**.*"
)

WEB_PLAN_BUILT = (
    "{status}: {weeks} weeks at {hours} a week from stage {stage}; review by {review}."
)

WEB_PLAN_KEPT = "{n} ticked item(s) kept."

WEB_PLAN_FAILED = "Sorry, the plan could not be built just now. Please try again."

WEB_PLAN_TICKED = "Saved: {done} of {total} items done."

WEB_PLAN_STALE = "This plan changed in another window; here is the current one."

WEB_PLAN_IMPORTED = "Imported: {done} of {total} items done ({changed} changed)."

WEB_PLAN_IMPORT_UNKNOWN = "{n} item(s) in the file are not in this plan and were skipped."

WEB_PLAN_IMPORT_BAD = (
    "That file has no plan checkboxes. Upload a Markdown plan downloaded here, with lines "
    "like - [x] `res-book-islp` ..."
)

WEB_PLAN_HOURS_ASSUMED = (
    "*{hours} a week assumed: set your hours in the profile on the Chat tab, then rebuild.*"
)

WEB_PLAN_FREE_WEEK = "*A free week: catch up, or practise what you learnt.*"

__all__ = ["FEEDBACK_REASONS"]
