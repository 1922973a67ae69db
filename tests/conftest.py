"""Shared fixtures: real corpora, real indexes and real bots in temp dirs.

Two engines under the same careerbot. The fast layer (``pytest -m "not slow"``) runs over a
deterministic fake encoder (``tests/fakes/encoder.py``) with real Chroma, BM25, SQLite and the
real composer: ``fake_settings`` (the whole corpus indexed once), ``fake_bot`` and
``fake_index_factory`` (an index of your own). The slow layer runs over the real model: its
ONNX export is made once per session and linked into each data dir, and ``full_settings`` /
``career_bot`` index the whole corpus with it once. ``engine`` runs a test on both.

A test is slow when it needs the real model, a server (PostgreSQL, Chroma, Gradio under
load, the Slack fake) or a browser: by its own marker, or here, by the fixtures it uses
(:data:`SLOW_FIXTURES`), so a new test over ``full_settings`` cannot slip into the fast layer.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fakes.encoder import HashingEncoder

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

# fixtures that make a test slow, and why (see the module docstring)
SLOW_FIXTURES = {
    "onnx_export": "the real model (ONNX export, full index)",
    "pg_server": "a PostgreSQL server",
    "slack_api": "the Slack fake server",
    "chroma_server": "a Chroma server",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES.keys() & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


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


# -- the fast layer: a fake encoder over real Chroma, BM25 and SQLite ----------------------
@pytest.fixture(scope="session")
def fake_encoder() -> HashingEncoder:
    return HashingEncoder()


@dataclass
class FakeIndex:
    """careerbot's own index build and bot over ``settings``, with the fake encoder."""

    settings: Settings
    encoder: HashingEncoder

    def build(self, **kwargs: Any) -> Any:
        """``run_index`` (a :class:`index.build.BuildReport`)."""
        from bot.app import run_index

        return run_index(self.settings, encoder=self.encoder, **kwargs)

    def bot(self, **kwargs: Any) -> Any:
        """``build_bot`` over this index."""
        from bot.app import build_bot

        return build_bot(self.settings, encoder=self.encoder, **kwargs)


@pytest.fixture
def fake_index_factory(tmp_path: Path, fake_encoder: HashingEncoder) -> Callable[..., FakeIndex]:
    """``fake_index_factory(**overrides)``: a not yet built index over a fresh temp data dir
    (no ONNX export), settings changed by ``overrides`` (e.g. ``corpus_dir=small_corpus``)."""
    counter = iter(range(1000))

    def make(**overrides: Any) -> FakeIndex:
        data_dir = overrides.pop("data_dir", tmp_path / f"fake-data{next(counter)}")
        return FakeIndex(make_settings(Path(data_dir), **overrides), fake_encoder)
    return make


@pytest.fixture(scope="session")
def fake_settings(tmp_path_factory: pytest.TempPathFactory,
                  fake_encoder: HashingEncoder) -> Settings:
    """Settings whose data dir holds an index of the whole real corpus, fake vectors."""
    from bot.app import run_index

    s = make_settings(tmp_path_factory.mktemp("fake-index"))
    run_index(s, encoder=fake_encoder)
    return s


@pytest.fixture(scope="session")
def fake_bot(fake_settings: Settings, fake_encoder: HashingEncoder) -> Any:
    """One bot over the fake full index, shared by read-only tests (state in its own store)."""
    from bot.app import build_bot

    return build_bot(fake_settings, encoder=fake_encoder)


# -- both engines ----------------------------------------------------------------------------
@dataclass
class Engine:
    """careerbot over one encoder: the fake (fast) or the real model (slow)."""

    name: str
    settings: Settings
    encoder: Any  # None: the configured real encoder, as in production

    def bot(self, tmp_path: Path, **kwargs: Any) -> Any:
        """A new bot over this engine's full index with its own SQLite store in ``tmp_path``."""
        from bot.app import build_bot
        from bot.store.state import StateStore

        store = StateStore.open(f"sqlite:///{tmp_path}/{self.name}-state.db")
        return build_bot(self.settings, encoder=self.encoder, store=store, **kwargs)


@pytest.fixture(scope="session", params=["fake", pytest.param("real", marks=pytest.mark.slow)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """Run a test over the fake encoder and, in the slow layer, over the real model."""
    if request.param == "fake":
        return Engine("fake", request.getfixturevalue("fake_settings"),
                      request.getfixturevalue("fake_encoder"))
    return Engine("real", request.getfixturevalue("full_settings"), None)


@pytest.fixture(scope="session")
def engine_bot(engine: Engine, request: pytest.FixtureRequest) -> Any:
    """The engine's shared bot for read-only tests: ``fake_bot`` or ``career_bot``."""
    return request.getfixturevalue("fake_bot" if engine.name == "fake" else "career_bot")
