"""Eval datasets: JSONL, one case a line, validated before anything runs.

A case (the evals issue; INTERFACES.md points there)::

    {"id": "bb-03", "question": "...", "history": [{"role": "user", "content": "..."}],
     "profile": {...}, "expected_stage": "building-blocks", "expected_topics": ["sql"],
     "expected_sources": ["role-data-analyst"], "should_decline": false}

``history``, ``profile``, ``expected_sources`` and ``done_sources`` (corpus ids the learner has
finished: the answer must not recommend them) are optional; ``expected_stage`` may be null
and ``expected_topics`` empty, but both keys must be there, so a forgotten label is an error
rather than a silently skipped metric. Optional bookkeeping keys: ``tags`` (list of str, used
to group cases in the report; ``progression`` marks "what next from where I stand" cases,
scored by ``next_step_accuracy``), ``note``, ``source``, ``comment``. Candidate cases exported by
``careerbot feedback to-eval`` carry ``needs_review: true`` and are refused until reviewed.

A bad line raises :class:`DatasetError` naming the file, line and field (exit code 2).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.learner.profile import LearnerProfile, ProfileError, parse_profile, require_known
from corpus.schema import STAGES, Corpus

REQUIRED = ("id", "question", "expected_stage", "expected_topics", "should_decline")
OPTIONAL = ("history", "profile", "expected_sources", "done_sources", "tags", "note", "source",
            "comment", "needs_review")


class DatasetError(ValueError):
    """A dataset line that cannot be used; the message names file, line and field."""


@dataclass
class EvalCase:
    """One validated case; ``line`` is where it came from (1-based)."""

    id: str
    question: str
    expected_stage: str | None
    expected_topics: list[str]
    should_decline: bool
    history: list[dict[str, str]] = field(default_factory=list)
    profile: LearnerProfile | None = None
    expected_sources: list[str] = field(default_factory=list)
    done_sources: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    line: int = 0

    def prior_user_turns(self) -> list[str]:
        """The user turns of ``history``, replayed before the question."""
        return [t["content"] for t in self.history if t["role"] == "user"]


def _fail(where: str, fieldname: str, msg: str) -> DatasetError:
    return DatasetError(f"{where}: field '{fieldname}': {msg}")


def _str_list(value: Any, where: str, name: str, lower: bool = False) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(where, name, "must be a list of non-empty strings")
    if lower and any(v != v.lower() for v in value):
        raise _fail(where, name, "phrases must be lower-case")
    return [v.strip() for v in value]


def _history(value: Any, where: str) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise _fail(where, "history", "must be a list of {role, content} objects")
    out = []
    for i, turn in enumerate(value):
        if not isinstance(turn, dict) or set(turn) != {"role", "content"}:
            raise _fail(where, f"history[{i}]", "must have exactly the keys role and content")
        if turn["role"] not in ("user", "assistant"):
            raise _fail(where, f"history[{i}].role", "must be 'user' or 'assistant'")
        if not isinstance(turn["content"], str) or not turn["content"].strip():
            raise _fail(where, f"history[{i}].content", "must be a non-empty string")
        out.append({"role": turn["role"], "content": turn["content"]})
    return out


def parse_case(data: Any, where: str, known_ids: set[str] | None = None,
               corpus: Corpus | None = None) -> EvalCase:
    """Validate one decoded line; ``corpus`` checks a profile's ``target_role`` and ``done``."""
    if not isinstance(data, dict):
        raise DatasetError(f"{where}: must be a JSON object")
    for key in REQUIRED:
        if key not in data:
            raise _fail(where, key, "is missing")
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise _fail(where, unknown[0], f"unknown key (known: {', '.join(REQUIRED + OPTIONAL)})")
    if data.get("needs_review"):
        raise _fail(where, "needs_review", "is true: review the case, then remove the flag")
    cid, question = data["id"], data["question"]
    if not isinstance(cid, str) or not cid.strip():
        raise _fail(where, "id", "must be a non-empty string")
    if not isinstance(question, str) or not question.strip():
        raise _fail(where, "question", "must be a non-empty string")
    stage = data["expected_stage"]
    if stage is not None and stage not in STAGES:
        raise _fail(where, "expected_stage", f"{stage!r} is not one of {', '.join(STAGES)} "
                    "or null")
    decline = data["should_decline"]
    if not isinstance(decline, bool):
        raise _fail(where, "should_decline", "must be true or false")
    if decline and stage is not None:
        raise _fail(where, "expected_stage", "must be null when should_decline is true")
    sources = _str_list(data.get("expected_sources", []), where, "expected_sources")
    done = _str_list(data.get("done_sources", []), where, "done_sources")
    if known_ids is not None:
        for name, ids in (("expected_sources", sources), ("done_sources", done)):
            bad = [s for s in ids if s not in known_ids]
            if bad:
                raise _fail(where, name, f"unknown corpus id {bad[0]!r}")
    profile = None
    if data.get("profile") is not None:
        try:
            profile = parse_profile(data["profile"], f"{where}: field 'profile'")
        except ProfileError as exc:
            raise DatasetError(str(exc)) from None
        if corpus is not None:
            try:
                require_known(profile, corpus)
            except ProfileError as exc:
                raise _fail(where, "profile", str(exc).removeprefix("profile: ")) from None
    return EvalCase(
        id=cid.strip(), question=question, expected_stage=stage,
        expected_topics=_str_list(data["expected_topics"], where, "expected_topics", lower=True),
        should_decline=decline, history=_history(data.get("history", []), where),
        profile=profile, expected_sources=sources, done_sources=done,
        tags=_str_list(data.get("tags", []), where, "tags"))


def parse_lines(lines: Iterable[str], name: str, known_ids: set[str] | None = None,
                corpus: Corpus | None = None) -> list[EvalCase]:
    """Cases from JSONL lines; blank lines are skipped, ids must be unique."""
    cases: list[EvalCase] = []
    seen: dict[str, int] = {}
    for n, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        where = f"{name} line {n}"
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") \
                from None
        case = parse_case(data, where, known_ids, corpus)
        if case.id in seen:
            raise _fail(where, "id", f"{case.id!r} repeats the id of line {seen[case.id]}")
        seen[case.id] = n
        case.line = n
        cases.append(case)
    if not cases:
        raise DatasetError(f"{name}: no cases (one JSON object per line)")
    return cases


def load_dataset(path: Path, known_ids: set[str] | None = None,
                 corpus: Corpus | None = None) -> list[EvalCase]:
    """Read and validate a JSONL dataset; ``known_ids`` checks ``expected_sources`` and
    ``done_sources``, ``corpus`` the profiles' target roles and ``done`` entries."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f"{path}: dataset file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read ({exc})") from None
    return parse_lines(text.splitlines(), str(path), known_ids, corpus)
