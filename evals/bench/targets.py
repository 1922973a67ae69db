"""The performance targets of the issues, checked against one bench run's figures.

The bench prints these next to its figures so a run says at a glance what it met; nothing
here asserts in a test (figures depend on the machine and its load).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    """One figure of the Bench JSON and the bound it should keep."""

    what: str
    get: Callable[[dict[str, Any]], float | None]
    op: str  # "<=", "<" or ">="
    bound: float
    unit: str = ""


_OPS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge}


def _encoder(name: str, key: str) -> Callable[[dict[str, Any]], float | None]:
    return lambda r: r["index"].get("by_encoder", {}).get(name, {}).get(key)


def _scale(chunks: int, backend: str) -> Callable[[dict[str, Any]], float | None]:
    return lambda r: next((row["retrieval_p95_ms"] for row in r.get("scale", [])
                           if row["chunks"] == chunks and row["backend"] == backend), None)


TARGETS: tuple[Target, ...] = (
    Target("index build ratio, default encoder", lambda r: r["index"]["ratio"], ">=", 1.0, "x"),
    Target("index build ratio, ONNX fp32", _encoder("onnx-fp32", "ratio"), ">=", 1.0, "x"),
    Target("index build ratio, ONNX int8", _encoder("onnx-int8", "ratio"), ">=", 1.8, "x"),
    Target("re-index after one edit, beyond start-up",
           lambda r: r["index"]["reindex_one_doc_s"], "<", 1.0, " s"),
    Target("retrieval p95", lambda r: r["query"]["retrieval_p95_ms"], "<=", 8.0, " ms"),
    Target("full answer p95", lambda r: r["query"].get("answer_p95_ms"), "<=", 50.0, " ms"),
    Target("cold start, ONNX path (median)",
           lambda r: r.get("cold_start", {}).get("onnx", {}).get("median_s"), "<=", 1.5, " s"),
    Target("100k chunks, retrieval p95, embedded", _scale(100_000, "embedded"), "<=", 40.0, " ms"),
    Target("100k chunks, retrieval p95, server", _scale(100_000, "server"), "<=", 40.0, " ms"),
    Target("web errors, all loads",
           lambda r: sum(row["errors"] for row in r["web"]) if r.get("web") else None,
           "<=", 0, ""),
)


def check_targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the run's value and whether it was met (``None``: not measured)."""
    rows = []
    for t in TARGETS:
        value = t.get(result)
        rows.append({"what": t.what, "value": value, "target": f"{t.op} {t.bound:g}{t.unit}",
                     "met": None if value is None else bool(_OPS[t.op](value, t.bound))})
    return rows
