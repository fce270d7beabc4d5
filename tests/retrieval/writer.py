"""A second process writing to an index: `python -m tests.retrieval.writer INDEX PREFIX N`.

Adds N articles of 8 sentences through the service (the real write path, real Chroma),
embedded by ``HashEmbedder`` so that thousands of vectors take seconds.
"""

import sys
from pathlib import Path

from qa_service.config import Settings
from qa_service.models import Article
from qa_service.service import build_service
from tests.helpers.embedders import HashEmbedder


def article(prefix: str, i: int) -> str:
    return " ".join(
        f"Die Meldung {prefix}{i} nennt im Absatz {j} die Zahl {i * 100 + j} als Wert."
        for j in range(8)
    )


def main(index_dir: str, prefix: str, n: int) -> None:
    settings = Settings(index_dir=Path(index_dir), seeds_dir=Path(index_dir) / "no-seeds")
    service = build_service(settings, HashEmbedder())  # type: ignore[arg-type]
    for i in range(n):
        service.add_document(Article(text=article(prefix, i)), f"{prefix}{i}")
    service.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
