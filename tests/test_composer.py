"""The grounded composer writes one coherent reply: the direct answer first, a few steps
that answer the question and fit the person, resources only when asked about, every claim
cited in reading order. These run on hand-made passages (no index needed)."""

from __future__ import annotations

import re

from bot.answer.composer import compose
from bot.answer.retrieval import Hit
from bot.answer.turn import Context, Standing
from bot.learner.person import Person
from corpus.schema import Card


def guide_hit(source: str, section: int, score: float, text: str, stage: str = "building-blocks",
              audience: str = "") -> Hit:
    meta = {"source_id": source, "stage": stage, "kind": "guide", "audience": audience,
            "title": source.replace("-", " "), "section": f"part {section}",
            "checked": "2026-11"}
    return Hit(chunk_id=f"{source}#{section}", text=f"{source}: part {section}\n{text}",
               meta=meta, score=score)


def resource_hit(source: str, title: str, topics: str, level: str = "beginner",
                 checked: str = "2026-12") -> Hit:
    meta = {"source_id": source, "stage": "resources", "kind": "resource", "format": "book",
            "title": title, "level": level, "cost": "free", "topics": topics,
            "checked": checked}
    return Hit(chunk_id=source, text=f"{title}. A book.\nA clear book about {topics}.",
               meta=meta, score=0.02)


def context(question: str, passages: list[Hit], **kw: object) -> Context:
    values: dict[str, object] = {"stage": "building-blocks", "next_stage": "resources",
                                 "resources": [], "max_steps": 4}
    values.update(kw)
    return Context(question=question, passages=passages, **values)  # type: ignore[arg-type]


KINDS_1 = "Supervised learning learns from labelled examples to predict an answer."
KINDS_2 = "Unsupervised learning finds structure such as clusters in unlabelled data."
OTHER = "PyTorch and TensorFlow are the two most widely used deep learning frameworks."
QUESTION = "What is the difference between supervised and unsupervised learning?"


def test_a_second_section_nearly_as_strong_as_the_best_beats_a_weaker_guide():
    text = compose(context(QUESTION, [guide_hit("ml-concepts", 0, 0.033, KINDS_1),
                                      guide_hit("ml-concepts", 1, 0.030, KINDS_2),
                                      guide_hit("frameworks", 0, 0.016, OTHER)],
                           max_steps=2)).text
    assert "Unsupervised learning finds structure" in text
    assert "PyTorch" not in text


def test_no_guide_gives_more_than_two_parts_of_the_reply():
    passages = [guide_hit("ml-concepts", n, 0.033 - n * 0.001, f"{KINDS_1} Part {n} of it.")
                for n in range(4)] + [guide_hit("frameworks", 0, 0.032, OTHER)]
    composed = compose(context("supervised learning frameworks", passages))
    assert composed.text.count("[1]") <= 2
    assert [h.source_id for h in composed.sources].count("ml-concepts") == 1


def test_the_direct_answer_comes_first_and_citations_count_up_as_read():
    card = Card(id="card-bb-supervised", stage="building-blocks", shape="define",
                question=QUESTION, answer="Supervised learning uses labelled examples; "
                "unsupervised learning finds structure without labels.",
                supports=["guide-ml-concepts"], checked="2026-12")
    card_hit = Hit(chunk_id=card.id, text=card.answer, meta={
        "source_id": card.id, "kind": "card", "stage": "building-blocks",
        "title": card.question})
    composed = compose(context(QUESTION, [guide_hit("ml-concepts", 0, 0.033, KINDS_1)],
                               shape="define", card=card, card_hit=card_hit))
    assert composed.text.startswith("Supervised learning uses labelled examples")
    numbers = [int(n) for n in re.findall(r"\[(\d+)\]", composed.text)]
    assert numbers == sorted(numbers) and numbers[0] == 1
    assert [h.source_id for h in composed.sources][:1] == ["card-bb-supervised"]


def test_a_quote_never_opens_by_pointing_back_at_what_it_leaves_out():
    text = ("Books give depth and a consistent structure for foundations. Their weakness is "
            "that code examples age quickly.")
    composed = compose(context("what is the weakness of books for learning code?",
                               [guide_hit("books", 0, 0.03, text)]))
    assert "Their weakness" not in composed.text.split("Books give depth")[0]
    assert "Books give depth" in composed.text


def test_units_for_another_audience_are_left_out():
    academic = guide_hit("roles", 1, 0.033, "With a strong publication record, research "
                         "scientist roles at labs fit well.", stage="landscape",
                         audience="academic")
    general = guide_hit("roles", 0, 0.030, "Pick the role whose daily work you would enjoy "
                        "most, then test it with a small project.", stage="landscape")
    nurse = Person(audience=frozenset({"career-changer"}), level="beginner")
    text = compose(context("Which role fits me?", [academic, general], stage="landscape",
                           person=nurse)).text
    assert "publication record" not in text
    assert "Pick the role" in text
    unknown = compose(context("Which role fits me?", [academic, general],
                              stage="landscape")).text
    assert "publication record" not in unknown, "nothing known: no audience-specific advice"


def test_nothing_the_learner_already_knows_is_recommended():
    stats_book = resource_hit("res-stats", "Statistics Made Clear", "statistics,probability")
    ml_book = resource_hit("res-ml", "Machine Learning Made Clear", "machine learning,python")
    graduate = Person(knows=frozenset({"statistics", "probability"}))
    composed = compose(context("Which books should I read?", [], stage="resources",
                               resources=[stats_book, ml_book], show_resources=True,
                               shape="best", person=graduate))
    cited = [h.source_id for h in composed.sources]
    assert "res-stats" not in cited and "res-ml" in cited
    steps = compose(context("What should I learn?", [guide_hit(
        "skills", 0, 0.03, "Learn statistics before anything else. Practise Python daily "
        "on small data tasks.")], person=graduate)).text
    assert "Learn statistics" not in steps and "Practise Python" in steps


def test_a_yes_no_question_gets_a_short_reply_without_a_resource_list():
    passages = [guide_hit(f"g{n}", 0, 0.03 - n * 0.001,
                          f"Kaggle competitions help a portfolio when you write up point {n}.")
                for n in range(5)]
    composed = compose(context("Do Kaggle competitions help a portfolio?", passages,
                               shape="yes_no", resources=[resource_hit("res-x", "X", "kaggle")],
                               stage="portfolio"))
    assert composed.reply is not None
    assert len(composed.reply.steps) <= 2 and not composed.reply.resources
    assert not composed.reply.after


def test_a_learner_who_finished_courses_hears_why_the_gap_is_a_portfolio():
    from types import SimpleNamespace

    stages = {"portfolio": SimpleNamespace(name="Build your portfolio", gap="a portfolio",
                                           after="Then network.",
                                           first_step="Plan one project this week.")}
    composed = compose(context(
        "What should I do now?", [guide_hit("projects", 0, 0.03, "Build one end-to-end "
                                            "project for your target role.", stage="portfolio")],
        stage="portfolio", next_stage="network-and-job", shape="what_next", stages=stages,
        standing=Standing(finished=["Machine Learning Specialization"], asked_next=True)))
    first = composed.text.split("\n")[0]
    assert first == ("You have finished *Machine Learning Specialization*, so the next link on "
                     "your chain is a portfolio.")


def test_steps_never_say_the_same_thing_twice():
    same = "Write a README that states the problem, the data and the result of the project."
    passages = [guide_hit("readme", 0, 0.03, same), guide_hit("github", 0, 0.029, same),
                guide_hit("demo", 0, 0.028, "Deploy a small demo so reviewers can try the "
                          "project without installing anything.")]
    text = compose(context("How do I present a project?", passages, shape="how_to",
                           stage="portfolio")).text
    assert text.count("states the problem, the data") == 1


def test_a_request_for_a_course_names_one_to_start_with_and_how_to_start_it():
    resources = [resource_hit("res-adv", "Deep SQL", "sql", level="advanced"),
                 resource_hit("res-easy", "SQL Basics", "sql", level="beginner")]
    composed = compose(context("good free SQL course for a beginner?", [], shape="open",
                               stage="resources", resources=resources, show_resources=True,
                               asks_material=True, person=Person(level="beginner")))
    assert composed.reply is not None
    assert composed.reply.lead.startswith("Start with **SQL Basics**")  # the learner's level
    assert "*SQL Basics*" in composed.reply.next_step and "first chapter" in \
        composed.reply.next_step  # a book: start its first chapter


def test_a_what_next_question_without_a_card_still_ends_in_one_concrete_step():
    from types import SimpleNamespace

    stages = {"portfolio": SimpleNamespace(
        name="Build your portfolio", gap="a portfolio", after="Then network.",
        first_step="Pick one project and push a first version to GitHub this week.")}
    composed = compose(context(
        "What should I focus on now?", [guide_hit("projects", 0, 0.03, "Build one end-to-end "
                                                  "project for your target role.",
                                                  stage="portfolio")],
        stage="portfolio", shape="what_next", stages=stages))
    assert composed.reply is not None
    assert composed.reply.next_step == ("Pick one project and push a first version to GitHub "
                                        "this week.")
    assert "**Your next step:**" in composed.text


def test_with_nothing_to_go_on_the_reply_says_so_plainly_instead_of_being_empty():
    composed = compose(context("Tell me something", [], shape="open", stage=None))
    assert composed.text.strip() and "don't have curated material" in composed.text


def _portfolio_stages() -> dict[str, object]:
    from types import SimpleNamespace

    return {"portfolio": SimpleNamespace(
        name="Build your portfolio", gap="a portfolio", after="Then network.",
        first_step="Pick one project and push a first version to GitHub this week.")}


def test_a_learner_with_a_target_role_gets_that_roles_own_next_step():
    from types import SimpleNamespace

    role = SimpleNamespace(id="ml-engineer", name="ML engineer", skills=[],
                           first_steps={"portfolio": "Train a small model and serve it behind "
                                                     "an API, with a README that runs."})
    composed = compose(context("what now?", [], stage="portfolio", shape="what_next",
                               stages=_portfolio_stages(), role=role, chain_placed=True))
    assert composed.reply is not None
    assert composed.reply.next_step.startswith("Train a small model and serve it")


def test_without_a_named_role_the_next_step_leans_on_what_they_finished_and_says_so():
    from types import SimpleNamespace

    leaning = SimpleNamespace(id="ml-engineer", name="ML engineer",
                              first_steps={"portfolio": "Train a small model and serve it "
                                                        "behind an API."})
    composed = compose(context("what now?", [], stage="portfolio", shape="what_next",
                               stages=_portfolio_stages(), leaning_role=leaning,
                               chain_placed=True))
    assert composed.reply is not None
    step = composed.reply.next_step
    assert "points towards ML engineer work" in step and "serve it behind an API" in step
