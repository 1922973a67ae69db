"""Load and validate the corpus from its folder of data files.

Layout under the corpus directory (``corpus/data`` by default)::

    stages.yaml                 the six stages, with descriptions and example questions
    roles/<slug>.yaml           one AI role per file
    guides/<stage>/<id>.md      Markdown with a YAML front matter block
    resources/<kind>.yaml       a list of resource entries per file
    cards/<stage>.yaml          answer cards: curated direct answers to common questions
    milestones.yaml             what a learner can have done, and the stage each completes
    backgrounds.yaml            where learners come from: their audience and what they know
    assessment.yaml             the backward self-assessment checklist (optional)

Every problem becomes a :class:`CorpusError` naming the file, the entry and the field, so
that a curator can fix it without reading code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from corpus.schema import (
    STAGES,
    Assessment,
    Background,
    Card,
    Corpus,
    Guide,
    Milestone,
    Resource,
    Role,
    StageInfo,
)
from corpus.units import unit_problems

DEFAULT_CORPUS_DIR = Path(__file__).resolve().parent / "data"
# libyaml's safe loader when present: same result, about 8x faster (corpus load is on every
# cold start and every index build)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CorpusError(ValueError):
    """A corpus file is wrong; the message names the file, entry and field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems) if len(problems) < 4 else
                         f"{problems[0]} (and {len(problems) - 1} more problems)")


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _validation_problems(exc: ValidationError, where: str) -> list[str]:
    out = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "(entry)"
        out.append(f"{where}: field '{field}': {err['msg']}")
    return out


def _read_yaml(path: Path, where: str) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CorpusError([f"{where}: not valid YAML: {str(exc).splitlines()[0]}"]) from None


def _split_front_matter(text: str, where: str) -> tuple[dict[str, Any], str]:
    if not text.startswith("---"):
        raise CorpusError([f"{where}: missing the '---' front matter block at the top"])
    parts = text.split("\n---", 1)
    if len(parts) != 2:
        raise CorpusError([f"{where}: front matter block is not closed with '---'"])
    head = parts[0][3:]
    body = parts[1].lstrip("-").lstrip("\n")
    try:
        meta = yaml.load(head, Loader=_LOADER) or {}
    except yaml.YAMLError as exc:
        raise CorpusError([f"{where}: front matter is not valid YAML: {exc}"]) from None
    if not isinstance(meta, dict):
        raise CorpusError([f"{where}: front matter must be a mapping of fields"])
    return meta, body.strip()


def _build(model: type[BaseModel], data: Any, where: str, problems: list[str]) -> Any:
    if not isinstance(data, dict):
        problems.append(f"{where}: expected a mapping of fields, got {type(data).__name__}")
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(_validation_problems(exc, where))
        return None


def _load_list(path: Path, root: Path, model: type[BaseModel], what: str,
               problems: list[str]) -> list[Any]:
    """Entries of a YAML file holding a list of ``model`` mappings."""
    raw = _read_yaml(path, _rel(path, root)) or []
    if not isinstance(raw, list):
        problems.append(f"{_rel(path, root)}: expected a list of {what} entries")
        return []
    out = []
    for i, item in enumerate(raw):
        label = item.get("id") or item.get("slug") if isinstance(item, dict) else None
        where = f"{_rel(path, root)} entry {label or f'#{i + 1}'}"
        entry = _build(model, item, where, problems)
        if entry:
            out.append(entry)
    return out


def load_corpus(root: Path | str = DEFAULT_CORPUS_DIR, today: dt.date | None = None) -> Corpus:
    """Read, validate and cross-check every corpus file under ``root``.

    ``today`` (default: the real date) is the latest month a ``checked`` date may name.
    Raises :class:`CorpusError` listing every problem found, not just the first.
    """
    root = Path(root)
    if not root.is_dir():
        raise CorpusError([f"{root}: corpus folder not found"])
    problems: list[str] = []
    corpus = Corpus(
        stages=_load_stages(root, problems),
        roles=[r for path in sorted((root / "roles").glob("*.yaml"))
               if (r := _build(Role, _read_yaml(path, _rel(path, root)), _rel(path, root),
                               problems))],
        guides=_load_guides(root, problems),
        resources=[r for path in sorted((root / "resources").glob("*.yaml"))
                   for r in _load_list(path, root, Resource, "resource", problems)],
        cards=[c for path in sorted((root / "cards").glob("*.yaml"))
               for c in _load_list(path, root, Card, "answer card", problems)],
        milestones=_load_optional(root / "milestones.yaml", root, Milestone, problems),
        backgrounds=_load_optional(root / "backgrounds.yaml", root, Background, problems),
        assessment=_load_assessment(root, problems))
    problems.extend(_cross_check(corpus.stages, corpus.roles, corpus.guides, corpus.resources))
    problems.extend(_check_cards(corpus.cards, corpus.roles, corpus.guides, corpus.resources))
    problems.extend(_check_milestones(corpus.milestones))
    role_ids = {r.id for r in corpus.roles}
    problems.extend(f"background {b.id}: field 'bridge_roles': unknown role '{r}'"
                    for b in corpus.backgrounds for r in b.bridge_roles if r not in role_ids)
    problems.extend(_check_dates([*corpus.roles, *corpus.guides, *corpus.resources,
                                  *corpus.cards], today))
    problems.extend(_check_assessment(corpus))
    if problems:
        raise CorpusError(problems)
    corpus.stages.sort(key=lambda s: s.order)
    return corpus


def _load_stages(root: Path, problems: list[str]) -> list[StageInfo]:
    stages_file = root / "stages.yaml"
    if not stages_file.exists():
        problems.append(f"{_rel(stages_file, root)}: missing (the six stages)")
        return []
    raw = _read_yaml(stages_file, _rel(stages_file, root)) or []
    return [s for i, item in enumerate(raw if isinstance(raw, list) else [])
            if (s := _build(StageInfo, item, f"{_rel(stages_file, root)} entry {i + 1}",
                            problems))]


def _load_guides(root: Path, problems: list[str]) -> list[Guide]:
    guides: list[Guide] = []
    for path in sorted((root / "guides").rglob("*.md")):
        where = _rel(path, root)
        try:
            meta, body = _split_front_matter(path.read_text(encoding="utf-8"), where)
        except CorpusError as exc:
            problems.extend(exc.problems)
            continue
        g = _build(Guide, {**meta, "body": body}, where, problems)
        if g:
            guides.append(g)
    return guides


def _load_optional(path: Path, root: Path, model: type[BaseModel],
                   problems: list[str]) -> list[Any]:
    """A list file that small test corpora may leave out."""
    return _load_list(path, root, model, path.stem.rstrip("s"), problems) \
        if path.exists() else []


def _check_assessment(corpus: Corpus) -> list[str]:
    """The checklist names real milestones of the right stage, and real reading."""
    if corpus.assessment is None:
        return []
    blocks = corpus.assessment.stages
    problems = []
    if corpus.milestones:
        slugs = {m.slug: m for m in corpus.milestones}
        problems.extend(f"assessment.yaml stage {b.stage}: field 'milestone': unknown "
                        f"milestone '{b.milestone}'" for b in blocks
                        if b.milestone not in slugs)
        problems.extend(f"assessment.yaml stage {b.stage}: field 'milestone': "
                        f"'{b.milestone}' belongs to stage {slugs[b.milestone].stage}"
                        for b in blocks
                        if b.milestone in slugs and slugs[b.milestone].stage != b.stage)
    known = {g.id for g in corpus.guides} | {r.id for r in corpus.resources}
    problems.extend(f"assessment.yaml question {q.id}: field 'read': unknown id '{i}'"
                    for b in blocks for q in b.questions for i in q.read if i not in known)
    return problems


def _label(entry: Role | Guide | Resource | Card) -> str:
    kind = {Role: "role", Guide: "guide", Resource: "resource", Card: "card"}[type(entry)]
    return f"{kind} {entry.id}"


def _check_dates(entries: list[Any], today: dt.date | None) -> list[str]:
    """No ``checked`` month after the current one: a date in the future was not a check."""
    now = (today or dt.date.today()).strftime("%Y-%m")
    return [f"{_label(e)}: field 'checked': {e.checked} is in the future (now {now})"
            for e in entries if e.checked > now]


def _check_cards(cards: list[Card], roles: list[Role], guides: list[Guide],
                 resources: list[Resource]) -> list[str]:
    known = Corpus(stages=[], roles=roles, guides=guides, resources=resources).ids()
    role_ids = {r.id for r in roles}
    problems = []
    seen: set[str] = set()
    for card in cards:
        if card.id in seen or card.id in known:
            problems.append(f"duplicate id '{card.id}' (card)")
        seen.add(card.id)
        problems.extend(f"card {card.id}: field 'supports': unknown id '{i}'"
                        for i in card.supports if i not in known)
        problems.extend(f"card {card.id}: field 'roles': unknown role '{r}'"
                        for r in card.roles if r not in role_ids)
    return problems


def _check_milestones(milestones: list[Milestone]) -> list[str]:
    problems = []
    seen: set[str] = set()
    for m in milestones:
        if m.slug in seen:
            problems.append(f"milestones.yaml: duplicate slug '{m.slug}'")
        seen.add(m.slug)
    if milestones:
        done_by = {m.stage for m in milestones if m.completes}
        problems.extend(f"milestones.yaml: no milestone completes stage '{s}'"
                        for s in STAGES[:-1] if s not in done_by)
    return problems


def _load_assessment(root: Path, problems: list[str]) -> Assessment | None:
    """``assessment.yaml``, the self-assessment checklist (optional: small corpora omit it)."""
    path = root / "assessment.yaml"
    if not path.exists():
        return None
    where = _rel(path, root)
    try:
        raw = _read_yaml(path, where)
    except CorpusError as exc:
        problems.extend(exc.problems)
        return None
    return _build(Assessment, raw, where, problems)


def _cross_check(
    stages: list[StageInfo], roles: list[Role], guides: list[Guide], resources: list[Resource]
) -> list[str]:
    problems: list[str] = []
    if stages and sorted(s.slug for s in stages) != sorted(STAGES):
        problems.append("stages.yaml: must list each of the six stages exactly once")
    role_ids = {r.id for r in roles}
    seen: dict[str, str] = {}
    docs: Iterable[tuple[str, str]] = (
        [(r.doc_id, f"role {r.id}") for r in roles]
        + [(g.id, f"guide {g.id}") for g in guides]
        + [(r.id, f"resource {r.id}") for r in resources]
    )
    for doc_id, label in docs:
        if doc_id in seen:
            problems.append(f"duplicate id '{doc_id}' ({seen[doc_id]} and {label})")
        seen[doc_id] = label
    for g in guides:
        for slug in g.roles:
            if slug not in role_ids:
                problems.append(f"guide {g.id}: field 'roles': unknown role '{slug}'")
        words = len(g.body.split())
        if not 150 <= words <= 600:
            problems.append(f"guide {g.id}: field 'body': {words} words, must be 150-600")
        problems.extend(unit_problems(g))
    urls: dict[str, str] = {}
    for r in resources:
        if r.url:
            key = str(r.url).rstrip("/").lower()
            if key in urls:
                problems.append(f"resource {r.id}: field 'url': same resource as {urls[key]}")
            urls[key] = r.id
        for slug in r.roles:
            if slug not in role_ids:
                problems.append(f"resource {r.id}: field 'roles': unknown role '{slug}'")
    return problems


def newest_check(corpus: Corpus) -> str:
    """The most recent ``checked`` month of any entry (YYYY-MM), or "" for an empty corpus."""
    months = [e.checked for e in (*corpus.roles, *corpus.guides, *corpus.resources,
                                  *corpus.cards)]
    return max(months, default="")


def corpus_version(corpus: Corpus, content_hash: str) -> str:
    """What an answer says about the knowledge it came from: ``2026-12 · 3f9c2a1``."""
    return f"{newest_check(corpus)} · {content_hash[:7]}"


def corpus_hash(root: Path | str = DEFAULT_CORPUS_DIR) -> str:
    """A hash over every corpus file's path and bytes: changes exactly when the corpus does."""
    root = Path(root)
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        h.update(str(path.relative_to(root)).encode())
        h.update(b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()[:16]
