"""The OpenAI-compatible chat model (OpenAI, Ollama, vLLM, a llama.cpp server, ...).

Sampling keeps answers short and on point: a low temperature, a length cap and a frequency
penalty against the loops small models fall into.
"""

from __future__ import annotations

from typing import Any

from bot.settings import Settings

MAX_TOKENS = 400
TEMPERATURE = 0.2
FREQUENCY_PENALTY = 0.5


def openai_chat_model(settings: Settings) -> Any:
    """A LangChain ``ChatOpenAI`` at ``settings.llm_base_url``."""
    from langchain_openai import ChatOpenAI

    if not settings.llm_base_url and not settings.llm_api_key:
        raise ValueError("CAREERBOT_LLM=openai needs CAREERBOT_LLM_BASE_URL "
                         "(e.g. http://127.0.0.1:11434/v1 for Ollama) or an API key")
    return ChatOpenAI(
        base_url=settings.llm_base_url, model=settings.llm_model or "default",
        api_key=settings.llm_api_key or "not-needed", timeout=settings.llm_timeout_s,
        max_retries=1, temperature=TEMPERATURE, max_tokens=MAX_TOKENS,
        frequency_penalty=FREQUENCY_PENALTY)
