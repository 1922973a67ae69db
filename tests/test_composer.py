"""The grounded composer picks its next steps from the strongest passages."""

from __future__ import annotations

from bot.composer import Context, compose
from bot.retrieval import Hit


def guide_hit(source: str, section: int, score: float, text: str) -> Hit:
    meta = {"source_id": source, "stage": "building-blocks", "kind": "guide",
            "title": source.replace("-", " "), "section": f"part {section}"}
    return Hit(chunk_id=f"{source}#{section}", text=text, meta=meta, score=score)


def steps_of(passages: list[Hit], max_steps: int = 2) -> list[str]:
    ctx = Context(question="What is the difference between supervised and unsupervised "
                  "learning?", stage="building-blocks", next_stage="resources",
                  passages=passages, resources=[], max_steps=max_steps)
    return [s.source_id for s in compose(ctx).sources]


KINDS_1 = "Supervised learning learns from labelled examples to predict an answer."
KINDS_2 = "Unsupervised learning finds structure such as clusters in unlabelled data."
OTHER = "PyTorch and TensorFlow are the two most widely used deep learning frameworks."


def test_a_second_section_nearly_as_strong_as_the_best_beats_a_weaker_guide():
    text = compose(Context(
        question="supervised or unsupervised?", stage="building-blocks", next_stage=None,
        passages=[guide_hit("ml-concepts", 0, 0.033, KINDS_1),
                  guide_hit("ml-concepts", 1, 0.030, KINDS_2),
                  guide_hit("frameworks", 0, 0.016, OTHER)],
        resources=[], max_steps=2)).text
    assert "Unsupervised learning finds structure" in text
    assert "PyTorch" not in text


def test_a_weak_second_section_leaves_room_for_another_guide():
    assert steps_of([guide_hit("ml-concepts", 0, 0.033, KINDS_1),
                     guide_hit("ml-concepts", 1, 0.015, KINDS_2),
                     guide_hit("frameworks", 0, 0.016, OTHER)]) == ["ml-concepts", "frameworks"]


def test_no_guide_gives_more_than_two_steps():
    passages = [guide_hit("ml-concepts", n, 0.033 - n * 0.001, f"{KINDS_1} Part {n}.")
                for n in range(4)] + [guide_hit("frameworks", 0, 0.016, OTHER)]
    ctx = Context(question="supervised learning", stage="building-blocks", next_stage=None,
                  passages=passages, resources=[], max_steps=4)
    text = compose(ctx).text
    assert text.count("[1]") == 2 and "[2]" in text
