"""Hybrid retrieval: dense (Chroma) + BM25 (FTS5) over chunks and sentences, fused by RRF.

Chunks are ranked for the passages shown to the user; sentences inside the best chunks
(plus the best sentence hits anywhere) become answer candidates with their own scores.
"""

from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qa_service.retrieval.fusion import fuse_rankings
from qa_service.stores.base import (
    ChunkSpan,
    DocumentRecord,
    DocumentStore,
    LexicalHit,
    QuestionReads,
    SentenceSpan,
    Stores,
    VectorHit,
    VectorStore,
)
from qa_service.tuning import retrieval as tuning

Key = tuple[str, int]  # (doc_id, ord)
KeywordHits = tuple[list[LexicalHit], list[LexicalHit]]
"""The BM25 hits of chunks and of sentences."""


class KeywordSearch:
    """A question's reads that need no vector, done or started before it is embedded: the
    two keyword searches; embedded stores also read the rows of the sentences they found
    (``rows``); server stores start the check that brings their in-memory copy up to date
    (``Stores.reader``)."""

    def __init__(
        self,
        keywords: Callable[[], KeywordHits],
        reader: Callable[[], QuestionReads | None],
        started: list[Future] | None = None,
        rows: dict[Key, SentenceSpan] | None = None,
    ) -> None:
        self._keywords, self._reader, self._started = keywords, reader, started or []
        self.rows: dict[Key, SentenceSpan] = rows or {}
        """Rows of the sentence hits read already (the others: by ``retrieve``)."""

    def __call__(self) -> KeywordHits:
        """Both searches' hits, once both are done."""
        return self._keywords()

    def reads(self) -> QuestionReads | None:
        """The in-memory copy to read this question from (None: the stores)."""
        try:
            return self._reader()
        except BaseException:
            wait(self._started)  # nothing left running when the error is raised
            raise


@dataclass(frozen=True, slots=True)
class ScoredChunk:
    row: ChunkSpan
    score: float


@dataclass(frozen=True, slots=True)
class CandidateSentence:
    row: SentenceSpan
    dense: float  # cosine similarity to the question
    lexical: float  # BM25 score (0 when the sentence shares no term with the question)
    chunk_score: float  # fused score of its chunk, 0 when the chunk was not ranked
    chunk_rank: int  # 0 = best chunk; large when unranked
    previous_dense: float | None = None  # the preceding sentence's cosine (None: first one)


@dataclass(frozen=True, slots=True)
class Retrieval:
    chunks: list[ScoredChunk]
    candidates: list[CandidateSentence]
    articles: dict[str, DocumentRecord] = field(default_factory=dict)
    """Records and texts of the chunks' and candidates' articles (the known ones), read with
    the candidates' vectors: quotes and titles come from them."""


@dataclass(frozen=True, slots=True)
class RetrievalConfig:
    """How much each search returns; each default is explained in qa_service.tuning.retrieval."""

    dense_chunks: int = tuning.DENSE_CHUNKS
    dense_sentences: int = tuning.DENSE_SENTENCES
    lexical_chunks: int = tuning.LEXICAL_CHUNKS
    lexical_sentences: int = tuning.LEXICAL_SENTENCES
    candidate_chunks: int = tuning.CANDIDATE_CHUNKS
    hit_sentences: int = tuning.HIT_SENTENCES_PER_SEARCH
    weights: tuple[float, float, float, float] = tuning.FUSION_WEIGHTS
    language_weights: Mapping[str, tuple[float, float, float, float]] = field(
        default_factory=lambda: dict(tuning.FUSION_WEIGHTS_BY_LANGUAGE)
    )

    def fusion_weights(self, language: str | None) -> tuple[float, float, float, float]:
        """The fusion weights for questions in ``language`` (None or unlisted: ``weights``)."""
        return self.language_weights.get(language or "", self.weights)


class HybridRetriever:
    """Server stores (``concurrent_reads``) get the independent lookups of a question at
    once, each on its own connection: a question's time there is round trips, not CPU.
    Embedded stores run them one after another, in-process, as always; so do server stores
    over a small index, whose in-memory copy (``Stores.reader``) answers every read after
    the keyword searches."""

    def __init__(self, stores: Stores, config: RetrievalConfig | None = None) -> None:
        self.stores = stores
        self.config = config or RetrievalConfig()
        self._pool = (
            ThreadPoolExecutor(tuning.CONCURRENT_LOOKUPS, thread_name_prefix="qa-lookup")
            if stores.concurrent_reads
            else None
        )

    @property
    def documents(self) -> DocumentStore:
        return self.stores.documents

    def close(self) -> None:
        """Let the lookup threads end (the stores are closed by their owner)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def together(self, *calls: Callable[[], Any]) -> list[Any]:
        """The results of independent ``calls``: at once for server stores, else in order."""
        if self._pool is None or len(calls) < 2:
            return [call() for call in calls]
        futures = [self._pool.submit(call) for call in calls[1:]]
        try:
            first = calls[0]()
        finally:
            wait(futures)
        return [first, *(f.result() for f in futures)]

    def search_keywords(self, question: str, language: str | None = None) -> KeywordSearch:
        """The two keyword (BM25) searches, which need no question vector: the caller starts
        them before it embeds the question. Server stores start them on the lookup pool, so
        they run in the database while the question is embedded and their round trips leave
        the critical path, and with them the freshness check of their in-memory copy
        (``Stores.reader``: one round trip). Embedded stores run them now, one after the
        other, and read the rows of the sentences found: on the caches the previous question
        left warm, not on those the engine's weights have just streamed through (benchmarks/
        README.md, Latency, latency15). A check that starts after the request arrived sees
        every write that returned before it, on any replica."""
        self.stores.refresh()  # server stores: re-reads nothing
        cfg, docs = self.config, self.stores.documents
        weights = cfg.fusion_weights(language)
        calls = (
            lambda: docs.search_chunks(question, cfg.lexical_chunks) if weights[1] else [],
            lambda: docs.search_sentences(question, cfg.lexical_sentences),
        )
        if self._pool is None:
            hits = calls[0](), calls[1]()
            rows = docs.sentences_by_key([(d, o) for d, o, _ in hits[1]])
            return KeywordSearch(lambda: hits, self.stores.reader, rows=rows)
        reader = self._pool.submit(self.stores.reader)
        futures = [self._pool.submit(call) for call in calls]

        def results() -> KeywordHits:
            wait(futures)  # both end before either's error is raised
            return futures[0].result(), futures[1].result()

        return KeywordSearch(results, reader.result, futures)

    def keyword_sentences(self, question: str) -> list[str]:
        """The text of the sentences (not headings) the BM25 search finds for ``question``:
        how the articles write its words."""
        self.stores.refresh()
        docs = self.stores.documents
        hits = docs.search_sentences(question, self.config.lexical_sentences)
        rows = docs.sentences_by_key([(h.doc_id, h.ord) for h in hits])
        return [row.text for row in rows.values() if row.kind != "heading"]

    def retrieve(
        self,
        question: str,
        vector: np.ndarray,
        top_k: int,
        language: str | None = None,
        keywords: KeywordSearch | None = None,
    ) -> Retrieval:
        """Chunks and candidate sentences for ``question``; its ``language`` picks the fusion
        weights (BM25 over German stems cannot match an English question's words).
        ``keywords``: this question's ``search_keywords``, started before its vector was
        ready (None: searched now)."""
        cfg = self.config
        weights = cfg.fusion_weights(language)
        keywords = keywords or self.search_keywords(question, language)
        # An in-memory copy (server stores over a small index) answers every read below in
        # this process, in embedded mode's order; else the stores, at once where they may.
        local = keywords.reads()
        docs: DocumentStore | QuestionReads = local or self.stores.documents
        vectors: VectorStore | QuestionReads = local or self.stores.vectors
        together = self.together if local is None else _in_order
        dense_chunks, dense_sentences, (lexical_chunks, lexical_sentences) = together(
            lambda: vectors.query("chunks", vector, cfg.dense_chunks),
            lambda: vectors.query("sentences", vector, cfg.dense_sentences),
            keywords,
        )
        lexical_score = {(d, o): s for d, o, s in lexical_sentences}
        # The rows of every hit not read with the keyword searches, fetched with the
        # versions: a stale hit's row is simply unused.
        hits = [(h.doc_id, h.ord) for h in dense_sentences]
        unread = [k for k in dict.fromkeys([*hits, *lexical_score]) if k not in keywords.rows]
        versions, hit_rows = together(
            lambda: docs.versions(list({h.doc_id for h in dense_chunks + dense_sentences})),
            lambda: docs.sentences_by_key(unread),
        )
        if keywords.rows:
            hit_rows = {**keywords.rows, **hit_rows}
        dense_chunks = _current(dense_chunks, versions)
        dense_sentences = _current(dense_sentences, versions)
        dense_sim = {(h.doc_id, h.ord): h.similarity for h in dense_sentences}

        chunk_of = {key: (row.doc_id, row.chunk_ord) for key, row in hit_rows.items()}
        fused = fuse_rankings(
            [
                [(h.doc_id, h.ord) for h in dense_chunks],
                [(d, o) for d, o, _ in lexical_chunks],
                _dedupe(chunk_of[k] for k in dense_sim if k in chunk_of),
                _dedupe(chunk_of[k] for k in lexical_score if k in chunk_of),
            ],
            weights,
        )
        ranked = sorted(fused, key=fused.__getitem__, reverse=True)
        wanted = ranked[: max(top_k, cfg.candidate_chunks)]
        best = wanted[: cfg.candidate_chunks]
        hit_keys = [
            k
            for k in list(dense_sim)[: cfg.hit_sentences] + list(lexical_score)[: cfg.hit_sentences]
            if k in hit_rows
        ]
        if self._pool is None or local is not None:
            chunk_rows = docs.chunks_by_key(wanted)
            sentences_of_best = docs.sentences_of_chunks(best)
            rows = _candidate_rows(sentences_of_best, hit_keys, hit_rows)
            stored = docs.sentence_vectors(_missing(rows, dense_sim))
            chunks = [ScoredChunk(chunk_rows[k], fused[k]) for k in wanted if k in chunk_rows]
            doc_ids = [c.row.doc_id for c in chunks[:top_k]] + [d for d, _ in rows]
            articles = docs.articles(list(dict.fromkeys(doc_ids)))
        else:
            # One step where two followed each other: every vector the candidates may need
            # (most are in ``dense_sim`` already) and the articles of every chunk asked for.
            server = self.stores.documents
            chunk_rows, (sentences_of_best, stored), articles = self.together(
                lambda: server.chunks_by_key(wanted),
                lambda: server.sentences_with_vectors(best, hit_keys),
                lambda: server.articles(list(dict.fromkeys([d for d, _ in wanted + hit_keys]))),
            )
            rows = _candidate_rows(sentences_of_best, hit_keys, hit_rows)
            chunks = [ScoredChunk(chunk_rows[k], fused[k]) for k in wanted if k in chunk_rows]
        for key in _missing(rows, dense_sim):
            if key in stored:
                dense_sim[key] = float(stored[key] @ vector)
        rank_of = {key: i for i, key in enumerate(ranked)}
        candidates = [
            CandidateSentence(
                row=row,
                dense=dense_sim.get(key, 0.0),
                lexical=lexical_score.get(key, 0.0),
                chunk_score=fused.get((row.doc_id, row.chunk_ord), 0.0),
                chunk_rank=rank_of.get(
                    (row.doc_id, row.chunk_ord), len(ranked) + tuning.UNRANKED_CHUNK_OFFSET
                ),
                previous_dense=dense_sim.get((row.doc_id, row.ord - 1)),
            )
            for key, row in rows.items()
        ]
        return Retrieval(chunks[:top_k], candidates, articles)


def _in_order(*calls: Callable[[], Any]) -> list[Any]:
    return [call() for call in calls]


def _candidate_rows(
    sentences_of_best: list[SentenceSpan], hit_keys: list[Key], hit_rows: dict[Key, SentenceSpan]
) -> dict[Key, SentenceSpan]:
    """The candidates: the sentences of the best chunks, then the best hits elsewhere."""
    rows = {(r.doc_id, r.ord): r for r in sentences_of_best}
    for key in hit_keys:
        rows.setdefault(key, hit_rows[key])
    return rows


def _missing(rows: dict[Key, SentenceSpan], dense_sim: dict[Key, float]) -> list[Key]:
    """Candidates and the sentence before each (it often names what a candidate only refers
    to: "Er", "Dies") whose cosine the dense search did not return."""
    previous = [(d, o - 1) for d, o in rows if o > 0]
    return [k for k in dict.fromkeys([*rows, *previous]) if k not in dense_sim]


def _current(hits: list[VectorHit], versions: dict[str, str]) -> list[VectorHit]:
    """Drop hits from versions SQLite no longer holds (an ingest in flight or a crash)."""
    return [h for h in hits if versions.get(h.doc_id) == h.version]


def _dedupe(keys):  # type: ignore[no-untyped-def]
    return list(dict.fromkeys(keys))
