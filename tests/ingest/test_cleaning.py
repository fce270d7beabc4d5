"""Cleaning masks boilerplate in a same-length view, so offsets never need mapping back."""

import pytest

from qa_service.ingest.cleaning import clean_text
from qa_service.ingest.segmentation import segment_article


def sentence_texts(text: str) -> list[str]:
    return [text[s.start : s.end] for s in segment_article(text).sentences]


def sentence_kinds(text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.kind) for s in segment_article(text).sentences]


def test_view_has_the_length_of_the_text_and_keeps_real_words() -> None:
    text = "Details\t\nOrt\tBrüssel\n\nDer Satz <b>bleibt</b>.\n© 2025 Verlag\n"
    layout = clean_text(text)
    assert len(layout.view) == len(text)
    assert "Brüssel" not in layout.view
    assert "<b>" not in layout.view and "Verlag" not in layout.view
    assert layout.view.index("Der Satz") == text.index("Der Satz")


@pytest.mark.parametrize(
    "boilerplate",
    [
        'Quellen\t<ul style="list-style-type: none">• www.a.de• www.b.de• de.c.com',
        '<ul style="list-style-type: none">• www.a.de• www.b.de',
        "Ort\tBrüssel, Belgien",
        "Details\t",
        "Besuchen Sie uns auf: n-ag.net",
        "Folgen Sie uns auf Instagram und X",
        "Mehr zum Thema",
        "© 2025 Beispiel Verlag GmbH",
        "https://www.example.com/artikel/123",
        "www.tagesspiegel.de • www.bmvg.de",
        "<script>var satz = 'Kein Satz.';</script>",
        # facts-box lines whose value ends in an abbreviation or holds one
        "Stand\t4. Juni 2025",
        "Autor\tDr. Müller",
        "Quelle\tdpa, AFP",
        "Einwohner\tca. 3,6 Mio.",
        "Gründung\t1. Jan.",
        "Sitz\tFrankfurt a.M.",
        "Kategorie\tPolitik, Ausland etc.",
        # a facts box of several lines (not a table, cleaning._table_rows): seed 002's of
        # words, one with a single line of figures, one of dates
        'Details\t\nVorfall\tSonstiges\nOrt\tBrüssel, Belgien\nQuellen\t<ul style="x">• www.a.de',
        "Ort\tBrüssel\nEinwohner\tca. 1,2 Mio.\nSprache\tFranzösisch, Niederländisch",
        "Stand\t4. Juni 2025\nAktualisiert\t05.06.2025, 10:30 Uhr",  # dates are no figures
        # photo captions, found by their credit: the seed's (who is in the picture, a quote,
        # the credit), and other forms
        "Verteidigungsminister Boris Pistorius (l., SPD) mit seinem ukrainischen Amtskollegen "
        'Rustem Umjerow: "Ukrainische Drohnen haben das Gefechtsfeld verändert." '
        "(Quelle: Virginia Mayo)",
        "Friedrich Merz (M.) im Bundestag (Foto: dpa)",
        "Friedrich Merz im Bundestag. Foto: Kay Nietfeld/dpa",
        "Foto: Kay Nietfeld/dpa",
        "The chancellor in Berlin (Photo: Reuters)",
    ],
)
def test_boilerplate_lines_never_become_sentences(boilerplate: str) -> None:
    text = f"Der Minister reiste ab.\n\n{boilerplate}\n\nDie Gespräche gehen weiter."
    assert sentence_texts(text) == ["Der Minister reiste ab.", "Die Gespräche gehen weiter."]


@pytest.mark.parametrize(
    "prose",
    [
        "Bürgermeisterin\tJana Deich rief den Katastrophenfall aus. Seit Montag helfen 120 Kräfte.",
        "Der See in Seehausen ist 12 Meter tief.\t",
        "Fazit\tDas Treffen endete ohne Einigung.",
    ],
)
def test_prose_with_a_tab_is_not_a_facts_box_line(prose: str) -> None:
    """A tab inside prose (pasted tables, stray keys) must not drop its sentences."""
    text = f"Der Minister reiste ab.\n\n{prose}\n\nDie Gespräche gehen weiter."
    words = prose.split("\t")[-1].split() or prose.split()
    kept = " ".join(sentence_texts(text))
    assert words[-1] in kept and "Die Gespräche gehen weiter." in kept


def test_embedded_link_list_is_masked_mid_line() -> None:
    text = 'Mehr dazu lesen. <ul style="none">• www.a.de• www.b.de\n\nNächster Satz.'
    assert sentence_texts(text) == ["Mehr dazu lesen.", "Nächster Satz."]


def test_leading_date_token_is_masked_and_headline_stays_a_heading() -> None:
    text = " date 2025-06 Newsblog zum Krieg\n\nDer erste Satz."
    sentences = segment_article(text).sentences
    assert [(text[s.start : s.end], s.kind) for s in sentences] == [
        ("Newsblog zum Krieg", "heading"),
        ("Der erste Satz.", "body"),
    ]


def test_markdown_markers_are_outside_the_sentence_span() -> None:
    text = "# Große Überschrift\n\n- Erster Punkt der Liste.\n* Zweiter Punkt\n\n> Ein Zitat."
    sentences = segment_article(text).sentences
    assert [(text[s.start : s.end], s.kind) for s in sentences] == [
        ("Große Überschrift", "heading"),
        ("Erster Punkt der Liste.", "body"),
        ("Zweiter Punkt", "body"),
        ("Ein Zitat.", "body"),
    ]


def test_mid_sentence_paragraph_break_is_bridged() -> None:
    text = (
        "Das Treffen wird von den Ministern geleitet. Insbesondere unter dem Druck des "
        "andauernden Konflikts mit\n\nRussland sind die Minister entschlossen. Danach folgt mehr."
    )
    assert sentence_texts(text) == [
        "Das Treffen wird von den Ministern geleitet.",
        "Insbesondere unter dem Druck des andauernden Konflikts mit\n\n"
        "Russland sind die Minister entschlossen.",
        "Danach folgt mehr.",
    ]


def test_lowercase_continuation_after_a_short_fragment_is_bridged() -> None:
    text = "Die nationalen Planungsziele\n\nfür Deutschland werden angenommen."
    assert sentence_texts(text) == [text]


def test_short_lines_standing_alone_are_headings_not_sentence_starts() -> None:
    text = (
        "Mittwoch, 4. Juni\n\nUkraine setzt auf Waffenproduktion im Ausland\n\n"
        "Die Regierung setzt auf Produktion im Ausland. Das sagte der Minister."
    )
    sentences = segment_article(text).sentences
    assert [(text[s.start : s.end], s.kind) for s in sentences] == [
        ("Mittwoch, 4. Juni", "heading"),
        ("Ukraine setzt auf Waffenproduktion im Ausland", "heading"),
        ("Die Regierung setzt auf Produktion im Ausland.", "body"),
        ("Das sagte der Minister.", "body"),
    ]


def test_heading_directly_above_its_paragraph_stands_alone() -> None:
    text = "Aktuelle Frontlage\nDer Generalstab berichtet von 134 Vorstößen an der Front."
    sentences = segment_article(text).sentences
    assert [s.kind for s in sentences] == ["heading", "body"]
    assert text[sentences[0].start : sentences[0].end] == "Aktuelle Frontlage"


def test_hard_wrapped_paragraph_stays_one_sentence() -> None:
    text = (
        "Die ukrainische Regierung setzt für den Nachschub an Waffen und\n"
        "Munition auf verstärkte Produktion gemeinsam mit den europäischen\n"
        "Partnern."
    )
    assert sentence_texts(text) == [text]


def test_markdown_link_syntax_is_masked_but_the_span_stays_exact() -> None:
    text = "Laut [Tagesspiegel](https://www.tagesspiegel.de/x) kam er. ![Bild](a.png)"
    assert sentence_texts(text) == ["Laut [Tagesspiegel](https://www.tagesspiegel.de/x) kam er."]


@pytest.mark.parametrize(
    "text",
    ["", "   \n\n\t ", "Besuchen Sie uns auf: n-ag.net\n© 2025 Verlag\nwww.example.com"],
)
def test_empty_or_all_boilerplate_text_gives_empty_segmentation(text: str) -> None:
    segmentation = segment_article(text)
    assert segmentation.sentences == []
    assert segmentation.chunks == []


def test_fenced_code_is_not_article_text() -> None:
    text = (
        'Die Brauerei öffnet am Freitag.\n\n```python\nprint("Die Brauerei schließt am Montag.")\n'
        "```\n\nSie liegt am Markt."
    )
    assert sentence_texts(text) == ["Die Brauerei öffnet am Freitag.", "Sie liegt am Markt."]
    unclosed = "Ein Satz.\n\n```\nNoch ein Satz."  # no closing fence: left as text
    assert sentence_texts(unclosed)[-1].endswith("Noch ein Satz.")


@pytest.mark.parametrize(
    "prose",
    [
        "Die Preise stiegen um 3 Prozent (Quelle: Destatis).",  # a source cited in prose
        "Bild: Merz will mehr Geld für die Bundeswehr ausgeben.",  # the newspaper, quoted
        "Fotos zeigen: Der Damm ist gebrochen.",
        "Der Fotograf sagte: Das Bild ist echt.",
    ],
)
def test_prose_mentioning_a_photo_or_source_stays(prose: str) -> None:
    text = f"Der Minister reiste ab.\n\n{prose}\n\nDie Gespräche gehen weiter."
    assert sentence_texts(text) == ["Der Minister reiste ab.", prose, "Die Gespräche gehen weiter."]


def test_a_long_line_ending_in_a_credit_keeps_its_prose() -> None:
    prose = "Der Minister sprach über die Lage. " * 12
    text = f"{prose}(Quelle: dpa)\n\nDanach ging er."
    sentences = sentence_texts(text)
    assert sentences[-1] == "Danach ging er." and len(sentences) == 13
    assert not any("Quelle" in s for s in sentences)


def test_the_seed_caption_is_not_a_sentence(seed_texts: dict[str, str]) -> None:
    text = seed_texts["000_23aad25e3376c29a"]
    sentences = sentence_texts(text)
    assert not any("Virginia Mayo" in s or "(l., SPD)" in s for s in sentences)
    assert any("Ukrainische Drohnen haben das Gefechtsfeld verändert" in s for s in sentences)


TABLE = (
    "Wahlergebnis\tGemeinde Tannau\n\nCDU\t41,2 %\nSPD\t22,7 %\nGrüne\t15,1 %\n\n"
    "Die Wahlbeteiligung lag bei 63 Prozent. Bürgermeister Ulf Tann (CDU) wurde wiedergewählt."
)


def test_a_tab_separated_table_is_indexed_row_by_row() -> None:
    """hunt15: every "key<TAB>value" line was masked as a facts box, so a results table pasted
    as plain text lost all its rows: each row is now a sentence of its own, as a Markdown or
    HTML table's row is."""
    assert sentence_texts(TABLE) == [
        "Wahlergebnis\tGemeinde Tannau",
        "CDU\t41,2 %",
        "SPD\t22,7 %",
        "Grüne\t15,1 %",
        "Die Wahlbeteiligung lag bei 63 Prozent.",
        "Bürgermeister Ulf Tann (CDU) wurde wiedergewählt.",
    ]
    # Three columns, aligned with several tabs, under a header row without digits.
    table = "Partei\t\tStimmen\tAnteil\nCDU\t\t812\t41,2 %\nSPD\t\t448\t22,7 %"
    assert sentence_texts(f"Die Wahl ist vorbei.\n\n{table}") == [
        "Die Wahl ist vorbei.",
        *table.split("\n"),
    ]


def test_a_numbered_list_in_plain_text_is_read_item_by_item() -> None:
    text = "Der Rat beschloss:\n\n1. Eine Brücke\n\n2. Einen Radweg\n\n1. FC Köln siegt\n\nEnde."
    assert sentence_kinds(text) == [
        ("Der Rat beschloss:", "body"),
        ("1. Eine Brücke", "body"),
        ("2. Einen Radweg", "body"),
        ("1. FC Köln siegt", "heading"),  # a lone number opening a line: a headline
        ("Ende.", "body"),
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        (  # hunt15: the whole line was masked as a footer, its second sentence with it
            "Lesen Sie mehr unter www.example.de. Dort gibt es Details.",
            ["Dort gibt es Details."],
        ),
        (
            "Der Rat tagt.\nFolgen Sie uns auf X. Der Bürgermeister schwieg.\n© 2025 Verlag",
            ["Der Rat tagt.", "Der Bürgermeister schwieg."],
        ),
        ("Folgen Sie uns z. B. auf Instagram. Er kam.", ["Er kam."]),
        ("© 2025 Verlag. Alle Rechte vorbehalten.", []),  # footer sentences, one after another
    ],
)
def test_only_the_footer_sentences_of_a_line_are_masked(text: str, expected: list[str]) -> None:
    sentences = segment_article(text).sentences
    assert [text[s.start : s.end] for s in sentences] == expected
    assert len(clean_text(text).view) == len(text)
