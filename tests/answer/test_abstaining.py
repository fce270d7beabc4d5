"""Abstaining: too little evidence, or a message that asks nothing."""

import pytest

from qa_service.answer.abstaining import (
    abstains,
    asks_beyond_topic,
    asks_something,
    few_words_found,
    lacks_asked_quantity,
    missing_place,
    near_miss,
    own_words,
    topic_not_found,
)
from qa_service.retrieval.lexical import mentions, share_found


@pytest.mark.parametrize("message", ["Danke!", "ok", "Super, das hilft mir", "Hallo", "Thanks!"])
def test_small_talk_asks_nothing(message: str) -> None:
    assert not asks_something(message, message)


@pytest.mark.parametrize("message", ["Schoygu", "Drohnentruppen Chef", "Wer ist Browdi?"])
def test_keywords_and_names_ask_something(message: str) -> None:
    assert asks_something(message, message)


@pytest.mark.parametrize(
    ("message", "asks"),
    [
        ("Wer " + "a" * 1996, False),
        ("aaaa", False),
        ("Wer " + "ha" * 10 + "?", False),
        ("Danke zzzzzz", False),  # small talk and no word
        ("Was bedeutet aaaa?", True),  # "bedeutet" is a word: the evidence decides
        ("Welche Bonität hat AAA?", True),  # a rating, three letters: still a word
        ("Wer ist Karl III?", True),
        ("Was sagt Mama?", True),
    ],
)
def test_a_run_of_repeated_letters_is_no_word(message: str, asks: bool) -> None:
    assert asks_something(message, message) is asks
    # A follow-up of only such a run asks nothing, though the topic lends its query words.
    assert asks_something(message, f"{message} Feuerwerk Seestadt") is asks


def test_a_follow_up_asks_through_its_rewritten_query() -> None:
    assert not asks_something("Was?", "Was?")  # no content word, no conversation to lend one
    assert asks_something("Wann war das?", "Wann war das? Chef Drohnentruppen")


def test_evidence_below_the_threshold_abstains() -> None:
    question = "Wer leitet die Bibliothek?"
    assert abstains(0.79, 0.80, question, question)
    assert not abstains(0.80, 0.80, question, question)
    assert abstains(0.99, 0.80, "Danke!", "Danke!")


def test_a_name_no_candidate_holds_is_a_near_miss() -> None:
    sentences = ["Klitschko traf den Generalstab in Kiew.", "Die Gespräche dauerten bis Mittwoch."]
    assert near_miss("Wer ist der Bürgermeister von Kiew?", sentences)
    assert not near_miss("Wen traf Klitschko in Kiew?", sentences)
    # Compounds count as found: "Generalstabs" is in "Generalstab", "Gespräch" in "Gespräche".
    assert not near_miss("Wo tagte der Generalstab?", sentences)
    assert not near_miss("Wie lange dauerten die Gespräche?", sentences)
    # The first word is capitalised in any question; lower-case words are not names.
    assert not near_miss("Stimmt es, dass die Gespräche lange dauerten?", sentences)
    assert not near_miss("Was sagte man in Kiew?", sentences)  # "sagte": not a name


def test_few_of_the_questions_words_found_is_a_near_miss() -> None:
    sentences = ["Der chinesische Außenminister reiste nach Kiew.", "Die Gespräche dauerten lange."]
    # Lower-case words count too: "chinesische", "sagte" are content words, unlike for near_miss.
    assert share_found("Was sagte der chinesische Außenminister?", sentences) == pytest.approx(
        2 / 3
    )
    assert share_found("Was sagte der chinesische Außenminister in Kiew?", sentences) == 0.75
    # A compound's part counts as found ("Gespräch" in "Gespräche"), each word once.
    assert share_found("Wie lange dauerten die Gespräche?", sentences) == 1.0
    assert share_found("Was?", sentences) == 1.0  # no content word: nothing is missing
    assert few_words_found("Was sagte der Papst zum Krieg in Gaza?", sentences, 0.65)
    assert not few_words_found("Wohin reiste der chinesische Außenminister?", sentences, 0.65)


def test_a_number_question_without_a_fitting_quantity_in_its_citations_is_a_near_miss() -> None:
    cited = [
        "Brüssel, Belgien - Fast 1.200 Tage nach Beginn der Invasion erhält die Ukraine Hilfe.",
        "Am 4. Juni 2025 treffen sich Verteidigungsminister in Brüssel.",
    ]
    assert lacks_asked_quantity("How many refugees from Ukraine has Germany taken in?", cited)
    assert lacks_asked_quantity("Wie hoch ist der deutsche Verteidigungshaushalt 2025?", cited)
    # A duration answers "how long"; a question of another type is not tested at all.
    assert not lacks_asked_quantity("Wie lange dauert die Invasion schon?", cited)
    assert not lacks_asked_quantity("Wer trifft sich in Brüssel?", cited)
    # One cited sentence with a count is enough.
    assert lacks_asked_quantity("Um wie viel soll die Abschreckung wachsen?", cited)
    more = [*cited, "Geplant ist eine Erhöhung um etwa 30 Prozent."]
    assert not lacks_asked_quantity("Um wie viel soll die Abschreckung wachsen?", more)


def test_a_german_number_questions_quantity_must_be_about_what_it_asks() -> None:
    """With ``about`` the quantity counts only in a text that mentions a word of the question,
    a compound found by its head: "Verteidigung" is not "Verteidigungshaushalt"."""
    deterrence = "Geplant ist eine Erhöhung der Abschreckung und Verteidigung um etwa 30 Prozent."
    budget = "Wie hoch ist der deutsche Verteidigungshaushalt 2025?"
    assert not lacks_asked_quantity(budget, [deterrence])  # any quantity, as before
    assert lacks_asked_quantity(budget, [deterrence], about=True)
    spent = "Der Haushalt für Verteidigung steigt auf 86 Milliarden Euro."
    assert not lacks_asked_quantity(budget, [deterrence, spent], about=True)
    assert not lacks_asked_quantity(
        "Um wie viel soll die Abschreckung wachsen?", [deterrence], about=True
    )
    # A word of the question inside a longer one counts; a compound by its first part does not.
    assert mentions("Wie viele Panzer hat die Armee?", "Das Heer zählt 300 Kampfpanzer.")
    assert mentions(budget, "Der Verteidigungshaushalt beträgt 86 Milliarden Euro.")
    assert not mentions(budget, deterrence)
    # A follow-up naming nothing asks about the conversation's topic: any quantity counts.
    troops = "Dort kämpfen mehr als 10.000 nordkoreanische Soldaten."
    assert not lacks_asked_quantity("Wie viele sind es?", [troops], about=True)
    assert lacks_asked_quantity(
        "Wie viele sind es?", [deterrence.replace(" um etwa 30 Prozent", "")], about=True
    )
    # The question's own words given by a caller that has them: the same verdicts.
    for question in ("Wie viele sind es?", budget):
        for texts in ([troops], [deterrence]):
            assert lacks_asked_quantity(
                question, texts, about=True, own=own_words(question)
            ) is lacks_asked_quantity(question, texts, about=True)


@pytest.mark.parametrize(
    ("follow_up", "beyond"),
    [
        ("Wie alt ist er?", True),
        ("Wie viele Kinder hat er?", True),
        ("Wer hat ihn ernannt?", False),  # "ernannt" is in the sentence
        ("Wer leitete es?", False),  # "leitete" in "geleitet"
        ("Wann war das?", False),  # nothing of its own: it asks about the topic itself
        ("Und dann?", False),
    ],
)
def test_a_follow_up_asks_beyond_the_topic_when_no_sentence_holds_its_own_words(
    follow_up: str, beyond: bool
) -> None:
    sentences = [
        "Selenskyj hat zudem Oleh Apostol zum Chef der Fallschirmjägertruppen ernannt.",
        "Das Treffen wird von den Verteidigungsministern Boris Pistorius geleitet.",
    ]
    assert asks_beyond_topic(follow_up, own_words(follow_up), sentences) is beyond


def test_a_follow_ups_participle_is_found_in_a_noun_built_on_its_verb() -> None:
    """ "Was hat sie gekostet?" abstained after "Wer hat die Elbbrücke eröffnet?" (hunt15):
    the sentence holding the cost says "Baukosten", which shares no stem with "gekostet"."""
    sentences = [
        "Nach drei Jahren Bauzeit hat Bürgermeisterin Müller die neue Elbbrücke eröffnet.",
        "Die Baukosten betrugen rund 12,5 Mio. Euro, d. h. etwa 2 Mio. mehr als geplant.",
    ]
    for follow_up in ("Was hat sie gekostet?", "Wer hat sie gemeldet?"):
        found = follow_up == "Was hat sie gekostet?"
        assert asks_beyond_topic(follow_up, own_words(follow_up), sentences) is not found
    # Only a lower-case participle: the noun "Gebet" is no "beten" in "Bettenmangel".
    beds = ["Der Bettenmangel im Krankenhaus hält an."]
    assert asks_beyond_topic("Und das Gebet?", own_words("Und das Gebet?"), beds)
    assert not asks_beyond_topic("Wurde gebettet?", own_words("Wurde gebettet?"), beds)


def test_a_price_stated_by_the_noun_of_the_asked_verb_is_about_the_question() -> None:
    """ "Wie viel kostete die Brücke?" abstained over "Die Baukosten betrugen rund 12,5 Mio.
    Euro" (hunt15): the price must sit in a sentence mentioning a word of the question, and
    "kostete" shares no stem with "Baukosten"."""
    costs = "Die Baukosten betrugen rund 12,5 Mio. Euro, d. h. etwa 2 Mio. mehr als geplant."
    length = "Die Brücke ist 320 Meter lang und 14,8 m breit."
    for question in (
        "Wie viel kostete die Brücke?",
        "Wie viel hat die Brücke gekostet?",
        "Was hat die Brücke gekostet?",
    ):
        assert not lacks_asked_quantity(question, [length, costs], about=True), question
        assert lacks_asked_quantity(question, [length], about=True), question
    # An ordinal is no verb's past: "vierte" does not mention "vier Millionen Euro".
    assert lacks_asked_quantity(
        "Wie viel kostet die vierte Etappe?", ["Er spendete vier Millionen Euro."], about=True
    )


def test_a_follow_up_asking_a_measure_by_its_adjective_finds_it_stated() -> None:
    """ "Wie schwer ist es?" abstained where "Wie viel wiegt es?" answered (HUNT M3): the
    sentence stating the weight does not say "schwer"; one stating another measure does not
    answer it."""
    sentences = [
        "Der Hersteller Velomotion hat sein neues E-Bike Stadtflitzer X1 vorgestellt.",
        "Das Rad wiegt 23 Kilogramm und hat eine Reichweite von 120 Kilometern.",
    ]
    for follow_up in ("Wie schwer ist es?", "Wie weit kommt es?", "How heavy is it?"):
        assert not asks_beyond_topic(follow_up, own_words(follow_up), sentences), follow_up
        assert not lacks_asked_quantity(follow_up, sentences, about=True), follow_up
    for follow_up in ("Wie teuer ist es?", "Wie alt ist es?", "How old is it?"):
        assert asks_beyond_topic(follow_up, own_words(follow_up), sentences), follow_up
        assert lacks_asked_quantity(follow_up, sentences, about=True), follow_up


@pytest.mark.parametrize(
    ("follow_up", "query", "lost"),
    [
        # The flood article was deleted: nothing left names the topic (HUNT11 L1).
        ("Wann war das?", "Wann war das? Häuser Pegel Auendorf", True),
        ("Wann war das?", "Wann war das? Chef Drohnentruppen", False),  # still there
        ("Wann war das?", "Wann war das?", False),  # no topic carried
        # A verb or adjective of its own names nothing else (HUNT13 L6)...
        ("Wann kamen sie?", "Wann kamen sie? Häuser Pegel Auendorf", True),
        ("Wie alt ist er?", "Wie alt ist er? Häuser Pegel", True),
        ("Wann kamen sie?", "Wann kamen sie? Chef Drohnentruppen", False),
        # ... a name or noun of its own does: it asks about that.
        ("Und was sagte Merz?", "Und was sagte Merz? Häuser Pegel", False),
        ("Wie viele Kinder hat er?", "Wie viele Kinder hat er? Häuser Pegel", False),
    ],
)
def test_a_follow_up_about_the_topic_only_finds_it_gone(
    follow_up: str, query: str, lost: bool
) -> None:
    sentences = [
        "Selenskyj hat zudem Oleh Apostol zum Chef der Fallschirmjägertruppen ernannt und "
        "Robert Browdi als Chef der Drohnentruppen eingesetzt.",
        "Die Brücke in Flusstadt wurde am Freitag eröffnet.",
    ]
    assert topic_not_found(follow_up, own_words(follow_up), query, sentences) is lost


@pytest.mark.parametrize(
    ("query", "lost"),
    [
        # An English topic over German articles: only its names tell (HUNT11 L1 in English).
        ("When was that? Auendorf houses flooded", True),
        ("When was that? Browdi head drone forces", False),
        ("When was that? Zelensky appointed", False),  # spelled "Selenskyj" in the article
        ("When was that? head drone forces", False),  # no name: never found gone
    ],
)
def test_an_english_topic_is_found_gone_by_its_names(query: str, lost: bool) -> None:
    sentences = [
        "Selenskyj hat zudem Oleh Apostol zum Chef der Fallschirmjägertruppen ernannt und "
        "Robert Browdi als Chef der Drohnentruppen eingesetzt.",
        "Die Brücke in Flusstadt wurde am Freitag eröffnet.",
    ]
    assert topic_not_found("When was that?", [], query, sentences, names_only=True) is lost
    # Read word by word, as a German topic is, its English words are in no German sentence.
    if "Browdi" not in query:
        assert topic_not_found("When was that?", [], query, sentences) is True


@pytest.mark.parametrize(
    ("message", "asks"),
    [
        ("134", False),  # hunt15: numbers alone were answered from a run-on list of figures
        (" ".join(str(i) for i in range(500)), False),
        ("2:1", False),
        ("Was betrifft Punkt 134?", True),
        ("G7", True),
    ],
)
def test_numbers_alone_ask_nothing(message: str, asks: bool) -> None:
    assert asks_something(message, message) is asks
    # A follow-up's number asks through the query the conversation lends its words.
    assert asks_something(message, f"{message} Besucher Seestadt")


LEVELS = "In Ratzdorf erreichte der Pegel 5,62 Meter, in Frankfurt (Oder) 5,85 Meter."


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("Wie hoch war der Pegel in Görlitz?", True),  # said of other places only
        ("How high was the river in Görlitz?", True),
        ("Wie viele Helfer kamen aus Zwickau?", True),
        ("Wie hoch war der Pegel in Ratzdorf?", False),
        ("Wie hoch war der Pegel in Frankfurt (Oder)?", False),
        ("Wie hoch war der Pegel in der Stadt?", False),  # no named place
        ("Wie hoch war der Pegel?", False),
    ],
)
def test_a_named_place_no_sentence_names(question: str, missing: bool) -> None:
    assert missing_place(question, [LEVELS, "Die Deiche halten."]) is missing
