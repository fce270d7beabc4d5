"""PostgreSQL keyword search ranks exactly like SQLite FTS5's bm25(), reads its postings'
index only, and its postings stay the spans' own through writes, deletes and the migration.

Both stores get the same XQuAD-de articles (segmented once; zero vectors, unused here), then
every XQuAD-de question is searched in both: same hits, same order, same scores.
"""

import hashlib
import math
import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qa_service.evaluation.squad import EvalSet, load_squad
from qa_service.ingest.segmentation import segment_article
from qa_service.retrieval.lexical import index_terms, index_text, query_terms
from qa_service.stores import DocumentRecord
from qa_service.stores.postgres import keyword, migrations
from qa_service.stores.postgres.documents import PostgresDatabase, PostgresDocumentStore
from qa_service.stores.sqlite.documents import SQLiteDocumentStore
from tests.helpers.engines import PostgresServer

pytestmark = pytest.mark.slow

XQUAD = Path(__file__).parents[1] / "evaluation" / "data" / "xquad-de-dev.json"


@pytest.fixture(scope="module")
def xquad() -> EvalSet:
    return load_squad(XQUAD)


def _fill(store, articles) -> None:  # type: ignore[no-untyped-def]
    for article in articles:
        text = article.text
        segmentation = segment_article(text)
        digest = hashlib.sha256(text.encode()).hexdigest()
        record = DocumentRecord(
            article.id,
            digest[:16],
            digest,
            article.title,
            None,
            None,
            {},
            len(segmentation.chunks),
            len(segmentation.sentences),
            0.0,
            0.0,
        )
        vectors = np.zeros((len(segmentation.sentences), 4), dtype=np.float32)
        store.replace(record, text, segmentation.sentences, segmentation.chunks, vectors)


@pytest.fixture(scope="module")
def stores(xquad: EvalSet, postgres_server: PostgresServer, tmp_path_factory):  # type: ignore[no-untyped-def]
    sqlite_store = SQLiteDocumentStore(tmp_path_factory.mktemp("fts"))
    pg_store = PostgresDocumentStore(PostgresDatabase(postgres_server.create_database()))
    _fill(sqlite_store, xquad.articles)
    _fill(pg_store, xquad.articles)
    # Replace one article and delete another: the statistics must follow writes both ways.
    _fill(sqlite_store, xquad.articles[:1])
    _fill(pg_store, xquad.articles[:1])
    sqlite_store.delete(xquad.articles[1].id)
    pg_store.delete(xquad.articles[1].id)
    yield sqlite_store, pg_store
    sqlite_store.close()
    pg_store.close()


def test_terms_are_the_ones_fts5_indexes(xquad: EvalSet) -> None:
    """Our FTS5 reading of the tokens gives FTS5's own vocabulary, term for term."""
    texts = [a.text for a in xquad.articles] + [q.question for q in xquad.questions]
    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE f USING fts5(tokens)")
    con.execute("CREATE VIRTUAL TABLE v USING fts5vocab(f, 'row')")
    ours: dict[str, int] = {}
    for text in texts:
        con.execute("INSERT INTO f (tokens) VALUES (?)", (index_text(text),))
        for term in set(index_terms(text)):
            ours[term] = ours.get(term, 0) + 1
    assert dict(con.execute("SELECT term, doc FROM v")) == ours
    assert len(ours) > 4000


def test_same_hits_order_and_scores_as_fts5(stores, xquad: EvalSet) -> None:  # type: ignore[no-untyped-def]
    sqlite_store, pg_store = stores
    assert pg_store.counts() == sqlite_store.counts()
    compared = 0
    for question in xquad.questions:
        for search, limit in (("search_chunks", 20), ("search_sentences", 50)):
            want = getattr(sqlite_store, search)(question.question, limit)
            got = getattr(pg_store, search)(question.question, limit)
            assert len(got) == len(want), question.question
            for (wd, wo, ws), (gd, go, gs) in zip(want, got, strict=True):
                assert math.isclose(gs, ws, rel_tol=1e-9), (question.question, want, got)
                # Equal scores may come in either order; different ones may not.
                if (wd, wo) != (gd, go):
                    assert any(
                        (d, o) == (gd, go) and math.isclose(s, gs, rel_tol=1e-9) for d, o, s in want
                    ), (question.question, want, got)
            compared += len(want)
    assert compared > 10_000


def test_pruning_hard_returns_the_same_hits(stores, xquad: EvalSet) -> None:  # type: ignore[no-untyped-def]
    """These few spans fit the default first round whole; a first round of one term makes
    every question prune on real text: the hits stay the same, scores bit for bit, and the
    service's query over the postings returns them too."""
    _, pg_store = stores
    rounds = 0
    for question in xquad.questions:
        terms = query_terms(question.question)
        for kind, limit in (("chunks", 20), ("sentences", 50)):
            want = keyword.search_spans(pg_store.db, kind, terms, limit, prune=False)
            got = keyword.search_spans(pg_store.db, kind, terms, limit, first_round_rows=1)
            assert got.hits == want.hits, question.question
            assert keyword.search(pg_store.db, kind, terms, limit).hits == want.hits
            rounds += len(got.rounds)
    assert rounds > 2 * len(xquad.questions)  # two searches each: more than one round per search


def _bounds(pg_store: PostgresDocumentStore) -> tuple[dict, dict]:
    """term_rows' (kind, term) -> (max_tf, min_dl), and the same counted from the spans."""
    kept = {
        (r[0], r[1]): (r[2], r[3])
        for r in pg_store.db.query("SELECT kind, term, max_tf, min_dl FROM term_rows WHERE n > 0")
    }
    exact = {}
    for kind in ("chunks", "sentences"):
        spans = (r[0] for r in pg_store.db.query(f"SELECT terms FROM {kind}"))
        for term, (_, max_tf, min_dl) in keyword.term_bounds(spans).items():
            exact[kind, term] = (max_tf, min_dl)
    return kept, exact


def test_term_bounds_bound_every_span(stores) -> None:  # type: ignore[no-untyped-def]
    """The pruned search skips spans by each term's most times in one span and shortest
    span: the writes (a replacement and a delete included) keep them bounds, and the
    migration that adds them computes them exactly from the spans already stored."""
    _, pg_store = stores
    kept, exact = _bounds(pg_store)
    assert kept.keys() == exact.keys() and len(exact) > 4000
    loose = [k for k in exact if not (kept[k][0] >= exact[k][0] and kept[k][1] <= exact[k][1])]
    assert loose == []
    with pg_store.db.connection() as conn:
        conn.execute("ALTER TABLE term_rows DROP COLUMN max_tf, DROP COLUMN min_dl")
        conn.execute("DELETE FROM schema_migrations WHERE version = 5")
        assert migrations.migrate(conn) == ["m005_term_bounds"]
    kept, exact = _bounds(pg_store)
    assert kept == exact


_POSTINGS_DIFFER = """
SELECT count(*) FROM (
    (SELECT term, span_id, tf, dl FROM {kind}_postings
     EXCEPT ALL SELECT u.term, s.id, count(*), min(s.n_terms)
         FROM {kind} AS s, unnest(s.terms) AS u(term) GROUP BY s.id, u.term)
    UNION ALL
    (SELECT u.term, s.id, count(*), min(s.n_terms)
         FROM {kind} AS s, unnest(s.terms) AS u(term) GROUP BY s.id, u.term
     EXCEPT ALL SELECT term, span_id, tf, dl FROM {kind}_postings)
) AS d
"""


def _postings_differ(pg_store: PostgresDocumentStore) -> dict[str, int]:
    """Per kind, postings that are not the spans' terms counted afresh, and the reverse."""
    return {
        kind: pg_store.db.query(_POSTINGS_DIFFER.format(kind=kind))[0][0]
        for kind in ("chunks", "sentences")
    }


def test_postings_follow_writes_deletes_and_the_migration(stores, xquad: EvalSet) -> None:  # type: ignore[no-untyped-def]
    """A new version of an article (other text), a delete and a re-post leave the postings
    equal to the spans' terms counted afresh, and the search equal to the reference; a
    database from before the postings gets them from its spans at start-up (migration 8)."""
    _, pg_store = stores
    first, second = xquad.articles[0], xquad.articles[2]  # [1]: deleted by the fixture
    _fill(pg_store, [replace(first, text=first.text + " Khan regierte lange.")])
    assert pg_store.delete(second.id)
    assert _postings_differ(pg_store) == {"chunks": 0, "sentences": 0}
    for question in xquad.questions[:60]:
        terms = query_terms(question.question)
        want = keyword.search_spans(pg_store.db, "chunks", terms, 20, prune=False).hits
        assert keyword.search(pg_store.db, "chunks", terms, 20).hits == want
        assert all(hit.doc_id != second.id for hit in want)
    _fill(pg_store, [first, second])  # as the module's other tests found them
    with pg_store.db.connection() as conn:
        conn.execute("DROP TABLE chunks_postings, sentences_postings")
        conn.execute("DELETE FROM schema_migrations WHERE version = 8")
        assert migrations.migrate(conn) == ["m008_postings"]
    counted = pg_store.db.query("SELECT count(*) FROM chunks_postings")[0][0]
    assert counted > 1000 and _postings_differ(pg_store) == {"chunks": 0, "sentences": 0}


def test_keyword_query_reads_the_postings_index_only(stores) -> None:  # type: ignore[no-untyped-def]
    """At a newsroom's size the service's query reads the postings through their primary key
    (at 100k chunks an index-only scan per question term: benchmarks/README.md), and the
    reference query (search_spans) the GIN index, not a scan. The XQuAD rows are too few for
    that (a scan is cheaper there), so 60,000 synthetic spans of made-up terms join them
    first, written straight in SQL in a second."""
    _, pg_store = stores
    with pg_store.db.transaction() as cur:
        cur.execute(
            "INSERT INTO documents (id, version, content_hash, text, n_chunks, n_sentences, "
            "created_at, updated_at) VALUES ('synthetic', 'v', 'h', '', 0, 0, 0, 0)"
        )
        for kind, extra in (
            ("sentences", ", chunk_ord, kind, text"),
            ("chunks", ", first_sentence, last_sentence"),
        ):
            values = ", i, 's', ''" if kind == "sentences" else ", i, i"
            cur.execute(
                f'INSERT INTO {kind} (doc_id, ord, start, "end", terms, n_terms{extra}) '
                f"SELECT 'synthetic', i, 0, 0, ARRAY['w' || (i % 5000), 'x' || (i % 777)], 2"
                f"{values} FROM generate_series(1, 60000) AS i"
            )
            cur.execute(keyword.POSTINGS_OF_DOCUMENT.format(kind=kind), {"doc_id": "synthetic"})
    with pg_store.db.connection() as conn:
        conn.execute("VACUUM (ANALYZE)")
    for kind in ("sentences", "chunks"):
        plan = pg_store.explain_search(kind, "Wer war Dschingis Khan?")
        # one range of the postings' key per term: an index-only scan, or for so few
        # postings a bitmap of the same index
        assert f"Scan using {kind}_postings_pkey" in plan or (
            f"Bitmap Index Scan on {kind}_postings_pkey" in plan
        ), plan
        assert "Seq Scan" not in plan, plan
        plan = pg_store.explain_search_spans(kind, "Wer war Dschingis Khan?")
        assert f"Bitmap Index Scan on {kind}_terms" in plan, plan
