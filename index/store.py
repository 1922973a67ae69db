"""Where the index lives: a Chroma client (embedded or server) plus a manifest pointer.

A build writes a brand-new collection and BM25 folder, then switches the *manifest* to point at
them in one atomic step (``os.replace`` of a file for the embedded store, one upsert into a
small manifest collection on a Chroma server). Readers only ever follow the manifest, so a
build killed at any point leaves the previous index in use.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

MANIFEST_VERSION = 1


# A chunk's text is stored as a metadata value, not as a Chroma document: keyword search is
# our BM25, so Chroma's full-text index over documents would never be queried, and building
# it was ~40% of every collection write (a re-index writes a whole new collection).
TEXT_KEY = "text"
RECORD_FIELDS = ["documents", "metadatas"]  # what to read: documents for older indexes


def stored_metadata(text: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """The metadata a chunk is written with: its own fields plus its text."""
    return {**metadata, TEXT_KEY: text}


def stored_record(document: str | None, metadata: Any) -> tuple[str, dict[str, Any]]:
    """A chunk's text and metadata as read back (indexes built before the text moved into
    the metadata keep it as the Chroma document, and still read)."""
    meta = dict(metadata or {})
    text = meta.pop(TEXT_KEY, None)
    return (str(text) if text is not None else document or ""), meta


def stored_records(documents: list[Any], metadatas: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    """Text and metadata of each record of a Chroma result read with ``RECORD_FIELDS``."""
    return [stored_record(doc, meta) for doc, meta in zip(documents, metadatas, strict=True)]


class IndexMissingError(RuntimeError):
    """There is no usable index; the message tells the user what to run."""


class ChromaUnavailableError(RuntimeError):
    """The configured Chroma server cannot be reached."""


@dataclass
class Manifest:
    """What the current index is: its collection, model and the hash of every chunk."""

    collection: str
    corpus_hash: str
    model: str
    quantization: str
    model_fingerprint: str
    chunk_hashes: dict[str, str] = field(default_factory=dict)
    stage_counts: dict[str, int] = field(default_factory=dict)
    built_at: str = ""
    version: int = MANIFEST_VERSION
    # int8 vectors depend on the export and feeding recipe (``INT8_VECTORS``; fp32 ones do
    # not, to 1e-6): a new recipe re-embeds an int8 index in full rather than mixing two
    int8_export: int | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def make_client(data_dir: Path, chroma_url: str | None = None) -> Any:
    """An embedded PersistentClient under ``data_dir/chroma`` or an HttpClient to a server."""
    import chromadb

    if chroma_url:
        u = urlparse(chroma_url)
        if not u.hostname:
            raise ValueError(f"CAREERBOT_CHROMA_URL '{chroma_url}' is not a URL like "
                             "http://127.0.0.1:8000")
        try:
            return chromadb.HttpClient(
                host=u.hostname, port=u.port or (443 if u.scheme == "https" else 80),
                ssl=u.scheme == "https", settings=chroma_settings(),
            )
        except Exception as exc:  # chromadb raises ValueError/ConnectError variants
            raise ChromaUnavailableError(
                f"Chroma server at {chroma_url} is not reachable ({type(exc).__name__}); "
                "start it with `chroma run` or unset CAREERBOT_CHROMA_URL") from None
    path = data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings())
    except Exception as exc:  # a damaged store: chromadb raises InternalError and friends
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise IndexMissingError(f"the index store {path} is unreadable ({reason}): delete that "
                                "folder and run `careerbot index`") from None


class ManifestStore:
    """Reads and atomically replaces the manifest (file or server collection)."""

    def __init__(self, client: Any, data_dir: Path, prefix: str, server: bool):
        self.client = client
        self.data_dir = data_dir
        self.prefix = prefix
        self.server = server

    @property
    def _file(self) -> Path:
        return self.data_dir / f"{self.prefix}-manifest.json"

    def _meta_collection(self) -> Any:
        return self.client.get_or_create_collection(
            f"{self.prefix}-manifest", embedding_function=None)

    def read(self) -> Manifest | None:
        try:
            if self.server:
                got = self._meta_collection().get(ids=["current"], include=["documents"])
                docs = got.get("documents") or []
                return Manifest.from_json(docs[0]) if docs else None
            if not self._file.exists():
                return None
            return Manifest.from_json(self._file.read_text(encoding="utf-8"))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise IndexMissingError(
                f"index manifest is corrupt ({exc}): run `careerbot index --rebuild`") from None

    def write(self, manifest: Manifest) -> None:
        if self.server:
            self._meta_collection().upsert(ids=["current"], documents=[manifest.to_json()],
                                           embeddings=[[0.0]])
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".manifest-", dir=self.data_dir)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(manifest.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self._file)


def bm25_dir(data_dir: Path, collection: str) -> Path:
    return data_dir / "bm25" / collection
