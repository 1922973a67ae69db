"""Settings, their documentation and the public names stay in sync."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ("DATA_DIR", "CHROMA_URL", "MAX_INPUT_CHARS", "LLM", "LLM_BASE_URL", "LLM_MODEL",
          "LLM_API_KEY", "SLACK_MODE", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN",
          "SLACK_SIGNING_SECRET", "SLACK_PORT", "SLACK_API_URL", "RATE_LIMIT_PER_MIN", "DB_URL")


def test_every_setting_has_a_description():
    missing = [n for n, f in Settings.model_fields.items() if not (f.description or "").strip()]
    assert missing == []


def test_every_setting_is_listed_in_env_example():
    text = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"CAREERBOT_([A-Z0-9_]+)=", text))
    assert listed == {n.upper() for n in Settings.model_fields}


def test_public_setting_names_exist_with_documented_defaults():
    fields = {n.upper() for n in Settings.model_fields}
    assert set(PUBLIC) <= fields
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.max_input_chars == 4000 and s.llm == "none" and s.slack_mode == "socket"
    assert s.slack_port == 3000 and s.rate_limit_per_min == 20
    assert s.slack_api_url == "https://slack.com/api/" and s.chroma_url is None


def test_the_default_data_dir_is_the_users_not_the_packages():
    import platformdirs

    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.data_dir == Path(platformdirs.user_data_dir("careerbot"))
    assert ROOT not in s.data_dir.parents, "nothing is written inside the installed package"


def test_an_embedding_model_setting_must_be_a_model_folder(tmp_path):
    import pydantic
    import pytest

    with pytest.raises(pydantic.ValidationError, match="not a sentence-transformers model"):
        Settings(_env_file=None, embedding_model=tmp_path)  # type: ignore[call-arg]
    (tmp_path / "config.json").write_text("{}")
    assert Settings(_env_file=None, embedding_model=tmp_path).model_path == tmp_path


def test_environment_overrides_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("CAREERBOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CAREERBOT_MAX_INPUT_CHARS", "123")
    monkeypatch.setenv("CAREERBOT_DB_URL", "postgresql://me@127.0.0.1:5433/cb")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.data_dir == tmp_path and s.max_input_chars == 123
    assert s.state_url == "postgresql+psycopg://me@127.0.0.1:5433/cb"


def test_default_state_store_is_sqlite_in_the_data_dir(tmp_path):
    s = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert s.state_url == f"sqlite:///{tmp_path / 'careerbot.db'}"
