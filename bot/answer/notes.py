"""The one-line notes an answer carries: which filters chose its resources, and how it fits
the learner's time."""

from __future__ import annotations

from bot.answer import prompts
from bot.answer.retrieval import Filters
from bot.learner.roadmap import LearnerState
from corpus.schema import Role


def filters_note(filters: Filters, role: Role | None, relaxed: bool = False) -> str:
    parts = []
    if filters.free_only:
        parts.append("free or freemium only")
    if filters.formats:
        parts.append("format: " + ", ".join(filters.formats))
    if role is not None:
        parts.append(f"for the {role.name} role")
    if filters.level:
        parts.append(f"level: {filters.level}")
    if relaxed:
        parts.append(f"nothing curated at {filters.level} level, so any level")
    return "filtered: " + "; ".join(parts) if parts else ""


def profile_note(st: LearnerState) -> str:
    """One line that fits the answer to the learner's time (and says whom it is for)."""
    profile = st.profile
    if not profile.hours_per_week:
        return ""
    advice = prompts.PROFILE_FEW_HOURS if profile.hours_per_week <= 6 \
        else prompts.PROFILE_MORE_HOURS
    if profile.background:
        return prompts.PROFILE_TIME_BACKGROUND.format(
            background=profile.background, hours=f"{profile.hours_per_week:g}", advice=advice)
    return prompts.PROFILE_TIME.format(hours=f"{profile.hours_per_week:g}", advice=advice)


__all__ = ["filters_note", "profile_note"]
