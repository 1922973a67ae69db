"""Advice units: the ``##`` sections of a guide, each meant to stand on its own.

A unit is what retrieval returns and what an answer quotes, so it must make sense without the
text around it: it may not open by pointing back at something outside it ("Their weakness is
that...", "The same title means..."). A heading may say whom the unit is for with a trailing
``{for: ...}`` marker of audiences and levels::

    ## If you are still at university {for: student, beginner}

The marker is stripped from the heading; answers leave out units meant for someone else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.schema import AUDIENCES, LEVELS, Guide

_SECTION = re.compile(r"^##\s+(.+)$", re.MULTILINE)
_FOR = re.compile(r"\s*\{for:\s*([^}]*)\}\s*$")
_FIRST_SENTENCE = re.compile(r"^(.+?[.!?:])(\s|$)", re.S)
# Openings that lean on text outside the unit: pronouns and determiners pointing back,
# connectives continuing an argument, "the same"/"the former" and friends.
_DANGLING = re.compile(
    r"^(this|that|these|those|they|them|their|theirs|he|she|his|her|its|both|such|"
    r"also|however|but|and|or|so|then|thus|hence|therefore|instead|otherwise|similarly|"
    r"likewise|moreover|furthermore|besides|meanwhile|still|yet|in addition|in contrast|"
    r"on the other hand|as (mentioned|noted|said|shown|above|before|explained)|"
    r"the (same|above|former|latter|previous|next one|other one|rest)|"
    r"another( one)?\b(?! (common|good|useful|way|option|route|path))|"
    r"here\b|(\w+ ){0,2}of (them|these|those|this|that)\b|"
    r"(beyond|after|before|at|past|by|from|until|up to) (that|this|which) (point|stage|step|"
    r"level|moment)|at that|in that case|if so|if not|once there|even then|even so)\b"
    r"|^it\b(?!('s| is) (easy|hard|common|worth|tempting|possible|normal|fine|better|best|"
    r"natural|important|useful|wise|ok|okay|rare|usual|likely|unlikely|tempting|no)\b)",
    re.I)


@dataclass(frozen=True)
class Unit:
    """One self-contained piece of advice from a guide."""

    heading: str
    text: str
    audience: tuple[str, ...] = ()  # empty: anyone
    levels: tuple[str, ...] = ()  # empty: any level


class UnitMarkerError(ValueError):
    """A ``{for: ...}`` marker naming something that is neither an audience nor a level."""


def _marker(heading: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    m = _FOR.search(heading)
    if not m:
        return heading.strip(), (), ()
    words = [w.strip().lower() for w in m.group(1).split(",") if w.strip()]
    bad = [w for w in words if w not in AUDIENCES and w not in LEVELS]
    if bad:
        raise UnitMarkerError(
            f"section '{heading[:m.start()].strip()}': unknown audience or level "
            f"{', '.join(bad)} (use {', '.join(AUDIENCES + LEVELS)})")
    return (heading[:m.start()].strip(), tuple(w for w in words if w in AUDIENCES),
            tuple(w for w in words if w in LEVELS))


def guide_units(guide: Guide) -> list[Unit]:
    """The units of a guide in order; text before the first heading is an "Overview" unit."""
    parts = _SECTION.split(guide.body)
    units: list[Unit] = []
    lead = parts[0].strip()
    if lead:
        units.append(Unit("Overview", lead))
    for heading, text in zip(parts[1::2], parts[2::2], strict=False):
        if text.strip():
            title, audience, levels = _marker(heading)
            units.append(Unit(title, text.strip(), audience, levels))
    return units


def first_sentence(text: str) -> str:
    body = re.sub(r"\s+", " ", text.strip().lstrip("-* "))
    m = _FIRST_SENTENCE.match(body)
    return m.group(1) if m else body


def dangles(sentence: str) -> bool:
    """Whether a sentence opens by pointing at something it does not contain."""
    return bool(_DANGLING.match(sentence.strip().lstrip("-*\"'( ")))


def unit_problems(guide: Guide) -> list[str]:
    """What keeps a guide's units from standing alone, one message per unit."""
    try:
        units = guide_units(guide)
    except UnitMarkerError as exc:
        return [f"guide {guide.id}: {exc}"]
    out = []
    for unit in units:
        opening = first_sentence(unit.text)
        if dangles(opening):
            out.append(f"guide {guide.id}: section '{unit.heading}' opens with a reference to "
                       f"text outside it ({opening[:60]!r}); rewrite it to stand alone")
    return out
