"""`aipcprof sample`: the path of the bundled sample model, e.g. `aipcprof run "$(aipcprof sample)"`.

The model ships inside the installed package (app/common/assets.py), wherever pip, pipx or the
installer put it; this prints its path so every command that takes a MODEL can use it.
"""

from __future__ import annotations

import argparse

from app.common import assets
from app.common.errors import ExitStatus, UserError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = 'Example: aipcprof run "$(aipcprof sample)" --target ort/cpu'


def run(args: argparse.Namespace) -> ExitStatus:
    path = assets.path(assets.SAMPLE_MODEL)
    if not path.is_file():
        raise UserError(f"the sample model is missing from this installation (no {path}).",
                        hint="Reinstall aipc-profiler, or give your own .onnx file.")
    print(path)
    return ExitStatus.OK
