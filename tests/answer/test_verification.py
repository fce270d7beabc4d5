"""The verifier against spans from the seed articles, with the real embedder."""

import pytest

from qa_service.answer.language import Language
from qa_service.answer.verification import (
    Verifier,
    markers,
    months,
    names,
    negated,
    numbers,
    spelled_alike,
    stray_letters,
    strip_markers,
)
from tests.helpers.lighthouses import NORDMARK, Q_COST, SUEDEROOG

SPANS = {
    1: "Umjerow, der gemeinsam mit Verteidigungsminister Boris Pistorius (SPD) und dem "
    "britischen Ressortchef John Healey über Ergebnisse des Treffens berichtete, sagte: "
    '"Wir werden Drohnen, Raketen, Munition und andere Waffen zusammen bauen."',
    2: "Schoigus Besuch am Mittwoch, 4. Juni 2025, ist sein zweiter in Pjöngjang in weniger "
    "als drei Monaten. Rund 1.200 Soldaten und 30 Prozent der Munition gingen nach Russland.",
}


@pytest.fixture(scope="module")
def verifier(embedder) -> Verifier:  # type: ignore[no-untyped-def]
    return Verifier(embedder)


def test_numbers_are_normalised() -> None:
    assert numbers("30 % und 1.200 Soldaten") == numbers("30 Prozent und 1200 Soldaten")
    assert numbers("1,200 troops") == {"1200"}
    assert numbers("2,5 Millionen") == numbers("2.5 million") == {"2.5"}
    assert numbers("drei Monate") == {"3"}
    assert months("4. Juni") == months("June 4") == {6}


def test_names_skip_function_words_and_openers() -> None:
    assert names("Laut dem Bericht traf Boris Pistorius in London John Healey.") == [
        "Boris",
        "Pistorius",
        "London",
        "John",
        "Healey",
    ]
    assert names("Der Minister kam.") == ["Minister"]


def test_markers() -> None:
    assert markers("Er kam [1] und ging [2, 3].") == [1, 2, 3]
    assert strip_markers("Er kam [1] . Ja [2]") == "Er kam. Ja"


def test_supported_sentence_is_kept(verifier: Verifier) -> None:
    verdict = verifier.verify(
        "Schoigu war am 4. Juni 2025 zum zweiten Mal in drei Monaten in Pjöngjang [2].",
        SPANS,
        "de",
    )
    assert verdict.verified, verdict
    assert verdict.citations == (2,)
    assert verdict.text.endswith("zum zweiten Mal in drei Monaten in Pjöngjang.")


def test_normalised_facts_are_found(verifier: Verifier) -> None:
    verdict = verifier.verify(
        "Etwa 1200 Soldaten und 30 % der Munition gingen nach Russland [2].", SPANS, "de"
    )
    assert verdict.verified, verdict


def test_inflected_names_are_found(verifier: Verifier) -> None:
    verdict = verifier.verify(
        "Umjerow berichtete mit Pistorius und Healey über die Ergebnisse des Treffens [1].",
        SPANS,
        "de",
    )
    assert verdict.verified, verdict


def test_wrong_date_is_dropped(verifier: Verifier) -> None:
    verdict = verifier.verify("Schoigu war am 5. Juni 2025 in Pjöngjang [2].", SPANS, "de")
    assert not verdict.verified and verdict.reason == "number 5"


def test_wrong_month_is_dropped(verifier: Verifier) -> None:
    verdict = verifier.verify("Schoigu war am 4. Juli 2025 in Pjöngjang [2].", SPANS, "de")
    assert not verdict.verified and verdict.reason == "month"


def test_a_name_not_in_the_cited_span_is_dropped(verifier: Verifier) -> None:
    # Healey is in span 1, not in the span this sentence cites.
    verdict = verifier.verify("Healey war in Pjöngjang [2].", SPANS, "de")
    assert not verdict.verified and verdict.reason == "name Healey"
    assert verifier.verify("Scholz baut Drohnen und Raketen [1].", SPANS, "de").reason == (
        "name Scholz"
    )


def test_marker_to_a_missing_span_is_removed(verifier: Verifier) -> None:
    dropped = verifier.verify("Schoigu war in Pjöngjang [7].", SPANS, "de")
    assert not dropped.verified and dropped.reason == "no_citation" and dropped.citations == ()
    kept = verifier.verify("Schoigu war in Pjöngjang [7][2].", SPANS, "de")
    assert kept.verified and kept.citations == (2,)


def test_sentence_without_marker_is_unsupported(verifier: Verifier) -> None:
    verdict = verifier.verify("Schoigu war in Pjöngjang.", SPANS, "de")
    assert not verdict.verified and verdict.reason == "no_citation"


def test_meaning_must_be_close(embedder) -> None:  # type: ignore[no-untyped-def]
    # Every word is in span 1: only similarity can tell (here: too strict a threshold).
    sentence = "Umjerow sagte, Munition und Waffen werden zusammen gebaut [1]."
    strict = Verifier(embedder, min_similarity=0.99).verify(sentence, SPANS, "de")
    assert not strict.verified and strict.reason == "similarity"
    assert strict.similarity is not None and strict.similarity < 0.99


def test_english_answer_over_german_span(verifier: Verifier) -> None:
    verdict = verifier.verify(
        "Shoigu's visit on 4 June 2025 was his second to Pjöngjang in three months [2].",
        SPANS,
        "en",
    )
    # "Shoigu" is the English spelling of the span's "Schoigus" (HUNT7 L2): found; "months"
    # is English and in no span nor question, so not verified.
    assert not verdict.verified and verdict.reason == "word months", verdict
    # Its other words are English, so they must come from the question (see test_h1 below).
    sentence = "Schoigu visited Pjöngjang on 4 June 2025, his second visit in three months [2]."
    question = "When did Schoigu visit Pjöngjang for the second time in three months?"
    verdict = verifier.verify(sentence, SPANS, "en", question)
    assert verdict.verified, verdict
    assert verifier.verify(sentence, SPANS, "en").reason == "word months"


# HUNT7 H1: LLM replies that negate or add to the span they cite, each planted as the reply.
BROWDI = (
    "Selenskyj hat zudem Oleh Apostol zum Chef der Fallschirmjägertruppen ernannt und Robert "
    "Browdi als Chef der Drohnentruppen eingesetzt."
)
STAFF = (
    "Der Generalstab in Kiew berichtet von 134 russischen Vorstößen, wobei besonders Pokrowsk "
    "und das Grenzgebiet zu Sumy im Fokus der Angriffe stehen."
)
REFUSAL = "Oleh Apostol wurde nicht zum Chef der Drohnentruppen ernannt, sagte Selenskyj."
H1_SPANS = {1: BROWDI, 5: STAFF, 6: REFUSAL}
Q_DE = "Wer wurde zum Chef der Drohnentruppen ernannt?"
Q_EN = "Who was appointed head of the drone forces?"
APPOINTED = "Selenskyj hat zudem Robert Browdi als Chef der Drohnentruppen eingesetzt"


@pytest.mark.parametrize(
    ("question", "sentence", "reason"),
    [
        (Q_DE, "Robert Browdi wurde nicht zum Chef der Drohnentruppen ernannt. [1]", "negation"),
        (Q_DE, "Selenskyj hat Robert Browdi niemals als Chef der Drohnentruppen eingesetzt. [1]",
         "negation"),
        (Q_DE, "Robert Browdi wurde kein Chef der Drohnentruppen. [1]", "negation"),
        (Q_EN, "Robert Browdi wasn't appointed head of the drone forces. [1]", "negation"),
        (Q_DE, "Oleh Apostol wurde zum Chef der Drohnentruppen ernannt, sagte Selenskyj. [6]",
         "negation"),
        (Q_DE, "selenskyj hat zudem olaf scholz als chef der drohnentruppen eingesetzt. [1]",
         "word olaf"),
        (Q_DE, f"{APPOINTED}, nachdem der krieg beendet wurde. [1]", "word beendet"),
        (Q_DE, f"{APPOINTED} [1]; außerdem wurde er verhaftet.", "word verhaftet"),
        (Q_DE, f"{APPOINTED} und zweihundert soldaten entlassen. [1]", "word entlassen"),
        (Q_DE, "Robert Browdi meldete 134 russische Vorstöße. [1][5]", "number 134"),
        (Q_DE, "Selenskyj hat Robert Browdi als Chef der Drohnentruppen eingesetzt, weil es 134 "
         "russische Vorstöße gab. [1][5]", "number 134"),
        (Q_EN, "Robert Browdi was dismissed as head of the drone forces. [1]", "word dismissed"),
        (Q_EN, "Robert Browdi was appointed head of the drone forces by the president of france. "
         "[1]", "word france"),
    ],
)  # fmt: skip
def test_h1_claims_beyond_the_span_are_dropped(
    verifier: Verifier, question: str, sentence: str, reason: str
) -> None:
    verdict = verifier.verify(sentence, H1_SPANS, "de", question)
    assert not verdict.verified and verdict.reason == reason, verdict


@pytest.mark.parametrize(
    ("question", "sentence", "citations"),
    [
        (Q_DE, "Robert Browdi wurde zum Chef der Drohnentruppen ernannt. [1]", (1,)),
        (Q_DE, f"{APPOINTED}. [1]", (1,)),
        (Q_DE, f"Laut dem Bericht {APPOINTED[:-10].replace('hat zudem', 'hat')} eingesetzt. [1]",
         (1,)),
        (Q_DE, "Zudem wurde Oleh Apostol Chef der Fallschirmjägertruppen. [1]", (1,)),
        (Q_DE, "Oleh Apostol wurde nicht zum Chef der Drohnentruppen ernannt. [6]", (6,)),
        (Q_EN, "Robert Browdi was appointed head of the drone forces. [1]", (1,)),
        # The span that supports it all is kept, the other marker dropped.
        (Q_DE, "Der Generalstab in Kiew berichtet von 134 russischen Vorstößen. [1][5]", (5,)),
        (Q_DE, "Der Generalstab berichtet nicht nur von 134 Vorstößen, sondern auch von "
         "Angriffen auf Pokrowsk. [5]", (5,)),
    ],
)  # fmt: skip
def test_faithful_sentences_are_kept(
    verifier: Verifier, question: str, sentence: str, citations: tuple[int, ...]
) -> None:
    verdict = verifier.verify(sentence, H1_SPANS, "de", question)
    assert verdict.verified and verdict.citations == citations, verdict


def test_negation_words() -> None:
    assert negated("Er kam nicht.") and negated("They didn't come.") and negated("Kein Wort.")
    assert not negated("Nicht nur er kam.") and not negated("Not only he came.")


# HUNT7 L2: an English answer names people and places as English writes them.
@pytest.mark.parametrize(
    ("sentence", "span"),
    [
        ("Zelensky appointed Robert Browdi head of the drone forces. [1]", 1),
        ("Zelenskyy appointed Robert Brovdi head of the drone forces. [1]", 1),
        ("Der Generalstab in Kyiv berichtet von 134 russischen Vorstößen. [5]", 5),
        ("Shoigu's visit to Pjöngjang on 4 June 2025 was his second in three months. [2]", 2),
    ],
)
def test_english_spellings_of_german_names_are_found(
    verifier: Verifier, sentence: str, span: int
) -> None:
    spans = {**SPANS, **H1_SPANS}
    question = {
        1: Q_EN,
        5: "Wovon berichtet der Generalstab in Kyiv?",
        2: "When was Shoigu's visit to Pjöngjang, his second in three months?",
    }[span]
    verdict = verifier.verify(sentence, spans, "en", question)
    assert verdict.verified and verdict.citations == (span,), verdict


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        # Another person's name in the span's place: still no name of the span.
        ("Putin appointed Robert Browdi head of the drone forces. [1]", "name Putin"),
        ("Scholz appointed Robert Browdi head of the drone forces. [1]", "name Scholz"),
        ("Zelensky appointed Oleh Petrow head of the drone forces. [1]", "name Petrow"),
        # A name spelled alike does not let a contradiction through.
        ("Zelensky dismissed Robert Browdi as head of the drone forces. [1]", "word dismissed"),
        ("Zelensky didn't appoint Robert Browdi head of the drone forces. [1]", "negation"),
    ],
)
def test_other_names_and_claims_are_still_dropped(
    verifier: Verifier, sentence: str, reason: str
) -> None:
    verdict = verifier.verify(sentence, H1_SPANS, "en", Q_EN)
    assert not verdict.verified and verdict.reason == reason, verdict


def test_spelled_alike() -> None:
    for name, span in [
        ("Zelensky", "Selenskyj"),
        ("Kyiv", "in Kiew"),
        ("Shoigu", "Schoigu"),
        ("Kharkiv", "Charkiw"),
        ("Donetsk", "Donezk"),
        ("Zaporizhzhia", "Saporischschja"),
        ("Khrushchev", "Chruschtschow"),
    ]:
        assert spelled_alike(name, span), (name, span)
    for name, span in [
        ("Putin", "Selenskyj"),
        ("Schulz", "Scholz"),
        ("Möller", "Müller"),
        ("Peterson", "Petersen"),
        ("Merz", "Marx"),
    ]:
        assert not spelled_alike(name, span), (name, span)


# HUNT8 H1: a sentence without a subject of its own, citing a span of another article (another
# lighthouse), answered the question with that article's fact.
LIGHTHOUSES = {1: SUEDEROOG[0:95], 2: NORDMARK, 3: SUEDEROOG[96:202]}
LIGHTHOUSE_CONTEXTS = {1: SUEDEROOG, 2: NORDMARK, 3: SUEDEROOG}  # each article's own text


@pytest.mark.parametrize(
    "sentence",
    [
        "Sie kostete 4,5 Millionen Euro. [2]",
        "Die Kosten lagen bei 4,5 Millionen Euro. [2]",
        "Der Leuchtturm wurde nach 12 Jahren Renovierung wieder eröffnet. [2]",
        "Die Renovierung kostete 4,5 Millionen Euro. [2][1]",
        "Er wurde am Freitag wieder eröffnet, die Kosten lagen bei 4,5 Millionen Euro. [2]",
    ],
)
@pytest.mark.parametrize("contexts", [LIGHTHOUSE_CONTEXTS, None])
def test_h8_another_articles_span_does_not_answer_for_the_asked_subject(
    verifier: Verifier, sentence: str, contexts: dict[int, str] | None
) -> None:
    verdict = verifier.verify(sentence, LIGHTHOUSES, "de", Q_COST, contexts)
    assert not verdict.verified, verdict
    assert verdict.reason in ("topic Süderoog", "number 4.5"), verdict


@pytest.mark.parametrize(
    ("sentence", "citations"),
    [
        ("Sie kostete 3,1 Millionen Euro. [3]", (3,)),
        ("Die Kosten lagen bei 3,1 Millionen Euro. [3]", (3,)),
        ("Die Kosten lagen bei 3,1 Millionen Euro. [2][3]", (3,)),
        ("Der Leuchtturm wurde nach 12 Jahren Renovierung wieder eröffnet. [1]", (1,)),
        ("Der Leuchtturm wurde nach 12 Jahren Renovierung wieder eröffnet. [2][1]", (1,)),
    ],
)
def test_h8_the_asked_subjects_span_still_supports(
    verifier: Verifier, sentence: str, citations: tuple[int, ...]
) -> None:
    # Span 3 names no lighthouse: its article's lead (in its context) names Süderoog.
    verdict = verifier.verify(sentence, LIGHTHOUSES, "de", Q_COST, LIGHTHOUSE_CONTEXTS)
    assert verdict.verified and verdict.citations == citations, verdict


def test_h8_a_question_name_no_span_holds_asks_nothing(verifier: Verifier) -> None:
    """Another word for it ("Umbau"), or a name the index lacks: no span tells the cited one
    apart, so the sentence is judged by its span alone (README "Limits")."""
    question = "Wie viel kostete der Umbau des Leuchtturms von Hallig Nordmark?"
    spans = {2: NORDMARK}
    verdict = verifier.verify("Er kostete 4,5 Millionen Euro. [2]", spans, "de", question)
    assert verdict.verified, verdict


def test_h8_a_sentence_naming_its_own_subject_is_judged_as_it_stands(
    verifier: Verifier,
) -> None:
    # Nothing of the question in it, and a subject the other spans lack: it says what it is
    # about (test_faithful_sentences_are_kept has it among spans of another topic too).
    sentence = "Der Generalstab in Kiew berichtet von 134 russischen Vorstößen. [5]"
    verdict = verifier.verify(sentence, H1_SPANS, "de", Q_DE)
    assert verdict.verified and verdict.citations == (5,), verdict


# HUNT8 L3: "Laut [1] wurde ..." was shown as "Laut wurde ... [1]".
@pytest.mark.parametrize(
    ("question", "sentence", "language", "text"),
    [
        (Q_DE, "Laut [1] wurde Robert Browdi als Chef der Drohnentruppen eingesetzt.", "de",
         "Laut Quelle wurde Robert Browdi als Chef der Drohnentruppen eingesetzt."),
        (Q_EN, "According to [1], Robert Browdi was appointed head of the drone forces.", "en",
         "According to the source, Robert Browdi was appointed head of the drone forces."),
        (Q_DE, "Robert Browdi wurde [1] als Chef der Drohnentruppen eingesetzt.", "de",
         "Robert Browdi wurde als Chef der Drohnentruppen eingesetzt."),
    ],
)  # fmt: skip
def test_l3_a_marker_a_word_governs_leaves_no_dangling_word(
    verifier: Verifier, question: str, sentence: str, language: Language, text: str
) -> None:
    verdict = verifier.verify(sentence, H1_SPANS, language, question)
    assert verdict.verified and verdict.citations == (1,), verdict
    assert verdict.text == text
    assert strip_markers("Laut [1] kam er [2].") == "Laut Quelle kam er."


# HUNT8 L7: a sentence that states as fact what its span only plans, supposes or reports,
# and a sentence that only echoes the question.
PLANNED = {
    1: "Die neuen Drohnen sollen ab Herbst an der Front eingesetzt werden, sagte Umjerow.",
    2: "Angeblich wurde Robert Browdi schon im Mai zum Chef der Drohnentruppen ernannt.",
    3: "The new drones are to be deployed at the front from autumn, Umerov said.",
    4: "The drones may cost 4 million euros each, the ministry reportedly estimated.",
}
TOLD = (
    "Selenskyj gab am Abend bekannt, wer zum Chef der Drohnentruppen ernannt wurde: Robert "
    "Browdi ist es, wie bekannt wurde."
)
Q_WHEN_DE = "Wann werden die neuen Drohnen an der Front eingesetzt?"
Q_WHEN_EN = "When will the new drones be deployed at the front?"


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        (Q_WHEN_DE, "Die neuen Drohnen werden ab Herbst an der Front eingesetzt. [1]"),
        (Q_WHEN_DE, "Laut Umjerow werden die Drohnen ab Herbst an der Front eingesetzt. [1]"),
        (Q_DE, "Robert Browdi wurde im Mai zum Chef der Drohnentruppen ernannt. [2]"),
        (Q_WHEN_EN, "The new drones are deployed at the front from autumn. [3]"),
        ("How much do the drones cost?", "The drones cost 4 million euros each. [4]"),
    ],
)
def test_l7_a_plan_or_claim_stated_as_fact_is_dropped(
    verifier: Verifier, question: str, sentence: str
) -> None:
    verdict = verifier.verify(sentence, PLANNED, "de", question)
    assert not verdict.verified and verdict.reason == "modality", verdict


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        (Q_WHEN_DE, "Die neuen Drohnen sollen ab Herbst an der Front eingesetzt werden. [1]"),
        (Q_WHEN_DE, "Umjerow sagte, die neuen Drohnen sollen ab Herbst an der Front eingesetzt "
         "werden. [1]"),
        (Q_WHEN_DE, "Laut Umjerow „sollen“ die neuen Drohnen ab Herbst an der Front eingesetzt "
         "werden. [1]"),
        (Q_DE, "Angeblich wurde Robert Browdi im Mai zum Chef der Drohnentruppen ernannt. [2]"),
        (Q_WHEN_EN, "The new drones are to be deployed at the front from autumn. [3]"),
        (Q_WHEN_EN, "The new drones will be deployed at the front from autumn. [3]"),
        ("How much do the drones cost?", "The drones may cost 4 million euros each. [4]"),
    ],
)  # fmt: skip
def test_l7_a_sentence_that_keeps_the_modality_is_kept(
    verifier: Verifier, question: str, sentence: str
) -> None:
    verdict = verifier.verify(sentence, PLANNED, "de", question)
    assert verdict.verified, verdict


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        (Q_DE, "Wer zum Chef der Drohnentruppen ernannt wurde, gab Selenskyj bekannt. [7]"),
        (Q_DE, "Wer zum Chef der Drohnentruppen ernannt wurde, ist bekannt. [7]"),
        (Q_DE, "Ernannt wurde ein Chef der Drohnentruppen. [1]"),
        (Q_DE, "Der Chef der Drohnentruppen wurde laut Quelle ernannt. [1]"),
        (Q_DE, "Wer wurde zum Chef der Drohnentruppen ernannt? [1]"),
        (Q_EN, "The head of the drone forces was appointed. [1]"),
    ],
)
def test_l7_a_sentence_that_echoes_the_question_is_dropped(
    verifier: Verifier, question: str, sentence: str
) -> None:
    verdict = verifier.verify(sentence, {**H1_SPANS, 7: TOLD}, "de", question)
    assert not verdict.verified and verdict.reason == "echo", verdict


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        (Q_DE, "Wer zum Chef der Drohnentruppen ernannt wurde, war Robert Browdi. [1]"),
        (Q_DE, "Zum Chef der Drohnentruppen wurde Robert Browdi ernannt. [1]"),
        (Q_DE, "Wer zum Chef der Drohnentruppen ernannt wurde, gab Selenskyj bekannt: Robert "
         "Browdi. [7]"),
        # A yes/no or either-or question is answered by restating it.
        ("Wurde Robert Browdi zum Chef der Drohnentruppen ernannt?",
         "Robert Browdi wurde zum Chef der Drohnentruppen ernannt. [1]"),
        ("Wer wurde Chef der Drohnentruppen, Robert Browdi oder Oleh Apostol?",
         "Robert Browdi wurde Chef der Drohnentruppen. [1]"),
    ],
)  # fmt: skip
def test_l7_an_answer_in_the_question_s_words_is_kept(
    verifier: Verifier, question: str, sentence: str
) -> None:
    verdict = verifier.verify(sentence, {**H1_SPANS, 7: TOLD}, "de", question)
    assert verdict.verified, verdict


def test_letters_standing_alone_must_be_in_the_span() -> None:
    """HUNT9 L9: "... geleitet [1] x y z" kept its letters: no content word checked them."""
    span = "Das Treffen wird von Boris Pistorius geleitet. Plan-B gilt, Vitamin C auch."
    assert stray_letters("Das Treffen wird von Pistorius geleitet x y z", span) == ["x", "y", "z"]
    assert stray_letters("Plan B und Vitamin C, z. B. mit John F. Kennedy, a", span) == []
    assert stray_letters("Es gilt Plan X", span, "Gilt Plan X?") == []  # the question's


def test_stray_letters_drop_a_sentence(verifier: Verifier) -> None:
    good = "Umjerow berichtete mit Boris Pistorius und John Healey über Ergebnisse des Treffens"
    assert verifier.verify(f"{good} [1].", SPANS, "de").verified
    verdict = verifier.verify(f"{good} [1] x y z", SPANS, "de")
    assert (verdict.verified, verdict.reason) == (False, "word x")
