"""Which files under a path are articles, and the document id each one gets."""

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from qa_service.errors import InvalidInput
from qa_service.ingest.formats import EXTENSIONS
from qa_service.textcheck import nfc

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._~-]+")
_ID_MAX = 128
_NAME_HASH_CHARS = 8


def file_document_id(file: Path) -> str:
    """The id of an article file: its stem, each run of characters an id cannot hold made "-".

    When that loses the name (no ASCII letter or digit in it: "Харків", "ööö"; or cut at 128
    characters) a hash of the whole stem is appended, so "Харків.txt" and "Одеса.txt" get two
    ids instead of one that the second file would take over, and the same file keeps its id.
    """
    stem = nfc(file.stem)
    slug = _ID_UNSAFE.sub("-", stem).strip("-.~_")
    if slug and len(slug) <= _ID_MAX:
        return slug
    digest = hashlib.sha256(stem.encode("utf-8", "surrogatepass")).hexdigest()[:_NAME_HASH_CHARS]
    kept = slug[: _ID_MAX - _NAME_HASH_CHARS - 1].rstrip("-.~_") or "article"
    return f"{kept}-{digest}"


def article_files(paths: Iterable[Path]) -> list[tuple[str, Path]]:
    """``(document_id, file)`` for every article file under ``paths``, checked up front.

    The id is ``file_document_id``, so re-ingesting the same files updates rather than
    duplicates. Two files that would share an id are refused before anything is ingested,
    instead of one silently replacing the other.
    """
    found: dict[str, Path] = {}
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"No such file or folder: {path}")
        for file in _article_files(path) if path.is_dir() else [path]:
            doc_id = file_document_id(file)
            if doc_id in found and found[doc_id].resolve() != file.resolve():
                raise InvalidInput(
                    f"{found[doc_id]} and {file} would both get the document id {doc_id!r}; "
                    "rename one of them (ingested one after the other, the second would be "
                    "refused as another file's id)"
                )
            found[doc_id] = file
    return list(found.items())


def _article_files(folder: Path) -> list[Path]:
    """The article files in ``folder``; a link to a file of the folder is not one more: the
    file itself is the article (its name its id), whichever name sorts first. A FIFO, socket
    or device named like an article is listed, so it is reported as failed, never opened, as
    when it is given by name (HUNT13 E: the walk skipped it without a word)."""
    root = folder.resolve()
    return sorted(
        file
        for file in folder.rglob("*")
        if file.suffix.lower() in EXTENSIONS
        and file.exists()  # a link to nothing is no file
        and not file.is_dir()  # a FIFO or device is one, refused by name when read (loading)
        and not any(part.startswith(".") for part in file.relative_to(folder).parts)
        and not (file.is_symlink() and file.resolve().is_relative_to(root))
    )
