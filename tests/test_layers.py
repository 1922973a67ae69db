"""Imports flow one way: corpus -> index -> bot -> evals -> ui, with no exemption (the CLI is a
front end in ui/cli)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RANK = {"corpus": 0, "index": 1, "bot": 2, "evals": 3, "ui": 4}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(RANK)


def test_no_package_imports_a_layer_above_it():
    wrong = []
    for pkg, rank in RANK.items():
        for path in (ROOT / pkg).rglob("*.py"):
            for dep in imported_packages(path):
                if RANK[dep] > rank or (RANK[dep] == rank and dep != pkg):
                    wrong.append(f"{path.relative_to(ROOT)} imports {dep}")
    assert wrong == []


def test_importing_the_packages_creates_nothing(tmp_path, monkeypatch):
    import importlib
    import sys

    monkeypatch.chdir(tmp_path)
    for name in ("bot.answer.pipeline", "bot.app", "bot.store.state", "index.build",
                 "corpus.loader"):
        # fresh imports, then the originals back: other tests hold the original classes
        if name in sys.modules:
            monkeypatch.setitem(sys.modules, name, sys.modules[name])
        sys.modules.pop(name, None)
        importlib.import_module(name)
    assert list(tmp_path.iterdir()) == []
