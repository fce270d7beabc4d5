"""Follow-up rewriting (``chat/rewriting.py``): how much of the conversation a message inherits.

Measured together by ``python -m benchmarks.followups`` (ten two-turn conversations over the
seeds, with and without five unrelated articles: 9/10 right first, 10/10 cited) and the
rewriting tests (``tests/chat/test_rewriting.py``); none of them was swept one by one.
"""

WINDOW = 50
"""Earlier turns read back to find the conversation's topic (the newest self-contained
message; folding starts there, so only the turns since cost anything). A topic set once
then lasts through 50 follow-ups that name nothing of their own, the 51st is searched alone
(tests/chat/test_rewriting.py); with 4 it was gone after 4
("Follow-up questions", long conversations: the last follow-up after 5 others). Older turns
are never read: the bound on the work per request (one store read of 50 turns)."""
MAX_CONTEXT_WEIGHT = 0.8
"""Weight of the context vector at full dependence: below 1, so the new message always weighs
more than what it inherits. Not swept (benchmarks.followups passes with it)."""
MAX_CARRIED_TERMS = 6
"""Topic terms added to the BM25 query at full dependence. Not measured."""
MAX_CONTEXT_TERMS = 10
"""Topic terms a context keeps. Not measured."""
CONTINUATION_POINTER = 0.5
"""A message starting with "Und ...", "Aber ..." leans on the previous one by half as much as
a pronoun does (a pronoun counts 1). Not swept (tests/chat/test_rewriting.py)."""
OWN_NOUN_WEIGHT = 1.0
"""A capitalised word or a number of the message's own: it names its own topic."""
OWN_WORD_WEIGHT = 0.5
"""A lower-case content word of its own: half a noun, as German verbs and adjectives rarely
name a topic. Not swept."""
OWN_CONTENT_SHARE = 0.5
"""dependence = pointers / (pointers + share * own content): the message's own content counts
half: one pronoun and one noun of its own give 1 / (1 + 0.5) = 0.67. Not swept (it was the
``content / 2`` of the rewriter)."""

MAX_REPLY_WORDS = 4
"""A reply to an ask-back ("Wen meinen Sie mit „er“?") of at most this many words that names
someone ("Merz", "Friedrich Merz", "der Kanzler") completes the held question
(``chat/rewriting.completed_question``), and a message that short naming someone is the name a
later pronoun question completes with ("Grossi", "Wovor warnt er?": ``asked_question``); a
longer one is a question of its own. Set by the
ask-back cases of tests/chat/test_rewriting.py, not a benchmark.
"""
PURGE_INTERVAL = 3600.0
"""Seconds between two deletions of expired conversations by one process (embedded) or
replica (server mode), at a new conversation: the deletion scans every conversation's row (no
index on the last update), so it runs rarely; expired ones are gone for every read at once
anyway (``stores.base.Retention``). Not measured."""
