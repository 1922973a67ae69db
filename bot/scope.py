"""Keep the conversation inside the framework: decline off-topic requests and injections.

Injection and extraction attempts are caught by patterns (``prompts.INJECTION_PATTERNS``).
Off-topic requests are judged by embeddings: how close the question is to career examples
(the stage examples) and to the corpus, against how close it is to off-topic anchors, with
a vocabulary of the domain as a tie-breaker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from bot import prompts

_INJECTION = [re.compile(p, re.I) for p in prompts.INJECTION_PATTERNS]
_DOMAIN = re.compile(
    r"\b(ai|a\.i\.|artificial intelligence|machine learning|ml|deep learning|dl|data|"
    r"datasets?|models?|neural|career|careers|job|jobs|interviews?|resume|cv|portfolio|kaggle|"
    r"github|roles?|engineer\w*|scientists?|analysts?|analytics|learn\w*|courses?|books?|"
    r"python|sql|statistics|stats|math\w*|llms?|nlp|vision|mlops|research\w*|skills?|"
    r"hired|hiring|recruit\w*|linkedin|referrals?|mentor\w*|degree|bootcamp|study|"
    r"roadmap|programming|coding|pytorch|tensorflow|algorithms?|gpt|chatgpt|prompt "
    r"engineering|rag|transformers?|networking|salary|promotion|internship|phd|"
    r"certificat\w*|projects?)\b", re.I)


@dataclass
class ScopeDecision:
    declined: bool
    reason: str | None  # "injection" | "off_topic" | None
    in_score: float
    off_score: float

    @property
    def reply(self) -> str:
        return prompts.DECLINE_INJECTION if self.reason == "injection" \
            else prompts.DECLINE_OFF_TOPIC


def looks_like_injection(text: str) -> bool:
    return any(p.search(text) for p in _INJECTION)


class ScopeGuard:
    """Decides whether careerbot should answer; thresholds measured on the dev set."""

    def __init__(self, in_vectors: np.ndarray, off_vectors: np.ndarray,
                 margin: float = 0.02, floor: float = 0.22):
        self.in_vectors = in_vectors
        self.off_vectors = off_vectors
        self.margin = margin
        self.floor = floor

    def decide(self, text: str, qvec: np.ndarray, top_corpus_sim: float) -> ScopeDecision:
        if looks_like_injection(text):
            return ScopeDecision(True, "injection", 0.0, 0.0)
        in_score = max(float((self.in_vectors @ qvec).max()), top_corpus_sim)
        off_score = float((self.off_vectors @ qvec).max())
        domain = bool(_DOMAIN.search(text))
        if domain:
            declined = off_score > in_score + 0.15 or in_score < self.floor * 0.6
        else:
            declined = off_score > in_score - self.margin or in_score < self.floor
        return ScopeDecision(declined, "off_topic" if declined else None, in_score, off_score)
