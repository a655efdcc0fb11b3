"""Shared fixtures: models built on the fly with onnx.helper (never downloaded)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests import model_zoo  # noqa: E402


@pytest.fixture(scope="session")
def zoo(tmp_path_factory) -> dict[str, Path]:
    """Every model_zoo model saved once per test session: name -> path."""
    folder = tmp_path_factory.mktemp("zoo")
    paths = {name: model_zoo.save(build(), folder, name) for name, build in model_zoo.ALL.items()}
    paths["custom_domain_op"] = model_zoo.save(model_zoo.custom_domain_op(), folder, "custom_domain_op")
    return paths
