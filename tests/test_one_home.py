"""Each fact has one home: stage names and texts in stages.yaml, milestones in
milestones.yaml, the set of citable ids in ``Corpus.ids()``. Code reads them from there."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

from bot.settings import DEFAULT_CORPUS_DIR
from corpus.loader import load_corpus

ROOT = Path(__file__).resolve().parent.parent
CODE = [p for pkg in ("bot", "ui", "evals", "index", "corpus") for p in (ROOT / pkg).rglob("*.py")]


@pytest.fixture(scope="module")
def corpus():  # noqa: ANN201
    return load_corpus(DEFAULT_CORPUS_DIR)


@functools.cache  # each module is parsed once, not once per text looked for
def _literals(path: Path) -> list[str]:
    """The string literals of a module that are data, not its docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                 ast.AsyncFunctionDef))
            and node.body and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)}
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str) and id(n) not in docs]


def code_containing(text: str) -> list[str]:
    """Modules with ``text`` in a string literal (docstrings and comments may mention it)."""
    return [str(p.relative_to(ROOT)) for p in CODE if any(text in s for s in _literals(p))]


def test_stage_names_and_texts_live_only_in_stages_yaml(corpus):
    for stage in corpus.stages:
        for text in (stage.name, stage.intro, stage.gap, stage.after):
            assert code_containing(text) == [], f"{text!r} is written in code too"


def test_milestones_live_only_in_milestones_yaml(corpus):
    for milestone in corpus.milestones:
        for text in (milestone.slug, milestone.label):
            assert code_containing(text) == [], f"{text!r} is written in code too"


def test_the_citable_ids_come_from_the_corpus(corpus):
    from evals.runner import corpus_ids

    class Bot:  # what the runner reads ids from
        pass

    bot = Bot()
    bot.corpus = corpus  # type: ignore[attr-defined]
    assert corpus_ids(bot) == corpus.ids()
    assert {c.id for c in corpus.cards} <= corpus.ids(), "answer cards are cited like guides"
