"""Ingest: how long a chunk may get and where it breaks; how articles are read."""

CHUNK_MAX_CHARS = 700
"""Upper bound of a chunk (whole sentences; ``QA_CHUNK_MAX_CHARS``). About the length of a
news paragraph, well under the embedders' 512-token window. Not swept; benchmarks.quality
measures answers with it (a citation is one sentence whatever the chunk size)."""
EMBED_BATCH = 32
"""Sentences embedded in one engine call at most during ingest (the benchmarks.ingest batches)."""
EMBED_BATCH_CHARS = 2000
"""... and characters at most (a batch of one longer sentence still goes alone): the engine
is held for a whole call, so a question waits for at most one batch. Counted in characters,
not tokens, because the tokenizer lives in the engine (German news: ~4.5 characters a token,
so ~450 tokens, one e5 window). A 40,000-character article without punctuation (20 sentences
cut at MAX_SENTENCE_CHARS) was one call of 40 s, and a question asked meanwhile waited 38 s;
benchmarks.ingest_blocking measures it (benchmarks/README.md, "Questions during an ingest").
Normal sentences (~130 characters) make batches of ~15 instead of 32, which costs nothing
measurable (same table)."""
MIN_FILL = 0.5
"""Break a chunk at an earlier paragraph boundary only if it is at least this full, so a
paragraph break does not leave a stub chunk. Not measured (tests/ingest/test_chunking.py)."""

# -- reading articles: where text is a heading, boilerplate, a title or a date ---------------
# Set with the first cleaner (commit bf1521c) from the seed articles and scraped news pages;
# none was swept: tests/ingest/test_cleaning.py and test_segmentation.py hold the cases each
# one decides, and benchmarks.quality measures answers over them.

HEADING_MAX_CHARS = 120
"""A line without closing punctuation is a headline only up to this length. Not measured."""
HEADING_MAX_WORDS = 16
"""... and this many words. Not measured."""
STACKED_HEADING_MAX_CHARS = 80
"""A heading with no blank line under it must be shorter: long lines there are wrapped prose.
Not measured."""
MIN_SENTENCE_WORDS = 4
"""A facts-box value of fewer words is a value even if it ends in a dot ("ca. 3,6 Mio.",
"Politik, Ausland etc."). Set by the facts-box regression tests (commit f0a6dc2)."""
TABLE_MIN_ROWS = 2
"""A run of "key<TAB>value" lines is a table (its rows indexed, each on its own) rather than a
facts box (masked) when this many of its lines have one number of cells and a digit in a
value that is no bare date ("CDU\t41,2 %", "SPD\t22,7 %"; not "Stand\t4. Juni 2025"). Two:
one row of figures is a facts-box line ("Einwohner\tca. 3,6 Mio."), two make a column. The
seed's facts box has no digit. Not measured (no XQuAD text holds a tab;
tests/ingest/test_cleaning.py holds the cases)."""
FOOTER_MAX_CHARS = 160
"""A line opening like a footer ("Folgen Sie uns ...") is boilerplate only up to this length;
a longer one is prose that happens to start that way. Of a shorter one only the footer
sentences are masked ("Lesen Sie mehr unter www.example.de. Dort gibt es Details." keeps its
second sentence). Not measured."""
CAPTION_MAX_CHARS = 400
"""A line ending in a picture credit ("... (Quelle: Virginia Mayo)") is a photo caption, masked
whole, only up to this length; in a longer line only the credit is masked (prose that cites a
source). The seed's caption is 187 characters; captions rarely pass two sentences. Not swept:
no XQuAD line ends in a credit (tests/ingest/test_cleaning.py holds the cases)."""
MAX_SENTENCE_CHARS = 600
"""Text that runs this long without a sentence end is not prose (tables, dumps, missing
punctuation, a results list run on with commas); it is cut at a clause or word boundary so
no chunk grows without limit, and no citation either: a sentence is cited whole, and a
run-on results list was cited as one ~2,000-character quote (hunt15). 600 is the longest a
context citation grows (``tuning.answer.CONTEXT_CHARS``) and above every sentence of
XQuAD-de (longest 504 characters, 5 of 636 over 400), the seeds (282) and the news check set
(171), so none of them is cut (benchmarks/README.md, quality17). Was 2,000."""
TITLE_MAX_CHARS = 200
"""A first line longer than this is a paragraph, not a headline. Not measured."""
TITLE_SEARCH_CHARS = 5000
"""How much of a text's top is cleaned to find its first line. Not measured."""
DATE_SEARCH_CHARS = 400
"""A date this close to the top is taken as the publication date; later ones are content.
Not measured."""
PUBLISHED_SLACK_DAYS = 1
"""A date found in a text is a publication date only up to the day of ingest (UTC) plus this:
one day covers a text dated in a time zone ahead of UTC; a later date is an event to come
("Der Bau beginnt am 4. Juni 2031", hunt15), not when the article appeared."""

# -- the seeds at start-up ------------------------------------------------------------------

SEED_ATTEMPTS = 3
"""Tries of a seed whose write an engine refused (a 503: down, timed out, writers' lock busy)
before start-up fails. Not measured: a replica starting beside another on a loaded machine
can wait out one lock timeout; three outlast any such blip, not an outage."""
SEED_RETRY_WAIT_S = 1.0
"""Seconds between those tries (the engines' Retry-After). Not measured."""
SEEDING_LOCK_POLL_S = 0.5
"""Server mode: how often a replica asks again for the seeding lock another replica holds
(a short seeding takes seconds; an ask is one round trip). Not measured."""

# -- the keyword index after an ingest --------------------------------------------------------

KEYWORD_MERGE_PAGES = 4096
"""Pages of the keyword index (FTS5, ~4 kB each) merged at most after an ingest
(``QA_KEYWORD_MERGE_PAGES``; 0: never). Every write transaction leaves FTS5 a new segment and
its automerge only folds them level by level, so an ingested index is many segments, and a
question's every term is looked up in each one (XQuAD-de after `qa-service ingest`: the two
keyword searches 0.87 ms, one segment each 0.56 ms; benchmarks.keyword_merge and
benchmarks/README.md "Keyword index segments"). A file ingest merges once at its end, an
HTTP document after its write. 4096 pages (~16 MB written) merges XQuAD-de-sized indexes
whole; a larger index is merged that much further at each ingest."""
KEYWORD_MERGE_STEP_PAGES = 256
"""... in steps of this many pages, each its own short write transaction, so another writer
waits for one step at most (readers never wait: WAL). Not swept."""
