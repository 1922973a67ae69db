"""The curated corpus: valid, balanced, and errors that name file, entry and field."""

from __future__ import annotations

import pytest

from bot.settings import DEFAULT_CORPUS_DIR
from corpus.loader import CorpusError, load_corpus
from corpus.schema import LEVELS, RESOURCE_KINDS, STAGES

REQUIRED_ROLES = {"data-scientist", "ml-engineer", "data-engineer", "mlops-engineer",
                  "research-scientist", "ai-product-manager", "data-analyst", "nlp-engineer",
                  "computer-vision-engineer", "ai-architect", "applied-scientist",
                  "analytics-engineer"}


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(DEFAULT_CORPUS_DIR)


def test_the_real_corpus_is_valid_and_big_enough(corpus):
    assert len(corpus.resources) >= 150
    assert REQUIRED_ROLES <= {r.id for r in corpus.roles}
    assert [s.slug for s in sorted(corpus.stages, key=lambda s: s.order)] == list(STAGES)


def test_every_stage_has_guides_and_resources(corpus):
    for stage in STAGES:
        assert sum(g.stage == stage for g in corpus.guides) >= 3, stage
        assert any(stage in r.stages for r in corpus.resources), stage


def test_every_role_has_beginner_resources_and_ordered_skills(corpus):
    for role in corpus.roles:
        beginner = [r for r in corpus.resources if role.id in r.roles and r.level == "beginner"]
        assert beginner, role.id
        assert len(role.skills) >= 4 and role.tools and role.path_in, role.id


def test_resources_are_typed_and_fully_described(corpus):
    kinds = {r.kind for r in corpus.resources}
    assert kinds == set(RESOURCE_KINDS)
    for r in corpus.resources:
        assert r.level in LEVELS and r.summary and r.stages, r.id
        assert r.url is None or str(r.url).startswith(("https://", "http://")), r.id


def test_no_resource_is_listed_twice(corpus):
    urls = [str(r.url).rstrip("/").lower() for r in corpus.resources if r.url]
    assert len(urls) == len(set(urls))


def test_a_bad_field_names_file_entry_and_field(small_corpus):
    (small_corpus / "resources" / "extra.yaml").write_text(
        "- id: res-extra-one\n  title: Fine\n  kind: book\n  stages: [resources]\n"
        "  roles: []\n  level: beginner\n  cost: free\n  url: null\n  checked: 2026-11\n"
        "  summary: A perfectly fine summary of forty characters or more.\n"
        "- id: res-extra-two\n  title: Broken\n  kind: book\n  stages: [resources]\n"
        "  roles: []\n  level: wizard\n  cost: free\n  url: null\n  checked: 2026-11\n"
        "  summary: A perfectly fine summary of forty characters or more.\n")
    with pytest.raises(CorpusError) as err:
        load_corpus(small_corpus)
    [problem] = err.value.problems
    assert "resources/extra.yaml" in problem and "res-extra-two" in problem
    assert "level" in problem


def test_duplicate_ids_and_unknown_slugs_are_errors(small_corpus):
    books = (small_corpus / "resources" / "books.yaml").read_text()
    first = books.split("\n- id:")[0]
    (small_corpus / "resources" / "copy.yaml").write_text(first.replace(
        "url: https://", "url: https://example.org/other-"))
    guide = small_corpus / "guides" / "portfolio" / "what-makes-a-project-stand-out.md"
    guide.write_text(guide.read_text().replace("stage: portfolio", "stage: dreaming", 1))
    with pytest.raises(CorpusError) as err:
        load_corpus(small_corpus)
    text = "\n".join(err.value.problems)
    assert "duplicate id" in text
    assert "what-makes-a-project-stand-out.md" in text and "stage" in text


def test_broken_yaml_is_reported_not_raised_as_a_traceback(small_corpus):
    (small_corpus / "roles" / "bad.yaml").write_text("id: [unclosed\n")
    with pytest.raises(CorpusError) as err:
        load_corpus(small_corpus)
    assert any("roles/bad.yaml" in p for p in err.value.problems)


RETRIEVAL_SMOKE = {
    "landscape": ["What is the difference between deep learning and machine learning?",
                  "Which AI job suits someone who likes building software?"],
    "building-blocks": ["How much linear algebra do I need?",
                        "What are the steps of a machine learning project?"],
    "resources": ["How do I choose between a book and an online course?",
                  "Are paid courses better than free ones?"],
    "portfolio": ["How many projects do I need in my portfolio?",
                  "How do I contribute to open source machine learning projects?"],
    "network-and-job": ["How do I ask for a referral?",
                        "How do I prepare for an ML system design interview?"],
    "future-proof": ["How do I keep up with new AI research without burning out?",
                     "How often should I revise my career roadmap as the field changes?"],
}


@pytest.mark.parametrize("stage", STAGES)
def test_retrieval_smoke_top_result_comes_from_the_stage(career_bot, stage):
    """The real model's retrieval quality (the fake encoder misses two of these)."""
    for question in RETRIEVAL_SMOKE[stage]:
        hits = career_bot.retriever.search(question, k=3, where={"kind": "guide"})
        assert hits[0].stage == stage, (question, [h.chunk_id for h in hits])
