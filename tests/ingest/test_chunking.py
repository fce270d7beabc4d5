"""Chunk invariants: whole consecutive sentences, bounded length, headings open chunks."""

import itertools
import random
from pathlib import Path

import pytest

from qa_service.ingest.chunking import chunk_sentences
from qa_service.ingest.segmentation import segment_article
from qa_service.models import Chunk, Segmentation, Sentence

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def assert_chunks_are_sound(segmentation: Segmentation, max_chars: int) -> None:
    sentences, chunks = segmentation.sentences, segmentation.chunks
    assert chunks[0].first_sentence == 0
    assert chunks[-1].last_sentence == len(sentences) - 1
    for before, after in itertools.pairwise(chunks):
        assert after.first_sentence == before.last_sentence + 1
    for chunk in chunks:
        members = sentences[chunk.first_sentence : chunk.last_sentence + 1]
        assert chunk.start == members[0].start and chunk.end == members[-1].end
        bodies = [s for s in members if s.kind == "body"]
        if chunk.end - chunk.start > max_chars:
            # only one over-long sentence (possibly led by its headings) may exceed max_chars
            assert len(members) == 1 or (len(bodies) == 1 and members[-1].kind == "body")
        if chunk is not chunks[-1] and bodies:
            assert members[-1].kind == "body", "a heading belongs to the chunk that follows it"


@pytest.mark.parametrize("max_chars", [80, 200, 400, 700, 2000])
@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda path: path.stem)
def test_seed_chunks_cover_all_sentences_in_order(path: Path, max_chars: int) -> None:
    segmentation = segment_article(path.read_text(encoding="utf-8"), max_chars=max_chars)
    assert_chunks_are_sound(segmentation, max_chars)


def test_headings_start_chunks() -> None:
    text = "Titel A\n\nErster Satz hier. Zweiter Satz hier.\n\nTitel B\n\nDritter Satz hier."
    segmentation = segment_article(text, max_chars=700)
    assert [(c.first_sentence, c.last_sentence) for c in segmentation.chunks] == [(0, 2), (3, 4)]


def test_overlong_sentence_is_its_own_chunk_and_never_cut() -> None:
    long_sentence = "Dies ist ein " + "sehr " * 60 + "langer Satz."
    text = f"Kurzer Satz eins. {long_sentence} Kurzer Satz zwei."
    segmentation = segment_article(text, max_chars=100)
    quoted = [text[c.start : c.end] for c in segmentation.chunks]
    assert quoted == ["Kurzer Satz eins.", long_sentence, "Kurzer Satz zwei."]


def test_break_prefers_a_paragraph_boundary() -> None:
    first = "Erster Absatz hat einen Satz. Und noch einen zweiten Satz dazu."
    second = "Zweiter Absatz beginnt hier. Er geht weiter. Und endet jetzt."
    text = f"{first}\n\n{second}"
    segmentation = segment_article(text, max_chars=100)
    quoted = [text[c.start : c.end] for c in segmentation.chunks]
    assert quoted[0] == first
    assert_chunks_are_sound(segmentation, 100)


def test_chunk_does_not_end_with_a_heading_when_over_budget() -> None:
    sentences = [Sentence(0, 60), Sentence(61, 80, "heading"), Sentence(81, 150)]
    view = " " * 150
    chunks = chunk_sentences(sentences, view, max_chars=100)
    assert chunks == [Chunk(0, 60, 0, 0), Chunk(61, 150, 1, 2)]


def test_no_sentences_no_chunks() -> None:
    assert chunk_sentences([], "", max_chars=100) == []


CONTENT = [
    "Der Minister kam am 4. Juni.",
    "Es gibt z. B. Drohnen",
    "„Wir kommen.“ Danach ging er.",
    "Kurze Überschrift",
    "Ca. 1.200 Soldaten, d. h. viele, kamen",
    "Er sagte: Nein!",
    "   ",
]
LINE_BOILERPLATE = [
    "# Markdown Titel",
    "- ein Punkt",
    "Besuchen Sie uns auf: n-ag.net",
    "Ort\tBrüssel",
    '<ul style="x">• www.a.de',
    "https://example.com/x",
    "\t",
]


@pytest.mark.parametrize("seed", range(40))
def test_random_documents_keep_every_invariant(seed: int) -> None:
    rng = random.Random(seed)
    text = ""
    for _ in range(rng.randint(1, 25)):
        if rng.random() < 0.3:  # line-level syntax only counts at the start of a line
            text += rng.choice(["\n", "\r\n"]) + rng.choice(LINE_BOILERPLATE) + "\n"
        else:
            text += rng.choice(CONTENT) + rng.choice(["\n", "\n\n", " ", "\n\n\n", "\r\n"])
    max_chars = rng.choice([30, 120, 700])
    segmentation = segment_article(text, max_chars=max_chars)
    previous_end = 0
    for s in segmentation.sentences:
        assert previous_end <= s.start < s.end <= len(text)
        assert not text[s.start].isspace() and not text[s.end - 1].isspace()
        for boilerplate in ("Besuchen Sie", "<ul", "Brüssel", "https://"):
            assert boilerplate not in text[s.start : s.end]
        previous_end = s.end
    if segmentation.sentences:
        assert_chunks_are_sound(segmentation, max_chars)
    else:
        assert segmentation.chunks == []
