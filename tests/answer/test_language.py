"""The question's language: German unless clearly English."""

import pytest

from qa_service.answer.language import ABSTAIN_MESSAGE, detect_language


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Wer wurde zum Chef der Drohnentruppen ernannt?", "de"),
        ("Who was appointed head of the drone forces?", "en"),
        ("What is the Rhine?", "en"),
        ("Schoigu", "de"),  # no function word either way: German, the articles' language
        ("Was ist the Rhein?", "de"),  # a tie stays German
    ],
)
def test_language_follows_the_function_words(question: str, language: str) -> None:
    assert detect_language(question) == language


def test_every_language_has_an_abstain_message() -> None:
    assert set(ABSTAIN_MESSAGE) == {"de", "en"}
