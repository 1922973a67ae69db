"""Where am I and what next: ``assess`` (the backward checklist) and ``plan`` (the week plan)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ui import copy
from ui.cli import cli, settings


def _read_answers(path: Path) -> dict[str, object]:
    """Answers from a JSON or YAML mapping: question id -> yes/no or 1-5."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid JSON or YAML ({str(exc).splitlines()[0]})") \
            from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: must map question ids to answers, e.g. {{\"ls-role\": \"yes\"}}")
    return {str(k): v for k, v in data.items()}


def _ask(corpus: Any) -> dict[str, object]:
    """The checklist in the terminal, stage by stage from the job backwards."""
    checklist = corpus.assessment
    click.echo(checklist.intro)
    answers: dict[str, object] = {}
    for block in checklist.stages:
        click.echo(f"\n{corpus.stage_name(block.stage)} ({block.stage})")
        for q in block.questions:
            if q.kind == "scale":
                answers[q.id] = click.prompt(f"  {q.text}", type=click.IntRange(1, 5))
            else:
                answers[q.id] = click.confirm(f"  {q.text}", default=None)
    return answers


@cli.command("assess")
@click.option("--user", "user", default="local", show_default=True, help="User id.")
@click.option("--answers", "answers_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON/YAML file mapping question ids to answers (yes/no or 1-5); no prompts.")
@click.option("--questions", "list_questions", is_flag=True,
              help="Print the checklist's question ids and texts and exit.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def assess_cmd(user: str, answers_file: Path | None, list_questions: bool,
               as_json: bool) -> None:
    """Where am I? A short checklist walked backwards from the job; sets stage and roadmap."""
    from bot.app import make_store
    from bot.learner.assess import apply_assessment, assess, assessment_of, assessment_questions
    from corpus.loader import load_corpus

    s = settings()
    corpus = load_corpus(s.corpus_dir)
    checklist = assessment_of(corpus)
    if list_questions:
        questions = assessment_questions(checklist)
        if as_json:
            click.echo(json.dumps(questions, indent=2))
        else:
            for q in questions:
                click.echo(f"{q['id']:16} {q['stage']:16} [{'/'.join(q['choices'])}] {q['text']}")
        return
    answers = _read_answers(answers_file) if answers_file else _ask(corpus)
    result = assess(corpus, answers)
    roadmap = apply_assessment(make_store(s), user, result)
    if as_json:
        click.echo(json.dumps({"user": user, **result.model_dump(), "roadmap": roadmap},
                              indent=2))
        return
    click.echo(f"\n{result.explanation}")
    click.echo(f"Next step: {result.next_action}")
    click.echo(copy.ASSESS_SAVED.format(stage=result.stage,
                                           name=corpus.stage_name(result.stage)))
    click.echo(f"Your week-by-week plan: careerbot plan --user {user}")


def _import_ticks(store: Any, user: str, path: Path) -> None:
    from bot.learner.plan_export import parse_ticks, save_ticks

    ticks = parse_ticks(path.read_text(encoding="utf-8"))
    if not ticks:
        raise ValueError(f"{path}: no checkbox lines with item ids, like "
                         "- [x] `res-book-islp` ...")
    plan, changed, unknown = save_ticks(store, user, ticks)
    done, total = plan.progress()
    click.echo(f"imported {path}: {done} of {total} items done ({changed} changed)", err=True)
    if unknown:
        click.echo(f"note: {len(unknown)} item(s) in the file are not in the plan, e.g. "
                   f"{unknown[0]}", err=True)


@cli.command("plan")
@click.option("--user", "user", default="local", show_default=True, help="User id.")
@click.option("--weeks", type=click.IntRange(1, 52), help="Plan length (default 8, or as before).")
@click.option("--export", "fmt", type=click.Choice(["md", "ics"]),
              help="Markdown with checkboxes, or an iCalendar file.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default stdout).")
@click.option("--import", "import_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An exported Markdown plan with your ticks: keeps your progress.")
@click.option("--profile", "profile_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Update the stored profile from this JSON file first (see INTERFACES.md).")
@click.option("--regenerate", is_flag=True, help="Build the plan again (ticked items stay).")
@click.option("--json", "as_json", is_flag=True, help="The stored plan as JSON.")
def plan_cmd(user: str, weeks: int | None, fmt: str | None, out: Path | None,
             import_file: Path | None, profile_file: Path | None, regenerate: bool,
             as_json: bool) -> None:
    """Your week-by-week plan: corpus guides and resources that fit your hours."""
    from bot.app import make_store
    from bot.learner.plan import due_review_note, plan_for_user
    from bot.learner.plan_export import to_ics, to_markdown
    from bot.learner.profile import LearnerProfile, load_profile_file, require_known
    from corpus.loader import load_corpus

    s = settings()
    corpus = load_corpus(s.corpus_dir)
    given = load_profile_file(profile_file) if profile_file else None
    if given is not None:
        require_known(given, corpus)
    store = make_store(s)
    if given is not None:
        stored = LearnerProfile.model_validate(store.get_profile(user))
        merged = stored.merged(given)
        store.set_profile(user, merged.model_dump(exclude_none=True))
    if import_file:
        _import_ticks(store, user, import_file)
    if not (store.get_roadmap(user) or {}).get("current"):
        click.echo(f"No stage yet, so the plan starts at the beginning: run `careerbot assess "
                   f"--user {user}` to place yourself.", err=True)
    plan, status = plan_for_user(store, corpus, user, weeks=weeks, regenerate=regenerate)
    kept = sum(i.done for i in plan.items)
    if status != "kept":
        click.echo(f"{status} plan: {plan.weeks} weeks at {plan.hours_per_week:g} h a week, "
                   f"from stage {plan.stage}; review by {plan.review_by.isoformat()}"
                   + (f"; {kept} ticked items kept" if kept and status == "regenerated" else ""),
                   err=True)
    note = due_review_note(store, user)
    if note:
        click.echo(note, err=True)
    if fmt is None and out is not None:
        fmt = "ics" if out.suffix.lower() == ".ics" else "md"
    if as_json:
        text = json.dumps(plan.store_form(), indent=2, ensure_ascii=False) + "\n"
    elif fmt == "ics":
        text = to_ics(plan, user)
    else:
        text = to_markdown(plan, user, corpus.stage_name(plan.stage))
    if out is None:
        click.echo(text, nl=False)
        return
    out.write_bytes(text.encode("utf-8"))  # bytes: the .ics keeps its CRLF line ends
    click.echo(f"wrote {out}" + (f": tick items, then `careerbot plan --user {user} --import "
                                 f"{out}`" if fmt == "md" else ""), err=True)
