"""Talking to the bot: ``ask``, ``chat``, ``roadmap`` and ``replay``."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import click

from ui.cli import cli, settings


def ensure_index(s: Any) -> None:
    """Build the index on first use, with progress, so a fresh clone just works."""
    from bot.app import index_exists

    if not index_exists(s):
        from ui.cli.index_cmds import build_with_progress

        click.echo("No index yet: building it once (about a minute)...", err=True)
        click.echo(build_with_progress(s).summary(), err=True)


def load_bot(s: Any, auto_index: bool = False) -> Any:
    """The bot for ``s``; the encoder loads on a second thread while the heavy modules import.

    ONNX Runtime reads and prepares the model (~0.1 s) without holding the GIL, so this hides
    it behind the ~0.8 s of imports that follow, shortening the time to the first answer.
    """
    from concurrent.futures import ThreadPoolExecutor

    from index.embedder import build_encoder

    if auto_index:
        ensure_index(s)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="encoder") as pool:
        encoder = pool.submit(build_encoder, s.data_dir, s.encoder, s.quantization)
        import bot.answer.pipeline  # noqa: F401  (the heavy imports, while the encoder loads)
        from bot.app import build_bot

        return build_bot(s, encoder=encoder.result())


def print_sources(answer: Any) -> None:
    if not answer.sources:
        return
    from ui.render import corpus_line, source_dates

    click.echo("\nSources:")
    for n, src in enumerate(answer.sources, 1):
        url = f" <{src.url}>" if src.url else ""
        dates = source_dates(src)
        click.echo(f"  [{n}] {src.title} ({src.kind}, {src.id}{', ' + dates if dates else ''})"
                   f"{url}")
    if corpus_line(answer):
        click.echo(f"  {corpus_line(answer)}")


def desk_for(bot: Any, s: Any) -> Any:
    """The front desk for the local terminal: the same rules as web and Slack, no limits."""
    from ui.desk import Desk

    return Desk(bot, s, limited=False)


def stream_answer(desk: Any, question: str, user: str | None, profile: Any = None) -> Any:
    """Print the answer as it is produced; return the desk's reply."""
    from ui.desk import Reply

    reply = None
    for piece in desk.stream(question, user, profile=profile):
        if isinstance(piece, Reply):
            reply = piece
        else:
            click.echo(piece, nl=False)
    assert reply is not None
    if reply.answer is not None:
        click.echo()
    return reply


def refused(reply: Any) -> None:
    """A refusal on the command line: one line on stderr, exit 2 for bad input (a usage
    error), 1 for a failure."""
    if reply.answer is None:
        raise (ValueError if reply.problem in BAD_INPUT else RuntimeError)(reply.text)


BAD_INPUT = ("empty", "too_long", "profile")


@cli.command("ask")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the answer object as JSON.")
@click.option("--profile", "profile_file", type=click.Path(path_type=Path),
              help="Learner profile JSON or YAML file (keys: see INTERFACES.md).")
@click.option("--user", "user", help="Keep history, profile and roadmap under this id.")
def ask_cmd(question: str, as_json: bool, profile_file: Path | None, user: str | None) -> None:
    """Answer one QUESTION about your AI career, with cited sources."""
    from bot.learner.profile import load_profile_file

    profile = load_profile_file(profile_file) if profile_file else None
    s = settings()
    from bot.answer.hygiene import check_input
    check_input(question, s.max_input_chars)  # bad input fails before the index loads
    desk = desk_for(load_bot(s), s)
    if as_json:
        reply = desk.ask(question, user, profile=profile)
        refused(reply)
        click.echo(json.dumps(reply.public(), ensure_ascii=False))
        return
    reply = stream_answer(desk, question, user, profile)
    refused(reply)
    answer = reply.answer
    print_sources(answer)
    if answer.stage:
        nxt = f", next: {answer.next_stage}" if answer.next_stage else ""
        click.echo(f"\nstage: {answer.stage} ({answer.stage_confidence:.2f}{nxt})"
                   f"  trace: {answer.trace_id}", err=True)


CHAT_HELP = """Commands: /roadmap shows your roadmap, /profile your profile, /quit leaves.
Tell me about yourself ("I'm a backend developer with 5 hours a week") to tailor answers."""


@cli.command("chat")
@click.option("--user", "user", help="Conversation id (history and profile are kept per id).")
def chat_cmd(user: str | None) -> None:
    """Interactive chat in the terminal, with history."""
    s = settings()
    bot = load_bot(s, auto_index=True)
    desk = desk_for(bot, s)
    user = user or f"cli-{uuid.uuid4().hex[:8]}"
    click.echo(f"careerbot: ask what to learn next for a career in AI. ({user})\n{CHAT_HELP}")
    while True:
        try:
            question = click.prompt("\nyou", prompt_suffix="> ", default="",
                                    show_default=False)
        except (EOFError, click.Abort):
            click.echo()
            return
        cmd = question.strip().lower()
        if cmd in ("/quit", "/exit", "quit", "exit"):
            return
        if cmd == "/help":
            click.echo(CHAT_HELP)
            continue
        if cmd == "/roadmap":
            click.echo(json.dumps(bot.roadmap(user), indent=2) or "{}")
            continue
        if cmd == "/profile":
            click.echo(json.dumps(bot.store.get_profile(user) if bot.store else {}, indent=2))
            continue
        click.echo("careerbot> ", nl=False)
        reply = stream_answer(desk, question, user)
        if reply.answer is None:
            click.echo(reply.text)
        else:
            print_sources(reply.answer)


@cli.command("roadmap")
@click.option("--user", "user", default="local", show_default=True, help="User id.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def roadmap_cmd(user: str, as_json: bool) -> None:
    """Show a user's roadmap: stages covered, where they are, the next best action."""
    from bot.app import make_store
    from corpus.loader import load_corpus
    from corpus.schema import STAGES

    s = settings()
    roadmap = make_store(s).get_roadmap(user)
    if as_json:
        click.echo(json.dumps(roadmap, indent=2))
        return
    if not roadmap:
        click.echo(f"No roadmap for '{user}' yet: ask a question with --user {user}.")
        return
    corpus = load_corpus(s.corpus_dir)
    covered = set(roadmap.get("covered", []))
    for n, slug in enumerate(STAGES, 1):
        mark = ">" if slug == roadmap.get("current") else ("x" if slug in covered else " ")
        click.echo(f" [{mark}] {n}. {corpus.stage_name(slug)} ({slug})")
    if roadmap.get("target_role"):
        click.echo(f"target role: {roadmap['target_role']}")
    click.echo(f"next best action: {roadmap.get('next_action', '')}")


@cli.command("replay")
@click.argument("trace_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def replay_cmd(trace_id: str, as_json: bool) -> None:
    """Show how an answer was made and whether the bot still answers the same."""
    s = settings()
    from bot.app import make_store

    trace = make_store(s).get_trace(trace_id)
    if trace is None:
        raise click.BadParameter(f"no trace with id {trace_id}", param_hint="TRACE_ID")
    from bot.learner.replay import replay_trace

    report = replay_trace(s, {**trace, "trace_id": trace_id})
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    click.echo(f"question: {report['question']}")
    if report["history"]:
        click.echo(f"conversation before: {len(report['history'])} messages")
    if report["profile"]:
        click.echo(f"profile: {json.dumps(report['profile'])}")
    follow = " (follow-up, rewritten)" if report["follow_up"] else ""
    click.echo(f"retrieval query{follow}: {report['query']}")
    click.echo(f"scope: {report['scope']}")
    click.echo(f"stage: {report['stage']}  scores: {report['stage_scores']}")
    click.echo(f"filters: {report['filters']}")
    for label, hits in (("retrieved passages", report["passages"]),
                        ("retrieved resources", report["resources"])):
        if hits:
            click.echo(f"{label}:")
        for p in hits:
            click.echo(f"  {p['id']}  rrf={p['score']} dense={p['dense_sim']} bm25={p['bm25']}")
    click.echo(f"generator: {report['generator']} (prompts {report['prompts_version']})")
    click.echo(f"settings: {json.dumps(report['settings'])}")
    click.echo("still the same answer: " + ("yes" if report["same"] else
                                            "no (" + ", ".join(report["differs"]) + ")"))
    for line in report["changed_since"]:
        click.echo(f"  changed since: {line}")
    if not report["same"]:
        click.echo(f"  sources then: {report['sources_then']}\n  sources now: "
                   f"{report['sources_now']}")
