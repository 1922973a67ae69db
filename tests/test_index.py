"""Index builds: metadata on every chunk, incremental updates, one writer at a time.

What a build does is the same whatever the vectors: these build over the fake encoder.
"""

from __future__ import annotations

import pytest

from bot.app import make_chroma
from corpus.loader import load_corpus
from corpus.schema import STAGES
from index.build import IndexBusyError, write_lock
from index.chunking import chunk_corpus


def test_chunks_carry_the_metadata_retrieval_and_citation_need(small_corpus):
    chunks = chunk_corpus(load_corpus(small_corpus))
    kinds = {c.metadata["kind"] for c in chunks}
    assert kinds == {"guide", "role", "resource"}
    for c in chunks:
        meta = c.metadata
        assert meta["stage"] in STAGES and meta["title"] and meta["source_id"]
        assert meta[f"stage:{meta['stage']}"] is True
        assert all(isinstance(v, (str, int, float, bool)) for v in meta.values())
    resources = [c for c in chunks if c.metadata["kind"] == "resource"]
    assert all(c.id == c.metadata["source_id"] for c in resources), "resources stay whole"
    guides = [c for c in chunks if c.metadata["kind"] == "guide"]
    assert len(guides) > len({c.metadata["source_id"] for c in guides}), "guides split"


def test_incremental_build_embeds_only_what_changed(fake_index_factory, small_corpus):
    ix = fake_index_factory(corpus_dir=small_corpus)
    first = ix.build()
    assert first.added and first.switched
    again = ix.build()
    assert not again.changed and again.summary().startswith("unchanged")

    guide = small_corpus / "guides" / "portfolio" / "what-makes-a-project-stand-out.md"
    guide.write_text(guide.read_text() + "\n## A new closing section\n\nShip one small "
                     "project end to end before starting a second one, and write about it.\n")
    (small_corpus / "guides" / "future-proof" / "staying-current-weekly-routine.md").unlink()
    third = ix.build()
    assert third.added == ["guide-portfolio-what-makes-a-project-stand-out#"
                           + str(len([a for a in first.added if a.startswith(
                               "guide-portfolio-what-makes-a-project-stand-out#")]))]
    assert third.removed and all(r.startswith("guide-future-proof-staying-current")
                                 for r in third.removed)
    assert third.embedded == len(third.added) + len(third.updated)
    _, manifests = make_chroma(ix.settings)
    assert manifests.read().collection == third.collection


@pytest.mark.parametrize("older", [None, 2], ids=["unrecorded", "batched int8"])
def test_an_int8_index_from_an_older_recipe_is_re_embedded_in_full(
        fake_index_factory, small_corpus, older):
    from dataclasses import replace

    ix = fake_index_factory(corpus_dir=small_corpus, quantization="int8")
    total = ix.build().embedded
    _, manifests = make_chroma(ix.settings)
    manifests.write(replace(manifests.read(), int8_export=older))  # as an older build left it
    again = ix.build()
    assert again.switched and again.embedded == total
    assert not ix.build().changed


def test_a_second_writer_gets_a_clear_busy_error(fake_index_factory, small_corpus):
    ix = fake_index_factory(corpus_dir=small_corpus)
    ix.settings.data_dir.mkdir(parents=True, exist_ok=True)
    with write_lock(ix.settings.data_dir), pytest.raises(IndexBusyError, match="another"):
        ix.build()


def test_rebuild_replaces_the_collection_and_keeps_answers(fake_index_factory, small_corpus):
    ix = fake_index_factory(corpus_dir=small_corpus)
    ix.build()
    before = ix.bot(keep_state=False).ask("How do I write a resume for an AI job?")
    rebuilt = ix.build(rebuild=True)
    assert rebuilt.embedded == rebuilt.added.__len__() and rebuilt.switched
    after = ix.bot(keep_state=False).ask("How do I write a resume for an AI job?")
    assert [x.id for x in after.sources] == [x.id for x in before.sources]
    client, _ = make_chroma(ix.settings)
    names = [c.name for c in client.list_collections()]
    assert names.count(rebuilt.collection) == 1 and len(
        [n for n in names if n.startswith(ix.settings.collection_prefix + "-2")]) == 1


def test_the_write_lock_is_released_after_a_build(fake_index_factory, small_corpus):
    ix = fake_index_factory(corpus_dir=small_corpus)
    ix.build()
    with write_lock(ix.settings.data_dir):  # a later writer (another process, a rebuild) gets it
        pass


def test_a_running_bot_follows_a_reindex_without_restart(fake_index_factory, small_corpus):
    ix = fake_index_factory(corpus_dir=small_corpus)
    ix.build()
    bot = ix.bot(keep_state=False)
    old = bot.retriever.index.manifest.collection
    guide = small_corpus / "guides" / "network-and-job" / "resumes-for-ai-roles.md"
    guide.write_text(guide.read_text() + "\n## One more tip\n\nKeep a master resume with "
                     "every project and cut a tailored one-page copy for each application.\n")
    new = ix.build().collection  # removes the collection the bot had open
    assert new != old
    answer = bot.ask("How do I tailor my resume for each application?")
    assert answer.sources and bot.retriever.index.manifest.collection == new
    tips = [h.text for h in bot.retriever.search("keep a master resume and cut a tailored copy",
                                                 k=5)]
    assert any("master resume" in t for t in tips), "served from the new collection, not a cache"


class CountingCollection:
    """A real collection that counts the reads which return documents."""

    def __init__(self, inner):
        self.inner = inner
        self.document_reads = 0

    def get(self, *args, **kwargs):
        self.document_reads += 1
        return self.inner.get(*args, **kwargs)

    def query(self, *args, **kwargs):
        if "documents" in kwargs.get("include", ["documents"]):
            self.document_reads += 1
        return self.inner.query(*args, **kwargs)


def test_search_returns_what_chroma_stores_and_keeps_it(fake_index_factory, small_corpus):
    ix = fake_index_factory(corpus_dir=small_corpus)
    ix.build()
    bot = ix.bot(keep_state=False)
    index = bot.retriever.index
    counting = CountingCollection(index.collection)
    index.collection = counting
    question = "Which books teach the math behind machine learning?"
    first = bot.retriever.search(question, k=6)
    assert first and counting.document_reads >= 1  # a fresh index reads texts with the query
    stored = counting.inner.get(ids=[h.chunk_id for h in first], include=["metadatas"])
    by_id = {cid: (meta["text"], {k: v for k, v in meta.items() if k != "text"})
             for cid, meta in zip(stored["ids"], stored["metadatas"], strict=True)}
    for hit in first:
        assert (hit.text, hit.meta) == by_id[hit.chunk_id]
        assert hit.text and "text" not in hit.meta

    assert len(index.records(index.bm25.ids)) == len(index.manifest.chunk_hashes)
    reads = counting.document_reads
    again = bot.retriever.search(question, k=6)
    other = bot.retriever.search("How do I prepare for a machine learning interview?", k=6)
    assert [h.chunk_id for h in again] == [h.chunk_id for h in first] and other
    assert counting.document_reads == reads, "texts of an unchanging collection are kept"
    again[0].meta["stage"] = "changed by a caller"
    assert bot.retriever.search(question, k=6)[0].meta["stage"] != "changed by a caller"


def test_indexes_written_before_texts_moved_into_metadata_still_read(tmp_path, small_corpus):
    """Older builds kept a chunk's text as the Chroma document; readers take both layouts."""
    import chromadb
    import numpy as np

    from index.build import add_chunks
    from index.reader import OpenIndex, _bm25_from_collection
    from index.store import Manifest, chroma_settings

    chunks = chunk_corpus(load_corpus(small_corpus))[:20]
    vectors = np.random.default_rng(0).random((len(chunks), 8), dtype=np.float32)
    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"), settings=chroma_settings())
    old = client.create_collection("old-layout", embedding_function=None)
    old.add(ids=[c.id for c in chunks], embeddings=vectors, documents=[c.text for c in chunks],
            metadatas=[dict(c.metadata, hash=c.hash) for c in chunks])
    new = client.create_collection("new-layout", embedding_function=None)
    add_chunks(new, chunks, vectors)
    assert new.get(ids=[chunks[0].id], include=["documents"])["documents"] == [None]

    manifest = Manifest(collection="x", corpus_hash="", model="", quantization="fp32",
                        model_fingerprint="")
    read = []
    for col in (old, new):
        index = OpenIndex(manifest=manifest, collection=col,
                          bm25=_bm25_from_collection(col, tmp_path / f"bm25-{col.name}"))
        records = index.records([c.id for c in chunks])
        assert {cid: text for cid, (text, _) in records.items()} == \
            {c.id: c.text for c in chunks}
        assert all("text" not in meta and meta["source_id"] for _, meta in records.values())
        assert index.bm25.search(chunks[0].text, 1)[0][0] == chunks[0].id
        read.append(records)
    assert read[0] == read[1]
