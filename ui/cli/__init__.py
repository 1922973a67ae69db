"""careerbot's command line: one click group, commands split by area.

Errors reach users as one line on stderr with an exit code (2 bad usage or input, 1 runtime
failure); a traceback only with ``--debug`` or ``CAREERBOT_DEBUG=1``.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import click
from pydantic import ValidationError

from bot.answer.hygiene import InputProblem
from bot.learner.profile import ProfileError

# exceptions that mean "the user gave bad input"; everything else is a runtime failure
USAGE_ERRORS: tuple[type[BaseException], ...] = (InputProblem, ProfileError, ValueError)


def _debug_wanted(ctx: click.Context | None) -> bool:
    if ctx is not None and ctx.obj and ctx.obj.get("debug"):
        return True
    try:
        from bot.settings import Settings
        return Settings().debug
    except Exception:  # bad settings must not hide the real error
        return False


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, InputProblem):
        return exc.reply
    if isinstance(exc, ValidationError):
        errs = exc.errors()
        first = errs[0] if errs else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"invalid setting {where}: {first.get('msg', exc)}"
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


class CareerbotGroup(click.Group):
    """Turns exceptions into one-line messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            # the reader stopped reading (``careerbot ask ... | head``): end quietly, as the
            # Python docs advise, so the interpreter's final flush does not complain either
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except Exception as exc:
            if _debug_wanted(ctx):
                raise
            from corpus.loader import CorpusError
            code = 2 if isinstance(exc, (*USAGE_ERRORS, CorpusError)) else 1
            if isinstance(exc, ValidationError):
                code = 2
            click.echo(f"error: {_one_line(exc)}", err=True)
            sys.exit(code)


@click.group(cls=CareerbotGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(package_name="careerbot")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """careerbot: what to learn next for a career in AI, from a curated knowledge base.

    \b
    Start here:
      careerbot index            build the knowledge index (first run: about a minute)
      careerbot ask "How do I become an ML engineer?"
      careerbot web              the chat in your browser (http://127.0.0.1:7860)
    Settings come from CAREERBOT_* environment variables or a .env file (.env.example).
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    from bot.logs import install_redaction
    install_redaction()


def settings() -> Any:
    """The settings of this run; an index left by an older careerbot in the source tree is
    taken over (moved to the user's data directory) the first time, with one notice."""
    from bot.app import adopt_legacy_data
    from bot.settings import Settings

    s, notice = adopt_legacy_data(Settings())
    if notice:
        click.echo(f"careerbot: {notice}", err=True)
    return s


# modules that register commands on ``cli`` when imported (one per area)
COMMAND_MODULES: tuple[str, ...] = (
    "ui.cli.index_cmds", "ui.cli.talk_cmds", "ui.cli.data_cmds", "ui.cli.app_cmds",
    "ui.cli.slack_cmds", "ui.cli.eval_cmds", "ui.cli.plan_cmds", "ui.cli.bench_cmds",
)


def main() -> None:
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(name)
    cli(prog_name="careerbot")
