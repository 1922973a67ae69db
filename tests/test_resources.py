"""Which resources an answer lists: never what was finished, fresh first where the field moves
fast, the classics kept for the fundamentals."""

from __future__ import annotations

from bot.answer.resources import by_freshness, fast_moving
from bot.answer.retrieval import Hit


def hit(source: str, score: float, year: int = 0, checked: str = "2026-11") -> Hit:
    return Hit(chunk_id=source, text=source, score=score,
               meta={"source_id": source, "kind": "resource", "year": year, "checked": checked})


def test_fast_moving_topics_are_recognised():
    for question in ("Which course should I take to build LLM agents?",
                     "What's the best certification for Azure AI?",
                     "How is the AI job market for juniors?", "Best resources on RAG?"):
        assert fast_moving(question), question
    for question in ("Which book should I read on linear algebra?",
                     "How do decision trees work?", "A good statistics course?"):
        assert not fast_moving(question), question


def test_on_a_fast_moving_topic_the_newer_of_two_close_resources_comes_first():
    old = hit("res-llm-2022", 0.0330, year=2022)
    new = hit("res-llm-2025", 0.0320, year=2025)
    assert [h.source_id for h in by_freshness([old, new])] == ["res-llm-2025", "res-llm-2022"]
    same_year = [hit("res-a", 0.033, 2024, "2025-06"), hit("res-b", 0.032, 2024, "2026-12")]
    assert [h.source_id for h in by_freshness(same_year)] == ["res-b", "res-a"], \
        "checked more recently breaks a tie of years"


def test_a_clearly_better_classic_keeps_its_place():
    classic = hit("res-classic-2016", 0.0330, year=2016)
    newer_but_weaker = hit("res-new-2025", 0.0200, year=2025)
    assert [h.source_id for h in by_freshness([classic, newer_but_weaker])] == [
        "res-classic-2016", "res-new-2025"]


def test_resources_the_learner_finished_are_never_listed(engine_bot):
    answer = engine_bot.ask("I finished the Deep Learning Specialization and fast.ai. Which "
                            "course should I take next to go deeper?")
    cited = {s.id for s in answer.sources}
    assert not cited & {"res-course-deep-learning-specialization", "res-course-fastai"}
    assert answer.stage == "resources", "asking for the next course keeps them at resources"
    assert {"res-course-deep-learning-specialization", "res-course-fastai"} <= set(answer.done)
    level = {r.id: r.level for r in engine_bot.corpus.resources}
    levels = [level[s.id] for s in answer.sources if s.id in level]
    assert levels and levels[0] != "beginner", "the next level up comes first"
