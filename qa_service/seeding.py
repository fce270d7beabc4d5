"""The seed articles at start-up (QA_SEEDS_DIR): ingested while the index holds nothing else.

Seeding runs under a lock of its own across every process on the index (``Stores.seeding``),
so replicas starting at once on an empty database seed one after the other: the second finds
the seeds stored and ingests nothing. Each seed is ingested by its stable id (the file's), so
a seed already stored is a no-op, and a seed missing from an index that holds only seeds (a
start-up that failed half way) is ingested at the next start. A seed whose file is unusable is
logged as an ERROR with its reason, every start-up, and start-up goes on; a seed an engine
refused (a 503) is tried again, and start-up fails if it still cannot be stored, rather than
serve a partial corpus.
"""

import logging
import time
from collections.abc import Callable
from pathlib import Path

from qa_service.documents import DocumentService, FileOutcome, FilePlan, plan_files
from qa_service.errors import QAServiceError, ServiceBusy, StoreUnavailable
from qa_service.stores import Stores
from qa_service.tuning.ingest import SEED_ATTEMPTS, SEED_RETRY_WAIT_S

log = logging.getLogger("qa_service")


class SeedingFailed(StoreUnavailable):
    """A seed could not be stored because an engine refused it, after every attempt."""


def ingest_seeds(
    seeds: Path,
    stores: Stores,
    documents: DocumentService,
    sleep: Callable[[float], None] = time.sleep,
) -> list[FileOutcome]:
    """The seeds under ``seeds`` that the index lacks, while it holds only seeds; what became
    of each file tried (none: nothing to do). Raises SeedingFailed (see the module)."""
    if not seeds.is_dir() or not any(seeds.iterdir()):
        return []
    try:
        plan = plan_files([seeds])
    except QAServiceError as exc:  # two files that would share an id
        log.error("seed articles in %s not ingested: %s", seeds, exc)
        return []
    with stores.seeding():
        missing = _missing_seeds(plan, stores)
        if not missing:
            return []
        outcomes = _ingest(FilePlan(missing, []), documents, sleep)
    stored = [o for o in outcomes if o.result is not None]
    failed = [o for o in outcomes if o.state in ("failed", "skipped")]
    for outcome in failed:
        log.error("seed %s (id %s) not ingested: %s", outcome.path, outcome.doc_id, outcome.error)
    log.info(
        "ingested %d of %d seed articles from %s%s",
        len(stored),
        len(missing),
        seeds,
        f"; {len(failed)} failed (see the errors above)" if failed else "",
    )
    refused = [o for o in failed if _refused(o)]
    if refused:
        names = ", ".join(str(o.path) for o in refused)
        raise SeedingFailed(
            f"seed articles could not be stored ({names}): {refused[0].error}. Start-up stopped "
            "so as not to serve a partial corpus; the next start ingests them"
        )
    return outcomes


def _missing_seeds(plan: FilePlan, stores: Stores) -> list[tuple[str, Path]]:
    """The seed files whose id the index lacks, if the index holds no other document (an
    index with documents of its own was seeded before, or chose to start without)."""
    ids = {doc_id for doc_id, _ in plan.files}
    held = stores.documents.counts().documents
    if held > len(ids):
        return []
    stored = {record.id for record in stores.documents.page(offset=0, limit=max(held, 1))}
    if not stored <= ids:
        return []
    return [(doc_id, path) for doc_id, path in plan.files if doc_id not in stored]


def _ingest(
    plan: FilePlan, documents: DocumentService, sleep: Callable[[float], None]
) -> list[FileOutcome]:
    """Each seed; those an engine refused, again, up to SEED_ATTEMPTS in all."""
    outcomes = documents.ingest_files(plan).outcomes
    for _ in range(SEED_ATTEMPTS - 1):
        again = [(o.doc_id, o.path) for o in outcomes if _refused(o) and o.doc_id is not None]
        if not again:
            break
        log.warning("%d seed articles refused by an engine; trying again", len(again))
        sleep(SEED_RETRY_WAIT_S)
        retried = {o.doc_id: o for o in documents.ingest_files(FilePlan(again, [])).outcomes}
        outcomes = [retried.get(o.doc_id, o) if _refused(o) else o for o in outcomes]
    return outcomes


def _refused(outcome: FileOutcome) -> bool:
    return isinstance(outcome.error, StoreUnavailable | ServiceBusy)
