"""The article index: documents, spans, BM25 and vectors kept consistent with each other.

Write order for a new version V of document D:
  1. journal (D, V, "add") in SQLite;  2. vectors of V into Chroma;
  3. one SQLite transaction swaps D's rows to V;  4. Chroma entries of D other than V go;
  5. journal entry removed.
A crash anywhere leaves SQLite on the old or the new version; ``repair`` (run at start-up)
finishes or rolls back the vector side from the journal. Query code ignores vector hits
whose version SQLite does not hold, so readers never see a partial document.
"""

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

from qa_service.errors import (
    DocumentNotFound,
    DocumentTooLarge,
    DuplicateContent,
    EmbedderMismatch,
    EmptyDocument,
    IdConflict,
    InvalidInput,
)
from qa_service.ingest.loading import parse_article
from qa_service.ingest.segmentation import segment_article
from qa_service.models import Article, Chunk, Sentence
from qa_service.retrieval.docstore import SCHEMA_VERSION, DocStore, DocumentRecord
from qa_service.retrieval.embedder import Embedder, embedder_identity
from qa_service.retrieval.vectors import VectorStore
from qa_service.textcheck import check_metadata, check_text

log = logging.getLogger("qa_service")

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,127}")  # the whole id: fullmatch
ProgressCallback = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class IngestResult:
    id: str
    chunks: int
    sentences: int
    created: bool
    updated: bool


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    """A document ready to write: what ``add`` computes before touching the stores."""

    record: DocumentRecord
    text: str
    sentences: list[Sentence]
    chunks: list[Chunk]
    vectors: np.ndarray  # one per sentence
    replaces: bool = False  # an older version of this id may exist


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_document_id(doc_id: str) -> str:
    if not _ID.fullmatch(doc_id):
        raise InvalidInput(
            f"invalid document id {doc_id!r}: use 1-128 letters, digits, '.', '_', '~' or '-', "
            "starting with a letter or digit"
        )
    return doc_id


def chunk_vectors(sentence_vectors: np.ndarray, chunks: list[Chunk]) -> np.ndarray:
    """A chunk's vector is the normalised mean of its sentences' vectors: no second pass."""
    out = np.zeros((len(chunks), sentence_vectors.shape[1]), dtype=np.float32)
    for i, chunk in enumerate(chunks):
        mean = sentence_vectors[chunk.first_sentence : chunk.last_sentence + 1].mean(axis=0)
        out[i] = mean / (np.linalg.norm(mean) or 1.0)
    return out


def embedding_texts(text: str, sentences: list[Sentence]) -> list[str]:
    """What the embedder sees for each sentence: its text, whitespace folded."""
    return [" ".join(text[s.start : s.end].split()) for s in sentences]


class ArticleIndex:
    def __init__(
        self,
        index_dir: Path,
        embedder: Embedder,
        *,
        chunk_max_chars: int = 700,
        max_document_chars: int = 2_000_000,
        reload_seconds: float = 5.0,
    ) -> None:
        index_dir.mkdir(parents=True, exist_ok=True)
        self.embedder = embedder
        self.docs_path = index_dir / "qa.sqlite3"
        self.docs = DocStore(self.docs_path)
        self.vectors = VectorStore(index_dir / "chroma")
        self.chunk_max_chars = chunk_max_chars
        self.max_document_chars = max_document_chars
        self.reload_seconds = reload_seconds
        self._write_lock = threading.Lock()
        self._file_lock = FileLock(index_dir / "write.lock")
        self._vectors_seen = self.docs.changed()
        self._reloaded_at = float("-inf")
        self._check_embedder(index_dir)
        with self._writing():
            self.repair()
            self.migrate()

    def _check_embedder(self, index_dir: Path) -> None:
        """Refuse to mix two models' vectors: they would answer with noise, silently.

        The first open records the embedder; an index from before this record adopts the
        configured one.
        """
        wanted = embedder_identity(self.embedder)
        recorded = self.docs.set_property_if_absent("embedder", wanted)
        if recorded != wanted:
            self.close()
            raise EmbedderMismatch(
                f"the index in {index_dir} was built with the embedder '{recorded}', but "
                f"'{wanted}' is configured; vectors of two models cannot be compared. Set "
                "QA_EMBEDDER / QA_EMBEDDING_MODEL back, or point QA_INDEX_DIR at a new folder "
                "and ingest the articles again."
            )

    def close(self) -> None:
        self.docs.close()
        self.vectors.close()

    def refresh(self) -> bool:
        """Re-read the vector store if another process wrote to the index since (a second
        `serve` worker, `qa-service ingest`): Chroma never sees other processes' writes by
        itself. At most once per ``reload_seconds``; the text search is always current.
        Returns whether it reloaded."""
        seen = self.docs.changed()
        if seen == self._vectors_seen or time.monotonic() - self._reloaded_at < self.reload_seconds:
            return False
        with self._write_lock:
            if seen == self._vectors_seen:
                return False  # another thread reloaded meanwhile
            self._reload_vectors()
        return True

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One writer at a time, across threads and processes, on current vectors.

        Chroma persists a process's in-memory graphs over the files on disk: a process that
        writes without having re-read them loses the other processes' vectors. Measured, two
        processes adding 10,000 vectors each at once: 15-21% lost without a lock, 21-90% with
        a lock alone, and entries Chroma could no longer read back; with lock and re-read,
        none lost.
        """
        with self._write_lock, self._file_lock:
            if self.docs.changed() != self._vectors_seen:
                self._reload_vectors()
            yield

    def _reload_vectors(self) -> None:
        """Caller holds ``_write_lock``."""
        start = time.monotonic()
        seen = self.docs.changed()
        self.vectors.reload()
        self._vectors_seen, self._reloaded_at = seen, time.monotonic()
        took = time.monotonic() - start
        log.info("vector store re-read after another process wrote (%.2f s)", took)

    def repair(self) -> int:
        """Finish or undo vector-store work a crash interrupted. Returns entries repaired."""
        pending = self.docs.journal()
        for doc_id, version, op in pending:
            current = self.docs.get(doc_id)
            if current is None:
                self.vectors.delete(doc_id)
            elif current.version == version:
                self.vectors.delete(doc_id, keep=version)
            else:
                self.vectors.delete(doc_id, version=version)
            self.docs.journal_remove(doc_id, version, op)
        return len(pending)

    def migrate(self) -> int:
        """Bring an index written by an older version up to date. Returns documents touched.

        Layout 2 keeps each sentence's vector beside its row in SQLite; an older index gets
        them copied from Chroma once (no re-embedding). Later starts only read a version
        number, so start-up stays O(1) in the corpus size.
        """
        if self.docs.schema_version >= SCHEMA_VERSION:
            return 0
        missing = self.docs.missing_vector_docs()
        for doc_id, version in missing:
            record = self.docs.get(doc_id)
            if record is None:
                continue
            keys = [(doc_id, version, i) for i in range(record.n_sentences)]
            stored = self.vectors.vectors("sentences", keys)
            self.docs.set_sentence_vectors(
                doc_id, version, {ord_: vec for (_doc, ord_), vec in stored.items()}
            )
        self.docs.set_schema_version(SCHEMA_VERSION)
        return len(missing)

    def add(
        self,
        article: Article,
        doc_id: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> IngestResult:
        text = (
            check_text(article.text, "the article text").replace("\r\n", "\n").replace("\r", "\n")
        )
        for field in ("title", "source", "published_at"):
            if (value := getattr(article, field)) is not None:
                check_text(value, f"the article's {field}")
        check_metadata(article.metadata or {})
        if not text.strip():
            raise EmptyDocument("the article text is empty")
        if len(text) > self.max_document_chars:
            raise DocumentTooLarge(
                f"the article has {len(text):,} characters; the limit is "
                f"{self.max_document_chars:,}"
            )
        digest = content_hash(text)
        version = digest[:16]
        given = doc_id is not None
        requested = check_document_id(doc_id) if doc_id is not None else f"doc-{version}"
        doc_id = self._resolve_id(digest, requested, given)
        metadata = {
            "title": article.title,
            "source": article.source,
            "published_at": article.published_at,
            "metadata": article.metadata,
        }

        # Segmenting and embedding a long article takes seconds to minutes: done before the
        # lock, so other writers (threads, workers, `qa-service ingest`) are not held up.
        work = None
        stored = self.docs.get(doc_id)
        if stored is None or stored.content_hash != digest:
            work = self._segment_and_embed(text, progress)

        with self._writing():
            # Again, under the lock: another writer may have stored this text meanwhile.
            doc_id = self._resolve_id(digest, requested, given)
            existing = self.docs.get(doc_id)
            if existing is not None and existing.content_hash == digest:
                changed = any(
                    getattr(existing, key) != value
                    for key, value in metadata.items()
                    if value is not None
                )
                if changed:
                    merged = {
                        k: (v if v is not None else getattr(existing, k))
                        for k, v in metadata.items()
                    }
                    self.docs.update_metadata(doc_id, merged)
                return IngestResult(
                    doc_id, existing.n_chunks, existing.n_sentences, created=False, updated=changed
                )
            # No work yet only if this text was stored at the check above and another writer
            # has replaced it since.
            sentences, chunks, vectors = work or self._segment_and_embed(text, progress)

            # Title and date found in the text fill in what the caller did not give.
            found = article
            if article.title is None or article.published_at is None:
                found = parse_article(text)
            # What the caller left out: kept from the old version, else found in the new text
            # (a date the new text states wins over the old one).
            kept: dict[str, Any] = (
                {}
                if existing is None
                else {
                    "title": existing.title,
                    "source": existing.source,
                    "published_at": existing.published_at,
                    "metadata": existing.metadata,
                }
            )
            record = DocumentRecord(
                id=doc_id,
                version=version,
                content_hash=digest,
                title=article.title or kept.get("title") or found.title,
                source=article.source or kept.get("source"),
                published_at=article.published_at or found.published_at or kept.get("published_at"),
                metadata=dict(
                    article.metadata if article.metadata is not None else kept.get("metadata", {})
                ),
                n_chunks=len(chunks),
                n_sentences=len(sentences),
                created_at=0.0,
                updated_at=0.0,
            )
            self.docs.journal_add(doc_id, version, "add")
            self.vectors.add("sentences", doc_id, version, vectors)
            self.vectors.add("chunks", doc_id, version, chunk_vectors(vectors, chunks))
            self.docs.replace(record, text, sentences, chunks, vectors)
            self.vectors.delete(doc_id, keep=version)
            self.docs.journal_remove(doc_id, version, "add")
        return IngestResult(
            doc_id,
            len(chunks),
            len(sentences),
            created=existing is None,
            updated=existing is not None,
        )

    def add_prepared(self, items: list[PreparedDocument]) -> None:
        """Write new documents whose segmentation and sentence vectors are already known.

        The bulk path (benchmarks, re-imports): same journal and write order as ``add``,
        but the vector-store calls are shared by all ``items``, which matters because
        Chroma's cost is mostly per call. Existing ids are replaced like in ``add``.
        """
        with self._writing():
            for item in items:
                self.docs.journal_add(item.record.id, item.record.version, "add")
            for kind in ("sentences", "chunks"):
                self.vectors.add_many(
                    kind,
                    [
                        (
                            item.record.id,
                            item.record.version,
                            item.vectors
                            if kind == "sentences"
                            else chunk_vectors(item.vectors, item.chunks),
                        )
                        for item in items
                    ],
                )
            for item in items:
                self.docs.replace(item.record, item.text, item.sentences, item.chunks, item.vectors)
            for item in items:
                if item.replaces:
                    self.vectors.delete(item.record.id, keep=item.record.version)
                self.docs.journal_remove(item.record.id, item.record.version, "add")

    def _resolve_id(self, digest: str, doc_id: str, given: bool) -> str:
        """The id this text is stored under; never a second copy, never another text lost.

        The same text under another id is a conflict when the caller named an id, and that
        document (a no-op) when the id was to be derived from the text. A derived id that
        already holds another text (a caller chose it, or its text changed) is a conflict too.
        """
        stored = self.docs.get(doc_id)
        if stored is not None and stored.content_hash == digest:
            return doc_id  # this text, under this id: a re-post (even if an old copy exists)
        twin = self.docs.find_by_hash(digest)
        if twin is not None and twin.id != doc_id:
            if given:
                raise DuplicateContent(f"the same text is already stored as document {twin.id!r}")
            return twin.id
        if not given and twin is None and stored is not None:
            raise IdConflict(
                f"the id derived from this text, {doc_id!r}, already holds another text: "
                "send the article with an explicit id"
            )
        return doc_id

    def _segment_and_embed(
        self, text: str, progress: ProgressCallback | None
    ) -> tuple[list[Sentence], list[Chunk], np.ndarray]:
        segmentation = segment_article(text, max_chars=self.chunk_max_chars)
        sentences, chunks = segmentation.sentences, segmentation.chunks
        if not sentences:
            raise EmptyDocument("the article has no sentences once boilerplate is removed")
        return sentences, chunks, self._embed(embedding_texts(text, sentences), progress)

    def _embed(self, texts: list[str], progress: ProgressCallback | None) -> np.ndarray:
        batch = 32
        parts = []
        for lo in range(0, len(texts), batch):
            parts.append(self.embedder.embed_passages(texts[lo : lo + batch]))
            if progress:
                progress(len(parts[-1]))
        return np.concatenate(parts).astype(np.float32)

    def delete(self, doc_id: str) -> None:
        with self._writing():
            existing = self.docs.get(doc_id)
            if existing is None:
                raise DocumentNotFound(f"no document with id {doc_id!r}")
            self.docs.journal_add(doc_id, existing.version, "delete")
            self.docs.delete(doc_id)
            self.vectors.delete(doc_id)
            self.docs.journal_remove(doc_id, existing.version, "delete")

    def get(self, doc_id: str, *, with_text: bool = False) -> DocumentRecord:
        record = self.docs.get(doc_id, with_text=with_text)
        if record is None:
            raise DocumentNotFound(f"no document with id {doc_id!r}")
        return record
