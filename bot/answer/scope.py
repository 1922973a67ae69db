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

from bot.answer import prompts

_INJECTION = [re.compile(p, re.I) for p in prompts.INJECTION_PATTERNS]
_DISHONEST = [re.compile(p, re.I) for p in prompts.DISHONEST_PATTERNS]
# Words that only careers in AI and data use: with one of these, only a clearly closer
# off-topic anchor declines.
_DOMAIN = re.compile(
    r"\b(ai|a\.i\.|artificial intelligence|machine learning|ml|deep learning|dl|data|"
    r"datasets?|models?|neural|kaggle|github|analytics|python|sql|statistics|stats|"
    r"math\w*|llms?|nlp|computer vision|mlops|pytorch|tensorflow|algorithms?|gpt|chatgpt|"
    r"prompt engineering|rag|transformers?|data scientists?|analysts?|programming|coding|"
    r"tableau|power bi|looker|excel|spreadsheets?|dashboards?|langchain|llamaindex|docker|"
    r"kubernetes|spark|hadoop|airflow|dbt|snowflake|databricks|bigquery|aws|azure|gcp|"
    r"pandas|numpy|scikit-learn|sklearn|jupyter|git|leetcode|etl|warehouses?|"
    r"embeddings?|fine-?tuning|mlflow|statistical|regression|classification)\b",
    re.I)
# Career words that other careers share ("learn guitar", "a job as a truck driver"): they
# lean towards answering, but an off-topic anchor that is as close still declines.
_CAREER = re.compile(
    r"\b(career|careers|job|jobs|interviews?|resume|cv|portfolio|roles?|engineer\w*|"
    r"scientists?|learn\w*|courses?|books?|research\w*|skills?|hired|hiring|recruit\w*|"
    r"linkedin|referrals?|mentor\w*|degree|bootcamp|study|roadmap|networking|salary|"
    r"promotion|internship|phd|certificat\w*|projects?)\b", re.I)


@dataclass
class ScopeDecision:
    declined: bool
    reason: str | None  # "dishonest" | "injection" | "off_topic" | None
    in_score: float
    off_score: float

    @property
    def reply(self) -> str:
        return {"dishonest": prompts.DECLINE_DISHONEST,
                "injection": prompts.DECLINE_INJECTION}.get(self.reason or "",
                                                           prompts.DECLINE_OFF_TOPIC)


def looks_like_injection(text: str) -> bool:
    return any(p.search(text) for p in _INJECTION)


def asks_to_deceive(text: str) -> bool:
    """A request to fake credentials or experience, or to cheat an employer's checks: it
    gets an honest decline (with an honest route), not the reply to an injection."""
    return any(p.search(text) for p in _DISHONEST)


class ScopeGuard:
    """Decides whether careerbot should answer; thresholds measured on the dev set."""

    def __init__(self, in_vectors: np.ndarray, off_vectors: np.ndarray,
                 margin: float = 0.02, floor: float = 0.22,
                 asked_here: np.ndarray | None = None):
        """``asked_here``: questions people really ask careerbot (the answer cards'
        phrasings); they count as in-scope examples for a message with a career or domain
        word in it ("can I negotiate a signing bonus?"), not for one without."""
        self.in_vectors = in_vectors
        self.off_vectors = off_vectors
        self.asked_here = asked_here
        self.margin = margin
        self.floor = floor

    def decide(self, text: str, qvec: np.ndarray, top_corpus_sim: float,
               in_conversation: bool = False) -> ScopeDecision:
        """``in_conversation``: the user has a profile or history, so a terse request
        ("recommend something to read next") is read in that context."""
        if asks_to_deceive(text):
            return ScopeDecision(True, "dishonest", 0.0, 0.0)
        if looks_like_injection(text):
            return ScopeDecision(True, "injection", 0.0, 0.0)
        in_score = max(float((self.in_vectors @ qvec).max()), top_corpus_sim)
        off_score = float((self.off_vectors @ qvec).max())
        worded = bool(_DOMAIN.search(text) or _CAREER.search(text))
        if worded and self.asked_here is not None and len(self.asked_here):
            in_score = max(in_score, float((self.asked_here @ qvec).max()))
        if _DOMAIN.search(text) or in_conversation:
            declined = off_score > in_score + 0.15 or in_score < self.floor * 0.6
        elif _CAREER.search(text):
            declined = off_score > in_score - 0.02 or in_score < self.floor * 0.8
        else:
            declined = off_score > in_score - self.margin or in_score < self.floor
        return ScopeDecision(declined, "off_topic" if declined else None, in_score, off_score)
