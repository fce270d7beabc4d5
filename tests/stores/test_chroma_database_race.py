"""Two replicas opening a new Chroma database at once: both may find it missing, one creates
it, and the other's create is refused as "already exists" (seen in a whole-suite run:
tests/stores/test_seeding.py, a replica exited at start). The one that lost uses it."""

from urllib.parse import urlsplit

import pytest
from chromadb.api.client import AdminClient
from chromadb.config import DEFAULT_TENANT
from chromadb.errors import NotFoundError

from qa_service.stores.chroma_server import HttpVectorStore, admin_client
from tests.helpers import engines


@pytest.mark.slow
def test_a_database_created_by_another_replica_meanwhile_is_used(
    chroma_server: engines.ChromaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = chroma_server.database_url()
    parts = urlsplit(url)
    name = parts.path.strip("/")
    assert parts.hostname is not None and parts.port is not None
    admin_client(parts.hostname, parts.port, False).create_database(name, tenant=DEFAULT_TENANT)
    checked = []
    real_get = AdminClient.get_database

    def get_before_the_other_created_it(self: AdminClient, *args: object, **kwargs: object):
        if not checked:  # this replica's check ran before the other replica's create
            checked.append(True)
            raise NotFoundError(f"Database {name} not found")
        return real_get(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(AdminClient, "get_database", get_before_the_other_created_it)
    store = HttpVectorStore(url)
    store.ping()
    assert checked == [True]
