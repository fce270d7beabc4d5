"""Keys across two real `qa-service serve` replicas in server mode (PostgreSQL + `chroma run`).

A module of its own: its first key switches both replicas to keys required, which the other
replica tests (anonymous) must not see.
"""

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.helpers import engines
from tests.helpers.engines import Replica
from tests.helpers.keys import guess_keys
from tests.helpers.paths import ROOT, SEEDS

pytestmark = pytest.mark.slow


@dataclass
class Pair:
    a: Replica
    b: Replica
    env: dict[str, str]
    admin: dict[str, str]

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "qa_service", *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: engines.PostgresServer,
    chroma_server: engines.ChromaServer,
) -> Iterator[Pair]:
    root = tmp_path_factory.mktemp("replica-keys")
    shutil.copytree(SEEDS, root / "seeds")
    env = {
        "QA_DATABASE_URL": postgres_server.create_database("keys"),
        "QA_CHROMA_URL": chroma_server.database_url(),
        "QA_SEEDS_DIR": str(root / "seeds"),
        "QA_INDEX_DIR": str(root / "unused-index"),
        "QA_EMBEDDER_THREADS": "1",
        "PYTHONPATH": str(ROOT),
        "QA_INVALID_KEY_RATE_LIMIT": "5/minute",
    }
    a, b = Replica(root, env, "a"), Replica(root, env, "b")
    try:
        a.start()
        a.wait_ready()  # one seeds the database, then the other starts on it
        b.start()
        b.wait_ready()
        pair = Pair(a, b, env, {})
        made = pair.cli("keys", "create", "--name", "ops", "--scope", "admin")
        assert made.returncode == 0, made.stderr
        pair.admin = {"authorization": f"Bearer {made.stdout.strip()}"}
        yield pair
    finally:
        a.stop()
        b.stop()


def test_a_key_created_on_one_replica_works_on_the_other_at_once(pair: Pair) -> None:
    # Found by a black-box bug hunt: the other replica answered 401 for ~1 s (its cached
    # copy of the keys), 5 times of 5. Both replicas have just read the keys (a request
    # each), so only a re-read on the unknown key can find the new one.
    for i in range(5):
        for replica in (pair.a, pair.b):
            assert httpx.get(f"{replica.url}/v1/keys", headers=pair.admin).status_code == 200
        made = httpx.post(
            f"{pair.a.url}/v1/keys", json={"name": f"new-{i}", "scope": "read"}, headers=pair.admin
        )
        assert made.status_code == 201, made.text
        mine = {"authorization": f"Bearer {made.json()['key']}"}
        other = httpx.get(f"{pair.b.url}/v1/documents", headers=mine)
        assert other.status_code == 200, other.text
    # Made with the CLI (no replica knows it): at once on both.
    cli_key = pair.cli("keys", "create", "--name", "from-cli", "--scope", "read")
    assert cli_key.returncode == 0, cli_key.stderr
    mine = {"authorization": f"Bearer {cli_key.stdout.strip()}"}
    for replica in (pair.a, pair.b):
        assert httpx.get(f"{replica.url}/v1/documents", headers=mine).status_code == 200


def test_invalid_keys_are_limited_per_address(pair: Pair) -> None:
    # Found by a black-box bug hunt: 401s for invalid keys were not limited, and each unknown
    # key now makes a replica read the keys again. QA_INVALID_KEY_RATE_LIMIT="5/minute" here.
    statuses = guess_keys(pair.b.url, 8, "qa-bogus")
    assert [r.status_code for r in statuses] == [401] * 5 + [429] * 3, statuses
    last = statuses[-1]
    assert last.json()["type"] == "RateLimited" and int(last.headers["retry-after"]) >= 1
    assert "not valid" in last.json()["detail"]
    # The address's valid keys still work (judged on the cached copy), the other replica
    # counts on its own.
    assert httpx.get(f"{pair.b.url}/v1/documents", headers=pair.admin).status_code == 200
    bogus = {"authorization": "Bearer qa-bogus-other-replica"}
    assert httpx.get(f"{pair.a.url}/v1/documents", headers=bogus).status_code == 401


def test_key_names_and_origins_with_nul_are_refused_not_a_500(pair: Pair) -> None:
    # Found by a black-box bug hunt: PostgreSQL cannot store NUL, so both were 500s here
    # (psycopg.DataError) while embedded mode answered 404.
    url = pair.a.url
    gone = httpx.delete(f"{url}/v1/keys/a%00b", headers=pair.admin)
    assert gone.status_code == 404 and gone.json()["type"] == "KeyNotFound", gone.text
    for origin in ("https://a\u0000.example", "https://a\u001b[41m.example", "http://["):
        refused = httpx.post(
            f"{url}/v1/keys",
            json={"name": "nul-origin", "scope": "read", "origins": [origin]},
            headers=pair.admin,
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["type"] == "InvalidInput" and "origin" in refused.json()["detail"]
    bracket = httpx.get(f"{url}/v1/documents", headers={**pair.admin, "origin": "http://["})
    assert bracket.status_code == 403 and bracket.json()["type"] == "OriginNotAllowed"
