"""Both seed articles, end to end: clean sentences, exact offsets, sound chunks."""

from pathlib import Path

import pytest

from qa_service.ingest.loading import parse_article
from qa_service.ingest.segmentation import segment_article
from qa_service.tuning.ingest import MAX_SENTENCE_CHARS

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.txt"))


def seed_text(stem: str) -> str:
    return (SEEDS / f"{stem}.txt").read_text(encoding="utf-8")


def test_both_seeds_are_present() -> None:
    assert [path.stem for path in SEED_FILES] == ["000_23aad25e3376c29a", "002_6e715d065b5e6bce"]


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda path: path.stem)
def test_seed_sentences_are_clean_and_exact(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    sentences = segment_article(text).sentences
    assert len(sentences) > 20
    for s in sentences:
        quoted = text[s.start : s.end]
        assert quoted.strip() == quoted and quoted
        for boilerplate in ("<ul", "Besuchen Sie uns", "www.", "\t", "date 2025"):
            assert boilerplate not in quoted


def test_seed_002_bridges_the_broken_paragraphs() -> None:
    text = seed_text("002_6e715d065b5e6bce")
    quoted = [text[s.start : s.end] for s in segment_article(text).sentences]
    assert (
        "Insbesondere unter dem Druck des andauernden Konflikts mit\n\nRussland sind die Minister "
        "entschlossen, ihrer Unterstützung noch mehr Gewicht zu verleihen." in quoted
    )
    assert (
        "Die nationalen Planungsziele\n\nfür Deutschland und andere Mitgliedstaaten sollen in der "
        "Brüsseler Sitzung angenommen werden." in quoted
    )
    assert (
        "Selenskyj hat zudem Oleh Apostol zum Chef der Fallschirmjägertruppen ernannt und Robert "
        "Browdi als Chef der Drohnentruppen eingesetzt." in quoted
    )
    assert quoted[-1].startswith("Für weitere Informationen besuchen Sie die Seiten")
    assert "Fast 1.200 Tage" in quoted[2] and quoted[1].startswith("Am 4. Juni 2025 treffen")


def test_seed_000_headings() -> None:
    text = seed_text("000_23aad25e3376c29a")
    sentences = segment_article(text).sentences
    headings = [text[s.start : s.end] for s in sentences if s.kind == "heading"]
    assert headings[:3] == [
        "Newsblog zum Ukraine-Krieg Ukraine setzt auf Waffenproduktion im Ausland",
        "Mittwoch, 4. Juni",
        "Ukraine setzt auf Waffenproduktion im Ausland",
    ]
    assert "Pistorius: Partner werden Ukraine militärisch weiter stärken" in headings


def test_seed_000_title_and_date() -> None:
    article = parse_article(seed_text("000_23aad25e3376c29a"))
    assert article.title == (
        "Newsblog zum Ukraine-Krieg Ukraine setzt auf Waffenproduktion im Ausland"
    )
    assert article.published_at == "2025-06"


def test_seed_002_title_and_date() -> None:
    article = parse_article(seed_text("002_6e715d065b5e6bce"))
    assert article.title == (
        "Militärhilfe für die Ukraine: Hoffnung auf neue Unterstützung in Brüssel!"
    )
    assert article.published_at == "2025-06-04"


def test_max_chars_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_chars"):
        segment_article("Ein Satz.", max_chars=0)


def test_lines_without_punctuation_are_items_not_one_giant_sentence() -> None:
    text = "\n".join(f"Posten {i} der Liste" for i in range(5))
    sentences = segment_article(text).sentences
    assert [text[s.start : s.end] for s in sentences] == text.split("\n")
    assert {s.kind for s in sentences} == {"body"}


def test_run_on_text_is_cut_so_chunks_stay_bounded() -> None:
    text = "Wort, " * 2000 + "Ende."
    segmentation = segment_article(text, max_chars=700)
    assert len(segmentation.sentences) > 1
    assert max(s.end - s.start for s in segmentation.sentences) <= MAX_SENTENCE_CHARS
    assert all(text[s.start : s.end].strip() for s in segmentation.sentences)
