"""Learner progress: what someone has done, and the first missing link of the chain.

The chain (landscape -> building-blocks -> resources -> portfolio -> network-and-job ->
future-proof) and the milestones that complete each stage are corpus data
(``corpus/data/milestones.yaml``); this module only reads statements against them. A learner's
``done`` list holds milestone slugs and the corpus ids of resources they finished; what they
said they have *not* done yet is kept beside it (``not_yet``), so the later of two statements
wins ("I have no projects" after "I have three projects").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from corpus.schema import STAGES, Corpus, Milestone, Resource, Role

_SENTENCES = re.compile(r"(?<=[.!?;\n])\s+|\n+")
# clause breaks: contrast words, and commas that start a new fact ("lots of courses, no
# projects"), not those inside a list ("SQL, Python, Airflow and dbt down")
_CLAUSES = re.compile(
    r";|\s[-–—]\s|\b(?:but|however|although|though|whereas|yet)\b|"
    r",(?=\s*(?:and |so |then )?(?:no|zero|not|never|without|i|i'm|i've|i'd|my|ok|okay|so|"
    r"now|what|which|how|can|could|should|where|any)\b)", re.I)
# a question: a question word, or an auxiliary verb before its subject ("do I", "is it")
_QUESTION = re.compile(
    r"^\W*(what|which|how|where|when|why|who|whats|any (tips|advice|ideas))\b|"
    r"^\W*(should|shall|do|does|did|is|are|can|could|would|will|have|has|am|was|were)\s+"
    r"(i|you|we|it|they|there|my|a|an|the|this|that|these|those|he|she|anyone|someone)\b",
    re.I)
_DONE_VERB = re.compile(
    r"\b(finished|completed|done|did|took|taken|went through|gone through|worked through|"
    r"read|passed|got through|wrapped up|graduated from|earned|watched|studied|"
    r"got (my|the|a) (certificate|cert|certification)|certified)\b", re.I)
_DONE_AFTER = re.compile(r"^\W*(\w+ ){0,2}(is |are |was )?(done|finished|completed|behind me)\b")
_NOT_DONE = re.compile(
    r"\b(want|wanted|plan|planning|going|thinking|considering|about|hope|hoping|should|"
    r"could|would|might|haven'?t|have not|hasn'?t|never|not yet|didn'?t|did not|half ?way|"
    r"halfway|started|starting|currently|in the middle|still)\b", re.I)
# "what next?" and its cousins: the learner asks where to go from here
_NEXT = re.compile(
    r"\b(what(?:'?s| is| are)? (?:my |the )?(?:next|now)|what next|what now|now what|"
    r"(?:my|the) next (?:step|move|stage|thing)s?|next steps?\b|"
    r"what (?:do|should|can|could|would) i (?:be )?(?:do|doing|learn|focus on|work on|"
    r"tackle|study)(?: (?:now|next|then|first))?|where (?:do|should) i go (?:from here|next)|"
    r"what comes next|(?:so|ok|okay),? (?:what|now)\b|where am i|which stage am i|"
    r"what (?:to|i should) (?:learn|do|study|focus on|work on)(?: next| now| first)?\W*$|"
    r"how do i move forward|what(?:'?s| is) left|what else (?:should|do) i|"
    r"where (?:do|should|can) i (?:even )?(?:start|begin))|"
    r"(?:^|[.!?,;:]\s*|\band\s+)(?:so\s+|ok\s+|okay\s+|now\s+)?(?:what\s+)?next\s*\?", re.I)
_AFTER = re.compile(
    r"\b(after that|then what|what comes after|what after)\b|\band then\W*$", re.I)
_GENERIC_NAMES = frozenset({"machine learning", "deep learning", "data science", "statistics",
                            "artificial intelligence", "python", "sql", "the book",
                            "the course"})


def norm(text: str) -> str:
    """Lower case, straight quotes, single spaces: the form patterns and names match on."""
    return straight(text).lower()


def straight(text: str) -> str:
    """Straight quotes and single spaces, case kept."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    return re.sub(r"[ \t\r\f\v]+", " ", text).strip()


def clauses(text: str) -> list[str]:
    """Sentences split at contrast words and commas, in order (case kept)."""
    out = []
    for sentence in _SENTENCES.split(straight(text)):
        out.extend(c.strip() for c in _CLAUSES.split(sentence) if c and c.strip())
    return out


def is_question(clause: str) -> bool:
    return clause.endswith("?") or bool(_QUESTION.match(clause))


def asks_next(text: str) -> bool:
    """Whether the message asks "what next?" rather than about one topic."""
    return bool(_NEXT.search(norm(text)))


def asks_after_that(text: str) -> bool:
    """A bare "and after that?": the step after the one the conversation is at."""
    t = norm(text)
    return bool(_AFTER.search(t)) and len(t.split()) <= 8


def _names(res: Resource) -> set[str]:
    """What a learner may call a resource: its title, shorter forms of it, its aliases."""
    title = norm(res.title)
    names = {title, re.sub(r"\s*\([^)]*\)", "", title).strip()}
    if ":" in title:
        head, tail = (p.strip() for p in title.split(":", 1))
        for part in (head, tail):
            if any(c.isdigit() for c in part) or len(part.split()) >= 3:
                names.add(part)
        # course codes ("cs229", "6.s191") name one course on their own
        names.update(t for t in re.findall(r"[a-z]*\d+[a-z0-9.]*", head) if len(t) >= 4)
    names.update(norm(a) for a in res.aliases)
    return {n.removeprefix("the ") for n in names
            if len(n) >= 4 and n.removeprefix("the ") not in _GENERIC_NAMES}


class ResourceNames:
    """Finds corpus resources named in free text (longest name first, no overlaps)."""

    def __init__(self, resources: Iterable[Resource]):
        self.by_name: dict[str, str] = {}
        for res in resources:
            for name in _names(res):
                self.by_name.setdefault(name, res.id)
        alts = sorted(self.by_name, key=len, reverse=True)
        self.pattern = re.compile(
            r"(?<![\w.])(" + "|".join(re.escape(a) for a in alts) + r")(?![\w])") \
            if alts else None

    def find(self, text: str) -> list[str]:
        return list(dict.fromkeys(rid for rid, _, _ in self.spans(norm(text))))

    def spans(self, normed: str) -> list[tuple[str, int, int]]:
        """``(resource id, start, end)`` of each name in already normalised text."""
        if self.pattern is None:
            return []
        return [(self.by_name[m.group(1)], m.start(), m.end())
                for m in self.pattern.finditer(normed)]


@dataclass
class Statement:
    """What one message says about progress, in the order it says it."""

    events: list[tuple[str, str]] = field(default_factory=list)  # ("done"|"not_yet", id)
    request: str = ""  # the message without its progress statements: what it asks

    @property
    def said(self) -> bool:
        return bool(self.events)

    def done(self) -> list[str]:
        return [i for kind, i in self.events if kind == "done"]


class ProgressReader:
    """Reads statements of progress against the corpus's milestones and resources."""

    def __init__(self, corpus: Corpus):
        self.milestones: list[Milestone] = list(corpus.milestones)
        self.by_slug = {m.slug: m for m in self.milestones}
        self.resources = {r.id: r for r in corpus.resources}
        # only what can be finished (a course, a book): "done two Kaggle competitions" is
        # not "finished Kaggle"
        finishable = {k for m in corpus.milestones for k in m.by_resources}
        self.names = ResourceNames(r for r in corpus.resources if r.kind in finishable)
        self._says = [(m.slug, [re.compile(p, re.I) for p in m.says]) for m in self.milestones]
        self._not = [(m.slug, [re.compile(p, re.I) for p in m.not_yet])
                     for m in self.milestones]

    def read(self, text: str) -> Statement:
        """Milestones and finished resources a message states, and what it asks."""
        out = Statement()
        request: list[str] = []
        for clause in clauses(text):
            events = [] if is_question(clause) else self._clause_events(clause)
            out.events.extend(events)
            if not events:
                request.append(clause)
        out.request = ", ".join(request)
        return out

    def _clause_events(self, clause: str) -> list[tuple[str, str]]:
        clause = clause.lower()
        events: list[tuple[str, str]] = []
        negated = {slug for slug, pats in self._not if any(p.search(clause) for p in pats)}
        for slug, pats in self._says:
            if slug not in negated and any(p.search(clause) for p in pats):
                events.append(("done", slug))
        events.extend(("not_yet", slug) for slug in sorted(negated))
        events.extend(self._resource_events(clause))
        return events

    def _close(self, gap: str) -> bool:
        """Whether the words between a verb and a resource name keep them together: a few
        words (other names in a list aside), no bracket or "but" in between."""
        for _, start, end in sorted(self.names.spans(gap), key=lambda t: -t[1]):
            gap = gap[:start] + " " + gap[end:]
        return not re.search(r"[();]|\bbut\b", gap) and len(gap.split()) <= 6

    def _resource_events(self, clause: str) -> list[tuple[str, str]]:
        """Each named resource is done when the nearest verb before it says so ("I've done
        fast.ai and I'm going to do CS231n": fast.ai done, CS231n not yet)."""
        events: list[tuple[str, str]] = []
        for rid, start, end in self.names.spans(clause):
            # the verb that says so sits close to the name ("I studied history and Ng's
            # course scares me" finished nothing)
            before = clause[max(0, start - 80):start]
            done_at = max((m.end() for m in _DONE_VERB.finditer(before)), default=-1)
            not_at = max((m.end() for m in _NOT_DONE.finditer(before)), default=-1)
            if done_at >= 0 and not self._close(before[done_at:]):
                done_at = -1
            if done_at < 0 and _DONE_AFTER.match(clause[end:]):
                done_at = end
            if done_at > not_at:
                events.append(("done", rid))
            elif not_at >= 0 and done_at >= 0:
                events.append(("not_yet", rid))
        return list(dict.fromkeys(events))


@dataclass(frozen=True)
class Progress:
    """What a learner has done (milestones and resource ids) and said they have not."""

    done: tuple[str, ...] = ()
    not_yet: tuple[str, ...] = ()

    def apply(self, events: Sequence[tuple[str, str]]) -> Progress:
        """This progress after a statement; a later statement wins over an earlier one."""
        done, not_yet = list(self.done), list(self.not_yet)
        for kind, item in events:
            if kind == "done":
                not_yet = [x for x in not_yet if x != item]
                if item not in done:
                    done.append(item)
            else:
                done = [x for x in done if x != item]
                if item not in not_yet:
                    not_yet.append(item)
        return Progress(tuple(done), tuple(not_yet))

    @property
    def empty(self) -> bool:
        return not self.done and not self.not_yet


@dataclass(frozen=True)
class Placement:
    """Where the chain breaks for a learner, and which of their milestones say so."""

    stage: str
    done_stages: tuple[str, ...]
    because: tuple[str, ...]  # milestone slugs and resource ids behind the placement
    gap: str | None  # the milestone slug that is missing (None at the last stage)


def milestones_done(progress: Progress, reader: ProgressReader) -> set[str]:
    """Milestone slugs done, counting finished resources toward ``by_resources``."""
    done = {d for d in progress.done if d in reader.by_slug}
    kinds = {reader.resources[d].kind for d in progress.done if d in reader.resources}
    done |= {m.slug for m in reader.milestones if kinds & set(m.by_resources)
             and m.slug not in progress.not_yet}
    return done


def place(progress: Progress, reader: ProgressReader) -> Placement | None:
    """The first stage of the chain still missing, or None when nothing is known.

    A stage is done when one of its completing milestones is; a milestone further along the
    chain implies the stages before it, unless the learner said a completing milestone of
    such a stage is missing (and none of the others is done). Saying a completing milestone
    is missing places the learner at least at its stage.
    """
    done = milestones_done(progress, reader)
    ms = reader.milestones
    denied_ms = [m for m in ms if m.slug in progress.not_yet]
    if not done and not denied_ms:
        return None
    last = STAGES[-1]
    # how far along the learner is: past every stage before a milestone they have, and at
    # the stage of a completing milestone they say they lack ("no projects yet")
    reach = max([STAGES.index(m.stage) + (1 if m.completes else 0)
                 for m in ms if m.slug in done and (m.completes or m.stage != last)]
                + [STAGES.index(m.stage) for m in denied_ms if m.completes], default=0)
    done_stages = []
    for i, stage in enumerate(STAGES[:-1]):
        completing = [m for m in ms if m.stage == stage and m.completes]
        has = any(m.slug in done for m in completing)
        denied = any(m.slug in progress.not_yet for m in completing)
        if has or (i < reach and not denied):
            done_stages.append(stage)
            continue
        gap = next((m.slug for m in completing if m.slug in progress.not_yet),
                   completing[0].slug if completing else None)
        return Placement(stage, tuple(done_stages), _because(progress, reader, done), gap)
    return Placement(last, tuple(done_stages), _because(progress, reader, done), None)


def _because(progress: Progress, reader: ProgressReader, done: set[str]) -> tuple[str, ...]:
    """What the learner has done, most telling first: resources by name, then milestones."""
    res = [d for d in progress.done if d in reader.resources]
    order = {m.slug: i for i, m in enumerate(reader.milestones)}
    mil = sorted((d for d in done if d in order), key=lambda s: -order[s])
    return tuple(res + mil)


def label_of(item: str, reader: ProgressReader) -> str:
    """How a done item reads in an answer: a resource by title, a milestone by its label."""
    if item in reader.resources:
        return reader.resources[item].title
    m = reader.by_slug.get(item)
    return m.label if m else item


def leaning_role(done: Sequence[str], resources: Mapping[str, Resource],
                 roles: Mapping[str, Role]) -> Role | None:
    """The role that most of what a learner finished is written for first ("fast.ai", "the
    Deep Learning Specialization" -> ML engineer); the latest breaks a tie."""
    firsts = [r.roles[0] for i in done if (r := resources.get(i)) is not None and r.roles]
    if not firsts:
        return None
    counts = Counter(firsts)
    top = max(counts.values())
    return roles.get(next(s for s in reversed(firsts) if counts[s] == top))


__all__ = ["Placement", "Progress", "ProgressReader", "ResourceNames", "Statement",
           "asks_after_that", "asks_next", "clauses", "label_of", "leaning_role",
           "milestones_done", "place"]
