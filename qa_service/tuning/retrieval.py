"""Retrieval: how many hits each search returns and how the rankings are fused.

Set when the hybrid retriever was first written (commit bf1521c) and never swept; the
answer-quality benchmark (``python -m benchmarks.quality``) measures them together:
a sentence holding the gold answer is among the candidates for 99.0% of XQuAD-de questions,
so retrieval is not what limits answer quality (benchmarks/README.md, "What limits the top
citation").
"""

CONCURRENT_LOOKUPS = 4
"""Server mode: lookups of one question in flight at once. While the question is embedded
three start: the two BM25 searches and the in-memory copy's freshness check; without the copy
(above its bound) the retriever's first step adds two Chroma queries (one on the asking
thread, one pool thread waiting for the searches). Each waits on a round trip, not on CPU;
python -m benchmarks.scaleout, latency table."""
MATCH_QUERY_CACHE = 1024
"""Questions whose FTS5 MATCH expression is kept (lexical.match_query): a question's chunk and
sentence BM25 searches build the same one, so the second is a lookup; a follow-up asked again
finds it too. Not swept: any size above one question removes the repeat (tokenisations per
question 2 -> 1, latency8)."""
QUESTION_MATCHES_CACHE = 8
"""Questions whose matches against their candidate sentences are kept
(lexical._weighted_matches): the score, the lead's gain and the near-miss test of one
question read the same ones, one right after another, so a few questions (answer threads
at once) suffice. Not swept: any size above the concurrent questions removes the repeats
(benchmarks/README.md, "Latency", latency13)."""
DENSE_CHUNKS = 20
"""Chunks the dense (Chroma) search returns. Not measured: enough to fill ``CANDIDATE_CHUNKS``
after fusion with room to spare."""
DENSE_SENTENCES = 30
"""Sentences the dense search returns. Not measured (candidate recall 0.990 with it)."""
LEXICAL_CHUNKS = 20
"""Chunks the BM25 (FTS5) search returns. Not measured."""
KEYWORD_FIRST_ROUND_ROWS = 2000
"""Server mode's reference BM25 over the spans' terms (``keyword.search_spans``, which tests
and benchmarks compare the service's postings query with): the first round scores the spans
holding the rarest question terms, as many terms as hold at most this many spans (at least
one), to learn the k-th score that lets the commoner terms' spans be skipped. Not swept: python -m
benchmarks.scaleout --only keyword measures the query with it (benchmarks/README.md, "Cost
growth"); other values were not tried. It changes the cost only, never the hits."""
POSTGRES_SESSION = {"jit": "off"}
"""Server mode: settings of every PostgreSQL session of the service, sent when it connects.
JIT off: PostgreSQL 15 JIT-compiles any plan whose estimated cost passes ``jit_above_cost``
(100,000), and a BM25 round is one long arithmetic expression per row. At 100k chunks no
round reached it (estimates 3,200-55,000, median 7,800), but the estimates grow with the
rows scored, so at 1M chunks many would (estimated, not measured there). Forced onto the
100k rounds (``jit_above_cost = 0``), JIT made the two searches 278 ms against 140 ms
without it (p50, 40 XQuAD-de questions interleaved; python -m benchmarks.scaleout's 100k
corpus, benchmarks/README.md "Scale-out", runs 34-37). Nothing else the service runs is
long enough to gain from compiling."""
LEXICAL_SENTENCES = 50
"""Sentences the BM25 search returns: more than the dense ones, as BM25 scores many short
sentences alike. Not measured."""
CANDIDATE_CHUNKS = 5
"""Every sentence of this many best fused chunks becomes an answer candidate (or ``top_k``
passages if more are asked for). Not measured (candidate recall 0.990 with it)."""
HIT_SENTENCES_PER_SEARCH = 10
"""The best sentence hits of each search (dense, BM25) are candidates even outside the best
chunks: the ``[:10]`` of the retriever. Not measured."""
FUSION_WEIGHTS = (1.0, 1.0, 1.0, 0.7)
"""Weighted reciprocal rank fusion of four chunk rankings: dense chunks, BM25 chunks, chunks
of dense sentence hits, chunks of BM25 sentence hits. The last counts 0.7 because BM25 over
single sentences ranks many short sentences that share one common word alike, the noisiest
of the four. Not measured (set with the first retriever, commit bf1521c)."""
FUSION_WEIGHTS_BY_LANGUAGE = {"en": (1.0, 0.0, 1.0, 0.0)}
"""Questions in these languages fuse with other weights. English: dense rankings only, as BM25
over German stems matches an English question's words only by chance. XQuAD's English
questions over the German articles: answer in passages 0.946 -> 0.962, in citations 0.887 ->
0.894, top citation unchanged (0.3 / 0.2 for the BM25 lists: 0.961, 0.887; benchmarks/README.md,
"Round two")."""
RRF_K = 60
"""Reciprocal rank fusion's k (Cormack et al. 2009's value, the common default): rank 1 scores
1/61, rank 10 scores 1/70, so no single ranking dominates. Not measured here."""
UNRANKED_CHUNK_OFFSET = 10
"""A candidate whose chunk was not ranked gets chunk rank ``len(ranked) + 10``: clearly behind
every ranked chunk. Only the chunk-rank feature reads it, whose weight is 0 (see
``calibration.ScoreWeights.chunk``), so its value changes no answer."""

COMPOUND_MATCH = 0.8
"""Credit for a match through a German compound ("Bauern" in "Sojabauern") instead of a stem:
less than a stem match, as a part can mislead ("Ort" in "Sport"). Not swept (set with the
term-coverage feature, commit ea093b7, measured as part of the XQuAD-de scorer)."""
MIN_COMPOUND_PART = 4
"""Shorter stems ("eis", "ort") would match inside far too many words. Not swept."""
LONGEST_WORD_CHARS = 64
"""The longest word that gets a single-word vector (``answer/translation.py``) or a Snowball
stem (``retrieval/lexical.stem``); a longer one is matched by spelling only. German's
longest dictionary compounds have 40-63 letters
("Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz": 63); anything longer is
a run of characters without spaces (a URL, a hash, an encoded blob), and its cost grows with
its length: HUNT13 B, a 1.1M-character "word" held the warm-up for 1,137 s, a 10,000-character
one 14.6 s; stemming a 200,000-character one took 0.4 s."""
