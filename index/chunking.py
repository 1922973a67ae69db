"""Turn the corpus into retrievable chunks with flat, filterable metadata.

Resources, roles and answer cards stay whole (one chunk each); guides are split into their
advice units (``##`` sections, see :mod:`corpus.units`) so each chunk answers one thing and
says whom it is for. Chroma metadata must be scalar, so list fields become boolean flags
(``role:ml-engineer``, ``stage:portfolio``) that ``where`` filters can test, plus
comma-joined strings for reading them back (``audience``, ``topics``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from corpus.schema import STAGES, Card, Corpus, Guide, Resource, Role
from corpus.units import guide_units


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
    source_id: str, title: str, kind: str, stage: str, stages: list[str], roles: list[str],
    checked: str,
) -> dict[str, str | int | float | bool]:
    meta: dict[str, str | int | float | bool] = {
        "source_id": source_id,
        "title": title,
        "kind": kind,
        "stage": stage,
        "all_roles": not roles,
        "roles": ",".join(roles),
        "checked": checked,
    }
    meta.update(_flags("stage", stages))
    meta.update(_flags("role", roles))
    return meta


def chunk_guide(guide: Guide) -> list[Chunk]:
    chunks = []
    for n, unit in enumerate(guide_units(guide)):
        meta = _base(guide.id, guide.title, "guide", guide.stage, [guide.stage], guide.roles,
                     guide.checked)
        meta.update({"format": "guide", "section": unit.heading, "level": guide.level or "any",
                     "cost": "free", "url": "", "audience": ",".join(unit.audience),
                     "levels": ",".join(unit.levels)})
        meta.update(_flags("aud", list(unit.audience)))
        chunks.append(Chunk(f"{guide.id}#{n}", f"{guide.title}: {unit.heading}\n{unit.text}",
                            meta))
    return chunks


def chunk_card(card: Card) -> Chunk:
    """An answer card: the question people ask and its direct answer, cited like a guide."""
    meta = _base(card.id, card.question, "card", card.stage, [card.stage], card.roles,
                 card.checked)
    meta.update({"format": "card", "section": "", "level": "any", "cost": "free", "url": "",
                 "audience": ",".join(card.applies_to), "shape": card.shape,
                 "supports": ",".join(card.supports)})
    meta.update(_flags("aud", list(card.applies_to)))
    text = f"{card.question}\n{card.answer}" + "".join(
        f" {part}" for part in (card.conditions, card.next_step) if part)
    return Chunk(card.id, text, meta)


def chunk_role(role: Role) -> Chunk:
    skills = "; ".join(f"{i}. {s.name}" for i, s in enumerate(role.skills, 1))
    text = (
        f"Role: {role.name} (also called {', '.join(role.aliases) or role.name}).\n"
        f"{role.summary}\nDay to day: {'; '.join(role.day_to_day)}.\n"
        f"Skills to learn, in order: {skills}.\nTools: {', '.join(role.tools)}.\n"
        f"Typical path in: {role.path_in}"
        + (f"\nFits you if: {role.fits_you_if}" if role.fits_you_if else "")
        # last, so the embedded beginning stays the role's summary
        + "\nWhy each skill: " + " ".join(f"{s.name}: {s.why}." for s in role.skills if s.why)
    )
    meta = _base(role.doc_id, role.name, "role", "landscape",
                 ["landscape", "building-blocks"], [role.id], role.checked)
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
    meta = _base(res.id, res.title, "resource", res.stages[0], list(res.stages), res.roles,
                 res.checked)
    meta.update({
        "format": res.kind,
        "section": "",
        "level": res.level,
        "cost": res.cost,
        "url": str(res.url) if res.url else "",
        "hours": float(res.hours) if res.hours else 0.0,
        "year": int(res.year) if res.year else 0,
        "topics": ",".join(res.topics),
    })
    return Chunk(res.id, resource_text(res), meta)


def chunk_corpus(corpus: Corpus) -> list[Chunk]:
    """Every chunk of the corpus, in a stable order."""
    chunks: list[Chunk] = []
    for guide in sorted(corpus.guides, key=lambda g: (STAGES.index(g.stage), g.id)):
        chunks.extend(chunk_guide(guide))
    chunks.extend(chunk_role(r) for r in sorted(corpus.roles, key=lambda r: r.id))
    chunks.extend(chunk_resource(r) for r in sorted(corpus.resources, key=lambda r: r.id))
    chunks.extend(chunk_card(c) for c in sorted(corpus.cards, key=lambda c: c.id))
    return chunks
