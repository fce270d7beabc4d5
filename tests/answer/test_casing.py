"""All-caps questions read as the articles spell their words (qa_service/answer/casing.py)."""

import pytest

from qa_service.answer.casing import Spellings, is_shouted, recase

ARTICLE = [
    "Das Treffen wird von den Verteidigungsministern Boris Pistorius und John Healey geleitet.",
    "Der Generalstab in Kiew berichtet von 134 russischen Vorstößen.",
    "Am Rande des Treffens sprach die NATO über die Ukraine-Kontaktgruppe in Brüssel.",
    # Headline-style capitals and sentence starts say nothing about a word's spelling.
    "Treffen Sie Uns In Brüssel",
]


@pytest.mark.parametrize(
    ("question", "shouted"),
    [
        ("WER LEITETE DAS TREFFEN IN BRÜSSEL?", True),
        ("WIE GROß IST DIE STRAßE?", True),  # ß has no capital in common use
        ("Wer leitete das Treffen der NATO?", False),
        ("NATO?", True),
        ("A?", False),
        ("42?", False),
    ],
)
def test_shouted_questions(question: str, shouted: bool) -> None:
    assert is_shouted(question) is shouted


@pytest.mark.parametrize(
    ("shouted", "cased", "language"),
    [
        ("WER LEITETE DAS TREFFEN IN BRÜSSEL?", "Wer leitete das Treffen in Brüssel?", "de"),
        # A capital SS is the articles' ß; the stem finds the plural's spelling.
        (
            "WIE VIELE RUSSISCHE VORSTÖSSE MELDETE DER GENERALSTAB?",
            "Wie viele russische Vorstösse Meldete der Generalstab?",
            "de",
        ),
        # Capitals the articles keep stay; a compound the articles write whole is theirs.
        ("WAS WEISS DIE NATO ÜBER DIE UKRAINE-KONTAKTGRUPPE?", None, "de"),
        # Unknown words: a German noun (a name the articles lack), the participle after an
        # auxiliary, English lower case.
        ("WER IST DER BÜRGERMEISTER VON GOTHAM?", "Wer ist der Bürgermeister von Gotham?", "de"),
        ("WANN WURDE DER GENERALSTAB GEGRÜNDET?", "Wann wurde der Generalstab gegründet?", "de"),
        ("WAS HAT DER GENERALSTAB GEMELDET?", "Was hat der Generalstab gemeldet?", "de"),
        # English: unknown words lower case; the German stem finds "Brüssel" for "Brussels".
        ("WHO CHAIRED THE MEETING IN BRUSSELS?", "Who chaired the meeting in Brussels?", "en"),
        ("WHO MET IN GOTHAM?", "Who met in gotham?", "en"),
    ],
)
def test_recased_as_the_articles_write(shouted: str, cased: str | None, language: str) -> None:
    result = recase(shouted, Spellings(ARTICLE), language)  # type: ignore[arg-type]
    if cased is None:
        assert result == "Was weiss die NATO über die Ukraine-Kontaktgruppe?"
    else:
        assert result == cased
    assert result.upper() == shouted.upper()  # only the case changed
