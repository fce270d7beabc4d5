"""Sentence splitting: German abbreviations, ordinals, numbers and quotes, with exact offsets."""

import itertools

import pytest

from qa_service.ingest.segmentation import segment_article
from qa_service.ingest.sentences import _skip_emoji_scan_without_emoji


def sentence_texts(text: str) -> list[str]:
    return [text[s.start : s.end] for s in segment_article(text).sentences]


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Am 4. Juni treffen sich die Minister. Danach reisen sie ab.",
            ["Am 4. Juni treffen sich die Minister.", "Danach reisen sie ab."],
        ),
        (
            "Es gibt z. B. Drohnen. Auch Raketen.",
            ["Es gibt z. B. Drohnen.", "Auch Raketen."],
        ),
        (
            "Fast 1.200 Tage dauert der Krieg. Ein Ende ist nicht in Sicht.",
            ["Fast 1.200 Tage dauert der Krieg.", "Ein Ende ist nicht in Sicht."],
        ),
        (
            "Dr. Müller widersprach. Er blieb.",
            ["Dr. Müller widersprach.", "Er blieb."],
        ),
        (
            "Es kamen ca. 300 Menschen. Viele blieben.",
            ["Es kamen ca. 300 Menschen.", "Viele blieben."],
        ),
        (
            "Betroffen sind u.a. Cherson und Odessa. Beide liegen im Süden.",
            ["Betroffen sind u.a. Cherson und Odessa.", "Beide liegen im Süden."],
        ),
        (
            "Das Ziel ist klar, d. h. mehr Flugabwehr. Die Partner stimmen zu.",
            ["Das Ziel ist klar, d. h. mehr Flugabwehr.", "Die Partner stimmen zu."],
        ),
        (
            "Siehe Nr. 5 der Liste. Dort steht alles.",
            ["Siehe Nr. 5 der Liste.", "Dort steht alles."],
        ),
        (
            "Am 3. Oktober ist Feiertag. Die Ämter sind zu.",
            ["Am 3. Oktober ist Feiertag.", "Die Ämter sind zu."],
        ),
        (
            "Der Vertrag wurde am 12.05.2025 unterzeichnet. Er gilt sofort.",
            ["Der Vertrag wurde am 12.05.2025 unterzeichnet.", "Er gilt sofort."],
        ),
        (
            '"Wir kommen." Danach ging er.',
            ['"Wir kommen."', "Danach ging er."],
        ),
        (
            "„Wir kommen.“ Danach ging er.",
            ["„Wir kommen.“", "Danach ging er."],
        ),
        (
            'Dies zeige: "Die Ukraine gibt nicht auf." Pistorius reiste ab.',
            ['Dies zeige: "Die Ukraine gibt nicht auf."', "Pistorius reiste ab."],
        ),
        (
            "Ist das wahr? Ja! Und dann...",
            ["Ist das wahr?", "Ja!", "Und dann..."],
        ),
        (
            "Die Brücke wird gebaut.[1] Sie kostet 4,2 Mio. Euro[2][3] und ist 2027 fertig.[4]",
            [
                "Die Brücke wird gebaut.[1]",
                "Sie kostet 4,2 Mio. Euro[2][3] und ist 2027 fertig.[4]",
            ],
        ),
        (
            "[1] Am Anfang steht eine Fußnote. Sie bleibt vorn.",
            ["[1] Am Anfang steht eine Fußnote.", "Sie bleibt vorn."],
        ),
        # Found by a black-box bug hunt: superscript markers were not footnotes; after a
        # full stop SoMaJo saw no sentence end at all, and a paragraph ending in one ran on.
        (
            "Die Brücke wird gebaut.¹ Sie kostet 4,2 Mio. Euro²³ und ist 2027 fertig.⁴",
            ["Die Brücke wird gebaut.¹", "Sie kostet 4,2 Mio. Euro²³ und ist 2027 fertig.⁴"],
        ),
        (
            "Der Rat tagt.¹²\nEr beschließt: „Wir bauen.“³ Die Fläche misst 12 km².",
            ["Der Rat tagt.¹²", "Er beschließt: „Wir bauen.“³", "Die Fläche misst 12 km²."],
        ),
        (
            "The U.S. government said Mr. Smith left on Monday. He was e.g. tired. Really?",
            ["The U.S. government said Mr. Smith left on Monday.", "He was e.g. tired.", "Really?"],
        ),
    ],
)
def test_german_edge_cases_split_where_a_reader_would(text: str, expected: list[str]) -> None:
    assert sentence_texts(text) == expected


def test_offsets_are_exact_in_untouched_text() -> None:
    text = "\n\n  Erster Satz steht hier.   Zweiter Satz folgt!\n\nDritter Satz?  \n"
    sentences = segment_article(text).sentences
    assert [(s.start, s.end) for s in sentences] == [(4, 27), (30, 49), (51, 64)]
    assert [text[s.start : s.end] for s in sentences] == [
        "Erster Satz steht hier.",
        "Zweiter Satz folgt!",
        "Dritter Satz?",
    ]


def test_decomposed_umlauts_keep_offsets_in_the_raw_text() -> None:
    """SoMaJo normalises to NFC internally; offsets must still point into the raw text."""
    text = "Die Bru\u0308cke ist zersto\u0308rt. Die Reparatur dauert."
    assert sentence_texts(text) == ["Die Bru\u0308cke ist zersto\u0308rt.", "Die Reparatur dauert."]


def test_sentences_are_ordered_trimmed_and_disjoint() -> None:
    text = "A sagt: Gut. B sagt: Schlecht.\n\nC sagt nichts. D fragt: Warum?"
    sentences = segment_article(text).sentences
    assert len(sentences) == 4
    for before, after in itertools.pairwise(sentences):
        assert before.end <= after.start
    for s in sentences:
        assert not text[s.start].isspace() and not text[s.end - 1].isspace()


def test_emoji_speed_up_does_not_change_somajo_output() -> None:
    from somajo import SoMaJo

    def tokens(splitter: SoMaJo, text: str) -> list[list[tuple[str, object]]]:
        return [
            [(t.text, t.character_offset) for t in sentence]
            for sentence in splitter.tokenize_text([text])
        ]

    plain = SoMaJo("de_CMC", split_camel_case=False, split_sentences=True, character_offsets=True)
    fast = SoMaJo("de_CMC", split_camel_case=False, split_sentences=True, character_offsets=True)
    _skip_emoji_scan_without_emoji(fast)
    for text in ["Super 👍🏽 gemacht:-) Weiter so!", "Am 4. Juni kamen ca. 1.200 Leute. Gut."]:
        assert tokens(fast, text) == tokens(plain, text)


@pytest.mark.parametrize(
    "mark",
    ["🎉", "🎉🎉", "👍🏽 🎉", "👨‍👩‍👧", "🇩🇪", "❤️", "1️⃣", "✅", "→", "•", "■", "★★★★☆"],
)
@pytest.mark.parametrize("end", [".", "!", ".“", "…"])
def test_a_symbol_after_a_sentence_end_falls_between_two_sentences(mark: str, end: str) -> None:
    # Found by a black-box bug hunt: "Das ist gut. 🎉 Dann kam ..." quoted "Das ist gut. 🎉",
    # and after "→" or "•" no sentence ended at all.
    opening = "„" if end.endswith("“") else ""
    first = f"{opening}Die Stadt hat gewählt{end}"
    second = "Dann kam der Regen über das Tal."
    text = f"{first} {mark} {second} Danach schien die Sonne."
    sentences = segment_article(text).sentences
    assert [text[s.start : s.end] for s in sentences] == [
        first,
        second,
        "Danach schien die Sonne.",
    ]
    # The symbols stay in the article and in the chunk that spans both sentences.
    chunks = segment_article(text).chunks
    assert any(mark in text[c.start : c.end] for c in chunks)


def test_symbols_inside_a_sentence_stay_in_it() -> None:
    text = "Wir feiern 🎉 heute im Park. Der Preis stieg → auf 5 € pro Karte. Gut 👍."
    assert sentence_texts(text) == [
        "Wir feiern 🎉 heute im Park.",
        "Der Preis stieg → auf 5 € pro Karte.",
        "Gut 👍.",
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        (  # found by a black-box bug hunt: SoMaJo reads "45." before a capital as an ordinal
            "Die Zahl der Toten stieg auf 45. Die Polizei sucht weiter.",
            ["Die Zahl der Toten stieg auf 45.", "Die Polizei sucht weiter."],
        ),
        (  # a score, a decimal or a thousands group is never an ordinal
            "Das Derby endete 2:1. Trainer Stamm lobte die Elf.",
            ["Das Derby endete 2:1.", "Trainer Stamm lobte die Elf."],
        ),
        (
            "Die Quote lag bei 3,5. Das ist wenig.",
            ["Die Quote lag bei 3,5.", "Das ist wenig."],
        ),
        (
            "Am Ende waren es 1.200. Sie kamen aus ganz Europa.",
            ["Am Ende waren es 1.200.", "Sie kamen aus ganz Europa."],
        ),
        (
            "The death toll rose to 45. The police are still searching.",
            ["The death toll rose to 45.", "The police are still searching."],
        ),
        (  # ordinals stay: a noun, a month or a name follows them
            "Er traf in der 7. Minute und am 3. Juni beim 1. FC Köln zum 2. Mal.",
            ["Er traf in der 7. Minute und am 3. Juni beim 1. FC Köln zum 2. Mal."],
        ),
        (  # a numbered list item keeps its number
            "1. Die Steuer sinkt.",
            ["1. Die Steuer sinkt."],
        ),
    ],
)
def test_a_sentence_ending_in_a_number_ends_there(text: str, expected: list[str]) -> None:
    assert sentence_texts(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        (  # hunt15: SoMaJo reads "°C." and "Mio." before a capital as abbreviations going on
            "Die Temperatur lag bei 30 °C. Es war heiß.",
            ["Die Temperatur lag bei 30 °C.", "Es war heiß."],
        ),
        (
            "Die Kosten liegen bei 3 Mio. Das ist viel.",
            ["Die Kosten liegen bei 3 Mio.", "Das ist viel."],
        ),
        (
            "Der Bau kostet 2,5 Mrd. In Berlin wäre er teurer.",
            ["Der Bau kostet 2,5 Mrd.", "In Berlin wäre er teurer."],
        ),
        (  # a footnote marker after the unit's full stop stays with its sentence
            "Es waren 12 Mio.¹ Die Rücklage steigt.",
            ["Es waren 12 Mio.¹", "Die Rücklage steigt."],
        ),
        (  # the unit's noun, or any other, goes on the sentence
            "Die Kosten liegen bei 3 Mio. Euro. Das ist viel.",
            ["Die Kosten liegen bei 3 Mio. Euro.", "Das ist viel."],
        ),
        (
            "Das Museum hatte 5 Mio. Besucher und 2,5 Mio. Euro Umsatz.",
            ["Das Museum hatte 5 Mio. Besucher und 2,5 Mio. Euro Umsatz."],
        ),
    ],
)
def test_a_sentence_ending_in_an_abbreviated_unit_ends_there(
    text: str, expected: list[str]
) -> None:
    assert sentence_texts(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        (  # hunt15: "Dresden." was a sentence of its own, cited for "mayor of Dresden?"
            "Dresden. Dynamo hat das Derby gewonnen. Kühn traf zweimal.",
            ["Dresden. Dynamo hat das Derby gewonnen.", "Kühn traf zweimal."],
        ),
        ("DRESDEN (dpa). Der Rat tagt.", ["DRESDEN (dpa). Der Rat tagt."]),
        ("Frankfurt am Main. Die Börse schloss.", ["Frankfurt am Main. Die Börse schloss."]),
        ("St. Gallen. Der Rat tagt.", ["St. Gallen. Der Rat tagt."]),
        ("Halle, 04.06.2025. Der Rat tagt.", ["Halle, 04.06.2025. Der Rat tagt."]),
        (  # only a paragraph's first sentence is a dateline, and only before another
            "Er kam aus Dresden. Dort blieb er.\n\nDresden.",
            ["Er kam aus Dresden.", "Dort blieb er.", "Dresden."],
        ),
        ("Er kam. Dresden. Der Rat tagt.", ["Er kam.", "Dresden.", "Der Rat tagt."]),
        ("Das Derby. Es war toll.", ["Das Derby.", "Es war toll."]),  # an article: no place
    ],
)
def test_a_dateline_opens_the_lead_sentence(text: str, expected: list[str]) -> None:
    assert sentence_texts(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        (  # hunt15: "auf 45." counts, so no ordinal's noun follows it
            "Die Zahl stieg auf 45. Rettungskräfte suchen weiter.",
            ["Die Zahl stieg auf 45.", "Rettungskräfte suchen weiter."],
        ),
        ("Es kamen rund 300. Viele blieben.", ["Es kamen rund 300.", "Viele blieben."]),
        (  # after a noun inside the sentence (XQuAD-de: "als Interstate 9. Derzeit ...")
            "Sie belegte Platz 3. Trainer Müller war zufrieden.",
            ["Sie belegte Platz 3.", "Trainer Müller war zufrieden."],
        ),
        (  # ordinals stay: after a determiner, a conjunction, opening a sentence, a month
            "Jeder 3. Deutsche ist betroffen. Im 17. und 18. Jahrhundert blühte sie.",
            ["Jeder 3. Deutsche ist betroffen.", "Im 17. und 18. Jahrhundert blühte sie."],
        ),
        ("Sie gilt ab Platz 1. Januar ist egal.", ["Sie gilt ab Platz 1. Januar ist egal."]),
        ("Es stieg auf 3. Juni war der Tag.", ["Es stieg auf 3. Juni war der Tag."]),
    ],
)
def test_a_number_that_counts_ends_its_sentence(text: str, expected: list[str]) -> None:
    sentences = segment_article(text).sentences
    assert [text[s.start : s.end] for s in sentences] == expected
