"""Replaying a stored answer: how it was made, and whether careerbot still answers the same.

A trace keeps the question as asked (profile, conversation, the stage before, retrieval
settings, the corpus and prompts versions). Replaying re-asks it over a scratch state store,
so nothing is left behind, and names what changed since: the index, the corpus, the prompts
or the generator.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bot.answer import prompts
from bot.app import build_bot
from bot.learner.profile import LearnerProfile
from bot.settings import Settings
from bot.store.state import StateStore


def replay_trace(s: Settings, trace: dict[str, Any]) -> dict[str, Any]:
    """Re-run a stored answer as it was asked (question, profile, conversation, stage before,
    retrieval settings) and say whether it is still the same.

    The re-run uses a scratch state store, so replaying leaves nothing behind."""
    then = trace.get("settings") or {}
    if then.get("top_k"):
        s = s.model_copy(update={"top_k": then["top_k"]})
    before = trace["answer"]
    expected = before["answer"]
    note = trace.get("review_note")
    if note and expected.endswith(f"\n\n{note}"):  # a dated reminder, not part of the answer
        expected = expected[: -len(note) - 2]
    with tempfile.TemporaryDirectory(prefix="careerbot-replay-") as tmp:
        scratch = StateStore.open(f"sqlite:///{Path(tmp) / 'replay.db'}")
        if trace.get("previous_stage"):
            scratch.add_turn("replay", "assistant", "(earlier answer)", trace["previous_stage"])
        history = [(t[0], t[1]) for t in trace["history"]] if "history" in trace else None
        bot = build_bot(s, store=scratch, retrieval_mode=then.get("retrieval_mode", "hybrid"),
                        use_filters=then.get("use_filters", True))
        now = bot.ask(trace["question"], user_id="replay", history=history,
                      profile=LearnerProfile(**trace.get("profile", {})))
        now_settings = bot.settings_snapshot()
        scratch.engine.dispose()
    differs = [name for name, a, b in (
        ("answer text", now.answer, expected), ("stage", now.stage, before.get("stage")),
        ("declined", now.declined, before.get("declined")),
        ("sources", [x.id for x in now.sources], [x["id"] for x in before["sources"]]))
        if a != b]
    changed = [f"{k}: {then.get('index', {}).get(k)} -> {v}" for k, v in
               now_settings["index"].items()
               if then.get("index") and then["index"].get(k) != v and k != "collection"]
    if trace.get("generator") != bot.generator.name:
        changed.append(f"generator: {trace.get('generator')} -> {bot.generator.name}")
    if trace.get("prompts_version") != prompts_version():
        changed.append(f"prompts: {trace.get('prompts_version')} -> {prompts_version()}")
    if trace.get("corpus_version") != bot.corpus_version:
        changed.append(f"corpus: {trace.get('corpus_version') or 'unknown'} -> "
                       f"{bot.corpus_version}")
    return {
        "trace_id": trace.get("trace_id"), "question": trace["question"],
        "history": trace.get("history", []), "profile": trace.get("profile", {}),
        "query": trace.get("query"), "follow_up": trace.get("follow_up"),
        "scope": trace.get("scope"), "stage": before.get("stage"),
        "stage_scores": trace.get("stage_scores"), "filters": trace.get("filters"),
        "passages": trace.get("passages") or [], "resources": trace.get("resources") or [],
        "generator": trace.get("generator"), "prompts_version": trace.get("prompts_version"),
        "corpus_version": trace.get("corpus_version"), "settings": then,
        "same": not differs, "differs": differs, "changed_since": changed,
        "sources_then": [x["id"] for x in before["sources"]],
        "sources_now": [x.id for x in now.sources], "answer_then": expected,
        "answer_now": now.answer}


def prompts_version() -> str:
    return prompts.PROMPTS_VERSION


__all__ = ["prompts_version", "replay_trace"]
