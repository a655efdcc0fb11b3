"""The generative-model tests' fixtures (`genai_built` and `genai_runs` are in tests/conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def genai_dir(genai_built, tmp_path) -> Path:
    """A copy a test may break (remove a file, edit the config)."""
    return Path(shutil.copytree(genai_built, tmp_path / "tiny-decoder"))
