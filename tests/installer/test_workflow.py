""".github/workflows/windows.yml parses and builds what the spec and the NSIS template describe."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.installer.conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "windows.yml"


def _load_yaml(path):
    try:
        import yaml
    except ImportError:
        yaml = None
    if yaml is not None:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    # PyYAML is no dependency of the app: use another interpreter's copy when there is one.
    for python in ("python3", "python"):
        exe = shutil.which(python)
        if not exe:
            continue
        done = subprocess.run([exe, "-c", "import json, sys, yaml; "
                               "json.dump(yaml.safe_load(open(sys.argv[1], encoding='utf-8')), sys.stdout, default=str)",
                               str(path)], capture_output=True, text=True, timeout=60)
        if done.returncode == 0:
            return json.loads(done.stdout)
    pytest.skip("PyYAML is not installed (pip install pyyaml)")


@pytest.fixture(scope="module")
def workflow():
    return _load_yaml(WORKFLOW)


def _run_text(workflow) -> str:
    steps = workflow["jobs"]["bundle"]["steps"]
    return "\n".join(str(s.get("run", "")) for s in steps)


def test_workflow_parses_and_triggers(workflow):
    triggers = workflow.get("on", workflow.get(True, workflow.get("true")))  # YAML 1.1 reads `on` as true
    assert {"push", "pull_request"} <= set(triggers)


def test_x64_and_arm64_runners(workflow):
    include = workflow["jobs"]["bundle"]["strategy"]["matrix"]["include"]
    assert {(m["runner"], m["arch"]) for m in include} == {("windows-latest", "x64"), ("windows-11-arm", "arm64")}


def test_builds_spec_and_installer_and_smoke_tests_the_frozen_cli(workflow):
    text = _run_text(workflow)
    assert 'pip install -e ".[test]"' in text and "pyinstaller" in text
    assert "installer/aipcprof.spec" in text
    assert "installer/fill_nsis.py" in text and "makensis" in text and "-DARCH=${{ matrix.arch }}" in text
    for command in ("--version", "devices --json", "--target ort/cpu --iterations 20 --out run.json"):
        assert command in text
    assert "smoke_check.py" in text and "python -m pytest" in text


def test_uploads_the_installer(workflow):
    uploads = [s for s in workflow["jobs"]["bundle"]["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    assert uploads and uploads[0]["with"]["path"] == "dist/*-setup.exe"


def test_installs_windowsml_and_checks_the_winml_targets(workflow):
    text = _run_text(workflow)
    assert 'pip install -e ".[winml]"' in text and "python -m app devices --json" in text
    assert "smoke_check.py winml winml-devices.json" in text
