"""The document service: what to store for an article, and the one ingest loop.

Every way in (``POST /v1/documents``, ``qa-service ingest``, the seeds at start-up, the eval
harness) comes here. It checks the input, decides the id (the same text is never stored
twice, another text never lost), merges metadata with a stored version, segments and
embeds, and hands the result to the journalled writer (retrieval/index.py).
"""

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from qa_service.errors import (
    DocumentTooLarge,
    DuplicateContent,
    EmbedderMismatch,
    EmptyDocument,
    IdConflict,
    InvalidInput,
    QAServiceError,
)
from qa_service.ingest.dates import PUBLISHED_AT_FORMS, is_iso_date
from qa_service.ingest.formats import opens_as_pdf, pdf_refused
from qa_service.ingest.loading import article_files, load_file, parse_article
from qa_service.ingest.segmentation import segment_article
from qa_service.models import (
    Article,
    Chunk,
    Found,
    Sentence,
    canonical_field,
    canonical_metadata,
    content_hash,
)
from qa_service.retrieval.embedder import Embedder, embedder_identity
from qa_service.retrieval.index import ArticleIndex, PreparedDocument
from qa_service.stores.base import DocumentRecord, DocumentStore
from qa_service.textcheck import check_metadata, check_text, has_words, nfc
from qa_service.tuning.ingest import (
    CHUNK_MAX_CHARS,
    EMBED_BATCH,
    EMBED_BATCH_CHARS,
    KEYWORD_MERGE_PAGES,
)

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,127}")  # the whole id: fullmatch
_METADATA_FIELDS = ("title", "source", "published_at", "metadata")
_FOUND_FIELDS = ("title", "source", "published_at")  # what a file or page may yield (Found)
ProgressCallback = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class IngestResult:
    id: str
    chunks: int
    sentences: int
    created: bool
    updated: bool
    content_hash: str  # of the text stored under ``id`` by this call (the audit log's)


FileState = Literal["created", "updated", "unchanged", "skipped", "failed"]


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """What became of one file (or of a path that does not exist: ``doc_id`` None)."""

    path: Path
    doc_id: str | None
    state: FileState
    result: IngestResult | None = None
    error: Exception | None = None


@dataclass(frozen=True, slots=True)
class FilePlan:
    """The files under some paths, each with its id, and the paths that do not exist."""

    files: list[tuple[str, Path]]
    missing: list[Path]


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)

    def count(self, state: FileState) -> int:
        return sum(o.state == state for o in self.outcomes)

    @property
    def results(self) -> list[IngestResult]:
        return [o.result for o in self.outcomes if o.result is not None]


def check_document_id(doc_id: str) -> str:
    if not _ID.fullmatch(doc_id):
        raise InvalidInput(
            f"invalid document id {doc_id!r}: use 1-128 letters, digits, '.', '_', '~' or '-', "
            "starting with a letter or digit"
        )
    return doc_id


def embedding_texts(text: str, sentences: list[Sentence]) -> list[str]:
    """What the embedder sees for each sentence: its text in NFC, whitespace folded. Questions
    arrive in NFC; an article posted in NFD is stored as posted (its offsets are the
    citations'), but must be embedded as the same words."""
    return [" ".join(nfc(text[s.start : s.end]).split()) for s in sentences]


def embedding_batches(
    texts: Sequence[str], max_count: int = EMBED_BATCH, max_chars: int = EMBED_BATCH_CHARS
) -> Iterator[list[str]]:
    """``texts`` in order, in batches of at most ``max_count`` texts and ``max_chars``
    characters (one longer text alone): how long one engine call holds the embedder, so
    questions waiting for it get their turn between batches."""
    batch: list[str] = []
    chars = 0
    for text in texts:
        if batch and (len(batch) == max_count or chars + len(text) > max_chars):
            yield batch
            batch, chars = [], 0
        batch.append(text)
        chars += len(text)
    if batch:
        yield batch


def plan_files(paths: Iterable[Path]) -> FilePlan:
    """The article files under the paths that exist; two files that would share an id are
    refused (InvalidInput) before anything is ingested."""
    paths = [Path(p) for p in paths]
    missing = [p for p in paths if not p.exists()]
    present = [p for p in paths if p.exists()]
    return FilePlan(article_files(present) if present else [], missing)


def check_embedder(
    documents: DocumentStore,
    embedder: Embedder,
    where: str,
    new_index: str = "point QA_INDEX_DIR at a new folder",
) -> None:
    """Refuse to mix two models' vectors: they would answer with noise, silently.

    The first open records the embedder; an index from before this record adopts the
    configured one. ``new_index``: how to start an empty index in this mode.
    """
    wanted = embedder_identity(embedder)
    recorded = documents.set_property_if_absent("embedder", wanted)
    if recorded != wanted:
        raise EmbedderMismatch(
            f"the index in {where} was built with the embedder '{recorded}', but "
            f"'{wanted}' is configured; vectors of two models cannot be compared. Set "
            f"QA_EMBEDDER / QA_EMBEDDING_MODEL back, or {new_index} and ingest the articles "
            "again."
        )


class DocumentService:
    def __init__(
        self,
        index: ArticleIndex,
        embedder: Embedder,
        *,
        chunk_max_chars: int = CHUNK_MAX_CHARS,
        max_document_chars: int = 2_000_000,
        keyword_merge_pages: int = KEYWORD_MERGE_PAGES,
    ) -> None:
        self.index = index
        self.keyword_merge_pages = keyword_merge_pages
        self.documents = index.stores.documents
        self.embedder = embedder
        self.chunk_max_chars = chunk_max_chars
        self.max_document_chars = max_document_chars

    def delete(self, doc_id: str) -> DocumentRecord:
        """The article and every span, keyword row and vector of it; returns what was deleted."""
        return self.index.delete(doc_id)

    def add(
        self,
        article: Article,
        doc_id: str | None = None,
        progress: ProgressCallback | None = None,
        *,
        same_file: bool = False,
        merge: bool = True,
    ) -> IngestResult:
        """Store ``article``: new, a new version of ``doc_id``, or (same text) a no-op that
        may update metadata. With ``same_file`` (ids derived from file names) a new version
        must come from a file of the same name as the stored one (IdConflict otherwise).
        ``merge``: after a write, merge the keyword index's segments (``merge_keywords``);
        a file ingest does it once at its end instead."""
        text = self._checked_text(article)
        article = _canonical(article)
        digest = content_hash(text)
        given = doc_id is not None
        requested = check_document_id(doc_id) if doc_id is not None else f"doc-{digest[:16]}"
        doc_id = self._resolve_id(digest, requested, given)

        # Segmenting and embedding a long article takes seconds to minutes: done before the
        # lock, so other writers (threads, workers, `qa-service ingest`) are not held up.
        # Another text is told by its hash alone; the stored text is read once, under the
        # lock (``_holds``), where it must be read anyway.
        work = None
        stored = self.documents.get(doc_id)
        if stored is None or stored.content_hash != digest:
            if same_file:
                _check_same_file(stored, article)
            work = self._segment_and_embed(text, progress)

        with self.index.writing():
            # Again, under the lock: another writer may have stored this text meanwhile.
            doc_id = self._resolve_id(digest, requested, given)
            existing = self.documents.get(doc_id)
            if existing is not None and self._holds(existing, text, digest, given):
                return self._merge_metadata(existing, article)
            if same_file:
                _check_same_file(existing, article)
            # No work yet only if this text was stored at the check above and another writer
            # has replaced it since, or the caller names an id holding this text with other
            # whitespace (a rare replacement: embedded under the lock).
            sentences, chunks, vectors = work or self._segment_and_embed(text, progress)
            record = self._record(doc_id, digest, text, article, existing, chunks, sentences)
            self.index.write([PreparedDocument(record, text, sentences, chunks, vectors, True)])
        if merge:
            self.merge_keywords()
        return IngestResult(
            doc_id,
            len(chunks),
            len(sentences),
            created=existing is None,
            updated=existing is not None,
            content_hash=digest,
        )

    def ingest_files(
        self,
        plan: FilePlan,
        *,
        before: Callable[[str], None] | None = None,
        after: Callable[[FileOutcome], None] | None = None,
    ) -> IngestReport:
        """The one ingest loop (CLI, seeds): one bad file or missing path is reported and
        skipped, never fatal. A file whose text is stored under another id (renamed or
        linked) is skipped, and one whose id holds another file's text fails: nothing is
        lost."""
        report = IngestReport()

        def record(outcome: FileOutcome) -> None:
            report.outcomes.append(outcome)
            if after:
                after(outcome)

        for path in plan.missing:
            record(FileOutcome(path, None, "failed", error=_missing(path)))
        for doc_id, file in plan.files:
            if before:
                before(doc_id)
            try:
                article = load_file(file, self.max_document_chars)
                result = self.add(article, doc_id, same_file=True, merge=False)
            except DuplicateContent as exc:
                record(FileOutcome(file, doc_id, "skipped", error=exc))
            except QAServiceError as exc:
                record(FileOutcome(file, doc_id, "failed", error=exc))
            else:
                state: FileState = (
                    "created" if result.created else "updated" if result.updated else "unchanged"
                )
                record(FileOutcome(file, doc_id, state, result))
        if any(o.state in ("created", "updated") for o in report.outcomes):
            self.merge_keywords()
        return report

    def merge_keywords(self) -> int:
        """After an ingest: the keyword index merged towards one segment, at most
        ``keyword_merge_pages`` pages (qa_service/tuning/ingest.py, KEYWORD_MERGE_PAGES)."""
        return self.index.merge_keyword_segments(self.keyword_merge_pages)

    def ingest_paths(self, paths: Sequence[Path]) -> IngestReport:
        return self.ingest_files(plan_files(paths))

    # -- the steps of ``add`` ------------------------------------------------------------

    def _checked_text(self, article: Article) -> str:
        """The article text with line breaks normalised; raises on anything unusable."""
        text = check_text(article.text, "the article text")
        # A PDF's syntax sent as JSON text; a file's bytes were sniffed before they were read
        # (detect_format). Not the text of a page, converted: its first paragraph may begin
        # with "%PDF-" (a page that opened with it was no page, ``is_html_document``).
        converted = (article.metadata or {}).get("format") == "html"
        if not converted and opens_as_pdf(text):
            raise pdf_refused("the article text", "send the article's text, not the file")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        for name in ("title", "source", "published_at"):
            if (value := getattr(article, name)) is not None:
                check_text(value, f"the article's {name}")
        published = canonical_field(article.published_at)
        if published is not None and not is_iso_date(published):
            raise InvalidInput(f"published_at must be {PUBLISHED_AT_FORMS}, not {published[:80]!r}")
        check_metadata(article.metadata or {})
        if not text.strip():
            raise EmptyDocument("the article text is empty")
        if not has_words(text):
            raise EmptyDocument("the article has no words (only punctuation, symbols or spaces)")
        if len(text) > self.max_document_chars:
            raise DocumentTooLarge(
                f"the article has {len(text):,} characters; the limit is "
                f"{self.max_document_chars:,}"
            )
        return text

    def _holds(self, record: DocumentRecord, text: str, digest: str, given: bool) -> bool:
        """Whether ``record`` already holds ``text``. The hash reads whitespace runs as one
        space, so a re-scrape that only wraps lines otherwise finds its document; but a caller
        who names the id and sends other whitespace replaces the text (paragraph breaks decide
        where citations may join sentences)."""
        if record.content_hash != digest:
            return False
        return not given or self.documents.text(record.id) == text

    def _resolve_id(self, digest: str, doc_id: str, given: bool) -> str:
        """The id this text is stored under; never a second copy, never another text lost.

        The same text under another id is a conflict when the caller named an id, and that
        document (a no-op) when the id was to be derived from the text. A derived id that
        already holds another text (a caller chose it, or its text changed) is a conflict too.
        """
        stored = self.documents.get(doc_id)
        if stored is not None and stored.content_hash == digest:
            return doc_id  # this text, under this id: a re-post (even if an old copy exists)
        twin = self.documents.find_by_hash(digest)
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

    def _merge_metadata(self, existing: DocumentRecord, article: Article) -> IngestResult:
        """The stored text again: what the caller gave replaces, what it left out stays; what
        the file or page yields (``article.found``) fills in only what is stored as none."""
        given = {k: getattr(article, k) for k in _METADATA_FIELDS}
        for k in _FOUND_FIELDS:
            if given[k] is None and getattr(existing, k) is None:
                given[k] = getattr(article.found, k)
        metadata, stored_format = given["metadata"], existing.metadata.get("format")
        if metadata is not None and "format" not in metadata and stored_format is not None:
            # How the stored text was read (a JSON body's plain text brings no format): new
            # metadata for the same text does not make an upload's Markdown plain text.
            given["metadata"] = {**metadata, "format": stored_format}
        changed = any(getattr(existing, k) != v for k, v in given.items() if v is not None)
        if changed:
            merged = {k: (v if v is not None else getattr(existing, k)) for k, v in given.items()}
            self.index.update_metadata(existing.id, merged)
        return IngestResult(
            existing.id,
            existing.n_chunks,
            existing.n_sentences,
            created=False,
            updated=changed,
            content_hash=existing.content_hash,
        )

    def _record(
        self,
        doc_id: str,
        digest: str,
        text: str,
        article: Article,
        existing: DocumentRecord | None,
        chunks: list[Chunk],
        sentences: list[Sentence],
    ) -> DocumentRecord:
        """The new version's record. What the caller left out is kept from the old version,
        else found in the new text or file (``article.found``; a date the new text states
        wins over the old one; so does a title, when the old one was found in the old text,
        not given)."""
        from_text = article  # what the new text itself yields, beside ``article.found``
        if article.title is None or article.published_at is None:
            from_text = parse_article(text)
        kept: dict[str, Any] = (
            {} if existing is None else {k: getattr(existing, k) for k in _METADATA_FIELDS}
        )
        if article.title is None and existing is not None and self._title_was_found(existing):
            kept["title"] = None
        metadata = dict(
            article.metadata if article.metadata is not None else kept.get("metadata", {})
        )
        if article.metadata is None and "format" in metadata:
            # Kept from a version read as HTML or Markdown, while this one is plain text (a
            # file or page always brings its format; only a JSON body's plain text brings no
            # metadata): the format describes the version stored, not an earlier one.
            metadata["format"] = "text"
        return DocumentRecord(
            id=doc_id,
            version=digest[:16],
            content_hash=digest,
            title=article.title or kept.get("title") or article.found.title or from_text.title,
            source=article.source or kept.get("source") or article.found.source,
            published_at=article.published_at
            or article.found.published_at
            or from_text.published_at
            or kept.get("published_at"),
            metadata=metadata,
            n_chunks=len(chunks),
            n_sentences=len(sentences),
            created_at=0.0,
            updated_at=0.0,
        )

    def _title_was_found(self, existing: DocumentRecord) -> bool:
        """Was the stored title derived from the stored text rather than given?

        Told from the record itself, so it holds for articles stored before this rule: the
        title is the one its text yields (read as the format it was uploaded in, the
        ``format`` metadata of an upload). A given title that the text yields as well counts
        as found: it is the text's own headline, and a new text's headline replaces it."""
        text = self.documents.text(existing.id) if existing.title is not None else None
        if text is None:
            return False
        fmt: Literal["text", "markdown"] = (
            "markdown" if existing.metadata.get("format") == "markdown" else "text"
        )
        return parse_article(text, fmt=fmt).title == existing.title

    def _segment_and_embed(
        self, text: str, progress: ProgressCallback | None
    ) -> tuple[list[Sentence], list[Chunk], np.ndarray]:
        segmentation = segment_article(text, max_chars=self.chunk_max_chars)
        sentences, chunks = segmentation.sentences, segmentation.chunks
        if not sentences:
            raise EmptyDocument("the article has no sentences once boilerplate is removed")
        texts = embedding_texts(text, sentences)
        parts = []
        for batch in embedding_batches(texts):
            parts.append(self.embedder.embed_passages(batch))
            if progress:
                progress(len(parts[-1]))
        return sentences, chunks, np.concatenate(parts).astype(np.float32)


def _canonical(article: Article) -> Article:
    """The article's fields as stored and compared (models.canonical_field): a re-post that
    differs only in their spelling is not an update."""
    found = article.found
    return replace(
        article,
        title=canonical_field(article.title),
        source=canonical_field(article.source),
        published_at=canonical_field(article.published_at),
        metadata=None if article.metadata is None else canonical_metadata(article.metadata),
        found=Found(*(canonical_field(getattr(found, k)) for k in _FOUND_FIELDS)),
    )


def _check_same_file(stored: DocumentRecord | None, article: Article) -> None:
    """Refuse to replace a document stored from a file of another name: two names that give
    one id ("Kön.txt", "Kün.txt" -> "K-n") would otherwise lose the first text silently."""
    if stored is None or stored.source is None or article.source is None:
        return
    old, new = Path(stored.source).name, Path(article.source).name
    if nfc(old) != nfc(new):
        raise IdConflict(
            f"the document {stored.id!r} holds the text of another file, {stored.source}; "
            f"{article.source} was not ingested so as not to replace it: rename the file "
            f"(or delete the document {stored.id!r} first if it is to be replaced)"
        )


def _missing(path: Path) -> FileNotFoundError:
    return FileNotFoundError(f"No such file or folder: {path}")
