"""The wheel carries every file the app reads at run time: built here, read from its RECORD.

The build goes the way `python -m build` goes (sdist first, then the wheel from the unpacked
sdist), through setuptools' PEP 517 hooks in this interpreter: no network, no build isolation.
scripts/wheel_smoke.sh then installs such a wheel in a fresh venv and runs it (CI, `.ci/run`).
"""

from __future__ import annotations

import ast
import base64
import csv
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from app.common import assets
from tests.installer.conftest import ROOT

APP = ROOT / "app"
RESOURCES = ROOT / "resources"
# Never shipped, and slow or large to copy: everything else of the checkout goes to the build.
NOT_SHIPPED = shutil.ignore_patterns(".git", ".venv", "build", "dist", "tests", "docs", "benchmarks", "out",
                                     "__pycache__", "*.egg-info", ".pytest_cache", ".ruff_cache")
BUILD = """import sys
import setuptools
from setuptools import build_meta
if tuple(int(p) for p in setuptools.__version__.split(".")[:2]) < (70, 1):
    sys.exit(f"setuptools {setuptools.__version__} cannot build wheels alone: pip install -e '.[test]' (>= 70.1)")
print(getattr(build_meta, sys.argv[1])(sys.argv[2]))
"""


def _hook(hook: str, source: Path, out: Path) -> Path:
    done = subprocess.run([sys.executable, "-c", BUILD, hook, str(out)], cwd=source, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return out / done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """(sdist, wheel): the sdist from a copy of the checkout, the wheel from the unpacked sdist."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SHIPPED)
    sdist = _hook("build_sdist", source, tmp / "dist")
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp / "unpacked", **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    (unpacked,) = (tmp / "unpacked").iterdir()
    return sdist, _hook("build_wheel", unpacked, tmp / "dist")


def _record(wheel: Path) -> dict[str, str]:
    """path -> sha256 (RECORD's urlsafe base64) of every file in the wheel."""
    with zipfile.ZipFile(wheel) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith(".dist-info/RECORD")]
        rows = csv.reader(io.StringIO(zf.read(name).decode("utf-8")))
        return {row[0]: row[1] for row in rows if row}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _shipped_resources() -> list[Path]:
    return sorted(p for p in RESOURCES.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def test_every_runtime_file_the_code_asks_for_is_in_the_wheel_unchanged(built):
    record = _record(built[1])
    assert assets.PACKAGE == "app.resources"
    missing = [name for name in assets.RUNTIME_FILES if f"app/resources/{name}" not in record]
    assert not missing, f"run-time files missing from the wheel: {missing} (setup.py package_data)"
    for name in assets.RUNTIME_FILES:
        assert record[f"app/resources/{name}"] == _sha256(RESOURCES / name), name


def test_every_file_of_resources_and_every_module_is_in_the_wheel(built):
    record = _record(built[1])
    wanted = [f"app/resources/{p.relative_to(RESOURCES).as_posix()}" for p in _shipped_resources()]
    wanted += [p.relative_to(ROOT).as_posix() for p in APP.rglob("*.py")]
    assert [w for w in wanted if w not in record] == []
    assert not [p for p in record if p.startswith(("resources/", "tests/", "scripts/"))]


def test_the_wheel_has_both_commands(built):
    with zipfile.ZipFile(built[1]) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt")]
        entry_points = zf.read(name).decode("utf-8")
    assert "aipcprof = app.cli:main" in entry_points
    assert "[gui_scripts]\naipcprof-gui = app.gui:main" in entry_points


def test_the_sdist_carries_the_packaging_and_the_resources(built):
    with tarfile.open(built[0]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert {"pyproject.toml", "setup.py", "README.md", "resources/__init__.py"} <= names
    assert {f"resources/{name}" for name in assets.RUNTIME_FILES} <= names


def test_runtime_names_exist_and_resolve_through_the_package():
    for name in assets.RUNTIME_FILES:
        assert (RESOURCES / name).is_file(), f"resources/{name} is listed in app/common/assets.py but absent"
        path = assets.path(name)
        assert path.is_file() and path.read_bytes() == (RESOURCES / name).read_bytes(), path
    with pytest.raises(ValueError, match="RUNTIME_FILES"):
        assets.path("not_listed.png")


def test_no_module_finds_resources_by_its_own_path():
    """One way to the run-time files (app/common/assets.py): no `sys._MEIPASS` or `.../resources` elsewhere."""
    offenders = []
    for path in sorted(APP.rglob("*.py")):
        if path == APP / "common" / "assets.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in ("resources", "_MEIPASS") \
                    or isinstance(node, ast.Attribute) and node.attr == "_MEIPASS":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_aipcprof_sample_prints_the_installed_sample_model(capsys):
    from app import cli

    assert cli.main(["sample"]) == 0
    out, err = capsys.readouterr()
    assert out == f"{assets.path(assets.SAMPLE_MODEL)}\n" and err == ""
    assert Path(out.strip()).read_bytes() == (RESOURCES / assets.SAMPLE_MODEL).read_bytes()


def test_aipcprof_sample_in_a_broken_install_is_one_line_and_exit_2(capsys, monkeypatch, tmp_path):
    from app import cli

    monkeypatch.setattr(assets, "folder", lambda: tmp_path)  # an install that lost its resources
    assert cli.main(["sample"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (f"aipcprof: error: the sample model is missing from this installation "
                   f"(no {tmp_path / assets.SAMPLE_MODEL}). Reinstall aipc-profiler, or give your own .onnx file.\n")
