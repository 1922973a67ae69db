"""``careerbot bench``: speed and scale figures, kept beside the code they measure.

``run`` drives one bench run (:class:`Bench`, :class:`BenchConfig`); ``scale`` is what runs
in child processes (``python -m evals.bench.scale``); ``targets`` checks figures against the
issues' bounds; ``synthetic`` grows the corpus to 10k-100k chunks; ``webload`` is the load
client for the web app. The names below load on first use, so a child started with
``python -m evals.bench.scale`` does not import its own module twice.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evals.bench.run import Bench, BenchConfig
    from evals.bench.webload import web_load

__all__ = ["Bench", "BenchConfig", "web_load"]
_HOMES = {"Bench": "evals.bench.run", "BenchConfig": "evals.bench.run",
          "web_load": "evals.bench.webload"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
