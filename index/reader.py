"""Open the current index for reading: the collection and BM25 the manifest points at."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.bm25 import BM25Index
from index.store import IndexMissingError, Manifest, ManifestStore, bm25_dir

MISSING = "index missing: run `careerbot index`"


@dataclass
class OpenIndex:
    """A readable index: Chroma collection, BM25, and the manifest describing both."""

    manifest: Manifest
    collection: Any
    bm25: BM25Index


def open_index(client: Any, manifests: ManifestStore, data_dir: Path) -> OpenIndex:
    """Follow the manifest; any missing or unreadable part is an :class:`IndexMissingError`."""
    manifest = manifests.read()
    if manifest is None:
        raise IndexMissingError(MISSING)
    try:
        collection = client.get_collection(manifest.collection, embedding_function=None)
    except Exception:
        raise IndexMissingError(
            f"index collection '{manifest.collection}' is missing or unreadable: "
            "run `careerbot index --rebuild`") from None
    path = bm25_dir(data_dir, manifest.collection)
    try:
        bm25 = BM25Index.load(path)
    except (OSError, ValueError, KeyError):
        bm25 = _bm25_from_collection(collection, path)
    return OpenIndex(manifest=manifest, collection=collection, bm25=bm25)


def _bm25_from_collection(collection: Any, path: Path) -> BM25Index:
    """Rebuild BM25 from the collection (a worker on another machine than the builder)."""
    ids: list[str] = []
    docs: list[str] = []
    offset = 0
    while True:
        got = collection.get(include=["documents"], limit=5000, offset=offset)
        if not got["ids"]:
            break
        ids.extend(got["ids"])
        docs.extend(got["documents"])
        offset += len(got["ids"])
    if not ids:
        raise IndexMissingError(MISSING)
    index = BM25Index.build(ids, docs)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        index.save(path)
    except OSError:
        pass  # a read-only data dir still answers, it just rebuilds next start
    return index
