"""AccessService over a real SQLite key file: how often unknown keys make it read the store."""

from pathlib import Path

from qa_service.access import AccessService
from qa_service.stores.base import KeyRecord
from qa_service.stores.sqlite.access import SQLiteAccess
from qa_service.tuning.limits import KEY_REREAD_LIMIT


class CountingStore(SQLiteAccess):
    """The real key file, counting how often every key is read."""

    reads = 0

    def api_keys(self) -> list[KeyRecord]:
        self.reads += 1
        return super().api_keys()


def test_unknown_keys_reread_the_store_a_bounded_number_of_times(tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "access.sqlite3")
    here = AccessService(store)  # type: ignore[arg-type]
    elsewhere = AccessService(SQLiteAccess(tmp_path / "access.sqlite3"))  # type: ignore[arg-type]
    assert here.find("qa-nothing-yet") is None
    # A key made by another process is found at once (one re-read), not after KEY_CACHE_S.
    record, secret = elsewhere.create("fresh", "read")
    before = store.reads
    found = here.find(secret)
    assert found is not None and found.id == record.id and store.reads == before + 1
    # A flood of unknown keys: at most KEY_REREAD_LIMIT re-reads, then the cached copy.
    before = store.reads
    for i in range(1000):
        assert here.find(f"qa-flood{i:06d}-not-a-key") is None
    per_second = int(KEY_REREAD_LIMIT.split("/")[0])
    assert 1 <= store.reads - before <= per_second + 1, store.reads - before
    # Known keys never re-read; reread=False (an address over its limit) neither.
    before = store.reads
    assert getattr(here.find(secret), "id", None) == record.id
    assert here.find("qa-limited-caller", reread=False) is None
    assert store.reads == before
