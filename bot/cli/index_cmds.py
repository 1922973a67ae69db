"""``careerbot index`` and ``careerbot corpus check``."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import click

from bot.cli import cli, settings


def index_status(s: Any) -> dict[str, Any]:
    """What the current index is and whether `careerbot index` would change it (the corpus
    changed since the build, or the configured precision is not the one it was built at)."""
    from bot.factory import make_chroma
    from corpus.loader import corpus_hash
    from index.embedder import MODEL_NAME

    _, manifests = make_chroma(s)
    manifest = manifests.read()
    if manifest is None:
        return {"built": False, "stale": True, "collection": None, "model": MODEL_NAME,
                "counts": {}, "chunks": 0, "corpus_hash": corpus_hash(s.corpus_dir)}
    current = corpus_hash(s.corpus_dir)
    return {"built": True, "collection": manifest.collection, "chunks":
            len(manifest.chunk_hashes), "counts": manifest.stage_counts,
            "model": manifest.model, "quantization": manifest.quantization,
            "configured_quantization": s.quantization,
            "corpus_hash": manifest.corpus_hash, "current_corpus_hash": current,
            "stale": current != manifest.corpus_hash or manifest.quantization != s.quantization,
            "built_at": manifest.built_at, "backend": "server" if s.chroma_url else "embedded"}


def build_with_progress(s: Any, rebuild: bool = False, quiet: bool = False) -> Any:
    """Run the index build with a progress bar on stderr."""
    from tqdm import tqdm

    from bot.factory import run_index

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
        click.echo(f"corpus hash: {st['corpus_hash']}")
        click.echo(f"stale: {'yes' if st['stale'] else 'no'}")
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


def corpus_report(corpus: Any) -> dict[str, Any]:
    from corpus.schema import STAGES

    by_stage = {s: {"guides": sum(g.stage == s for g in corpus.guides),
                    "resources": sum(s in r.stages for r in corpus.resources)} for s in STAGES}
    by_role: Counter[str] = Counter()
    for r in corpus.resources:
        for role in r.roles:
            by_role[role] += 1
    return {"ok": True, "errors": [], "guides": len(corpus.guides), "roles": len(corpus.roles),
            "resources": len(corpus.resources), "by_stage": by_stage,
            "by_kind": dict(Counter(r.kind for r in corpus.resources)),
            "by_level": dict(Counter(r.level for r in corpus.resources)),
            "by_cost": dict(Counter(r.cost for r in corpus.resources)),
            "by_role": dict(sorted(by_role.items()))}


@corpus_group.command("check")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def corpus_check(as_json: bool) -> None:
    """Validate every corpus file and print counts (exit 2 on problems)."""
    from corpus.loader import CorpusError, load_corpus

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
    report = corpus_report(corpus)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"ok: {report['guides']} guides, {report['roles']} roles, "
               f"{report['resources']} resources")
    for stage, n in report["by_stage"].items():
        click.echo(f"  {stage}: {n['guides']} guides, {n['resources']} resources")
    click.echo("kinds: " + ", ".join(f"{k} {v}" for k, v in sorted(report["by_kind"].items())))
    click.echo("levels: " + ", ".join(f"{k} {v}" for k, v in report["by_level"].items()))
    click.echo("cost: " + ", ".join(f"{k} {v}" for k, v in report["by_cost"].items()))
    click.echo("roles (resources): " + ", ".join(f"{k} {v}" for k, v in
                                                 sorted(report["by_role"].items())))
