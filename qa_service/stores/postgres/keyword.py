"""BM25 keyword search in PostgreSQL, exact top-k.

The score is FTS5's ``bm25()`` (k1 = 1.2, b = 0.75, its IDF floor of 1e-6), computed in SQL
with the statistics the writes keep (``counters``, ``term_rows``).

The service's query (``search``) reads an inverted index: ``chunks_postings`` and
``sentences_postings`` hold one row per (term, span) with the term's count in the span and
the span's length, written and deleted in the same transaction as the spans (migration 8).
Their primary key (term, span_id) INCLUDE (tf, dl) answers the query by index-only scans:
per question term one range of the index, each posting turned into its part of the score,
summed per span. No span row is read until the top k are known; reading each candidate
span's row and counting the terms in its array (``search_spans``) cost 10-15 us a row, two
to three times the whole postings query at 100k chunks (benchmarks/README.md, "Scale-out").

``search_spans`` is the earlier query, kept as the reference the tests compare the postings
with (it reads the spans' ``terms`` arrays, another copy of the same data) and for the
benchmark's comparison. It scores spans through the GIN index on ``terms`` with MaxScore
pruning (Turtle and Flood 1995), which skips most spans and still returns exactly the top k:

* A term adds at most ``idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))`` with
  ``tf`` the most times one span holds it and ``dl`` the shortest span holding it (both kept
  in ``term_rows`` by the writes) to a span's score: its bound. The terms are taken in order
  of their bounds, the rarest (largest) first.
* Round one scores, through the GIN index, the spans holding the first terms (as many as
  hold at most ``tuning.retrieval.KEYWORD_FIRST_ROUND_ROWS`` spans, at least one term);
  every span scored gets its full score over all question terms.
* The k-th best score so far, theta, is a lower bound of the final k-th score. A span that
  holds none of the terms scored so far can only score the sum of the other terms' bounds;
  every term whose bound, added to the bounds of all terms after it, still reaches theta
  must be scored too (a tie could win on its row id, so "reaches" includes equality). One
  more round scores the spans holding those terms and none scored before. The spans left
  out cannot reach the top k: the ranking (scores, order, ties by row id) is the one scoring
  every span gives.

Both compute scores from one set of statistics read first, and add a span's terms in the
question's term order, so their scores are the same floats, bit for bit.
"""

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qa_service.stores.base import LexicalHit
from qa_service.tuning.retrieval import KEYWORD_FIRST_ROUND_ROWS

if TYPE_CHECKING:
    from qa_service.stores.postgres.documents import PostgresDatabase

BM25_K1 = 1.2  # FTS5's bm25() default: the same constants rank the same
BM25_B = 0.75
_BOUND_SLACK = 1e-9  # a row's float sum may exceed its terms' summed bounds by a few ulps

# Scores the spans holding any of %(scan)s and none of %(seen)s; {table} names the spans,
# {tfs} are ``_round_sql``'s term counts of each span and {score} its sum over them.
_ROUND_SQL = """
SELECT hit.id, hit.doc_id, hit.ord, {score} AS value
FROM {table} AS hit
CROSS JOIN LATERAL (SELECT {tfs} OFFSET 0) AS f
WHERE hit.terms && %(scan)s::text[] AND NOT hit.terms && %(seen)s::text[]
ORDER BY value DESC, hit.id
LIMIT %(limit)s
"""
# How often the span holds the i-th term of %(terms)s (1-based). OFFSET 0 keeps the planner
# from pasting it into each of its two uses below: counting is the cost of a scored row.
_TF_SQL = "cardinality(array_positions(hit.terms, (%(terms)s::text[])[{i}]))::float8 AS tf{i}"
# The i-th term's part of the span's score: 0.0 exactly when the span lacks it (tf = 0), and
# adding 0.0 changes no float.
_TERM_SQL = (
    "(%(idf)s::float8[])[{i}] * f.tf{i} * %(k1p1)s"
    " / (f.tf{i} + %(k1)s * (1 - %(b)s + %(b)s * hit.n_terms / %(avgdl)s))"
)


def _round_sql(table: str, n_terms: int) -> str:
    """A span's BM25 as one expression, the terms added left to right in question order:
    the same floats in the same order as ``sum(...)`` over its held terms, bit for bit.
    (An ordered aggregate over the unnested terms, as before, set up a sort for every scored
    row; an aggregate without ORDER BY may add them in any order, and two plans then differ
    in the last bit of some scores, which reorders ties: tests/stores/test_keyword_pruning.py.)"""
    ords = range(1, n_terms + 1)
    return _ROUND_SQL.format(
        table=table,
        tfs=", ".join(_TF_SQL.format(i=i) for i in ords),
        score=" + ".join(["0::float8", *(_TERM_SQL.format(i=i) for i in ords)]),
    )


@dataclass(frozen=True)
class TermStats:
    """What the ranking knows of one question term: its IDF, the spans holding it, and the
    most it can add to one span's score."""

    term: str
    idf: float
    rows: int
    bound: float


@dataclass(frozen=True)
class KeywordResult:
    """The top hits and, for benchmarks and tests, the terms each round scanned."""

    hits: list[LexicalHit]
    rounds: list[list[str]]


def add_term_bounds(bounds: dict[str, list[int]], terms: Sequence[str]) -> None:
    """Count one span into ``bounds``: per term, [spans holding it, most times in one span,
    shortest span holding it] (``term_rows``' n, max_tf, min_dl)."""
    for term, tf in Counter(terms).items():
        held = bounds.get(term)
        if held is None:
            bounds[term] = [1, tf, len(terms)]
        else:
            held[0] += 1
            held[1] = max(held[1], tf)
            held[2] = min(held[2], len(terms))


def term_bounds(spans: Iterable[Sequence[str]]) -> dict[str, list[int]]:
    """``add_term_bounds`` over these spans' terms."""
    bounds: dict[str, list[int]] = {}
    for terms in spans:
        add_term_bounds(bounds, terms)
    return bounds


def term_stats(
    db: "PostgresDatabase", kind: str, terms: Sequence[str]
) -> tuple[list[TermStats], float]:
    """Every question term's statistics (in question order) and the spans' average length."""
    rows = db.query(
        "SELECT c.n, c.terms, t.term, t.n, t.max_tf, t.min_dl FROM counters AS c "
        "LEFT JOIN term_rows AS t ON t.kind = c.name AND t.term = ANY(%s::text[]) "
        "WHERE c.name = %s",
        (list(terms), kind),
    )
    n, total = (rows[0][0], rows[0][1]) if rows else (0, 0)
    avgdl = float(total) / max(n, 1)  # as SQL's terms::float8 / GREATEST(n, 1)
    held = {r[2]: (int(r[3]), r[4], r[5]) for r in rows if r[2] is not None}
    stats = []
    for term in terms:
        df, max_tf, min_dl = held.get(term, (0, None, None))
        idf = math.log((n - df + 0.5) / (df + 0.5)) if n else 0.0
        idf = 1e-6 if idf <= 0 else idf  # FTS5's floor
        stats.append(TermStats(term, idf, df, idf * _saturation(max_tf, min_dl, avgdl)))
    return stats, avgdl


def _saturation(max_tf: int | None, min_dl: int | None, avgdl: float) -> float:
    """The most ``tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))`` reaches for a term
    held at most ``max_tf`` times by spans at least ``min_dl`` long: it grows with tf and
    shrinks with dl. Unknown bounds (None): tf unbounded, dl at least tf."""
    if avgdl <= 0:
        return BM25_K1 + 1
    if max_tf is None or min_dl is None:
        return (BM25_K1 + 1) / (1 + BM25_K1 * BM25_B / avgdl)
    tf = float(max_tf)
    return tf * (BM25_K1 + 1) / (tf + BM25_K1 * (1 - BM25_B + BM25_B * min_dl / avgdl))


def _score_params(stats: list[TermStats], avgdl: float, limit: int) -> dict[str, Any]:
    """Every term of the question scores (in question order), with one snapshot's IDF."""
    return {
        "terms": [s.term for s in stats],
        "idf": [s.idf for s in stats],
        "k1": BM25_K1,
        "k1p1": BM25_K1 + 1,
        "b": BM25_B,
        "avgdl": avgdl,
        "limit": limit,
    }


# The top %(limit)s spans of {kind} by BM25 from the postings of %(terms)s alone. The inner
# query turns each posting into its term's part of the span's score (the expression of
# _TERM_SQL, the same floats); OFFSET 0 keeps it from being pasted into each aggregate below.
# Each span holds a term at most once, so max(...) FILTER picks that term's part, and the
# parts are added left to right in question order, 0.0 for a term the span lacks: the floats
# and their order of ``search_spans``, bit for bit, whatever order the plan reads postings in.
_POSTINGS_SQL = """
SELECT hit.id, hit.doc_id, hit.ord, top.value FROM (
    SELECT c.span_id, {score} AS value FROM (
        SELECT p.span_id, q.i, q.idf * p.tf::float8 * %(k1p1)s
            / (p.tf::float8 + %(k1)s * (1 - %(b)s + %(b)s * p.dl / %(avgdl)s)) AS part
        FROM unnest(%(terms)s::text[], %(idf)s::float8[]) WITH ORDINALITY AS q(term, idf, i)
        JOIN {kind}_postings AS p ON p.term = q.term
        OFFSET 0
    ) AS c
    GROUP BY c.span_id
    ORDER BY value DESC, c.span_id
    LIMIT %(limit)s
) AS top JOIN {kind} AS hit ON hit.id = top.span_id
ORDER BY top.value DESC, hit.id
"""
_PART_SQL = "COALESCE(max(c.part) FILTER (WHERE c.i = {i}), 0::float8)"

# The postings of the spans of %(doc_id)s, counted from their ``terms`` (a span's length is
# its ``n_terms``): written after the spans, in their transaction.
POSTINGS_OF_DOCUMENT = (
    "INSERT INTO {kind}_postings (term, span_id, tf, dl) "
    "SELECT u.term, s.id, count(*), min(s.n_terms) FROM {kind} AS s, unnest(s.terms) AS u(term) "
    "WHERE s.doc_id = %(doc_id)s GROUP BY s.id, u.term"
)
# ... and removed before the spans, through the primary key (one probe per posting).
DELETE_POSTINGS_OF_DOCUMENT = (
    "DELETE FROM {kind}_postings AS p USING {kind} AS s, unnest(s.terms) AS u(term) "
    "WHERE s.doc_id = %(doc_id)s AND p.term = u.term AND p.span_id = s.id"
)


def _postings_sql(kind: str, n_terms: int) -> str:
    parts = (_PART_SQL.format(i=i) for i in range(1, n_terms + 1))
    return _POSTINGS_SQL.format(kind=kind, score=" + ".join(["0::float8", *parts]))


def search(db: "PostgresDatabase", kind: str, terms: Sequence[str], limit: int) -> KeywordResult:
    """The top ``limit`` spans of ``kind`` by BM25, best first (ties: lower row id first),
    from the postings (one statement after the statistics); ``rounds``: the one round of the
    terms any span holds."""
    if not terms or limit <= 0:
        return KeywordResult([], [])
    stats, avgdl = term_stats(db, kind, terms)
    held = [s.term for s in stats if s.rows > 0]
    if not held:
        return KeywordResult([], [])
    rows = db.query(_postings_sql(kind, len(stats)), _score_params(stats, avgdl, limit))
    return KeywordResult([LexicalHit(r[1], r[2], float(r[3])) for r in rows], [held])


def explain(
    db: "PostgresDatabase",
    kind: str,
    terms: Sequence[str],
    limit: int = 20,
    *,
    analyze: bool = False,
) -> str:
    """The plan of ``search``'s statement (tests and the benchmark check it reads the
    postings' index only); ``analyze``: run it, with its heap fetches and buffers."""
    stats, avgdl = term_stats(db, kind, terms)
    how = "EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN "
    rows = db.query(how + _postings_sql(kind, len(stats)), _score_params(stats, avgdl, limit))
    return "\n".join(r[0] for r in rows)


def search_spans(
    db: "PostgresDatabase",
    kind: str,
    terms: Sequence[str],
    limit: int,
    *,
    prune: bool = True,
    first_round_rows: int = KEYWORD_FIRST_ROUND_ROWS,
) -> KeywordResult:
    """``search``'s top ``limit`` spans from the spans' own ``terms`` (the reference; see
    the module's docstring). ``prune=False`` scores every span holding any term."""
    if not terms or limit <= 0:
        return KeywordResult([], [])
    stats, avgdl = term_stats(db, kind, terms)
    order = sorted((s for s in stats if s.rows > 0), key=lambda s: -s.bound)
    if not order:
        return KeywordResult([], [])
    # after[i]: the most a span holding none of order[:i] can score
    after = [sum(s.bound for s in order[i:]) for i in range(len(order) + 1)]
    params = _score_params(stats, avgdl, limit)
    best: list[tuple[float, int, str, int]] = []  # (-score, row id, doc_id, ord)
    rounds: list[list[str]] = []
    scanned = 0
    while scanned < len(order):
        upto = _round_end(order, after, scanned, best, limit, first_round_rows if prune else None)
        if upto == scanned:
            break
        scan = [s.term for s in order[scanned:upto]]
        seen = [s.term for s in order[:scanned]]
        rows = db.query(_round_sql(kind, len(stats)), {**params, "scan": scan, "seen": seen})
        best = sorted(best + [(-float(r[3]), r[0], r[1], r[2]) for r in rows])[:limit]
        rounds.append(scan)
        scanned = upto
    return KeywordResult([LexicalHit(d, o, -s) for s, _, d, o in best], rounds)


def _round_end(
    order: list[TermStats],
    after: list[float],
    scanned: int,
    best: list[tuple[float, int, str, int]],
    limit: int,
    first_round_rows: int | None,
) -> int:
    """Where the next round's terms end in ``order`` (``scanned``: none left to score);
    ``first_round_rows`` None: no pruning, every term at once."""
    if first_round_rows is None:
        return len(order)
    if len(best) >= limit:  # theta known: score every term a skipped span could need
        theta = -best[limit - 1][0]
        upto = scanned
        while upto < len(order) and after[upto] * (1 + _BOUND_SLACK) >= theta:
            upto += 1
        return upto
    upto, rows = scanned, 0  # no theta yet: the rarest terms, up to the first round's rows
    while upto < len(order) and (upto == scanned or rows + order[upto].rows <= first_round_rows):
        rows += order[upto].rows
        upto += 1
    return upto


def explain_spans(
    db: "PostgresDatabase", kind: str, terms: Sequence[str], limit: int = 20, *, prune: bool = True
) -> str:
    """The plan of ``search_spans``' first round (the one the rarest terms drive); the
    benchmark checks it reads the GIN index. ``prune=False``: the plan of scoring every span
    that holds any term."""
    stats, avgdl = term_stats(db, kind, terms)
    order = sorted((s for s in stats if s.rows > 0), key=lambda s: -s.bound)
    first = KEYWORD_FIRST_ROUND_ROWS if prune else None
    scan = [s.term for s in order[: _round_end(order, [], 0, [], limit, first)]]
    rows = db.query(
        "EXPLAIN " + _round_sql(kind, len(stats)),
        {**_score_params(stats, avgdl, limit), "scan": scan, "seen": []},
    )
    return "\n".join(r[0] for r in rows)
