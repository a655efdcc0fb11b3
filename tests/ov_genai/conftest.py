"""The openvino-genai tests' fixtures: the tiny decoder as an OpenVINO IR LLM folder, built once a session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def ov_genai_built(tmp_path_factory) -> Path:
    """A real OpenVINO IR LLM folder (tests/ov_genai_model.py: the tiny decoder made stateful, its tokenizer IRs)."""
    pytest.importorskip("openvino_genai")
    from tests import ov_genai_model

    return ov_genai_model.build(tmp_path_factory.mktemp("ov-genai") / "tiny-ov")


@pytest.fixture
def ov_genai_dir(ov_genai_built, tmp_path) -> Path:
    """A copy a test may break (remove a file, edit the config)."""
    return Path(shutil.copytree(ov_genai_built, tmp_path / "tiny-ov"))
