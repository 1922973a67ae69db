"""The learner profile: what careerbot knows about the person asking.

Set explicitly (``--profile FILE``, the web form, Slack) or picked up from what the user says
("I'm a backend developer with 5 hours a week, free resources only").
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from corpus.schema import RESOURCE_KINDS, Corpus, Role

Level = Literal["beginner", "intermediate", "advanced"]
Budget = Literal["free", "paid", "any"]


class ProfileError(ValueError):
    """A profile with unknown keys or values; the message names them."""


class LearnerProfile(BaseModel):
    """Every key optional; unknown keys are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")

    target_role: str | None = None
    level: Level | None = None
    hours_per_week: float | None = Field(default=None, gt=0, le=100)
    budget: Budget | None = None
    formats: list[str] | None = None
    background: str | None = Field(default=None, max_length=2000)
    done: list[str] | None = None  # corpus ids and milestone slugs (corpus/data/milestones.yaml)

    @field_validator("done")
    @classmethod
    def _done(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        return list(dict.fromkeys(d.strip() for d in v if d.strip()))

    @field_validator("formats")
    @classmethod
    def _formats(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        norm = [_FORMAT_ALIASES.get(f.strip().lower(), f.strip().lower()) for f in v]
        bad = [f for f in norm if f not in RESOURCE_KINDS]
        if bad:
            raise ValueError(f"unknown format(s) {bad}; use any of {list(RESOURCE_KINDS)}")
        return list(dict.fromkeys(norm))

    def merged(self, other: LearnerProfile) -> LearnerProfile:
        """This profile with ``other``'s set fields taking precedence; ``done`` lists add up."""
        data = self.model_dump(exclude_none=True)
        data.update(other.model_dump(exclude_none=True))
        if self.done and other.done:
            data["done"] = [*self.done, *other.done]
        return LearnerProfile(**data)

    def is_empty(self) -> bool:
        return not self.model_dump(exclude_none=True)


def parse_profile(data: object, where: str = "profile") -> LearnerProfile:
    """Validate a profile mapping, with one clear error naming bad keys or values."""
    if not isinstance(data, dict):
        raise ProfileError(f"{where}: must be a JSON object of profile fields")
    try:
        return LearnerProfile.model_validate(data)
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "(profile)"
            if err["type"] == "extra_forbidden":
                parts.append(f"unknown key '{field}' (known: {', '.join(PROFILE_KEYS)})")
            else:
                parts.append(f"'{field}': {err['msg']}")
        raise ProfileError(f"{where}: " + "; ".join(parts)) from None


def require_known(profile: LearnerProfile, corpus: Corpus) -> None:
    """A ``target_role`` that names none of the corpus's roles, or a ``done`` entry that is
    neither a corpus id nor a milestone, is an error naming it (the answer would otherwise
    quietly ignore it, and a stored profile would keep it)."""
    roles = list(corpus.roles)
    if profile.target_role and match_role(profile.target_role, roles) is None:
        names = ", ".join(sorted(r.name for r in roles))
        raise ProfileError(f"profile: unknown target_role {profile.target_role!r}; "
                           f"use one of: {names}")
    known = done_vocabulary(corpus)
    bad = [d for d in profile.done or [] if d not in known]
    if bad:
        milestones = ", ".join(m.slug for m in corpus.milestones)
        raise ProfileError(f"profile: unknown done entr{'y' if len(bad) == 1 else 'ies'} "
                           f"{', '.join(repr(b) for b in bad)}; use corpus ids "
                           f"(e.g. res-course-fastai) or milestones: {milestones}")


def done_vocabulary(corpus: Corpus) -> set[str]:
    """What a profile's ``done`` may hold: corpus ids and milestone slugs."""
    return corpus.ids() | {m.slug for m in corpus.milestones}


def load_profile_file(path: Path) -> LearnerProfile:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"{path}: profile file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: not valid JSON ({exc})") from None
    return parse_profile(data, str(path))


PROFILE_KEYS = tuple(LearnerProfile.model_fields)

_FORMAT_ALIASES = {
    "books": "book", "courses": "course", "blogs": "blog", "newsletters": "newsletter",
    "portals": "portal", "communities": "community", "datasets": "dataset",
    "data set": "dataset", "data sets": "dataset", "podcasts": "podcast", "tools": "tool",
    "interview banks": "interview-bank", "interview-banks": "interview-bank",
    "mooc": "course", "moocs": "course", "video": "course", "videos": "course",
}
_FORMAT_WORDS = {
    "book": "book", "books": "book", "textbook": "book",
    "textbooks": "book", "course": "course", "courses": "course", "mooc": "course",
    "moocs": "course", "blog": "blog", "blogs": "blog", "newsletter": "newsletter",
    "newsletters": "newsletter", "podcast": "podcast", "podcasts": "podcast",
    "dataset": "dataset", "datasets": "dataset", "data set": "dataset", "data sets": "dataset",
    "community": "community", "communities": "community", "forum": "community",
    "forums": "community", "portal": "portal", "portals": "portal",
    "tool": "tool", "tools": "tool",
    "interview questions": "interview-bank", "practice questions": "interview-bank",
    "question bank": "interview-bank",
}


def match_role(text: str, roles: list[Role]) -> Role | None:
    """The role whose name, slug or alias appears in ``text`` (longest match wins)."""
    low = " " + re.sub(r"[^a-z0-9+]+", " ", text.lower()) + " "
    best: tuple[int, Role] | None = None
    for role in roles:
        names = {role.id.replace("-", " "), role.name.lower(), *(a.lower() for a in role.aliases)}
        for name in names:
            n = re.sub(r"[^a-z0-9+]+", " ", name).strip()
            if n and f" {n} " in low and (best is None or len(n) > best[0]):
                best = (len(n), role)
    return best[1] if best else None


_TARGET_CUE = re.compile(
    r"\b(for|as|into|to|become|becoming|be|target(?: role)?(?: is)?:?|targeting|towards?|"
    r"goal(?: is)?:?|aim(?:ing)? (?:at|for)|going for|want to be|hired as|"
    r"switch(?:ing)? to|move (?:in)?to)\s+(?:an?\s+|the\s+)?"
    r"(?:(?:junior|senior|entry[- ]level)\s+)?$", re.I)
_SELF_CUE = re.compile(
    r"\b(i'?m|i am|im|work(?:ed|ing)? as|currently|job as|worked|"
    r"(?:yrs?|years?|months?)(?: of experience)?(?: as| in)?|experience(?: as| in)?:?)"
    r"\s+(?:an?\s+)?(?:(?:junior|senior)\s+)?$", re.I)


def target_role(text: str, roles: list[Role]) -> Role | None:
    """The role a message aims at when it names several: "2 yrs data analyst ... what am I
    missing for ML engineer roles?" aims at ML engineer. A role named after a cue of wanting
    ("for", "become", "target is") beats one named as what the asker is or was."""
    low = text.lower()
    best: tuple[tuple[int, int], Role] | None = None
    for role in roles:
        names = {role.id.replace("-", " "), role.name.lower(), *(a.lower() for a in role.aliases)}
        for name in names:
            for m in re.finditer(r"(?<![a-z0-9])" + re.escape(name) + r"(?![a-z0-9])", low):
                before = low[max(0, m.start() - 40):m.start()]
                score = 2 * bool(_TARGET_CUE.search(before)) - 3 * bool(_SELF_CUE.search(before))
                key = (score, len(name))
                if best is None or key > best[0]:
                    best = (key, role)
    return best[1] if best else match_role(text, roles)


_HOURS = re.compile(
    r"(\d{1,2}(?:\.\d)?)\s*(?:-|to)?\s*(?:\d{1,2}\s*)?(?:hours?|hrs?|h)\b"
    r"(?:\s*(?:a|per|each|every|/)\s*week|\s*weekly|\s*a\s*wk|\s*/\s*wk)", re.I)
_HOURS_DAY = re.compile(
    r"(\d{1,2}(?:\.\d)?)\s*(?:hours?|hrs?|h)\b\s*(?:a|per|each|every|/)\s*day", re.I)
_LEVEL = [
    ("advanced", re.compile(r"\b(advanced|expert|senior|experienced (ml|data|ai))\b", re.I)),
    ("intermediate", re.compile(r"\b(intermediate|some experience|mid[- ]level)\b", re.I)),
    ("beginner", re.compile(
        r"\b(beginner|newbie|novice|complete(ly)? new|just starting|new to (ai|ml|machine "
        r"learning|data|programming)|no experience|from scratch|starting out)\b", re.I)),
]
_FREE = re.compile(r"\b(free|no budget|no money|can'?t afford|cannot afford|zero budget|"
                   r"without paying|don'?t want to pay|broke)\b", re.I)
_PAID_OK = re.compile(r"\b(paid is fine|happy to pay|willing to pay|budget is not an issue|"
                      r"any budget)\b", re.I)
_BACKGROUND = re.compile(
    r"\bI(?:'m| am)(?: currently)? (?:a|an) ((?:[\w+#.-]+ ){0,4}?(?:developer|engineer|"
    r"analyst|student|teacher|manager|designer|scientist|researcher|accountant|consultant|"
    r"administrator|nurse|doctor|lawyer|physicist|mathematician|economist|marketer|"
    r"programmer|architect|tester|statistician|graduate|professional))\b", re.I)
_BACKGROUND_WORK = re.compile(r"\bI (?:work|have worked) as (?:a|an) ([\w+#. -]{3,60}?)"
                              r"(?:[,.;]| for| with| and|$)", re.I)
_WANT_ROLE = re.compile(
    r"\b(become|becoming|be|transition(?:ing)? (?:in)?to|switch(?:ing)? to|move (?:in)?to|"
    r"moving (?:in)?to|get (?:a job |hired )?as|work as|career as|aim(?:ing)? for|want to be|"
    r"land (?:a|an)?|role as|job as|target(?:ing)?|picked|chosen|chose|decided on|settled on|"
    r"going for|gone for|opted for|committed to)\b", re.I)


_FITS_ME = re.compile(r"\b(sounds|seems|feels) like (me|my thing|a (good )?fit|the one for me)\b|"
                     r"\bis (the one )?for me\b", re.I)


def profile_from_text(text: str, roles: list[Role]) -> LearnerProfile:
    """Profile facts a user states in a message; only what is said explicitly."""
    data: dict[str, object] = {}
    if m := _HOURS.search(text):
        data["hours_per_week"] = min(float(m.group(1)), 100.0)
    elif m := _HOURS_DAY.search(text):
        data["hours_per_week"] = min(float(m.group(1)) * 7, 100.0)
    for level, pattern in _LEVEL:
        if pattern.search(text):
            data["level"] = level
            break
    if _PAID_OK.search(text):
        data["budget"] = "any"
    elif _FREE.search(text) and re.search(
            r"\b(only|budget|afford|pay|money|free (resources|courses|books|options|stuff)|"
            r"for free|free ones)\b", text, re.I):
        data["budget"] = "free"
    if m := _BACKGROUND.search(text):
        background = m.group(1).strip()
        if not _WANT_ROLE.search(text[max(0, m.start() - 30):m.start()]):
            data["background"] = background
    elif m := _BACKGROUND_WORK.search(text):
        data["background"] = m.group(1).strip()
    if (want := _WANT_ROLE.search(text)) and (role := match_role(text[want.end():], roles)):
        data["target_role"] = role.name.lower()
    elif (fit := _FITS_ME.search(text)) and (role := match_role(text[:fit.start()], roles)):
        data["target_role"] = role.name.lower()  # "NLP engineer sounds like me"
    return LearnerProfile.model_validate(data)


_FREE_ASK = re.compile(r"\b(?<!feel )free\b(?!-form|\s+(time|hours?|weekends?|evenings?|days?|tier|"
                       r"will|speech|text))|"
                       r"\bno[- ]cost\b|\bwithout paying\b|\bfree of charge\b", re.I)


def asks_for_free(text: str) -> bool:
    """Whether a question asks for free resources ("which of those are free?"): a filter
    for this answer only, unlike a stated budget, which goes into the profile."""
    return bool(_FREE_ASK.search(text))


_MATERIAL = re.compile(r"\b(course|courses|book|books|textbook|tutorials?|resources?|"
                       r"reading list|further reading|(?:something|what) to read|read next|"
                       r"mooc|specializ\w+|specialis\w+|lectures?|"
                       r"certificat\w*|podcasts?|newsletters?|videos?)\b", re.I)


def asks_for_material(text: str) -> bool:
    """Whether a request asks for something to learn from ("which course next?")."""
    return bool(_MATERIAL.search(text))


def formats_in_text(text: str) -> list[str]:
    """Resource kinds a question asks for ("which books ..." -> ["book"])."""
    low = text.lower()
    found = []
    for word, kind in _FORMAT_WORDS.items():
        if re.search(rf"\b{re.escape(word)}\b", low) and kind not in found:
            if kind == "tool" and not _TOOL_REQUEST.search(low):
                continue  # "AI tools automate..." is a topic, not a request for tools
            found.append(kind)
    return found


_TOOL_REQUEST = re.compile(r"\b(which|what|recommend|suggest|best|good|useful|free|any|some)"
                           r"\b(\s+[\w-]+){0,2}\s+tools?\b")
