"""The topic preference of follow-ups, over the real model, Chroma and SQLite."""

from qa_service.answer.extractive import Topic
from qa_service.answer.scoring import prefer_topic, score_candidates
from qa_service.service import QAService

DRONES = "Wer wurde zum Chef der Drohnentruppen ernannt?"
QUESTION = "Mit wem hat Schoigu über den Ukraine-Konflikt gesprochen?"


def test_a_message_with_its_own_topic_is_not_pulled_back(service: QAService) -> None:
    """Dependence below 0.5 ("Und wann wurde der Bahnhof übergeben?"): no preference."""
    answerer = service.answerer
    drones = service.embedder.embed_query(DRONES)
    plain = answerer.ask(QUESTION)
    own_topic = answerer.ask(QUESTION, topic=Topic(drones, 0.4))
    assert [(c.start, c.score) for c in own_topic.citations] == [
        (c.start, c.score) for c in plain.citations
    ]


def test_a_follow_up_prefers_the_article_of_the_conversation(service: QAService) -> None:
    answerer = service.answerer
    vector = service.embedder.embed_query(QUESTION)
    candidates = service.retriever.retrieve(QUESTION, vector, 4).candidates
    scores = score_candidates(QUESTION, candidates, answerer.weights)
    drones = service.embedder.embed_query(DRONES)
    keys = [(c.row.doc_id, c.row.ord) for c in candidates]
    vectors = service.stores.documents.sentence_vectors(keys)
    bonus = answerer.config.topic_bonus * 0.5
    preferred = prefer_topic(candidates, scores, vectors, drones, bonus)
    gained = {c.row.doc_id for c, a, b in zip(candidates, scores, preferred, strict=True) if b > a}
    # One article gains: the one holding the candidate sentence closest to the conversation.
    closest = max(vectors, key=lambda key: float(vectors[key] @ drones))
    assert gained == {closest[0]}
    for c, a, b in zip(candidates, scores, preferred, strict=True):
        expected = a + (bonus if c.row.doc_id in gained else 0.0)
        assert abs(b - expected) < 1e-9
