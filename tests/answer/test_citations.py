"""Citation building: grouping ranked sentences into spans, and checking them against the store."""

import re
from itertools import pairwise

from qa_service.answer.citations import Span, build_citations, group_citations
from qa_service.answer.extractive import AnswerConfig
from qa_service.models import Article
from qa_service.service import QAService
from qa_service.stores import SentenceSpan
from qa_service.tuning.answer import CONTEXT_CHARS, MAX_JOIN_GAP


def row(ord_: int, doc: str = "a", length: int = 50) -> SentenceSpan:
    start = ord_ * (length + 1)
    return SentenceSpan(doc, ord_, 0, start, start + length, "body", "x" * length)


def test_neighbouring_sentences_join_one_citation() -> None:
    cfg = AnswerConfig(merge_margin=0.02, max_citation_chars=400)
    spans = group_citations([(1.0, row(5)), (0.99, row(6)), (0.9, row(2)), (0.8, row(9))], cfg)
    assert [(s.first, s.last) for s in spans] == [(5, 6), (2, 2), (9, 9)]


def test_first_citation_stays_precise() -> None:
    cfg = AnswerConfig(merge_margin=0.02, max_citation_chars=400)
    # The neighbour is far below the best: it becomes its own citation instead.
    spans = group_citations([(1.0, row(5)), (0.9, row(6))], cfg)
    assert [(s.first, s.last) for s in spans] == [(5, 5), (6, 6)]
    # Too long when joined: also kept apart.
    long = AnswerConfig(merge_margin=0.5, max_citation_chars=80)
    spans = group_citations([(1.0, row(5)), (0.99, row(6))], long)
    assert len(spans) == 2


def test_at_most_max_citations_and_other_documents_never_join() -> None:
    cfg = AnswerConfig(max_citations=2)
    spans = group_citations([(1.0, row(1)), (0.99, row(2, doc="b")), (0.98, row(7))], cfg)
    assert [(s.doc_id, s.first) for s in spans] == [("a", 1), ("b", 2)]


def test_the_best_sentences_neighbour_competes_with_a_bonus() -> None:
    ranked = [(1.0, row(5)), (0.97, row(2, doc="b")), (0.94, row(6)), (0.93, row(4, doc="c"))]
    with_bonus = group_citations(ranked, AnswerConfig(max_citations=2, neighbour_bonus=0.05))
    assert [(s.doc_id, s.first) for s in with_bonus] == [("a", 5), ("a", 6)]
    assert with_bonus[1].score == 0.94  # the bonus orders, it does not change the score
    without = group_citations(ranked, AnswerConfig(max_citations=2, neighbour_bonus=0.0))
    assert [(s.doc_id, s.first) for s in without] == [("a", 5), ("b", 2)]
    # The first citation is still the best-scored sentence, whatever the bonus.
    assert group_citations(ranked, AnswerConfig(neighbour_bonus=1.0))[0].first == 5


def test_span_checks_every_sentence_against_the_quote() -> None:
    first, second = row(0, length=3), row(1, length=3)
    span = Span.of(first, 1.0)
    span.extend(second)
    assert span.matches("xxx xxx")
    assert not span.matches("xxx yyy")
    assert not span.matches("xxx")


def test_later_citations_show_their_neighbours_the_first_stays_precise() -> None:
    # Sentences 4-6 and 11-13 were all retrieved; 5 is best, 12 the next separate citation.
    ranked = [(1.0, row(5)), (0.9, row(12)), (0.5, row(4)), (0.5, row(11)), (0.4, row(13))]
    ranked += [(0.3, row(6))]
    spans = group_citations(ranked, AnswerConfig(max_citations=2, context_chars=600))
    assert [(s.first, s.last) for s in spans] == [(5, 5), (11, 13)]
    # Not beyond the cap (three 50-character sentences take 152), never into another citation.
    capped = group_citations(ranked, AnswerConfig(max_citations=2, context_chars=120))
    assert [(s.first, s.last) for s in capped] == [(5, 5), (11, 12)]
    off = group_citations(ranked, AnswerConfig(max_citations=2, context_chars=0))
    assert [(s.first, s.last) for s in off] == [(5, 5), (12, 12)]
    ranked = [(1.0, row(5)), (0.9, row(6, doc="b")), (0.8, row(7))]
    spans = group_citations(ranked, AnswerConfig(max_citations=3, context_chars=600))
    assert [(s.doc_id, s.first, s.last) for s in spans] == [("a", 5, 5), ("b", 6, 6), ("a", 7, 7)]
    # Citation 2 is from another article: sentence 7 of "a" is not its neighbour.


def test_sentences_with_masked_text_between_them_never_join() -> None:
    """A code block or facts box masked between two sentences must not be quoted."""
    first = row(5)
    after_code = SentenceSpan("a", 6, 0, first.end + 80, first.end + 130, "body", "x" * 50)
    cfg = AnswerConfig(merge_margin=0.5, max_citation_chars=400, context_chars=600)
    spans = group_citations([(1.0, first), (0.99, after_code)], cfg)
    assert [(s.first, s.last) for s in spans] == [(5, 5), (6, 6)]
    # Nor as context of a later citation.
    two = AnswerConfig(max_citations=2, context_chars=600)
    spans = group_citations([(1.0, row(1)), (0.9, first), (0.1, after_code)], two)
    assert [(s.first, s.last) for s in spans] == [(1, 1), (5, 5)]
    assert group_citations([(1.0, first), (0.99, row(6))], cfg)[0].last == 6  # plain neighbours


def test_built_citations_are_numbered_checked_and_keep_their_statement() -> None:
    text = "Erster Satz. Zweiter Satz. Dritter Satz."
    sentences = [(0, 12), (13, 26), (27, 40)]
    rows = [
        SentenceSpan("a", i, 0, start, end, "body", text[start:end])
        for i, (start, end) in enumerate(sentences)
    ]
    context = Span.of(rows[1], 0.9)
    context.extend(rows[2], context=True)  # shown around it, not part of its statement
    gone = Span.of(SentenceSpan("b", 0, 0, 0, 5, "body", "Weg."), 0.8)
    stored = {"a": text, "b": "Anders."}

    def quote(doc: str, start: int, end: int) -> str | None:
        return stored[doc][start:end]

    cited = build_citations([Span.of(rows[0], 1.0), gone, context], quote, {"a": "Titel"})
    numbered = [(c.id, c.document_id, c.title) for c, _ in cited]
    assert numbered == [(1, "a", "Titel"), (2, "a", "Titel")]  # "b" no longer reads the same
    for citation, _ in cited:
        assert text[citation.start : citation.end] == citation.quote
    assert [statement for _, statement in cited] == ["Erster Satz.", "Zweiter Satz."]
    assert cited[1][0].quote == "Zweiter Satz. Dritter Satz."


def test_the_first_citation_never_joins_across_a_paragraph_break() -> None:
    # Sentence 0 ends a paragraph; 1 opens the next. Both score alike: a near tie.
    text = "Der Hafen wurde 1888 eröffnet.\n\nEr war der größte im Norden. 1950 kam ein Terminal."
    first = SentenceSpan("a", 0, 0, 0, 30, "body", text[0:30])
    second = SentenceSpan("a", 1, 0, 32, 59, "body", text[32:59])
    third = SentenceSpan("a", 2, 0, 60, 82, "body", text[60:82])

    def quote(doc_id: str, start: int, end: int) -> str:
        return text[start:end]

    cfg = AnswerConfig(merge_margin=0.02, max_citation_chars=400, context_chars=0)
    spans = group_citations([(1.0, first), (0.99, second)], cfg, quote)
    assert [(s.first, s.last) for s in spans] == [(0, 0), (1, 1)]
    # Within a paragraph the near tie still joins; without the text to read, as before.
    spans = group_citations([(1.0, second), (0.99, third)], cfg, quote)
    assert [(s.first, s.last) for s in spans] == [(1, 2)]
    assert [(s.first, s.last) for s in group_citations([(1.0, first), (0.99, second)], cfg)] == [
        (0, 1)
    ]


def test_no_near_tie_joins_paragraphs_of_a_real_article(
    service: QAService, seed_texts: dict[str, str]
) -> None:
    """Every pair of neighbouring sentences of an ingested seed article, each a near tie: the
    first citation joins them within a paragraph and never across one, whether paragraphs are
    parted by blank lines (as stored) or written one a line (as scrapers write them)."""
    seed = "000_23aad25e3376c29a"
    # One more line: otherwise the same article whitespace aside, stored once (HUNT L8).
    one_a_line = re.sub(r"\n\s*\n", "\n", seed_texts[seed]) + "\nEnde des Newsblogs."
    service.add_document(Article(text=one_a_line), "lines")
    docs = service.stores.documents
    cfg = AnswerConfig(merge_margin=0.02, max_citation_chars=400, context_chars=0)
    for doc_id, article in ((seed, seed_texts[seed]), ("lines", one_a_line)):
        rows = docs.sentences_within(doc_id, 0, len(article))
        across = within = 0
        for a, b in pairwise(rows):
            gap = article[a.end : b.start]
            if len(gap) > MAX_JOIN_GAP or b.end - a.start > cfg.max_citation_chars:
                continue
            for best, tied in ((a, b), (b, a)):
                spans = group_citations([(1.0, best), (0.99, tied)], cfg, docs.quote)
                cited = [c for c, _ in build_citations(spans, docs.quote, {})]
                assert len(cited) == len(spans)
                for citation in cited:
                    assert article[citation.start : citation.end] == citation.quote
                if "\n" in gap:
                    assert [c.quote for c in cited] == [best.text, tied.text]
                else:
                    assert [c.quote for c in cited] == [article[a.start : b.end]]
            across += "\n" in gap
            within += "\n" not in gap
        assert across >= 10 and within >= 10, (doc_id, across, within)


def test_the_first_citation_takes_no_heading_nor_the_lead_it_was_read_with() -> None:
    # issue 16 hunt: "Wer gewann in Seebach?" cited the lead merged with the answer.
    cfg = AnswerConfig(merge_margin=0.02, max_citation_chars=400, context_chars=0)
    lead, answer = row(1), row(2)
    spans = group_citations([(1.0, answer), (0.99, lead)], cfg, leads={"a": 1})
    assert [(s.first, s.last) for s in spans] == [(2, 2), (1, 1)]
    assert spans[1].said is False  # cited, but not said in the answer text
    # Without a lead read (English, or another article's lead) the near tie joins as before.
    assert group_citations([(1.0, answer), (0.99, lead)], cfg)[0].first == 1
    # The lead itself best: a later sentence joins it (it is not the lead's frame).
    assert group_citations([(1.0, lead), (0.99, answer)], cfg, leads={"a": 1})[0].last == 2
    title = SentenceSpan("a", 1, 0, 51, 101, "heading", "x" * 50)
    spans = group_citations([(1.0, answer), (0.99, title)], cfg)
    assert [(s.first, s.last, s.said) for s in spans] == [(2, 2, True), (1, 1, False)]


# Invented places: one run-on sentence of figures, as a results table pasted as prose.
_WARDS = [
    "Altdorf", "Neudorf", "Birkenried", "Hohenau", "Lindach", "Tannenbühl", "Wiesental",
    "Oberweiler", "Unterweiler", "Eichhalde", "Rosenau", "Kirchberg", "Mühlhausen", "Sandfeld",
    "Grünwald", "Talheim", "Steinach", "Buchenau", "Fichtenberg",
]  # fmt: skip
RESULTS = (
    "Wahl in Tannenfeld\n\nBei der Gemeinderatswahl in Tannenfeld erhielten die Parteien in "
    "den Ortsteilen folgende Stimmen: "
    + ", ".join(
        f"in {ward} die CDU {300 + 7 * i}, die SPD {200 + 5 * i}, die Grünen {90 + 3 * i} "
        f"und die Freien Wähler {60 + 2 * i}"
        for i, ward in enumerate(_WARDS)
    )
    + ".\n\nDie Wahlbeteiligung lag bei 58 Prozent."
)


def test_a_run_on_sentence_of_figures_is_cited_in_pieces(service: QAService) -> None:
    """hunt15: a run-on results sentence was cited whole (~2,000 characters). Text this long
    without a sentence end is cut at a clause end into pieces of at most
    ``MAX_SENTENCE_CHARS``, so the cited piece is one of them, quoted exactly, no longer than
    a context citation grows."""
    assert len(RESULTS) > 1500
    service.add_document(Article(text=RESULTS), "wahl")
    answer = service.answer("Wie viele Stimmen erhielt die SPD in Birkenried?").answer
    assert not answer.abstained
    top = answer.citations[0]
    assert top.document_id == "wahl" and "Birkenried" in top.quote, top
    assert len(top.quote) <= CONTEXT_CHARS, len(top.quote)
    assert RESULTS[top.start : top.end] == top.quote
