from qa_service.retrieval.fusion import fuse_rankings
from qa_service.retrieval.lexical import match_query, tokenize


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


def test_fusion_rewards_agreement() -> None:
    fused = fuse_rankings([["a", "b", "c"], ["b", "a"], ["b"]])
    assert max(fused, key=fused.__getitem__) == "b"
    weighted = fuse_rankings([["a"], ["b"]], weights=[2.0, 1.0])
    assert weighted["a"] > weighted["b"]
