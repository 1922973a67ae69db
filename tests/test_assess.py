"""The "where am I?" self-assessment: a backward checklist placing users at the first gap."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.learner.assess import (
    apply_assessment,
    assess,
    assessment_questions,
    gap_reading,
    parse_answer,
)
from bot.settings import DEFAULT_CORPUS_DIR
from bot.store.state import StateStore
from corpus.loader import CorpusError, load_corpus
from corpus.schema import STAGES, Assessment
from ui.cli import COMMAND_MODULES, cli

for _name in COMMAND_MODULES:
    importlib.import_module(_name)


@pytest.fixture(scope="module")
def checklist() -> Assessment:
    corpus = load_corpus(DEFAULT_CORPUS_DIR)
    assert corpus.assessment is not None, "corpus/data/assessment.yaml is loaded with the corpus"
    return corpus.assessment


def answers_for(checklist: Assessment, gaps: set[str]) -> dict[str, object]:
    """Every question answered as done, except the stages in ``gaps`` (answered 'not yet')."""
    out: dict[str, object] = {}
    for block in checklist.stages:
        for q in block.questions:
            ok = block.stage not in gaps
            out[q.id] = ("yes" if ok else "no") if q.kind == "yes_no" else (5 if ok else 1)
    return out


def test_the_checklist_is_corpus_data_walked_backwards(checklist, corpus_ids):
    assert [b.stage for b in checklist.stages] == list(reversed(STAGES))
    questions = assessment_questions(checklist)
    assert [q["stage"] for q in questions][0] == "future-proof"
    assert [q["stage"] for q in questions][-1] == "landscape"
    for block in checklist.stages:
        assert 2 <= len(block.questions) <= 5
    assert {q["kind"] for q in questions} == {"yes_no", "scale"}
    reading = [i for b in checklist.stages for q in b.questions for i in q.read]
    assert reading and set(reading) <= corpus_ids


@pytest.mark.parametrize("stage", STAGES)
def test_placed_at_the_first_stage_with_a_gap(checklist, stage):
    i = STAGES.index(stage)
    # a gap here and one further on: the earlier gap is the one that blocks
    later_gap = {STAGES[i + 1]} if i + 1 < len(STAGES) else set()
    result = assess(checklist, answers_for(checklist, {stage} | later_gap))
    assert result.stage == stage
    assert result.next_stage == (STAGES[i + 1] if i + 1 < len(STAGES) else None)
    assert f"so: {stage}." in result.explanation
    if i > 0:
        have = next(b.have for b in checklist.stages if b.stage == STAGES[i - 1])
        assert result.explanation.startswith(f"You have {have} but ")
    assert result.done_stages == list(STAGES[:i]) + list(STAGES[i + 2:])
    gap_block = next(b for b in checklist.stages if b.stage == stage)
    assert result.next_action == gap_block.questions[0].action


def test_the_articles_example_is_explained(checklist):
    answers = answers_for(checklist, {"network-and-job"})
    result = assess(checklist, answers)
    assert result.explanation.startswith(
        "You have a portfolio but no network yet, so: network-and-job.")


def test_with_every_stage_in_place_the_user_is_future_proof(checklist):
    result = assess(checklist, answers_for(checklist, set()))
    assert result.stage == "future-proof" and result.next_stage is None
    assert result.done_stages == list(STAGES)
    assert "Every stage is in place" in result.explanation


def test_a_required_question_decides_its_stage(checklist):
    answers = answers_for(checklist, set())
    answers["ls-role"] = "no"  # everything else known, but no target role yet
    result = assess(checklist, answers)
    assert result.stage == "landscape"
    assert "no target role yet" in result.explanation
    assert "You already have" in result.explanation  # the later stages still count


def test_answers_are_checked_and_named(checklist):
    answers = answers_for(checklist, set())
    with pytest.raises(ValueError, match="missing answer.*ls-role"):
        assess(checklist, {k: v for k, v in answers.items() if k != "ls-role"})
    with pytest.raises(ValueError, match="unknown question id.*nope"):
        assess(checklist, {**answers, "nope": "yes"})
    with pytest.raises(ValueError, match="'ls-role' must be yes or no"):
        assess(checklist, {**answers, "ls-role": "maybe"})
    with pytest.raises(ValueError, match="'bb-code' must be a number from 1 to 5"):
        assess(checklist, {**answers, "bb-code": 7})
    scale = next(q for q in assessment_questions(checklist) if q["kind"] == "scale")
    assert parse_answer(scale, " 3 ") == 3
    yes_no = next(q for q in assessment_questions(checklist) if q["kind"] == "yes_no")
    assert parse_answer(yes_no, "Y") is True and parse_answer(yes_no, False) is False


def test_a_broken_checklist_is_a_corpus_error(small_corpus):
    raw = yaml.safe_load((DEFAULT_CORPUS_DIR / "assessment.yaml").read_text())
    raw["stages"][0]["need"] = 9
    (small_corpus / "assessment.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(CorpusError, match=r"assessment.yaml.*need is 9"):
        load_corpus(small_corpus)
    raw["stages"][0]["need"] = 1
    raw["stages"].reverse()
    (small_corpus / "assessment.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(CorpusError, match="walked backwards"):
        load_corpus(small_corpus)


def test_the_result_becomes_the_roadmap_the_agent_keeps(checklist, tmp_path):
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    store.set_roadmap("ana", {"covered": ["landscape"], "current": "landscape",
                              "target_role": "data-analyst"})
    result = assess(checklist, answers_for(checklist, {"portfolio"}))
    apply_assessment(store, "ana", result)
    road = store.get_roadmap("ana")
    assert road["current"] == "portfolio" and road["next_stage"] == "network-and-job"
    assert road["next_action"] == result.next_action
    assert road["covered"] == [s for s in STAGES if s != "portfolio"]
    assert road["target_role"] == "data-analyst", "what the agent stored before is kept"
    focus = gap_reading(checklist, road)
    assert "guide-portfolio-what-makes-a-project-stand-out" in focus
    assert all(doc.startswith("guide-portfolio-") for doc in focus)


def run(args: list[str], data_dir: Path, stdin: str | None = None):
    return CliRunner().invoke(cli, args, input=stdin, env={"CAREERBOT_DATA_DIR": str(data_dir)})


def test_assess_command_from_a_file_sets_the_roadmap(checklist, tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump(answers_for(checklist, {"network-and-job"})))
    out = run(["assess", "--user", "bo", "--answers", str(answers)], tmp_path)
    assert out.exit_code == 0, out.output
    assert "so: network-and-job" in out.stdout and "careerbot plan --user bo" in out.stdout
    road = json.loads(run(["roadmap", "--user", "bo", "--json"], tmp_path).stdout)
    assert road["current"] == "network-and-job"
    assert road["assessment"]["gaps"]["network-and-job"][0] == "nj-network"


def test_assess_command_asks_in_the_terminal(checklist, tmp_path):
    typed = []
    for q in assessment_questions(checklist):  # a gap at resources only
        ok = q["stage"] != "resources"
        typed.append(("y" if ok else "n") if q["kind"] == "yes_no" else ("4" if ok else "1"))
    out = run(["assess", "--user", "cy", "--json"], tmp_path, "\n".join(typed) + "\n")
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout[out.stdout.index("{\n"):])
    assert data["stage"] == "resources" and data["roadmap"]["current"] == "resources"


def test_assess_command_refuses_an_incomplete_file_in_one_line(tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"ls-role": "yes"}))
    out = run(["assess", "--answers", str(answers)], tmp_path)
    assert out.exit_code == 2
    assert out.stderr.count("\n") == 1 and "missing answer(s)" in out.stderr


@pytest.mark.parametrize("gaps", [{"portfolio"}, {"landscape", "network-and-job"},
                                  {"resources"}, set()])
def test_assessing_and_chatting_place_a_learner_identically(engine, tmp_path, gaps):
    """The checklist writes the same milestones a chat reads: "what next?" afterwards lands
    on the stage the assessment found, whatever the learner said before."""
    bot = engine.bot(tmp_path)
    bot.ask("I have three projects on GitHub and I finished the fast.ai course.", user_id="u")
    result = assess(bot.corpus, answers_for(bot.corpus.assessment, gaps))
    apply_assessment(bot.store, "u", result)
    answer = bot.ask("What should I do next?", user_id="u")
    assert answer.stage == result.stage
    assert bot.store.get_profile("u").get("done"), "progress is kept with the profile"
