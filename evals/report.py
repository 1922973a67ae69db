"""The eval report: Markdown and HTML with plots, configurations side by side.

Plots (matplotlib, Agg backend, imported here only): per-stage accuracy bars for every
configuration, the stage confusion matrix and worst cases of the first configuration, and a
latency histogram per configuration. The HTML embeds its images so it is one portable file.
"""

from __future__ import annotations

import base64
import html
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from corpus.schema import STAGES
from evals.metrics import CaseResult, confusion, worst
from evals.runner import RunResult

TABLE_KEYS = ("stage_accuracy", "decline_accuracy", "false_decline_rate", "missed_decline_rate",
              "topic_hit_rate", "hit_at_5", "mrr", "ndcg_at_5", "citation_validity",
              "groundedness", "stage_adherence", "next_step_accuracy", "repeat_rate",
              "faithfulness_llm", "latency_p50_ms",
              "latency_p95_ms", "n_cases", "n_errors")
ANSWER_CHARS = 1200


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1.0 else f"{value:.1f}"
    return str(value)


def plot_all(results: dict[str, RunResult], out: Path) -> dict[str, Path]:
    """Write the PNG plots; returns {name: path}."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths: dict[str, Path] = {}
    for name, draw in (("stage_accuracy", _plot_stage_accuracy), ("confusion", _plot_confusion),
                       ("latency", _plot_latency)):
        fig = draw(plt, results)
        fig.tight_layout()
        paths[name] = out / f"{name}.png"
        fig.savefig(paths[name], dpi=110)
        plt.close(fig)
    return paths


def _plot_stage_accuracy(plt: Any, results: dict[str, RunResult]) -> Any:
    import numpy as np

    names = list(results)
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(names)
    x = np.arange(len(STAGES))
    for i, name in enumerate(names):
        acc = results[name].metrics["per_stage_accuracy"]
        ax.bar(x + i * width - 0.4 + width / 2, [acc.get(s) or 0 for s in STAGES], width,
               label=name)
    ax.set_xticks(x, STAGES, rotation=20)
    ax.set_ylim(0, 1.22)
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_ylabel("stage accuracy")
    ax.legend(fontsize=8, ncol=min(len(names), 5), loc="upper center")
    ax.set_title("Per-stage accuracy")
    return fig


def _plot_confusion(plt: Any, results: dict[str, RunResult]) -> Any:
    """The stage confusion of the first config."""
    import numpy as np

    first = next(iter(results))
    rows, cols, m = confusion(results[first].cases)
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    ax.imshow(np.asarray(m), cmap="Blues")
    ax.set_xticks(range(len(cols)), cols, rotation=35, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel("answered stage")
    ax.set_ylabel("expected stage")
    peak = max((v for r in m for v in r), default=0)
    for i, r in enumerate(m):
        for j, v in enumerate(r):
            if v:
                ax.text(j, i, str(v), ha="center", va="center",
                        color="white" if v > peak / 2 else "black")
    ax.set_title(f"Stage confusion ({first})")
    return fig


def _plot_latency(plt: Any, results: dict[str, RunResult]) -> Any:
    fig, ax = plt.subplots(figsize=(8, 4))
    for name, result in results.items():
        ax.hist([c.latency_ms for c in result.cases if not c.error], bins=30,
                histtype="step", linewidth=1.6, label=name)
    ax.set_xlabel("latency per case (ms)")
    ax.set_ylabel("cases")
    ax.legend(fontsize=8)
    ax.set_title("Answer latency")
    return fig


def _metric_rows(results: dict[str, RunResult]) -> list[list[str]]:
    rows = []
    for key in TABLE_KEYS:
        vals = [r.metrics.get(key) for r in results.values()]
        if all(v is None for v in vals) and key == "faithfulness_llm":
            continue
        rows.append([key, *(_fmt(v) for v in vals)])
    return rows


def _verdict(c: CaseResult) -> str:
    bits = []
    if not c.decline_ok:
        bits.append("should decline" if c.should_decline else "declined wrongly")
    if c.stage_ok is False:
        bits.append(f"stage {c.stage or 'none'} (expected {c.expected_stage})")
    if c.topic_hit is False:
        bits.append("topic missed")
    if c.hit_at_5 == 0.0:
        bits.append("expected source not in top 5")
    if c.groundedness is not None and c.groundedness < 1:
        bits.append(f"groundedness {c.groundedness:.2f}")
    if c.error:
        bits.append(f"error: {c.error}")
    return "; ".join(bits)


def markdown(results: dict[str, RunResult], dataset: str, plots: dict[str, Path],
             worst_cases: Sequence[CaseResult]) -> str:
    names = list(results)
    lines = [f"# careerbot eval: {dataset}", "",
             f"{time.strftime('%Y-%m-%d %H:%M')}, configurations: {', '.join(names)}", "",
             "| metric | " + " | ".join(names) + " |",
             "|---|" + "---|" * len(names)]
    lines += ["| " + " | ".join(row) + " |" for row in _metric_rows(results)]
    lines += ["", "Configurations:", ""]
    lines += [f"- **{n}**: {r.config.description}" for n, r in results.items()]
    lines += ["", "Metric definitions: `evals/metrics.py`; groundedness: `evals/grounding.py`.", ""]
    for title, key in (("Per-stage accuracy", "stage_accuracy"),
                       ("Stage confusion", "confusion"), ("Latency", "latency")):
        lines += [f"## {title}", "", f"![{title}]({plots[key].name})", ""]
    lines += [f"## Worst cases ({names[0]})", ""]
    if not worst_cases:
        lines.append("None: every case passed.")
    for c in worst_cases:
        lines += [f"### {c.id}: {_verdict(c)}", "", f"**Question:** {c.question}", ""]
        if c.history:
            lines += ["Earlier turns: " + " / ".join(f"“{h}”" for h in c.history), ""]
        if c.profile:
            lines += [f"Profile: `{json.dumps(c.profile)}`", ""]
        lines += ["**Answer:**", ""]
        lines += ["> " + ln for ln in c.answer[:ANSWER_CHARS].splitlines() or [""]]
        if c.unsupported:
            lines += ["", "Unsupported sentences: " + " / ".join(c.unsupported[:3])]
        lines.append("")
    return "\n".join(lines) + "\n"


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def html_page(results: dict[str, RunResult], dataset: str, plots: dict[str, Path],
              worst_cases: Sequence[CaseResult]) -> str:
    e = html.escape
    names = list(results)
    head = "".join(f"<th>{e(n)}</th>" for n in names)
    body = "".join("<tr>" + "".join(f"<td>{e(v)}</td>" for v in row) + "</tr>"
                   for row in _metric_rows(results))
    configs = "".join(f"<li><b>{e(n)}</b>: {e(r.config.description)}</li>"
                      for n, r in results.items())
    cases = "".join(
        f"<section><h3>{e(c.id)}: {e(_verdict(c))}</h3><p><b>Question:</b> {e(c.question)}</p>"
        + (f"<p>Earlier turns: {e(' / '.join(c.history))}</p>" if c.history else "")
        + (f"<p>Profile: <code>{e(json.dumps(c.profile))}</code></p>" if c.profile else "") +
        f"<pre>{e(c.answer[:ANSWER_CHARS])}</pre></section>" for c in worst_cases)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>careerbot eval: {e(dataset)}</title><style>"
        "body{font-family:sans-serif;max-width:1000px;margin:2em auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px}"
        "pre{white-space:pre-wrap;background:#f6f6f6;padding:8px}img{max-width:100%}"
        f"</style></head><body><h1>careerbot eval: {e(dataset)}</h1>"
        f"<p>{e(time.strftime('%Y-%m-%d %H:%M'))}</p>"
        f"<table><tr><th>metric</th>{head}</tr>{body}</table><ul>{configs}</ul>"
        f"<h2>Per-stage accuracy</h2>{_img(plots['stage_accuracy'], 'per-stage accuracy')}"
        f"<h2>Stage confusion</h2>{_img(plots['confusion'], 'stage confusion matrix')}"
        f"<h2>Latency</h2>{_img(plots['latency'], 'latency histogram')}"
        f"<h2>Worst cases ({e(names[0])})</h2>{cases or '<p>None: every case passed.</p>'}"
        "</body></html>\n")


def write_report(results: dict[str, RunResult], out_dir: Path, dataset: str,
                 n_worst: int = 12) -> list[Path]:
    """Write report.md, report.html and the plots into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    plots = plot_all(results, out_dir)
    worst_cases = worst(next(iter(results.values())).cases, n_worst)
    md = out_dir / "report.md"
    md.write_text(markdown(results, dataset, plots, worst_cases), encoding="utf-8")
    page = out_dir / "report.html"
    page.write_text(html_page(results, dataset, plots, worst_cases), encoding="utf-8")
    return [md, page, *plots.values()]
