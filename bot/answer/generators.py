"""Answer generators, chosen by ``settings.llm``: the grounded composer or an LLM.

Every generator streams text pieces and ends with a :class:`Composed` (final text plus the
sources it cites, numbered [1], [2] in citation order). An LLM sees the same shape of answer
the composer writes (direct answer, then steps, then resources), the matching answer card and
the units meant for this learner, as numbered, delimited passages within a token budget. Its
draft is checked before anyone sees it: a draft that cites nothing, cites a passage that does
not exist or repeats itself is replaced by the composed answer, with one line saying so. So
an LLM backend is never worse than the composer.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from bot.answer import prompts
from bot.answer.composer import compose
from bot.answer.reply import Composed
from bot.answer.retrieval import Hit
from bot.answer.text import safe_sentences, sentence_split
from bot.answer.turn import Context
from bot.settings import Settings

Piece = str | Composed
_CITE = re.compile(r"\[(\d{1,2})\]")
_SPACED_CITE = re.compile(r"(\s*)\[(\d{1,2})\]")
_WORDS = re.compile(r"[a-z0-9]+")


class Generator(Protocol):
    name: str

    def stream(self, ctx: Context) -> Iterator[Piece]:
        """Text pieces, then one final :class:`Composed`."""
        ...

    def rewrite(self, history: Sequence[tuple[str, str]], question: str) -> str:
        """A follow-up as one standalone question, for retrieval."""
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


def with_context(history: Sequence[tuple[str, str]], question: str) -> str:
    """The follow-up with the learner's last message beside it ("and which are free?")."""
    last_user = next((t for r, t in reversed(history) if r == "user"), "")
    return f"{question} ({last_user[:300]})" if last_user else question


class ComposerGenerator:
    """The embedded default: no LLM, answers composed from the corpus."""

    name = "composer"

    def stream(self, ctx: Context) -> Iterator[Piece]:
        composed = compose(ctx)
        yield from pieces_of(composed.text)
        yield composed

    def rewrite(self, history: Sequence[tuple[str, str]], question: str) -> str:
        return with_context(history, question)


def approx_tokens(text: str) -> int:
    """A safe over-estimate of subword tokens (about 4 characters per token)."""
    return len(text) // 3 + 1


def numbered_passages(ctx: Context, budget_tokens: int) -> tuple[str, list[Hit]]:
    """Passages for the LLM, one per corpus entry, cut to fit the token budget: the answer
    card first, then the role, the guide units meant for this learner, the resources."""
    seen: set[str] = set()
    hits: list[Hit] = []
    units = [h for h in ctx.passages if ctx.person.fits(
        [a for a in str(h.meta.get("audience") or "").split(",") if a])]
    resources = ctx.resources if ctx.show_resources else []
    for hit in [*([ctx.card_hit] if ctx.card_hit else []),
                *([ctx.role_hit] if ctx.role_hit else []), *units, *resources]:
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
        cost = approx_tokens(block + "\n\n")  # with the blank line that joins it
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
    if limit < 40:  # no room for both ends and the marker
        return text[-limit:] if limit > 0 else ""
    head = limit * 2 // 3
    return text[:head] + " [...] " + text[-(limit - head - 7):]


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


def draft_problem(text: str, n_passages: int) -> str | None:
    """Why an LLM draft may not be shown as it is, or None when it may."""
    cited = [int(n) for n in _CITE.findall(text)]
    if not text.strip():
        return "empty"
    if not cited:
        return "cites no passage"
    if any(not 1 <= n <= n_passages for n in cited):
        return "cites a passage that does not exist"
    sentences = [re.sub(r"\W+", " ", s.lower()).strip() for s in sentence_split(text)]
    counts = Counter(s for s in sentences if len(s) > 20)
    if counts and counts.most_common(1)[0][1] > 1:
        return "repeats itself"
    grams = Counter(g for g in _ngrams(text, 5))
    if grams and grams.most_common(1)[0][1] > 2:
        return "repeats itself"
    return None


def _ngrams(text: str, n: int) -> list[tuple[str, ...]]:
    words = _WORDS.findall(text.lower())
    return [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]


class ChatGenerator:
    """Any LangChain chat model (OpenAI-compatible endpoint, llama.cpp) behind the prompt."""

    def __init__(self, model: Any, name: str, budget_tokens: int):
        self.model = model
        self.name = name
        self.budget_tokens = budget_tokens

    def messages(self, ctx: Context) -> tuple[list[tuple[str, str]], list[Hit]]:
        system = prompts.LLM_SYSTEM_PROMPT.format(
            stage=ctx.stage or "unknown", next_stage=ctx.next_stage or "none",
            profile=ctx.profile_note or "not given",
            shape=prompts.LLM_SHAPES.get(ctx.shape, prompts.LLM_SHAPES["open"]))
        fixed = approx_tokens(system) + approx_tokens(
            prompts.LLM_USER_TEMPLATE.format(passages="", question="")) + 2
        # the question gets at most half of what the instructions leave, the passages the rest
        q_chars = max(0, (self.budget_tokens - fixed) // 2) * 3
        question = head_and_tail(ctx.question, min(self.budget_tokens, q_chars))
        frame = prompts.LLM_USER_TEMPLATE.format(passages="", question=question)
        room = self.budget_tokens - approx_tokens(system) - approx_tokens(frame) - 2
        passages, kept = numbered_passages(ctx, max(room, 0))
        user = prompts.LLM_USER_TEMPLATE.format(passages=passages, question=question)
        return [("system", system), ("human", user)], kept

    def stream(self, ctx: Context) -> Iterator[Piece]:
        """The model's draft, checked before it is shown (so it is collected, not streamed
        token by token); the composed answer when the draft fails the check."""
        msgs, kept = self.messages(ctx)
        secret = shingles(msgs[0][1])
        text = ""
        for chunk in self.model.stream(msgs):
            text += chunk.content if isinstance(chunk.content, str) else ""
            if secret & shingles(text[-400:]):
                # the model is repeating its instructions: stop here and refuse instead
                yield Composed(text=prompts.DECLINE_INJECTION, sources=[], declined=True)
                return
        problem = draft_problem(text, len(kept))
        if problem is not None:
            fallback = compose(ctx)
            note = prompts.LLM_FELL_BACK.format(problem=problem)
            fallback.text = f"{fallback.text}\n\n*{note}*"
            fallback.note = note
            yield from pieces_of(fallback.text)
            yield fallback
            return
        composed = renumber(text, kept)
        yield from pieces_of(composed.text)
        yield composed

    def rewrite(self, history: Sequence[tuple[str, str]], question: str) -> str:
        convo = "\n".join(f"{who}: {text[:500]}" for who, text in history[-4:])
        try:
            out = self.model.invoke([("system", prompts.REWRITE_SYSTEM_PROMPT),
                                     ("human", f"{convo}\nuser: {question}")])
        except Exception:  # a slow or broken model must not cost the whole answer
            return with_context(history, question)
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
            from bot.answer.llm import openai_chat_model
            return ChatGenerator(openai_chat_model(settings),
                                 f"openai:{settings.llm_model or 'default'}",
                                 settings.llm_max_input_tokens)
        case "llamacpp":
            from bot.answer.llamacpp import LlamaCppChat
            return ChatGenerator(LlamaCppChat.from_settings(settings), "llamacpp",
                                 settings.llm_max_input_tokens)
    raise ValueError(f"unknown CAREERBOT_LLM {settings.llm!r}")  # pragma: no cover
