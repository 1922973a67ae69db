"""Talking to the bot: ``ask``, ``chat``, ``roadmap`` and ``replay``."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import click

from bot.cli import cli, settings


def ensure_index(s: Any) -> None:
    """Build the index on first use, with progress, so a fresh clone just works."""
    from bot.factory import index_exists

    if not index_exists(s):
        from bot.cli.index_cmds import build_with_progress

        click.echo("No index yet: building it once (about a minute)...", err=True)
        click.echo(build_with_progress(s).summary(), err=True)


def load_bot(s: Any, auto_index: bool = False) -> Any:
    from bot.factory import build_bot

    if auto_index:
        ensure_index(s)
    return build_bot(s)


def print_sources(answer: Any) -> None:
    if not answer.sources:
        return
    click.echo("\nSources:")
    for n, src in enumerate(answer.sources, 1):
        url = f" <{src.url}>" if src.url else ""
        click.echo(f"  [{n}] {src.title} ({src.kind}, {src.id}){url}")


def stream_answer(bot: Any, question: str, user: str | None, profile: Any = None) -> Any:
    """Print the answer as it is produced; return the final answer object."""
    from bot.agent import Answer

    answer = None
    for piece in bot.stream(question, user_id=user, profile=profile):
        if isinstance(piece, Answer):
            answer = piece
        else:
            click.echo(piece, nl=False)
    click.echo()
    return answer


@cli.command("ask")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the answer object as JSON.")
@click.option("--profile", "profile_file", type=click.Path(path_type=Path),
              help="Learner profile JSON or YAML file (keys: see INTERFACES.md).")
@click.option("--user", "user", help="Keep history, profile and roadmap under this id.")
def ask_cmd(question: str, as_json: bool, profile_file: Path | None, user: str | None) -> None:
    """Answer one QUESTION about your AI career, with cited sources."""
    from bot.profile import load_profile_file

    profile = load_profile_file(profile_file) if profile_file else None
    s = settings()
    from bot.hygiene import check_input
    check_input(question, s.max_input_chars)  # bad input fails before the index loads
    bot = load_bot(s)
    if as_json:
        answer = bot.ask(question, user_id=user, profile=profile)
        click.echo(json.dumps(answer.public(), ensure_ascii=False))
        return
    answer = stream_answer(bot, question, user, profile)
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
    from bot.hygiene import InputProblem

    s = settings()
    bot = load_bot(s, auto_index=True)
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
        try:
            click.echo("careerbot> ", nl=False)
            print_sources(stream_answer(bot, question, user))
        except InputProblem as problem:
            click.echo(problem.reply)


@cli.command("roadmap")
@click.option("--user", "user", default="local", show_default=True, help="User id.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def roadmap_cmd(user: str, as_json: bool) -> None:
    """Show a user's roadmap: stages covered, where they are, the next best action."""
    from bot import prompts
    from bot.factory import make_store
    from corpus.schema import STAGES

    roadmap = make_store(settings()).get_roadmap(user)
    if as_json:
        click.echo(json.dumps(roadmap, indent=2))
        return
    if not roadmap:
        click.echo(f"No roadmap for '{user}' yet: ask a question with --user {user}.")
        return
    covered = set(roadmap.get("covered", []))
    for n, slug in enumerate(STAGES, 1):
        mark = ">" if slug == roadmap.get("current") else ("x" if slug in covered else " ")
        click.echo(f" [{mark}] {n}. {prompts.STAGE_NAMES[slug]} ({slug})")
    if roadmap.get("target_role"):
        click.echo(f"target role: {roadmap['target_role']}")
    click.echo(f"next best action: {roadmap.get('next_action', '')}")


@cli.command("replay")
@click.argument("trace_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def replay_cmd(trace_id: str, as_json: bool) -> None:
    """Show how an answer was made and whether the bot still answers the same."""
    s = settings()
    from bot.factory import make_store

    trace = make_store(s).get_trace(trace_id)
    if trace is None:
        raise click.BadParameter(f"no trace with id {trace_id}", param_hint="TRACE_ID")
    bot = load_bot(s)
    from bot.profile import LearnerProfile

    now = bot.ask(trace["question"], profile=LearnerProfile(**trace.get("profile", {})))
    before = trace["answer"]
    same = now.answer == before["answer"] and \
        [x.id for x in now.sources] == [x["id"] for x in before["sources"]]
    report = {"trace_id": trace_id, "question": trace["question"], "same": same,
              "stage": before.get("stage"), "stage_scores": trace.get("stage_scores"),
              "query": trace.get("query"), "filters": trace.get("filters"),
              "passages": trace.get("passages"), "resources": trace.get("resources"),
              "generator": trace.get("generator"),
              "prompts_version": trace.get("prompts_version"),
              "sources_then": [x["id"] for x in before["sources"]],
              "sources_now": [x.id for x in now.sources]}
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"question: {trace['question']}")
    click.echo(f"retrieval query: {trace.get('query')}")
    click.echo(f"stage: {before.get('stage')}  scores: {trace.get('stage_scores')}")
    click.echo(f"filters: {trace.get('filters')}")
    click.echo("retrieved:")
    for p in trace.get("passages") or []:
        click.echo(f"  {p['id']}  rrf={p['score']} dense={p['dense_sim']} bm25={p['bm25']}")
    click.echo(f"generator: {trace.get('generator')} (prompts {trace.get('prompts_version')})")
    click.echo("still the same answer: " + ("yes" if same else "no"))
    if not same:
        click.echo(f"  sources then: {report['sources_then']}\n  sources now: "
                   f"{report['sources_now']}")
