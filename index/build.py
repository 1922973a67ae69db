"""Build or update the index: incremental by chunk hash, atomic by manifest switch.

Steps: load and chunk the corpus, compare chunk hashes with the current manifest, embed only
new or changed chunks (reusing stored vectors for the rest), write a *new* collection and BM25
folder, then switch the manifest. Old collections are removed only after the switch, so a
build killed at any moment leaves the previous index fully usable. One writer at a time per
data dir, enforced with a file lock.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from corpus.loader import corpus_hash, load_corpus
from corpus.schema import STAGES
from index.bm25 import BM25Index
from index.chunking import Chunk, chunk_corpus
from index.embedder import INT8_VECTORS, Encoder, model_fingerprint, model_name
from index.store import IndexMissingError, Manifest, ManifestStore, bm25_dir, stored_metadata

log = logging.getLogger(__name__)
ADD_BATCH = 256
# Every careerbot collection, and the bench's LangChain baseline, is searched by cosine
# distance (Chroma's default is l2); vectors come from our encoder, never from Chroma.
COLLECTION_CONFIGURATION: dict[str, Any] = {"hnsw": {"space": "cosine"}}


class IndexBusyError(RuntimeError):
    """Another process holds the write lock of this data dir."""


@dataclass
class BuildReport:
    """What a build did, for the CLI to print."""

    collection: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    embedded: int = 0
    seconds: float = 0.0
    switched: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed) or self.switched

    def summary(self) -> str:
        if not self.changed:
            return f"unchanged: {self.unchanged} chunks, collection {self.collection}"
        return (f"added {len(self.added)}, updated {len(self.updated)}, removed "
                f"{len(self.removed)}, unchanged {self.unchanged} (embedded {self.embedded} "
                f"chunks in {self.seconds:.2f} s), collection {self.collection}")


@contextlib.contextmanager
def write_lock(data_dir: Path) -> Iterator[None]:
    """A non-blocking exclusive lock on the data dir: a second writer fails at once."""
    from filelock import FileLock, Timeout

    data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(data_dir / "index.lock"), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise IndexBusyError(
            f"another careerbot process is writing the index in {data_dir}; wait for it to "
            "finish (Chroma's embedded store is not safe for two writers)") from None
    try:
        yield
    finally:
        lock.release()


def _existing_vectors(client: Any, manifest: Manifest | None, ids: list[str]) -> dict[str, Any]:
    if not manifest or not ids:
        return {}
    try:
        col = client.get_collection(manifest.collection, embedding_function=None)
        got = col.get(ids=ids, include=["embeddings"])
    except Exception:  # a missing or unreadable old collection just means re-embedding
        return {}
    embs = got.get("embeddings")
    if embs is None:
        return {}
    return {i: np.asarray(e, dtype=np.float32) for i, e in zip(got["ids"], embs, strict=False)}


def build_index(
    *,
    corpus_dir: Path,
    data_dir: Path,
    client: Any,
    manifests: ManifestStore,
    encoder_factory: Callable[[], Encoder],
    quantization: str,
    prefix: str = "careerbot",
    rebuild: bool = False,
    progress: Callable[[int], Any] | None = None,
    on_phase: Callable[[str, int], None] | None = None,
    model_path: Path | None = None,
) -> BuildReport:
    """Bring the index in line with the corpus; see the module docstring for the guarantees.

    ``encoder_factory`` is only called when something needs embedding, so a no-change run
    stays fast. ``progress(n)`` is called as chunks are embedded; ``on_phase(name, total)``
    when a step starts.
    """
    started = time.perf_counter()
    phase = on_phase or _no_phase
    phase("loading", 0)
    fingerprint = model_fingerprint(model_path)
    old = _current_manifest(manifests)
    reuse = old is not None and not rebuild and _same_encoder(old, fingerprint, quantization)
    chunks, chash, pending = _load(corpus_dir, None if reuse else encoder_factory)
    new_hashes = {c.id: c.hash for c in chunks}
    old_hashes = old.chunk_hashes if reuse and old else {}

    added = [c.id for c in chunks if c.id not in old_hashes]
    updated = [c.id for c in chunks if c.id in old_hashes and old_hashes[c.id] != c.hash]
    removed = sorted(set(old_hashes) - set(new_hashes))
    keep = [c.id for c in chunks if old_hashes.get(c.id) == c.hash]
    if old and reuse and not (added or updated or removed) and old.corpus_hash == chash \
            and _collection_ok(client, old.collection, len(chunks)):
        return _unchanged(client, data_dir, prefix, old, chunks, started)

    vectors = _existing_vectors(client, old, keep) if reuse else {}
    # longest first, as sentence-transformers orders one call: similar lengths pad little
    to_embed = sorted((c for c in chunks if c.id not in vectors), key=lambda c: -len(c.text))
    phase("embedding", len(to_embed))
    if to_embed:
        _embed(pending.result() if pending else encoder_factory(), to_embed, vectors, progress)

    name = new_collection_name(prefix)
    phase("writing", len(chunks))
    write_records(client, data_dir, name, [(chunks, np.stack([vectors[c.id] for c in chunks]))],
                  on_phase=phase)
    phase("switching", 0)
    switch_manifest(manifests, name, corpus_hash=chash, quantization=quantization,
                    fingerprint=fingerprint, chunk_hashes=new_hashes,
                    stage_counts=_stage_counts(chunks), model=model_name(model_path))
    phase("cleaning", 0)
    remove_stale(client, data_dir, prefix, keep_collection=name)
    return BuildReport(collection=name, added=added, updated=updated, removed=removed,
                       unchanged=len(keep), embedded=len(to_embed), switched=True,
                       seconds=time.perf_counter() - started)


def _stage_counts(chunks: list[Chunk]) -> dict[str, int]:
    """Chunks per stage, every stage named (the manifest's ``stage_counts``)."""
    counts = Counter(str(c.metadata["stage"]) for c in chunks)
    return {s: counts.get(s, 0) for s in STAGES}


def _no_phase(name: str, total: int) -> None:
    """The default ``on_phase``: nobody is listening."""


def _load(corpus_dir: Path, encoder_factory: Callable[[], Encoder] | None,
          ) -> tuple[list[Chunk], str, Future[Encoder] | None]:
    """The corpus's chunks and hash; with ``encoder_factory``, the encoder loading alongside.

    A full build will embed everything: load the encoder (ONNX Runtime releases the GIL
    while it reads the model) while the corpus loads, not after.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="encoder") as early:
        pending = early.submit(encoder_factory) if encoder_factory else None
        corpus = load_corpus(corpus_dir)
        chunks = chunk_corpus(corpus)
        chash = corpus_hash(corpus_dir)
    return chunks, chash, pending


def _current_manifest(manifests: ManifestStore) -> Manifest | None:
    try:
        return manifests.read()
    except IndexMissingError as exc:  # a corrupt manifest is replaced by this full build
        log.warning("%s; building a fresh index", exc)
        return None


def _same_encoder(old: Manifest, fingerprint: str, quantization: str) -> bool:
    """Whether ``old``'s vectors came from the encoder this build would use."""
    return (old.model_fingerprint == fingerprint and old.quantization == quantization
            and old.int8_export == int8_export_of(quantization))


def _unchanged(client: Any, data_dir: Path, prefix: str, old: Manifest, chunks: list[Chunk],
               started: float) -> BuildReport:
    """Nothing to write: keep the current collection, only fill in what is local."""
    if not bm25_dir(data_dir, old.collection).exists():  # e.g. a second data dir
        save_bm25(data_dir, old.collection, [c.id for c in chunks], [c.text for c in chunks])
    # leftovers of killed builds go even when nothing changed
    remove_stale(client, data_dir, prefix, keep_collection=old.collection)
    return BuildReport(collection=old.collection, unchanged=len(chunks),
                       seconds=time.perf_counter() - started)


def _embed(encoder: Encoder, chunks: list[Chunk], vectors: dict[str, Any],
           progress: Callable[[int], Any] | None) -> None:
    """Encode ``chunks`` in batches into ``vectors`` (by chunk id)."""
    for start in range(0, len(chunks), 64):
        batch = chunks[start:start + 64]
        vecs = encoder.encode([c.text for c in batch], batch_size=32)
        for c, v in zip(batch, vecs, strict=True):
            vectors[c.id] = v
        if progress:
            progress(len(batch))


def _collection_ok(client: Any, name: str, expected: int) -> bool:
    try:
        return client.get_collection(name, embedding_function=None).count() == expected
    except Exception:
        return False


# -- the write recipe: every index (a build, the bench's synthetic ones) is written this way --
def new_collection_name(prefix: str) -> str:
    """A fresh ``<prefix>-<timestamp>-<hex>`` name (see :func:`build_name`)."""
    return f"{prefix}-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"


def new_collection(client: Any, name: str) -> Any:
    """An empty collection searched by :data:`COLLECTION_CONFIGURATION`; we pass vectors."""
    return client.create_collection(name, embedding_function=None,
                                    configuration=COLLECTION_CONFIGURATION)


def add_chunks(collection: Any, chunks: list[Chunk], vectors: np.ndarray,
               batch: int = ADD_BATCH) -> None:
    """Write chunks with their vectors (row i belongs to chunk i), in batches."""
    for start in range(0, len(chunks), batch):
        part = chunks[start:start + batch]
        collection.add(
            ids=[c.id for c in part],
            embeddings=vectors[start:start + batch],
            metadatas=[stored_metadata(c.text, dict(c.metadata, hash=c.hash)) for c in part],
        )


def save_bm25(data_dir: Path, name: str, ids: list[str], texts: list[str]) -> None:
    """The keyword index of collection ``name``, in its folder under ``data_dir``."""
    BM25Index.build(ids, texts).save(bm25_dir(data_dir, name))


def write_records(client: Any, data_dir: Path, name: str,
                  parts: Iterable[tuple[list[Chunk], np.ndarray]], *, batch: int = ADD_BATCH,
                  on_phase: Callable[[str, int], None] | None = None) -> dict[str, str]:
    """Write a new collection ``name`` and its BM25 folder from ``(chunks, vectors)`` parts
    (read once, so a generator of batches never holds them all); returns the chunk hashes
    the manifest records (readers size dense queries from them). Readers do not see the
    collection until :func:`switch_manifest` points at it."""
    col = new_collection(client, name)
    hashes: dict[str, str] = {}
    texts: list[str] = []
    for chunks, vectors in parts:
        add_chunks(col, chunks, vectors, batch=batch)
        hashes.update((c.id, c.hash) for c in chunks)
        texts.extend(c.text for c in chunks)
    (on_phase or _no_phase)("bm25", len(hashes))
    save_bm25(data_dir, name, list(hashes), texts)
    return hashes


def int8_export_of(quantization: str) -> int | None:
    """The int8 export recipe a manifest records (``None`` for fp32 vectors)."""
    return INT8_VECTORS if quantization == "int8" else None


def switch_manifest(manifests: ManifestStore, name: str, *, corpus_hash: str,
                    quantization: str, fingerprint: str | None = None,
                    chunk_hashes: dict[str, str] | None = None,
                    stage_counts: dict[str, int] | None = None,
                    model: str | None = None) -> None:
    """Point readers at collection ``name`` in one atomic step: the last step of a write."""
    manifests.write(Manifest(
        collection=name, corpus_hash=corpus_hash, model=model or model_name(),
        quantization=quantization,
        model_fingerprint=fingerprint or model_fingerprint(), chunk_hashes=chunk_hashes or {},
        int8_export=int8_export_of(quantization), stage_counts=stage_counts or {},
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    ))


def build_name(prefix: str) -> re.Pattern[str]:
    """Names of the collections builds create: ``<prefix>-<timestamp>-<hex>``."""
    return re.compile(rf"^{re.escape(prefix)}-\d{{14}}-[0-9a-f]{{6}}$")


def remove_stale(client: Any, data_dir: Path, prefix: str, keep_collection: str) -> None:
    """Drop collections and BM25 folders of earlier or abandoned builds."""
    for col in client.list_collections():
        name = col if isinstance(col, str) else col.name
        if build_name(prefix).match(name) and name != keep_collection:
            try:
                client.delete_collection(name)
            except Exception as exc:  # another reader may still hold it; next build retries
                log.warning("could not remove old collection %s: %s", name, exc)
    root = data_dir / "bm25"
    if root.is_dir():
        for d in root.iterdir():
            if d.name != keep_collection:
                shutil.rmtree(d, ignore_errors=True)
