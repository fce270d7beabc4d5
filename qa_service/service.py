"""The service layer: one entry per operation, the only thing the HTTP routes and the CLI call.

QAService answers, reads and deletes documents and reports health; its ``documents``
(DocumentService) ingests, one article or the files under some paths; ChatService
(chat/service.py) answers in conversations. ``build_service`` opens the heavy resources once
(model, stores) and wires the parts:

    routers / CLI -> QAService (+ ChatService) -> DocumentService -> ArticleIndex -> Stores
                                               -> ExtractiveAnswerer -> HybridRetriever -> Stores
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from qa_service.answer.extractive import Answer, AnswerConfig, ExtractiveAnswerer
from qa_service.answer.generative import GenerativeAnswerer, Pending, Reply, Responder
from qa_service.answer.translation import LexiconWarmer
from qa_service.answer.verification import Verifier
from qa_service.config import AnswerMode, Settings
from qa_service.documents import DocumentService, IngestResult, check_embedder
from qa_service.errors import DocumentNotFound
from qa_service.ingest.formats import (
    check_format_metadata,
    check_upload_source,
    is_html_document,
    upload_format,
    upload_source,
)
from qa_service.ingest.loading import decode_upload, parse_article
from qa_service.llm import LLMClient, LLMStatus
from qa_service.models import Article
from qa_service.retrieval.embedder import Embedder, create_embedder
from qa_service.retrieval.index import ArticleIndex, CheckReport
from qa_service.retrieval.retriever import HybridRetriever
from qa_service.seeding import ingest_seeds
from qa_service.stores import DocumentOrder, DocumentRecord, IndexCounts, Stores, open_stores
from qa_service.tuning.stores import LIST_PAGE

_GIVEN_FIELDS = ("title", "source", "published_at")
"""What a form field beside an upload replaces of what the file yields."""


@dataclass(frozen=True, slots=True)
class WordLexiconStatus:
    words: int  # corpus words whose vectors are kept
    warm: bool  # the background warm-up has embedded every article's words given to it


@dataclass(frozen=True, slots=True)
class HealthReport:
    documents: int | None  # None while the document store is unavailable
    chunks: int | None
    sentences: int | None
    embedder: str
    reranker: str | None
    calibrated: bool  # the embedder's weights and threshold were measured for this model
    answer_mode: AnswerMode = "extractive"
    llm: LLMStatus | None = None  # the configured LLM and whether it answered its last check
    mode: str = "embedded"  # or "server"
    backends: dict[str, str] = field(default_factory=dict)  # server mode: engine -> "ok"/why
    word_lexicon: WordLexiconStatus | None = None  # None: no score reads word vectors

    @property
    def degraded(self) -> bool:
        return any(state != "ok" for state in self.backends.values())


@dataclass
class QAService:
    settings: Settings
    embedder: Embedder
    stores: Stores
    documents: DocumentService
    retriever: HybridRetriever
    answerer: ExtractiveAnswerer
    responder: Responder
    llm: LLMClient | None = None
    warmer: LexiconWarmer | None = None  # the corpus words' vectors, warmed (``word_signals``)

    def close(self) -> None:
        if self.warmer is not None:
            self.warmer.close()
        self.retriever.close()
        self.stores.close()

    # -- documents -----------------------------------------------------------------------

    def add_document(
        self,
        article: Article,
        doc_id: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> IngestResult:
        """Ingest an article given as text (a JSON body, an eval article)."""
        result = self.documents.add(article, doc_id, progress)
        if result.created or result.updated:
            self.warm_lexicon([result.id])
        return result

    def warm_lexicon(self, doc_ids: Sequence[str] | None = None) -> None:
        """Embed the words of these articles (None: every one) for the scores that read
        single-word vectors (the closest word for German questions, the word lexicon with
        QA_TRANSLATE_WORDS), in the background: the first questions over them then find
        the vectors kept (``LexiconWarmer``). A no-op when no score reads them."""
        if self.warmer is None:
            return
        docs = self.stores.documents

        def ids() -> Iterator[str]:
            for offset in range(0, 1 << 62, LIST_PAGE):
                page = docs.page(offset=offset, limit=LIST_PAGE)
                yield from (record.id for record in page)
                if len(page) < LIST_PAGE:
                    return

        def texts() -> Iterator[str]:
            for doc_id in ids() if doc_ids is None else doc_ids:
                if (text := docs.text(doc_id)) is not None:
                    yield text

        what = "every article" if doc_ids is None else ", ".join(doc_ids)
        self.warmer.add(texts, what)

    @staticmethod
    def read_upload(raw: bytes, filename: str, content_type: str | None = None) -> Article:
        """An uploaded file (.txt, .md, .html) as an article, before ``add_document``;
        ``filename`` as the client sent it (only its base name is kept: ``upload_source``),
        ``content_type``: what the upload declared. Its title, date and file name are
        ``found``: fallbacks, never over a stored title or source (README)."""
        filename = upload_source(filename)
        fmt = upload_format(filename, raw, content_type)
        text = decode_upload(raw, name=repr(filename[:100]), content_type=content_type)
        return parse_article(text, fmt=fmt, name=filename).as_found()

    @staticmethod
    def with_form_fields(upload: Article, given: Mapping[str, Any]) -> Article:
        """An upload (``read_upload``) with the form fields sent beside the file, checked as
        the JSON body's are. Title, source and date replace what the file yields; metadata
        joins the upload's own ``format``, which it may only repeat; without a source, the
        file name is the source fallback, checked as a given source is."""
        filename = upload.found.source or "upload"
        article = replace(upload, **{k: given[k] for k in _GIVEN_FIELDS if k in given})
        if "metadata" in given:
            fmt = (upload.metadata or {})["format"]
            check_format_metadata(given["metadata"], fmt, f"the upload {filename[:100]!r}")
            article.metadata = {**(upload.metadata or {}), **given["metadata"]}
        if "source" not in given:
            article.found = replace(upload.found, source=check_upload_source(filename))
        return article

    @staticmethod
    def read_text(
        text: str,
        *,
        title: str | None = None,
        source: str | None = None,
        published_at: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Article:
        """An article sent as text (a JSON body), before ``add_document``. Plain text is kept
        as sent; a whole HTML page (``is_html_document``) is converted as its upload would be,
        its title and date then fallbacks. ``metadata.format``, if given, must be the format
        the text is read as (``check_format_metadata``)."""
        page = is_html_document(text)
        check_format_metadata(metadata, "html" if page else "text", "the body's text")
        if not page:
            return Article(text, title, source, published_at, metadata)
        read = parse_article(text, fmt="html").as_found()
        return Article(
            text=read.text,
            title=title,
            source=source,
            published_at=published_at,
            metadata={**(read.metadata or {}), **(metadata or {})},
            found=read.found,  # the page's title and date: fallbacks, as in its upload
        )

    def ingest_seeds_if_empty(self) -> list[IngestResult]:
        """The seeds the index lacks while it holds only seeds (qa_service/seeding.py)."""
        outcomes = ingest_seeds(self.settings.seeds_dir, self.stores, self.documents)
        return [o.result for o in outcomes if o.result is not None]

    def get_document(self, doc_id: str, *, with_text: bool = False) -> DocumentRecord:
        record = self.stores.documents.get(doc_id, with_text=with_text)
        if record is None:
            raise DocumentNotFound(f"no document with id {doc_id!r}")
        return record

    def list_documents(
        self, *, offset: int, limit: int, order: DocumentOrder = "oldest"
    ) -> list[DocumentRecord]:
        """Oldest first (or newest first), without their text."""
        return self.stores.documents.page(offset=offset, limit=limit, order=order)

    def counts(self) -> IndexCounts:
        return self.stores.documents.counts()

    def delete_document(self, doc_id: str) -> DocumentRecord:
        return self.documents.delete(doc_id)

    # -- questions -----------------------------------------------------------------------

    def ask(self, question: str, top_k: int | None = None) -> Answer:
        return self.answerer.ask(question, top_k or self.settings.top_k)

    def start_answer(
        self, question: str, top_k: int | None = None, mode: AnswerMode | None = None
    ) -> Pending:
        """Search and check the question (bad input raises here); ``.reply()`` answers it
        in ``mode`` (default QA_ANSWER_MODE), ``.events()`` sentence by sentence."""
        return self.responder.start(question, top_k or self.settings.top_k, mode)

    def expect_question(self, question: str) -> None:
        """``question`` was admitted and waits for an answer thread: the embedder may embed it
        with the questions ahead of it (one engine call for several: less CPU per question,
        benchmarks/README.md "Throughput"). Cheap, on the event loop; bad input is left for
        ``start_answer`` to refuse."""
        expect = getattr(self.embedder, "expect", None)
        if expect is not None and (query := self.answerer.query_to_embed(question)) is not None:
            expect(query)

    def answer(
        self, question: str, top_k: int | None = None, mode: AnswerMode | None = None
    ) -> Reply:
        return self.start_answer(question, top_k, mode).reply()

    def health(self) -> HealthReport:
        """Counts, models and, in server mode, each engine asked now: a down engine makes
        the report degraded instead of an error."""
        if self.llm is not None:
            self.llm.refresh()  # in the background: the report says what the last check said
        reranker = self.answerer.reranker
        backends = self.stores.status()
        counts: tuple[int | None, int | None, int | None] = (None, None, None)
        if backends.get("PostgreSQL", "ok") == "ok":
            counts = self.counts()
        return HealthReport(
            *counts,
            self.embedder.name,
            reranker.name if reranker else None,
            self.answerer.calibration.calibrated,
            answer_mode=self.settings.default_answer_mode,
            llm=self.llm.status if self.llm is not None else None,
            mode="server" if self.settings.server_mode else "embedded",
            backends=backends,
            word_lexicon=None
            if self.warmer is None
            else WordLexiconStatus(len(self.warmer.lexicon), self.warmer.warm),
        )

    def check(self, *, fix: bool) -> CheckReport:
        """Crash debris: unfinished journal entries and orphan vectors (see ArticleIndex)."""
        report = self.documents.index.check(fix=fix)
        return replace(
            report,
            sentences=self.counts().sentences,
            exact_max_sentences=self.settings.exact_search_max_sentences,
        )


def build_service(
    settings: Settings, embedder: Embedder | None = None, *, repair: bool = True
) -> QAService:
    embedder = embedder or create_embedder(settings)
    reranker = None
    if settings.reranker_model:  # loaded before the index opens: a bad model leaves nothing open
        from qa_service.answer.reranking import CrossEncoderReranker

        reranker = CrossEncoderReranker(settings.reranker_model)
    stores = open_stores(settings)
    try:
        where = getattr(stores, "where", str(settings.index_dir))
        if settings.server_mode:
            new_index = "point QA_DATABASE_URL and QA_CHROMA_URL at new, empty databases"
            check_embedder(stores.documents, embedder, where, new_index)
        else:
            check_embedder(stores.documents, embedder, where)
        index = ArticleIndex(stores, repair=repair)
    except BaseException:
        stores.close()
        raise
    documents = DocumentService(
        index,
        embedder,
        chunk_max_chars=settings.chunk_max_chars,
        max_document_chars=settings.max_document_chars,
        keyword_merge_pages=settings.keyword_merge_pages,
    )
    retriever = HybridRetriever(stores)
    answerer = ExtractiveAnswerer(
        retriever,
        embedder,
        AnswerConfig(
            max_citations=settings.max_citations,
            abstain_threshold=settings.abstain_threshold,
            max_question_chars=settings.max_question_chars,
            rerank_candidates=settings.rerank_candidates,
            translate_words=settings.translate_words,
        ),
        reranker,
    )
    llm = LLMClient.from_settings(settings)
    generative = (
        GenerativeAnswerer(
            llm,
            Verifier(embedder),
            quote=stores.documents.quote,
            article=stores.documents.text,
            sentences=lambda doc_id, start, end: [
                (s.start, s.end) for s in stores.documents.sentences_within(doc_id, start, end)
            ],
        )
        if llm is not None
        else None
    )
    responder = Responder(answerer, generative, settings.default_answer_mode)
    warmer = LexiconWarmer(answerer.lexicon) if answerer.uses_word_vectors else None
    return QAService(
        settings, embedder, stores, documents, retriever, answerer, responder, llm, warmer
    )
