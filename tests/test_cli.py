"""The command line as a user meets it: JSON shapes, exit codes, one-line errors, offline.

A command that answers loads the real encoder, so those tests start ``careerbot`` in a
subprocess over the real model's index (slow). Usage errors, ``corpus check`` and ``index
--status`` load no encoder: they run the same click app in this process (``invoke``) over the
fake index or none.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_settings

ROOT = Path(__file__).resolve().parent.parent
CAREERBOT = [sys.executable, "-m", "ui.cli"]


def run(args: list[str], settings, *, env: dict[str, str] | None = None,
        prefix: list[str] | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERBOT_")}
    full_env.update(CAREERBOT_DATA_DIR=str(settings.data_dir),
                    CAREERBOT_CORPUS_DIR=str(settings.corpus_dir))
    full_env.update(env or {})
    return subprocess.run([*(prefix or []), *CAREERBOT, *args], capture_output=True, text=True,
                          env=full_env, cwd=ROOT, timeout=timeout)


def invoke(args: list[str], settings, *, env: dict[str, str] | None = None,
           ) -> subprocess.CompletedProcess:
    """``run`` in this process (click's runner): the same exit code and output, without the
    start-up of a second interpreter. For commands that load no encoder."""
    from click.testing import CliRunner

    from ui.cli import COMMAND_MODULES, cli

    for name in COMMAND_MODULES:
        importlib.import_module(name)
    got = CliRunner().invoke(cli, args, env={"CAREERBOT_DATA_DIR": str(settings.data_dir),
                                             "CAREERBOT_CORPUS_DIR": str(settings.corpus_dir),
                                             **(env or {})})
    return subprocess.CompletedProcess(args, got.exit_code, got.stdout, got.stderr)


@pytest.fixture
def no_index(tmp_path: Path):
    """Settings over an empty data dir: commands that must not need an index."""
    return make_settings(tmp_path / "no-index")


def test_ask_json_prints_the_answer_object(full_settings, corpus_ids):
    out = run(["ask", "What projects should a junior data analyst build?", "--json"],
              full_settings)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert set(answer) == {"answer", "stage", "stage_confidence", "next_stage", "declined",
                           "filters", "trace_id", "done", "corpus_version", "sources"}
    assert answer["stage"] == "portfolio" and answer["next_stage"] == "network-and-job"
    assert answer["sources"] and {s["id"] for s in answer["sources"]} <= corpus_ids
    assert set(answer["sources"][0]) == {"id", "title", "url", "stage", "kind", "checked",
                                         "year"}
    assert all(re.fullmatch(r"\d{4}-\d\d", s["checked"]) for s in answer["sources"])
    assert re.fullmatch(r"\d{4}-\d\d · [0-9a-f]{7}", answer["corpus_version"])


def test_ask_with_a_profile_file(full_settings, tmp_path):
    profile = tmp_path / "me.json"
    profile.write_text(json.dumps({"target_role": "machine learning engineer",
                                   "level": "beginner", "budget": "free",
                                   "formats": ["book", "course"]}))
    out = run(["ask", "What should I learn first?", "--json", "--profile", str(profile)],
              full_settings)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["filters"] == {
        "role": "ml-engineer", "level": "beginner", "formats": ["book", "course"],
        "cost": "free"}


@pytest.mark.parametrize(("args", "needle"), [
    (["ask", "   "], "Please type a question"),
    (["ask", "x" * 5000], "limit is 4000"),
    (["ask", "hi", "--profile", "/nonexistent.json"], "nonexistent.json"),
])
def test_bad_input_is_one_line_and_exit_2(no_index, args, needle):
    out = invoke(args, no_index)
    assert out.returncode == 2
    assert needle in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


def test_unknown_profile_key_is_named(no_index, tmp_path):
    bad = tmp_path / "p.json"
    bad.write_text(json.dumps({"target_role": "data scientist", "favourite_colour": "red",
                               "level": "guru"}))
    out = invoke(["ask", "hi", "--profile", str(bad)], no_index)
    assert out.returncode == 2
    assert "favourite_colour" in out.stderr and "level" in out.stderr


def test_a_target_role_the_corpus_does_not_know_is_named(full_settings, tmp_path):
    bad = tmp_path / "p.json"
    bad.write_text(json.dumps({"target_role": "astronaut"}))
    out = run(["ask", "What should I learn?", "--profile", str(bad)], full_settings)
    assert out.returncode == 2, out.stderr  # exactly 2: no crash on the way out
    assert "unknown target_role 'astronaut'" in out.stderr and "Data scientist" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_a_process_that_ends_right_after_building_the_bot_exits_cleanly(full_settings):
    """Ending while the collection warm-up query ran inside Chroma crashed at shutdown."""
    script = ("import sys\nfrom ui.cli.talk_cmds import load_bot\nfrom bot.settings import "
              "Settings\nload_bot(Settings())\nsys.exit(3)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERBOT_")}
    env.update(CAREERBOT_DATA_DIR=str(full_settings.data_dir),
               CAREERBOT_CORPUS_DIR=str(full_settings.corpus_dir))
    codes = [subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                            capture_output=True, timeout=120).returncode for _ in range(3)]
    assert codes == [3, 3, 3]


def test_missing_index_tells_the_user_what_to_run(settings_factory):
    s = settings_factory()
    out = run(["ask", "How do I become a data scientist?"], s)
    assert out.returncode == 1
    assert out.stderr.strip() == "error: index missing: run `careerbot index`"


def test_index_status_of_a_current_index(fake_settings):
    status = invoke(["index", "--status", "--json"], fake_settings)
    data = json.loads(status.stdout)
    assert data["built"] and data["stale"] is False
    assert set(data["counts"]) == {"landscape", "building-blocks", "resources", "portfolio",
                                   "network-and-job", "future-proof"}
    text = invoke(["index", "--status"], fake_settings).stdout
    assert "stale: no" in text and "model: all-MiniLM-L6-v2" in text


def test_an_unchanged_rebuild_embeds_nothing(full_settings):
    again = run(["index"], full_settings)
    assert again.returncode == 0 and again.stdout.startswith("unchanged")


def test_index_status_says_a_build_at_another_precision_needs_careerbot_index(fake_settings):
    built = fake_settings.quantization
    other = "int8" if built == "fp32" else "fp32"
    env = {"CAREERBOT_QUANTIZATION": other}
    data = json.loads(invoke(["index", "--status", "--json"], fake_settings, env=env).stdout)
    assert data["stale"] is True and data["quantization"] == built
    assert data["configured_quantization"] == other
    text = invoke(["index", "--status"], fake_settings, env=env).stdout
    assert "stale: yes" in text
    assert f"CAREERBOT_QUANTIZATION is {other}: `careerbot index` rebuilds it" in text


def test_corpus_check_json(no_index):
    out = invoke(["corpus", "check", "--json"], no_index)
    report = json.loads(out.stdout)
    assert report["ok"] and report["errors"] == []
    assert report["guides"] >= 6 * 6 and report["resources"] >= 150 and report["roles"] >= 8
    assert all(v["guides"] >= 6 for v in report["by_stage"].values())
    assert sum(report["by_kind"].values()) == report["resources"]


def test_corpus_check_prints_counts_per_stage_kind_level_cost_and_role(no_index):
    out = invoke(["corpus", "check"], no_index)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("ok: ")
    for stage in ("landscape", "building-blocks", "resources", "portfolio", "network-and-job",
                  "future-proof"):
        assert any(line.strip().startswith(f"{stage}: ") for line in lines), stage
    for label in ("kinds: ", "levels: ", "cost: ", "roles (resources): "):
        assert any(line.startswith(label) for line in lines), label
    assert "data-scientist " in out.stdout and "ml-engineer " in out.stdout


def test_corpus_check_names_the_broken_file(no_index, small_corpus):
    (small_corpus / "resources" / "broken.yaml").write_text(
        "- id: res-broken\n  title: A book\n  kind: scroll\n")
    out = invoke(["corpus", "check"], no_index.model_copy(update={"corpus_dir": small_corpus}))
    assert out.returncode == 2
    assert "broken.yaml" in out.stderr and "kind" in out.stderr


def test_help_lists_every_public_command():
    out = subprocess.run([*CAREERBOT, "--help"], capture_output=True, text=True, cwd=ROOT)
    for command in ("index", "ask", "chat", "web", "corpus", "roadmap", "feedback", "data",
                    "replay", "db"):
        assert f"  {command} " in out.stdout


def test_chat_keeps_history_across_turns(full_settings):
    proc = subprocess.run(
        [*CAREERBOT, "chat", "--user", "t1"],
        input="I want to become a data scientist, where do I start?\n"
              "okay, which books would help with that?\n/roadmap\n/quit\n",
        capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("CAREERBOT_")},
             "CAREERBOT_DATA_DIR": str(full_settings.data_dir)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("Sources:") == 2
    assert '"covered"' in proc.stdout


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux unshare")
def test_answers_with_the_network_cut(full_settings):
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("unshare -n not permitted here: " + probe.stderr.decode().strip())
    out = run(["ask", "Which podcasts help me keep up with AI?", "--json"], full_settings,
              prefix=["unshare", "-n"])
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["sources"]
