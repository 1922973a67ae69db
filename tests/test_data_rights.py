"""Your data in your hands: show it, forget it, turn feedback into eval cases, replay answers."""

from __future__ import annotations

import importlib
import json
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from bot.learner.assess import apply_assessment, assess, assessment_questions
from bot.learner.plan import plan_for_user
from bot.learner.profile import LearnerProfile
from ui.cli import COMMAND_MODULES, cli

for _name in COMMAND_MODULES:
    importlib.import_module(_name)


def run(args: list[str], settings):
    return CliRunner().invoke(cli, args, env={"CAREERBOT_DATA_DIR": str(settings.data_dir)})


def fill_user(bot, user: str, marker: str) -> list[str]:
    """Everything a user can leave behind: history, traces, profile, roadmap, plan, feedback."""
    first = bot.ask(f"I'm a backend developer with 5 hours a week ({marker}). "
                    "How do I become a machine learning engineer?", user_id=user)
    second = bot.ask("And which projects should I build?", user_id=user)
    bot.store.add_feedback(rating=-1, trace_id=second.trace_id, user_id=user,
                           comment="wrong level: too advanced for me",
                           question=f"And which projects should I build? ({marker})",
                           answer=second.answer, stage=second.stage)
    answers = {q["id"]: ("yes" if q["kind"] == "yes_no" else 4)
               for q in assessment_questions(bot.corpus)}
    answers["pf-projects"] = "no"
    apply_assessment(bot.store, user, assess(bot.corpus, answers))
    plan_for_user(bot.store, bot.corpus, user)
    return [first.trace_id, second.trace_id]


def rows_mentioning(engine: sa.Engine, user: str, marker: str) -> list[str]:
    """Every row in every table of the store that names the user or carries their words."""
    found = []
    with engine.connect() as c:
        meta = sa.MetaData()
        meta.reflect(c)
        for table in meta.sorted_tables:
            texts = [col for col in table.columns if isinstance(col.type, sa.String | sa.Text)]
            if not texts:
                continue
            cond = sa.or_(*[col.contains(user) for col in texts],
                          *[col.contains(marker) for col in texts])
            n = c.execute(sa.select(sa.func.count()).select_from(table).where(cond)).scalar()
            if n:
                found.append(f"{table.name}: {n}")
    return found


def test_show_my_data_then_forget_me_leaves_nothing_behind(fake_bot, fake_settings):
    ana, bo = f"ana-{uuid.uuid4().hex[:8]}", f"bo-{uuid.uuid4().hex[:8]}"
    marker_a, marker_b = f"zx{uuid.uuid4().hex[:10]}", f"zx{uuid.uuid4().hex[:10]}"
    fill_user(fake_bot, ana, marker_a)
    fill_user(fake_bot, bo, marker_b)

    shown = run(["data", "show", "--user", ana], fake_settings)
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert data["profiles"][0]["data"]["hours_per_week"] == 5
    assert data["roadmaps"][0]["data"]["current"] == "portfolio"
    assert len(data["turns"]) == 4 and len(data["traces"]) == 2
    assert data["plans"][0]["data"]["items"] and data["feedback"][0]["rating"] == -1

    engine = fake_bot.store.engine
    assert rows_mentioning(engine, ana, marker_a)
    gone = run(["data", "forget", "--user", ana], fake_settings)
    assert gone.exit_code == 0 and "deleted" in gone.stdout
    assert rows_mentioning(engine, ana, marker_a) == [], "no row of any table remains"
    assert json.loads(run(["data", "show", "--user", ana], fake_settings).stdout) == {
        "user_id": ana, "profiles": [], "turns": [], "roadmaps": [], "plans": [],
        "feedback": [], "traces": []}
    assert len(rows_mentioning(engine, bo, marker_b)) >= 5, "other users are untouched"
    # the index holds the corpus only: no conversation ever reaches it
    for path in Path(fake_settings.data_dir).rglob("*"):
        if path.is_file() and not path.is_symlink() and "careerbot.db" not in path.name:
            assert marker_a.encode() not in path.read_bytes(), path


def test_a_thumbs_down_becomes_a_valid_eval_case(fake_bot, fake_settings, tmp_path):
    from evals.dataset import DatasetError, parse_case

    user, marker = f"fb-{uuid.uuid4().hex[:8]}", f"zx{uuid.uuid4().hex[:10]}"
    trace_ids = fill_user(fake_bot, user, marker)
    liked = fake_bot.ask(f"Which podcasts about AI careers do you recommend? {marker}")
    fake_bot.store.add_feedback(rating=1, trace_id=liked.trace_id,
                                  question=f"liked {marker}", answer=liked.answer)
    declined = fake_bot.ask(f"Give me a recipe for chocolate cake {marker}")
    fake_bot.store.add_feedback(rating=-1, trace_id=declined.trace_id,
                                  question=f"Give me a recipe for chocolate cake {marker}",
                                  comment="off-topic", answer=declined.answer)

    exported = run(["feedback", "export"], fake_settings)
    mine = [json.loads(x) for x in exported.stdout.splitlines() if marker in x]
    assert sorted(map(str, {r["reason"] for r in mine})) == ["None", "off-topic", "wrong level"]

    out_file = tmp_path / "candidates.jsonl"
    out = run(["feedback", "to-eval", "--out", str(out_file)], fake_settings)
    assert out.exit_code == 0, out.output
    cases = {c["question"]: c for c in map(json.loads, out_file.read_text().splitlines())}
    assert not any("liked" in q for q in cases), "only thumbs-down rows become cases"
    follow_up = cases[f"And which projects should I build? ({marker})"]
    assert follow_up["comment"] == "too advanced for me"
    for n, case in enumerate(c for q, c in cases.items() if marker in q):
        assert case["needs_review"] is True
        with pytest.raises(DatasetError, match="needs_review"):
            parse_case(case, f"case {n}")
        reviewed = {k: v for k, v in case.items() if k != "needs_review"}
        parsed = parse_case(reviewed, f"case {n}", known_ids=None)
        assert parsed.question == case["question"]
    assert follow_up["history"][0]["role"] == "user" and marker in follow_up["history"][0][
        "content"], "the conversation before the answer comes along"
    assert follow_up["profile"]["hours_per_week"] == 5
    assert "wrong-level" in follow_up["tags"]
    assert follow_up["expected_stage"] == fake_bot.store.get_trace(trace_ids[1])[
        "answer"]["stage"]
    cake = cases[f"Give me a recipe for chocolate cake {marker}"]
    assert cake["expected_stage"] is None and cake["should_decline"] is False
    assert "declined" in cake["note"]


def test_replay_reproduces_a_stored_answer(career_bot, full_settings):
    """Real model only: ``careerbot replay`` builds its own bot with the configured encoder."""
    user = f"replay-{uuid.uuid4().hex[:8]}"
    career_bot.ask("I want to become a data analyst, where do I start?", user_id=user,
                   profile=LearnerProfile(level="beginner", budget="free"))
    answer = career_bot.ask("And which books should I read?", user_id=user)
    with career_bot.store.engine.connect() as c:
        traces_before = c.execute(sa.text("SELECT count(*) FROM traces")).scalar()

    out = run(["replay", answer.trace_id, "--json"], full_settings)
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["same"] is True, report["differs"]
    assert report["question"] == "And which books should I read?"
    assert report["follow_up"] is True and "data analyst" in report["query"]
    assert report["history"][0][1].startswith("I want to become a data analyst")
    assert report["filters"]["level"] == "beginner"
    assert report["passages"] and {"id", "score", "dense_sim", "bm25"} <= set(
        report["passages"][0])
    assert set(report["stage_scores"]) >= {"resources"}
    assert report["generator"] and report["settings"]["index"]["corpus_hash"]
    assert report["sources_now"] == [s.id for s in answer.sources]
    with career_bot.store.engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM traces")).scalar() == traces_before, \
            "replaying leaves nothing in the store"

    text = run(["replay", answer.trace_id], full_settings)
    assert "still the same answer: yes" in text.stdout and "retrieval query" in text.stdout

    changed = dict(career_bot.store.get_trace(answer.trace_id))
    changed["answer"] = {**changed["answer"], "answer": "Read everything."}
    career_bot.store.save_trace("tampered-" + answer.trace_id, None, changed)
    report = json.loads(run(["replay", "tampered-" + answer.trace_id, "--json"],
                            full_settings).stdout)
    assert report["same"] is False and report["differs"] == ["answer text"]
    missing = run(["replay", "no-such-trace"], full_settings)
    assert missing.exit_code == 2 and "no trace with id" in missing.stderr
