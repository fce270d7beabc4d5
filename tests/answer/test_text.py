"""The answer text: the cited statements in article order, near-ties of one article only."""

from qa_service.answer.citations import Citation
from qa_service.answer.text import compose_answer


def cite(number: int, doc: str, start: int, score: float) -> Citation:
    return Citation(number, doc, None, start, start + 10, "irrelevant", score)


def test_near_ties_of_the_same_article_join_in_article_order() -> None:
    cited = [
        (cite(1, "a", 100, 0.90), "Zweiter\n  Satz."),
        (cite(2, "a", 10, 0.88), "Erster Satz."),
        (cite(3, "a", 300, 0.80), "Zu weit unten."),  # not within the margin
    ]
    assert compose_answer(cited, margin=0.03) == "Erster Satz. [2] Zweiter Satz. [1]"


def test_another_articles_near_tie_stays_a_citation_only() -> None:
    cited = [(cite(1, "a", 0, 0.90), "Hier."), (cite(2, "b", 0, 0.90), "Dort.")]
    assert compose_answer(cited, margin=0.03) == "Hier. [1]"
