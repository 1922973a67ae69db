"""Stored state: ``feedback``, ``data`` and ``db`` commands."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import click

from evals.from_feedback import eval_case, split_reason
from ui.cli import cli, settings

FEEDBACK_FIELDS = ("id", "created_at", "trace_id", "user_id", "rating", "reason", "stage",
                   "question", "answer", "comment")
@cli.group("feedback")
def feedback_group() -> None:
    """Thumbs up/down collected from the web and Slack apps."""


@feedback_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True)
@click.option("--out", type=click.Path(path_type=Path), help="File to write (default stdout).")
def feedback_export(fmt: str, out: Path | None) -> None:
    """Export all stored feedback."""
    from bot.app import make_store

    rows = [{**r, "reason": split_reason(r.get("comment"))[0]}
            for r in make_store(settings()).feedback_rows()]
    sink = out.open("w", newline="", encoding="utf-8") if out else sys.stdout
    try:
        if fmt == "jsonl":
            for row in rows:
                sink.write(json.dumps({k: row.get(k) for k in FEEDBACK_FIELDS}) + "\n")
        else:
            writer = csv.DictWriter(sink, fieldnames=FEEDBACK_FIELDS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
    finally:
        if out:
            sink.close()
    if out:
        click.echo(f"wrote {len(rows)} rows to {out}", err=True)


@feedback_group.command("to-eval")
@click.option("--out", type=click.Path(path_type=Path), help="File to write (default stdout).")
def feedback_to_eval(out: Path | None) -> None:
    """Turn thumbs-down answers into candidate eval cases (JSONL) for review.

    Each line is a case in the eval dataset format with ``needs_review: true``: check the
    expected stage and topics, remove the flag, and add it to the development set.
    """
    from bot.app import make_store

    store = make_store(settings())
    seen: set[str] = set()
    lines = []
    for row in store.feedback_rows():
        if row["rating"] >= 0 or not (row.get("question") or "").strip():
            continue
        trace = store.get_trace(row["trace_id"]) if row.get("trace_id") else None
        case = eval_case(row, trace)
        same = json.dumps([case["question"].strip(), case.get("history"), case.get("profile")])
        if same not in seen:  # one case per question in its context
            seen.add(same)
            lines.append(json.dumps(case, ensure_ascii=False))
    text = "\n".join(lines) + ("\n" if lines else "")
    if out:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(lines)} candidate cases to {out}", err=True)
    else:
        click.echo(text, nl=False)


@cli.group("data")
def data_group() -> None:
    """What careerbot holds about a user."""


@data_group.command("show")
@click.option("--user", "user", required=True, help="User id.")
def data_show(user: str) -> None:
    """Everything held about a user, as JSON."""
    from bot.app import make_store

    click.echo(json.dumps(make_store(settings()).export_user(user), indent=2,
                          ensure_ascii=False))


@data_group.command("forget")
@click.option("--user", "user", required=True, help="User id.")
def data_forget(user: str) -> None:
    """Delete everything held about a user."""
    from bot.app import make_store

    n = make_store(settings()).forget_user(user)
    click.echo(f"deleted {n} rows about {user}")


@cli.group("db")
def db_group() -> None:
    """The state store (SQLite by default, PostgreSQL via CAREERBOT_DB_URL)."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Apply the state store's migrations."""
    from bot.store.state import make_engine, upgrade

    s = settings()
    upgrade(make_engine(s.state_url))
    click.echo(f"state store up to date ({s.state_url.split('://', 1)[0]})")
