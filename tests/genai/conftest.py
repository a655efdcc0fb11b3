"""The generative-model tests' fixtures (`genai_built` and `genai_runs` are in tests/conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def genai_dir(genai_built, tmp_path) -> Path:
    """A copy a test may break (remove a file, edit the config)."""
    return Path(shutil.copytree(genai_built, tmp_path / "tiny-decoder"))


@pytest.fixture(scope="session")
def genai_pipeline_built(tmp_path_factory) -> Path:
    """The same tiny decoder (same weights) as a decoder pipeline: embeddings.onnx -> transformer.onnx ->
    lm_head.onnx, genai_config.json of model.type "decoder-pipeline" (tests/genai_model.py)."""
    from tests import genai_model

    return genai_model.build(tmp_path_factory.mktemp("genai-pipeline") / "tiny-pipeline", variant="pipeline")


@pytest.fixture
def genai_pipeline_dir(genai_pipeline_built, tmp_path) -> Path:
    """A copy of the pipeline folder a test may break."""
    return Path(shutil.copytree(genai_pipeline_built, tmp_path / "tiny-pipeline"))
