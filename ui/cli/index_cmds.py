"""``careerbot index`` and ``careerbot corpus check``."""

from __future__ import annotations

import json
from typing import Any

import click

from ui.cli import cli, settings


def build_with_progress(s: Any, rebuild: bool = False, quiet: bool = False) -> Any:
    """Run the index build with a progress bar on stderr."""
    from tqdm import tqdm

    from bot.app import run_index

    bar: list[Any] = []

    def on_phase(name: str, total: int) -> None:
        if bar:
            bar[0].close()
            bar.clear()
        if quiet:
            return
        if name == "embedding" and total:
            bar.append(tqdm(total=total, desc="embedding", unit="chunk", leave=False))
        elif name in ("exporting", "loading", "writing", "switching"):
            click.echo(f"{name}...", err=True)

    try:
        return run_index(s, rebuild=rebuild, on_phase=on_phase,
                         progress=lambda n: bar[0].update(n) if bar else None)
    finally:
        if bar:
            bar[0].close()


@cli.command("index")
@click.option("--rebuild", is_flag=True, help="Embed everything again (still atomic).")
@click.option("--status", "status", is_flag=True, help="Show what the current index holds.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def index_cmd(rebuild: bool, status: bool, as_json: bool) -> None:
    """Build or update the knowledge index from the corpus (incremental, atomic)."""
    s = settings()
    if status:
        from bot.app import index_status

        st = index_status(s)
        if as_json:
            click.echo(json.dumps(st, indent=2))
            return
        if not st["built"]:
            click.echo("no index yet: run `careerbot index`")
            return
        click.echo(f"collection: {st['collection']} ({st['backend']})")
        click.echo(f"chunks: {st['chunks']}")
        for stage, n in st["counts"].items():
            click.echo(f"  {stage}: {n}")
        other = st["configured_quantization"] != st["quantization"]
        click.echo(f"model: {st['model']} ({st['quantization']}"
                   + (f"; CAREERBOT_QUANTIZATION is {st['configured_quantization']}: "
                      "`careerbot index` rebuilds it" if other else "") + ")")
        if "model" in st["stale_because"]:
            click.echo(f"CAREERBOT_EMBEDDING_MODEL is {st['configured_model']}: "
                       "`careerbot index` rebuilds it with that model")
        click.echo(f"corpus hash: {st['corpus_hash']}")
        because = f" ({', '.join(st['stale_because'])} changed)" if st["stale"] else ""
        click.echo(f"stale: {'yes' if st['stale'] else 'no'}{because}")
        return
    report = build_with_progress(s, rebuild=rebuild, quiet=as_json)
    if as_json:
        click.echo(json.dumps({"collection": report.collection, "added": len(report.added),
                               "updated": len(report.updated), "removed": len(report.removed),
                               "unchanged": report.unchanged, "embedded": report.embedded,
                               "changed": report.changed, "seconds": round(report.seconds, 2)}))
    else:
        click.echo(report.summary())


@cli.group("corpus")
def corpus_group() -> None:
    """Work with the curated corpus."""


class OneLineUsage(click.Command):
    """Bad options give click's usage error as one line ("Error: ..."), like every other
    careerbot error, instead of the usage text and a hint around it."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            exc.ctx = None
            raise


@corpus_group.command("check", cls=OneLineUsage)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--stale-after", type=click.IntRange(min=0), default=12, metavar="MONTHS",
              show_default=True, help="List entries whose `checked` month is older than this.")
def corpus_check(as_json: bool, stale_after: int) -> None:
    """Validate every corpus file, print counts and the entries due for review (exit 2 on
    problems)."""
    from corpus.loader import CorpusError, load_corpus
    from corpus.review import corpus_report

    s = settings()
    try:
        corpus = load_corpus(s.corpus_dir)
    except CorpusError as exc:
        if as_json:
            click.echo(json.dumps({"ok": False, "errors": exc.problems}, indent=2))
        else:
            for problem in exc.problems:
                click.echo(f"error: {problem}", err=True)
        raise SystemExit(2) from None
    report = corpus_report(corpus, stale_after)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"ok: {report['guides']} guides, {report['roles']} roles, "
               f"{report['resources']} resources, {report['cards']} answer cards, "
               f"{report['milestones']} milestones, {report['backgrounds']} backgrounds")
    for stage, n in report["by_stage"].items():
        click.echo(f"  {stage}: {n['guides']} guides, {n['resources']} resources, "
                   f"{n['cards']} cards")
    click.echo("kinds: " + ", ".join(f"{k} {v}" for k, v in sorted(report["by_kind"].items())))
    click.echo("levels: " + ", ".join(f"{k} {v}" for k, v in report["by_level"].items()))
    click.echo("cost: " + ", ".join(f"{k} {v}" for k, v in report["by_cost"].items()))
    click.echo("roles (resources): " + ", ".join(f"{k} {v}" for k, v in
                                                 sorted(report["by_role"].items())))
    click.echo(f"checked: {report['checked_coverage']:.0%} dated, newest "
               f"{report['newest_check']}, oldest {report['oldest_check']}")
    stale = report["stale"]
    click.echo(f"due for review (checked more than {stale_after} months ago): {len(stale)}")
    for row in stale:
        click.echo(f"  {row['checked']}  {row['kind']:<8} {row['id']}")


@corpus_group.command("links", cls=OneLineUsage)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=10.0,
              metavar="SECONDS", show_default=True, help="Seconds to wait for each request.")
@click.option("--concurrency", type=click.IntRange(min=1), default=16, metavar="N",
              show_default=True, help="Requests in flight at once.")
@click.option("--per-host", type=click.IntRange(min=1), default=2, metavar="N",
              show_default=True, help="Requests in flight at once to one host.")
@click.option("--retries", type=click.IntRange(min=0), default=2, metavar="N",
              show_default=True, help="Tries again after timeouts, lost connections, 5xx and 429.")
def corpus_links(as_json: bool, timeout: float, concurrency: int, per_host: int,
                 retries: int) -> None:
    """Check every link in the corpus over HTTP (writes nothing; exit 1 if a link is dead)."""
    import sys

    from corpus.links import (
        NO_NETWORK,
        CheckOptions,
        check_links,
        collect_links,
        render_table,
        report_json,
    )
    from corpus.loader import load_corpus

    links = collect_links(load_corpus(settings().corpus_dir))
    options = CheckOptions(timeout=timeout, concurrency=concurrency, per_host=per_host,
                           retries=retries)
    bar = None
    if sys.stderr.isatty():
        from tqdm import tqdm
        bar = tqdm(total=len({link.url for link in links}), desc="checking links",
                   unit="url", leave=False, file=sys.stderr)
    try:
        report = check_links(links, options, on_checked=(lambda _: bar.update(1)) if bar else None)
    finally:
        if bar is not None:
            bar.close()
    if report.no_network:
        click.echo(NO_NETWORK, err=True)
        raise SystemExit(2)
    click.echo(json.dumps(report_json(report), indent=2) if as_json else render_table(report))
    if report.any_dead:
        raise SystemExit(1)
