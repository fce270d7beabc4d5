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
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa_service.errors import (
    DocumentNotFound,
    DocumentTooLarge,
    DuplicateContent,
    EmptyDocument,
    InvalidInput,
)
from qa_service.ingest.segmentation import segment_article
from qa_service.models import Article, Chunk, Sentence
from qa_service.retrieval.docstore import DocStore, DocumentRecord
from qa_service.retrieval.embedder import Embedder
from qa_service.retrieval.vectors import VectorStore

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$")
ProgressCallback = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class IngestResult:
    id: str
    chunks: int
    sentences: int
    created: bool
    updated: bool


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_document_id(doc_id: str) -> str:
    if not _ID.match(doc_id):
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
    ) -> None:
        index_dir.mkdir(parents=True, exist_ok=True)
        self.embedder = embedder
        self.docs = DocStore(index_dir / "qa.sqlite3")
        self.vectors = VectorStore(index_dir / "chroma")
        self.chunk_max_chars = chunk_max_chars
        self.max_document_chars = max_document_chars
        self._write_lock = threading.Lock()
        self.repair()

    def close(self) -> None:
        self.docs.close()

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

    def add(
        self,
        article: Article,
        doc_id: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> IngestResult:
        text = article.text.replace("\r\n", "\n")
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
        doc_id = check_document_id(doc_id) if doc_id is not None else f"doc-{version}"
        metadata = {
            "title": article.title,
            "source": article.source,
            "published_at": article.published_at,
            "metadata": article.metadata,
        }

        with self._write_lock:
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
            twin = self.docs.find_by_hash(digest)
            if twin is not None and given and twin.id != doc_id:
                raise DuplicateContent(f"the same text is already stored as document {twin.id!r}")

            segmentation = segment_article(text, max_chars=self.chunk_max_chars)
            sentences, chunks = segmentation.sentences, segmentation.chunks
            if not sentences:
                raise EmptyDocument("the article has no sentences once boilerplate is removed")
            vectors = self._embed(embedding_texts(text, sentences), progress)

            record = DocumentRecord(
                id=doc_id,
                version=version,
                content_hash=digest,
                title=article.title,
                source=article.source,
                published_at=article.published_at,
                metadata=dict(article.metadata),
                n_chunks=len(chunks),
                n_sentences=len(sentences),
                created_at=0.0,
                updated_at=0.0,
            )
            self.docs.journal_add(doc_id, version, "add")
            self.vectors.add("sentences", doc_id, version, vectors)
            self.vectors.add("chunks", doc_id, version, chunk_vectors(vectors, chunks))
            self.docs.replace(record, text, sentences, chunks)
            self.vectors.delete(doc_id, keep=version)
            self.docs.journal_remove(doc_id, version, "add")
        return IngestResult(
            doc_id,
            len(chunks),
            len(sentences),
            created=existing is None,
            updated=existing is not None,
        )

    def _embed(self, texts: list[str], progress: ProgressCallback | None) -> np.ndarray:
        batch = 32
        parts = []
        for lo in range(0, len(texts), batch):
            parts.append(self.embedder.embed_passages(texts[lo : lo + batch]))
            if progress:
                progress(len(parts[-1]))
        return np.concatenate(parts).astype(np.float32)

    def delete(self, doc_id: str) -> None:
        with self._write_lock:
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
