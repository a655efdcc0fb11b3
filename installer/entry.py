"""Entry script of both frozen executables (PyInstaller runs it as __main__).

One script, two EXEs in one bundle (the Picard pattern): `aipcprof` is the
console CLI, `aipcprof-gui` the windowed app. The GUI executable is what the
Start-menu shortcut and the .onnx "Open with" verb start: it runs
`app.gui:main` (the `aipcprof-gui` gui-script of pyproject.toml), so it takes
`[MODEL] [--target ID] [--run] [--screenshot PNG] [--quit]`; `--version` and
CLI commands given to it go to the CLI.
"""

import multiprocessing
import os
import sys

GUI_EXE = "aipcprof-gui"


def _is_gui_exe() -> bool:
    name = os.path.splitext(os.path.basename(sys.executable))[0].lower()
    return name == GUI_EXE


def _gui_main(argv: list[str]) -> int:
    from app.cli import COMMANDS, main

    if argv and (argv[0] in COMMANDS or argv[0] == "--version"):
        return main(argv)
    try:
        from app.gui import main as gui_main
    except ImportError:  # an app without the gui-script entry point: same window via the CLI
        return main(["gui", *argv])
    return int(gui_main(argv) or 0)


def _main() -> int:
    # The runner spawns its inference worker with multiprocessing ("spawn"): in a frozen
    # app the child re-runs this executable, and freeze_support() turns it into the worker.
    multiprocessing.freeze_support()
    argv = sys.argv[1:]
    if _is_gui_exe():
        # A windowed executable on Windows has no console: sys.stdout/stderr are None.
        for stream in ("stdout", "stderr"):
            if getattr(sys, stream) is None:
                setattr(sys, stream, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
        return _gui_main(argv)
    from app.cli import main

    return main(argv)


if __name__ == "__main__":
    sys.exit(_main())
