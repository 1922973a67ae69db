"""Shared fixtures: real corpora, real indexes and real bots in temp dirs.

Nothing is mocked here. The ONNX export of the embedding model is made once per session
and linked into each data dir; the full-corpus index is built once per session.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.settings import DEFAULT_CORPUS_DIR, Settings

os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1",
                  GRADIO_ANALYTICS_ENABLED="False", ANONYMIZED_TELEMETRY="False")

# one guide per stage, every role and two resource files: the "small real corpus"
SMALL_GUIDES = (
    "landscape/map-of-ai-roles.md",
    "building-blocks/math-for-machine-learning.md",
    "resources/choosing-a-learning-resource.md",
    "portfolio/what-makes-a-project-stand-out.md",
    "network-and-job/resumes-for-ai-roles.md",
    "future-proof/staying-current-weekly-routine.md",
)
SMALL_RESOURCE_FILES = ("books.yaml", "courses.yaml")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's CAREERBOT_* variables."""
    for key in list(os.environ):
        if key.startswith("CAREERBOT_"):
            monkeypatch.delenv(key, raising=False)


@pytest.fixture(scope="session")
def onnx_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from index.embedder import export_onnx

    data = tmp_path_factory.mktemp("onnx-export")
    return export_onnx(data)


def link_onnx(data_dir: Path, export: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / "onnx"
    if not target.exists():
        target.symlink_to(export, target_is_directory=True)


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"data_dir": data_dir, "corpus_dir": DEFAULT_CORPUS_DIR}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings_factory(tmp_path: Path, onnx_export: Path) -> Callable[..., Settings]:
    """``settings_factory(**overrides)``: settings over a fresh temp data dir."""
    counter = iter(range(1000))

    def make(**overrides: Any) -> Settings:
        data_dir = overrides.pop("data_dir", tmp_path / f"data{next(counter)}")
        link_onnx(Path(data_dir), onnx_export)
        return make_settings(Path(data_dir), **overrides)
    return make


def copy_small_corpus(dest: Path) -> Path:
    src = DEFAULT_CORPUS_DIR
    (dest / "guides").mkdir(parents=True)
    shutil.copy2(src / "stages.yaml", dest / "stages.yaml")
    for rel in SMALL_GUIDES:
        (dest / "guides" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / "guides" / rel, dest / "guides" / rel)
    shutil.copytree(src / "roles", dest / "roles")
    (dest / "resources").mkdir()
    for name in SMALL_RESOURCE_FILES:
        shutil.copy2(src / "resources" / name, dest / "resources" / name)
    return dest


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """A copy of part of the real corpus that tests may edit."""
    return copy_small_corpus(tmp_path / "corpus")


@pytest.fixture(scope="session")
def full_settings(tmp_path_factory: pytest.TempPathFactory, onnx_export: Path) -> Settings:
    """Settings whose data dir holds an index of the whole real corpus (built once)."""
    from bot.app import run_index

    data_dir = tmp_path_factory.mktemp("full-index")
    link_onnx(data_dir, onnx_export)
    s = make_settings(data_dir)
    run_index(s)
    return s


@pytest.fixture(scope="session")
def career_bot(full_settings: Settings) -> Iterator[Any]:
    """One bot over the full index, shared by read-only tests (state in its own store)."""
    from bot.app import build_bot

    yield build_bot(full_settings)


@pytest.fixture(scope="session")
def corpus_ids() -> set[str]:
    from corpus.loader import load_corpus

    return load_corpus(DEFAULT_CORPUS_DIR).ids()
