"""Turn the corpus into retrievable chunks with flat, filterable metadata.

Resources and roles stay whole (one chunk each); guides are split by ``##`` section so each
chunk answers one thing. Chroma metadata must be scalar, so list fields become boolean flags
(``role:ml-engineer``, ``stage:portfolio``) that ``where`` filters can test.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from corpus.schema import STAGES, Corpus, Guide, Resource, Role

_SECTION = re.compile(r"^##\s+(.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Chunk:
    """One unit of retrieval: text to embed plus the metadata to filter and cite with."""

    id: str
    text: str
    metadata: dict[str, str | int | float | bool] = field(default_factory=dict)

    @property
    def hash(self) -> str:
        payload = self.text + "\0" + json.dumps(self.metadata, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:20]


def _flags(prefix: str, values: list[str]) -> dict[str, bool]:
    return {f"{prefix}:{v}": True for v in values}


def _base(
    source_id: str, title: str, kind: str, stage: str, stages: list[str], roles: list[str]
) -> dict[str, str | int | float | bool]:
    meta: dict[str, str | int | float | bool] = {
        "source_id": source_id,
        "title": title,
        "kind": kind,
        "stage": stage,
        "all_roles": not roles,
        "roles": ",".join(roles),
    }
    meta.update(_flags("stage", stages))
    meta.update(_flags("role", roles))
    return meta


def guide_sections(guide: Guide) -> list[tuple[str, str]]:
    """The ``(heading, text)`` sections of a guide; text before the first heading is kept."""
    parts = _SECTION.split(guide.body)
    sections: list[tuple[str, str]] = []
    lead = parts[0].strip()
    if lead:
        sections.append(("Overview", lead))
    for heading, text in zip(parts[1::2], parts[2::2], strict=False):
        if text.strip():
            sections.append((heading.strip(), text.strip()))
    return sections


def chunk_guide(guide: Guide) -> list[Chunk]:
    chunks = []
    for n, (heading, text) in enumerate(guide_sections(guide)):
        meta = _base(guide.id, guide.title, "guide", guide.stage, [guide.stage], guide.roles)
        meta.update({"format": "guide", "section": heading, "level": guide.level or "any",
                     "cost": "free", "url": ""})
        chunks.append(Chunk(f"{guide.id}#{n}", f"{guide.title}: {heading}\n{text}", meta))
    return chunks


def chunk_role(role: Role) -> Chunk:
    skills = "; ".join(f"{i}. {s.name}" for i, s in enumerate(role.skills, 1))
    text = (
        f"Role: {role.name} (also called {', '.join(role.aliases) or role.name}).\n"
        f"{role.summary}\nDay to day: {'; '.join(role.day_to_day)}.\n"
        f"Skills to learn, in order: {skills}.\nTools: {', '.join(role.tools)}.\n"
        f"Typical path in: {role.path_in}"
        + (f"\nFits you if: {role.fits_you_if}" if role.fits_you_if else "")
    )
    meta = _base(role.doc_id, role.name, "role", "landscape",
                 ["landscape", "building-blocks"], [role.id])
    meta.update({"format": "role", "section": "", "level": "any", "cost": "free", "url": ""})
    return Chunk(role.doc_id, text, meta)


def resource_text(res: Resource) -> str:
    by = f" by {', '.join(res.authors)}" if res.authors else ""
    year = f" ({res.year})" if res.year else ""
    provider = f", {res.provider}" if res.provider else ""
    topics = f"\nTopics: {', '.join(res.topics)}." if res.topics else ""
    return (f"{res.title}{by}{year}{provider}. A {res.level} {res.kind}, {res.cost}.\n"
            f"{res.summary}{topics}")


def chunk_resource(res: Resource) -> Chunk:
    meta = _base(res.id, res.title, "resource", res.stages[0], list(res.stages), res.roles)
    meta.update({
        "format": res.kind,
        "section": "",
        "level": res.level,
        "cost": res.cost,
        "url": str(res.url) if res.url else "",
        "hours": float(res.hours) if res.hours else 0.0,
        "year": int(res.year) if res.year else 0,
    })
    return Chunk(res.id, resource_text(res), meta)


def chunk_corpus(corpus: Corpus) -> list[Chunk]:
    """Every chunk of the corpus, in a stable order."""
    chunks: list[Chunk] = []
    for guide in sorted(corpus.guides, key=lambda g: (STAGES.index(g.stage), g.id)):
        chunks.extend(chunk_guide(guide))
    chunks.extend(chunk_role(r) for r in sorted(corpus.roles, key=lambda r: r.id))
    chunks.extend(chunk_resource(r) for r in sorted(corpus.resources, key=lambda r: r.id))
    return chunks
