"""Lexical tokens for BM25 and the query-time term coverage, compound-aware."""

import unicodedata

import pytest

from qa_service.retrieval.lexical import (
    index_terms,
    index_text,
    match_query,
    share_found,
    term_coverage,
    tokenize,
    word_found,
    words_found,
)
from qa_service.tuning.retrieval import COMPOUND_MATCH


def test_german_stemming_matches_inflections() -> None:
    assert tokenize("ukrainischen Streitkräfte")[0] == tokenize("Ukrainische")[0]
    assert tokenize("Drohnentruppen") == tokenize("Drohnentruppe")


def test_stopwords_and_question_words_dropped_in_both_languages() -> None:
    assert tokenize("Wer war der Chef?") == tokenize("Who was the Chef?") == tokenize("Chef")


def test_hyphenated_compound_yields_parts() -> None:
    tokens = tokenize("NATO-Staaten")
    assert {"nato", tokenize("Staaten")[0]} <= set(tokens)


def test_numbers_are_kept() -> None:
    assert "134" in tokenize("134 russische Vorstöße")


def test_match_query_quotes_tokens_and_handles_nothing() -> None:
    assert match_query("Wann war das?") is None
    assert match_query('Chef "Drohnen"') == '"chef" OR "drohn"'


def test_coverage_matches_through_german_compounds() -> None:
    question = "Für welche Art von Bauern wurden Autobahnen gebaut?"
    soy, other = term_coverage(
        question, ["Die Bedürfnisse der Sojabauern zählten.", "Es regnete den ganzen Tag."]
    )
    assert soy > 0 and other == 0
    assert words_found("Sojabauern", ["Die Bauern protestierten."]) == COMPOUND_MATCH


def test_coverage_weighs_words_that_tell_sentences_apart() -> None:
    # "Amazonas" is in every candidate and decides nothing; "Brasilien" picks the sentence.
    question = "Liegt der größte Teil des Amazonas in Brasilien?"
    scores = term_coverage(
        question,
        [
            "Der Amazonas ist ein Fluss.",
            "Der Amazonas ist lang.",
            "Der größte Teil des Amazonas liegt in Brasilien.",
        ],
    )
    assert scores.index(max(scores)) == 2
    assert scores[0] < 0.2


def test_coverage_of_nothing_is_zero() -> None:
    assert term_coverage("Wer war es?", ["Karl war es."]) == [0.0]
    assert term_coverage("Karl", []) == []


def test_decomposed_umlauts_give_the_same_keyword_terms() -> None:
    # Both keyword indexes (FTS5's index_text, PostgreSQL's index_terms) read articles through
    # tokenize: an article posted in NFD must index the words an NFC question searches.
    nfc = "Die Bürgermeisterin von Übelstädt heißt Jürgen Müßig."
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    assert index_text(nfd) == index_text(nfc)
    assert index_terms(nfd) == index_terms(nfc)
    assert term_coverage("Wer ist Jürgen Müßig?", [nfd]) == term_coverage(
        "Wer ist Jürgen Müßig?", [nfc]
    )


@pytest.mark.parametrize(
    ("participle", "finite"),
    [
        ("gekostet", "kostete"),
        ("gewählt", "wählte"),
        ("gesagt", "sagte"),
        ("gekauft", "kaufte"),
        ("gewonnen", "gewann"),
        ("gesprochen", "sprach"),
    ],
)
def test_a_participle_finds_its_finite_form_and_back(participle: str, finite: str) -> None:
    """HUNT13 C: "Was hat sie gekostet?" did not find "Sie kostete ..." (stems differ)."""
    assert word_found(participle, f"Am Montag {finite} er viel.")
    assert word_found(finite, f"Er hat viel {participle}.")
    assert share_found(f"Wer hat {participle}?", [f"Stein {finite} die Wahl."]) == 1.0


@pytest.mark.parametrize(
    ("word", "passage"),
    [("gestern", "Er stritt."), ("genau", "Sie nahm es."), ("wann", "Er hat gewonnen.")],
)
def test_words_that_are_no_participles_find_no_verb(word: str, passage: str) -> None:
    assert not word_found(word, passage)


def test_a_measure_word_is_matched_by_another_naming_that_measure() -> None:
    # quality16: "Was hat sie gekostet?" after a bridge question cited another article's
    # "kostete"; the bridge's "Baukosten" shared no stem with "gekostet"
    covered = term_coverage(
        "Was hat sie gekostet?",
        [
            "Die Baukosten beliefen sich auf 12,4 Millionen Euro.",
            "Die Sanierung kostete 4,8 Millionen Euro.",
            "Die Brücke ist 84 Meter lang.",
        ],
    )
    assert covered[0] == covered[1] > 0 and covered[2] == 0
    assert term_coverage("Wie schwer ist das Gewicht?", ["Es kostete viel."]) == [0.0]


@pytest.mark.parametrize(
    ("question", "said"),
    # quality17: a price asked by its comparative or by paying
    [
        ("Warum wurde die Brücke teurer?", "Grund für die Mehrkosten war der Stahl."),
        ("Was müssen Kunden bezahlen?", "Ein Einkauf kostet einen Euro."),
    ],
)
def test_a_price_asked_by_teurer_or_bezahlen_is_said_by_kosten(question: str, said: str) -> None:
    assert term_coverage(question, [said, "Die Brücke ist 84 Meter lang."])[0] > 0
