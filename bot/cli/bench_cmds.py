"""``careerbot bench``: speed and scale figures as a table and, with ``--json``, a file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from bot.cli import cli, settings


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.2f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def render_table(r: dict[str, Any]) -> str:
    """The Bench JSON as a readable text table."""
    m, ix, q = r["machine"], r["index"], r["query"]
    lines = [f"machine: {m['cpus']} cpus ({m['cpu_model']}), {m.get('memory_mb')} MB, "
             f"Python {m['python']}, torch {m['torch']}, onnxruntime {m['onnxruntime']}, "
             f"chromadb {m['chromadb']}; load average {m['loadavg_start']} -> "
             f"{m.get('loadavg_end')}", ""]
    lines += [f"index ({ix['chunks']} real chunks)",
              f"  raw sentence-transformers encode   {_fmt(ix['raw_encode_chunks_per_s'])} "
              "chunks/s"]
    for name, row in ix.get("by_encoder", {}).items():
        lines.append(f"  build with {name:<24}{_fmt(row['build_chunks_per_s'])} chunks/s  "
                     f"(ratio {_fmt(row['ratio'])})")
    lines.append(f"  re-index after one edited doc      {_fmt(ix['reindex_one_doc_s'])} s "
                 f"({ix.get('reindex_embedded_chunks')} chunks embedded)")
    if r.get("onnx_export_s") is not None:
        lines.append(f"  ONNX export (once)                 {_fmt(r['onnx_export_s'])} s")
    lines += ["", f"query ({q['n']} questions)          p50 ms    p95 ms"]
    for name, row in q.get("by_encoder", {}).items():
        lines.append(f"  embed      {name:<22}{row['embed_p50_ms']:>8.2f}  "
                     f"{row['embed_p95_ms']:>8.2f}")
    for name, row in q.get("by_encoder", {}).items():
        lines.append(f"  retrieval  {name:<22}{row['retrieval_p50_ms']:>8.2f}  "
                     f"{row['retrieval_p95_ms']:>8.2f}")
    if q.get("answer_p50_ms") is not None:
        lines.append(f"  full answer (embedded generator)  {q['answer_p50_ms']:>8.2f}  "
                     f"{q['answer_p95_ms']:>8.2f}")
    lines.append(f"  {'baseline: LangChain similarity_search':<34}"
                 f"{q['baseline_similarity_search_p50_ms']:>8.2f}  "
                 f"{q['baseline_similarity_search_p95_ms']:>8.2f}")
    lines += ["", "cold start (process start to first `ask --json` answer)"]
    for path, row in r.get("cold_start", {}).items():
        runs = ", ".join(f"{x:.2f}" for x in row["runs_s"])
        lines.append(f"  {path:<24}median {row['median_s']:.2f} s  (runs: {runs})")
    if r.get("scale"):
        lines += ["", "scale      chunks  backend    retrieval p50/p95 ms  peak RSS MB  build s"]
        for row in r["scale"]:
            rss = _fmt(row["peak_rss_mb"])
            if row.get("server_peak_rss_mb") is not None:
                rss += f" (+server {_fmt(row['server_peak_rss_mb'])})"
            lines.append(f"  {row['chunks']:>12,}  {row['backend']:<9}  "
                         f"{row['retrieval_p50_ms']:>8.2f} / {row['retrieval_p95_ms']:<8.2f}"
                         f"  {rss:<11}  {_fmt(row.get('build_s'))}")
    if r.get("web"):
        lines += ["", "web        sessions  answers/s  errors  busy  p95 ms"]
        for row in r["web"]:
            lines.append(f"  {row['concurrency']:>14}  {row['answers_per_s']:>9.2f}  "
                         f"{row['errors']:>6}  {row.get('busy', 0):>4}  "
                         f"{_fmt(row.get('p95_ms'))}")
    for note in r.get("notes", []):
        lines.append(f"note: {note}")
    lines.append(f"\nbench took {r.get('bench_s')} s")
    return "\n".join(lines)


@cli.command("bench")
@click.option("--quick", is_flag=True, help="Under 5 minutes: 10k scale only, fewer repetitions.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the figures as JSON to this file.")
def bench_cmd(quick: bool, json_out: Path | None) -> None:
    """Measure index, query, cold-start, scale and web figures (prints a table)."""
    from evals.bench import Bench, BenchConfig
    from ui.webload import web_load

    corpus = settings().corpus_dir
    cfg = BenchConfig.quick(corpus) if quick else BenchConfig.full(corpus)
    result = Bench(cfg, web_load=web_load, say=lambda m: click.echo(m, err=True)).run()
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(result, indent=2))
    click.echo(render_table(result))
