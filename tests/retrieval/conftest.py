from pathlib import Path

import pytest

from qa_service.retrieval.index import ArticleIndex
from tests.conftest import MemoEmbedder

# A small German article: three sentences, a date, a number and a name.
TEXT = (
    "Die Stadt Kleinhausen hat am Dienstag einen neuen Bürgermeister gewählt. "
    "Mit 62 Prozent der Stimmen setzte sich Anna Vogel durch. Sie tritt ihr Amt am 1. Juli an."
)


@pytest.fixture
def index(tmp_path: Path, embedder: MemoEmbedder) -> ArticleIndex:
    return ArticleIndex(tmp_path / "index", embedder)
