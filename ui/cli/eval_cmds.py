"""``careerbot eval``: batch evaluation of the real bot (see evals/README.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ui.cli import cli, settings

SUMMARY_KEYS = ("stage_accuracy", "decline_accuracy", "topic_hit_rate", "hit_at_5", "mrr",
                "ndcg_at_5", "citation_validity", "groundedness", "stage_adherence",
                "next_step_accuracy", "repeat_rate", "faithfulness_llm", "latency_p50_ms",
                "latency_p95_ms", "n_cases")


def _summary(results: dict[str, Any]) -> str:
    names = list(results)
    width = max(len(k) for k in SUMMARY_KEYS) + 2
    col = max(12, *(len(n) + 2 for n in names))
    lines = ["".ljust(width) + "".join(n.rjust(col) for n in names)]
    for key in SUMMARY_KEYS:
        vals = [r.metrics.get(key) for r in results.values()]
        if all(v is None for v in vals):
            continue  # not measured by this dataset (no judge, no progression cases)
        cells = ["-" if v is None else (f"{v:.3f}" if isinstance(v, float) and v <= 1
                                        else f"{v:g}") for v in vals]
        lines.append(key.ljust(width) + "".join(c.rjust(col) for c in cells))
    return "\n".join(lines)


def json_payload(results: dict[str, Any], dataset: Path) -> dict[str, Any]:
    """The first configuration at top level (``metrics``, ``cases``), all under ``configs``."""
    first_name = next(iter(results))
    first = results[first_name].to_json()
    return {"dataset": str(dataset), "config": first_name, "metrics": first["metrics"],
            "cases": first["cases"],
            "configs": {name: r.to_json() for name, r in results.items()}}


@cli.command("eval")
@click.option("--dataset", "dataset", required=True, type=click.Path(path_type=Path),
              help="JSONL eval cases (format: evals/README.md), e.g. evals/dev.jsonl.")
@click.option("--json", "json_out", type=click.Path(path_type=Path),
              help="Write metrics and per-case results as JSON to this file.")
@click.option("--report", "report_dir", type=click.Path(path_type=Path),
              help="Write report.md, report.html and plots into this folder.")
@click.option("--config", "config_names", multiple=True, metavar="NAME",
              help="Configuration to run (repeatable): hybrid (default), dense, bm25, "
                   "hybrid-no-filters, hybrid-no-profile, hybrid-fp32, hybrid-int8 (the "
                   "last two build a side index at that precision).")
@click.option("--write-baseline", is_flag=True,
              help="Store the hybrid metrics as evals/baseline.json (the CI gate).")
@click.option("--check-baseline", is_flag=True,
              help="Exit 1 if the hybrid metrics fall below evals/baseline.json.")
@click.option("--baseline-file", type=click.Path(path_type=Path), default=None,
              help="Baseline file to write or check (default evals/baseline.json).")
def eval_cmd(dataset: Path, json_out: Path | None, report_dir: Path | None,
             config_names: tuple[str, ...], write_baseline: bool, check_baseline: bool,
             baseline_file: Path | None) -> None:
    """Run every case of DATASET through the bot and score the answers."""
    from corpus.loader import load_corpus
    from evals import baseline as gate
    from evals.dataset import load_dataset
    from evals.judge import judge_for
    from evals.runner import DEFAULT_CONFIG, config_by_name, run_eval

    configs = [config_by_name(n) for n in dict.fromkeys(config_names or (DEFAULT_CONFIG,))]
    names = [c.name for c in configs]
    if (write_baseline or check_baseline) and DEFAULT_CONFIG not in names:
        raise click.UsageError(f"the baseline holds the {DEFAULT_CONFIG} config's metrics: "
                               f"add --config {DEFAULT_CONFIG}")
    if write_baseline and baseline_file is None and dataset.resolve() != gate.DEV_SET:
        raise click.UsageError("evals/baseline.json is the dev set's baseline: use "
                               "--dataset evals/dev.jsonl (or --baseline-file FILE)")
    baseline_path = baseline_file or gate.BASELINE
    s = settings()
    corpus = load_corpus(s.corpus_dir)
    cases = load_dataset(dataset, known_ids=corpus.ids(), corpus=corpus)
    click.echo(f"{len(cases)} cases x {len(configs)} config(s): {', '.join(names)}", err=True)
    results = run_eval(s, cases, configs, judge=judge_for(s))
    click.echo(_summary(results))
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(json_payload(results, dataset), indent=1,
                                       ensure_ascii=False) + "\n", encoding="utf-8")
        click.echo(f"wrote {json_out}", err=True)
    if report_dir:
        from evals.report import write_report

        paths = write_report(results, report_dir, dataset.name)
        click.echo(f"wrote {paths[0]} and {paths[1]}", err=True)
    metrics = results[DEFAULT_CONFIG].metrics if DEFAULT_CONFIG in results else {}
    if write_baseline:
        path = gate.write_baseline(metrics, dataset, DEFAULT_CONFIG, s, baseline_path)
        click.echo(f"wrote {path}", err=True)
    if check_baseline:
        problems = gate.check(metrics, gate.load_baseline(baseline_path), dataset=dataset,
                              settings=s)
        if problems:
            click.echo("eval gate failed: " + "; ".join(problems), err=True)
            sys.exit(1)
        click.echo("eval gate passed", err=True)
