"""The openvino-genai tests' fixtures (`ov_genai_built` is in tests/conftest.py: the GUI tests use it too)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def ov_genai_dir(ov_genai_built, tmp_path) -> Path:
    """A copy a test may break (remove a file, edit the config)."""
    return Path(shutil.copytree(ov_genai_built, tmp_path / "tiny-ov"))
