from pathlib import Path

import pytest

from qa_service.retrieval.index import ArticleIndex
from tests.helpers.embedders import MemoEmbedder


@pytest.fixture
def index(tmp_path: Path, embedder: MemoEmbedder) -> ArticleIndex:
    return ArticleIndex(tmp_path / "index", embedder)
