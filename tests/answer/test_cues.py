"""Answer-type cues: what kind of token the wh-word asks for, and which sentences hold one."""

import pytest

from qa_service.answer.cues import (
    expected_answer_type,
    fits_answer_type,
    has_answer_type,
    holds_asked_quantity,
)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Wie viele Menschen leben dort?", "number"),
        ("Wieviele Tore fielen?", "number"),
        ("Wie groß ist der Park?", "number"),
        ("How many people live there?", "number"),
        ("Wie schwer ist es?", "number"),  # an adjective asking a measure
        ("Wie alt ist Schoigu?", "number"),
        ("How heavy is it?", "number"),
        ("Was kostete die neue Fähre?", "number"),  # a verb asking a measure
        ("Was kostet das Ticket?", "number"),
        ("Was waren die Kosten der Brücke?", "number"),  # a noun naming the measure
        ("Was ist der Preis des Tickets?", "number"),
        ("Welche Universität erhielt einen Preis?", None),  # a prize, not asked as a measure
        ("Was wurde gebaut?", None),
        ("Wann wurde der Hafen eröffnet?", "time"),
        ("In welchem Jahr war das?", "time"),
        ("When did it open?", "time"),
        ("Wer leitet die Bibliothek?", None),
        ("Who runs the library?", None),
    ],
)
def test_the_wh_word_sets_the_answer_type(question: str, expected: str | None) -> None:
    assert expected_answer_type(question) == expected


@pytest.mark.parametrize(
    ("sentence", "number", "time"),
    [
        ("Der Hafen wurde 1888 eröffnet.", True, True),
        ("Er kam am Montag.", False, True),
        ("Im Jänner schneite es.", False, True),
        ("Das war am 4.6. des Jahres.", True, True),
        ("Zwei Drittel stimmten zu.", True, False),
        ("Die Hälfte blieb.", True, False),
        ("It happened in the last century.", False, True),
        ("Anna Berger leitet die Bibliothek.", False, False),
    ],
)
def test_sentences_hold_the_token_asked_for(sentence: str, number: bool, time: bool) -> None:
    assert has_answer_type(sentence, "number") is number
    assert has_answer_type(sentence, "time") is time
    assert has_answer_type(sentence, None) is False


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Was sagte Merz?", "speech"),
        ("Und was hat er erklärt?", "speech"),
        ("What did Rutte say?", "speech"),
        ("What does the report say about emissions?", "speech"),
        ("Wann sagte Merz das?", "time"),  # asks for a time
        ("Wer sagte das?", None),  # asks for a person
        ("What is another name for State Route 168?", None),  # a name, not the verb "state"
        ("Was fordert Rutte?", None),
    ],
)
def test_a_question_about_what_someone_said_asks_for_speech(
    question: str, expected: str | None
) -> None:
    assert expected_answer_type(question) == expected


@pytest.mark.parametrize(
    ("sentence", "speech"),
    [
        ("„Wir werden die Unternehmen entlasten“, sagte Merz.", True),
        ("„Die Stromsteuer wird sinken.“", True),  # a quoted statement, its own sentence
        ('Dies zeige: "Die Ukraine gibt nicht auf."', True),
        ("Die Lage sei ernst, so Merz.", True),  # "so X" and Konjunktiv I
        ("Laut Merz fehlt Geld.", True),
        ("Ihm zufolge fehlt Geld.", True),
        ("According to Merz, money is short.", True),
        ("Merz wurde 1955 in Brilon geboren.", False),
        ("Dieses wurde als das „Hockeyschläger-Diagramm“ bezeichnet.", False),  # a quoted name
        ('Der SBU zeigt Aufnahmen der Operation "Spinnennetz".', False),
        ("Das wird laut werden.", False),
        ("So groß war es nie.", False),
    ],
)
def test_sentences_that_report_speech(sentence: str, speech: bool) -> None:
    assert has_answer_type(sentence, "speech") is speech


@pytest.mark.parametrize(
    ("question", "sentence", "holds"),
    [
        # A count answers a count; a date, the question's own number or a duration does not.
        ("Wie viele Panzer liefert Deutschland?", "Deutschland liefert 18 Panzer.", True),
        ("Wie viele Panzer liefert Deutschland?", "Am 4. Juni 2025 tagten sie.", False),
        ("Wie hoch ist der Haushalt 2025?", "Der Haushalt 2025 wurde beschlossen.", False),
        ("How many refugees came?", "Almost 1.200 days after the invasion began.", False),
        ("How many refugees came?", "Some 1.2 million people fled.", True),
        ("Wie viele Flüchtlinge kamen?", "Es kamen zwei Millionen.", True),
        ("Wie viele Flüchtlinge kamen?", "Ein Flüchtling kam.", False),  # "ein": an article
        # Asking how long, or naming the unit of time, a duration is the answer.
        ("Wie lange dauerte der Krieg?", "Der Krieg dauerte 30 Jahre.", True),
        ("Wie viele Jahre dauerte der Krieg?", "Der Krieg dauerte 30 Jahre.", True),
        ("How long did the talks last?", "They lasted 3 days.", True),
        ("Um wie viel Prozent steigt sie?", "Sie steigt um etwa 30 Prozent.", True),
        # A four-digit number 1000-2099 with a unit, a currency sign or the counted noun is a
        # quantity, not a year; with "Jahr" before it, a month but not the counted noun, or
        # nothing of that kind after it, it stays a year.
        ("Wie viel kostet das Gerät?", "Das Gerät kostet 1299 Euro.", True),
        ("How much does the device cost?", "The device costs 1299 euros.", True),
        ("How much does the device cost?", "The device costs $1299.", True),
        ("Wie viele Besucher kamen?", "Zur Messe kamen 1800 Besucher.", True),
        ("How many visitors came?", "About 1800 visitors came.", True),
        ("Wie viele Besucher kamen?", "Im Jahr 1800 kamen sie.", False),
        ("Wie viele Besucher kamen?", "2024 kamen sie wieder.", False),
        ("Wie viele Besucher kamen?", "Im Jahr 1999 Besucher zu zählen war neu.", False),
        ("Wie viel kostet das Gerät?", "Seit Juni 2024 Euro-Preise.", False),
        # hunt15: after a month, the counted noun makes it a count of that month.
        ("Wie viele Touristen kamen im Mai?", "Wendorf zählte im Mai 1400 Touristen.", True),
        ("Wie viele Touristen kamen im Mai?", "Wendorf zählte im Mai 2025 mehr Gäste.", False),
        ("Wie viel kostet das Gerät?", "Es kam im Mai 2025 Euro-weit auf den Markt.", False),
        ("Wie viel kostet das Gerät?", "Das Gerät kam 2019 auf den Markt.", False),
        ("How much gas does Europe buy?", "The 2024 budget was passed.", False),
        # An adjective asking for a measure wants that measure (HUNT M3, M4): a weight, an
        # age, a price, a distance; another quantity, or a duration for an age, does not do.
        ("Wie schwer ist es?", "Das Rad wiegt 23 Kilogramm.", True),
        ("Wie schwer ist es?", "Es hat eine Reichweite von 120 Kilometern.", False),
        ("How heavy is it?", "The bike weighs 23 kg.", True),
        ("Wie teuer ist es?", "Das Rad kostet 2499 Euro.", True),
        ("Wie teuer ist es?", "Der Bau kostet 2,5 Millionen Euro.", True),
        ("How expensive is it?", "It costs $1299.", True),
        ("Wie teuer ist es?", "Es wiegt 23 Kilogramm.", False),
        ("Wie weit fährt es?", "Es hat eine Reichweite von 120 Kilometern.", True),
        ("How far can it go?", "It weighs 23 kilograms.", False),
        ("Wie alt ist Schoigu?", "Schoigu ist 69 Jahre alt.", True),
        ("Wie alt ist Schoigu?", "Der 69-jährige Schoigu reiste nach Pjöngjang.", True),
        ("Wie alt ist Schoigu?", "Sergej Schoigu (69) reiste nach Pjöngjang.", True),
        ("Wie alt ist Schoigu?", "Sein zweiter Besuch in weniger als drei Monaten.", False),
        ("Wie alt ist Schoigu?", "Schoigu wurde 1955 geboren.", False),  # a year, not an age
        ("How old is Shoigu?", "Shoigu, a 69-year-old, travelled.", True),
        ("How old is Shoigu?", "His second visit in less than three months.", False),
        # The question's own number is no answer.
        ("Wie alt war er 2022 mit 60 Jahren?", "Mit 60 Jahren trat er an.", False),
        # A price of nothing answers a price question (hunt15: "Der Eintritt ist frei."
        # abstained); "frei" as what something is, not an attribute ("freie Wahlen").
        ("Wie viel kostet der Eintritt zum Bürgerfest?", "Der Eintritt ist frei.", True),
        ("Was kostet die Fahrt?", "Die Fahrt ist für Kinder kostenlos.", True),
        ("Wie teuer ist das Konzert?", "Der Besuch bleibt gratis.", True),
        ("How much does admission cost?", "Admission is free.", True),
        ("How much does admission cost?", "The event is free of charge.", True),
        ("Wie viel kostet der Eintritt?", "Es gab freie Wahlen.", False),
        ("Wie viel kostet der Eintritt?", "Am 4. Juni folgt ein Bürgerfest mit Musik.", False),
        ("Wie alt ist er?", "Er ist frei.", False),
        # quality16: "Wie lange ...?" asks a duration, by its length or its start or end;
        # another quantity ("84 Meter lang") or a year alone does not do.
        ("Wie lange wurde gebaut?", "Nach drei Jahren Bauzeit ist sie frei.", True),
        ("Wie lange dauerte es?", "Sie kämpften mehr als sechs Stunden.", True),
        ("Wie lange war sie gesperrt?", "Sie war bis Donnerstagmittag gesperrt.", True),
        ("Wie lange ist er im Amt?", "Er ist seit 2019 im Amt.", True),
        ("Wie lange wurde gebaut?", "Die Brücke ist 84 Meter lang.", False),
        ("Wie lange wurde gebaut?", "Die alte Brücke von 1956 wurde 2021 gesperrt.", False),
        ("Wie lange staute es sich?", "Es staute sich auf bis zu zwölf Kilometer.", False),
    ],
)
def test_a_number_question_needs_a_fitting_quantity(
    question: str, sentence: str, holds: bool
) -> None:
    assert holds_asked_quantity(question, sentence) is holds


def test_the_number_cue_of_a_measure_question_is_that_measure() -> None:
    """The scoring cue of "Wie teuer ist es?" is a price, not any number: the weight
    sentence came first for it (HUNT M3)."""
    weight, price = "Das Rad wiegt 23 Kilogramm.", "Das Rad kostet 2499 Euro."
    assert not fits_answer_type("Wie teuer ist es?", weight, "number")
    assert fits_answer_type("Wie teuer ist es?", price, "number")
    assert fits_answer_type("Wie viele Räder gibt es?", weight, "number")  # any number


@pytest.mark.parametrize(
    "question",
    [
        "Wie viel kostete die Brücke?",
        "Wieviel kostet das Ticket?",
        "Was kostete die neue Fähre?",
        "How much did the bridge cost?",
        # The verb in the perfect or after a modal, ending the question (hunt15).
        "Was hat die Brücke gekostet?",
        "Was wird die neue Fähre kosten?",
        "What did the bridge cost?",
    ],
)
def test_a_question_asking_a_price_by_its_verb_wants_a_price(question: str) -> None:
    """ "Wie viel kostete ...?" is answered by "12 Millionen Euro", not by the opening
    sentence's "nach drei Jahren Bauzeit" (hunt13, answer11)."""
    opened, price = "Sie wurde nach drei Jahren eröffnet.", "Sie kostete 12 Millionen Euro."
    assert expected_answer_type(question) == "number"
    assert not fits_answer_type(question, opened, "number")
    assert fits_answer_type(question, price, "number")
    assert holds_asked_quantity(question, "Die Kosten lagen bei 25 Mio. Euro.")


def test_costs_named_not_asked_are_no_number_question() -> None:
    assert expected_answer_type("Was haben die Kosten bewirkt?") is None
    assert expected_answer_type("What did the cost include?") is None


def test_a_cost_verb_counting_something_else_asks_any_number() -> None:
    """ "Wie viele Leben kostete ...?" counts lives: no price wanted."""
    question = "Wie viele Leben kostete der Sturm?"
    assert fits_answer_type(question, "Der Sturm tötete drei Menschen.", "number")


@pytest.mark.parametrize(
    "question",
    ["Was waren die Kosten der Brücke?", "Wie hoch waren die Kosten?", "Was ist der Preis?"],
)
def test_a_noun_naming_the_measure_asks_for_it(question: str) -> None:
    # issue 16 hunt: "Kosten" and "kostete" share no stem; the price is what is asked.
    assert fits_answer_type(question, "Das Bauwerk kostete 7,5 Millionen Euro.", "number")
    assert not fits_answer_type(question, "Die Brücke ist 120 Meter lang.", "number")


def test_a_price_of_nothing_fits_the_number_cue_of_a_price() -> None:
    """hunt15: "Der Eintritt ist frei." answers "Wie viel kostet der Eintritt?" (the cases:
    above)."""
    free, length = "Der Eintritt ist frei.", "Die Brücke ist 320 Meter lang und 14,8 m breit."
    assert fits_answer_type("Wie viel kostet der Eintritt?", free, "number")
    assert not fits_answer_type("Wie viel kostet der Eintritt?", length, "number")
