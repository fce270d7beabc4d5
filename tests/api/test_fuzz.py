"""Schemathesis fuzzes every operation of our OpenAPI spec against a real uvicorn process.

The check is the one the service promises for any input: never a 500. The seed is fixed so a
failure reproduces; Schemathesis prints the failing request (a curl line) when it finds one.
It runs with a valid admin key, so every route is reached past the key check (keys too).
"""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.keys import create_key
from tests.helpers.servers import serve_process

pytestmark = pytest.mark.slow  # a real server fuzzed over every operation

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def test_no_input_makes_the_server_fail(tmp_path: Path) -> None:
    key = create_key(tmp_path, "fuzzing-admin-key-20251122", "admin")
    with serve_process(tmp_path) as (url, _):
        result = subprocess.run(
            [
                str(SCHEMATHESIS),
                "run",
                f"{url}/openapi.json",
                "--header",
                f"Authorization: Bearer {key}",
                "--checks",
                "not_a_server_error",
                "--max-examples",
                "30",
                "--seed",
                "20251122",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
    summary = result.stdout[-3000:]
    assert result.returncode == 0, summary
    assert "Tested: 12" in summary or "passed" in summary, summary
