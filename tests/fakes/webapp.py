"""Helpers for the web tests: a real bot over a full index with its own state store, the
real app served on a free loopback port, and gradio_client sessions to talk to it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.settings import Settings

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def web_bot(settings: Settings, state_dir: Path, encoder: Any = None) -> Any:
    """A bot over ``settings``' index whose state lives in ``state_dir`` (not the shared one);
    ``encoder`` is the one the index was built with (None: the configured real one)."""
    from bot.app import build_bot
    from bot.store.state import StateStore

    store = StateStore.open(f"sqlite:///{state_dir / 'state.db'}")
    return build_bot(settings, encoder=encoder, store=store)


@contextmanager
def served(bot: Any, settings: Settings, **overrides: Any) -> Iterator[str]:
    """The app over ``bot`` with ``settings`` changed by ``overrides``; yields its URL."""
    from ui.web import running

    with running(bot, settings.model_copy(update=overrides)) as url:
        yield url


def client(url: str) -> Any:
    """One gradio_client session (its own session hash, so its own user in the store)."""
    from gradio_client import Client

    return Client(url, verbose=False, analytics_enabled=False, download_files=False)


def ask(c: Any, question: Any) -> dict[str, Any]:
    out = c.predict(question, api_name="/ask")
    assert isinstance(out, dict), out
    return out
