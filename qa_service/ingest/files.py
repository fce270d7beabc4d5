"""Which files under a path are articles, and the document id each one gets."""

import re
from collections.abc import Iterable
from pathlib import Path

from qa_service.errors import InvalidInput
from qa_service.ingest.formats import EXTENSIONS

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._~-]+")


def article_files(paths: Iterable[Path]) -> list[tuple[str, Path]]:
    """``(document_id, file)`` for every article file under ``paths``, checked up front.

    The id is the file stem (characters an id may not hold become "-"), so re-ingesting the
    same files updates rather than duplicates. Two files that would share an id are refused
    before anything is ingested, instead of one silently replacing the other.
    """
    found: dict[str, Path] = {}
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"No such file or folder: {path}")
        for file in _article_files(path) if path.is_dir() else [path]:
            doc_id = _ID_UNSAFE.sub("-", file.stem).strip("-.~_")[:128].rstrip("-.~_") or "article"
            if doc_id in found and found[doc_id].resolve() != file.resolve():
                raise InvalidInput(
                    f"{found[doc_id]} and {file} would both get the document id {doc_id!r}; "
                    "rename one of them or ingest them separately"
                )
            found[doc_id] = file
    return list(found.items())


def _article_files(folder: Path) -> list[Path]:
    return sorted(
        file
        for file in folder.rglob("*")
        if file.suffix.lower() in EXTENSIONS
        and file.is_file()
        and not any(part.startswith(".") for part in file.relative_to(folder).parts)
    )
