"""Data lives in the user's data directory; an index from an older careerbot is taken over."""

from __future__ import annotations

from pathlib import Path

from bot.app import adopt_legacy_data
from bot.settings import Settings


def settings_at(data_dir: Path) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]


def legacy_index(root: Path) -> Path:
    legacy = root / "repo" / "index" / "data"
    legacy.mkdir(parents=True)
    (legacy / "careerbot-manifest.json").write_text("{}")
    (legacy / "careerbot.db").write_text("state")
    return legacy


def test_an_index_in_the_old_location_moves_to_the_users_data_dir_once(tmp_path):
    legacy, default = legacy_index(tmp_path), tmp_path / "home" / "careerbot"
    s, notice = adopt_legacy_data(settings_at(default), legacy=legacy, default=default)
    assert s.data_dir == default and notice and "moved" in notice
    assert (default / "careerbot-manifest.json").exists() and (default / "careerbot.db").exists()
    assert not legacy.exists()
    again, notice = adopt_legacy_data(settings_at(default), legacy=legacy, default=default)
    assert again.data_dir == default and notice is None, "one notice, the first time only"


def test_data_already_in_the_users_dir_is_never_overwritten(tmp_path):
    legacy, default = legacy_index(tmp_path), tmp_path / "home" / "careerbot"
    default.mkdir(parents=True)
    (default / "careerbot.db").write_text("newer state")
    s, notice = adopt_legacy_data(settings_at(default), legacy=legacy, default=default)
    assert s.data_dir == default and notice is None
    assert (default / "careerbot.db").read_text() == "newer state" and legacy.exists()


def test_an_explicit_data_dir_is_left_alone(tmp_path):
    legacy, default = legacy_index(tmp_path), tmp_path / "home" / "careerbot"
    chosen = tmp_path / "mine"
    s, notice = adopt_legacy_data(settings_at(chosen), legacy=legacy, default=default)
    assert s.data_dir == chosen and notice is None and legacy.exists()


def test_when_it_cannot_be_moved_the_old_index_is_used_where_it_is(tmp_path):
    legacy = legacy_index(tmp_path)
    blocker = tmp_path / "home"
    blocker.write_text("a file where the data dir's parent should be")
    default = blocker / "careerbot"
    s, notice = adopt_legacy_data(settings_at(default), legacy=legacy, default=default)
    assert s.data_dir == legacy and notice and notice.startswith("using the index")
