"""The OpenAPI document is one that code generators accept: every operation its own id."""

import warnings

from qa_service.api.app import create_app
from qa_service.config import Settings
from tests.helpers.checks import assert_unique_operation_ids


def test_every_operation_has_its_own_id_and_no_warning(empty_settings: Settings) -> None:
    """/health named GET and HEAD, two operations with one id: FastAPI warned "Duplicate
    Operation ID" at every /openapi.json, and generated clients got two functions of one
    name. Built without its lifespan: the document needs no model and no store."""
    app = create_app(empty_settings)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning while building the document fails
        spec = app.openapi()
    assert_unique_operation_ids(spec)
    assert "head" not in spec["paths"]["/health"]  # HEAD is answered as GET (api/head.py)
