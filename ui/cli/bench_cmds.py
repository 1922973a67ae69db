"""``careerbot bench``: speed and scale figures as a table and, with ``--json``, a file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ui.cli import cli, settings


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.2f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def _index_and_query_rows(r: dict[str, Any]) -> list[str]:
    """The index and query sections of the table."""
    ix, q = r["index"], r["query"]
    lines = [f"{'index (' + str(ix['chunks']) + ' real chunks), chunks/s':<40}{'build':>9}"
              f"{'raw s-t':>9}{'ratio':>9}"]
    for name, row in ix.get("by_encoder", {}).items():
        lines.append(f"  {'built with ' + name:<38}{_fmt(row['build_chunks_per_s']):>9}"
                     f"{_fmt(row.get('raw_encode_chunks_per_s')):>9}{_fmt(row['ratio']):>9}")
    lines.append("  (raw s-t: sentence-transformers encoding the same chunks just before)")
    lines.append(f"  {'re-index after one edited doc':<38}{_fmt(ix['reindex_one_doc_s'])} s "
                 f"({ix.get('reindex_embedded_chunks')} chunks embedded)")
    cli_run = ix.get("reindex_cli")
    if cli_run:
        lines.append(f"  {'  as `careerbot index` processes':<38}{_fmt(cli_run['edited_s'])} s "
                     f"(no-change run {_fmt(cli_run['no_change_s'])} s, so "
                     f"{_fmt(cli_run['beyond_start_up_s'])} s beyond start-up)")
    if r.get("onnx_export_s") is not None:
        lines.append(f"  {'ONNX export (once)':<38}{_fmt(r['onnx_export_s'])} s")
    lines += ["", f"{'query (' + str(q['n']) + ' questions)':<40}{'p50 ms':>9}{'p95 ms':>9}"]
    rows = [(f"embed, {n}", r["embed_p50_ms"], r["embed_p95_ms"])
            for n, r in q.get("by_encoder", {}).items()]
    rows += [(f"retrieval, {n}", r["retrieval_p50_ms"], r["retrieval_p95_ms"])
             for n, r in q.get("by_encoder", {}).items() if "retrieval_p50_ms" in r]
    rows.append(("full answer (embedded generator)", q.get("answer_p50_ms"),
                 q.get("answer_p95_ms")))
    rows.append(("baseline: LangChain similarity_search", q.get(
        "baseline_similarity_search_p50_ms"), q["baseline_similarity_search_p95_ms"]))
    lines += [f"  {label:<38}{_fmt(p50):>9}{_fmt(p95):>9}" for label, p50, p95 in rows]
    return lines


def render_table(r: dict[str, Any]) -> str:
    """The Bench JSON as a readable text table."""
    m = r["machine"]
    lines = [f"machine: {m['cpus']} cpus ({m['cpu_model']}), {m.get('memory_mb')} MB, "
             f"Python {m['python']}, torch {m['torch']}, onnxruntime {m['onnxruntime']}, "
             f"chromadb {m['chromadb']}; load average {m['loadavg_start']} -> "
             f"{m.get('loadavg_end')}", ""]
    lines += _index_and_query_rows(r)
    lines += ["", "cold start (process start to first `ask --json` answer)"]
    for path, row in r.get("cold_start", {}).items():
        runs = ", ".join(f"{x:.2f}" for x in row["runs_s"])
        lines.append(f"  {path:<24}median {row['median_s']:.2f} s  (runs: {runs})")
    if r.get("scale"):
        lines += ["", f"{'scale':<10}{'chunks':>9}  {'backend':<10}{'p50 ms':>8}{'p95 ms':>8}"
                      f"{'peak RSS MB':>13}{'build s':>9}"]
        for row in r["scale"]:
            rss = _fmt(row["peak_rss_mb"])
            server = row.get("server_peak_rss_mb")
            lines.append(f"{'':<10}{row['chunks']:>9,}  {row['backend']:<10}"
                         f"{row['retrieval_p50_ms']:>8.2f}{row['retrieval_p95_ms']:>8.2f}"
                         f"{rss:>13}{_fmt(row.get('build_s')):>9}"
                         + (f"  (server process: {_fmt(server)} MB)" if server else ""))
    if r.get("web"):
        lines += ["", f"{'web':<10}{'sessions':>9}{'answers/s':>11}{'errors':>8}{'busy':>6}"
                      f"{'p95 ms':>10}"]
        for row in r["web"]:
            lines.append(f"{'':<10}{row['concurrency']:>9}{row['answers_per_s']:>11.2f}"
                         f"{row['errors']:>8}{row.get('busy', 0):>6}"
                         f"{_fmt(row.get('p95_ms')):>10}")
    if r.get("targets"):
        lines += ["", f"{'targets':<46}{'measured':>10}  {'target':<10}"]
        for t in r["targets"]:
            verdict = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
            lines.append(f"  {t['what']:<44}{_fmt(t['value']):>10}  {t['target']:<10}{verdict}")
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
    from evals.bench import Bench, BenchConfig, web_load
    from index.embedder import onnx_export_dir, onnx_ready

    s = settings()
    if quick:
        export = onnx_export_dir(s.data_dir) if onnx_ready(s.data_dir) else None
        cfg = BenchConfig.quick(s.corpus_dir, export)
    else:
        cfg = BenchConfig.full(s.corpus_dir)
    result = Bench(cfg, web_load=web_load, say=lambda m: click.echo(m, err=True)).run()
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(result, indent=2))
    click.echo(render_table(result))
