"""Answer generators, chosen by ``settings.llm``: the grounded composer or an LLM.

Every generator streams text pieces and ends with a :class:`Composed` (final text plus the
sources it cites, numbered [1], [2] in citation order). LLM backends see only numbered,
delimited passages within a token budget; their citations are renumbered to the sources they
actually cite, and a citation of a passage that does not exist is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from bot import prompts
from bot.composer import Composed, Context, compose, safe_sentences
from bot.retrieval import Hit
from bot.settings import Settings

Piece = str | Composed
_CITE = re.compile(r"\[(\d{1,2})\]")
_SPACED_CITE = re.compile(r"(\s*)\[(\d{1,2})\]")


class Generator(Protocol):
    name: str

    def stream(self, ctx: Context) -> Iterator[Piece]:
        """Text pieces, then one final :class:`Composed`."""
        ...


def pieces_of(text: str, size: int = 24) -> Iterator[str]:
    """Split composed text into small word groups so front ends can stream it."""
    words = re.split(r"(\s+)", text)
    buf = ""
    for w in words:
        buf += w
        if len(buf) >= size and w.isspace():
            yield buf
            buf = ""
    if buf:
        yield buf


class ComposerGenerator:
    """The embedded default: no LLM, answers composed from the corpus."""

    name = "composer"

    def stream(self, ctx: Context) -> Iterator[Piece]:
        composed = compose(ctx)
        yield from pieces_of(composed.text)
        yield composed


def approx_tokens(text: str) -> int:
    """A safe over-estimate of subword tokens (about 4 characters per token)."""
    return len(text) // 3 + 1


def numbered_passages(ctx: Context, budget_tokens: int) -> tuple[str, list[Hit]]:
    """Passages for the LLM, one per corpus entry, cut to fit the token budget."""
    seen: set[str] = set()
    hits: list[Hit] = []
    for hit in [*( [ctx.role_hit] if ctx.role_hit else []), *ctx.passages, *ctx.resources]:
        if hit.source_id not in seen:
            seen.add(hit.source_id)
            hits.append(hit)
    blocks: list[str] = []
    used = 0
    kept: list[Hit] = []
    for hit in hits:
        body = " ".join(safe_sentences(hit.text))[:1200]
        url = hit.meta.get("url") or ""
        block = f"[{len(kept) + 1}] {hit.meta.get('title', hit.source_id)}" \
                f"{' <' + url + '>' if url else ''}\n{body}"
        cost = approx_tokens(block)
        if used + cost > budget_tokens:
            break
        blocks.append(block)
        kept.append(hit)
        used += cost
    return "\n\n".join(blocks), kept


def head_and_tail(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters keeping both ends: a pasted CV's question is
    usually its last line."""
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    return text[:head] + " [...] " + text[-(limit - head - 7):]


_WORDS = re.compile(r"[a-z0-9]+")


def shingles(text: str, n: int = 6) -> set[tuple[str, ...]]:
    """Every run of ``n`` words, for spotting an echo of the system prompt."""
    words = _WORDS.findall(text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def renumber(text: str, passages: list[Hit]) -> Composed:
    """Map the LLM's [n] to sources in first-cited order; drop citations of unknown n."""
    order: dict[int, int] = {}
    sources: list[Hit] = []

    def sub(m: re.Match[str]) -> str:
        n = int(m.group(2))
        if not 1 <= n <= len(passages):
            return ""  # with the space before it: no "share it ."
        if n not in order:
            sources.append(passages[n - 1])
            order[n] = len(sources)
        return f"{m.group(1)}[{order[n]}]"

    out = _SPACED_CITE.sub(sub, text).strip()
    return Composed(text=out, sources=sources)


class ChatGenerator:
    """Any LangChain chat model (OpenAI-compatible endpoint, llama.cpp) behind the prompt."""

    def __init__(self, model: Any, name: str, budget_tokens: int):
        self.model = model
        self.name = name
        self.budget_tokens = budget_tokens

    def messages(self, ctx: Context) -> tuple[list[tuple[str, str]], list[Hit]]:
        system = prompts.LLM_SYSTEM_PROMPT.format(
            stage=ctx.stage or "unknown", next_stage=ctx.next_stage or "none",
            profile=ctx.profile_note or "not given")
        question = head_and_tail(ctx.question, self.budget_tokens)  # bounded again below
        room = self.budget_tokens - approx_tokens(system) - approx_tokens(question) - 40
        passages, kept = numbered_passages(ctx, max(room, 0))
        user = prompts.LLM_USER_TEMPLATE.format(passages=passages, question=question)
        return [("system", system), ("human", user)], kept

    def stream(self, ctx: Context) -> Iterator[Piece]:
        msgs, kept = self.messages(ctx)
        secret = shingles(msgs[0][1])
        text = ""
        for chunk in self.model.stream(msgs):
            piece = chunk.content if isinstance(chunk.content, str) else ""
            text += piece
            if secret & shingles(text[-400:]):
                # the model is repeating its instructions: stop here and refuse instead
                yield Composed(text=prompts.DECLINE_INJECTION, sources=[], declined=True)
                return
            # citations are renumbered at the end, so stream the raw text without them
            if piece:
                yield _CITE.sub("", piece)
        yield renumber(text, kept)

    def rewrite(self, history: list[tuple[str, str]], question: str) -> str:
        convo = "\n".join(f"{who}: {text[:500]}" for who, text in history[-4:])
        out = self.model.invoke([("system", prompts.REWRITE_SYSTEM_PROMPT),
                                 ("human", f"{convo}\nuser: {question}")])
        text = out.content if isinstance(out.content, str) else ""
        return text.strip()[:500] or question


def build_generator(settings: Settings,
                    chat_model_factory: Callable[[], Any] | None = None) -> Generator:
    """The configured generator; heavy LLM libraries are imported only when chosen."""
    if chat_model_factory is not None:
        return ChatGenerator(chat_model_factory(), "custom", settings.llm_max_input_tokens)
    match settings.llm:
        case "none":
            return ComposerGenerator()
        case "openai":
            try:
                from langchain_openai import ChatOpenAI
            except ImportError as exc:  # pragma: no cover - dependency of the base install
                raise RuntimeError("the openai backend needs langchain-openai") from exc
            if not settings.llm_base_url and not settings.llm_api_key:
                raise ValueError("CAREERBOT_LLM=openai needs CAREERBOT_LLM_BASE_URL "
                                 "(e.g. http://127.0.0.1:11434/v1 for Ollama) or an API key")
            model = ChatOpenAI(
                base_url=settings.llm_base_url, model=settings.llm_model or "default",
                api_key=settings.llm_api_key or "not-needed", timeout=settings.llm_timeout_s,
                max_retries=1, temperature=0.2, max_tokens=400)
            return ChatGenerator(model, f"openai:{settings.llm_model or 'default'}",
                                 settings.llm_max_input_tokens)
        case "llamacpp":
            from bot.llamacpp import LlamaCppChat
            return ChatGenerator(LlamaCppChat.from_settings(settings), "llamacpp",
                                 settings.llm_max_input_tokens)
    raise ValueError(f"unknown CAREERBOT_LLM {settings.llm!r}")  # pragma: no cover
