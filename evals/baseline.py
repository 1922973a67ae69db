"""The CI gate: the default configuration's metrics on the dev set must not regress.

``evals/baseline.json`` is written only by a deliberate command::

    careerbot eval --dataset evals/dev.jsonl --write-baseline

and checked by ``tests/test_evals.py`` (slow) or ``careerbot eval ... --check-baseline``.
A gated metric fails when it drops more than the margin below the baseline;
``citation_validity`` must be exactly 1.0; latency is not gated (it depends on the machine).
The baseline records the dataset's hash and the settings that shape answers, so a changed
dev set or configuration says "write a new baseline" instead of comparing unlike runs.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from evals.metrics import CEILINGS, FLOORS, GATED, LOWER_IS_BETTER

EVALS_DIR = Path(__file__).resolve().parent
DEV_SET = EVALS_DIR / "dev.jsonl"
SMOKE_SET = EVALS_DIR / "smoke.jsonl"
BASELINE = EVALS_DIR / "baseline.json"
MARGIN = 0.03
WRITE_HINT = "careerbot eval --dataset evals/dev.jsonl --write-baseline"


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def answer_settings(settings: Any) -> dict[str, Any]:
    """The settings that change answers (and so the metrics)."""
    return {"llm": settings.llm, "llm_model": settings.llm_model, "encoder": settings.encoder,
            "quantization": settings.quantization, "top_k": settings.top_k}


def write_baseline(metrics: dict[str, Any], dataset: Path, config: str, settings: Any,
                   path: Path = BASELINE, margin: float = MARGIN) -> Path:
    data = {
        "about": f"CI gate for the eval; update deliberately with `{WRITE_HINT}`",
        "dataset": Path(dataset).name, "dataset_sha256": file_sha256(dataset),
        "config": config, "settings": answer_settings(settings), "margin": margin,
        "gated": list(GATED), "written_at": time.strftime("%Y-%m-%d"),
        "metrics": {k: v for k, v in metrics.items() if k != "per_stage_accuracy"},
        "per_stage_accuracy": metrics.get("per_stage_accuracy", {}),
    }
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def load_baseline(path: Path = BASELINE) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: no baseline; write one with `{WRITE_HINT}`") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc.msg})") from None


def check(metrics: dict[str, Any], baseline: dict[str, Any], *, dataset: Path | None = None,
          settings: Any = None, config: str | None = None) -> list[str]:
    """Every way ``metrics`` fails the gate, one line each (empty list = pass)."""
    problems = []
    if dataset is not None and baseline.get("dataset_sha256") != file_sha256(dataset):
        problems.append(f"{Path(dataset).name} changed since the baseline was written: "
                        f"review the run, then `{WRITE_HINT}`")
    if settings is not None and baseline.get("settings") != answer_settings(settings):
        problems.append(f"settings differ from the baseline's {baseline.get('settings')}")
    if config is not None and baseline.get("config") != config:
        problems.append(f"config {config!r} is not the baseline's {baseline.get('config')!r}")
    for key, floor in FLOORS.items():
        if metrics.get(key) is not None and metrics[key] < floor:
            problems.append(f"{key} {metrics[key]} is below {floor}")
    for key, ceiling in CEILINGS.items():
        if metrics.get(key) is not None and metrics[key] > ceiling:
            problems.append(f"{key} {metrics[key]} is above {ceiling}")
    margin = float(baseline.get("margin", MARGIN))
    for key in baseline.get("gated", GATED):
        base = baseline.get("metrics", {}).get(key)
        now = metrics.get(key)
        if base is None:
            continue
        if now is None:
            problems.append(f"{key} is no longer measured (baseline {base})")
        elif key in LOWER_IS_BETTER and now > base + margin:
            problems.append(f"{key} {now:.4f} > baseline {base:.4f} + margin {margin}")
        elif key not in LOWER_IS_BETTER and now < base - margin:
            problems.append(f"{key} {now:.4f} < baseline {base:.4f} - margin {margin}")
    return problems
