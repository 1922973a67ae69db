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
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from corpus.loader import corpus_hash, load_corpus
from corpus.schema import STAGES
from index.bm25 import BM25Index
from index.chunking import Chunk, chunk_corpus
from index.embedder import INT8_VECTORS, MODEL_NAME, Encoder, model_fingerprint
from index.store import IndexMissingError, Manifest, ManifestStore, bm25_dir, stored_metadata

log = logging.getLogger(__name__)
ADD_BATCH = 256


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
) -> BuildReport:
    """Bring the index in line with the corpus; see the module docstring for the guarantees.

    ``encoder_factory`` is only called when something needs embedding, so a no-change run
    stays fast. ``progress(n)`` is called as chunks are embedded; ``on_phase(name, total)``
    when a step starts.
    """
    started = time.perf_counter()
    phase = on_phase or (lambda name, total: None)
    phase("loading", 0)
    fingerprint = model_fingerprint()
    try:
        old = manifests.read()
    except IndexMissingError as exc:  # a corrupt manifest is replaced by this full build
        log.warning("%s; building a fresh index", exc)
        old = None
    int8_export = INT8_VECTORS if quantization == "int8" else None
    same_encoder = bool(old and old.model_fingerprint == fingerprint
                        and old.quantization == quantization
                        and old.int8_export == int8_export)
    reuse = old is not None and same_encoder and not rebuild
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="encoder") as early:
        # A full build will embed everything: load the encoder (ONNX Runtime releases the
        # GIL while it reads the model) while the corpus loads, not after.
        pending = early.submit(encoder_factory) if not reuse else None
        corpus = load_corpus(corpus_dir)
        chunks = chunk_corpus(corpus)
        chash = corpus_hash(corpus_dir)
    new_hashes = {c.id: c.hash for c in chunks}
    old_hashes = old.chunk_hashes if reuse and old else {}

    added = [c.id for c in chunks if c.id not in old_hashes]
    updated = [c.id for c in chunks if c.id in old_hashes and old_hashes[c.id] != c.hash]
    removed = sorted(set(old_hashes) - set(new_hashes))
    keep = [c.id for c in chunks if old_hashes.get(c.id) == c.hash]
    if old and reuse and not (added or updated or removed) and old.corpus_hash == chash \
            and _collection_ok(client, old.collection, len(chunks)):
        if not bm25_dir(data_dir, old.collection).exists():  # e.g. a second data dir
            BM25Index.build([c.id for c in chunks], [c.text for c in chunks]).save(
                bm25_dir(data_dir, old.collection))
        # leftovers of killed builds go even when nothing changed
        remove_stale(client, data_dir, prefix, keep_collection=old.collection)
        return BuildReport(collection=old.collection, unchanged=len(chunks),
                           seconds=time.perf_counter() - started)

    vectors = _existing_vectors(client, old, keep) if reuse else {}
    # longest first, as sentence-transformers orders one call: similar lengths pad little
    to_embed = sorted((c for c in chunks if c.id not in vectors), key=lambda c: -len(c.text))
    phase("embedding", len(to_embed))
    if to_embed:
        encoder = pending.result() if pending else encoder_factory()
        for start in range(0, len(to_embed), 64):
            batch = to_embed[start:start + 64]
            vecs = encoder.encode([c.text for c in batch], batch_size=32)
            for c, v in zip(batch, vecs, strict=True):
                vectors[c.id] = v
            if progress:
                progress(len(batch))

    name = f"{prefix}-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
    phase("writing", len(chunks))
    _write_collection(client, name, chunks, vectors)
    phase("bm25", len(chunks))
    BM25Index.build([c.id for c in chunks], [c.text for c in chunks]).save(
        bm25_dir(data_dir, name))
    phase("switching", 0)
    counts = Counter(str(c.metadata["stage"]) for c in chunks)
    manifests.write(Manifest(
        collection=name, corpus_hash=chash, model=MODEL_NAME, quantization=quantization,
        model_fingerprint=fingerprint, chunk_hashes=new_hashes, int8_export=int8_export,
        stage_counts={s: counts.get(s, 0) for s in STAGES},
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    ))
    phase("cleaning", 0)
    remove_stale(client, data_dir, prefix, keep_collection=name)
    return BuildReport(
        collection=name, added=added, updated=updated, removed=removed,
        unchanged=len(keep), embedded=len(to_embed), switched=True,
        seconds=time.perf_counter() - started,
    )


def _collection_ok(client: Any, name: str, expected: int) -> bool:
    try:
        return client.get_collection(name, embedding_function=None).count() == expected
    except Exception:
        return False


def _write_collection(client: Any, name: str, chunks: list[Chunk],
                      vectors: dict[str, Any]) -> None:
    col = client.create_collection(
        name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}})
    add_chunks(col, chunks, np.stack([vectors[c.id] for c in chunks]))


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
