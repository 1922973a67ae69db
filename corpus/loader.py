"""Load and validate the corpus from its folder of data files.

Layout under the corpus directory (``corpus/data`` by default)::

    stages.yaml                 the six stages, with descriptions and example questions
    roles/<slug>.yaml           one AI role per file
    guides/<stage>/<id>.md      Markdown with a YAML front matter block
    resources/<kind>.yaml       a list of resource entries per file
    assessment.yaml             the backward self-assessment checklist (optional)

Every problem becomes a :class:`CorpusError` naming the file, the entry and the field, so
that a curator can fix it without reading code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from corpus.schema import STAGES, Assessment, Corpus, Guide, Resource, Role, StageInfo

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


def load_corpus(root: Path | str = DEFAULT_CORPUS_DIR) -> Corpus:
    """Read, validate and cross-check every corpus file under ``root``.

    Raises :class:`CorpusError` listing every problem found, not just the first.
    """
    root = Path(root)
    if not root.is_dir():
        raise CorpusError([f"{root}: corpus folder not found"])
    problems: list[str] = []

    stages: list[StageInfo] = []
    stages_file = root / "stages.yaml"
    if stages_file.exists():
        raw = _read_yaml(stages_file, _rel(stages_file, root)) or []
        for i, item in enumerate(raw if isinstance(raw, list) else []):
            where = f"{_rel(stages_file, root)} entry {i + 1}"
            s = _build(StageInfo, item, where, problems)
            if s:
                stages.append(s)
    else:
        problems.append(f"{_rel(stages_file, root)}: missing (the six stages)")

    roles: list[Role] = []
    for path in sorted((root / "roles").glob("*.yaml")):
        where = _rel(path, root)
        r = _build(Role, _read_yaml(path, where), where, problems)
        if r:
            roles.append(r)

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

    resources: list[Resource] = []
    for path in sorted((root / "resources").glob("*.yaml")):
        raw = _read_yaml(path, _rel(path, root)) or []
        if not isinstance(raw, list):
            problems.append(f"{_rel(path, root)}: expected a list of resource entries")
            continue
        for i, item in enumerate(raw):
            label = item.get("id") if isinstance(item, dict) and item.get("id") else f"#{i + 1}"
            where = f"{_rel(path, root)} entry {label}"
            r = _build(Resource, item, where, problems)
            if r:
                resources.append(r)

    assessment = _load_assessment(root, problems)
    problems.extend(_cross_check(stages, roles, guides, resources))
    if assessment is not None:
        known = {g.id for g in guides} | {r.id for r in resources}
        problems.extend(f"assessment.yaml question {q.id}: field 'read': unknown id '{i}'"
                        for b in assessment.stages for q in b.questions for i in q.read
                        if i not in known)
    if problems:
        raise CorpusError(problems)
    return Corpus(stages=sorted(stages, key=lambda s: s.order), roles=roles,
                  guides=guides, resources=resources, assessment=assessment)


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


def corpus_hash(root: Path | str = DEFAULT_CORPUS_DIR) -> str:
    """A hash over every corpus file's path and bytes: changes exactly when the corpus does."""
    root = Path(root)
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        h.update(str(path.relative_to(root)).encode())
        h.update(b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()[:16]
