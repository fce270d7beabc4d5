"""The service container: heavy resources (model, Chroma, SQLite) built once and shared."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qa_service.answer.extractive import AnswerConfig, ExtractiveAnswerer
from qa_service.config import Settings
from qa_service.retrieval.embedder import Embedder, create_embedder
from qa_service.retrieval.index import ArticleIndex, IngestResult
from qa_service.retrieval.retriever import HybridRetriever

log = logging.getLogger("qa_service")


@dataclass
class QAService:
    settings: Settings
    embedder: Embedder
    index: ArticleIndex
    retriever: HybridRetriever
    answerer: ExtractiveAnswerer

    def close(self) -> None:
        self.index.close()

    def ingest_paths(
        self,
        paths: list[Path],
        on_result: Callable[[str, IngestResult | Exception], None] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> list[IngestResult]:
        """Ingest files/folders; one bad file is reported and skipped, never fatal."""
        from qa_service.errors import QAServiceError
        from qa_service.ingest.loading import article_files, load_file

        results = []
        for doc_id, file in article_files(paths):
            try:
                result = self.index.add(load_file(file), doc_id, progress=progress)
            except QAServiceError as exc:
                if on_result:
                    on_result(doc_id, exc)
                continue
            results.append(result)
            if on_result:
                on_result(doc_id, result)
        return results

    def ingest_seeds_if_empty(self) -> list[IngestResult]:
        seeds = self.settings.seeds_dir
        if self.index.docs.counts()[0] > 0 or not seeds.is_dir() or not any(seeds.iterdir()):
            return []
        results = self.ingest_paths([seeds])
        log.info("ingested %d seed articles from %s", len(results), seeds)
        return results


def build_service(settings: Settings, embedder: Embedder | None = None) -> QAService:
    embedder = embedder or create_embedder(settings)
    reranker = None
    if settings.reranker_model:  # loaded before the index opens: a bad model leaves nothing open
        from qa_service.answer.reranking import CrossEncoderReranker

        reranker = CrossEncoderReranker(settings.reranker_model)
    index = ArticleIndex(
        settings.index_dir,
        embedder,
        chunk_max_chars=settings.chunk_max_chars,
        max_document_chars=settings.max_document_chars,
        reload_seconds=settings.vector_reload_seconds,
    )
    retriever = HybridRetriever(index)
    answerer = ExtractiveAnswerer(
        retriever,
        embedder,
        AnswerConfig(
            max_citations=settings.max_citations,
            abstain_threshold=settings.abstain_threshold,
            max_question_chars=settings.max_question_chars,
            rerank_candidates=settings.rerank_candidates,
        ),
        reranker,
    )
    return QAService(settings, embedder, index, retriever, answerer)
