"""Follow-up rewriting without an LLM: how much of the conversation a message takes over."""

from pathlib import Path

import numpy as np
import pytest

from qa_service.chat.rewriting import (
    Context,
    RewriteConfig,
    Turn,
    asked_questions,
    completed_question,
    condense_prompt,
    dependence,
    fold,
    held_question,
    lends_topic,
    opening_terms,
    rewrite,
    topic_start,
    topic_terms,
)
from qa_service.prompts import PromptError
from qa_service.tuning.chat import WINDOW


def _unit(*values: float) -> np.ndarray:
    v = np.asarray(values, dtype=np.float32)
    return v / np.linalg.norm(v)


DRONES = Context(_unit(1, 0, 0, 0), ("Chef", "Drohnentruppen"))


@pytest.mark.parametrize(
    "message",
    [
        "Wann war das?",
        "Wozu?",
        "Und wann?",
        "Wie viele sind es?",
        "Wann war er zuletzt dort?",
        "Was zeigen sie?",
        "Wer hat ihn ernannt?",
        "When was that?",
    ],
)
def test_messages_that_point_back_depend_on_the_conversation(message: str) -> None:
    assert dependence(message) >= 0.6


@pytest.mark.parametrize(
    "message",
    [
        "Wie viele Autos passen drauf?",
        "Was steht drin?",
        "Wer hat dran verdient?",
        "Was kam hierbei heraus?",
    ],
)
def test_pronominal_adverbs_point_back(message: str) -> None:
    # HUNT13 F: "drauf" (as "darauf" did) carries the topic over, as any "da(r)"/"dr"/"hier"
    # + preposition does; a noun of the message's own makes it lean on it less.
    assert dependence(message) > 0
    assert dependence(message) == dependence(
        message.replace(
            next(w for w in message.rstrip("?").split() if w.startswith(("dr", "hier"))), "dort"
        )
    )


@pytest.mark.parametrize(
    "message",
    [
        "Wer wurde zum Chef der Drohnentruppen ernannt?",
        "Mit wem hat Schoigu über den Ukraine-Konflikt gesprochen?",
        "Wie viele russische Vorstöße meldete der Generalstab in Kiew?",
        "Wer leitete das Treffen?",  # "das" before a noun is an article, not a pointer
        "Who was appointed head of the drone forces?",
    ],
)
def test_self_contained_questions_do_not_depend(message: str) -> None:
    assert dependence(message) == 0


def test_a_leading_und_with_its_own_topic_depends_a_little() -> None:
    assert 0 < dependence("Und wer wurde Chef der Fallschirmjägertruppen?") < 0.5


@pytest.mark.parametrize(
    "message",
    [
        "What did Shoigu discuss with Kim Jong Un?",
        "What is the NATO target for Germany?",
        "What did Pistorius announce in Brussels?",
    ],
)
def test_an_english_what_question_stands_on_its_own(message: str) -> None:
    """ "What" opens most English questions: it used to count as a continuation ("Und"), so
    every "What ...?" was searched with the previous topic mixed in (HUNT11 M1)."""
    assert dependence(message) == 0


def test_what_about_continues_the_previous_turn() -> None:
    assert 0 < dependence("What about the paratroopers?") < 1
    assert 0 < dependence("How about Healey?") < 1


def test_topic_terms_are_content_words_nouns_first() -> None:
    terms = topic_terms("Wen hat Selenskyj zum Chef der Fallschirmjägertruppen ernannt?")
    assert terms == ["Selenskyj", "Chef", "Fallschirmjägertruppen", "ernannt"]
    assert topic_terms("Wann war das?") == []
    assert "ernannt" not in topic_terms("Wer wurde ernannt?", nouns_only=True)


def test_first_turn_and_self_contained_turns_search_as_asked() -> None:
    vector = _unit(0, 1, 0, 0)
    message = "Mit wem hat Schoigu über den Ukraine-Konflikt gesprochen?"
    for previous in (None, DRONES):
        search = rewrite(message, vector, previous)
        assert search.query == message
        assert np.allclose(search.vector, vector)
        assert search.carried_terms == () and not search.rewritten
    # The new topic replaces the old one for the next follow-up.
    assert rewrite(message, vector, DRONES).context.terms[0] == "Schoigu"


def test_follow_up_carries_terms_and_leans_towards_the_topic_below_itself() -> None:
    vector = _unit(0, 1, 0, 0)
    search = rewrite("Wann war das?", vector, DRONES)
    assert search.query == "Wann war das? Chef Drohnentruppen"
    assert search.carried_terms == ("Chef", "Drohnentruppen")
    assert np.isclose(np.linalg.norm(search.vector), 1)
    own, topic = float(search.vector @ vector), float(search.vector @ DRONES.vector)
    assert 0 < topic < own  # weighted below the new message, even at full dependence
    assert search.context.terms == ("Chef", "Drohnentruppen")


def test_terms_the_message_already_has_are_not_repeated() -> None:
    search = rewrite("Und wer wurde Chef der Fallschirmjägertruppen?", _unit(0, 1, 0, 0), DRONES)
    assert search.carried_terms == ("Drohnentruppen",)
    assert search.context.terms[:2] == ("Chef", "Fallschirmjägertruppen")


def test_fold_reads_only_the_window() -> None:
    config = RewriteConfig(window=2)
    turns = [
        Turn("Wer wurde zum Chef der Drohnentruppen ernannt?", _unit(1, 0, 0, 0)),
        Turn("Wann war das?", _unit(0, 1, 0, 0)),
        Turn("Wann war das?", _unit(0, 0, 1, 0)),
    ]
    inside = fold(turns[:2], config)
    assert inside is not None and "Drohnentruppen" in inside.terms
    beyond = fold(turns, config)  # the drone question is three turns back: out of the window
    assert beyond is not None and beyond.terms == ()
    assert float(beyond.vector @ turns[0].vector) == pytest.approx(0, abs=1e-6)
    assert fold([], config) is None
    assert fold(turns, RewriteConfig(window=0)) is None


def _turns(messages: list[str]) -> list[Turn]:
    """Each message with a vector of its own (orthogonal to every other one)."""
    return [Turn(m, _axis(i)) for i, m in enumerate(messages)]


def _axis(i: int) -> np.ndarray:
    return np.eye(32, dtype=np.float32)[i]


FILLERS = ["Warum?", "Wann war das?", "Was hat er gesagt?", "Und dann?", "Wer noch?"]


def test_a_topic_outlasts_any_number_of_follow_ups_that_name_nothing() -> None:
    turns = _turns(["Wer wurde zum Chef der Drohnentruppen ernannt?", *FILLERS * 4])
    context = fold(turns)
    assert context is not None
    assert context.terms == ("Chef", "Drohnentruppen")
    assert float(context.vector @ turns[0].vector) == pytest.approx(1)
    search = rewrite("Wer hat ihn ernannt?", _axis(len(turns)), context)
    assert search.query == "Wer hat ihn ernannt? Chef Drohnentruppen"
    assert float(search.vector @ turns[0].vector) > 0.4


def test_a_topic_lasts_through_window_follow_ups_and_the_next_one_is_searched_alone() -> None:
    # README said "any number" of follow-ups (found by hunt17: the 51st "Wann war das?" after
    # a question abstained); the topic is read back over the last WINDOW turns only.
    fillers = [FILLERS[i % len(FILLERS)] for i in range(WINDOW)]
    messages = ["Wer wurde zum Chef der Drohnentruppen ernannt?", *fillers]
    turns = [Turn(m, np.eye(WINDOW + 1, dtype=np.float32)[i]) for i, m in enumerate(messages)]
    last = fold(turns[:-1])  # what the WINDOW-th follow-up reads: the question is in reach
    assert last is not None and last.terms == ("Chef", "Drohnentruppen")
    gone = fold(turns)  # the next one: WINDOW follow-ups since, the question out of reach
    assert gone is not None and gone.terms == ()


def test_a_new_topic_replaces_the_old_one_and_a_named_follow_up_narrows_it() -> None:
    turns = _turns(
        [
            "Wer wurde zum Chef der Drohnentruppen ernannt?",
            *FILLERS,
            "Mit wem hat Schoigu über den Ukraine-Konflikt gesprochen?",
            "Wann war das?",
        ]
    )
    assert topic_start([t.message for t in turns]) == len(FILLERS) + 1
    context = fold(turns)
    assert context is not None and context.terms[0] == "Schoigu"
    assert "Drohnentruppen" not in context.terms
    assert float(context.vector @ turns[0].vector) == pytest.approx(0, abs=1e-6)
    narrowed = fold([*turns, Turn("Und was sagte Kim dazu?", _axis(len(turns)))])
    assert narrowed is not None and narrowed.terms[0] == "Kim" and "Schoigu" in narrowed.terms
    assert float(narrowed.vector @ context.vector) < 0.99  # the own name moves the topic


def test_english_topics_carry_their_lower_case_nouns_german_ones_only_nouns() -> None:
    assert opening_terms("Who is the German chancellor?") == ["German", "chancellor"]
    assert opening_terms("Wer wurde zum Chef der Drohnentruppen ernannt?") == [
        "Chef",
        "Drohnentruppen",
    ]
    topic = rewrite("Who is the German chancellor?", _unit(1, 0, 0, 0), None).context
    for follow_up in ("When was he elected?", "What did he say about Ukraine?"):
        search = rewrite(follow_up, _unit(0, 1, 0, 0), topic)
        assert search.dependence >= 0.5, follow_up
        assert "chancellor" in search.carried_terms and "German" in search.carried_terms
        assert search.query.startswith(follow_up) and "chancellor" in search.query


def test_condense_prompt_is_strict(tmp_path: Path) -> None:
    prompt = condense_prompt("Nutzer: Wer wurde Chef der Drohnentruppen?", "Wann war das?")
    assert "Wer wurde Chef der Drohnentruppen?" in prompt and "Wann war das?" in prompt
    broken = tmp_path / "broken.txt"
    broken.write_text("$history $question $answer", encoding="utf-8")
    with pytest.raises(PromptError, match="needs answer"):
        condense_prompt("a", "b", broken)


def _said(*messages: str) -> list[Turn]:
    return _turns(list(messages))


def test_a_name_as_the_first_word_is_a_topic_term() -> None:
    assert topic_terms("Merz, wie alt ist er?", nouns_only=True) == ["Merz"]
    assert opening_terms("Merz") == ["Merz"]
    context = fold(_said("Wie alt ist Selenskyj?", "Merz, wie alt ist er?"))
    assert context is not None and context.terms == ("Merz",)  # Selenskyj no longer carried
    assert dependence("Merz, wie alt ist er?") == 0
    assert dependence("Selenskyj – how old is he?") == 0
    assert dependence("Wann hat Selenskyj ihn ernannt?") > 0  # "ihn" is someone else
    for opener in (
        "Well, how old is he?",
        "Übrigens, wann war das?",
        "Interesting. When was that?",
    ):
        assert dependence(opener) > 0, opener


@pytest.mark.parametrize(
    ("earlier", "lends"),
    [
        (("Hallo",), False),
        (("Danke!",), False),
        (("Hallo", "Wie alt ist er?"), False),
        (("Wie alt ist Selenskyj?",), True),
        (("wer wurde zum chef der drohnentruppen ernannt?",), True),
        (("Who was appointed head of the drone forces?", "Why?"), True),
    ],
)
def test_earlier_turns_that_name_nothing_lend_no_topic(
    earlier: tuple[str, ...], lends: bool
) -> None:
    assert lends_topic(earlier) is lends


def test_a_bare_name_completes_the_held_question() -> None:
    held = held_question(["Hallo", "Wie alt ist er?"])
    assert held == "Wie alt ist er?"
    assert completed_question(held, "Merz") == "Wie alt ist Merz?"
    assert completed_question("How old is he?", "Friedrich Merz.") == "How old is Friedrich Merz?"
    assert completed_question(held, "Danke") is None  # small talk names nobody
    assert completed_question(held, "Wann wurde er geboren?") is None
    assert held_question(["Wie alt ist Selenskyj?", "Wie alt ist er?"]) is None
    # After the reply, the name is the topic later follow-ups carry.
    context = fold(_said("Wie alt ist er?", "Merz"))
    assert context is not None and context.terms == ("Merz",)


@pytest.mark.parametrize(
    ("messages", "asked"),
    [
        (["Grossi", "Wovor warnt er?"], ["Grossi", "Wovor warnt Grossi?"]),
        (
            ["Was hat er gesagt?", "Grossi", "Wovor warnt er?"],
            ["Was hat er gesagt?", "Was hat Grossi gesagt?", "Wovor warnt Grossi?"],
        ),
        (
            ["What did he say?", "Grossi", "What does he warn about?", "Why?"],
            ["What did he say?", "What did Grossi say?", "What does Grossi warn about?", "Why?"],
        ),
        # A follow-up naming something of its own, or a new topic, ends the bare name's turn.
        (["Grossi", "Und was sagte Kim?", "Wovor warnt er?"], None),
        (["Grossi", "Wer ist der IAEA-Chef?", "Wovor warnt er?"], None),
        (["Hallo", "Wovor warnt er?"], None),  # small talk names nobody: asked back instead
        (["Grossi", "Wann war das?"], None),  # no personal pronoun to replace
    ],
)
def test_a_pronoun_after_a_bare_name_is_completed_with_it(
    messages: list[str], asked: list[str] | None
) -> None:
    """A bare name's own embedding steers a follow-up's search nowhere ("Grossi" then "Wovor
    warnt er?" cited a sentence on Schoigu, HUNT11 H1): the follow-up is completed with the
    name, as a reply to an ask-back completes the held question."""
    assert asked_questions(messages) == (asked or messages)


@pytest.mark.parametrize(
    "message", ["Um wie viel Prozent?", "By how much?", "Wie viele Jahre?", "In welchem Jahr?"]
)
def test_a_question_phrase_with_a_unit_keeps_the_topic(message: str) -> None:
    """ "Was fordert Rutte?" then "Um wie viel Prozent?": "Prozent" names no topic of its own
    (a unit), so the follow-up depends fully and passes Rutte's topic on unchanged."""
    rutte = Context(_unit(1, 0, 0, 0), ("Rutte",))
    search = rewrite(message, _unit(0, 1, 0, 0), rutte)
    assert dependence(message) == 1.0
    assert search.carried_terms == ("Rutte",) and search.query.endswith("Rutte")
    assert search.context.terms == ("Rutte",)
    assert np.array_equal(search.context.vector, rutte.vector)


def test_a_question_to_the_assistant_keeps_the_topic() -> None:
    """ "Was fordert Rutte?", "Wer bist du?", "Um wie viel Prozent?": the aside sets no topic."""
    rutte = Context(_unit(1, 0, 0, 0), ("Rutte",))
    aside = rewrite("Wer bist du?", _unit(0, 0, 1, 0), rutte)
    assert aside.context is rutte and aside.query == "Wer bist du?"
    messages = ["Was fordert Rutte?", "Wer bist du?", "Um wie viel Prozent?"]
    assert topic_start(messages) == 0
    turns = [
        Turn(m, _unit(*(1.0 if j == i else 0.0 for j in range(4)))) for i, m in enumerate(messages)
    ]
    context = fold(turns)
    assert context is not None and context.terms == ("Rutte",)


def test_an_abstained_follow_up_narrows_nothing_an_abstained_new_topic_still_sets_it() -> None:
    opening = "Und wer wurde Chef der Fallschirmjägertruppen?"
    turns = _turns(["Wer wurde zum Chef der Drohnentruppen ernannt?", opening])
    context = fold(turns)
    children = Turn("Wie viele Kinder hat er?", _axis(2))
    answered = fold([*turns, children])
    unanswered = fold([*turns, Turn(children.message, children.vector, abstained=True)])
    assert answered is not None and "Kinder" in answered.terms  # an answer narrows the topic
    assert unanswered is not None and context is not None
    assert unanswered.terms == context.terms  # nothing found: the topic stays as it was
    assert np.array_equal(unanswered.vector, context.vector)
    # A self-contained question that abstained still moves the conversation on to it.
    kyiv = Turn("Wer ist der Bürgermeister von Kiew?", _axis(3), abstained=True)
    moved = fold([*turns, kyiv])
    assert moved is not None and moved.terms == ("Bürgermeister", "Kiew")


@pytest.mark.parametrize(
    ("messages", "language"),
    [
        (["Wer wurde zum Chef der Drohnentruppen ernannt?", "Wann war das?"], "de"),
        (["Who was appointed head of the drone forces?", "Wann war das?"], "en"),
        # A German follow-up naming something of its own adds German terms to English ones.
        (["Who was appointed head of the drone forces?", "Und was sagte Selenskyj?"], None),
        (["Wer wurde zum Chef der Drohnentruppen ernannt?", "Und was sagte Selenskyj?"], "de"),
    ],
)
def test_a_context_knows_the_language_of_its_terms(
    messages: list[str], language: str | None
) -> None:
    """What ``ExtractiveAnswerer.lost_topic`` reads: only terms written in the articles'
    language tell whether the topic is still in them."""
    turns = [Turn(m, _unit(1, i, 0, 0)) for i, m in enumerate(messages)]
    context = fold(turns)
    assert context is not None and context.language == language, context
