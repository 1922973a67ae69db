"""The composition root: builds every component from :class:`Settings` and wires the bot.

Nothing is created at import time. Tests and the CLI call these factories, passing their own
parts (an encoder, a generator, a state store) where they need to.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.settings import DEFAULT_DATA_DIR, LEGACY_DATA_DIR, Settings
from corpus.loader import corpus_version, load_corpus
from corpus.schema import Corpus
from index.build import BuildReport, build_index, write_lock
from index.embedder import DIM, Encoder, build_encoder, export_onnx, onnx_ready
from index.reader import OpenIndex, open_index
from index.store import IndexMissingError, ManifestStore, make_client

if TYPE_CHECKING:  # the agent's modules (LangChain, SQLAlchemy: ~0.8 s) load only for a bot
    from bot.answer.cards import CardMatcher
    from bot.answer.generators import Generator
    from bot.answer.pipeline import CareerBot
    from bot.answer.retrieval import Mode
    from bot.store.state import StateStore

log = logging.getLogger(__name__)


def offline_env() -> None:
    """No telemetry and no hub downloads, whatever library asks."""
    for key, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                       ("HF_HUB_DISABLE_TELEMETRY", "1"), ("GRADIO_ANALYTICS_ENABLED", "False"),
                       ("ANONYMIZED_TELEMETRY", "False"), ("TOKENIZERS_PARALLELISM", "false")):
        os.environ.setdefault(key, value)


def adopt_legacy_data(settings: Settings, legacy: Path = LEGACY_DATA_DIR,
                      default: Path = DEFAULT_DATA_DIR) -> tuple[Settings, str | None]:
    """Settings over the data of an older careerbot, which kept it in ``index/data`` inside
    the source tree: it is moved to the user's data directory (or, if it cannot be moved,
    used where it is), with one notice, so existing users lose nothing. Only when the data dir
    is the default one and holds nothing yet."""
    if settings.data_dir != default or not legacy.is_dir() or not any(legacy.iterdir()):
        return settings, None
    target = settings.data_dir
    if target.exists() and any(target.iterdir()):
        return settings, None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            target.rmdir()
        shutil.move(str(legacy), str(target))
    except OSError as exc:
        return (settings.model_copy(update={"data_dir": legacy}),
                f"using the index and state in {legacy} (could not move them to {target}: "
                f"{exc.strerror or exc}); set CAREERBOT_DATA_DIR to choose")
    return settings, f"moved the index and state from {legacy} to {target}"


def make_chroma(settings: Settings) -> tuple[Any, ManifestStore]:
    client = make_client(settings.data_dir, settings.chroma_url)
    manifests = ManifestStore(client, settings.data_dir, settings.collection_prefix,
                              server=settings.chroma_url is not None)
    return client, manifests


def make_encoder(settings: Settings, on_notice: Callable[[str], None] | None = None) -> Encoder:
    return build_encoder(settings.data_dir, settings.encoder, settings.quantization, on_notice,
                         model_path=settings.embedding_model)


def index_encoder(encoder: Encoder, built: str, settings: Settings) -> Encoder:
    """The encoder for queries over an index built at precision ``built``.

    After ``CAREERBOT_QUANTIZATION`` changes, the index keeps its vectors until
    ``careerbot index`` rebuilds it; queries encoded at the other precision would be compared
    with vectors of a different model, so they follow the index, with one notice.
    """
    if getattr(encoder, "quantization", built) == built:
        return encoder
    log.warning("the index was built at %s but CAREERBOT_QUANTIZATION is %s: queries use %s "
                "until `careerbot index` rebuilds it", built, settings.quantization, built)
    return build_encoder(settings.data_dir, settings.encoder, built, log.warning,
                         model_path=settings.embedding_model)


def warm_collection(collection: Any) -> None:
    """Load the collection's vector index now, off the main thread (Chroma loads it on the
    first query: ~45 ms that would otherwise land on the first answer)."""
    try:
        collection.query(query_embeddings=[[1.0] + [0.0] * (DIM - 1)], n_results=1,
                         include=[])
    except Exception as exc:  # warming is an optimisation: the first real query reports errors
        log.debug("could not warm the collection: %s", exc)


def make_store(settings: Settings) -> StateStore:
    """The default SQLite file migrates itself; a configured database must be upgraded first."""
    from bot.store.state import StateStore

    return StateStore.open(settings.state_url, migrate=settings.db_url is None)


def run_index(settings: Settings, *, rebuild: bool = False,
              progress: Callable[[int], Any] | None = None,
              on_phase: Callable[[str, int], None] | None = None,
              encoder: Encoder | None = None) -> BuildReport:
    """Build or update the index under the write lock; exports the ONNX encoder first."""
    offline_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with write_lock(settings.data_dir):
        if encoder is None and settings.encoder != "sentence-transformers" \
                and not onnx_ready(settings.data_dir, model_path=settings.embedding_model):
            if on_phase:
                on_phase("exporting", 0)
            export_onnx(settings.data_dir, settings.embedding_model)
        client, manifests = make_chroma(settings)
        return build_index(
            corpus_dir=settings.corpus_dir, data_dir=settings.data_dir, client=client,
            manifests=manifests,
            encoder_factory=(lambda: encoder) if encoder else (lambda: make_encoder(settings)),
            quantization=settings.quantization, prefix=settings.collection_prefix,
            rebuild=rebuild, progress=progress, on_phase=on_phase,
            model_path=settings.embedding_model)


def index_status(settings: Settings) -> dict[str, Any]:
    """What the current index is and whether `careerbot index` would change it: the corpus
    changed since the build, or the configured precision or embedding model is not the one
    it was built with (``stale_because`` says which)."""
    from corpus.loader import corpus_hash
    from index.embedder import model_fingerprint, model_name

    _, manifests = make_chroma(settings)
    manifest = manifests.read()
    current = corpus_hash(settings.corpus_dir)
    model = model_name(settings.embedding_model)
    if manifest is None:
        return {"built": False, "stale": True, "stale_because": ["not built"],
                "collection": None, "model": model, "counts": {}, "chunks": 0,
                "corpus_hash": current}
    because = [why for why, changed in (
        ("corpus", current != manifest.corpus_hash),
        ("quantization", manifest.quantization != settings.quantization),
        ("model", manifest.model_fingerprint != model_fingerprint(settings.embedding_model)),
    ) if changed]
    return {"built": True, "collection": manifest.collection,
            "chunks": len(manifest.chunk_hashes), "counts": manifest.stage_counts,
            "model": manifest.model, "configured_model": model,
            "quantization": manifest.quantization,
            "configured_quantization": settings.quantization,
            "corpus_hash": manifest.corpus_hash, "current_corpus_hash": current,
            "stale": bool(because), "stale_because": because,
            "built_at": manifest.built_at,
            "backend": "server" if settings.chroma_url else "embedded"}


def index_exists(settings: Settings) -> bool:
    try:
        client, manifests = make_chroma(settings)
        return manifests.read() is not None
    except IndexMissingError:
        return False


def one_blas_thread() -> None:
    """Keep numpy's BLAS to one thread in a process that answers questions.

    The query path's matrix products are small (a question against a few thousand card and
    anchor vectors: well under a millisecond on one core), but OpenBLAS starts a thread per
    core for them, and those threads keep spinning after each product, against ONNX Runtime's
    own threads: the query embedding inside an answer took 8 ms instead of 3.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def build_bot(settings: Settings, *, encoder: Encoder | None = None,
              generator: Generator | None = None, store: StateStore | None = None,
              keep_state: bool = True, retrieval_mode: Mode = "hybrid",
              use_filters: bool = True) -> CareerBot:
    """A ready bot over the current index; raises :class:`IndexMissingError` without one.

    ``retrieval_mode`` and ``use_filters`` let evals compare configurations side by side.
    """
    from bot.answer.context import ContextBuilder
    from bot.answer.generators import build_generator
    from bot.answer.pipeline import CareerBot
    from bot.answer.retrieval import HybridRetriever
    from bot.answer.scope import ScopeGuard
    from bot.answer.stages import StageDetector

    offline_env()
    one_blas_thread()
    client, manifests = make_chroma(settings)
    opened = open_index(client, manifests, settings.data_dir)
    warm = threading.Thread(target=warm_collection, args=(opened.collection,), daemon=True,
                            name="chroma-warm")
    warm.start()
    # a process that ends while the warm-up query is still inside Chroma's native code
    # crashed at interpreter shutdown (SIGSEGV): let the query finish first
    atexit.register(warm.join, 10.0)
    encoder = index_encoder(encoder or make_encoder(settings, on_notice=log.warning),
                            opened.manifest.quantization, settings)
    corpus = load_corpus(settings.corpus_dir)
    anchors = Anchors.of(corpus, encoder, settings.data_dir)
    if store is None and keep_state:
        store = make_store(settings)
    retriever = HybridRetriever(index=opened, encoder=encoder,
                                refresh=lambda current: _newer_index(client, manifests,
                                                                     settings, current))
    detector = StageDetector(corpus.stages, anchors.stages, anchors.stage_labels)
    builder = ContextBuilder(corpus, retriever, detector, anchors.cards,
                             stale_months=settings.stale_after_months)
    return CareerBot(
        corpus=corpus, retriever=retriever, detector=detector,
        guard=ScopeGuard(anchors.stages, anchors.off_topic,
                         asked_here=anchors.cards.vectors), builder=builder,
        generator=generator or build_generator(settings), store=store,
        max_input_chars=settings.max_input_chars, top_k=settings.top_k,
        retrieval_mode=retrieval_mode, use_filters=use_filters,
        corpus_version=corpus_version(corpus, opened.manifest.corpus_hash))


@dataclass
class Anchors:
    """Sentences embedded once and cached beside the index: the stages' labelled examples,
    off-topic requests, and the ways people ask each answer card's question."""

    stages: np.ndarray
    stage_labels: list[str]
    off_topic: np.ndarray
    cards: CardMatcher

    @classmethod
    def of(cls, corpus: Corpus, encoder: Encoder, cache: Path | None) -> Anchors:
        from bot.answer import prompts
        from bot.answer.cards import CardMatcher
        from bot.answer.stages import StageDetector, anchor_vectors

        texts, labels = StageDetector.anchor_texts(corpus.stages)
        card_texts, owners = CardMatcher.texts(corpus.cards)
        card_vecs = anchor_vectors(encoder, card_texts, cache) if card_texts \
            else np.zeros((0, encoder.dim), dtype=np.float32)
        return cls(stages=anchor_vectors(encoder, texts, cache), stage_labels=labels,
                   off_topic=anchor_vectors(encoder, list(prompts.OFF_TOPIC_EXAMPLES), cache),
                   cards=CardMatcher(corpus.cards, card_vecs, owners))


def _newer_index(client: Any, manifests: ManifestStore, settings: Settings,
                 current: str) -> OpenIndex | None:
    """The index the manifest points at now, if it is not ``current``."""
    manifest = manifests.read()
    if manifest is None or manifest.collection == current:
        return None
    return open_index(client, manifests, settings.data_dir)
