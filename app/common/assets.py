"""The files the app reads at run time, by name, and where the installed app keeps them.

They live in the top-level resources/ folder, which installs as the package `app.resources`
(setup.py maps it): a wheel carries them at app/resources/, an editable install reads them in
place, and the PyInstaller bundle puts them at app/resources/ beside its frozen package
(installer/aipcprof.spec). importlib.resources finds them the same way in all three.
tests/installer/test_wheel.py builds the wheel and fails if a name below is missing from it.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

SAMPLE_MODEL = "sample_model.onnx"  # the bundled first-run model (scripts/make_sample_model.py)
ICON = "icon.png"  # the window icon
RUNTIME_FILES: tuple[str, ...] = (SAMPLE_MODEL, ICON)  # every name the code asks path() for

PACKAGE = "app.resources"
_CHECKOUT = Path(__file__).resolve().parents[2] / "resources"


def folder():
    """The installed resources (a Traversable); resources/ of a source checkout when none is installed."""
    try:
        return importlib.resources.files(PACKAGE)
    except ModuleNotFoundError:  # `python -m app` in a checkout that was never installed (a second worktree)
        return _CHECKOUT


def path(name: str) -> Path:
    """The file system path of run-time file `name`; it may not exist in a broken install (callers check).

    Installs by pip (wheel or editable) and the PyInstaller bundle are plain folders, so this is a
    real path; a zipped install would give one that does not exist, and the file counts as missing.
    """
    if name not in RUNTIME_FILES:
        raise ValueError(f"{name!r} is not a run-time file: add it to RUNTIME_FILES in {__name__}")
    return Path(str(folder() / name))
