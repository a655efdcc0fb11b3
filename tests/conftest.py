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


@pytest.fixture(scope="session")
def genai_built(tmp_path_factory) -> Path:
    """A real generative model folder (tests/genai_model.py: a tiny decoder, its tokenizer, genai_config.json)."""
    from tests import genai_model

    return genai_model.build(tmp_path_factory.mktemp("genai") / "tiny-decoder")


@pytest.fixture(scope="session")
def ov_genai_built(tmp_path_factory) -> Path:
    """The same tiny decoder as an OpenVINO IR LLM folder (tests/ov_genai_model.py; the ov-genai tests, the GUI's)."""
    pytest.importorskip("openvino_genai")
    from tests import ov_genai_model

    return ov_genai_model.build(tmp_path_factory.mktemp("ov-genai") / "tiny-ov")


@pytest.fixture(scope="session")
def genai_runs(genai_built, tmp_path_factory) -> list[Path]:
    """Two real generative run records of `genai_built` (prompt lengths 16,64 on 1 thread; 16,64,128 on the default)."""
    from app.cli import main

    folder = tmp_path_factory.mktemp("genai-runs")
    paths = [folder / "one-thread.json", folder / "default.json"]
    for path, extra in zip(paths, (["--prompt-tokens", "16,64", "--threads", "1"], ["--prompt-tokens", "16,64,128"])):
        code = main(["run", str(genai_built), *extra, "--gen-tokens", "16", "-n", "2", "--no-telemetry", "-q",
                     "--out", str(path)])
        assert code == 0
    return paths
