"""The embedding model is a setting: another model folder makes the index stale, and
`careerbot index` rebuilds it with that model, which then answers questions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.app import build_bot, index_status, run_index
from index.embedder import MODEL_NAME, model_dir


def another_model(dest: Path) -> Path:
    """The packaged MiniLM's files under another name, with one config value added: a
    different model as far as fingerprints go, and one sentence-transformers still loads."""
    dest.mkdir()
    for item in model_dir().iterdir():
        if item.name != "config.json":
            (dest / item.name).symlink_to(item)
    config = json.loads((model_dir() / "config.json").read_text())
    config["careerbot_test_note"] = "a different model"
    (dest / "config.json").write_text(json.dumps(config))
    return dest


@pytest.mark.slow
def test_another_embedding_model_makes_the_index_stale_until_it_is_rebuilt(
        settings_factory, small_corpus, tmp_path):
    packaged = settings_factory(corpus_dir=small_corpus)
    run_index(packaged)
    assert index_status(packaged)["stale"] is False
    assert index_status(packaged)["model"] == MODEL_NAME

    mine = packaged.model_copy(update={"embedding_model": another_model(tmp_path / "my-model"),
                                       "encoder": "sentence-transformers"})
    status = index_status(mine)
    assert status["stale"] is True and status["stale_because"] == ["model"]
    assert status["configured_model"] == "my-model"

    report = run_index(mine)
    assert report.embedded > 0 and report.unchanged == 0  # every vector comes from the new model
    after = index_status(mine)
    assert after["stale"] is False and after["model"] == "my-model"
    answer = build_bot(mine, keep_state=False).ask("Which books teach machine learning?",
                                                  user_id="model-test")
    assert answer.sources and not answer.declined
