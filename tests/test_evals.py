"""`careerbot eval`: datasets, metrics, the runner over the real bot, reports and the CI gate."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from evals import baseline as gate
from evals.dataset import DatasetError, load_dataset, parse_lines
from evals.grounding import Grounder, SourceLookup, claim_sentences
from evals.judge import judge_for, make_judge, parse_score
from evals.metrics import (
    CaseResult,
    aggregate,
    citation_counts,
    ranking,
    retrieval_scores,
    topic_hit,
)
from evals.runner import CONFIGS, run_eval

REQUIRED_METRICS = {"stage_accuracy", "decline_accuracy", "topic_hit_rate", "hit_at_5", "mrr",
                    "ndcg_at_5", "citation_validity", "groundedness", "latency_p50_ms",
                    "latency_p95_ms", "n_cases"}
STAGES = ("landscape", "building-blocks", "resources", "portfolio", "network-and-job",
          "future-proof")


def line(**over: Any) -> str:
    case = {"id": "x1", "question": "How do I start in AI?", "expected_stage": "landscape",
            "expected_topics": ["role"], "should_decline": False}
    case.update(over)
    return json.dumps({k: v for k, v in case.items() if v is not ...})


def result(**over: Any) -> CaseResult:
    base: dict[str, Any] = dict(id="c", question="q", expected_stage="portfolio",
                                should_decline=False, stage="portfolio", stage_confidence=0.8,
                                declined=False, answer="a", sources=[])
    base.update(over)
    return CaseResult(**base)


# -- the datasets ---------------------------------------------------------------------------
def test_dev_set_covers_every_kind_of_case(corpus_ids: set[str]) -> None:
    cases = load_dataset(gate.DEV_SET, known_ids=corpus_ids)
    by_tag = {t: sum(t in c.tags for c in cases) for t in
              ("multi-turn", "profile", "off-topic", "injection", "cv")}
    assert len(cases) >= 90
    assert all(sum(c.expected_stage == s for c in cases) >= 10 for s in STAGES)
    assert by_tag["multi-turn"] >= 8 and by_tag["profile"] >= 8 and by_tag["cv"] >= 4
    assert by_tag["off-topic"] >= 10 and by_tag["injection"] >= 8
    assert all(c.should_decline for c in cases if {"off-topic", "injection"} & set(c.tags))
    assert all(c.history for c in cases if "multi-turn" in c.tags)
    assert all(c.profile for c in cases if "profile" in c.tags)
    assert sum(bool(c.expected_sources) for c in cases) >= 60
    smoke = load_dataset(gate.SMOKE_SET, known_ids=corpus_ids)
    assert 10 <= len(smoke) <= 20


def test_dev_set_walks_every_link_of_the_chain(corpus_ids: set[str]) -> None:
    from bot.settings import DEFAULT_CORPUS_DIR
    from corpus.loader import load_corpus

    cases = load_dataset(gate.DEV_SET, known_ids=corpus_ids,
                         corpus=load_corpus(DEFAULT_CORPUS_DIR))
    progression = [c for c in cases if "progression" in c.tags]
    assert len(progression) >= 40
    assert {c.expected_stage for c in progression} == set(STAGES), "every transition"
    kinds = {k: sum(k in c.tags for c in progression)
             for k in ("single-turn", "multi-turn", "profile")}
    assert all(n >= 8 for n in kinds.values()), kinds
    finished = {d for c in progression for d in c.done_sources}
    assert len(finished) >= 15, "'I already did X' for at least 15 corpus resources"


def test_dev_questions_are_not_the_detectors_anchors() -> None:
    from bot.answer import prompts
    from bot.settings import DEFAULT_CORPUS_DIR
    from corpus.loader import load_corpus

    anchors = {e.strip().lower() for s in load_corpus(DEFAULT_CORPUS_DIR).stages
               for e in s.examples} | {e.lower() for e in prompts.OFF_TOPIC_EXAMPLES}
    questions = {c.question.strip().lower() for c in load_dataset(gate.DEV_SET)}
    assert not anchors & questions


@pytest.mark.parametrize(("text", "needle"), [
    ("{not json", "line 2: not valid JSON"),
    (line(should_decline=...), "line 2: field 'should_decline': is missing"),
    (line(expected_stage="jobs"), "line 2: field 'expected_stage': 'jobs' is not one of"),
    (line(expected_sources=["res-nope"]), "line 2: field 'expected_sources': unknown corpus id"),
    (line(expected_topic=["x"]), "line 2: field 'expected_topic': unknown key"),
    (line(expected_topics=["SQL"]), "line 2: field 'expected_topics': phrases must be lower"),
    (line(id="ok"), "line 2: field 'id': 'ok' repeats the id of line 1"),
    (line(profile={"level": "guru"}), "line 2: field 'profile': 'level'"),
    (line(profile={"age": 3}), "unknown key 'age'"),
    (line(history=[{"role": "bot", "content": "hi"}]), "line 2: field 'history[0].role'"),
    (line(should_decline=True), "line 2: field 'expected_stage': must be null"),
    (line(needs_review=True), "line 2: field 'needs_review': is true"),
])
def test_a_bad_line_is_named_with_its_field(text: str, needle: str) -> None:
    with pytest.raises(DatasetError) as err:
        parse_lines([line(id="ok"), text], "cases.jsonl", known_ids={"role-data-scientist"})
    assert needle in str(err.value)
    assert str(err.value).startswith("cases.jsonl line")


def test_a_profile_target_role_outside_the_corpus_is_named() -> None:
    from bot.settings import DEFAULT_CORPUS_DIR
    from corpus.loader import load_corpus

    corpus = load_corpus(DEFAULT_CORPUS_DIR)
    ok = parse_lines([line(id="a", profile={"target_role": "ML engineer"})], "cases.jsonl",
                     corpus=corpus)
    assert ok[0].profile is not None and ok[0].profile.target_role == "ML engineer"
    with pytest.raises(DatasetError) as err:
        parse_lines([line(id="b", profile={"target_role": "astronaut"})], "cases.jsonl",
                    corpus=corpus)
    assert str(err.value).startswith("cases.jsonl line 1: field 'profile': unknown target_role")


def test_a_done_entry_outside_the_corpus_and_milestones_is_named() -> None:
    from bot.settings import DEFAULT_CORPUS_DIR
    from corpus.loader import load_corpus

    corpus = load_corpus(DEFAULT_CORPUS_DIR)
    ok = parse_lines([line(id="a", profile={"done": ["res-course-fastai", "target-role"]},
                           done_sources=["res-course-fastai"])], "cases.jsonl",
                     known_ids={"res-course-fastai"}, corpus=corpus)
    assert ok[0].profile is not None and ok[0].profile.done == ["res-course-fastai",
                                                                 "target-role"]
    assert ok[0].done_sources == ["res-course-fastai"]
    with pytest.raises(DatasetError) as err:
        parse_lines([line(id="b", profile={"done": ["res-course-moon-landing"]})],
                    "cases.jsonl", corpus=corpus)
    assert "unknown done entry 'res-course-moon-landing'" in str(err.value)
    with pytest.raises(DatasetError) as err:
        parse_lines([line(id="c", done_sources=["res-nope"])], "cases.jsonl",
                    known_ids={"res-course-fastai"})
    assert "field 'done_sources': unknown corpus id 'res-nope'" in str(err.value)


def test_history_profile_and_blank_lines_are_read() -> None:
    cases = parse_lines([line(history=[{"role": "user", "content": "I like data"},
                                       {"role": "assistant", "content": "ok"}],
                              profile={"target_role": "data analyst", "budget": "free"}), ""],
                        "d.jsonl")
    assert cases[0].prior_user_turns() == ["I like data"]
    assert cases[0].profile is not None and cases[0].profile.budget == "free"


# -- metric definitions ----------------------------------------------------------------------
def test_retrieval_scores_follow_the_textbook_definitions() -> None:
    assert retrieval_scores(["a", "b", "c"], ["b"]) == (1.0, 0.5, 1 / math.log2(3))
    hit, rr, ndcg = retrieval_scores(["a", "b", "c", "d", "e", "f"], ["f", "z"])
    assert (hit, ndcg) == (0.0, 0.0) and rr == pytest.approx(1 / 6)
    assert retrieval_scores(["x", "y"], ["x", "y"])[2] == pytest.approx(1.0)
    assert ranking(["g1", "r1"], ["g2", "g1", "r2"]) == ["g1", "r1", "g2", "r2"]


def test_citations_to_unknown_ids_or_missing_sources_are_invalid() -> None:
    assert citation_counts("a [1] b [2]", ["res-a", "res-b"], {"res-a", "res-b"}) == (2, 2)
    assert citation_counts("a [1] b [3]", ["res-a"], {"res-a"}) == (2, 1)
    assert citation_counts("a [1]", ["res-made-up"], {"res-a"}) == (1, 0)


def test_topic_hits_look_in_answer_and_cited_sources() -> None:
    assert topic_hit(["dbt"], ["Learn SQL first.", "dbt Fundamentals: a course"]) is True
    assert topic_hit(["dbt"], ["Learn SQL first."]) is False
    assert topic_hit([], ["anything"]) is None


def test_aggregate_computes_the_issue_metrics() -> None:
    rows = [
        result(id="1", topic_hit=True, hit_at_5=1.0, reciprocal_rank=1.0, ndcg_at_5=1.0,
               citations=2, valid_citations=2, groundedness=1.0, stage_adherence=1.0,
               latency_ms=10),
        result(id="2", stage="resources", topic_hit=False, hit_at_5=0.0, reciprocal_rank=0.0,
               ndcg_at_5=0.0, citations=2, valid_citations=2, groundedness=0.5,
               stage_adherence=0.0, latency_ms=30),
        result(id="3", expected_stage=None, should_decline=True, stage=None, declined=True,
               latency_ms=20),
        result(id="4", expected_stage="landscape", stage=None, declined=True, latency_ms=40),
    ]
    m = aggregate(rows)
    assert REQUIRED_METRICS <= set(m)
    assert m["stage_accuracy"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["decline_accuracy"] == 0.75
    assert m["false_decline_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["topic_hit_rate"] == 0.5 and m["hit_at_5"] == 0.5 and m["mrr"] == 0.5
    assert m["citation_validity"] == 1.0 and m["groundedness"] == 0.75
    assert m["stage_adherence"] == 0.5 and m["latency_p50_ms"] == 25.0 and m["n_cases"] == 4
    assert m["per_stage_accuracy"] == {"landscape": 0.0, "portfolio": 0.5}
    assert "faithfulness_llm" not in m
    assert m["next_step_accuracy"] is None and m["repeat_rate"] is None, "nothing to measure"


def test_next_step_accuracy_and_repeat_rate() -> None:
    rows = [
        result(id="p1", tags=["progression"], sources=["guide-a"],
               done_sources=["res-course-fastai"]),
        result(id="p2", tags=["progression"], stage="resources",
               sources=["res-course-fastai"], done_sources=["res-course-fastai"]),
        result(id="p3", tags=["progression", "multi-turn"]),
        result(id="other", stage="landscape"),
    ]
    m = aggregate(rows)
    assert m["next_step_accuracy"] == pytest.approx(2 / 3, abs=1e-4), "progression cases only"
    assert m["repeat_rate"] == 0.5, "one of two cases with done sources cites one of them"


def test_the_gate_holds_repeat_rate_at_zero_and_next_step_accuracy_at_090() -> None:
    base = {"gated": ["next_step_accuracy", "repeat_rate"], "margin": 0.03,
            "metrics": {"next_step_accuracy": 0.95, "repeat_rate": 0.0}}
    assert gate.check({"next_step_accuracy": 0.95, "repeat_rate": 0.0}, base) == []
    problems = gate.check({"next_step_accuracy": 0.89, "repeat_rate": 0.02}, base)
    assert any("next_step_accuracy 0.89 is below 0.9" in p for p in problems)
    assert any("repeat_rate 0.02 is above 0.0" in p for p in problems)
    assert any("next_step_accuracy 0.8900 < baseline" in p for p in problems)


def test_fixed_copy_and_headings_are_not_claims() -> None:
    from bot.answer import prompts
    from bot.settings import DEFAULT_CORPUS_DIR
    from corpus.loader import load_corpus
    from evals.runner import stage_copy

    corpus = load_corpus(DEFAULT_CORPUS_DIR)
    stages = {s.slug: s for s in corpus.stages}
    answer = (
        prompts.WHY_DONE.format(done="finished *Machine Learning Specialization*",
                                gap=stages["portfolio"].gap) + "\n\n"
        + prompts.PROFILE_TIME_BACKGROUND.format(background="nurse", hours="5",
                                                 advice=prompts.PROFILE_FEW_HOURS)
        + "\n\n**Your next steps**\n1. Pin three finished projects on your profile page. [1]"
        + "\n\n**Resources to use (filtered: format: book)**\n\n"
        + f"*{prompts.AFTER_LABEL} (next: {stages['network-and-job'].name}): "
        + f"{stages['portfolio'].after}*")
    copy = tuple(t.lower() for t in stage_copy(corpus))
    assert claim_sentences(answer, copy) == ["Pin three finished projects on your profile page."]


def test_grounder_tells_quoted_and_invented_sentences_apart(engine_bot: Any) -> None:
    sources = SourceLookup(engine_bot.retriever.index.collection)
    doc = sources.get("guide-portfolio-kaggle-for-your-portfolio")
    assert doc is not None and "portfolio" in doc.stages
    quoted = next(s for s in claim_sentences(" ".join(doc.texts).replace("\n", " "))
                  if len(s) > 60)
    grounder = Grounder(engine_bot.retriever.encoder, sources)
    invented = "Bake sourdough bread every weekend because bakers are hired as ML engineers."
    g = grounder.score(f"- {quoted} [1]\n- {invented} [1]",
                       ["guide-portfolio-kaggle-for-your-portfolio"])
    assert (g.claims, g.supported, g.unsupported) == (2, 1, [invented])
    assert grounder.score(f"- {quoted} [1]", []).score == 0.0  # nothing cited, nothing backed


# -- the runner over the real bot ---------------------------------------------------------
def test_history_is_replayed_under_a_fresh_user(full_settings: Any) -> None:
    follow_up = {"expected_stage": "resources", "expected_topics": ["statistics"],
                 "should_decline": False, "question": "okay, which books would help with that?"}
    cases = parse_lines([
        json.dumps({"id": "with-history", **follow_up, "history": [
            {"role": "user", "content": "I want to become a data scientist."}]}),
        json.dumps({"id": "cold", **follow_up}),
    ], "t.jsonl")
    res = run_eval(full_settings, cases, [CONFIGS["hybrid"]], progress=False)["hybrid"]
    warm, cold = res.cases
    assert warm.turns == 2 and warm.history == ["I want to become a data scientist."]
    assert warm.filters.get("role") == "data-scientist"
    assert "role" not in cold.filters
    assert res.metrics["citation_validity"] == 1.0


def test_llm_judge_runs_only_with_an_llm(full_settings: Any) -> None:
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    assert judge_for(full_settings) is None  # llm = none: metric skipped
    assert parse_score("Score: 0.8 of statements") == 0.8 and parse_score("none") is None
    assert parse_score("Supported [1] and [2]: 1") == 1.0 and parse_score("12 of 20") is None
    judge = make_judge(FakeListChatModel(responses=["0.75"]))
    cases = parse_lines([line(question="Are Kaggle competitions useful for a portfolio?",
                              expected_stage="portfolio", expected_topics=["kaggle"])], "j")
    res = run_eval(full_settings, cases, [CONFIGS["hybrid"]], progress=False, judge=judge)
    assert res["hybrid"].metrics["faithfulness_llm"] == 0.75


@pytest.mark.slow
def test_int8_and_fp32_are_compared_side_by_side_without_touching_the_index(
        full_settings: Any, tmp_path: Path) -> None:
    from bot.app import make_chroma

    before = make_chroma(full_settings)[1].read()
    assert before is not None and before.quantization == full_settings.quantization
    other = "int8" if full_settings.quantization == "fp32" else "fp32"
    cases = load_dataset(gate.SMOKE_SET)
    res = run_eval(full_settings, cases, [CONFIGS["hybrid"], CONFIGS[f"hybrid-{other}"]],
                   progress=False, state_dir=tmp_path)
    mine, side = res["hybrid"].metrics, res[f"hybrid-{other}"].metrics
    assert mine["n_cases"] == side["n_cases"] == len(cases)
    assert side["citation_validity"] == 1.0
    for key in ("hit_at_5", "mrr", "stage_accuracy"):  # close, not equal: other vectors
        assert abs(mine[key] - side[key]) <= 0.15, key
    after = make_chroma(full_settings)[1].read()
    assert after is not None and before is not None
    assert after.collection == before.collection
    assert after.quantization == full_settings.quantization
    assert not list(tmp_path.iterdir()), "the side index lives in the run's temp dir"


# -- the command --------------------------------------------------------------------------
def invoke(args: list[str], data_dir: Path) -> Any:
    from ui.cli import (
        cli,
        eval_cmds,  # noqa: F401  (registers the command)
    )

    return CliRunner().invoke(cli, args, env={"CAREERBOT_DATA_DIR": str(data_dir)})


@pytest.mark.slow
def test_eval_command_compares_configs_and_writes_json_and_report(full_settings: Any,
                                                                   tmp_path: Path) -> None:
    out, report = tmp_path / "eval.json", tmp_path / "report"
    res = invoke(["eval", "--dataset", str(gate.SMOKE_SET), "--json", str(out), "--report",
                  str(report), "--config", "hybrid", "--config", "bm25"],
                 full_settings.data_dir)
    assert res.exit_code == 0, res.output
    assert "stage_accuracy" in res.stdout and "bm25" in res.stdout
    data = json.loads(out.read_text())
    assert REQUIRED_METRICS <= set(data["metrics"]) and data["config"] == "hybrid"
    assert set(data["configs"]) == {"hybrid", "bm25"}
    assert data["metrics"] == data["configs"]["hybrid"]["metrics"]
    assert data["metrics"]["citation_validity"] == 1.0
    n = data["metrics"]["n_cases"]
    assert n == len(data["cases"]) == len(load_dataset(gate.SMOKE_SET))
    assert {"id", "stage", "declined", "topic_hit", "sources", "answer"} <= set(data["cases"][0])
    for name in ("report.md", "report.html", "stage_accuracy.png", "confusion.png",
                 "latency.png"):
        assert (report / name).stat().st_size > 0
    assert "![Stage confusion](confusion.png)" in (report / "report.md").read_text()
    assert "data:image/png;base64," in (report / "report.html").read_text()


def test_eval_command_errors_are_one_line_with_exit_codes(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(line() + "\n" + line(id="x2", expected_stage="jobs") + "\n")
    res = invoke(["eval", "--dataset", str(bad)], tmp_path / "no-index")
    assert res.exit_code == 2
    assert "bad.jsonl line 2: field 'expected_stage'" in res.output
    res = invoke(["eval", "--dataset", str(bad), "--config", "nope"], tmp_path / "no-index")
    assert res.exit_code == 2 and "unknown eval config 'nope'" in res.output
    res = invoke(["eval", "--dataset", str(gate.SMOKE_SET)], tmp_path / "no-index")
    assert res.exit_code == 1 and "index missing: run `careerbot index`" in res.output


def test_gate_fails_on_drops_beyond_the_margin(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text(line() + "\n")
    base = {"dataset_sha256": gate.file_sha256(data), "margin": 0.03, "gated": ["mrr"],
            "metrics": {"mrr": 0.80}}
    assert gate.check({"mrr": 0.78, "citation_validity": 1.0}, base, dataset=data) == []
    assert "mrr 0.7600 < baseline" in gate.check({"mrr": 0.76}, base)[0]
    assert "citation_validity 0.98 is below 1.0" in gate.check(
        {"mrr": 0.9, "citation_validity": 0.98}, base)[0]
    data.write_text(line(id="changed") + "\n")
    assert "changed since the baseline" in gate.check({"mrr": 0.9}, base, dataset=data)[0]


@pytest.mark.slow
def test_dev_set_does_not_regress_below_the_baseline(full_settings: Any) -> None:
    """The CI gate; update evals/baseline.json deliberately (see evals/baseline.py)."""
    cases = load_dataset(gate.DEV_SET)
    res = run_eval(full_settings, cases, [CONFIGS["hybrid"]], progress=False)["hybrid"]
    problems = gate.check(res.metrics, gate.load_baseline(), dataset=gate.DEV_SET,
                          settings=full_settings, config="hybrid")
    assert problems == [], "\n".join(problems)
    assert res.metrics["n_errors"] == 0
