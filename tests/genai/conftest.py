"""The generative-model tests' fixture: a real model folder (tests/genai_model.py) built once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests import genai_model


@pytest.fixture(scope="session")
def genai_built(tmp_path_factory) -> Path:
    return genai_model.build(tmp_path_factory.mktemp("genai") / "tiny-decoder")


@pytest.fixture
def genai_dir(genai_built, tmp_path) -> Path:
    """A copy a test may break (remove a file, edit the config)."""
    return Path(shutil.copytree(genai_built, tmp_path / "tiny-decoder"))
