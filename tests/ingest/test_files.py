"""Which files are articles, and the id each gets (read with load_file)."""

import unicodedata
from pathlib import Path

import pytest

from qa_service.documents import check_document_id
from qa_service.errors import UnsupportedFormat
from qa_service.ingest.files import article_files, file_document_id
from qa_service.ingest.loading import load_file
from qa_service.models import Article


def _load(paths: list[Path]) -> list[tuple[str, Article]]:
    return [(doc_id, load_file(file)) for doc_id, file in article_files(paths)]


def test_walks_folders_sorted_and_skips_others(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "b.md").write_text("# Zweiter\n\nText.", encoding="utf-8")
    (tmp_path / "a.txt").write_text("Erster\n\nText.", encoding="utf-8")
    (tmp_path / "sub" / "c.html").write_text("<h1>Dritter</h1><p>Text.</p>", encoding="utf-8")
    (tmp_path / ".hidden" / "d.txt").write_text("Versteckt.", encoding="utf-8")
    (tmp_path / ".e.txt").write_text("Versteckt.", encoding="utf-8")
    (tmp_path / "f.pdf").write_bytes(b"%PDF-1.7")
    loaded = _load([tmp_path])
    assert [(doc_id, article.title) for doc_id, article in loaded] == [
        ("a", "Erster"),
        ("b", "Zweiter"),
        ("c", "Dritter"),
    ]
    assert loaded[2][1].source == str(tmp_path / "sub" / "c.html")
    assert loaded[2][1].text == "Dritter\n\nText."


def test_a_link_to_a_file_of_the_folder_is_not_an_article(tmp_path: Path) -> None:
    # HUNT12 L9: "a-link.txt" -> "z.txt" became the document (it sorts first) and the real
    # file was skipped as its duplicate. A link to a file outside the folder is ingested.
    outside = tmp_path / "outside"
    folder = tmp_path / "articles"
    (folder / "sub").mkdir(parents=True)
    outside.mkdir()
    (folder / "z.txt").write_text("Der Turm ist offen.", encoding="utf-8")
    (outside / "o.txt").write_text("Die Brücke ist zu.", encoding="utf-8")
    (folder / "a-link.txt").symlink_to(folder / "z.txt")
    (folder / "sub" / "b-link.txt").symlink_to("../z.txt")
    (folder / "o-link.txt").symlink_to(outside / "o.txt")
    assert [doc_id for doc_id, _ in article_files([folder])] == ["o-link", "z"]
    # Named on its own, a link is what was asked for.
    assert [doc_id for doc_id, _ in article_files([folder / "a-link.txt"])] == ["a-link"]


def test_single_seed_file() -> None:
    seed = Path(__file__).resolve().parents[2] / "seeds" / "000_23aad25e3376c29a.txt"
    [(doc_id, article)] = _load([seed])
    assert doc_id == "000_23aad25e3376c29a"
    assert article.source == str(seed)
    assert article.text == seed.read_text(encoding="utf-8")


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope"):
        _load([tmp_path / "nope"])


def test_reports_the_file_with_bad_encoding(tmp_path: Path) -> None:
    (tmp_path / "alt.txt").write_bytes("Ärger".encode("latin-1"))
    with pytest.raises(UnsupportedFormat, match=r"alt\.txt"):
        _load([tmp_path])


def test_a_long_file_name_is_cut_to_an_id_without_a_trailing_separator(tmp_path: Path) -> None:
    # Found by a black-box bug hunt: the cut at 128 characters came after the strip, so
    # "aaa…a (2025).txt" got an id ending in "-", which README says is dropped at either end.
    (tmp_path / ("a" * 118 + " (2025).txt")).write_text("Ein Satz.", encoding="utf-8")
    [(doc_id, _)] = article_files([tmp_path])
    assert len(doc_id) <= 128 and doc_id.startswith("a" * 118 + "-")
    assert doc_id[-1].isalnum() and check_document_id(doc_id) == doc_id


def test_ordinary_names_keep_the_documented_ids(tmp_path: Path) -> None:
    (tmp_path / "Wahl in Köln (2025).txt").write_text("Ein Satz.", encoding="utf-8")
    assert article_files([tmp_path]) == [
        ("Wahl-in-K-ln-2025", tmp_path / "Wahl in Köln (2025).txt")
    ]


def test_names_without_ascii_letters_get_distinct_stable_ids(tmp_path: Path) -> None:
    # Found by a black-box bug hunt: "Харків.txt", "Одеса.txt" and "ööö.txt" all got the id
    # "article", so ingesting one after the other replaced the first without a word.
    names = ["Харків.txt", "Одеса.txt", "ööö.txt"]
    for name in names:
        (tmp_path / name).write_text("Ein Satz.", encoding="utf-8")
    ids = {file.name: doc_id for doc_id, file in article_files([tmp_path])}
    assert sorted(ids) == sorted(names) and len(set(ids.values())) == 3
    assert all(check_document_id(doc_id) == doc_id for doc_id in ids.values())
    assert file_document_id(tmp_path / "Харків.txt") == ids["Харків.txt"]  # stable
    nfd = unicodedata.normalize("NFD", "ööö.txt")  # a name as macOS writes it: the same id
    assert file_document_id(tmp_path / nfd) == ids["ööö.txt"]


def test_long_names_sharing_their_first_128_characters_get_distinct_ids(tmp_path: Path) -> None:
    for tail in ("erster Teil", "zweiter Teil"):
        (tmp_path / ("Bericht-" * 20 + tail + ".txt")).write_text("Ein Satz.", encoding="utf-8")
    first, second = (doc_id for doc_id, _ in article_files([tmp_path]))
    assert first != second and len(first) <= 128 and len(second) <= 128
